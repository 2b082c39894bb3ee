"""The multiplication rule, run forwards: enumerate (and count) the phrasings a rule or class covers.

Counts are of derivations: with an unambiguous grammar, the number of distinct phrasings. Data classes
and builtin classes expand to a placeholder such as `<digits>`; unbounded repeats expand to their
minimum count and one more (documented limit, so enumeration terminates). Counts saturate at MAX_COUNT:
nested repeats can cover more phrasings than there are atoms in the universe, and computing such a
number exactly would cost time and memory that grow with it."""
from __future__ import annotations

from itertools import islice
from typing import Iterator

from .compiled import CompiledForest, Matcher
from .matchers import MatcherTable
from .model import Alt, Lit, Opt, Ref, Rep, Seq, Template

COUNT_EXPONENT = 100
MAX_COUNT = 10**COUNT_EXPONENT
"""Counts are exact below this; a count of MAX_COUNT means "at least MAX_COUNT"."""


class Expander:
    """Enumerates phrasings from a compiled forest's templates and lexicon entries."""

    def __init__(self, compiled: CompiledForest) -> None:
        self.by_class: dict[str, list[Matcher]] = {}
        for m in MatcherTable(compiled):
            if m.kind != "runtime":  # runtime lists expand to a placeholder such as <name>
                self.by_class.setdefault(m.class_name, []).append(m)
        self._counts: dict[str, int] = {}

    def _bounds(self, lo: int, hi: int | None) -> range:
        return range(lo, (hi if hi is not None else lo + 1) + 1)

    def count(self, name: str) -> int:
        """Number of phrasings of a class or rule (sum over its trees/alternatives of products)."""
        if name not in self._counts:
            self._counts[name] = 1  # placeholder for data/builtin classes
            ms = self.by_class.get(name)
            if ms:
                self._counts[name] = min(sum(self.count_node(m.template) for m in ms), MAX_COUNT)
        return self._counts[name]

    def count_node(self, node: Template) -> int:
        match node:
            case Lit():
                return 1
            case Ref(name):
                return self.count(name)
            case Seq(items):
                n = 1
                for c in items:
                    n = min(n * self.count_node(c), MAX_COUNT)
                return n
            case Alt(items):
                return min(sum(self.count_node(c) for c in items), MAX_COUNT)
            case Opt(item):
                return min(1 + self.count_node(item), MAX_COUNT)
            case Rep(item, lo, hi):  # c <= MAX_COUNT and k <= MAX_REPEAT + 1: c ** k stays a few thousand digits
                c = self.count_node(item)
                return min(sum(c ** k for k in self._bounds(lo, hi)), MAX_COUNT)
        raise TypeError(f"not a template node: {node!r}")

    def phrasings(self, name: str) -> Iterator[list[str]]:
        ms = self.by_class.get(name)
        if not ms:
            yield [f"<{name}>"]
            return
        for m in ms:
            yield from self.gen(m.template)

    def gen(self, node: Template) -> Iterator[list[str]]:
        match node:
            case Lit(word):
                yield [word]
            case Ref(name):
                yield from self.phrasings(name)
            case Seq(items):
                yield from self._product(items, 0)
            case Alt(items):
                for c in items:
                    yield from self.gen(c)
            case Opt(item):
                yield []
                yield from self.gen(item)
            case Rep(item, lo, hi):
                for k in self._bounds(lo, hi):
                    yield from self._product((item,) * k, 0)

    def _product(self, items: tuple[Template, ...], k: int) -> Iterator[list[str]]:
        if k == len(items):
            yield []
            return
        for head in self.gen(items[k]):
            for tail in self._product(items, k + 1):
                yield head + tail

    def expand(self, name: str, limit: int | None = 100) -> list[str]:
        """Up to `limit` phrasings of a class or rule, as strings."""
        return [" ".join(p) for p in islice(self.phrasings(name), limit)]
