"""What parsing returns: a Frame (intent plus typed slots, each with its span in the input)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..valueclass import field, value_class


def jsonable(v: Any) -> Any:
    """Values as JSON-friendly data (exact decimals as strings would lose type; they become numbers)."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and "." not in str(v) else float(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    return v


@value_class(frozen=True)
class Slot:
    """One filled slot: its value, rendered text, class, and character span in the input."""

    name: str
    value: Any
    text: str
    type: str
    start: int
    end: int
    context: Any = None  # a runtime list entry's context mapping (Forest.set_list), else None

    def to_dict(self) -> dict[str, Any]:
        d = {"value": jsonable(self.value), "text": self.text, "type": self.type, "span": [self.start, self.end]}
        if self.context is not None:
            d["context"] = jsonable(dict(self.context))
        return d


@value_class(frozen=True)
class Frame:
    """A parsed command: intent, slots by name, the rule that produced it, and its canonical text."""

    intent: str
    slots: dict[str, Slot] = field(default_factory=dict)
    rule: str = ""
    where: str = ""
    text: str = ""
    cost: float = field(default=0.0, compare=False)  # the reading's cost (see grammars/README.md, "Ambiguity")
    context: dict[str, Any] = field(default_factory=dict, compare=False)  # the caller's, updated by the slots'

    def __getitem__(self, name: str) -> Any:
        return self.slots[name].value

    def to_dict(self) -> dict[str, Any]:
        return {"intent": self.intent, "slots": {k: s.to_dict() for k, s in self.slots.items()},
                "rule": self.rule, "where": self.where, "canonical": self.text,
                **({"context": jsonable(self.context)} if self.context else {})}
