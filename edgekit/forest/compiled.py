"""The compiled forest: what the compiler makes, artifact.py stores and the Digester runs, as one typed
object. `to_json` gives its plain JSON form (never pickled); `from_json` rebuilds it and checks every
field, every template and expression, and every index the engine follows, so a forged file (valid
checksum, wrong content) is a CompiledError at load, never a failure mid-parse.

A lexicon is one compact record (LexiconRecord): parallel lists, one item per entry, so a 100,000-entry
lexicon costs no object per entry once loaded (matchers.py makes an entry's Matcher when asked)."""
from __future__ import annotations

import re
from typing import Any

from ..valueclass import field, value_class
from .decider import DeciderError, check_model
from .model import ContextRules, Expr, Lit, NodeError, Ref, Template, expr_from_json, expr_to_json, leaves, template_from_json, \
    template_to_json

class CompiledError(ValueError):
    """A compiled forest's JSON form is malformed (artifact.py reports it as a ModelFileError)."""


@value_class(frozen=True)
class DataSpec:
    """A data class: its regex (or decider model), its type id, where it was declared."""

    name: str
    type: int
    pattern: str
    file: str
    line: int
    decider: dict | None = None


@value_class(frozen=True)
class LexiconRecord:
    """One lexicon: per entry its canonical form, value, line and first variant (`phrase`: casefolded
    tokens joined by spaces); `more` rows [k, phrase, ...] list the other variants of entry k."""

    name: str
    type: int
    priority: int
    verbatim: bool
    file: str
    canonical: list[str]
    value: list[int | str]
    line: list[int]
    phrase: list[str]
    more: list[list]


@value_class(frozen=True)
class Matcher:
    """What one matcher id stands for: a lexicon entry, a runtime class or a rule."""

    kind: str  # "entry", "runtime" or "rule"
    class_name: str  # the class it recognises (a rule's own name)
    name: str
    file: str
    line: int
    priority: int
    layer: int
    type: int
    template: Template
    captures: dict[str, bool]  # capture name -> whether it repeats (a list)
    cost: int = 0  # thousandths of an uncovered element
    value: Expr | None = None
    text: Expr | None = None
    intent: str | None = None
    needs: tuple[tuple[int, ...], ...] = ()  # a rule's required types as clauses (prefilter.required_types)
    context: ContextRules = field(default_factory=ContextRules)  # an intent rule's fixed slots, requires, excludes

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@value_class(frozen=True)
class LayerSpec:
    """One layer's position automaton (automaton.py): parallel lists indexed by position, 0 the start."""

    types: list[int]
    owner: list[int]
    cap: list[str | None]
    follow: list[list[int]]
    final: list[int]


@value_class(frozen=True)
class ClassInfo:
    kind: str  # "builtin", "data", "lexicon", "runtime" or "rule"
    layer: int


@value_class(frozen=True)
class CompiledForest:
    """A compiled grammar set. Matcher ids: lexicon entries first (in lexicon order), then `matchers`."""

    files: list[str]
    types: list[str]  # type id -> class name, or "'w'" for the literal w
    vocab: dict[str, int]  # literal word -> type id
    data: list[DataSpec]
    tables: dict[str, dict[str, Any]]
    lexicons: list[LexiconRecord]
    matchers: list[Matcher]  # runtime classes, then rules
    layers: list[LayerSpec]
    classes: dict[str, ClassInfo]
    read: tuple[tuple[str, str], ...] = ()  # (real path, sha256) of every file read: the local cache only
    entry: str | None = None  # the entry file's name, in the compile cache
    translate: dict[str, str] = field(default_factory=dict)  # input character -> the one read instead
    skip: tuple[str, ...] = ()  # `skip` words (casefolded): a command is also read without them
    cuts: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())  # `cut before` and `cut after` parts, longest first
    class_ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "class_ids", {n: i for i, n in enumerate(self.types) if not n.startswith("'")})

    def type_of(self, node: Lit | Ref) -> int:
        """The type id a template leaf reads."""
        return self.vocab[node.word] if isinstance(node, Lit) else self.class_ids[node.name]

    # ---- JSON ----------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The JSON form (artifact.py adds the format and version and seals it)."""
        out: dict[str, Any] = {"files": self.files}
        if self.read:
            out["read"] = [list(r) for r in self.read]
        out.update({
            "types": self.types, "vocab": self.vocab,
            "data": [{"name": d.name, "type": d.type, "pattern": d.pattern, "where": [d.file, d.line],
                      **({"decider": d.decider} if d.decider else {})} for d in self.data],
            "tables": self.tables,
            "lexicons": [{"class": lx.name, "type": lx.type, "priority": lx.priority, "verbatim": lx.verbatim,
                          "file": lx.file, "canonical": lx.canonical, "value": lx.value, "line": lx.line,
                          "phrase": lx.phrase, "more": lx.more} for lx in self.lexicons],
            "matchers": [_matcher_json(m) for m in self.matchers],
            "layers": [{"types": l.types, "owner": l.owner, "cap": l.cap, "follow": l.follow, "final": l.final}
                       for l in self.layers],
            "classes": {n: {"kind": c.kind, "layer": c.layer} for n, c in self.classes.items()},
        })
        if self.entry is not None:
            out["entry"] = self.entry
        if self.translate:
            out["translate"] = self.translate
        if self.skip:
            out["skip"] = list(self.skip)
        if any(self.cuts):
            out["cuts"] = {"before": list(self.cuts[0]), "after": list(self.cuts[1])}
        return out

    @classmethod
    def from_json(cls, art: Any) -> "CompiledForest":
        """Rebuild a compiled forest from its JSON form; CompiledError says what is wrong with it."""
        return _read(art)


def _matcher_json(m: Matcher) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": m.kind, "class": m.class_name, "name": m.name, "where": [m.file, m.line],
                           "priority": m.priority}
    if m.kind == "rule":
        out["cost"] = m.cost
    out.update({"layer": m.layer, "template": template_to_json(m.template)})
    if m.kind == "rule":
        out.update({"value": None if m.value is None else expr_to_json(m.value),
                    "text": None if m.text is None else expr_to_json(m.text), "intent": m.intent,
                    "needs": [list(c) for c in m.needs]})
        if m.context:
            out["context"] = m.context.to_json()
    out.update({"captures": m.captures, "type": m.type})
    return out


# ---- reading and checking ------------------------------------------------------------------------------------
def _read(art: Any) -> CompiledForest:
    if not isinstance(art, dict):
        raise CompiledError("payload is not an object")
    kinds = {"types": list, "vocab": dict, "data": list, "tables": dict, "lexicons": list, "matchers": list,
             "layers": list, "classes": dict, "files": list}
    for key, kind in kinds.items():
        if not isinstance(art.get(key), kind):
            raise CompiledError(f"{key!r} missing or not a {kind.__name__}")
    types, vocab = art["types"], art["vocab"]
    if not all(type(t) is str for t in types) or not all(
            type(w) is str and type(v) is int and 0 <= v < len(types) for w, v in vocab.items()):
        raise CompiledError("bad types or vocabulary")
    if not all(type(f) is str for f in art["files"]):
        raise CompiledError("bad file list")
    classes = _classes(art["classes"], types)
    data = [_data(d, len(types)) for d in art["data"]]
    tables = _tables(art["tables"])
    lexicons = [_lexicon(lx, types, classes) for lx in art["lexicons"]]
    n_layers = len(art["layers"])
    known = set(classes)
    matchers = [_matcher(m, types, vocab, known, n_layers) for m in art["matchers"]]
    n_entries = sum(len(lx.canonical) for lx in lexicons)
    layers = [_layer(layer, len(types), n_entries, matchers) for layer in art["layers"]]
    read = art.get("read", ())
    if not (isinstance(read, list | tuple) and all(type(r) is list and len(r) == 2 and all(type(x) is str for x in r)
                                                   for r in read)):
        raise CompiledError("bad list of files read")
    entry = art.get("entry")
    if entry is not None and type(entry) is not str:
        raise CompiledError("bad entry file name")
    translate = art.get("translate", {})
    if not (isinstance(translate, dict) and all(type(k) is str and type(v) is str and len(k) == len(v) == 1
                                                for k, v in translate.items())):
        raise CompiledError("bad character translation (each entry one character to one character)")
    skip = art.get("skip", [])
    if not (isinstance(skip, list) and all(type(w) is str and w for w in skip)):
        raise CompiledError("bad skip words")
    cuts = art.get("cuts", {"before": [], "after": []})
    if not (isinstance(cuts, dict) and set(cuts) == {"before", "after"} and all(
            isinstance(v, list) and all(type(w) is str and w for w in v) for v in cuts.values())):
        raise CompiledError("bad cut parts")
    return CompiledForest(art["files"], types, vocab, data, tables, lexicons,
                          matchers, layers, classes, tuple(tuple(r) for r in read), entry, translate, tuple(skip),
                          (tuple(cuts["before"]), tuple(cuts["after"])))


_CLASS_KINDS = frozenset({"builtin", "data", "lexicon", "runtime", "rule"})


def _classes(raw: dict, types: list[str]) -> dict[str, ClassInfo]:
    out = {}
    for name, info in raw.items():
        if not (isinstance(info, dict) and type(info.get("kind")) is str and info["kind"] in _CLASS_KINDS
                and type(info.get("layer")) is int):
            raise CompiledError(f"bad class {str(name)[:40]!r}")
        out[name] = ClassInfo(info["kind"], info["layer"])
    if not set(out) <= set(types):
        raise CompiledError("a class without a type")
    return out


def _data(d: Any, n_types: int) -> DataSpec:
    if not (isinstance(d, dict) and type(d.get("pattern")) is str and type(d.get("type")) is int
            and 0 <= d["type"] < n_types and type(d.get("name")) is str):
        raise CompiledError("bad data class")
    where = d.get("where")
    if not (type(where) is list and len(where) == 2 and type(where[0]) is str and type(where[1]) is int):
        raise CompiledError("bad data class")
    try:
        re.compile(d["pattern"])
    except (re.error, RecursionError, OverflowError):
        raise CompiledError(f"bad pattern of data class {d['name']}") from None
    if d.get("decider") is not None:
        try:
            check_model(d["decider"])
        except DeciderError as exc:
            raise CompiledError(f"bad decider of data class {d['name']}: {exc}") from None
    return DataSpec(d["name"], d["type"], d["pattern"], where[0], where[1], d.get("decider"))


def _tables(raw: dict) -> dict[str, dict[str, Any]]:
    for name, items in raw.items():
        if not (isinstance(items, dict) and all(type(k) is str and type(v) in (int, str) for k, v in items.items())):
            raise CompiledError(f"bad table {str(name)[:40]!r}")
    return raw


_LEXICON_FIELDS = {"class": str, "type": int, "priority": int, "verbatim": bool, "file": str, "canonical": list,
                   "value": list, "line": list, "phrase": list, "more": list}


def _lexicon(lx: Any, types: list[str], classes: dict[str, ClassInfo]) -> LexiconRecord:
    """One compact lexicon record, checked as a whole (the types of each parallel list in one pass)."""
    if not isinstance(lx, dict) or any(type(lx.get(k)) is not t for k, t in _LEXICON_FIELDS.items()):
        raise CompiledError("bad lexicon")
    name = lx["class"]
    info = classes.get(name)
    if info is None or info.kind != "lexicon" or not 0 <= lx["type"] < len(types) or types[lx["type"]] != name:
        raise CompiledError(f"bad lexicon {name!r}")
    n = len(lx["canonical"])
    if any(len(lx[k]) != n for k in ("value", "line", "phrase")):
        raise CompiledError(f"bad lexicon {name!r}: its lists differ in length")
    if not set(map(type, lx["canonical"])) <= {str} or not all(
            type(v) in (int, str) or type(v) is list and v and set(map(type, v)) <= {int, str} for v in lx["value"]) \
            or not set(map(type, lx["phrase"])) <= {str}:
        raise CompiledError(f"bad lexicon {name!r}: bad canonical form, value or variant")
    if not set(map(type, lx["line"])) <= {int} or (n and min(lx["line"]) < 0):
        raise CompiledError(f"bad lexicon {name!r}: bad line")
    if not all(type(row) is list and len(row) > 1 and type(row[0]) is int and 0 <= row[0] < n
               and set(map(type, row[1:])) == {str} for row in lx["more"]):
        raise CompiledError(f"bad lexicon {name!r}: bad variants")
    return LexiconRecord(name, lx["type"], lx["priority"], lx["verbatim"], lx["file"], lx["canonical"], lx["value"],
                         lx["line"], lx["phrase"], lx["more"])


_MATCHER_FIELDS = {"kind": str, "class": str, "name": str, "where": list, "priority": int, "layer": int,
                   "captures": dict, "type": int}


def _matcher(m: Any, types: list[str], vocab: dict[str, int], known: set[str], n_layers: int) -> Matcher:
    if not isinstance(m, dict) or any(type(m.get(k)) is not t for k, t in _MATCHER_FIELDS.items()):
        raise CompiledError("bad matcher")
    where = m["where"]
    if not 0 <= m["type"] < len(types) or m["class"] not in known or len(where) != 2 \
            or type(where[0]) is not str or type(where[1]) is not int or not 1 <= m["layer"] <= n_layers:
        raise CompiledError("bad matcher")
    if m["kind"] not in ("rule", "runtime"):
        raise CompiledError("bad matcher template")
    try:
        template = template_from_json(m.get("template"))
    except NodeError:
        raise CompiledError("bad matcher template") from None
    if not all(leaf.word in vocab if isinstance(leaf, Lit) else leaf.name in known for leaf in leaves(template)):
        raise CompiledError(f"bad matcher template: a word or class the forest does not have, in {m['name']!r}")
    cost = m.get("cost", 0)
    if type(cost) is not int:
        raise CompiledError("bad matcher cost")
    if not all(type(k) is str and type(v) is bool for k, v in m["captures"].items()):
        raise CompiledError("bad matcher captures")
    clauses: dict[str, Expr | None] = {"value": None, "text": None}
    intent, needs, context = None, (), ContextRules()
    if m["kind"] == "rule":
        intent = m.get("intent")
        if intent is not None and type(intent) is not str:
            raise CompiledError("bad matcher intent")
        raw = m.get("needs")
        if not isinstance(raw, list) or not all(isinstance(c, list) and c and all(
                type(t) is int and 0 <= t < len(types) for t in c) for c in raw):
            raise CompiledError(f"bad required types in rule {m['name']!r}")
        needs = tuple(tuple(c) for c in raw)
        if "context" in m:
            try:
                context = ContextRules.from_json(m["context"])
            except NodeError:
                raise CompiledError(f"bad context rules in rule {m['name']!r}") from None
        for clause in clauses:
            if m.get(clause) is not None:
                try:
                    clauses[clause] = expr_from_json(m[clause])
                except NodeError as exc:
                    raise CompiledError(f"{exc} in rule {m['name']!r}") from None
    return Matcher(m["kind"], m["class"], m["name"], where[0], where[1], m["priority"], m["layer"], m["type"],
                   template, m["captures"], cost, clauses["value"], clauses["text"], intent, needs, context)


def _layer(layer: Any, n_types: int, n_entries: int, stored: list[Matcher]) -> LayerSpec:
    """One layer's position automaton, checked: every index in range, and each captured position owned by a
    rule that has that capture (so binding captures never meets an unknown name)."""
    if not isinstance(layer, dict) or not all(type(layer.get(k)) is list for k in
                                              ("types", "owner", "cap", "follow", "final")):
        raise CompiledError("bad layer")
    types, owner, cap, follow, final = (layer[k] for k in ("types", "owner", "cap", "follow", "final"))
    n = len(types)
    if not n or any(len(x) != n for x in (owner, cap, follow)):
        raise CompiledError("bad layer")
    n_matchers = n_entries + len(stored)
    if not all(type(t) is int and (p == 0 or 0 <= t < n_types) for p, t in enumerate(types)):
        raise CompiledError("bad automaton position")
    if not all(type(o) is int and (p == 0 or 0 <= o < n_matchers) for p, o in enumerate(owner)):
        raise CompiledError("bad automaton position")
    for p, c in enumerate(cap):
        if c is None:
            continue
        if type(c) is not str or p == 0 or owner[p] < n_entries or c not in stored[owner[p] - n_entries].captures:
            raise CompiledError("bad automaton capture")
    for f in follow:
        if type(f) is not list or not all(type(q) is int and 0 < q < n for q in f):
            raise CompiledError("bad automaton transition")
    if not all(type(q) is int and 0 < q < n for q in final):
        raise CompiledError("bad automaton accept")
    return LayerSpec(types, owner, cap, follow, final)
