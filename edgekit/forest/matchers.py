"""The matchers of a compiled forest, by id: lexicon entries first, then runtime classes and rules.

Each lexicon is one compact record (compiled.LexiconRecord); entry ids run across the records in
declaration order from 0, and an entry's Matcher is made only when asked for, so a 100,000-entry lexicon
costs no object per entry once loaded."""
from __future__ import annotations

from bisect import bisect_right
from typing import Any, Iterator, Sequence

from .compiled import CompiledForest, LexiconRecord, Matcher
from .model import Alt, Lit, Seq, Template


def entry_template(phrases: list[str]) -> Template:
    """The template of an entry: an alternative of its literal token sequences."""
    alts = [Lit(v) if " " not in v else Seq(tuple(Lit(w) for w in v.split(" "))) for v in phrases]
    return alts[0] if len(alts) == 1 else Alt(tuple(alts))


class MatcherTable(Sequence):
    """Matcher id -> Matcher (an entry's made on demand from its lexicon record)."""

    def __init__(self, compiled: CompiledForest) -> None:
        self.lexicons: list[LexiconRecord] = compiled.lexicons
        self.stored: list[Matcher] = compiled.matchers
        self.starts: list[int] = []  # the id of each lexicon's first entry
        n = 0
        for lx in self.lexicons:
            self.starts.append(n)
            n += len(lx.canonical)
        self.n_entries = n
        self._more: list[dict[int, list[str]]] | None = None

    def __len__(self) -> int:
        return self.n_entries + len(self.stored)

    def __getitem__(self, mi: Any) -> Any:
        if isinstance(mi, slice):
            return [self[i] for i in range(*mi.indices(len(self)))]
        if mi < 0:
            mi += len(self)
        if not 0 <= mi < len(self):
            raise IndexError(f"matcher {mi} out of range")
        if mi >= self.n_entries:
            return self.stored[mi - self.n_entries]
        lx, k = self.entry(mi)
        return Matcher("entry", lx.name, f"{lx.name}:{lx.canonical[k]}", lx.file, lx.line[k], lx.priority, 1, lx.type,
                       entry_template(self.phrases(mi)), {})

    def entry(self, mi: int) -> tuple[LexiconRecord, int]:
        """The lexicon record of entry id `mi` and the entry's index in it."""
        i = bisect_right(self.starts, mi) - 1
        return self.lexicons[i], mi - self.starts[i]

    def phrases(self, mi: int) -> list[str]:
        """Every variant of entry id `mi`, its first one first."""
        if self._more is None:
            self._more = [{row[0]: row[1:] for row in lx.more} for lx in self.lexicons]
        i = bisect_right(self.starts, mi) - 1
        k = mi - self.starts[i]
        return [self.lexicons[i].phrase[k]] + self._more[i].get(k, [])

    def stored_items(self) -> Iterator[tuple[int, Matcher]]:
        """(id, matcher) of every runtime class and rule, in id order."""
        return enumerate(self.stored, self.n_entries)

    def blocks(self) -> Iterator[tuple[int, int, LexiconRecord | Matcher]]:
        """(first id, count, lexicon record or matcher) for each lexicon's entries and each other matcher."""
        for start, lx in zip(self.starts, self.lexicons):
            yield start, len(lx.canonical), lx
        for mi, m in self.stored_items():
            yield mi, 1, m

    def ranks(self) -> list[int]:
        """Each matcher's rank: 0 for the highest priority, earliest declared (one sort over the lexicons
        and other matchers, as a lexicon's entries share its priority and have consecutive ids)."""
        ranks = [0] * len(self)
        r = 0
        for start, count, m in sorted(self.blocks(), key=lambda b: (-b[2].priority, b[0])):
            ranks[start:start + count] = range(r, r + count)
            r += count
        return ranks
