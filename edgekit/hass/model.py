"""Typed Home Assistant intent data: one language's lists, expansion rules, skip words and intent
blocks (a block is one entry of an intent's `data`: sentences plus slots, context rules, response)."""
from __future__ import annotations

from typing import Any, Union

from ..valueclass import field, value_class
from .template import Node


@value_class(frozen=True)
class ListValue:
    """One value of a text list: what is said (`in`, maybe a template), what the slot gets (`out`),
    and the context it adds when matched."""
    text_in: Node
    value_out: Any
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


@value_class(frozen=True)
class TextList:
    name: str
    values: tuple[ListValue, ...]


@value_class(frozen=True)
class RangeList:
    """Numbers from..to by step (with halves/tenths when `fractions`), said as digits or words."""
    name: str
    start: int
    stop: int
    step: int = 1
    type: str = "number"
    multiplier: float | None = None
    digits: bool = True
    words: bool = True
    words_language: str | None = None
    fractions: str | None = None

    def value_of(self, n: int | float) -> int | float:
        """The slot value of number n said for this range (digits or words alike): n times the multiplier,
        an int when it is whole."""
        v = n * self.multiplier if self.multiplier is not None else n
        return int(v) if float(v).is_integer() else v

    def numbers(self) -> list[int | float]:
        out: list[int | float] = []
        fractions = {"halves": (0.5,), "tenths": tuple(k / 10 for k in range(1, 10))}.get(self.fractions or "", ())
        for n in range(self.start, self.stop + 1, self.step):
            out.append(n)
            out.extend(n + f for f in fractions)
        return out


@value_class(frozen=True)
class WildcardList:
    name: str


SlotList = Union[TextList, RangeList, WildcardList]


@value_class(frozen=True)
class Sentence:
    text: str
    node: Node
    where: str


@value_class(frozen=True)
class IntentBlock:
    """One `data` entry of an intent; `where` is file:line (or a JSON path)."""
    intent: str
    index: int
    where: str
    sentences: tuple[Sentence, ...]
    slots: dict[str, Any] = field(default_factory=dict)
    requires_context: dict[str, Any] = field(default_factory=dict)
    excludes_context: dict[str, Any] = field(default_factory=dict)
    expansion_rules: dict[str, Node] = field(default_factory=dict)
    lists: dict[str, SlotList] = field(default_factory=dict)
    response: str | None = None
    metadata: dict[str, Any] | None = None
    required_keywords: frozenset[str] | None = None

    def requirements(self) -> list[tuple[str, Any, str | None]]:
        """requires_context as (key, value or None for any, the slot it is copied into or None): HA writes a
        requirement as a value, or as {"value": ..., "slot": true | "slot name"}."""
        out = []
        for key, req in self.requires_context.items():
            copy_to = None
            if isinstance(req, dict):
                want = req.get("slot")
                copy_to = want if isinstance(want, str) else (key if want else None)
                req = req.get("value")
            out.append((key, req, copy_to))
        return out


@value_class(frozen=True)
class Language:
    """Everything one language declares, as Home Assistant merges it."""
    language: str
    blocks: tuple[IntentBlock, ...]
    lists: dict[str, SlotList]
    expansion_rules: dict[str, Node]
    skip_words: tuple[str, ...] = ()
    ignore_whitespace: bool = False
    rule_where: dict[str, str] = field(default_factory=dict)
    responses: "Responses" = field(default_factory=lambda: Responses())


@value_class(frozen=True)
class Responses:
    """What the assistant says back: `intents` maps an intent and a block's response key to a template,
    `errors` an error key (no_intent, no_area ...) to one (HA's responses/<lang>/ and _common.yaml)."""
    intents: dict[str, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
