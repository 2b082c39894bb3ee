"""The hash layer that matches lexicon entries and runtime lists: word sequences -> entry ids, one hash
lookup per token, so a 100,000-entry lexicon costs per token what a 50-entry one does.

Runtime lists (a grammar's `class name runtime`) hold entries the application supplies and replaces
while running (`Forest.set_list`): text -> value, with an optional context such as {"domain": "light"}
that a caller reads back from the frame's slot to filter readings."""
from __future__ import annotations

from typing import Iterable, Iterator, Mapping

from ..errors import DataError
from ..limits import MAX_SPAN
from ..list_entry import ListEntry
from .tokenize import words


class PhraseIndex:
    """Phrases (casefolded tokens joined by spaces) -> item ids, with every proper prefix of a longer
    phrase, so matching is one hash lookup per token whatever the number of phrases; a lexicon record's
    phrases go in with one dict build (matchers.py has the record's layout)."""

    def __init__(self) -> None:
        self.phrases: dict[str, int | list[int]] = {}  # one id, or several in ascending order
        self.prefixes: set[str] = set()
        self.size = 0

    def add(self, phrase: str, item: int) -> None:
        old = self.phrases.get(phrase)
        if old is None:
            self.phrases[phrase] = item
        elif type(old) is int:
            self.phrases[phrase] = [old, item]
        else:
            old.append(item)
        if " " in phrase:
            self._add_prefixes(phrase)
        self.size += 1

    def _add_prefixes(self, phrase: str) -> None:
        at = phrase.find(" ")
        while at > 0:
            self.prefixes.add(phrase[:at])
            at = phrase.find(" ", at + 1)

    def add_lexicon(self, phrases: list[str], more: list[list], first: int) -> None:
        """Add a lexicon record's entries (ids first, first + 1, ...): entry k under phrases[k] and under
        the other variants `more` lists for it ([k, phrase, ...] rows, ascending k)."""
        fresh = dict(zip(phrases, range(first, first + len(phrases))))
        if len(fresh) == len(phrases) and fresh.keys().isdisjoint(self.phrases):
            self.phrases.update(fresh)  # the common case, without a Python step per entry
            self.size += len(phrases)
            for phrase in (p for p in phrases if " " in p):
                self._add_prefixes(phrase)
        else:
            for item, phrase in enumerate(phrases, first):
                self.add(phrase, item)
        for k, *others in more:
            for phrase in others:
                self.add(phrase, first + k)

    def matches(self, folded: list[str | None], start: int) -> Iterator[tuple[int, list[int] | tuple[int]]]:
        """(end, items) for every phrase equal to folded[start:end]; None marks an element no phrase reads."""
        phrases, prefixes = self.phrases, self.prefixes
        key = folded[start]
        limit = min(len(folded), start + MAX_SPAN)
        j = start + 1
        while key is not None:
            items = phrases.get(key)
            if items is not None:
                yield j, ((items,) if type(items) is int else items)
            if j >= limit or key not in prefixes:
                return
            t = folded[j]
            if t is None:
                return
            key = f"{key} {t}"
            j += 1


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
