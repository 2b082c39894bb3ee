"""Per-layer matcher: a position (Glushkov) automaton over symbol types, determinized lazily.

Every automaton state except the start is one *position* of a template: a literal or a reference, with
its type and capture. There are no epsilon moves, so the positions an accepted path went through name
the capture of every element it consumed; `path` recovers them from the DFA states recorded while the
lattice was read, without re-matching the template. Sizes are checked at compile time against the
limits in edgekit/limits.py (`size_problem`), so no grammar can make an automaton explode.

Elements carry a *typeset* (the classes, literal word and builtin kinds they count as), interned to an
integer; a DFA transition is cached per (state, typeset), and every cache is bounded (limits.py)."""
from __future__ import annotations

import weakref
from typing import Callable, Sequence

from ..limits import MAX_AUTOMATON_POSITIONS, MAX_AUTOMATON_TRANSITIONS, MAX_DFA_STATES, MAX_PATH_CACHE, MAX_TYPESETS
from .compiled import LayerSpec
from .model import Alt, Lit, Opt, Ref, Rep, Seq, Template

DEAD = -1
START = 0  # the DFA state before any element: the set holding only the virtual start position

# Builtin token classes, usable as <token>, <word>, <digits>, <punct>, <any>; their ids come first.
BUILTIN_TYPES = ("token", "word", "digits", "punct", "any")
T_TOKEN, T_WORD, T_DIGITS, T_PUNCT, T_ANY = range(5)


class TypesetTable:
    """Interns frozensets of type ids to small integers shared by all layers of one forest.

    The first `permanent` ids (the symbols' and data classes' typesets) never change; past them, at most
    MAX_TYPESETS more are kept: `bound()`, called between two digestions, drops the others and resets
    every automaton that reads this table (their caches are keyed by typeset id). An automaton whose own
    caches are full is reset by whoever runs it next (Digester.lattice)."""

    def __init__(self) -> None:
        self.sets: list[frozenset[int]] = []
        self._ids: dict[frozenset[int], int] = {}
        self.permanent = 0
        self.users: weakref.WeakSet[LayerMatcher] = weakref.WeakSet()

    def intern(self, types: frozenset[int]) -> int:
        tid = self._ids.get(types)
        if tid is None:
            tid = self._ids[types] = len(self.sets)
            self.sets.append(types)
        return tid

    def freeze(self) -> None:
        """Make every id interned so far permanent."""
        self.permanent = len(self.sets)

    def bound(self) -> bool:
        """Keep the table within its limit; True if the table was cut (so every typeset id past `permanent`
        is gone, and its users' caches, keyed by them, are reset)."""
        cut = len(self.sets) > self.permanent + MAX_TYPESETS
        if cut:
            for types in self.sets[self.permanent:]:
                del self._ids[types]
            del self.sets[self.permanent:]
            for user in list(self.users):
                user.reset()
        return cut


# ---- compile time: templates -> positions -------------------------------------------------------------
def template_size(node: Template) -> int:
    """How many positions a template's automaton has (repeats unrolled), computed without building it."""
    match node:
        case Lit() | Ref():
            return 1
        case Seq(items) | Alt(items):
            return sum(template_size(c) for c in items)
        case Opt(item):
            return template_size(item)
        case Rep(item, lo, hi):
            return template_size(item) * (hi if hi is not None else lo + 1)
    raise TypeError(f"not a template node: {node!r}")


def template_links(node: Template) -> tuple[bool, int, int, int]:
    """(nullable, first positions, last positions, transitions) of a template's automaton, counted as
    PositionsBuilder would make them but without building it (each repeated part is counted once)."""
    match node:
        case Lit() | Ref():
            return False, 1, 1, 0
        case Seq(items):
            return _seq_links([template_links(c) for c in items])
        case Alt(items):
            parts = [template_links(c) for c in items]
            return (any(p[0] for p in parts), sum(p[1] for p in parts), sum(p[2] for p in parts),
                    sum(p[3] for p in parts))
        case Opt(item):
            return (True,) + template_links(item)[1:]
        case Rep(item, lo, None):  # child{lo} child*
            child = template_links(item)
            n, f, l, t = _seq_links([child] * lo) if lo else (True, 0, 0, 0)
            _n2, f2, l2, t2 = child
            return n, (f + f2 if n else f), l + l2, t + t2 + l2 * f2 + l * f2
        case Rep(item, lo, hi):  # child{lo} (child (child ...)?)?
            child = template_links(item)
            tail = None
            for _ in range(hi - lo):
                tail = (True,) + (child if tail is None else _seq_links([child, tail]))[1:]
            return _seq_links([child] * lo + ([tail] if tail is not None else []))
    raise TypeError(f"not a template node: {node!r}")


def _seq_links(parts: list[tuple[bool, int, int, int]]) -> tuple[bool, int, int, int]:
    nullable, first, last, links = True, 0, 0, 0
    for n2, f2, l2, t2 in parts:
        links += t2 + last * f2
        first = first + f2 if nullable else first
        last = last + l2 if n2 else l2
        nullable = nullable and n2
    return nullable, first, last, links


class AutomatonTooLarge(Exception):
    """A template's automaton would pass MAX_AUTOMATON_POSITIONS or MAX_AUTOMATON_TRANSITIONS."""


class PositionsBuilder:
    """Builds the position automaton of one layer (or one rule): parallel lists indexed by position.
    Position 0 is the virtual start; `follow[0]` are the positions a match can begin with."""

    def __init__(self) -> None:
        self.types: list[int] = [-1]
        self.owner: list[int] = [-1]
        self.cap: list[str | None] = [None]
        self.follow: list[set[int]] = [set()]
        self.final: list[int] = []
        self.transitions = 0

    def add(self, node: Template, matcher: int, type_of: Callable[[Lit | Ref], int]) -> None:
        """Add one matcher's template; refuses (AutomatonTooLarge) before building anything too big."""
        if len(self.types) + template_size(node) > MAX_AUTOMATON_POSITIONS:
            raise AutomatonTooLarge(f"more than {MAX_AUTOMATON_POSITIONS} automaton positions "
                                    f"(MAX_AUTOMATON_POSITIONS; repeats are unrolled)")
        _nullable, first, _last, links = template_links(node)
        if self.transitions + links + first > MAX_AUTOMATON_TRANSITIONS:
            raise AutomatonTooLarge(f"more than {MAX_AUTOMATON_TRANSITIONS} automaton transitions "
                                    f"(MAX_AUTOMATON_TRANSITIONS)")
        _nullable, first, last = self._build(node, matcher, type_of)
        self._link([0], first)
        self.final.extend(last)

    def _link(self, sources: list[int], targets: list[int]) -> None:
        if not targets:
            return
        self.transitions += len(sources) * len(targets)
        if self.transitions > MAX_AUTOMATON_TRANSITIONS:
            raise AutomatonTooLarge(f"more than {MAX_AUTOMATON_TRANSITIONS} automaton transitions "
                                    f"(MAX_AUTOMATON_TRANSITIONS)")
        for p in sources:
            self.follow[p].update(targets)

    def _build(self, node: Template, matcher: int, type_of: Callable[[Lit | Ref], int]) -> tuple[bool, list, list]:
        match node:
            case Lit() | Ref():
                p = len(self.types)
                self.types.append(type_of(node))
                self.owner.append(matcher)
                self.cap.append(node.capture if isinstance(node, Ref) else None)
                self.follow.append(set())
                return False, [p], [p]
            case Seq(items):
                nullable, first, last = True, [], []
                for child in items:
                    n2, f2, l2 = self._build(child, matcher, type_of)
                    self._link(last, f2)
                    first = first + f2 if nullable else first
                    last = last + l2 if n2 else l2
                    nullable = nullable and n2
                return nullable, first, last
            case Alt(items):
                parts = [self._build(c, matcher, type_of) for c in items]
                return any(p[0] for p in parts), [q for p in parts for q in p[1]], [q for p in parts for q in p[2]]
            case Opt(item):
                _n, f, l = self._build(item, matcher, type_of)
                return True, f, l
            case Rep(child, lo, None):  # child{lo} child*
                if lo:
                    n, f, l = self._build(child if lo == 1 else Seq((child,) * lo), matcher, type_of)
                else:
                    n, f, l = True, [], []
                _n2, f2, l2 = self._build(child, matcher, type_of)
                self._link(l2, f2)
                self._link(l, f2)
                return n, (f + f2 if n else f), l + l2
            case Rep(child, lo, hi):
                tail: Template | None = None  # child{lo} (child (child ...)?)?: the optional copies nest
                for _ in range(hi - lo):
                    tail = Opt(child if tail is None else Seq((child, tail)))
                items = [child] * lo + ([tail] if tail is not None else [])
                return self._build(items[0] if len(items) == 1 else Seq(tuple(items)), matcher, type_of)
        raise TypeError(f"not a template node: {node!r}")

    def spec(self) -> LayerSpec:
        """The automaton as stored in a compiled forest."""
        return LayerSpec(self.types, self.owner, self.cap, [sorted(f) for f in self.follow], sorted(set(self.final)))


# ---- run time -------------------------------------------------------------------------------------------
class LayerMatcher:
    """The lazily determinized automaton of one layer. A DFA state is a set of positions; `accepts[d]` are
    the matchers with a final position in it; `step` is one cached dict lookup once warm."""

    def __init__(self, spec: LayerSpec, typesets: TypesetTable) -> None:
        self.types: list[int] = spec.types
        self.owner: list[int] = spec.owner
        self.cap: list[str | None] = spec.cap
        self.follow: list[list[int]] = spec.follow
        self.final_set = frozenset(spec.final)
        self.finals: dict[int, list[int]] = {}  # matcher -> its final positions, ascending
        for p in sorted(self.final_set):
            self.finals.setdefault(self.owner[p], []).append(p)
        self.pred: list[list[int]] = [[] for _ in self.types]
        for p, targets in enumerate(self.follow):
            for q in targets:
                self.pred[q].append(p)
        self.typesets = typesets
        typesets.users.add(self)
        self.alphabet = frozenset(self.types[1:])
        self.owners: frozenset[int] | None = None  # the matchers a restricted copy runs (None: all)
        self.reset()

    def restricted(self, owners: frozenset[int]) -> "LayerMatcher":
        """A copy that runs only the rules of `owners` (its own DFA, built lazily; the positions shared):
        the start moves only into their positions, so every state reached holds only theirs."""
        copy = object.__new__(LayerMatcher)
        copy.__dict__.update(self.__dict__)
        copy.owners = owners
        copy.reset()
        copy.typesets.users.add(copy)  # its caches are keyed by typeset id too
        return copy

    def is_relevant(self, tsid: int) -> bool:
        """Whether an element of this typeset can ever be read by this layer (cached)."""
        r = self.relevant[tsid] = not self.alphabet.isdisjoint(self.typesets.sets[tsid])
        return r

    def readable(self, present: set[int]) -> set[int]:
        """The typesets among `present` that this layer can read at all."""
        relevant = self.relevant
        out = set()
        for tsid in present:
            r = relevant.get(tsid)
            if r is None:
                r = self.is_relevant(tsid)
            if r:
                out.add(tsid)
        return out

    def reset(self) -> None:
        """Forget the determinized states and what each typeset can do here (the caches are rebuilt on
        demand; called when they grow too big, or when the typeset table was cut)."""
        self.relevant: dict[int, bool] = {}
        self.dfa: list[frozenset[int]] = []
        self.dfa_ids: dict[frozenset[int], int] = {}
        self.accepts: list[tuple[int, ...]] = []
        self.goes_on: list[bool] = []  # whether a DFA state has any move (a thread in it can read on)
        self._moves: list[dict[int, frozenset[int]] | None] = []
        self.cache: dict[int, int] = {}
        self._captured: dict[tuple, tuple[tuple[int, str], ...]] = {}  # see captured
        self._intern(frozenset((0,)))

    @property
    def full(self) -> bool:
        return len(self.dfa) > MAX_DFA_STATES or len(self.cache) > 8 * MAX_DFA_STATES

    def _intern(self, states: frozenset[int]) -> int:
        did = self.dfa_ids.get(states)
        if did is None:
            did = self.dfa_ids[states] = len(self.dfa)
            self.dfa.append(states)
            owner = self.owner
            self.accepts.append(tuple(sorted({owner[p] for p in states & self.final_set})))
            follow = self.follow
            self.goes_on.append(any(follow[p] for p in states))
            self._moves.append(None)
        return did

    def moves(self, state: int) -> dict[int, frozenset[int]]:
        """Type id -> the positions reachable from DFA state `state` on an element of that type."""
        table = self._moves[state]
        if table is None:
            grouped: dict[int, set[int]] = {}
            types, owner, owners = self.types, self.owner, self.owners if state == START else None
            for p in self.dfa[state]:
                for q in self.follow[p]:
                    if owners is None or owner[q] in owners:
                        grouped.setdefault(types[q], set()).add(q)
            table = self._moves[state] = {t: frozenset(qs) for t, qs in grouped.items()}
        return table

    def step(self, state: int, tsid: int) -> int:
        key = (state << 24) | tsid
        nxt = self.cache.get(key)
        if nxt is None:
            table = self.moves(state)
            targets: set[int] = set()
            for t in self.typesets.sets[tsid]:
                hit = table.get(t)
                if hit:
                    targets |= hit
            nxt = self._intern(frozenset(targets)) if targets else DEAD
            self.cache[key] = nxt
        return nxt

    def expected_types(self, state: int) -> set[int]:
        return set(self.moves(state))

    def path(self, matcher: int, states: Sequence[int]) -> list[int]:
        """The positions an accepted match of `matcher` went through, from the DFA state after each element
        (walked backwards from its final positions through the predecessor lists, all in ascending order,
        so the first one in the state is the earliest position, which ties take)."""
        dfa, pred = self.dfa, self.pred
        here = dfa[states[-1]]
        for q in self.finals[matcher]:
            if q in here:
                break
        out = [q]
        for k in range(len(states) - 2, -1, -1):
            here = dfa[states[k]]
            for q in pred[q]:
                if q in here:
                    break
            out.append(q)
        out.reverse()
        return out

    def captured(self, matcher: int, states: list[int]) -> tuple[tuple[int, str], ...]:
        """(element index, capture name) of each element of an accepted match that a capture binds, from
        `path`; cached per (matcher, states) until the next reset, at most MAX_PATH_CACHE kept."""
        key = (matcher, *states)
        got = self._captured.get(key)
        if got is None:
            cap = self.cap
            got = tuple((k, cap[p]) for k, p in enumerate(self.path(matcher, states)) if cap[p] is not None)
            if len(self._captured) >= MAX_PATH_CACHE:
                self._captured.clear()
            self._captured[key] = got
        return got
