"""The Forest: a compiled grammar set with normalize / parse / explain / expand, and load_forest, which
finds a grammar by shipped name or path and compiles it once (cached by content hash)."""
from __future__ import annotations

import os
import re
import importlib.util
from pathlib import Path
from typing import Any, Iterable, Mapping, overload

from ..valueclass import replace
from ..errors import GrammarError, ModelFileError, check_text
from . import artifact as artifact_io
from ..limits import MAX_READINGS, MAX_SPAN
from .automaton import DEAD, START, T_PUNCT, LayerMatcher, PositionsBuilder
from .compiled import CompiledForest
from .digest import Digester, Lattice, cycle_gc_paused
from .element import Element, join_texts
from .expand import Expander
from .frame import Frame, Slot
from .lexicon import ListEntry
from .model import Template
from .tokenize import drop_words
from .trace import LostReading, Trace, TraceNode

ENTRY_FILE = "main.forest"
NO_INTENT = "no intent rule covers the input"
COMPILED_SUFFIX = ".forestc"
EXPLAIN_READINGS = 6  # explain lists up to this many readings (the winner and those that lost)
CONTEXT_READINGS = 16  # derivations kept per span and rule when intent rules check context (entries sharing a text)


class Forest:
    """A compiled grammar set. Thread-compatible: each thread should use its own Forest."""

    def __init__(self, compiled: CompiledForest, source: str = "",
                 files_read: tuple[tuple[str, str], ...] = ()) -> None:
        self.compiled = compiled
        self.source = source
        self.files_read = files_read  # (real path, sha256) of every source file compiled; none for a .forestc
        self._digester = Digester(compiled)
        self._expander: Expander | None = None
        self._intent_matchers: dict[int, LayerMatcher] | None = None
        self._skip = frozenset(tuple(phrase.split(" ")) for phrase in compiled.skip)
        self._has_context_rules = any(m.context for _, m in self._digester.matchers.stored_items())

    # ---- public API ------------------------------------------------------------------------------
    def sources_changed(self) -> bool:
        """Whether a source file this forest was compiled from is gone or different now (never, for a
        forest loaded from a compiled file: it has no sources)."""
        return bool(self.files_read) and artifact_io.read_files_changed(self.files_read)

    def normalize(self, text: str) -> str:
        """Rewrite text into its canonical form; words no rule covers pass through unchanged."""
        text = _check_text(text)
        with cycle_gc_paused(text):
            return join_texts(self._reading(self._digester.lattice(text)))

    @overload
    def parse(self, text: str, n: None = None, context: Mapping[str, Any] | None = None) -> Frame | None: ...

    @overload
    def parse(self, text: str, n: int, context: Mapping[str, Any] | None = None) -> list[Frame]: ...

    def parse(self, text: str, n: int | None = None,
              context: Mapping[str, Any] | None = None) -> Frame | None | list[Frame]:
        """The frame (intent + typed slots) of a command, or None when no intent rule covers it.

        With `n`, the n cheapest distinct frames, best first (each with its `cost`): every intent rule
        reading that covers the whole input, so a caller can filter them (say, by a slot's context).
        `context` is the caller's (the area a voice satellite is in): each reading's context is it, updated
        with its slots' entry contexts, and must pass the intent rule's `requires` / `excludes` clauses."""
        text = _check_text(text)
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_READINGS):
            raise ValueError(f"n must be an integer from 1 to {MAX_READINGS} (MAX_READINGS), got {n!r}")
        with cycle_gc_paused(text):
            frames = self._parse(text, n or 1, _caller_context(context))
        if n is None:
            return frames[0] if frames else None
        return frames

    def parse_with_reason(self, text: str, context: Mapping[str, Any] | None = None
                          ) -> tuple[Frame | None, str | None]:
        """The frame, or None and why not (how far the closest intent rule got)."""
        text = _check_text(text)
        frames = self._parse(text, 1, _caller_context(context))
        if frames:
            return frames[0], None
        return None, self._rejection_reason(text) if self.intents else NO_INTENT

    def _rejection_reason(self, text: str, lat: Lattice | None = None) -> str:
        """Why no frame: the context refused every reading, or how far the closest intent rule got."""
        if self._has_context_rules and self._parse(text, 1, None, False):
            return "an intent rule covers the input, but its requires / excludes clauses refuse the context"
        return self._rejection(lat or self._digester.lattice(text)) or NO_INTENT

    def _parse(self, text: str, n: int, context: dict[str, Any] | None, check: bool = True) -> list[Frame]:
        """The n best frames of text and, when the grammar has `skip` words, of text without them."""
        k = max(n, CONTEXT_READINGS) if self._has_context_rules else n
        frames = self._frames(self._digester.lattice(text, k), n, context, check)
        dropped = drop_words(text, self._skip) if self._skip else None
        if dropped is None:
            return frames
        short, where = dropped
        for f in self._frames(self._digester.lattice(short, k), n, context, check):
            f = replace(f, slots={name: _moved(s, where) for name, s in f.slots.items()})
            if f not in frames:
                frames.append(f)
        frames.sort(key=_cost)
        return frames[:n]

    def explain(self, text: str, context: Mapping[str, Any] | None = None) -> Trace:
        """The digestion tree of text: rule, file:line, layer, span and value of every symbol, and the
        readings that lost with the reason they lost; its frame is parse's (skip words and `context` too)."""
        text = _check_text(text)
        ctx = _caller_context(context)
        with cycle_gc_paused(text):
            return self._explain(text, ctx)

    def _explain(self, text: str, context: dict[str, Any] | None = None) -> Trace:
        lat = self._digester.lattice(text)
        paths = lat.best_paths(EXPLAIN_READINGS)
        memo: dict[int, Element] = {}
        seq = [self._digester.element(e, text, memo) for e in paths[0][1]]
        output = join_texts(seq)
        frames = self._parse(text, 1, context) if self.intents else []
        frame = frames[0] if frames else None
        rejection = None if frame is not None or not self.intents else self._rejection_reason(text, lat)
        losing, seen = [], {output}
        for cost, edges in paths[1:]:
            reading = join_texts([self._digester.element(e, text, memo) for e in edges])
            if reading not in seen:
                seen.add(reading)
                losing.append(LostReading(reading, lat.costs.value(cost), lat.costs.why(cost, paths[0][0])))
        return Trace(text, output, [self._node(e, text) for e in seq], frame, rejection,
                     lat.costs.value(paths[0][0]), losing)

    def set_list(self, name: str, entries: Iterable[ListEntry | str]) -> None:
        """Replace the entries of the runtime class `name` (declared `class name runtime`), without
        recompiling: each a ListEntry(text, value=None, context=None) or a plain string. A matched
        entry fills a slot whose value is its value (default: its text) and whose `context` is its
        context, so a caller can filter `parse(text, n=...)` readings by it. DataError on a bad entry."""
        if name not in self._digester.runtime:
            known = ", ".join(sorted(self._digester.runtime)) or "none"
            raise GrammarError(f"no runtime class named {name!r} (runtime classes: {known})")
        self._digester.set_list(name, list(entries))

    @property
    def runtime_classes(self) -> list[str]:
        """The names of the runtime classes, whose entries set_list replaces."""
        return sorted(self._digester.runtime)

    def expand(self, rule: str, limit: int | None = 100) -> list[str]:
        """Phrasings a rule or class covers (the multiplication rule), up to `limit`."""
        self._require(rule)
        return self._expansions().expand(rule, limit)

    def count(self, rule: str) -> int:
        """How many phrasings a rule or class covers (unbounded repeats counted to min+1), at most
        expand.MAX_COUNT (which then means "at least that many")."""
        self._require(rule)
        return self._expansions().count(rule)

    @property
    def rules(self) -> list[str]:
        """Names of every class and rule, in declaration order."""
        return [n for n, info in self.compiled.classes.items() if info.kind != "builtin"]

    def intent_templates(self) -> list[tuple[str, Template]]:
        """(intent, template) of every intent rule, in declaration order."""
        return [(m.intent, m.template) for m in self.compiled.matchers if m.intent]

    @property
    def intents(self) -> list[str]:
        """Intent names the grammar can produce."""
        return sorted({m.intent for m in self.compiled.matchers if m.intent})

    def info(self) -> dict[str, Any]:
        """Size figures: files, layers, classes, rules, lexicon variants, vocabulary."""
        c = self.compiled
        return {
            "source": self.source, "files": len(c.files), "layers": len(c.layers),
            "lexicon_entries": self._digester.matchers.n_entries,
            "rules": sum(1 for m in c.matchers if m.kind == "rule"), "intents": len(self.intents),
            "vocabulary": len(c.vocab),
            "automaton_states": sum(len(l.types) for l in c.layers),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the compiled forest (checksummed JSON) so it loads without the grammar sources."""
        artifact_io.save(path, self.compiled)

    # ---- internals -------------------------------------------------------------------------------
    def _require(self, rule: str) -> None:
        if rule not in self.compiled.classes or self.compiled.classes[rule].kind == "builtin":
            raise GrammarError(f"no rule or class named {rule!r} (known: {', '.join(self.rules[:20])}"
                               f"{' ...' if len(self.rules) > 20 else ''})")

    def _expansions(self) -> Expander:
        if self._expander is None:
            self._expander = Expander(self.compiled)
        return self._expander

    def _reading(self, lat: Lattice) -> list[Element]:
        memo: dict[int, Element] = {}
        element, text = self._digester.element, lat.text
        return [e.elem or element(e, text, memo) for e in lat.best_paths(1)[0][1]]

    def _frames(self, lat: Lattice, n: int, context: dict[str, Any] | None = None,
                check: bool = True) -> list[Frame]:
        """The n cheapest distinct frames: intent derivations spanning every non-punctuation element whose
        merged context passes their rule's requires / excludes (unless `check` is false)."""
        d = self._digester
        intent_ids = self._intent_ids
        if not intent_ids:
            return []
        base = lat.base
        lo = next((i for i, e in enumerate(base) if not _is_punct(e, d)), None)
        if lo is None:
            return []
        hi = next(i for i in range(len(base) - 1, -1, -1) if not _is_punct(base[i], d)) + 1
        total = lat.n
        cands = [e for s in range(lo + 1) for e in lat.out[s] if e.end >= hi and e.matcher in intent_ids]
        if not cands:
            return []
        top = lat.costs.top
        punct = top(lat.out[0][0])  # what each element left outside costs
        keyed = [((top(e) + punct * (e.start + total - e.end), e.matcher, e.start), e) for e in cands]
        if n == 1 and not self._has_context_rules:
            keyed = [min(keyed, key=_first)]
        else:
            keyed.sort(key=_first)
        memo: dict[int, Element] = {}
        frames: list[Frame] = []
        stored, n_entries = d.matchers.stored, d.matchers.n_entries
        for (cost, _m, _s), e in keyed:
            el = d.element(e, lat.text, memo)
            m = stored[e.matcher - n_entries]  # intent rules are stored matchers
            slots = self._slots(el)
            merged = dict(context or ())
            for slot in slots.values():
                if slot.context:
                    merged.update(slot.context)
            rules = m.context
            if rules:
                copied = rules.check(merged)
                if copied is None:
                    if check:
                        continue
                    copied = {}
                for kind, pairs in (("fixed", rules.fixed), ("context", copied.items())):
                    for name, value in pairs:
                        if type(value) is tuple:
                            value = list(value)
                        slots.setdefault(name, Slot(name, value, str(value), kind, el.start, el.end))
            f = Frame(m.intent, slots, m.name, m.where, el.text, lat.costs.value(cost), merged)
            if f not in frames:
                frames.append(f)
                if len(frames) == n:
                    break
        return frames

    def _slots(self, e: Element) -> dict[str, Slot]:
        out = {}
        for name, b in (e.captures or {}).items():
            if type(b) is list:
                if not b:
                    continue
                out[name] = Slot(name, [x.value for x in b], join_texts(b), self._type_name(b[0]), b[0].start, b[-1].end)
            else:
                out[name] = Slot(name, b.value, b.text, self._type_name(b), b.start, b.end, b.context)
        return out

    def _type_name(self, e: Element) -> str:
        mi = e.matcher
        if mi >= 0:
            matchers = self._digester.matchers
            if mi < matchers.n_entries:
                return matchers.entry(mi)[0].name  # an entry's class is its lexicon
            return matchers.stored[mi - matchers.n_entries].class_name
        types = self._digester.typesets.sets[e.tsid]
        for tid in sorted(types):
            name = self.compiled.types[tid]
            if not name.startswith("'") and name not in ("token", "any"):
                return name
        return "token"

    def _node(self, e: Element, text: str) -> TraceNode:
        surface = text[e.start:e.end]
        if e.matcher < 0:
            kind = "data" if e.groups is not None else "token"
            label = self._type_name(e) if kind == "data" else "token"
            return TraceNode(label, kind, "", 0, e.start, e.end, surface, e.text,
                             e.value if kind == "data" else None, decided=self._decided(surface) if kind == "token" else None)
        m = self._digester.matchers[e.matcher]
        return TraceNode(m.name, m.kind, m.where, e.layer, e.start, e.end, surface, e.text, e.value, m.intent, e.error,
                         [self._node(c, text) for c in e.children] if m.kind == "rule" else [])

    def _decided(self, word: str) -> str | None:
        """How the decided classes (decider.py) scored a word token, for explain; None if none applies."""
        parts = []
        for name, scores in self._digester.decided.evidence(word):
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
            parts.append(f"{name}: " + " > ".join(f"{c} {s:.2f}" for c, s in ranked))
        return "; ".join(parts) or None

    def _rejection(self, lat: Lattice) -> str:
        """Run each intent rule alone over the lattice (punctuation skipped); report the one that got furthest."""
        d = self._digester
        content = [i for i, e in enumerate(lat.base) if not _is_punct(e, d)]
        if not content:
            return "empty input"
        lo, hi = content[0], content[-1] + 1
        best: tuple[int, int, int, int] | None = None  # (end, parts, -matcher, state)
        for mi, auto in self._intent_automata().items():
            reached: dict[int, dict[int, int]] = {lo: {START: 0}}
            far, whole = (lo, 0, START), False
            for p in range(lo, min(lat.n, lo + MAX_SPAN) + 1):
                here = reached.pop(p, None)
                if not here:
                    continue
                for state, parts in here.items():
                    if (p, parts) > far[:2]:
                        far = (p, parts, state)
                    if p >= hi and mi in auto.accepts[state]:
                        whole = True
                    if p == lat.n:
                        continue
                    for e in lat.out[p]:
                        if e.matcher < 0 and _is_punct(e.elem, d):
                            reached.setdefault(e.end, {}).setdefault(state, parts)
                            continue
                        nxt = auto.step(state, e.tsid)
                        if nxt != DEAD:
                            reached.setdefault(e.end, {}).setdefault(nxt, parts + 1)
            if whole:
                continue
            if best is None or (far[0], far[1], -mi) > best[:3]:
                best = (far[0], far[1], -mi, far[2])
        if best is None:
            return NO_INTENT
        end, k, neg_mi, state = best
        m = d.matchers[-neg_mi]
        auto = self._intent_automata()[-neg_mi]
        types = self.compiled.types
        expected = sorted({_display_type(types[t]) for t in auto.expected_types(state)})
        where = f"{m.name} ({m.where})"
        if end < hi:
            nxt_el = next(lat.base[i] for i in content if i >= end)
            got = lat.text[nxt_el.start:nxt_el.end]
            return (f"closest rule {where} matched {k} of the input's parts, then found {got!r} "
                    f"where it expected {' or '.join(expected[:8]) or 'the end'}")
        return f"closest rule {where} matched the whole input but needs more: expected {' or '.join(expected[:8])}"

    @property
    def _intent_ids(self) -> frozenset[int]:
        ids = self.__dict__.get("_intent_id_set")
        if ids is None:
            ids = self.__dict__["_intent_id_set"] = frozenset(
                mi for mi, m in self._digester.matchers.stored_items() if m.intent)
        return ids

    def _intent_automata(self) -> dict[int, LayerMatcher]:
        if self._intent_matchers is None:
            d = self._digester
            self._intent_matchers = {}
            for mi, m in d.matchers.stored_items():
                if not m.intent:
                    continue
                builder = PositionsBuilder()
                builder.add(m.template, mi, self.compiled.type_of)
                self._intent_matchers[mi] = LayerMatcher(builder.spec(), d.typesets)
        return self._intent_matchers


def _first(item: tuple) -> Any:
    return item[0]


def _cost(f: Frame) -> float:
    return f.cost


def _caller_context(context: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if context is None:
        return None
    if not isinstance(context, Mapping) or not all(isinstance(k, str) for k in context):
        raise TypeError(f"context must be a mapping of names to values, got {type(context).__name__}")
    return dict(context)


def _moved(slot: Slot, where: list[int]) -> Slot:
    """A slot found in a text without its skip words, its span put back in the text as written."""
    end = where[slot.end - 1] + 1 if slot.end > slot.start else where[slot.end]
    return replace(slot, start=where[slot.start], end=end)


def _display_type(name: str) -> str:
    return name if name.startswith("'") else f"<{name}>"


def _is_punct(e: Element, d: Digester) -> bool:
    return e.matcher < 0 and e.groups is None and T_PUNCT in d.typesets.sets[e.tsid]


_check_text = check_text  # NotTextError: a DataError and a TypeError


# ---- finding and loading grammars -------------------------------------------------------------------
def shipped_grammars_dir() -> Path:
    """The folder of grammars shipped with edgekit (package data `edgekit.grammars`): where the import
    system finds that package (importlib.resources, which costs more to import, for any other loader)."""
    try:
        spec = importlib.util.find_spec("edgekit.grammars")
    except ModuleNotFoundError:
        spec = None
    if spec is None:  # run from a source checkout on PYTHONPATH, not installed
        return Path(__file__).resolve().parents[2] / "grammars"
    for location in spec.submodule_search_locations or ():
        if Path(location).is_dir():  # not inside a zip archive
            return Path(location)
    from importlib import resources

    return Path(str(resources.files("edgekit.grammars")))


def shipped_grammars() -> list[str]:
    """Names of the shipped grammar sets (`en-itn`, `home`, ...)."""
    root = shipped_grammars_dir()
    return sorted(str(p.parent.relative_to(root)).replace(os.sep, "-") for p in root.rglob(ENTRY_FILE))


def resolve_grammar(name_or_path: str | os.PathLike) -> Path:
    """A grammar's entry file (or compiled file) from a shipped name (`en-itn`) or a path."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    if p.is_dir() and (p / ENTRY_FILE).is_file():
        return p / ENTRY_FILE
    name = str(name_or_path)
    if name and all(part.isidentifier() or part.replace("_", "").isalnum() for part in name.split("-")):
        candidate = shipped_grammars_dir().joinpath(*name.split("-")) / ENTRY_FILE
        if candidate.is_file():
            return candidate
    raise GrammarError(f"no grammar {name!r}: not a file, a folder with {ENTRY_FILE}, or a shipped grammar "
                       f"({', '.join(shipped_grammars())})")


def compile_forest(name_or_path: str | os.PathLike) -> CompiledForest:
    """Load and compile a grammar set from source, bypassing the cache."""
    return replace(_compile(resolve_grammar(name_or_path)), read=())  # real paths: for the local cache only


def _compile(path: Path) -> CompiledForest:
    from .compiler import compile_grammar_set
    from .loader import load_grammar_set  # lark is imported only when a grammar is compiled

    return compile_grammar_set(load_grammar_set(path))


def load_forest(name_or_path: str | os.PathLike, *, cache: bool = True) -> Forest:
    """Load a grammar by shipped name or path (a .forest entry file, its folder, or a compiled .forestc).

    Source grammars are compiled once and cached; a cached compile is used only while every file the
    grammar read is unchanged."""
    path = resolve_grammar(name_or_path)
    if path.suffix == COMPILED_SUFFIX:
        compiled = artifact_io.load(path)
        try:
            return Forest(compiled, str(path))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, re.error, RecursionError) as exc:
            raise ModelFileError(f"{path}: not a valid compiled forest ({type(exc).__name__})") from None
    if not cache:
        return _forest(_compile(path), path)
    cached = artifact_io.cache_dir() / f"{artifact_io.cache_key(path)}{COMPILED_SUFFIX}"
    if cached.is_file():
        try:
            compiled = artifact_io.load(cached)
            if compiled.entry == path.name and compiled.read and not artifact_io.read_files_changed(compiled.read):
                return _forest(compiled, path)
        except ModelFileError:
            pass  # a damaged cache entry is rebuilt below
    compiled = replace(_compile(path), entry=path.name)
    try:
        artifact_io.save(cached, compiled)
    except OSError:
        pass  # caching is an optimisation; a read-only home must not break loading
    return _forest(compiled, path)


def _forest(compiled: CompiledForest, path: Path) -> Forest:
    """A Forest of a compile from sources: the files it read (their local paths) stay in the compile cache,
    out of the compiled forest a Forest saves, and on the Forest as `files_read`."""
    return Forest(replace(compiled, read=()), str(path), compiled.read)
