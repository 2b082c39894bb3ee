"""The lists a compiled language's templates read, as token tries: static text lists (their values'
spellings, from the compile), the home's runtime lists (replaced with `set`, no recompilation) and range
lists (digits, decimals, number words). One place answers which lists have a value starting at a word
and which values match from a position."""
from __future__ import annotations

from typing import Any, Iterable

from ..errors import DataError
from ..list_entry import ListEntry
from .compile import CompiledLanguage
from .text import Tokens, surface_at, value_keys

END = None  # trie key of the payloads that end at a node
CUTS = 0    # trie key of a node's cut lengths: the lengths of its words that end a value (see _cut_lengths)
_STARTS_CACHE = 50_000  # words remembered by ListTables.starting before the cache is dropped
_CACHED_WORD = 64       # longer words are not remembered (the cache stays small whatever the input)


def trie_add(trie: dict, keys: Iterable[str], payload: Any) -> None:
    node = trie
    for k in keys:
        node = node.setdefault(k, {})
    node.setdefault(END, []).append(payload)


class ListTables:
    """Token tries of every list of one compiled language, with an index from a word to the lists that
    have a value starting with it (whole, or as the start of a longer word)."""

    def __init__(self, compiled: CompiledLanguage) -> None:
        self.c = compiled
        self.tries: dict[str, dict] = {}
        self._first: dict[str, set[str]] = {}  # first word of a value -> lists
        self._longest_first = 0  # the longest such word: bounds the starts of a word looked up
        self._starts: tuple[dict[str, frozenset[str]], ...] = ({}, {})  # starting()'s answers: not a number, a number
        self.generation = 0  # counts list replacements: what a reader remembers about the lists holds for one
        for key, spellings in compiled.text_lists.items():
            trie: dict = {}
            for toks, value, ctx, meta in spellings:
                trie_add(trie, toks, (value, ctx, meta, 0))
            self._install(key, trie)
        for key in compiled.runtime_lists:
            if key not in self.tries:
                self._install(key, {})
        self._range_keys = frozenset(compiled.ranges)
        self._range_sets = {key: frozenset(float(x) for x in rng.numbers()) for key, rng in compiled.ranges.items()}
        for key, words in compiled.range_words.items():
            trie = {}
            for toks, value, chars in words:
                trie_add(trie, toks, (value, None, None, chars))  # a number word counts as literal text
            self._install(key, trie)

    def _install(self, key: str, trie: dict) -> None:
        for word in self.tries.get(key, ()):
            if type(word) is str:
                self._first[word].discard(key)
        _cut_lengths(trie)
        self.tries[key] = trie
        for word in trie:
            if type(word) is str:
                self._first.setdefault(word, set()).add(key)
                self._longest_first = max(self._longest_first, len(word))
        for cache in self._starts:
            cache.clear()
        self.generation += 1

    def set(self, name: str, entries: Iterable[ListEntry | str]) -> None:
        """Replace a runtime list: the entries' spoken texts go into a token trie."""
        trie: dict = {}
        for k, e in enumerate(entries):
            if type(e) is ListEntry and type(e.text) is str:
                text, value, ctx = e.text, e.value, e.context
            elif isinstance(e, str):
                text, value, ctx = e, e, None
            elif isinstance(e, ListEntry) and isinstance(e.text, str):
                text, value, ctx = e.text, e.value, e.context
            else:
                raise DataError(f"list {name!r} entry {k}: expected text or a ListEntry, got {e!r}")
            toks = value_keys(text)
            if not toks:
                continue
            node = trie
            for t in toks:
                node = node.setdefault(t, {})
            node.setdefault(END, []).append((text.strip() if value is None else value, ctx, None, 0))
        self._install(name, trie)

    def starting(self, word: str, number: bool) -> frozenset[str]:
        """The lists that may have a value starting at `word`: its first word is `word` or the start of it
        (a value may end inside a word); a digit token starts every range."""
        cache = self._starts[number]
        found = cache.get(word)
        if found is None:
            first = self._first
            lists = set(first.get(word, ()))
            for cut in range(1, min(len(word), self._longest_first + 1)):
                lists.update(first.get(word[:cut], ()))
            if number:
                lists.update(self._range_keys)
            found = frozenset(lists)
            if len(word) <= _CACHED_WORD:
                if len(cache) >= _STARTS_CACHE:
                    cache.clear()
                cache[word] = found
        return found

    def matches(self, kind: str, key: str, toks: Tokens, surface: str, j: int, off: int) -> list:
        """(end word, offset in it, value, text, context, metadata, literal chars) of every value of a list
        said from word j, offset off. As in hassil, a value may end inside a word when what follows it
        matches the rest of the word. A range's number words are a trie like any list's (glued ones too); its
        digits are read by _range_digits."""
        if kind == "range" and toks.numbers[j]:
            return self._range_digits(key, toks, surface, j, off)
        node = self.tries.get(key)
        if node is None:  # a range said in digits only
            return []
        out: list = []
        keys, token_ends = toks.keys, toks.ends
        n = len(keys)
        i = j
        begin = surface_at(surface, toks, j, off)
        word = keys[j][off:] if off else keys[j]
        start = off
        while True:
            cuts = node.get(CUTS)
            if cuts and len(word) > cuts[0]:
                self._cuts(node, word, cuts, surface, begin, toks, i, start, out)
            node = node.get(word)
            if node is None:
                return out
            i += 1
            ends = node.get(END)
            if ends:
                text = surface[begin:token_ends[i - 1]]
                for value, ctx, meta, lit in ends:
                    out.append((i, 0, text if value is None else value, text, ctx, meta, lit))
            if i >= n:
                return out
            word = keys[i]
            start = 0

    @staticmethod
    def _cuts(node: dict, word: str, lengths: tuple[int, ...], surface: str, begin: int, toks: Tokens, i: int,
              start: int, out: list) -> None:
        """Values that end inside `word` (the key of token i from offset start), cut after as many letters as
        a word at this node that ends a value has."""
        for cut in lengths:
            if cut >= len(word):
                return
            child = node.get(word[:cut])
            if child is not None and END in child:
                text = surface[begin:surface_at(surface, toks, i, start + cut)]
                for value, ctx, meta, lit in child[END]:
                    out.append((i, start + cut, text if value is None else value, text, ctx, meta, lit))

    def _range_digits(self, key: str, toks: Tokens, surface: str, j: int, off: int) -> list:
        """The range's value said in digits from word j (a digit token), with a decimal part if it allows one."""
        rng = self.c.ranges[key]
        keys, starts, ends = toks.keys, toks.starts, toks.ends
        out = []
        if rng.digits and not off:
            end = j + 1
            if rng.fractions and j + 2 < len(keys) and keys[j + 1] in (".", ",") and toks.numbers[j + 2] \
                    and ends[j] == starts[j + 1] and ends[j + 1] == starts[j + 2]:
                end = j + 3  # a decimal: 21.5 or 21,5
            text = surface[starts[j]:ends[end - 1]]
            v = float(text.replace(",", "."))
            ok = (rng.start <= v <= rng.stop and v.is_integer()) if rng.step == 1 and not rng.fractions \
                else v in self._range_sets[key]
            if ok:
                out.append((end, 0, rng.value_of(v), text, None, None, 0))
        return out


def _cut_lengths(trie: dict) -> None:
    """Give every node of a trie the lengths, shortest first, of its words that end a value (under CUTS, when
    there are any): a value can end inside a longer word only after that many letters."""
    todo = [trie]
    while todo:
        node = todo.pop()
        node.pop(CUTS, None)
        ends = sorted({len(w) for w, child in node.items() if type(w) is str and END in child})
        todo.extend(child for w, child in node.items() if type(w) is str)
        if ends:
            node[CUTS] = tuple(ends)
