"""Home Assistant sentence templates parsed into typed nodes: text, (alternatives), [optionals],
(permutations;), {lists}, <expansion rules>. The syntax is hassil's; errors carry the column."""
from __future__ import annotations

import re
from typing import Union

from ..valueclass import value_class
from .text import normalize

_INLINE_RANGE = re.compile(r"^(\d+)\.\.(\d+)(?:,(\d+))?$")


@value_class(frozen=True)
class Text:
    """Literal text, whitespace included (a space separates words; no space glues parts of a word)."""
    text: str


@value_class(frozen=True)
class Seq:
    items: tuple["Node", ...]


@value_class(frozen=True)
class Alt:
    """Alternatives; an optional `[x]` is an Alt with an empty Seq as its last choice."""
    items: tuple["Node", ...]
    optional: bool = False


@value_class(frozen=True)
class Perm:
    """`(a; b; c)`: the items in any order, separated by whitespace."""
    items: tuple["Node", ...]


@value_class(frozen=True)
class ListRef:
    """`{list}` or `{list:slot}`; `{list:@x}` / `{@x}` capture for the response only (no slot)."""
    list_name: str
    slot_name: str
    capture: bool = False

    @property
    def inline_range(self) -> tuple[int, int, int] | None:
        m = _INLINE_RANGE.match(self.list_name)
        return (int(m[1]), int(m[2]), int(m[3] or 1)) if m else None


@value_class(frozen=True)
class RuleRef:
    name: str


Node = Union[Text, Seq, Alt, Perm, ListRef, RuleRef]
EMPTY = Seq(())
_TEMPLATE_CHARS = re.compile(r"[(){}<>\[\]|@]")


class TemplateSyntaxError(ValueError):
    """A template that does not parse; `col` is 1-based in the template text."""

    def __init__(self, message: str, col: int) -> None:
        super().__init__(message)
        self.col = col


def is_template(text: str) -> bool:
    """True if text uses template syntax (hassil's test)."""
    return _TEMPLATE_CHARS.search(text) is not None


def parse_template(text: str) -> Node:
    """Parse one template (a sentence, a rule body or a list value's `in`)."""
    parser = _Parser(text.strip())
    node = parser.alternatives(end=None)
    return node


class _Parser:
    _CLOSE = {"(": ")", "[": "]"}

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def error(self, message: str, at: int | None = None) -> TemplateSyntaxError:
        return TemplateSyntaxError(message, (self.i if at is None else at) + 1)

    def alternatives(self, end: str | None) -> Node:
        """Sequences separated by `|` (alternatives) or `;` (permutation) up to `end`."""
        seqs: list[Node] = [self.sequence(end)]
        sep = None
        while self.i < len(self.s) and self.s[self.i] in "|;":
            c = self.s[self.i]
            if sep is not None and c != sep:
                raise self.error("cannot mix '|' and ';' in one group")
            sep = c
            self.i += 1
            seqs.append(self.sequence(end))
        if end is not None:
            if self.i >= len(self.s):
                raise self.error(f"missing {end!r}")
            self.i += 1  # the closing bracket
        elif self.i < len(self.s):
            raise self.error(f"unexpected {self.s[self.i]!r}")
        if sep == ";":
            return Perm(tuple(seqs))
        if len(seqs) == 1:
            return seqs[0]
        return Alt(tuple(seqs))

    def sequence(self, end: str | None) -> Node:
        items: list[Node] = []
        buf: list[str] = []

        def flush() -> None:
            if buf:
                items.append(Text(normalize("".join(buf))))
                buf.clear()

        s = self.s
        while self.i < len(s):
            c = s[self.i]
            if c == "\\":
                if self.i + 1 >= len(s):
                    raise self.error("dangling escape")
                buf.append(s[self.i + 1])
                self.i += 2
            elif c in "|;" or c in ")]":
                if c in ")]" and c != end:
                    raise self.error(f"unexpected {c!r}")
                break
            elif c in "([":
                flush()
                start = self.i
                self.i += 1
                inner = self.alternatives(self._CLOSE[c])
                if c == "[":
                    choices = inner.items if isinstance(inner, Alt) else (inner,)
                    items.append(Alt(tuple(choices) + (EMPTY,), optional=True))
                else:
                    items.append(inner)
                if self.i == start:
                    raise self.error("empty group", start)
            elif c == "{":
                flush()
                items.append(self._list_ref())
            elif c == "<":
                flush()
                close = s.find(">", self.i)
                if close < 0:
                    raise self.error("missing '>'")
                name = s[self.i + 1:close].strip()
                if not name:
                    raise self.error("empty rule name")
                items.append(RuleRef(name))
                self.i = close + 1
            elif c in "}>":
                raise self.error(f"unexpected {c!r}")
            else:
                buf.append(c)
                self.i += 1
        flush()
        if len(items) == 1:
            return items[0]
        return Seq(tuple(items))

    def _list_ref(self) -> ListRef:
        close = self.s.find("}", self.i)
        if close < 0:
            raise self.error("missing '}'")
        body = self.s[self.i + 1:close].replace("\\", "").strip()
        if not body:
            raise self.error("empty list name")
        self.i = close + 1
        if ":" in body:
            name, slot = body.split(":", 1)
            if slot.startswith("@"):
                return ListRef(name, slot[1:], capture=True)
            return ListRef(name, slot)
        if body.startswith("@"):
            return ListRef(body[1:], body[1:], capture=True)
        return ListRef(body, body)
