"""The Forest: a compiled grammar set with normalize / parse / explain / expand, and load_forest, which
finds a grammar by shipped name or path and compiles it once (cached by content hash)."""
from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import GrammarError, ModelFileError, check_text
from . import artifact as artifact_io
from .automaton import DEAD, T_PUNCT, LayerMatcher, build_nfa
from .digest import Digester, Element, join_texts
from .expand import Expander
from .frame import Frame, Slot
from .trace import Trace, TraceNode

ENTRY_FILE = "main.forest"
NO_INTENT = "no intent rule covers the input"
COMPILED_SUFFIX = ".forestc"


class Forest:
    """A compiled grammar set. Thread-compatible: each thread should use its own Forest."""

    def __init__(self, artifact: dict[str, Any], source: str = "") -> None:
        self.artifact = artifact
        self.source = source
        self._digester = Digester(artifact)
        self._expander: Expander | None = None
        self._intent_matchers: dict[int, LayerMatcher] | None = None

    # ---- public API ------------------------------------------------------------------------------
    def normalize(self, text: str) -> str:
        """Rewrite text into its canonical form; words no rule covers pass through unchanged."""
        return join_texts(self._digester.digest(_check_text(text)))

    def parse(self, text: str) -> Frame | None:
        """The frame (intent + typed slots) of a command, or None when no intent rule covers it."""
        return self._frame(self._digester.digest(_check_text(text)))

    def parse_with_reason(self, text: str) -> tuple[Frame | None, str | None]:
        """The frame, or None and why not (how far the closest intent rule got), from one digestion."""
        text = _check_text(text)
        seq = self._digester.digest(text)
        frame = self._frame(seq)
        if frame is not None:
            return frame, None
        return None, (self._rejection(seq, text) if self.intents else None) or NO_INTENT

    def explain(self, text: str) -> Trace:
        """The digestion tree of text: rule, file:line, layer, span and value of every symbol."""
        text = _check_text(text)
        seq = self._digester.digest(text)
        frame = self._frame(seq)
        rejection = None if frame is not None or not self.intents else self._rejection(seq, text)
        return Trace(text, join_texts(seq), [self._node(e, text) for e in seq], frame, rejection)

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
        return [n for n, info in self.artifact["classes"].items() if info["kind"] != "builtin"]

    @property
    def intents(self) -> list[str]:
        """Intent names the grammar can produce."""
        return sorted({m["intent"] for m in self.artifact["matchers"] if m.get("intent")})

    def info(self) -> dict[str, Any]:
        """Size figures: files, layers, classes, rules, lexicon variants, vocabulary."""
        ms = self.artifact["matchers"]
        return {
            "source": self.source, "files": len(self.artifact["files"]), "layers": len(self.artifact["layers"]),
            "lexicon_entries": sum(1 for m in ms if m["kind"] == "entry"),
            "rules": sum(1 for m in ms if m["kind"] == "rule"), "intents": len(self.intents),
            "vocabulary": len(self.artifact["vocab"]),
            "automaton_states": sum(len(l["states"]) for l in self.artifact["layers"]),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the compiled forest (checksummed JSON) so it loads without the grammar sources."""
        artifact_io.save(path, self.artifact)

    # ---- internals -------------------------------------------------------------------------------
    def _require(self, rule: str) -> None:
        if rule not in self.artifact["classes"] or self.artifact["classes"][rule]["kind"] == "builtin":
            raise GrammarError(f"no rule or class named {rule!r} (known: {', '.join(self.rules[:20])}"
                               f"{' ...' if len(self.rules) > 20 else ''})")

    def _expansions(self) -> Expander:
        if self._expander is None:
            self._expander = Expander(self.artifact)
        return self._expander

    def _frame(self, seq: list[Element]) -> Frame | None:
        content = [e for e in seq if not _is_punct(e, self._digester)]
        if len(content) != 1:
            return None
        e: Element | None = content[0]
        matchers = self._digester.matchers
        while e is not None and e.matcher >= 0:
            m = matchers[e.matcher]
            if m.get("intent"):
                return Frame(m["intent"], self._slots(e), m["name"], f"{m['where'][0]}:{m['where'][1]}", e.text)
            e = e.unit
        return None

    def _slots(self, e: Element) -> dict[str, Slot]:
        out = {}
        captures = e.captures if e.captures is not None else self._digester.bind(e.matcher, e.children)
        for name, b in captures.items():
            if isinstance(b, list):
                if not b:
                    continue
                out[name] = Slot(name, [x.value for x in b], join_texts(b), self._type_name(b[0]), b[0].start, b[-1].end)
            else:
                out[name] = Slot(name, b.value, b.text, self._type_name(b), b.start, b.end)
        return out

    def _type_name(self, e: Element) -> str:
        if e.matcher >= 0:
            return self._digester.matchers[e.matcher]["class"]
        types = self._digester.typesets.sets[e.tsid]
        for tid in sorted(types):
            name = self.artifact["types"][tid]
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
        return TraceNode(m["name"], m["kind"], f"{m['where'][0]}:{m['where'][1]}", e.layer, e.start, e.end,
                         surface, e.text, e.value, m.get("intent"), e.error,
                         [self._node(c, text) for c in e.children] if m["kind"] == "rule" else [])

    def _decided(self, word: str) -> str | None:
        """How the decided classes (decider.py) scored a word token, for explain; None if none applies."""
        parts = []
        for name, scores in self._digester.decided.evidence(word):
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
            parts.append(f"{name}: " + " > ".join(f"{c} {s:.2f}" for c, s in ranked))
        return "; ".join(parts) or None

    def _rejection(self, seq: list[Element], text: str) -> str:
        """Run each intent rule alone over the final sequence; report the one that got furthest."""
        content = [e for e in seq if not _is_punct(e, self._digester)]
        if not content:
            return "empty input"
        best: tuple[int, int, int] | None = None  # (progress, -matcher, state)
        for mi, matcher in self._intent_automata().items():
            state, k = matcher.start, 0
            for e in content:
                nxt = matcher.step(state, e.tsid)
                if nxt == DEAD:
                    break
                state, k = nxt, k + 1
            if matcher.best[state] >= 0 and k == len(content):
                continue
            if best is None or (k, -mi) > best[:2]:
                best = (k, -mi, state)
        if best is None:
            return NO_INTENT
        k, neg_mi, state = best
        m = self._digester.matchers[-neg_mi]
        matcher = self._intent_automata()[-neg_mi]
        types = self.artifact["types"]
        expected = sorted({_display_type(types[t]) for s in matcher.dfa[state] for t in matcher.trans[s]})
        where = f"{m['name']} ({m['where'][0]}:{m['where'][1]})"
        if k < len(content):
            got = text[content[k].start:content[k].end]
            return (f"closest rule {where} matched {k} of the input's parts, then found {got!r} "
                    f"where it expected {' or '.join(expected[:8]) or 'the end'}")
        return f"closest rule {where} matched the whole input but needs more: expected {' or '.join(expected[:8])}"

    def _intent_automata(self) -> dict[int, LayerMatcher]:
        if self._intent_matchers is None:
            d = self._digester
            vocab, cids = d.vocab, d.class_ids
            self._intent_matchers = {}
            priorities = [m["priority"] for m in d.matchers]
            for mi, m in enumerate(d.matchers):
                if not m.get("intent"):
                    continue
                states: list = [[[], []]]
                end = build_nfa(m["template"], states, 0,
                                lambda node: vocab[node[1]] if node[0] == "lit" else cids[node[1]])
                states.append([[], []])
                states[end][0].append(len(states) - 1)
                self._intent_matchers[mi] = LayerMatcher(states, [[len(states) - 1, mi]], priorities, d.typesets)
        return self._intent_matchers


def _display_type(name: str) -> str:
    return name if name.startswith("'") else f"<{name}>"


def _is_punct(e: Element, d: Digester) -> bool:
    return e.matcher < 0 and e.groups is None and T_PUNCT in d.typesets.sets[e.tsid]


_check_text = check_text  # NotTextError: a DataError and a TypeError


# ---- finding and loading grammars -------------------------------------------------------------------
def shipped_grammars_dir() -> Path:
    """The folder of grammars shipped with edgekit (package data `edgekit.grammars`)."""
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


def compile_forest(name_or_path: str | os.PathLike) -> dict[str, Any]:
    """Load and compile a grammar set from source, bypassing the cache."""
    from .compiler import compile_grammar_set
    from .loader import load_grammar_set  # lark is imported only when a grammar is compiled

    return compile_grammar_set(load_grammar_set(resolve_grammar(name_or_path)))


def load_forest(name_or_path: str | os.PathLike, *, cache: bool = True) -> Forest:
    """Load a grammar by shipped name or path (a .forest entry file, its folder, or a compiled .forestc).

    Source grammars are compiled once and cached under the entry file and the engine's sources; a cached
    artifact is used only while every file the grammar read is unchanged."""
    path = resolve_grammar(name_or_path)
    if path.suffix == COMPILED_SUFFIX:
        art = artifact_io.load(path)
        try:
            return Forest(art, str(path))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, re.error, RecursionError) as exc:
            raise ModelFileError(f"{path}: not a valid compiled forest ({type(exc).__name__})") from None
    if not cache:
        return Forest(compile_forest(path), str(path))
    key = artifact_io.cache_key(path)
    cached = artifact_io.cache_dir() / f"{key}{COMPILED_SUFFIX}"
    if cached.is_file():
        try:
            art = artifact_io.load(cached)
            if art.get("entry") == path.name and not artifact_io.read_files_changed(art):
                return Forest(art, str(path))
        except ModelFileError:
            pass  # a damaged cache entry is rebuilt below
    art = compile_forest(path)
    art["entry"] = path.name
    try:
        artifact_io.save(cached, art)
    except OSError:
        pass  # caching is an optimisation; a read-only home must not break loading
    return Forest(art, str(path))
