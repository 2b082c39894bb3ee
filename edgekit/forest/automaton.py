"""Per-layer matcher: the layer's NFA over symbol types, run as a lazily built DFA.

Elements carry a *typeset* (the classes, literal word and builtin kinds they count as), interned to an
integer; a DFA transition is cached per (state, typeset), so after warm-up each step is one dict lookup.
A match never spans more than MAX_SPAN elements, which keeps digestion linear in the input length."""
from __future__ import annotations

from typing import Callable, Sequence

from ..limits import MAX_SPAN  # noqa: E402  (a match covers at most this many elements)
DEAD = -1

# Builtin token classes, usable as <token>, <word>, <digits>, <punct>, <any>; their ids come first.
BUILTIN_TYPES = ("token", "word", "digits", "punct", "any")
T_TOKEN, T_WORD, T_DIGITS, T_PUNCT, T_ANY = range(5)


class TypesetTable:
    """Interns frozensets of type ids to small integers shared by all layers of one forest."""

    def __init__(self) -> None:
        self.sets: list[frozenset[int]] = []
        self._ids: dict[frozenset[int], int] = {}

    def intern(self, types: frozenset[int]) -> int:
        tid = self._ids.get(types)
        if tid is None:
            tid = self._ids[types] = len(self.sets)
            self.sets.append(types)
        return tid


class LayerMatcher:
    """Finds, from any start position, every span some matcher of this layer accepts (best matcher per span)."""

    def __init__(self, states: list, accepts: list, priorities: Sequence[int], typesets: TypesetTable) -> None:
        self.eps = [s[0] for s in states]
        self.trans: list[dict[int, list[int]]] = []
        for s in states:
            table: dict[int, list[int]] = {}
            for tid, target in s[1]:
                table.setdefault(tid, []).append(target)
            self.trans.append(table)
        self.accept_of = {state: m for state, m in accepts}
        self.priorities = priorities
        self.typesets = typesets
        self.dfa: list[frozenset[int]] = []
        self.dfa_ids: dict[frozenset[int], int] = {}
        self.best: list[int] = []
        self.cache: dict[int, int] = {}
        self.start = self._intern(self._closure({0}))
        self.start_types = frozenset(t for s in self.dfa[self.start] for t in self.trans[s])

    def _closure(self, seeds: set[int]) -> frozenset[int]:
        out, stack = set(seeds), list(seeds)
        while stack:
            for nxt in self.eps[stack.pop()]:
                if nxt not in out:
                    out.add(nxt)
                    stack.append(nxt)
        return frozenset(out)

    def _intern(self, states: frozenset[int]) -> int:
        did = self.dfa_ids.get(states)
        if did is None:
            did = self.dfa_ids[states] = len(self.dfa)
            self.dfa.append(states)
            found = [self.accept_of[s] for s in states if s in self.accept_of]
            # highest priority wins, then the earliest declared matcher
            self.best.append(min(found, key=lambda m: (-self.priorities[m], m)) if found else -1)
        return did

    def step(self, state: int, tsid: int) -> int:
        key = (state << 24) | tsid
        nxt = self.cache.get(key)
        if nxt is None:
            types = self.typesets.sets[tsid]
            targets: set[int] = set()
            for s in self.dfa[state]:
                table = self.trans[s]
                for t in types:
                    hit = table.get(t)
                    if hit:
                        targets.update(hit)
            nxt = self._intern(self._closure(targets)) if targets else DEAD
            self.cache[key] = nxt
        return nxt

    def matches(self, tsids: Sequence[int]) -> list[list[tuple[int, int]]] | None:
        """For each start i, the (end, matcher) pairs accepted there (by increasing end); None when
        nothing matches at all."""
        n = len(tsids)
        out: list | None = None
        start, best, step, cache = self.start, self.best, self.step, self.cache
        key0 = start << 24
        for i in range(n):
            state = cache.get(key0 | tsids[i])
            if state is None:
                state = step(start, tsids[i])
            if state == DEAD:
                continue
            j = i + 1
            limit = min(n, i + MAX_SPAN)
            hits = None
            while True:
                m = best[state]
                if m >= 0:
                    if hits is None:
                        hits = []
                        if out is None:
                            out = [None] * n
                        out[i] = hits
                    hits.append((j, m))
                if j >= limit:
                    break
                nxt = cache.get((state << 24) | tsids[j])
                state = step(state, tsids[j]) if nxt is None else nxt
                if state == DEAD:
                    break
                j += 1
        return out


def build_nfa(node: list, states: list, start: int, type_of: Callable[[list], int]) -> int:
    """Thompson construction: add states for template `node` from state `start`; return its end state.

    A state is [epsilon targets, [[type id, target], ...]]; `type_of` maps a lit/ref node to its type id."""
    def new() -> int:
        states.append([[], []])
        return len(states) - 1

    tag = node[0]
    if tag in ("lit", "ref"):
        end = new()
        states[start][1].append([type_of(node), end])
        return end
    if tag == "seq":
        cur = start
        for child in node[1]:
            cur = build_nfa(child, states, cur, type_of)
        return cur
    if tag == "alt":
        end = new()
        for child in node[1]:
            s = new()
            states[start][0].append(s)
            states[build_nfa(child, states, s, type_of)][0].append(end)
        return end
    if tag == "opt":
        end = new()
        states[start][0].append(end)
        states[build_nfa(node[1], states, start, type_of)][0].append(end)
        return end
    if tag == "rep":
        _, child, lo, hi = node
        cur = start
        for _ in range(lo):
            cur = build_nfa(child, states, cur, type_of)
        if hi is None:
            loop = new()
            states[cur][0].append(loop)
            states[build_nfa(child, states, loop, type_of)][0].append(loop)
            return loop
        end = new()
        states[cur][0].append(end)
        for _ in range(hi - lo):
            cur = build_nfa(child, states, cur, type_of)
            states[cur][0].append(end)
        return end
    raise ValueError(f"unknown template node {tag!r}")
