"""The elements of a reading: tokens and symbols with their text (rendered lazily), value, children and
captures, as digestion builds them for the chosen derivations (digest.py) and frames and traces read them."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from .expr import ExprError, format_value


class Element:
    """A token or a symbol in the sequence being digested. A symbol's text is rendered lazily: a
    rule's text clause runs only if the text is read (at the top level, or by a parent)."""

    __slots__ = ("tsid", "start", "end", "space", "_text", "_render", "value", "matcher", "children",
                 "layer", "groups", "captures", "error", "context")

    def __init__(self, tsid: int, start: int, end: int, space: bool, text: str | None, value: Any,
                 matcher: int = -1, children: tuple = (), layer: int = 0) -> None:
        self.tsid = tsid
        self.start = start
        self.end = end
        self.space = space
        self._text = text
        self.value = value
        self.matcher = matcher
        self.children = children
        self.layer = layer
        self._render: Any = None
        self.groups: dict | None = None
        self.captures: dict[str, Any] | None = None
        self.error: str | None = None
        self.context: Any = None  # a runtime list entry's context

    @property
    def text(self) -> str:
        t = self._text
        if t is None:
            text_fn, env = self._render
            self._render = None
            try:
                t = format_value(text_fn(env))
            except ExprError as exc:
                self.error = str(exc)
                t = join_texts(self.children)
            self._text = t
        return t

    @text.setter
    def text(self, value: str) -> None:
        self._text = value


class Captures:
    """The expression environment of one match: capture name -> element (or list for repeats)."""

    __slots__ = ("binds", "source", "own_value")

    def __init__(self, binds: dict[str, Any], source: str) -> None:
        self.binds = binds
        self.source = source
        self.own_value: Any = None

    def value(self, name: str) -> Any:
        if name == "value" and name not in self.binds:
            return self.own_value
        b = self.binds.get(name)
        if b is None:
            return None
        if type(b) is list:
            return [e.value for e in b]
        return b.value

    def text(self, name: str) -> Any:
        b = self.binds.get(name)
        if b is None:
            return None
        if type(b) is list:
            return [e.text for e in b]
        t = b._text
        return b.text if t is None else t

    def surface(self, name: str) -> Any:
        b = self.binds.get(name)
        if b is None:
            return None
        if type(b) is list:
            return [self.source[e.start:e.end] for e in b]
        return self.source[b.start:b.end]

    def attr(self, name: str, field: str) -> Any:
        b = self.binds.get(name)
        if b is None:
            return None
        if field == "span":  # the input from the capture's first element to its last, as written
            if type(b) is list:
                return self.source[b[0].start:b[-1].end] if b else ""
            return self.source[b.start:b.end]
        if type(b) is list:
            return [_field(e, field, self.source) for e in b]
        return _field(b, field, self.source)


def _field(e: Element, field: str, source: str) -> Any:
    """A capture's attribute: its text, its surface (the input it covers), its value, or a regex group."""
    if field == "text":
        return e.text
    if field == "surface":
        return source[e.start:e.end]
    if field == "value":
        return e.value
    return e.groups.get(field) if e.groups else None


def join_texts(elements: list[Element] | tuple) -> str:
    """Render a sequence, keeping a space only where the input had whitespace."""
    if len(elements) == 1:
        e = elements[0]
        t = e._text
        return e.text if t is None else t
    parts = []
    for e in elements:
        if e.space and parts:
            parts.append(" ")
        t = e._text
        parts.append(e.text if t is None else t)
    return "".join(parts)


def lexicon_value(v: Any) -> Any:
    """A lexicon entry's value as stored (a string) made a number where it is a decimal ("0.5"); a list's
    items each so."""
    if type(v) is list:
        return [lexicon_value(x) for x in v]
    if isinstance(v, str) and v[:1].isdigit() and v.replace(".", "", 1).isdigit() and "." in v:
        return Decimal(v)
    return v
