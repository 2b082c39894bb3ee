"""Digestion into a lattice: tokenize (after protecting data-word spans), then let every layer add its
matches as new edges over input positions, keeping every reading; the choice is made once, at the top.

Cost of a reading (grammars/README.md, "Ambiguity"): each input element left uncovered (or only passed
through by <word>/<token>/<any>) costs 1, each use of a rule with `cost c` costs c more; ties go to the
fewest symbols, then the highest total priority, then the leftmost, longest match, then the
earliest-declared matcher. Same input and grammar, same output.

Bound: a layer reads each lattice edge once per active thread (start position within MAX_SPAN behind it,
times the DFA states alive there), so digestion is linear in the input length; per start and rule it keeps
the longest match (and shorter ones a lexicon word crosses), and a beam bounds the threads of one start
(limits.MAX_THREADS_PER_START). Captures are the positions of the automaton path, recovered from the DFA
states recorded on the winning derivation only."""
from __future__ import annotations

import re
from itertools import islice
from operator import itemgetter
from typing import Any

from ..limits import MAX_LAYER_PLANS, MAX_RESTRICTED_AUTOMATA, MAX_SPAN, MAX_THREADS_PER_START, MAX_TOKEN_CACHE

from .model import Ref, Rep, Template
from .compiled import CompiledForest
from .automaton import DEAD, START, T_ANY, T_DIGITS, T_PUNCT, T_TOKEN, T_WORD, LayerMatcher, TypesetTable
from .decider import decided_classes
from .gcpause import gc_paused
from .prefilter import DIGIT, required_chars
from .costs import CostModel
from .element import Element, Captures, lexicon_value, join_texts
from .expr import ExprError, compile_expr, format_value
from .lexicon import ListEntry, PhraseIndex, check_entries
from .matchers import MatcherTable
from .tokenize import DIGITS, PUNCT, WORD, cut_word, cut_words, scan, words

_KIND_TYPE = {WORD: T_WORD, DIGITS: T_DIGITS, PUNCT: T_PUNCT}
RESTRICT_BELOW = 4  # a layer runs restricted to the rules an input can match when they are under a quarter of it
_NO_CUTS: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


class Edge:
    """One reading of a span in the lattice: an input element (matcher -1) or a derivation of a matcher,
    whose children are found by following `chain`, the thread entries (cost, previous, child, DFA state)."""

    __slots__ = ("start", "end", "tsid", "matcher", "layer", "cost", "chain", "elem", "wrappers", "read", "read_at",
                 "entry", "automaton")

    def __init__(self, start: int, end: int, tsid: int, matcher: int, layer: int, cost: int, chain: Any,
                 elem: Element | None = None) -> None:
        self.start, self.end, self.tsid, self.matcher, self.layer = start, end, tsid, matcher, layer
        self.wrappers: list[Edge] | None = None  # derivations whose only child is this edge
        self.read = 0  # what reading this edge costs a rule of layer `read_at` (see _read_cost)
        self.read_at = 0
        self.entry: ListEntry | None = None  # the runtime list entry this edge matched
        self.automaton: LayerMatcher | None = None  # the layer automaton whose states `chain` records
        self.cost, self.chain, self.elem = cost, chain, elem


GC_PAUSE_CHARS = 1_000


def cycle_gc_paused(text: str) -> gc_paused:
    """Digesting a long text makes many container objects, and the cycle collector's passes over them
    grow faster than the text: it is paused while a text of GC_PAUSE_CHARS or more is digested and its
    reading built (a finished lattice holds no cycles, see Digester.lattice)."""
    return gc_paused(len(text) >= GC_PAUSE_CHARS)


class Lattice:
    """Every reading the layers found: `out[i]` are the edges starting at input position i."""

    def __init__(self, text: str, base: list[Element], out: list[list[Edge]], costs: CostModel) -> None:
        self.text, self.base, self.out, self.costs = text, base, out, costs

    @property
    def n(self) -> int:
        return len(self.base)

    def best_paths(self, k: int = 1) -> list[tuple[int, list[Edge]]]:
        """The k cheapest readings of the whole input, each (cost, edges left to right)."""
        if k == 1:
            return [self._best_path()]
        n = len(self.base)
        best: list[list[tuple]] = [[] for _ in range(n + 1)]
        best[n] = [(0, False, 0, 0, None, 0)]
        top = self.costs.top
        for i in range(n - 1, -1, -1):
            cands = []
            for e in self.out[i]:
                c0 = top(e)
                for rank, nxt in enumerate(best[e.end]):
                    cands.append((c0 + nxt[0], e.matcher < 0, -e.end, e.matcher, e, rank))
            cands.sort(key=_path_key)
            best[i] = cands[:k]
        out = []
        for head in best[0]:
            edges, node = [], head
            while node[4] is not None:
                edges.append(node[4])
                node = best[node[4].end][node[5]]
            out.append((head[0], edges))
        return out

    def _best_path(self) -> tuple[int, list[Edge]]:
        """The cheapest reading; ties prefer a symbol over an input element, then the longest, then the
        earliest-declared matcher (the leftmost match wins, as the right-to-left scan meets it last)."""
        n = len(self.base)
        cost = [0] * (n + 1)
        choice: list[Edge | None] = [None] * (n + 1)
        costs = self.costs
        stay, unit = costs.read[costs.n_layers + 1], costs.unit  # CostModel.top, inlined
        out = self.out
        uncovered = unit + stay[0]
        for i in range(n - 1, -1, -1):
            edges = out[i]
            best, pick = uncovered + cost[i + 1], edges[0]  # the input element; the others are symbols
            for e in islice(edges, 1, None):
                c = e.cost + stay[e.layer] + cost[e.end]
                if c < best or (c == best and (pick.matcher < 0 or e.end > pick.end
                                               or (e.end == pick.end and e.matcher < pick.matcher))):
                    best, pick = c, e
            cost[i], choice[i] = best, pick
        edges, i = [], 0
        while i < n:
            e = choice[i]
            edges.append(e)
            i = e.end
        return cost[0], edges


def _passes_words(template: Template, words: set[str]) -> bool:
    """Whether a rule reads any run of words: its template an unbounded repeat of <token>, <word>, <any> or
    a rule that is one of them (`words`)."""
    return isinstance(template, Rep) and template.hi is None and isinstance(template.item, Ref) \
        and template.item.name in words


def _raw_index(ends: list[int], folded: int) -> int:
    """The index in a word of the first character whose casefolded end reaches `folded` (0 for 0)."""
    if folded <= 0:
        return 0
    for i, n in enumerate(ends):
        if n >= folded:
            return i + 1
    return len(ends)


def _path_key(c: tuple) -> tuple:
    return c[:4]


class Digester:
    """Runs a compiled forest over text."""

    def __init__(self, compiled: CompiledForest) -> None:
        self.compiled = compiled
        self.typesets = TypesetTable()
        self.vocab: dict[str, int] = compiled.vocab
        self.matchers = MatcherTable(compiled)
        self.tables = compiled.tables
        # characters mapped before anything reads the input, one to one (the `translate` statement)
        self._translate = str.maketrans(compiled.translate) if compiled.translate else None
        self.layers = [LayerMatcher(l, self.typesets) for l in compiled.layers]
        self.data = [(re.compile(d.pattern), d.type, d.name) for d in compiled.data if d.decider is None]
        self.decided = decided_classes(compiled.data)
        self._data_always: set[int] = set()
        self._data_digit: set[int] = set()
        self._data_by_char: dict[str, set[int]] = {}
        for order, d in enumerate(d for d in compiled.data if d.decider is None):
            required = required_chars(d.pattern)
            if required is None:
                self._data_always.add(order)
            for c in required or ():
                (self._data_digit if c == DIGIT else self._data_by_char.setdefault(c, set())).add(order)
        self.class_ids = compiled.class_ids
        # rules that pass any words through (`<token>+`, a wildcard): every length of their match is kept, so
        # that the words after it can be read by the rule above (at most MAX_SPAN edges per start)
        stored = list(self.matchers.stored_items())
        through = {"token", "word", "any"}
        through |= {m.name for _, m in stored if isinstance(m.template, Ref) and m.template.name in through}
        self._every_length = frozenset(mi for mi, m in stored if _passes_words(m.template, through))
        self._cuts = compiled.cuts if any(compiled.cuts) else _NO_CUTS
        self._tok_ts: dict[str, int] = {}  # token text -> typeset id (the text decides the token's kind)
        self.data_ts = {t: self.typesets.intern(frozenset((t, T_ANY))) for _, t, _ in self.data}
        # runtime-only companions of the matchers (the compiled forest itself stays plain data); per-id lists hold
        # small integers only, an entry's own data stays in its lexicon's record (matchers.py)
        self.costs = CostModel(len(self.layers), self.matchers.ranks())
        n_entries = self.matchers.n_entries
        stored = self.matchers.stored
        own = self.costs.own
        self.own_cost = [own(1, 0, mi) for mi in range(n_entries)]
        self.own_cost += [own(m.layer, m.cost, mi) for mi, m in self.matchers.stored_items()]
        self.symbol_ts = []
        for lx in self.matchers.lexicons:
            self.symbol_ts += [self.typesets.intern(frozenset((lx.type, T_ANY)))] * len(lx.canonical)
        self.symbol_ts += [self.typesets.intern(frozenset((m.type, T_ANY))) for m in stored]
        self.layer_of = [1] * n_entries + [m.layer for m in stored]
        # value and text functions of the rules, by id - n_entries
        self.value_fns = [compile_expr(m.value, self.tables) if m.value is not None else None for m in stored]
        self.text_fns = [compile_expr(m.text, self.tables) if m.text is not None else None for m in stored]
        self.typesets.freeze()  # the symbols' and data classes' typesets stay; tokens' ones are bounded
        self.lexicon = PhraseIndex()
        for start, lx in zip(self.matchers.starts, self.matchers.lexicons):
            self.lexicon.add_lexicon(lx.phrase, lx.more, start)
        self.runtime: dict[str, tuple[int, PhraseIndex, list[ListEntry]]] = {}
        for mi, m in self.matchers.stored_items():
            if m.kind == "runtime":
                self.runtime[m.class_name] = (mi, PhraseIndex(), [])
        self._through: dict[int, bool] = {}  # typeset -> _passes_through, filled on demand
        self._literals = frozenset(self.vocab.values())
        self._restricted: dict[tuple[int, frozenset[int]], LayerMatcher] = {}  # see _restricted_layer
        self._plans: dict[tuple[int, frozenset[int]], tuple] = {}  # see _plan
        self._entries: dict[int, tuple] = {}  # lexicon entry id -> what _entry_symbol needs, filled on use
        self.captures = [m.captures for m in stored]  # rule id - n_entries -> capture name -> repeated
        # rule id - n_entries -> what building its element needs: value and text functions, captures, the
        # repeated ones (bound to lists), layer, typeset
        self._n_entries = n_entries
        self._rule_parts = [(vf, tf, caps, [name for name, multi in caps.items() if multi], m.layer, ts)
                            for vf, tf, caps, m, ts in zip(self.value_fns, self.text_fns, self.captures, stored,
                                                           self.symbol_ts[n_entries:])]
        self._needs: tuple | None = None  # see _index_needs
        self._rules_on: list[int] = []

    def set_list(self, name: str, entries: list[ListEntry | str]) -> None:
        """Replace the entries of runtime list `name` (validated first; nothing changes on an error)."""
        mi, _old, _ = self.runtime[name]
        checked = check_entries(name, entries)
        index = PhraseIndex()
        for k, e in enumerate(checked):
            index.add(" ".join(cut_words(words(e.text), *self._cuts)), k)
        self.runtime[name] = (mi, index, checked)

    # ---- elements -----------------------------------------------------------------------------
    def _token_tsid(self, text: str, kind: str) -> int:
        types = {T_TOKEN, T_ANY, _KIND_TYPE[kind]}
        lit = self.vocab.get(text.casefold())
        if lit is not None:
            types.add(lit)
        if kind == WORD:
            types.update(self.decided.classes_of(text))
        tsid = self.typesets.intern(frozenset(types))
        if len(self._tok_ts) >= MAX_TOKEN_CACHE:
            self._tok_ts.clear()
        self._tok_ts[text] = tsid
        return tsid

    def _tokens(self, text: str, start: int, end: int, out: list[Element]) -> None:
        cache = self._tok_ts
        before, after = cuts = self._cuts
        for t, kind, s, e, space in scan(text, start, end):
            if cuts is not _NO_CUTS and kind == WORD:
                pieces = cut_word(t.casefold(), before, after)
                if len(pieces) > 1:
                    self._cut_tokens(t, pieces, s, space, out)
                    continue
            tsid = cache.get(t)
            if tsid is None:
                tsid = self._token_tsid(t, kind)
            out.append(Element(tsid, s, e, space, t, t))

    def _cut_tokens(self, word: str, pieces: list[str], at: int, space: bool, out: list[Element]) -> None:
        """The elements of one word cut into pieces of its casefolded text (a `cut` statement), each piece
        tokenized again. Where casefolding changes a character's length (ß -> ss) and a cut falls inside it,
        the piece before the cut keeps the whole character and the piece after it is empty in the text."""
        ends, n = [], 0  # the casefolded length of word[:i + 1]
        for ch in word:
            n += len(ch.casefold())
            ends.append(n)
        folded_at = 0
        for piece in pieces:
            for t, kind, s, e, _ in scan(piece):
                tsid = self._tok_ts.get(t)
                if tsid is None:
                    tsid = self._token_tsid(t, kind)
                start = _raw_index(ends, folded_at + s)
                end = _raw_index(ends, folded_at + e)
                raw = word[start:end]  # "" for a piece inside a character casefolding made longer
                out.append(Element(tsid, at + start, at + end, space, raw, raw))
                space = False
            folded_at += len(piece)

    def _data_candidates(self, text: str) -> list[int]:
        """The data classes (in declaration order) whose regex can match text at all (prefilter.py)."""
        chars = set(text)
        run = set(self._data_always)
        if self._data_digit and any(c.isdigit() for c in chars):
            run |= self._data_digit
        for c in chars.intersection(self._data_by_char):
            run |= self._data_by_char[c]
        return sorted(run)

    def elements(self, text: str) -> list[Element]:
        """Tokens, with spans recognised by data classes protected as single data elements."""
        if self.typesets.bound():  # between two digestions: no typeset id is in use
            self._tok_ts.clear()
            self._through.clear()  # keyed by typeset id too
            self._plans.clear()
        if not self.data:
            out: list[Element] = []
            self._tokens(text, 0, len(text), out)
            return out
        spans = []
        for order in self._data_candidates(text):
            rx, tid, _name = self.data[order]
            for m in rx.finditer(text):
                if m.end() > m.start():
                    spans.append((m.start(), m.start() - m.end(), order, m, tid))
        spans.sort(key=lambda s: s[:3])
        out, pos = [], 0
        for s, _neg, _o, m, tid in spans:
            if s < pos:
                continue
            self._tokens(text, pos, s, out)
            e = Element(self.data_ts[tid], s, m.end(), s > 0 and text[s - 1].isspace(), m.group(), m.group())
            e.groups = m.groupdict()
            out.append(e)
            pos = m.end()
        self._tokens(text, pos, len(text), out)
        return out

    # ---- the lattice ----------------------------------------------------------------------------
    def lattice(self, text: str, k: int = 1) -> Lattice:
        """Every reading of text through every layer, keeping the k cheapest derivations per span and matcher."""
        if self._translate is not None:
            text = text.translate(self._translate)
        base = self.elements(text)
        out = [[Edge(i, i + 1, e.tsid, -1, 0, 0, None, e)] for i, e in enumerate(base)]
        out.append([])
        wrapped: list[Edge] = []  # the edges given wrappers (see the end)
        self._trie_edges(base, out, wrapped)
        where: dict[int, list[int]] = {}  # typeset -> the positions where an edge of it starts
        for p, edges in enumerate(out):
            for e in edges:
                at = where.get(e.tsid)
                if at is None:
                    where[e.tsid] = [p]
                else:
                    at.append(p)
        plans = self._plans
        n = len(base)
        present = frozenset(where)
        for number in range(1, len(self.layers) + 1):
            if len(where) != len(present):  # the layer below added edges of new typesets
                present = frozenset(where)
            key = (number, present)
            plan = plans.get(key)
            if plan is None:
                plan = self._plan(key)
            if not plan:
                continue
            layer, readable, starters = plan
            if layer.full:
                layer.reset()
            starts = set()
            for ts in starters:
                at = where.get(ts)
                if at is not None:
                    starts.update(at)
            if k == 1:
                self._read_layer_best(layer, number, out, n, readable, starts, where, wrapped)
            else:
                self._read_layer(layer, number, out, n, k, readable, starts, where, wrapped)
        for e in wrapped:  # the back references (an edge -> its wrappers -> their chains -> the edge) were
            e.wrappers = None  # needed while reading only: without them the lattice holds no cycle and is freed
            # as soon as it is dropped, not at the next collection
        return Lattice(text, base, out, self.costs)

    def _plan(self, key: tuple[int, frozenset[int]]) -> tuple:
        """How layer `number` reads a lattice whose edges have the typesets `present`: () when none of its
        rules can match (their required types are absent, prefilter.required_types, or nothing can start),
        else (the automaton to run, restricted to the rules that can match; the typesets it reads; those
        of them that can begin a match).
        Cached per (layer, typesets), at most MAX_LAYER_PLANS."""
        number, present = key
        sets = self.typesets.sets
        types: set[int] = set().union(*[sets[t] for t in present])
        keyed, always, clauses, type_clauses = self._needs if self._needs is not None else self._index_needs()
        candidates = set(always[number - 1])
        met: set[int] = set()  # the clauses (by id) one of whose types is present
        for t in types:
            for at, mi in keyed.get(t, ()):
                if at == number - 1:
                    candidates.add(mi)
            ids = type_clauses.get(t)
            if ids:
                met.update(ids)
        possible = [mi for mi in candidates if clauses[mi] <= met]
        plan: tuple = ()
        if possible:
            layer = self.layers[number - 1]
            if len(possible) * RESTRICT_BELOW < self._rules_on[number - 1]:
                layer = self._restricted_layer(number, frozenset(possible))
            if layer.full:
                layer.reset()
            readable = layer.readable(present)
            starters = frozenset(ts for ts in readable if layer.step(START, ts) != DEAD)
            if starters:
                plan = (layer, readable, starters)
        if len(self._plans) >= MAX_LAYER_PLANS:
            self._plans.clear()
        self._plans[key] = plan
        return plan

    def _restricted_layer(self, number: int, owners: frozenset[int]) -> LayerMatcher:
        """Layer `number`'s automaton running only the rules in `owners` (the others cannot match this
        input), kept for the next input that needs the same rules; at most MAX_RESTRICTED_AUTOMATA kept
        (past it all are dropped, with the plans that run them)."""
        key = (number, owners)
        got = self._restricted.get(key)
        if got is None:
            if len(self._restricted) >= MAX_RESTRICTED_AUTOMATA:
                self._restricted.clear()
                self._plans.clear()
            got = self._restricted[key] = self.layers[number - 1].restricted(owners)
        return got

    def _index_needs(self) -> tuple:
        """Each rule's required types (prefilter.required_types, found at compile time) indexed by the types of
        one of its clauses (the smallest), so an input looks up only the rules it may meet: (type -> [(layer index,
        rule)], per layer the rules that require nothing, rule -> the ids of its other clauses, type -> the ids
        of the clauses it meets), so a rule's other clauses are checked as one set inclusion."""
        keyed: dict[int, list[tuple[int, int]]] = {}
        always: list[list[int]] = [[] for _ in self.layers]
        clauses: dict[int, frozenset[int]] = {}  # rule -> the ids of its other clauses
        ids: dict[frozenset[int], int] = {}  # a clause -> its id (equal clauses share one)
        type_clauses: dict[int, list[int]] = {}  # type -> the clauses it meets
        self._rules_on = [0] * len(self.layers)
        for mi, m in self.matchers.stored_items():
            if m.kind != "rule":
                continue
            number = m.layer - 1
            self._rules_on[number] += 1
            need = [frozenset(c) for c in m.needs]  # the compiler sorted them, smallest first
            if not need:
                always[number].append(mi)
                clauses[mi] = frozenset()
                continue
            for t in need[0]:
                keyed.setdefault(t, []).append((number, mi))
            own = set()
            for c in need[1:]:
                cid = ids.get(c)
                if cid is None:
                    cid = ids[c] = len(ids)
                    for t in c:
                        type_clauses.setdefault(t, []).append(cid)
                own.add(cid)
            clauses[mi] = frozenset(own)
        self._needs = (keyed, always, clauses, type_clauses)
        return self._needs

    def _trie_edges(self, base: list[Element], out: list[list[Edge]], wrapped: list[Edge]) -> None:
        """Layer-1 edges of every lexicon entry and runtime list entry (the hash layer, lexicon.py); the
        input edges they wrap are added to `wrapped`."""
        folded = [None if e.groups is not None else e.text.casefold() for e in base]
        own, symbol_ts = self.own_cost, self.symbol_ts
        indexes = [(self.lexicon, None, None)] + [(x, mi, entries) for mi, x, entries in self.runtime.values()
                                                  if x.size]
        for index, list_mi, entries in indexes:
            phrases, prefixes = index.phrases, index.prefixes
            for i, token in enumerate(folded):
                if token in prefixes:
                    found = index.matches(folded, i)
                else:  # one token, no longer phrase: one lookup (the common case)
                    items = phrases.get(token)
                    if items is None:
                        continue
                    found = ((i + 1, (items,) if type(items) is int else items),)
                for end, items in found:
                    chain = None
                    for j in range(i, end):
                        chain = (0, chain, out[j][0], START)
                    at = out[i]
                    for item in reversed(items):  # read last-made first: the earliest declared wins ties
                        m = item if list_mi is None else list_mi
                        e = Edge(i, end, symbol_ts[m], m, 1, own[m], chain)
                        if list_mi is not None:
                            e.entry = entries[item]
                        at.append(e)
                        if end == i + 1:
                            _wrap(at[0], e, wrapped)

    def _read_cost(self, e: Edge, number: int, gaps: list[int]) -> int:
        """What edge e costs a rule of layer `number` that reads it: its own cost plus the layers it stays
        unwrapped, or, if cheaper, what reading a derivation that wraps it alone would cost (the
        layer-by-layer policy counted a unit-wrapped element as its wrapper)."""
        c = e.cost + gaps[e.layer]
        if e.matcher < 0 and self._passes_through(e.tsid):
            c += self.costs.unit
        if e.wrappers:
            for w in e.wrappers:
                if w.layer < number:
                    r = w.read if w.read_at == number else self._read_cost(w, number, gaps)
                    if r < c:
                        c = r
        e.read, e.read_at = c, number
        return c

    def _passes_through(self, tsid: int) -> bool:
        """Whether a token of this typeset is a word no rule names (only <word>, <token> or <any> can read
        it): a rule reading it passes it through without explaining it, so it still costs as uncovered."""
        through = self._through
        got = through.get(tsid)
        if got is None:
            types = self.typesets.sets[tsid]
            got = through[tsid] = T_TOKEN in types and types.isdisjoint(self._literals)
        return got


    def _read_layer(self, layer: LayerMatcher, number: int, out: list[list[Edge]], n: int, k: int,
                    readable: set[int], starts: set[int], where: dict[int, list[int]], wrapped: list[Edge]) -> None:
        """Run one layer's automaton over every path of the lattice (threads keyed by start and DFA state,
        the k cheapest entries each), adding an edge for every accepted span and matcher.

        Edges leaving a node are read last-made first (out[p] holds them by layer, and within one layer
        and end by descending matcher), so among equal costs the first entry kept is the more digested
        edge, then the earlier-declared matcher. `_read_layer_best` is the same walk for k = 1, kept
        separate because it is the hot path (one entry per thread, no lists)."""
        threads: list[dict | None] = [None] * (n + 1)
        hits: list[tuple] = []  # (end, start, -matcher, cost, entry) of every accepting thread, by end
        step, accepts = layer.step, layer.accepts
        own = self.own_cost
        gaps = self.costs.read[number]
        for p in range(n + 1):
            here = threads[p]
            if here is not None and len(here) > MAX_SPAN:
                _prune(here, _first_entry_cost)
            here = threads[p]
            if here is not None:
                threads[p] = None
                for key, entries in here.items():
                    for m in accepts[key & 0xFFFFFFFF]:
                        hits.extend((p, key >> 32, -m, ent[0] + own[m], ent) for ent in entries)
            if p == n:
                break
            edges = [e for e in reversed(out[p]) if e.tsid in readable]  # last-made first
            for e in edges if p in starts else ():
                d = step(START, e.tsid)
                if d != DEAD:
                    c = e.read if e.read_at == number else self._read_cost(e, number, gaps)
                    _push(threads, e.end, (p << 32) | d, (c, None, e, d), k)
            for key, entries in (here or {}).items():
                start, d0 = key >> 32, key & 0xFFFFFFFF
                for e in edges:
                    if e.end > start + MAX_SPAN:
                        continue
                    d = step(d0, e.tsid)
                    if d != DEAD:
                        r = e.read if e.read_at == number else self._read_cost(e, number, gaps)
                        for ent in entries:
                            _push(threads, e.end, (start << 32) | d, (ent[0] + r, ent, e, d), k)
        self._add_kept(out, number, hits, layer, k, where, wrapped)

    def _read_layer_best(self, layer: LayerMatcher, number: int, out: list[list[Edge]], n: int,
                         readable: set[int], starts: set[int], where: dict[int, list[int]],
                         wrapped: list[Edge]) -> None:
        """_read_layer for k = 1: a thread is one entry (cost, previous entry, edge, DFA state)."""
        threads: list[dict | None] = [None] * (n + 1)
        hits: list[tuple] = []  # (end, start, -matcher, cost, entry) of every accepting thread, by end
        step, cache, accepts, goes_on = layer.step, layer.cache, layer.accepts, layer.goes_on
        own = self.own_cost
        gaps = self.costs.read[number]
        read_cost = self._read_cost
        for p in range(n + 1):
            here = threads[p]
            if here is None:
                if p not in starts:
                    continue
            else:
                threads[p] = None
                if len(here) > MAX_SPAN:
                    _prune(here, _entry_cost)
                for key, ent in here.items():
                    acc = accepts[key & 0xFFFFFFFF]
                    if acc:
                        start, c0 = key >> 32, ent[0]
                        for m in acc:
                            hits.append((p, start, -m, c0 + own[m], ent))
                if p == n:
                    break
            # last-made first (all of a lower layer: this layer's edges are added at its end)
            if here is None:  # threads only start here: an unreadable typeset steps to DEAD anyway
                edges = reversed(out[p])
            else:
                edges = [e for e in reversed(out[p]) if e.tsid in readable]
                if not edges:
                    continue
            for e in edges if p in starts else ():  # threads starting here
                d = cache.get(e.tsid)  # START is 0, so the cache key is the typeset alone
                if d is None:
                    d = step(START, e.tsid)
                if d != DEAD:
                    if e.read_at == number:
                        c = e.read
                    elif e.wrappers is None and e.matcher >= 0:  # _read_cost's answer, without the call
                        c = e.cost + gaps[e.layer]
                    else:
                        c = read_cost(e, number, gaps)
                    key = (p << 32) | d
                    bucket = threads[e.end]
                    if bucket is None:
                        threads[e.end] = {key: (c, None, e, d)}
                    else:
                        old = bucket.get(key)
                        if old is None or c < old[0]:
                            bucket[key] = (c, None, e, d)
            if here is None:
                continue
            moves_of: dict[int, list] = {}  # DFA state -> its moves here (edge, end, state, read cost)
            for key, ent in here.items():
                d0 = key & 0xFFFFFFFF
                moves = moves_of.get(d0)
                if moves is None:  # threads of many starts often share a state: its moves are found once
                    moves = moves_of[d0] = []
                    if goes_on[d0]:
                        base_key = d0 << 24
                        for e in edges:
                            d = cache.get(base_key | e.tsid)
                            if d is None:
                                d = step(d0, e.tsid)
                            if d != DEAD:
                                if e.read_at == number:
                                    r = e.read
                                elif e.wrappers is None and e.matcher >= 0:
                                    r = e.cost + gaps[e.layer]
                                else:
                                    r = read_cost(e, number, gaps)
                                moves.append((e, e.end, d, r))
                if not moves:
                    continue
                start = key >> 32
                limit = start + MAX_SPAN
                c0 = ent[0]
                for e, end, d, r in moves:
                    if end > limit:
                        continue
                    c = c0 + r
                    tkey = (start << 32) | d
                    bucket = threads[end]
                    if bucket is None:
                        threads[end] = {tkey: (c, ent, e, d)}
                    else:
                        old = bucket.get(tkey)
                        if old is None or c < old[0]:
                            bucket[tkey] = (c, ent, e, d)
        self._add_kept(out, number, hits, layer, 1, where, wrapped)

    def _add_kept(self, out: list[list[Edge]], number: int, hits: list[tuple], automaton: LayerMatcher,
                  k: int, where: dict[int, list[int]], wrapped: list[Edge]) -> None:
        """Add a layer's edges once it has read the whole lattice, from its accepting threads (`hits`, by
        end). Per start and matcher the longest match is kept, and a shorter one only where a word of the
        lexicons (or runtime lists) starts at its end and reaches past the longest, which would cut that
        word ("一千克" keeps 一 beside 一千, for 千克); so repeats add one edge per start, not one per
        length. Per span and matcher the k cheapest derivations are kept (ties: the thread met first).
        Each node's edges go in by end, then by descending matcher, the order the tie-breaks expect."""
        if not hits:
            return
        if len(hits) == 1:
            kept = hits
        else:
            kept = self._longest_kept(out, hits, self._every_length)
        symbol_ts = self.symbol_ts
        span, count = None, 0
        for end, start, neg_m, cost, ent in kept:
            if span == (end, start, neg_m):
                count += 1
                if count >= k:
                    continue
            else:
                span, count = (end, start, neg_m), 0
            ts = symbol_ts[-neg_m]
            e = Edge(start, end, ts, -neg_m, number, cost, ent)
            e.automaton = automaton
            out[start].append(e)
            at = where.get(ts)
            if at is None:
                where[ts] = [start]
            else:
                at.append(start)
            if ent[1] is None:  # a derivation with one child wraps it (see _read_cost)
                _wrap(ent[2], e, wrapped)

    @staticmethod
    def _longest_kept(out: list[list[Edge]], hits: list[tuple], every: frozenset[int] = frozenset()) -> list[tuple]:
        """The hits _add_kept keeps (the longest per start and matcher, the shorter ones a lexicon word
        crossing their end needs, and every one of a matcher in `every`), in the order it adds them."""
        longest = {}
        for h in hits:
            longest[(h[1], h[2])] = h[0]
        reach: dict[int, int] = {}
        kept = []
        for h in hits:
            end = h[0]
            last = longest[(h[1], h[2])]
            if end != last and -h[2] not in every:
                r = reach.get(end)
                if r is None:
                    r = reach[end] = max(e.end for e in out[end] if e.layer <= 1)
                if r <= last:
                    continue
            kept.append(h)
        kept.sort(key=_kept_order)
        return kept

    # ---- symbols ------------------------------------------------------------------------------------
    def element(self, edge: Edge, source: str, memo: dict[int, Element]) -> Element:
        """The element (value, text, children) of one derivation; only chosen derivations are built."""
        el = edge.elem
        if el is not None:
            return el
        el = memo.get(id(edge))
        if el is not None:
            return el
        mi = edge.matcher
        if mi < self._n_entries:
            el = self._entry_symbol(mi, _chain_elements(edge.chain))
        elif edge.entry is not None:
            el = self._list_symbol(mi, _chain_elements(edge.chain), edge.entry)
        else:
            built, states = [], []  # the chain runs right to left
            ent = edge.chain
            while ent is not None:
                c = ent[2]
                built.append(c.elem or self.element(c, source, memo))
                states.append(ent[3])
                ent = ent[1]
            built.reverse()
            states.reverse()
            children = tuple(built)
            value_fn, text_fn, caps, multi, number, ts = self._rule_parts[mi - self._n_entries]
            binds: dict[str, Any] = {}
            if caps:
                for name in multi:
                    binds[name] = []
                automaton = edge.automaton or self.layers[number - 1]
                for k, name in automaton.captured(mi, states):
                    if caps[name]:
                        binds[name].append(children[k])
                    else:
                        binds[name] = children[k]
            el = self._symbol(mi, children, binds, source, value_fn, text_fn, number, ts)
        memo[id(edge)] = el
        return el

    def _entry_symbol(self, mi: int, children: tuple) -> Element:
        """The element of a lexicon entry: its canonical form, unless that is what was written (then the
        writer's case stays), and its value."""
        got = self._entries.get(mi)
        if got is None:
            lx, k = self.matchers.entry(mi)
            got = self._entries[mi] = (lx.canonical[k], lx.canonical[k].casefold(), lx.verbatim,
                                       lexicon_value(lx.value[k]), self.symbol_ts[mi])
        canonical, folded, verbatim, value, ts = got
        first = children[0]
        surface = join_texts(children)
        e = Element(ts, first.start, children[-1].end, first.space,
                    surface if verbatim or surface.casefold() == folded else canonical, value, mi, children, 1)
        e.captures = {}
        return e

    def _list_symbol(self, mi: int, children: tuple, entry: ListEntry) -> Element:
        first = children[0]
        e = Element(self.symbol_ts[mi], first.start, children[-1].end, first.space, join_texts(children),
                    entry.text if entry.value is None else entry.value, mi, children, 1)
        e.captures = {}
        e.context = entry.context
        return e

    def _symbol(self, mi: int, children: tuple, binds: dict[str, Any], source: str, value_fn: Any, text_fn: Any,
                number: int, ts: int) -> Element:
        first = children[0]
        e = Element(ts, first.start, children[-1].end, first.space, None, None, mi, children, number)
        e.captures = binds
        if value_fn is None and text_fn is None:
            e.value = _default_value(children)
            e._text = join_texts(children)
            return e
        env = Captures(binds, source)
        try:
            e.value = value_fn(env) if value_fn is not None else _default_value(children)
            env.own_value = e.value
            if text_fn is None:
                e._text = format_value(e.value)
            else:
                e._render = (text_fn, env)
        except ExprError as exc:
            e.error = str(exc)
            e.value, e._text = None, join_texts(children)
        return e


def _wrap(child: Edge, wrapper: Edge, wrapped: list[Edge]) -> None:
    """Record that `wrapper` is a derivation whose only child is `child` (see Digester._read_cost); `wrapped`
    collects the edges given wrappers, whose back references the lattice drops once read."""
    if child.wrappers is None:
        child.wrappers = [wrapper]
        wrapped.append(child)
    else:
        child.wrappers.append(wrapper)


def _default_value(children: tuple) -> Any:
    """A rule's value without a value clause: its one symbol's (or data element's) value, else, for a rule
    over one element, that element's value, else none."""
    symbol = None
    for c in children:
        if c.matcher >= 0 or c.groups is not None:
            if symbol is not None:
                return None
            symbol = c
    if symbol is not None:
        return symbol.value
    return children[0].value if len(children) == 1 else None


def _chain_elements(ent: tuple) -> tuple:
    """The input elements a lexicon or list entry edge covers (its chain's children are input edges)."""
    if ent[1] is None:
        return (ent[2].elem,)
    out = []
    while ent is not None:
        out.append(ent[2].elem)
        ent = ent[1]
    out.reverse()
    return tuple(out)


def _entry_cost(ent: tuple) -> int:
    return ent[0]


def _first_entry_cost(entries: list) -> int:
    return entries[0][0]


_kept_order = itemgetter(0, 1, 2, 3)  # end, start, -matcher, cost


def _prune(here: dict[int, Any], cost_of: Any) -> None:
    """Keep the MAX_THREADS_PER_START cheapest threads of each start at one position (see limits.py)."""
    per_start: dict[int, list[tuple[int, int, int]]] = {}
    for order, (key, ent) in enumerate(here.items()):
        per_start.setdefault(key >> 32, []).append((cost_of(ent), order, key))
    for entries in per_start.values():
        if len(entries) > MAX_THREADS_PER_START:
            entries.sort()
            for _c, _o, key in entries[MAX_THREADS_PER_START:]:
                del here[key]


def _push(threads: list, node: int, key: int, entry: tuple, k: int) -> None:
    """Add a thread entry at a lattice node, keeping the k cheapest per (start, DFA state); ties keep the
    entry that came first."""
    bucket = threads[node]
    if bucket is None:
        threads[node] = {key: [entry]}
        return
    entries = bucket.get(key)
    if entries is None:
        bucket[key] = [entry]
    elif len(entries) < k or entry[0] < entries[-1][0]:
        at = len(entries)
        while at and entries[at - 1][0] > entry[0]:
            at -= 1
        entries.insert(at, entry)
        del entries[k:]
