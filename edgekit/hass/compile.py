"""Compile a Language into token automata: each template becomes a character automaton (so that
alternatives and optionals glued to word parts, `light[s]`, `[l']{area}`, keep hassil's meaning), which
is then cut into tokens exactly as input text is cut (text.tokenize). Lists become slot edges, matched
at run time through token tries; the number words of range lists are generated here."""
from __future__ import annotations

import itertools
from typing import Any

from ..valueclass import field, value_class
from ..errors import DataError
from ..limits import MAX_PERMUTATION
from .model import IntentBlock, Language, RangeList, Responses, SlotList, TextList, WildcardList
from .numbers import range_words
from .template import Alt, ListRef, Node, Perm, RuleRef, Seq, Text
from .text import char_class, fold_case, token_keys

SPACE = " "
MAX_CHAR_STATES = 200_000    # per template, after expansion rules are inlined
MAX_LIST_PATHS = 10_000      # token spellings of one list value's template
MAX_DFA_STATES = 400_000     # the determinized automaton of a whole language (the largest, hu: 15,030)


@value_class(frozen=True)
class SlotEdgeSpec:
    """What a `{list}` reference in a template matches, and which slot it fills (None: capture only)."""
    kind: str                 # "text" | "range" | "wildcard" | "open" | "value"
    list_key: str             # key into CompiledLanguage.text_lists / ranges / nested
    slot: str | None


@value_class(frozen=True)
class SentenceRef:
    block: int
    text: str
    where: str


@value_class
class CompiledLanguage:
    """Token automata of every template of a language plus its lists (plain data)."""
    language: str
    blocks: tuple[IntentBlock, ...]
    tok: list[dict[str, int]]                         # state -> token key -> next state
    # state -> (slot spec id, next state, where the first template to write it there wrote it)
    slot_edges: list[tuple[tuple[int, int, int], ...]]
    final: list[tuple[int, ...]]                      # state -> the templates (sentence ids) it ends
    specs: list[SlotEdgeSpec]
    sentences: list[SentenceRef]
    text_lists: dict[str, list[tuple[tuple[str, ...], Any, dict | None, Any]]]   # static lists: spellings
    runtime_lists: set[str]
    ranges: dict[str, RangeList]
    range_words: dict[str, list[tuple[tuple[str, ...], int | float, int]]]       # key -> (tokens, value, chars)
    skip_words: tuple[str, ...]
    ignore_whitespace: bool
    start: int = 0
    prefixed: dict[int, tuple[str, ...]] = field(default_factory=dict)  # state -> words glued before a list
    # list values inlined with their own lists: key -> (out value, context, metadata)
    nested: dict[str, tuple[Any, dict | None, dict | None]] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    responses: Responses = field(default_factory=Responses)


# ---- character automata -----------------------------------------------------------------------------
class _CharNFA:
    """Edges: a folded character, SPACE, a slot spec id (int) or None (epsilon)."""

    def __init__(self) -> None:
        self.edges: list[list[tuple[Any, int]]] = []

    def new(self) -> int:
        self.edges.append([])
        if len(self.edges) > MAX_CHAR_STATES:
            raise _TooBig()
        return len(self.edges) - 1


class _TooBig(Exception):
    pass


class _Builder:
    def __init__(self, compiler: "_Compiler", block: int, scope_rules: dict[str, Node],
                 scope_lists: dict[str, SlotList], where: str) -> None:
        self.c, self.block, self.rules, self.lists, self.where = compiler, block, scope_rules, scope_lists, where
        self.nfa = _CharNFA()
        self.stack: list[str] = []

    def build(self, node: Node, s: int) -> int:
        nfa = self.nfa
        if isinstance(node, Text):
            for ch in fold_case(node.text):
                t = nfa.new()
                nfa.edges[s].append((SPACE if ch.isspace() or ch in "-_" else ch, t))
                s = t
            return s
        if isinstance(node, Seq):
            for item in node.items:
                s = self.build(item, s)
            return s
        if isinstance(node, Alt):
            end = nfa.new()
            for item in node.items:
                a = nfa.new()
                nfa.edges[s].append((None, a))
                nfa.edges[self.build(item, a)].append((None, end))
            return end
        if isinstance(node, Perm):
            if len(node.items) > MAX_PERMUTATION:
                raise DataError(f"{self.where}: a permutation of {len(node.items)} items "
                                f"(at most {MAX_PERMUTATION})")
            spaced = [Seq((Text(" "), item, Text(" "))) for item in node.items]
            return self.build(Alt(tuple(Seq(order) for order in itertools.permutations(spaced))), s)
        if isinstance(node, RuleRef):
            body = self.rules.get(node.name)
            if body is None:
                raise DataError(f"{self.where}: unknown expansion rule <{node.name}>")
            if node.name in self.stack:
                raise DataError(f"{self.where}: expansion rule <{node.name}> refers to itself "
                                f"({' -> '.join(self.stack + [node.name])})")
            self.stack.append(node.name)
            try:
                return self.build(body, s)
            finally:
                self.stack.pop()
        if isinstance(node, ListRef):
            lst = self.lists.get(node.list_name)
            nested = self.c.nested_values(lst) if isinstance(lst, TextList) else ()
            t = nfa.new()
            if not nested or len(nested) < len(lst.values):
                nfa.edges[s].append((self.c.slot_spec(node, self.lists, self.block, self.where), t))
            for k in nested:
                self._nested_value(node, lst, k, s, t)
            return t
        raise TypeError(f"unexpected template node {node!r}")

    def _nested_value(self, ref: ListRef, lst: TextList, k: int, s: int, end: int) -> None:
        """A list value whose `in` uses lists, inlined: a zero-width edge opens the outer slot, the value's
        template (its lists become slot edges as anywhere) follows, a zero-width edge closes the slot."""
        name = f"{{{ref.list_name}}}"
        if name in self.stack:
            raise DataError(f"{self.where}: list {name} refers to itself ({' -> '.join(self.stack + [name])})")
        nfa = self.nfa
        a = nfa.new()
        nfa.edges[s].append((self.c.mark_spec("open", "", None), a))
        self.stack.append(name)
        try:
            b = self.build(lst.values[k].text_in, a)
        finally:
            self.stack.pop()
        value = lst.values[k]
        key = self.c.nested_key(self.block, ref.list_name, k, value)
        nfa.edges[b].append((self.c.mark_spec("value", key, None if ref.capture else ref.slot_name), end))


def _cls(ch: str) -> str:
    """Token class of a folded template character, as text.tokenize cuts input: " " separates,
    "w" letters and "d" digits run together, "u" (unspaced scripts) and "s" (symbols) stand alone."""
    return {"sep": " ", "num": "d", "word": "w", "unspaced": "u"}.get(char_class(ch), "s")


class _Tokenizer:
    """Cuts a character automaton into a token automaton (states = (char state, class of the token
    just read when no space followed it), so glued same-class characters can never be split)."""

    def __init__(self, nfa: _CharNFA, final: int, cls_cache: dict[str, str]) -> None:
        self.nfa, self.final, self.cls = nfa, final, cls_cache

    def _c(self, ch: str) -> str:
        k = self.cls.get(ch)
        if k is None:
            k = self.cls[ch] = _cls(ch)
        return k

    def closure(self, cs: int, prev: str | None):
        """Transitions from token state (cs, prev): tokens, slots, and whether it is final."""
        toks: list[tuple[str, tuple[int, str | None]]] = []
        slots: list[tuple[int, tuple[int, None]]] = []
        glued: set[str] = set()  # words written right before a list, with no space ("ב{area}")
        final = False
        seen = set()
        stack = [(cs, "", "", prev)]
        edges = self.nfa.edges

        def emit(key: str, nxt: tuple[int, str | None]) -> None:
            toks.append((key, nxt))

        while stack:
            item = stack.pop()
            if item in seen:
                continue
            seen.add(item)
            s, buf, bcls, pv = item
            if s == self.final:
                if buf:
                    emit(buf, (s, bcls))
                else:
                    final = True
            for label, t in edges[s]:
                if label is None:
                    stack.append((t, buf, bcls, pv))
                elif isinstance(label, int):
                    if buf:
                        emit(buf, (s, bcls))
                        glued.add(buf)
                    else:
                        slots.append((label, (t, None)))
                else:
                    k = " " if label == SPACE else self._c(label)
                    if k == " ":
                        if buf:
                            emit(buf, (t, None))
                        else:
                            stack.append((t, "", "", None))
                    elif not buf:
                        if k in ("w", "d"):
                            if k != pv:
                                stack.append((t, label, k, None))
                        else:
                            emit(label, (t, None))
                    elif k == bcls:
                        stack.append((t, buf + label, k, None))
                    else:
                        emit(buf, (s, bcls))
        return toks, slots, final, glued


# ---- the compiler ---------------------------------------------------------------------------------------
class _Compiler:
    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self.specs: list[SlotEdgeSpec] = []
        self._spec_ids: dict[SlotEdgeSpec, int] = {}
        self.text_lists: dict[str, list] = {}
        self.runtime: set[str] = set()
        self.ranges: dict[str, RangeList] = {}
        self.range_words: dict[str, list] = {}
        self.cls_cache: dict[str, str] = {}
        self.nested: dict[str, tuple] = {}
        self._nested_cache: dict[int, tuple[int, ...]] = {}

    def slot_spec(self, ref: ListRef, scope_lists: dict[str, SlotList], block: int, where: str) -> int:
        lst = scope_lists.get(ref.list_name)
        local = lst is not None and ref.list_name in self.lang.blocks[block].lists
        key = f"{block}:{ref.list_name}" if local else ref.list_name
        if lst is None and ref.inline_range is not None:
            a, b, step = ref.inline_range
            lst = RangeList(ref.list_name, a, b, step)
        if lst is None:
            kind = "text"
            self.runtime.add(key)
        elif isinstance(lst, TextList):
            kind = "text"
            if key not in self.text_lists:
                self.text_lists[key] = self._text_list(lst, where)
        elif isinstance(lst, RangeList):
            kind = "range"
            if key not in self.ranges:
                self.ranges[key] = lst
                self.range_words[key] = [(tuple(token_keys(w)), v, len(w)) for w, v in range_words(lst, self.lang.language)]
        elif isinstance(lst, WildcardList):
            kind = "wildcard"
        else:
            raise TypeError(lst)
        return self._spec_id(SlotEdgeSpec(kind, key, None if ref.capture else ref.slot_name))

    def nested_values(self, lst: TextList) -> tuple[int, ...]:
        """Indices of the list's values whose `in` template uses a list (directly or through rules)."""
        found = self._nested_cache.get(id(lst))
        if found is None:
            found = self._nested_cache[id(lst)] = tuple(
                k for k, v in enumerate(lst.values) if _uses_lists(v.text_in, self.lang.expansion_rules, set()))
        return found

    def nested_key(self, block: int, list_name: str, k: int, value: Any) -> str:
        """The key of one inlined list value; its out value, context and metadata are kept under it."""
        key = f"{block}:{list_name}#{k}" if list_name in self.lang.blocks[block].lists else f"{list_name}#{k}"
        self.nested[key] = (value.value_out, value.context, value.metadata)
        return key

    def mark_spec(self, kind: str, key: str, slot: str | None) -> int:
        return self._spec_id(SlotEdgeSpec(kind, key, slot))

    def _spec_id(self, spec: SlotEdgeSpec) -> int:
        sid = self._spec_ids.get(spec)
        if sid is None:
            sid = self._spec_ids[spec] = len(self.specs)
            self.specs.append(spec)
        return sid

    def _text_list(self, lst: TextList, where: str) -> list:
        out = []
        nested = set(self.nested_values(lst))
        for k, v in enumerate(lst.values):
            if k in nested:
                continue
            for toks in self.spellings(v.text_in, where):
                if toks:
                    out.append((toks, v.value_out, v.context, v.metadata))
        return out

    def spellings(self, node: Node, where: str) -> list[tuple[str, ...]]:
        """Every token sequence a list value's `in` template says (lists inside are not allowed)."""
        if isinstance(node, Text):
            return [tuple(token_keys(node.text))]
        b = _Builder(self, -1, self.lang.expansion_rules, {}, where)
        b.c = _NoSlots(where)
        end = b.build(node, b.nfa.new())
        tk = _Tokenizer(b.nfa, end, self.cls_cache)
        out: list[tuple[str, ...]] = []
        stack: list[tuple[tuple[int, str | None], tuple[str, ...]]] = [((0, None), ())]
        while stack:
            state, path = stack.pop()
            toks, _slots, final, _glued = tk.closure(*state)
            if final:
                out.append(path)
                if len(out) > MAX_LIST_PATHS:
                    raise DataError(f"{where}: a list value says more than {MAX_LIST_PATHS} things")
            for key, nxt in toks:
                stack.append((nxt, path + (key,)))
        return sorted(set(out))

    def compile(self) -> CompiledLanguage:
        lang = self.lang
        tok: list[dict[str, tuple[int, ...]]] = [{}]
        slot_edges: list[tuple[tuple[int, int], ...]] = [()]
        final: list[int] = [-1]
        sentences: list[SentenceRef] = []
        start_tok: dict[str, list[int]] = {}
        start_slots: list[tuple[int, int]] = []
        prefixes: dict[int, set[str]] = {}
        # (template id, character state) of each slot edge's target: where the template wrote that
        # reference, so the automaton can list a state's slot edges in the templates' own order
        slot_order: dict[tuple[int, int, int], tuple[int, int]] = {}
        for bi, block in enumerate(lang.blocks):
            rules = {**lang.expansion_rules, **block.expansion_rules}
            lists = {**lang.lists, **block.lists}
            for sent in block.sentences:
                sid = len(sentences)
                sentences.append(SentenceRef(bi, sent.text, sent.where))
                b = _Builder(self, bi, rules, lists, sent.where)
                try:
                    end = b.build(sent.node, b.nfa.new())
                except _TooBig:
                    raise DataError(f"{sent.where}: template {sent.text!r} expands past {MAX_CHAR_STATES} "
                                    f"states") from None
                tk = _Tokenizer(b.nfa, end, self.cls_cache)
                ids: dict[tuple[int, str | None], int] = {}
                todo = [(0, None)]
                ids[(0, None)] = -2  # the template's start: its edges go to the shared start state
                while todo:
                    st = todo.pop()
                    toks, slots, is_final, glued = tk.closure(*st)
                    here = ids[st]
                    tmap: dict[str, list[int]] = start_tok if here == -2 else {}
                    smap: list[tuple[int, int]] = start_slots if here == -2 else []
                    for key, nxt in toks + slots:
                        if nxt not in ids:
                            ids[nxt] = len(tok)
                            tok.append({})
                            slot_edges.append(())
                            final.append(-1)
                            todo.append(nxt)
                        if isinstance(key, str):
                            tmap.setdefault(key, []).append(ids[nxt])
                        else:
                            smap.append((key, ids[nxt]))
                            edge = (0 if here == -2 else here, key, ids[nxt])
                            slot_order[edge] = min(slot_order.get(edge, (sid, nxt[0])), (sid, nxt[0]))
                    if here == -2:  # a template that also matches empty text: empty input is never parsed
                        prefixes.setdefault(0, set()).update(glued)
                        continue
                    tok[here] = {k: tuple(dict.fromkeys(v)) for k, v in tmap.items()}
                    slot_edges[here] = tuple(dict.fromkeys(smap))
                    if glued:
                        prefixes[here] = glued
                    if is_final:
                        final[here] = sid
        tok[0] = {k: tuple(v) for k, v in start_tok.items()}
        slot_edges[0] = tuple(start_slots)
        nfa_states = len(tok)
        tok, slot_edges, dfinal, dprefixes = _determinize(tok, slot_edges, final, prefixes, slot_order)
        return CompiledLanguage(
            lang.language, lang.blocks, tok, slot_edges, dfinal, self.specs, sentences,
            self.text_lists, self.runtime, self.ranges, self.range_words, lang.skip_words,
            lang.ignore_whitespace, 0, dprefixes, self.nested,
            {"templates": len(sentences), "blocks": len(lang.blocks), "nfa_states": nfa_states, "states": len(tok),
             "token_edges": sum(len(d) for d in tok),
             "slot_edges": sum(len(e) for e in slot_edges)}, lang.responses)


def _determinize(tok: list[dict[str, tuple[int, ...]]], slot_edges: list[tuple[tuple[int, int], ...]],
                 final: list[int], prefixes: dict[int, set[str]], slot_order: dict[tuple[int, int, int], tuple]
                 ) -> tuple[list, list, list, dict]:
    """Subset construction over the union of all templates: one state per set of template positions, so
    a word moves the whole language in one step. Labels are tokens and slot specs; a state's slot edges
    are listed in the order the templates wrote them (the first template, then the first alternative in
    it), each with where that template wrote it, which is how hassil breaks a tie between two readings
    of one template."""
    ids: dict[frozenset, int] = {}
    out_tok: list[dict[str, int]] = []
    out_slots: list[tuple[tuple[int, int, int], ...]] = []
    out_final: list[tuple[int, ...]] = []
    out_prefixes: dict[int, tuple[str, ...]] = {}
    todo: list[frozenset] = []

    def state(members: frozenset) -> int:
        sid = ids.get(members)
        if sid is None:
            sid = ids[members] = len(out_tok)
            if sid >= MAX_DFA_STATES:
                raise DataError(f"the language's templates need more than {MAX_DFA_STATES} automaton states")
            out_tok.append({})
            out_slots.append(())
            out_final.append(())
            todo.append(members)
        return sid

    state(frozenset((0,)))
    while todo:
        members = todo.pop()
        here = ids[members]
        by_tok: dict[str, set[int]] = {}
        by_slot: dict[int, set[int]] = {}
        first: dict[int, tuple[int, int]] = {}  # slot spec -> (template, place): the first to write it there
        ends = []
        pre: set[str] = set()
        for m in members:
            pre.update(prefixes.get(m, ()))
            for k, targets in tok[m].items():
                by_tok.setdefault(k, set()).update(targets)
            for sid, t in slot_edges[m]:
                by_slot.setdefault(sid, set()).add(t)
                at = slot_order[(m, sid, t)]
                if sid not in first or at < first[sid]:
                    first[sid] = at
            if final[m] >= 0:
                ends.append(final[m])
        out_tok[here] = {k: state(frozenset(v)) for k, v in by_tok.items()}
        out_slots[here] = tuple((sid, state(frozenset(by_slot[sid])), first[sid][1])
                                for sid in sorted(by_slot, key=lambda sid: (first[sid], sid)))
        out_final[here] = tuple(sorted(ends))
        if pre:
            out_prefixes[here] = tuple(sorted(pre))
    return out_tok, out_slots, out_final, out_prefixes


def _uses_lists(node: Node, rules: dict[str, Node], seen: set[str]) -> bool:
    """Whether a template refers to a list, directly or through expansion rules."""
    if isinstance(node, ListRef):
        return True
    if isinstance(node, (Seq, Alt, Perm)):
        return any(_uses_lists(x, rules, seen) for x in node.items)
    if isinstance(node, RuleRef) and node.name not in seen and node.name in rules:
        seen.add(node.name)
        return _uses_lists(rules[node.name], rules, seen)
    return False


class _NoSlots:
    def __init__(self, where: str) -> None:
        self.where = where

    def slot_spec(self, ref: ListRef, *_a: Any) -> int:
        raise DataError(f"{self.where}: a list value's template cannot use a list ({{{ref.list_name}}})")


def compile_language(lang: Language) -> CompiledLanguage:
    """Token automata for every template of the language (see the module docstring)."""
    return _Compiler(lang).compile()
