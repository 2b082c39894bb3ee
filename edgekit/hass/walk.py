"""One left-to-right pass of a compiled language's token automaton over one input, with its lists.

A position is (word index, offset in the word): a list or wildcard glued to what follows may end inside a
word, and a word the template glues before a list may end inside one, so the next step starts there. A
reading (thread) is (cost, state, slots, contexts, open wildcard, context key); at each position at most
one thread per (state, context key) survives, the cheapest (kept under the state alone when its readings
brought no context: a tuple fewer a step), so time is linear in the input for a given
home. Costs rank readings as hassil does (recognize_best with best_slot_name="name"): longest {name} text
(a block's fixed name counting as one of no text), fewest wildcards, most literal characters, least
wildcard text; the four are packed into one integer (radix 2**20, each sum below 2**19 in magnitude for
inputs under half a million characters) above ORDER_BITS bits that break a tie within one template as
hassil does, for the alternative written first: where the template wrote each of a reading's first
DEPTH list references, compared first to last, a reading with fewer ranking after (a count of them in the
lowest bits)."""
from __future__ import annotations

from typing import Any

from .compile import MAX_CHAR_STATES, CompiledLanguage
from .lists import ListTables
from .text import Tokens, surface_at

DEPTH, DEPTH_BITS, PLACE_BITS = 6, 3, 18  # a place is a template's character state
if MAX_CHAR_STATES > 1 << PLACE_BITS:
    raise ImportError("edgekit.hass.walk: PLACE_BITS is too small for MAX_CHAR_STATES")
ORDER_BITS = DEPTH_BITS + DEPTH * PLACE_BITS
_PLACE_SHIFT = tuple(DEPTH_BITS + PLACE_BITS * (DEPTH - 1 - d) for d in range(DEPTH))
_LAST_PLACE = (1 << PLACE_BITS) - 1
# a reading starts with every place at the last one: a reading whose references stop where another's go on
# ranks after it, as an optional's content comes before its empty alternative in hassil
_NO_PLACES = sum(_LAST_PLACE << s for s in _PLACE_SHIFT)
CHAR, LIT, WILD, NAME = 1 << ORDER_BITS, 1 << (ORDER_BITS + 20), 1 << (ORDER_BITS + 40), 1 << (ORDER_BITS + 60)
# In the pass for unmatched entities (Walker.run with unmatched=True) a list value read as an unknown one is
# ranked as hassil ranks it, as nothing (neither a wildcard nor literal text); its slot is marked UNMATCHED.
UNMATCHED = "unmatched"
# A block's fixed `name` slot (`slots: {name: all}`) counts as a name of no text when nothing said fills it:
# hassil's best_slot_name puts it after every reading with a name said and before those with none.
FIXED_NAME = NAME // 2
_SUFFIX_MEMO = 50_000  # answers per (state, word) Walker remembers (_suffix_cuts, _stops) before dropping them
_CACHED_WORD = 64      # longer words are not remembered


class _Pass:
    """What one pass keeps about its input: the words, the agenda (word -> threads at its start; `inside`:
    word -> offset -> threads inside it), the value matches already computed, and how far any reading has
    got."""
    __slots__ = ("surface", "toks", "keys", "agenda", "inside", "memo", "furthest", "out", "variant", "reach",
                 "stops", "unmatched", "_words", "_last_letters")

    def __init__(self, surface: str, toks: Tokens, variant: int, out: list, reach: list | None,
                 unmatched: bool = False) -> None:
        self.surface, self.toks, self.variant, self.out, self.reach = surface, toks, variant, out, reach
        self.unmatched = unmatched
        self.keys = toks.keys
        self.agenda: list[dict] = [{} for _ in range(len(toks.keys) + 1)]
        self.agenda[0][0] = (_NO_PLACES, 0, None, (), None, ())
        self.inside: dict[int, dict[int, dict]] = {}
        self.memo: dict[tuple, list] = {}
        self.furthest = 0
        self.stops: dict[int, list | None] = {}  # wildcard target -> per word, the next word it could close at
        self._words: set[str] | None = None
        self._last_letters: frozenset[str] | None = None

    def at(self, j: int, off: int) -> dict:
        """The threads at word j, offset off."""
        return self.agenda[j] if not off else self.inside.setdefault(j, {}).setdefault(off, {})

    def words(self) -> set[str]:
        """The input's words."""
        if self._words is None:
            self._words = set(self.keys)
        return self._words

    def last_letters(self) -> frozenset[str]:
        """The last letters of the input's words of more than one letter."""
        if self._last_letters is None:
            keys = self.keys
            self._last_letters = frozenset(k[-1] for k in keys if len(k) > 1) \
                if max(map(len, keys), default=0) > 1 else frozenset()  # CJK text: a letter a word
        return self._last_letters

    def push_at(self, j: int, key: Any, th: tuple) -> None:
        """Keep th at the start of word j (a jump ahead: that word is now within reach)."""
        _push(self.agenda[j], key, th)
        if j > self.furthest:
            self.furthest = j


class Walker:
    """The automaton of one compiled language, with each state's list and wildcard edges laid out for
    the pass (lists by key, wildcards apart), and the pass itself."""

    def __init__(self, compiled: CompiledLanguage, lists: ListTables) -> None:
        c = self.c = compiled
        self.lists = lists
        self.tok, self.final, self.prefixed = c.tok, c.final, c.prefixed
        # state -> list key -> (rank, kind, list key, ((next state, slot, where the template wrote it), ...))
        self.groups: list[dict] = []
        self.wild: list[tuple] = []    # state -> ((next state, slot), ...)
        self.marks: list[tuple] = []   # state -> ((kind, nested key, next state, slot), ...): zero-width edges
        for s, edges in enumerate(c.slot_edges):
            groups: dict[tuple[str, str], list] = {}
            wild, marks = [], []
            for sid, t, place in edges:
                spec = c.specs[sid]
                if spec.kind == "wildcard":
                    wild.append((t, spec.slot))
                elif spec.kind in ("open", "value"):
                    marks.append((spec.kind, spec.list_key, t, spec.slot))
                else:
                    groups.setdefault((spec.kind, spec.list_key), []).append((t, spec.slot, place))
            self.groups.append({key: (rank, kind, key, tuple(items))
                                for rank, ((kind, key), items) in enumerate(groups.items())})
            self.wild.append(tuple(wild))
            self.marks.append(tuple(marks))
        self.special = [bool(self.groups[s] or self.wild[s] or self.marks[s] or s in self.prefixed)
                        for s in range(len(c.tok))]
        self.intent_of = [c.blocks[r.block].intent for r in c.sentences]
        self.fixes_name = [FIXED_NAME if "name" in c.blocks[r.block].slots else 0 for r in c.sentences]
        self._last_chars = [frozenset(k[-1] for k in m if k) for m in c.tok]
        self._lengths = [tuple(sorted({len(k) for k in m})) for m in c.tok]
        # a wildcard going on to these states may close before any word: another wildcard, an inlined
        # list value or a glued word follows it
        self._anywhere = [bool(self.wild[s] or self.marks[s] or s in self.prefixed) for s in range(len(c.tok))]
        # state -> (the words, the last letters of the words) that what follows its wildcards starts with, when
        # that is all that can close them (see _stops_of): none of them in the input, no wildcard opens there
        self._wild_gate = [self._gate(s) for s in range(len(c.tok))]
        # state -> (its one word, the state after it) when that word is all it reads (see _follow_chain)
        self._chain = [next(iter(m.items())) if len(m) == 1 and not self.special[s] and not c.final[s] else None
                       for s, m in enumerate(c.tok)]
        self._suffix_memo: dict[tuple[int, str], tuple[int, ...]] = {}  # see _suffix_cuts
        self._closes_memo: dict[tuple[int, str, bool], bool] = {}  # see _stops; valid for one generation of lists
        self._memo_lists = lists.generation

    def _gate(self, s: int) -> tuple[frozenset[str], frozenset[str]] | None:
        """_wild_gate of state s (None: some wildcard of it may close before any word, at a list value or at
        the end of the input)."""
        targets = [t for t, _slot in self.wild[s]]
        if not targets or any(self._anywhere[t] or self.final[t] or self.groups[t] for t in targets):
            return None
        return (frozenset(k for t in targets for k in self.tok[t]),
                frozenset().union(*(self._last_chars[t] for t in targets)))

    def run(self, surface: str, toks: Tokens, variant: int, out: list, reach: list | None = None,
            unmatched: bool = False) -> None:
        """Append (cost, intent, template id, order, variant, slots, contexts, surface) for every reading of
        the whole input to out (best first when sorted on the first five); with `reach`, record the last
        position any reading got to (for the rejection reason); with `unmatched`, a home list may also read
        words none of its values says (see _open_unmatched)."""
        p = _Pass(surface, toks, variant, out, reach, unmatched)
        n = len(toks.keys)
        agenda = p.agenda
        for j in range(n):
            if agenda[j]:
                self._offset(p, j, 0, agenda[j])
            if j in p.inside:  # a match ended inside this word: go on from there, in order
                self._inside_word(p, j, p.inside[j])
            if agenda[j + 1]:
                if j + 1 > p.furthest:
                    p.furthest = j + 1
            elif j >= p.furthest:
                return  # no reading got past this word
        if agenda[n]:
            if reach is not None:
                self._reached(p, n, 0, agenda[n])
            self._accept(p, agenda[n])

    def _inside_word(self, p: _Pass, j: int, offsets: dict) -> None:
        """The positions inside word j where a list, a wildcard or a glued word ended, in order (each may
        add later ones)."""
        done = 0  # offsets inside a word are above 0
        while True:
            nearest = None
            for o in offsets:  # a loop, not a comprehension (a function call)
                if o > done and (nearest is None or o < nearest):
                    nearest = o
            if nearest is None:
                return
            done = nearest
            if offsets[done]:
                self._offset(p, j, done, offsets[done])

    def _offset(self, p: _Pass, j: int, off: int, here: dict) -> None:
        """Advance every thread at one position: the word (or the rest of it) by a token edge, an open
        wildcard over the word, and from states with list, wildcard or glued edges, whatever those read."""
        if p.reach is not None:
            self._reached(p, j, off, here)
        word = p.keys[j][off:]
        nxt = p.agenda[j + 1]
        tok, special, has_slots, last_chars = self.tok, self.special, self.c.slot_edges, self._last_chars
        chain = self._chain
        lit = len(word) * LIT
        work = list(here.items())
        while work:
            key, th = work.pop()
            if here.get(key) is not th:
                continue
            wild = th[4]
            if wild is not None:  # an open wildcard: close it before this word, or carry it over
                if off:
                    continue
                target = wild[0]
                if has_slots[target] or word in tok[target]:
                    self._close_wildcard(p, j, th, here, work)
                if len(word) > 1 and word[-1] in last_chars[target]:
                    self._wild_cut(p, j, 1, th)
                self._carry(p, j + 1, target, key, th)
                continue
            s = th[1]
            t = tok[s].get(word)
            if t is not None:
                cost = th[0] - lit
                if chain[t] is None or p.reach is not None:
                    nk = (t, th[5]) if th[5] else t
                    old = nxt.get(nk)
                    if old is None or cost < old[0]:
                        nxt[nk] = (cost, t, th[2], th[3], None, th[5])
                else:
                    self._follow_chain(p, j + 1, t, cost, th)
            if special[s]:
                self._branch(p, j, off, word, th, here, work)

    def _follow_chain(self, p: _Pass, j: int, t: int, cost: int, th: tuple) -> None:
        """A thread going on to a state whose one way on is one word (no list, wildcard or end there) reads
        the words that take it along such states at once, and waits where that stops; a CJK template's
        characters are mostly such a chain."""
        keys, chain, n = p.keys, self._chain, len(p.keys)
        ahead = chain[t]
        while ahead is not None and j < n and keys[j] == ahead[0]:
            cost -= len(ahead[0]) * LIT
            t = ahead[1]
            j += 1
            ahead = chain[t]
        _push(p.agenda[j], (t, th[5]) if th[5] else t, (cost, t, th[2], th[3], None, th[5]))
        if j > p.furthest:
            p.furthest = j

    @staticmethod
    def _reached(p: _Pass, j: int, off: int, here: dict) -> None:
        """Note the position as the furthest a reading got to, with the states there (rejection reason)."""
        alive = [th[1] for th in here.values() if th[4] is None]
        if alive:
            p.reach[:] = [j, off, p.surface, p.toks, alive]

    def _accept(self, p: _Pass, here: dict) -> None:
        """At the end of the input: every closed thread in a final state is a reading; an open wildcard
        closes here when its template ends."""
        final, surface, variant, intent_of = self.final, p.surface, p.variant, self.intent_of
        work = list(here.items())
        while work:
            key, th = work.pop()
            if here.get(key) is not th:
                continue
            if th[4] is not None:
                target = th[4][0]
                if final[target] or self.c.slot_edges[target]:
                    closed = self._closed(th, p.toks.ends[-1])
                    key = (target, th[5]) if th[5] else target
                    if _push(here, key, closed):
                        work.append((key, closed))
                continue
            if self.marks[th[1]]:
                self._follow_marks(p, len(p.keys), 0, th, here, work)
            for sent in final[th[1]]:
                cost = th[0] - self.fixes_name[sent] if self.fixes_name[sent] and not _fills(th[2], "name") else th[0]
                p.out.append((cost >> ORDER_BITS, intent_of[sent], sent, cost & (CHAR - 1), variant, th[2], th[3],
                              surface))

    def _branch(self, p: _Pass, j: int, off: int, word: str, th: tuple, here: dict, work: list) -> None:
        """The non-token edges of a thread's state: a glued word ending inside this word, lists whose
        values start here, wildcards opening here."""
        s = th[1]
        pre = self.prefixed.get(s)
        if pre:  # a word written right before a list ("ב{area}"): the list starts inside this word
            for k in pre:
                if len(word) > len(k) and word.startswith(k):
                    t = self.tok[s][k]
                    _push(p.at(j, off + len(k)), (t, th[5]) if th[5] else t,
                          (th[0] - len(k) * LIT, t, th[2], th[3], None, th[5]))
        groups = self.groups[s]
        if groups:
            starting = self.lists.starting(word, not off and p.toks.numbers[j])
            if starting:  # loops, not comprehensions: each of those is a function call
                hits = []
                if len(starting) < len(groups):
                    for k in starting:
                        g = groups.get(k)
                        if g is not None:
                            hits.append(g)
                    if len(hits) > 1:
                        hits.sort()  # in the state's own order, so that ties between lists always go the same way
                else:
                    for k, g in groups.items():
                        if k in starting:
                            hits.append(g)
                for _rank, kind, key, items in hits:
                    self._read_list(p, j, off, kind, key, items, th)
            if p.unmatched:
                self._open_unmatched(p, j, off, word, th)
        if self.wild[s]:
            gate = self._wild_gate[s]
            if gate is None or not gate[0].isdisjoint(p.keys) or not gate[1].isdisjoint(p.last_letters()):
                self._open_wildcards(p, j, off, word, th)
        if self.marks[s]:
            self._follow_marks(p, j, off, th, here, work)

    def _read_list(self, p: _Pass, j: int, off: int, kind: str, key: str, items: tuple, th: tuple) -> None:
        """Every value of one list said from (j, off), each moving the thread on to where the value ends
        (always past (j, off): a value is never empty)."""
        matches = self._values_at(p, kind, key, j, off)
        cost, _s, slots, ctxs, _w, ck = th
        depth = cost & ((1 << DEPTH_BITS) - 1)  # _place_shift(cost), inline on the hot path
        shift = _PLACE_SHIFT[depth] if depth < DEPTH else None
        for end, eoff, value, vtext, vctx, meta, lit in matches:
            if vctx:
                nctx, nck = ctxs + (vctx,), ck + (id(vctx),)
            else:
                nctx, nck = ctxs, ck
            tgt = p.agenda[end] if not eoff else p.at(end, eoff)
            if end > p.furthest:
                p.furthest = end
            for t, slot, place in items:
                ncost = cost - lit * LIT - (len(vtext) * NAME if slot == "name" else 0)
                if shift is not None:
                    ncost += ((place - _LAST_PLACE) << shift) + 1
                tk = (t, nck) if nck else t
                old = tgt.get(tk)
                if old is None or ncost < old[0]:
                    nslots = ((slot, value, vtext, False, meta), slots) if slot else slots
                    tgt[tk] = (ncost, t, nslots, nctx, None, nck)

    def _values_at(self, p: _Pass, kind: str, key: str, j: int, off: int) -> list:
        """The values of one list said from (j, off) (ListTables.matches), computed once a pass."""
        mk = (key, j, off)
        matches = p.memo.get(mk)
        if matches is None:
            matches = p.memo[mk] = self.lists.matches(kind, key, p.toks, p.surface, j, off)
        return matches

    def _follow_marks(self, p: _Pass, j: int, off: int, th: tuple, here: dict, work: list) -> None:
        """Zero-width edges around a list value inlined with its own lists: "open" notes where the value
        starts, "value" fills the outer slot with the value's out (or its text) and context."""
        cost, _s, slots, ctxs, _w, ck = th
        toks = p.toks
        for kind, key, t, slot in self.marks[th[1]]:
            if kind == "open":
                if j == len(p.keys):
                    continue
                nslots = ((None, surface_at(p.surface, toks, j, off), "(", False, None), slots)
                ncost, nctx, nck = cost, ctxs, ck
            else:
                end = surface_at(p.surface, toks, j, off) if off else (toks.ends[j - 1] if j else 0)
                start = _opened_at(slots)
                text = p.surface[start:end]
                out, vctx, meta = self.c.nested[key]
                nslots = ((None, end, ")", False, None), slots)
                if slot:
                    nslots = ((slot, text if out is None else out, text, False, meta), nslots)
                ncost = cost - (len(text) * NAME if slot == "name" else 0)
                nctx, nck = (ctxs + (vctx,), ck + (id(vctx),)) if vctx else (ctxs, ck)
            nth = (ncost, t, nslots, nctx, None, nck)
            key = (t, nck) if nck else t
            if _push(here, key, nth):
                work.append((key, nth))

    def _open_wildcards(self, p: _Pass, j: int, off: int, word: str, th: tuple) -> None:
        """Open each wildcard of the thread's state at (j, off) when what the template says after it can
        still come; it reads at least the rest of this word, or ends inside it."""
        cost, _s, slots, ctxs, _w, ck = th
        start = surface_at(p.surface, p.toks, j, off)
        anywhere, final, known = self._anywhere, self.final, p.stops
        for t, slot in self.wild[th[1]]:
            if not anywhere[t] and not final[t] and (known[t] if t in known else self._stops_of(p, t)) is None:
                continue  # what the template says after the wildcard is nowhere in the input
            wth = (cost + WILD, -1, slots, ctxs, (t, slot, start, True), ck)
            self._carry(p, j + 1, t, ("w", t, slot, ck), wth)
            if len(word) > 1 and word[-1] in self._last_chars[t]:
                self._wild_cut(p, j, off + 1, wth)

    def _open_unmatched(self, p: _Pass, j: int, off: int, word: str, th: tuple) -> None:
        """A text list none of whose values is said at (j, off) reads the words from here as an unknown
        value, closing where a wildcard would, as hassil's allow_unmatched_entities does: the reading says
        which device, area or other value the home or the language does not have."""
        cost, _s, slots, ctxs, _w, ck = th
        start = None
        shift = _place_shift(cost)  # placed as a list value read here is (see _read_list)
        for _rank, kind, key, items in self.groups[th[1]].values():
            if kind != "text" or self._values_at(p, kind, key, j, off):
                continue
            if start is None:
                start = surface_at(p.surface, p.toks, j, off)
            for t, slot, place in items:
                if slot is None:
                    continue
                ucost = cost if shift is None else cost + ((place - _LAST_PLACE) << shift) + 1
                uth = (ucost, -1, slots, ctxs, (t, slot, start, UNMATCHED), ck)
                self._carry(p, j + 1, t, ("u", t, slot, ck), uth)
                if len(word) > 1 and word[-1] in self._last_chars[t]:
                    self._wild_cut(p, j, off + 1, uth)

    def _close_wildcard(self, p: _Pass, j: int, th: tuple, here: dict, work: list) -> None:
        """Close an open wildcard before word j (the template goes on with that word, or a list follows)."""
        target = th[4][0]
        closed = self._closed(th, p.toks.ends[j - 1])
        key = (target, th[5]) if th[5] else target
        if _push(here, key, closed):
            work.append((key, closed))

    @staticmethod
    def _closed(th: tuple, end: int) -> tuple:
        """A wildcard (or unmatched entity) thread closed at character `end`: its slot holds the span (cut
        out at the end), marked as the thread's wildcard was (True, or UNMATCHED)."""
        cost, _s, slots, ctxs, (target, slot, start, kind), ck = th
        nslots = ((slot, (start, end), None, kind, None), slots) if slot else slots
        return (cost + (end - start) * CHAR, target, nslots, ctxs, None, ck)

    def _carry(self, p: _Pass, j: int, t: int, key: Any, th: tuple) -> None:
        """An open wildcard reads on from word j: it goes straight to the next word where it could close
        (what the template says after it is that word, the end of it, or a list value starting there, or
        the input ends and the template may end there); where a wildcard or a glued word follows, every
        word."""
        if self._anywhere[t]:
            p.push_at(j, key, th)
            return
        stops = p.stops[t] if t in p.stops else self._stops_of(p, t)
        if stops is None:
            if self.final[t]:
                p.push_at(len(p.keys), key, th)
        elif stops[j] is not None:
            p.push_at(stops[j], key, th)

    def _stops_of(self, p: _Pass, t: int) -> list | None:
        """_stops for state t, kept for the pass; None when what follows the wildcard is nowhere in the input
        (no word, no end of a longer word, no list value starts), so that only the end can close it."""
        if not self.groups[t]:
            if self.tok[t].keys().isdisjoint(p.words()) and self._last_chars[t].isdisjoint(p.last_letters()):
                p.stops[t] = None
                return None
        stops = p.stops[t] = self._stops(p, t)
        return stops

    def _stops(self, p: _Pass, t: int) -> list:
        """For each word of the input, the first word from there on where a wildcard going on to state t
        could close (None: nowhere)."""
        keys, numbers = p.keys, p.toks.numbers
        memo = self._closes_memo
        if self._memo_lists != self.lists.generation:  # a list was replaced: where values start has changed
            memo.clear()
            self._memo_lists = self.lists.generation
        stops: list = [None] * (len(keys) + 1)
        stops[-1] = len(keys) if self.final[t] else None
        for i in range(len(keys) - 1, -1, -1):
            key = (t, keys[i], numbers[i])
            closes = memo.get(key)
            if closes is None:
                closes = self._closes_at(*key)
                if len(keys[i]) <= _CACHED_WORD:
                    if len(memo) >= _SUFFIX_MEMO:
                        memo.clear()
                    memo[key] = closes
            stops[i] = i if closes else stops[i + 1]
        return stops

    def _closes_at(self, t: int, word: str, number: bool) -> bool:
        """Whether a wildcard going on to state t could close at this word: t reads it, a list value of t
        starts with it, or it ends with a word t reads."""
        groups = self.groups[t]
        return word in self.tok[t] or \
            bool(groups and not groups.keys().isdisjoint(self.lists.starting(word, number))) or \
            (len(word) > 1 and word[-1] in self._last_chars[t] and bool(self._suffix_cuts(t, word)))

    def _suffix_cuts(self, t: int, word: str) -> tuple[int, ...]:
        """Where a word may be cut so that its rest is a word state t reads (a wildcard ending inside it),
        first cut first; remembered, as the automaton never changes."""
        key = (t, word)
        cuts = self._suffix_memo.get(key)
        if cuts is None:
            nexts, n = self.tok[t], len(word)
            cuts = tuple(n - size for size in reversed(self._lengths[t]) if size < n and word[n - size:] in nexts)
            if n <= _CACHED_WORD:
                if len(self._suffix_memo) >= _SUFFIX_MEMO:
                    self._suffix_memo.clear()
                self._suffix_memo[key] = cuts
        return cuts

    def _wild_cut(self, p: _Pass, j: int, first: int, th: tuple) -> None:
        """A wildcard may end inside word j (at a cut from `first` on) when the rest of the word is what
        the template says next ("pizza" in "pizzatimer"), as hassil's search for the next chunk allows."""
        target = th[4][0]
        base = p.toks.starts[j]
        for cut in self._suffix_cuts(target, p.keys[j]):
            if cut >= first:
                _push(p.at(j, cut), (target, th[5]) if th[5] else target, self._closed(th, base + cut))

def _place_shift(cost: int) -> int | None:
    """Where in the order bits the place of a reading's next list reference goes (None: past DEPTH, not
    kept); a reference then adds ((place - _LAST_PLACE) << shift) + 1, counting itself in the lowest bits."""
    depth = cost & ((1 << DEPTH_BITS) - 1)
    return _PLACE_SHIFT[depth] if depth < DEPTH else None


def _opened_at(slots: tuple | None) -> int:
    """Where the innermost inlined list value still open in a slot chain started."""
    depth = 0
    while slots:
        name, pos, mark = slots[0][:3]
        if name is None:
            if mark == ")":
                depth += 1
            elif depth:
                depth -= 1
            else:
                return pos
        slots = slots[1]
    return 0


def _push(agenda: dict, key: Any, th: tuple) -> bool:
    """Keep th at key unless a cheaper thread is there; True when it was kept."""
    old = agenda.get(key)
    if old is None or th[0] < old[0]:
        agenda[key] = th
        return True
    return False


def _fills(slots: tuple | None, name: str) -> bool:
    """Whether a reading's slot chain ((slot, value, text, wildcard, metadata), rest) fills slot `name`."""
    while slots:
        if slots[0][0] == name:
            return True
        slots = slots[1]
    return False
