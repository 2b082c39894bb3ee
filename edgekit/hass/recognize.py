"""Recognize intents: run the token automata of a compiled language over one input, with the home's
lists set at run time and the caller's context, and rank the readings as hassil does.

One pass left to right; at each token position at most one reading per (automaton state, context
picked up so far) survives (the cheapest), so time is linear in the input for a given home."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..errors import DataError
from .compile import CompiledLanguage
from .text import Token, fold_case, normalize, prepare_input, remove_skip_words, skip_word_pattern, token_keys, tokenize

NO_MATCH = "no template matches the input"
# Rank of a reading, lowest first, as hassil ranks (recognize_ranked with best_slot_name="name"): longest
# {name} text, fewest wildcards, most literal characters, least wildcard text. The four sums are packed
# into one integer (radix 2**20, each sum below 2**19 in magnitude for inputs under half a million chars).
_LIT, _WILD, _NAME = 1 << 20, 1 << 40, 1 << 60
_END = None  # trie key of the payloads that end at a node


@dataclass(frozen=True)
class ListEntry:
    """One value of a runtime list: what is said, what the slot gets, the context it brings."""
    text: str
    value: Any = None
    context: dict[str, Any] | None = None


@dataclass(frozen=True)
class SlotValue:
    value: Any
    text: str
    wildcard: bool = False
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class IntentResult:
    """A recognized intent: slots with HA's value types, the merged context, the template that
    matched (its file:line and text), the block's response key and metadata, and its rank cost."""
    intent: str
    slots: dict[str, SlotValue]
    context: dict[str, Any]
    template: str
    where: str
    block: str
    response: str | None = "default"
    metadata: dict[str, Any] | None = None
    cost: int = field(default=0, compare=False)

    def slot_values(self) -> dict[str, Any]:
        return {k: v.value for k, v in self.slots.items()}


def _trie_add(trie: dict, keys: Iterable[str], payload: Any) -> None:
    node = trie
    for k in keys:
        node = node.setdefault(k, {})
    node.setdefault(_END, []).append(payload)


class Recognizer:
    """Parses text against one compiled language; runtime lists are replaced with set_list."""

    def __init__(self, compiled: CompiledLanguage) -> None:
        self.c = compiled
        self._lists: dict[str, dict] = {}
        self._longest: dict[str, int] = {}  # longest word of each list: bounds the cuts inside a word
        self._longest_word = max((len(k) for m in compiled.tok for k in m), default=0)
        for key, spellings in compiled.text_lists.items():
            trie: dict = {}
            for toks, value, ctx, meta in spellings:
                _trie_add(trie, toks, (value, ctx, meta))
            self._lists[key] = trie
            self._longest[key] = max((len(t) for toks, *_ in spellings for t in toks), default=0)
        for key in compiled.runtime_lists:
            self._lists.setdefault(key, {})
        self._range_tries: dict[str, dict] = {}
        self._range_sets: dict[str, frozenset] = {}
        for key, words in compiled.range_words.items():
            trie = {}
            for toks, value, chars in words:
                _trie_add(trie, toks, (value, chars))
            self._range_tries[key] = trie
        for key, rng in compiled.ranges.items():
            self._range_sets[key] = frozenset(float(x) for x in rng.numbers())
        self._skip = skip_word_pattern(compiled.skip_words)
        self._roots = {**self._lists, **self._range_tries}  # first words of every list
        self._initials = {k: {w[0] for w in root if w} for k, root in self._roots.items()}  # their first letters
        self._last_chars: dict[int, set[str]] = {}  # state -> last letters of the words it reads
        self._intent_of = [compiled.blocks[r.block].intent for r in compiled.sentences]
        specs = compiled.specs
        self._edges = [_group_edges(e, specs) for e in compiled.slot_edges]

    # ---- runtime lists ------------------------------------------------------------------------------
    @property
    def runtime_lists(self) -> list[str]:
        """Lists the templates use that the language does not define (name, area, floor ...)."""
        return sorted(self.c.runtime_lists)

    def set_list(self, name: str, entries: Iterable[ListEntry | str]) -> None:
        """Replace a runtime list (no recompilation): the entries' spoken texts go into a token trie."""
        if name not in self.c.runtime_lists:
            raise DataError(f"no runtime list {name!r} in language {self.c.language} "
                            f"(its templates use: {', '.join(self.runtime_lists) or 'none'})")
        trie: dict = {}
        longest = 0
        for k, e in enumerate(entries):
            if isinstance(e, str):
                e = ListEntry(e, e)
            if not isinstance(e, ListEntry) or not isinstance(e.text, str):
                raise DataError(f"list {name!r} entry {k}: expected text or a ListEntry, got {e!r}")
            toks = token_keys(normalize(e.text))  # as hassil reads a value: normalized, punctuation kept
            if not toks:
                continue
            _trie_add(trie, toks, (e.text.strip() if e.value is None else e.value, e.context, None))
            longest = max(longest, max(map(len, toks)))
        self._lists[name] = self._roots[name] = trie
        self._initials[name] = {w[0] for w in trie if w}
        self._longest[name] = longest

    # ---- parsing --------------------------------------------------------------------------------------
    def parse(self, text: str, context: Mapping[str, Any] | None = None, n: int = 1) -> list[IntentResult]:
        """The n best readings of text (best first); [] when no template matches."""
        if not isinstance(text, str):
            raise TypeError(f"expected text (str), got {type(text).__name__}")
        context = dict(context or {})
        prepared = prepare_input(text)
        variants = [prepared]
        stripped = remove_skip_words(prepared, self._skip)
        if stripped != prepared:
            variants.append(stripped)
        cands: list[tuple] = []
        for k, v in enumerate(variants):
            toks = tokenize(v)
            if toks:
                self._run(v, toks, context, k, cands)
        words = set(fold_case(stripped).split())
        results: dict[tuple, tuple] = {}
        intent_of = self._intent_of
        for cand in sorted(cands, key=lambda c: (c[0][0], intent_of[c[1]], c[1], c[0][1])):
            r = self._finish(cand, context, words)
            if r is not None:
                key = (r.intent, r.where, tuple(sorted((k, repr(v.value)) for k, v in r.slots.items())))
                if key not in results:
                    results[key] = r
                    if len(results) >= n:
                        break
        return list(results.values())

    def parse_with_reason(self, text: str, context: Mapping[str, Any] | None = None
                          ) -> tuple[IntentResult | None, str | None]:
        res = self.parse(text, context, 1)
        if res:
            return res[0], None
        return None, self._rejection(text, dict(context or {}))

    def _rejection(self, text: str, context: dict) -> str:
        """How far the templates got: the first word none of them accepts and what they expected there."""
        prepared = prepare_input(text)
        toks = tokenize(prepared)
        if not toks:
            return "empty input"
        reach: list = []
        self._run(prepared, toks, context, 0, [], reach)
        j, off, surface, toks, states = reach
        expected: set[str] = set()
        for st in states:
            expected.update(f"'{k}'" for k in self.c.tok[st])
            expected.update("{" + self.c.specs[sid].list_key.split(":")[-1] + "}" for sid, _ in self.c.slot_edges[st])
        shown = " or ".join(sorted(expected)[:8]) + (" ..." if len(expected) > 8 else "")
        if j >= len(toks):
            return f"{NO_MATCH}: every word was read, but the templates need more: {shown or 'nothing'}"
        got = surface[toks[j].start + off:toks[j].end]
        if j == 0 and not off:
            return f"{NO_MATCH}: no template starts with {got!r}"
        return f"{NO_MATCH}: after {surface[:toks[j].start + off]!r}, found {got!r} where a template expected {shown}"

    def _run(self, surface: str, toks: list[Token], context: dict, variant: int, out: list,
             reach: list | None = None) -> None:
        """Readings of one token sequence. A position is (word index, offset in the word): a list glued
        to what follows (`<area>[ ]temperatuur`, `<area>[ ]<name>`) may end inside a word, and the rest
        of that word is then matched by the template's glued continuation. A reading (thread) is
        (cost, state, slots, contexts, open wildcard, context key)."""
        tok, final, edges, prefixed = self.c.tok, self.c.final, self._edges, self.c.prefixed
        n = len(toks)
        keys = [t.key for t in toks]
        agenda: list[dict[int, dict]] = [{0: {}} for _ in range(n + 1)]
        agenda[0][0][(0, ())] = (0, 0, None, (), None, ())
        memo: dict[tuple, list] = {}
        push = self._push
        roots, initials = self._roots, self._initials
        later: dict[str, int] = {k: i for i, k in enumerate(keys)}  # last position of each word
        ending: dict[str, int] = {k[-1]: i for i, k in enumerate(keys) if len(k) > 1}  # of each last letter
        furthest = 0  # the furthest position a reading has reached: past it, nothing is left to do
        for j in range(n + 1):
            if j > furthest:
                break
            offsets = agenda[j]
            nxt = agenda[j + 1][0] if j < n else None
            order = [0] if len(offsets) == 1 else None
            done: set[int] = set()
            while True:
                if order is not None:
                    if not order:
                        break
                    off = order.pop()
                else:
                    rest = [o for o in offsets if o not in done]
                    if not rest:
                        break
                    off = min(rest)
                    done.add(off)
                here = offsets[off]
                if not here:
                    continue
                word = keys[j][off:] if j < n else ""
                number = j < n and not off and toks[j].number
                work = list(here.items())
                if reach is not None:
                    alive = [th[1] for th in here.values() if th[4] is None]
                    if alive:
                        reach[:] = [j, off, surface, toks, alive]
                while work:
                    key, th = work.pop()
                    if here.get(key) is not th:
                        continue
                    cost, s, slots, ctxs, wild, ck = th
                    if wild is not None:
                        if off:
                            continue
                        sid, target, start, slot = wild
                        a, b = toks[start].start, toks[j - 1].end  # the text is cut out at the end only
                        nslots = ((slot, (a, b), None, True, None), slots) if slot else slots
                        if edges[target] or (final[target] if j == n else keys[j] in tok[target]):
                            push(here, (target, ck), (cost + b - a, target, nslots, ctxs, None, ck), work)
                        if nxt is not None:
                            push(nxt, key, th, None)
                            if len(word) > 1:
                                self._wild_cut(offsets, th, j, start, keys, toks, surface)
                        continue
                    if j == n:
                        for sent in final[s]:
                            out.append(((cost, variant), sent, slots, ctxs, surface))
                        continue
                    t = tok[s].get(word)
                    if t is not None:
                        push(nxt, (t, ck), (cost - len(word) * _LIT, t, slots, ctxs, None, ck), None)
                    pre = prefixed.get(s)
                    if pre:  # a word written right before a list ("ב{area}"): the list starts inside this word
                        for k in pre:
                            if len(word) > len(k) and word.startswith(k):
                                t = tok[s][k]
                                push(offsets.setdefault(off + len(k), {}), (t, ck),
                                     (cost - len(k) * _LIT, t, slots, ctxs, None, ck), None)
                    for kind, list_key, items in edges[s]:
                        if kind == "wildcard":
                            if off:
                                continue
                            for sid, t, slot in items:
                                if self._can_follow(t, later, ending, j):
                                    wth = (cost + _WILD, -1, slots, ctxs, (sid, t, j, slot), ck)
                                    push(nxt, ("w", sid, t, ck), wth, None)
                                    if len(word) > 1:
                                        self._wild_cut(offsets, wth, j, j, keys, toks, surface)
                            continue
                        if not (word in roots[list_key] or (number and kind == "range") or
                                (len(word) > 1 and word[0] in initials[list_key])):
                            continue  # no value of this list starts here
                        mk = (list_key, j, off)
                        matches = memo.get(mk)
                        if matches is None:
                            matches = memo[mk] = self._matches(kind, list_key, keys, toks, surface, j, off)
                        for end, eoff, value, vtext, vctx, meta, lit in matches:
                            if vctx:
                                nctx, nck = ctxs + (vctx,), ck + (id(vctx),)
                            else:
                                nctx, nck = ctxs, ck
                            tgt = agenda[end].setdefault(eoff, {})
                            if end > furthest:
                                furthest = end
                            for sid, t, slot in items:
                                ncost = cost - lit * _LIT - (len(vtext) * _NAME if slot == "name" else 0)
                                nslots = ((slot, value, vtext, False, meta), slots) if slot else slots
                                push(tgt, (t, nck), (ncost, t, nslots, nctx, None, nck),
                                     work if tgt is here else None)
                if order is not None and len(offsets) > 1:  # a match ended inside this word: go on in order
                    done.add(0)
                    order = None
            if nxt and j + 1 > furthest:
                furthest = j + 1

    def _can_follow(self, t: int, later: dict[str, int], ending: dict[str, int], j: int) -> bool:
        """Whether a wildcard opened at word j could be closed: what the template says after it occurs
        later in the input, whole or as the end of a word (or a list follows, or the template ends)."""
        nexts = self.c.tok[t]
        if self._edges[t] or self.c.final[t] or len(nexts) > 32:
            return True
        if any(later.get(k, -1) > j for k in nexts):
            return True
        last = self._last_chars.get(t)
        if last is None:
            last = self._last_chars[t] = {k[-1] for k in nexts if k}
        return any(ending.get(c, -1) >= j for c in last)

    def _wild_cut(self, offsets: dict, th: tuple, j: int, start: int, keys: list[str], toks: list[Token],
                  surface: str) -> None:
        """A wildcard may end inside word j when the rest of the word is what the template says next
        ("pizza" in "pizzatimer"), as hassil's search for the next chunk allows."""
        cost, _s, slots, ctxs, (sid, target, _st, slot), ck = th
        nexts = self.c.tok[target]
        word = keys[j]
        last = self._last_chars.get(target)
        if last is None:
            last = self._last_chars[target] = {k[-1] for k in nexts if k}
        if word[-1] not in last:
            return
        for cut in range(max(1, len(word) - self._longest_word), len(word)):
            if word[cut:] in nexts:
                a, b = toks[start].start, toks[j].start + cut
                nslots = ((slot, (a, b), None, True, None), slots) if slot else slots
                ncost = cost + b - a
                self._push(offsets.setdefault(cut, {}), (target, ck), (ncost, target, nslots, ctxs, None, ck), None)

    @staticmethod
    def _push(agenda: dict, key: Any, th: tuple, work: list | None) -> None:
        old = agenda.get(key)
        if old is None or th[0] < old[0]:
            agenda[key] = th
            if work is not None:
                work.append((key, th))

    def _matches(self, kind: str, list_key: str, keys: list[str], toks: list[Token], surface: str, j: int,
                 off: int) -> list:
        """(end word, offset in it, value, text, context, metadata, literal chars) for a list at (j, off).
        As in hassil, a value may end inside a word when what follows it matches the rest of the word."""
        if kind == "range":
            return self._range_matches(list_key, keys, toks, surface, j, off)
        node = self._lists.get(list_key)
        longest = self._longest.get(list_key, 0)
        out: list = []
        i = j
        first = True
        begin = toks[j].start + off
        while node is not None and i < len(keys):
            word = keys[i][off:] if first else keys[i]
            for cut in range(1, min(len(word), longest + 1)):
                child = node.get(word[:cut])
                if child is not None and _END in child:
                    text = surface[begin:toks[i].start + (off if first else 0) + cut]
                    for value, ctx, meta in child[_END]:
                        out.append((i, (off if first else 0) + cut, text if value is None else value,
                                    text, ctx, meta, 0))
            node = node.get(word)
            i += 1
            first = False
            if node is not None and _END in node:
                text = surface[begin:toks[i - 1].end]
                for value, ctx, meta in node[_END]:
                    out.append((i, 0, text if value is None else value, text, ctx, meta, 0))
        return out

    def _range_matches(self, key: str, keys: list[str], toks: list[Token], surface: str, j: int, off: int) -> list:
        rng = self.c.ranges[key]
        t = toks[j]
        out = []
        if t.number:
            if rng.digits and not off:
                end = j + 1
                if rng.fractions and j + 2 < len(toks) and keys[j + 1] in (".", ",") and toks[j + 2].number \
                        and toks[j].end == toks[j + 1].start and toks[j + 1].end == toks[j + 2].start:
                    end = j + 3  # a decimal: 21.5 or 21,5
                text = surface[t.start:toks[end - 1].end]
                v = float(text.replace(",", "."))
                ok = (rng.start <= v <= rng.stop and v.is_integer()) if rng.step == 1 and not rng.fractions \
                    else v in self._range_sets[key]
                if ok:
                    if rng.multiplier is not None:
                        v *= rng.multiplier
                    out.append((end, 0, int(v) if v.is_integer() else v, text, None, None, 0))
            return out
        node = self._range_tries.get(key)
        i = j
        while node is not None and i < len(keys):
            node = node.get(keys[i][off:] if i == j else keys[i])
            i += 1
            if node is not None and _END in node:
                text = surface[t.start + off:toks[i - 1].end]
                for value, chars in node[_END]:
                    out.append((i, 0, value, text, None, None, chars))
        return out

    def _finish(self, cand: tuple, caller: dict, words: set[str]) -> IntentResult | None:
        (cost, _variant), sid, slots, ctxs, surface = cand
        ref = self.c.sentences[sid]
        block = self.c.blocks[ref.block]
        if block.required_keywords and block.required_keywords.isdisjoint(words):
            return None
        merged = dict(caller)
        for x in ctxs:
            merged.update(x)
        if block.excludes_context and not _check_excluded(block.excludes_context, merged):
            return None
        from_context: dict[str, SlotValue] = {}
        if block.requires_context and not _copy_required(block.requires_context, merged, from_context):
            return None
        found: dict[str, SlotValue] = {}
        entries = []
        while slots:
            entries.append(slots[0])
            slots = slots[1]
        for name, value, vtext, is_wild, meta in reversed(entries):
            if is_wild:
                value = vtext = surface[value[0]:value[1]]
            found[name] = SlotValue(value, vtext, is_wild, meta)
        out = dict(found)
        for name, value in block.slots.items():
            if name not in found:
                out[name] = SlotValue(value, "")
        for name, sv in from_context.items():
            if name not in found:
                out[name] = sv
        return IntentResult(block.intent, out, merged, ref.text, ref.where, block.where,
                            block.response if block.response is not None else "default", block.metadata, cost)


def _group_edges(edges: tuple, specs: list) -> tuple:
    """A state's slot edges grouped by list: (kind, list key, ((spec id, next state, slot), ...)), so a
    list that has no value at the current word is skipped once for all its edges."""
    groups: dict[tuple[str, str], list] = {}
    for sid, t in edges:
        spec = specs[sid]
        groups.setdefault((spec.kind, spec.list_key), []).append((sid, t, spec.slot))
    return tuple((kind, key, tuple(items)) for (kind, key), items in groups.items())


# ---- context rules, as hassil applies them ----------------------------------------------------------------
def _unpack(v: Any) -> Any:
    return v.get("value") if isinstance(v, Mapping) else v


def _matches(required: Any, actual: Any) -> bool:
    if isinstance(required, (list, tuple, set, frozenset)):
        return actual in required
    return required is None or actual == required


def _check_excluded(excluded: dict, ctx: dict) -> bool:
    for k, exc in excluded.items():
        if k not in ctx:
            continue
        ex, act = _unpack(exc), _unpack(ctx[k])
        if (act in ex) if isinstance(ex, (list, tuple, set, frozenset)) else act == ex:
            return False
    return True


def _copy_required(required: dict, ctx: dict, slots: dict[str, SlotValue]) -> bool:
    for k, req in required.items():
        copy_to = None
        if isinstance(req, Mapping):
            want_slot = req.get("slot")
            copy_to = want_slot if isinstance(want_slot, str) else (k if want_slot else None)
            req = req.get("value")
        actual = ctx.get(k)
        text, meta = "", None
        if isinstance(actual, Mapping):
            text, meta, actual = actual.get("text", ""), actual.get("metadata"), actual.get("value")
        ok = (req is not None and actual == req) or (req is None and actual is not None) or \
            (isinstance(req, (list, tuple, set, frozenset)) and actual in req)
        if not ok:
            return False
        if copy_to:
            slots[copy_to] = SlotValue(actual, text, False, meta)
    return True
