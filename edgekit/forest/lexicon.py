"""The hash/trie layer that matches lexicon entries and runtime lists: word sequences -> entry ids, one dict
lookup per token, so a 100,000-entry lexicon costs per token what a 50-entry one does.

Runtime lists (a grammar's `class name runtime`) hold entries the application supplies and replaces
while running (`Forest.set_list`): text -> value, with an optional context such as {"domain": "light"}
that a caller reads back from the frame's slot to filter readings."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from ..errors import DataError
from ..limits import MAX_SPAN
from .tokenize import words

END = ""  # the key under which a trie node keeps the entries ending there (no token is empty)


@dataclass(frozen=True)
class ListEntry:
    """One entry of a runtime list: the text matched (any case), its value (default: the text) and an
    optional context mapping (string keys), exposed on the matched slot as `Slot.context`."""

    text: str
    value: Any = None
    context: Mapping[str, Any] | None = None


class Trie:
    """Token sequences (casefolded) -> item ids."""

    def __init__(self) -> None:
        self.root: dict[str, Any] = {}
        self.size = 0

    def add(self, tokens: list[str], item: int) -> None:
        node = self.root
        for t in tokens:
            nxt = node.get(t)
            if nxt is None:
                nxt = node[t] = {}
            node = nxt
        node.setdefault(END, []).append(item)
        self.size += 1

    def matches(self, folded: list[str | None], start: int) -> Iterator[tuple[int, list[int]]]:
        """(end, items) for every entry matching folded[start:end]; None marks an element no entry reads."""
        node = self.root
        limit = min(len(folded), start + MAX_SPAN)
        j = start
        while j < limit:
            t = folded[j]
            if t is None:
                return
            node = node.get(t)
            if node is None:
                return
            j += 1
            items = node.get(END)
            if items:
                yield j, items


def template_variants(node: list) -> list[list[str]]:
    """The word sequences of a lexicon entry's template (an alternative of literal sequences)."""
    if node[0] == "lit":
        return [[node[1]]]
    if node[0] == "seq":
        return [[c[1] for c in node[1]]]
    return [v for c in node[1] for v in template_variants(c)]


def check_entries(name: str, entries: Iterable[ListEntry | str]) -> list[ListEntry]:
    """Validate runtime list entries (a plain string is an entry whose value is its text); DataError
    names the bad entry."""
    out = []
    for k, e in enumerate(entries):
        if isinstance(e, str):
            e = ListEntry(e)
        if not isinstance(e, ListEntry):
            raise DataError(f"list {name}: entry {k} is a {type(e).__name__}, expected a ListEntry or a str")
        if not isinstance(e.text, str) or not words(e.text):
            raise DataError(f"list {name}: entry {k} ({e.text!r}) has no words")
        if len(words(e.text)) > MAX_SPAN:
            raise DataError(f"list {name}: entry {k} has more than MAX_SPAN = {MAX_SPAN} tokens")
        if e.context is not None and not (isinstance(e.context, Mapping)
                                          and all(isinstance(key, str) for key in e.context)):
            raise DataError(f"list {name}: entry {k} context must be a mapping with string keys")
        out.append(e)
    return out
