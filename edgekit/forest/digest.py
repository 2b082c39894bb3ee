"""Digestion: tokenize (after protecting data-word spans), then layer by layer replace the chosen cover of
matched spans by symbols carrying values, until the top layer.

Ambiguity policy, per layer (DESIGN.md): the cover with the fewest elements left uncovered, then the
fewest symbols (longest matches), then the highest total rule priority, then the leftmost match; for
one span the highest-priority, earliest-declared matcher. Same input and grammar, same output."""
from __future__ import annotations

import gc
import re
from decimal import Decimal
from typing import Any, Iterator

from .decider import decided_classes
from .automaton import T_ANY, T_DIGITS, T_PUNCT, T_TOKEN, T_WORD, LayerMatcher, TypesetTable
from .prefilter import DIGIT, required_chars
from .expr import ExprError, compile_expr, format_value
from .tokenize import DIGITS, PUNCT, WORD, scan

_KIND_TYPE = {WORD: T_WORD, DIGITS: T_DIGITS, PUNCT: T_PUNCT}


class Element:
    """A token or a symbol in the sequence being digested. A symbol's text is rendered lazily: a
    rule's text clause runs only if the text is read (at the top level, or by a parent)."""

    __slots__ = ("tsid", "start", "end", "space", "_text", "_render", "value", "matcher", "children",
                 "unit", "layer", "groups", "captures", "error")

    def __init__(self, tsid: int, start: int, end: int, space: bool, text: str | None, value: Any,
                 matcher: int = -1, children: tuple = (), layer: int = 0) -> None:
        self.tsid, self.start, self.end, self.space = tsid, start, end, space
        self._text, self.value, self.matcher, self.children, self.layer = text, value, matcher, children, layer
        self._render: Any = None
        self.unit: Element | None = children[0] if len(children) == 1 else None
        self.groups: dict | None = None
        self.captures: dict[str, Any] | None = None
        self.error: str | None = None

    @property
    def text(self) -> str:
        t = self._text
        if t is None:
            text_fn, env = self._render
            self._render = None
            try:
                t = format_value(text_fn(env))
            except ExprError as exc:
                self.error = str(exc)
                t = join_texts(self.children)
            self._text = t
        return t

    @text.setter
    def text(self, value: str) -> None:
        self._text = value


class _Captures:
    """The expression environment of one match: capture name -> element (or list for repeats)."""

    def __init__(self, binds: dict[str, Any], source: str) -> None:
        self.binds, self.source = binds, source
        self.own_value: Any = None

    def _field(self, e: Element, field: str) -> Any:
        if field == "text":
            return e.text
        if field == "surface":
            return self.source[e.start:e.end]
        if field == "value":
            return e.value
        return e.groups.get(field) if e.groups else None

    def value(self, name: str) -> Any:
        if name == "value" and name not in self.binds:
            return self.own_value
        b = self.binds.get(name)
        if isinstance(b, list):
            return [e.value for e in b]
        return None if b is None else b.value

    def attr(self, name: str, field: str) -> Any:
        b = self.binds.get(name)
        if isinstance(b, list):
            return [self._field(e, field) for e in b]
        return None if b is None else self._field(b, field)


def join_texts(elements: list[Element] | tuple) -> str:
    """Render a sequence, keeping a space only where the input had whitespace."""
    parts = []
    for k, e in enumerate(elements):
        if k and e.space:
            parts.append(" ")
        parts.append(e.text)
    return "".join(parts)


def _const(v: Any) -> Any:
    if isinstance(v, str) and v[:1].isdigit() and v.replace(".", "", 1).isdigit() and "." in v:
        return Decimal(v)
    return v


class Digester:
    """Runs a compiled forest artifact over text."""

    def __init__(self, artifact: dict) -> None:
        self.artifact = artifact
        self.typesets = TypesetTable()
        self.vocab: dict[str, int] = artifact["vocab"]
        self.matchers: list[dict] = artifact["matchers"]
        self.tables = artifact["tables"]
        priorities = [m["priority"] for m in self.matchers]
        self.layers = [LayerMatcher(l["states"], l["accepts"], priorities, self.typesets) for l in artifact["layers"]]
        self.data = [(re.compile(d["pattern"]), d["type"], d["name"]) for d in artifact["data"]
                     if d.get("decider") is None]
        self.decided = decided_classes(artifact["data"])
        self._data_always: set[int] = set()
        self._data_digit: set[int] = set()
        self._data_by_char: dict[str, set[int]] = {}
        for order, d in enumerate(d for d in artifact["data"] if d.get("decider") is None):
            required = required_chars(d["pattern"])
            if required is None:
                self._data_always.add(order)
            for c in required or ():
                (self._data_digit if c == DIGIT else self._data_by_char.setdefault(c, set())).add(order)
        self.class_ids = {n: i for i, n in enumerate(artifact["types"]) if not n.startswith("'")}
        self._tok_ts: dict[tuple[str, str], int] = {}
        self._sym_ts: dict[tuple[int, int], int] = {}
        self._paths: dict[tuple, tuple] = {}
        self.data_ts = {t: self.typesets.intern(frozenset((t, T_ANY))) for _, t, _ in self.data}
        # runtime-only companions of the matchers (the artifact itself stays plain data)
        self.entry_values = [_const(m["value"]) if m["kind"] == "entry" else None for m in self.matchers]
        self.value_fns = [compile_expr(m["value"], self.tables) if m.get("value") is not None and m["kind"] == "rule"
                          else None for m in self.matchers]
        self.canonical_folded = [m["canonical"].casefold() if m["kind"] == "entry" else None
                                 for m in self.matchers]
        self.text_fns = [compile_expr(m["text"], self.tables) if m.get("text") is not None else None
                         for m in self.matchers]

    # ---- elements -----------------------------------------------------------------------------
    def _token_tsid(self, text: str, kind: str) -> int:
        key = (text, kind)
        tsid = self._tok_ts.get(key)
        if tsid is None:
            types = {T_TOKEN, T_ANY, _KIND_TYPE[kind]}
            lit = self.vocab.get(text.casefold())
            if lit is not None:
                types.add(lit)
            if kind == WORD:
                types.update(self.decided.classes_of(text))
            tsid = self._tok_ts[key] = self.typesets.intern(frozenset(types))
        return tsid

    def _symbol_tsid(self, mtype: int, unit: Element | None) -> int:
        key = (mtype, -1 if unit is None else unit.tsid)
        tsid = self._sym_ts.get(key)
        if tsid is None:
            types = {mtype, T_ANY}
            if unit is not None:
                types |= self.typesets.sets[unit.tsid]
            tsid = self._sym_ts[key] = self.typesets.intern(frozenset(types))
        return tsid

    def _tokens(self, text: str, start: int, end: int, out: list[Element]) -> None:
        cache = self._tok_ts
        for t, kind, s, e, space in scan(text, start, end):
            tsid = cache.get((t, kind))
            if tsid is None:
                tsid = self._token_tsid(t, kind)
            out.append(Element(tsid, s, e, space, t, t))

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

    # ---- layers ---------------------------------------------------------------------------------
    def digest(self, text: str) -> list[Element]:
        """Digest text through every layer; returns the top-level element sequence."""
        if len(text) < 20_000:
            return self._digest(text)
        # Elements form no reference cycles; pausing the cycle collector keeps huge inputs linear.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return self._digest(text)
        finally:
            if enabled:
                gc.enable()

    def _digest(self, text: str) -> list[Element]:
        seq = self.elements(text)
        for layer_no, layer in enumerate(self.layers, 1):
            if not seq:
                break
            tsids = [e.tsid for e in seq]
            hits = layer.matches(tsids)
            if hits is None:
                continue
            seq = self._apply_cover(seq, hits, layer_no, text)
        return seq

    def _apply_cover(self, seq: list[Element], hits: list, layer_no: int, source: str) -> list[Element]:
        n = len(seq)
        choice = self._disjoint_choice(hits) or self._best_cover(hits)
        out: list[Element] = []
        i = 0
        while i < n:
            c = choice[i]
            if c is None:
                out.append(seq[i])
                i += 1
            else:
                j, m = c
                out.append(self._symbol(m, tuple(seq[i:j]), layer_no, source))
                i = j
        return out

    @staticmethod
    def _disjoint_choice(hits: list) -> list | None:
        """Fast path: one match per start and no overlaps, so taking every match is the best cover."""
        reach = 0
        for i, opts in enumerate(hits):
            if opts:
                if len(opts) > 1 or i < reach:
                    return None
                reach = opts[0][0]
        return [opts[0] if opts else None for opts in hits]

    def _best_cover(self, hits: list) -> list:
        """Right-to-left DP over covers; cost packs (uncovered, symbols, -priority) into one integer.
        Ties prefer a match at the current position, longest first (hits are sorted by end)."""
        n = len(hits)
        uncovered, symbol = 1 << 64, 1 << 32
        cost = [0] * (n + 1)
        cost[n] = 1 << 31
        choice: list = [None] * (n + 1)
        matchers = self.matchers
        for i in range(n - 1, -1, -1):
            best, ch = cost[i + 1] + uncovered, None
            for j, m in reversed(hits[i] or ()):
                c = cost[j] + symbol - matchers[m]["priority"]
                if c < best or (c == best and ch is None):
                    best, ch = c, (j, m)
            cost[i], choice[i] = best, ch
        return choice

    # ---- symbols ------------------------------------------------------------------------------------
    def _symbol(self, mi: int, children: tuple, layer_no: int, source: str) -> Element:
        m = self.matchers[mi]
        first = children[0]
        unit = first if len(children) == 1 else None
        e = Element(self._symbol_tsid(m["type"], unit), first.start, children[-1].end, first.space,
                    None, None, mi, children, layer_no)
        if m["kind"] == "entry":
            # an entry whose canonical form is what was written keeps the writer's case
            surface = first.text if unit is not None else join_texts(children)
            e.text = surface if m.get("verbatim") or surface.casefold() == self.canonical_folded[mi] else m["canonical"]
            e.value = self.entry_values[mi]
            return e
        value_fn, text_fn = self.value_fns[mi], self.text_fns[mi]
        if value_fn is None and text_fn is None:  # captures are bound lazily, only if a frame needs them
            symbols = [c for c in children if c.matcher >= 0 or c.groups is not None]
            e.value = symbols[0].value if len(symbols) == 1 else (first.value if unit else None)
            e.text = join_texts(children)
            return e
        binds = self.bind(mi, children) if m["captures"] else {}
        e.captures = binds
        env = _Captures(binds, source)
        try:
            if value_fn is not None:
                e.value = value_fn(env)
            else:
                symbols = [c for c in children if c.matcher >= 0 or c.groups is not None]
                e.value = symbols[0].value if len(symbols) == 1 else (first.value if unit else None)
            env.own_value = e.value
            if text_fn is None:
                e.text = format_value(e.value)
            else:
                e._render = (text_fn, env)
        except ExprError as exc:
            e.error = str(exc)
            e.value, e.text = None, join_texts(children)
        return e

    def bind(self, mi: int, children: tuple) -> dict[str, Any]:
        """Which element each capture of rule `mi` took: the template is re-matched over the span once
        per distinct (rule, child typesets) and the resulting path is cached."""
        key = (mi, tuple(c.tsid for c in children))
        path = self._paths.get(key)
        if path is None:
            if len(self._paths) > 200_000:
                self._paths.clear()
            path = self._paths[key] = self._bind_path(self.matchers[mi], children)
        out: dict[str, Any] = {name: [] for name, multi in self.matchers[mi]["captures"].items() if multi}
        for name, index, tid, multi in path:
            elem = self._descend(children[index], tid)
            if multi:
                out[name].append(elem)
            else:
                out[name] = elem
        return out

    def _bind_path(self, m: dict, children: tuple) -> tuple:
        caps: dict[str, bool] = m["captures"]
        for end, binds in self._walk(m["template"], children, 0, ()):
            if end == len(children):
                items = []
                while binds:
                    items.append(binds[0])
                    binds = binds[1]
                return tuple((name, index, tid, caps[name]) for name, index, tid in reversed(items))
        return ()

    def _descend(self, e: Element, tid: int) -> Element:
        """With unit subsumption a symbol also counts as its only child's types: find the element of type tid."""
        while e.matcher >= 0 and self.matchers[e.matcher]["type"] != tid and e.unit is not None:
            e = e.unit
        return e

    def _walk(self, node: list, elems: tuple, pos: int, binds: Any) -> Iterator[tuple[int, Any]]:
        tag = node[0]
        if tag == "lit" or tag == "ref":
            if pos < len(elems):
                tid = self.vocab.get(node[1]) if tag == "lit" else self.class_ids.get(node[1])
                if tid is not None and tid in self.typesets.sets[elems[pos].tsid]:
                    if tag == "ref" and node[2]:
                        yield pos + 1, ((node[2], pos, tid), binds)
                    else:
                        yield pos + 1, binds
        elif tag == "seq":
            yield from self._walk_seq(node[1], 0, elems, pos, binds)
        elif tag == "alt":
            for child in node[1]:
                yield from self._walk(child, elems, pos, binds)
        elif tag == "opt":
            yield from self._walk(node[1], elems, pos, binds)
            yield pos, binds
        elif tag == "rep":
            yield from self._walk_rep(node[1], node[2], node[3], 0, elems, pos, binds)

    def _walk_seq(self, items: list, k: int, elems: tuple, pos: int, binds: Any) -> Iterator[tuple[int, Any]]:
        if k == len(items):
            yield pos, binds
            return
        for p, b in self._walk(items[k], elems, pos, binds):
            yield from self._walk_seq(items, k + 1, elems, p, b)

    def _walk_rep(self, child: list, lo: int, hi: int | None, count: int, elems: tuple, pos: int,
                  binds: Any) -> Iterator[tuple[int, Any]]:
        if hi is None or count < hi:
            for p, b in self._walk(child, elems, pos, binds):
                if p > pos:
                    yield from self._walk_rep(child, lo, hi, count + 1, elems, p, b)
        if count >= lo:
            yield pos, binds

