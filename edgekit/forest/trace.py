"""Explanations: which rule (file:line) matched which span at which layer, with the value it produced;
for a rejected command, how far the best candidate got and what it expected next."""
from __future__ import annotations

from typing import Any

from ..valueclass import field, value_class
from .expr import format_value
from .frame import Frame


@value_class
class TraceNode:
    """One element of the digestion tree: a symbol (rule or lexicon entry) or an input token."""

    label: str
    kind: str            # "rule", "entry", "data" or "token"
    where: str
    layer: int
    start: int
    end: int
    surface: str
    text: str
    value: Any = None
    intent: str | None = None
    error: str | None = None
    children: list["TraceNode"] = field(default_factory=list)
    decided: str | None = None   # a word token's decider scores (decider.py), e.g. "spelled_acronym: letters 0.9 > word 0.1"

    def to_dict(self) -> dict[str, Any]:
        from .frame import jsonable

        d = {"label": self.label, "kind": self.kind, "where": self.where, "layer": self.layer,
             "span": [self.start, self.end], "surface": self.surface, "text": self.text,
             "value": jsonable(self.value)}
        if self.intent:
            d["intent"] = self.intent
        if self.error:
            d["error"] = self.error
        if self.children:
            d["children"] = [c.to_dict() for c in self.children]
        if self.decided:
            d["decided"] = self.decided
        return d

    def lines(self, prefix: str = "", last: bool = True, top: bool = False) -> list[str]:
        branch = "" if top else ("└─ " if last else "├─ ")
        if self.kind == "token":
            head = f"{self.surface!r}" + (f"  (decided {self.decided})" if self.decided else "")
        else:
            head = f"{self.label}  [{self.where}, layer {self.layer}]  {self.surface!r}"
            if self.text != self.surface:
                head += f" -> {self.text!r}"
            if self.value is not None and format_value(self.value) != self.text:
                head += f"  value={format_value(self.value)}"
            if self.intent:
                head += f"  intent={self.intent}"
            if self.error:
                head += f"  (value error: {self.error})"
        out = [prefix + branch + head]
        child_prefix = prefix + ("" if top else ("   " if last else "│  "))
        for k, c in enumerate(self.children):
            out.extend(c.lines(child_prefix, k == len(self.children) - 1))
        return out


@value_class(frozen=True)
class LostReading:
    """A reading of the whole input that lost to the chosen one: its output, cost and why it lost."""

    output: str
    cost: float
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"output": self.output, "cost": self.cost, "why": self.why}


@value_class
class Trace:
    """The whole explanation of one input: output text, frame (if any), the tree, a rejection reason."""

    input: str
    output: str
    nodes: list[TraceNode]
    frame: Frame | None = None
    rejection: str | None = None
    cost: float = 0.0
    losing: list[LostReading] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"input": self.input, "output": self.output,
                "frame": self.frame.to_dict() if self.frame else None,
                "rejection": self.rejection, "tree": [n.to_dict() for n in self.nodes],
                "cost": self.cost, "losing": [r.to_dict() for r in self.losing]}

    def __str__(self) -> str:
        out = [f"input:  {self.input!r}", f"output: {self.output!r}"]
        if self.frame is not None:
            slots = ", ".join(f"{k}={format_value(s.value)!r}" for k, s in self.frame.slots.items())
            out.append(f"intent: {self.frame.intent}({slots})  from {self.frame.rule} [{self.frame.where}]")
        elif self.rejection:
            out.append(f"rejected: {self.rejection}")
        for k, n in enumerate(self.nodes):
            out.extend(n.lines("", k == len(self.nodes) - 1, top=True) if n.kind != "token" else
                       ["· " + n.lines(top=True)[0]])
        for r in self.losing:
            out.append(f"lost:   {r.output!r} (cost {r.cost:.4g} vs {self.cost:.4g}: {r.why})")
        return "\n".join(out)
