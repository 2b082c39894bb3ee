"""The compiled forest as a typed object: its JSON form round-trips, every forged field, template node or
expression in a .forestc with a valid checksum is a ModelFileError at load, and the compile-cache key
covers every engine source that shapes a compiled forest."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from edgekit.errors import ModelFileError
from edgekit.forest import artifact, expr, load_forest
from edgekit.forest.compiled import CompiledForest
from edgekit.forest.forest import compile_forest, shipped_grammars
from edgekit.forest.model import (BIN_OPS, CMP_OPS, MAX_NODE_DEPTH, NodeError, expr_from_json, expr_to_json,
                                  template_from_json, template_to_json)

EDGEKIT = Path(artifact.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def en_itn_json() -> dict:
    return load_forest("en-itn").compiled.to_json()


@pytest.mark.parametrize("name", shipped_grammars())
def test_a_compiled_forest_round_trips_through_its_json_form(name):
    compiled = compile_forest(name)
    data = artifact.dumps(compiled)
    again = artifact.loads(data)
    assert again == compiled and artifact.dumps(again) == data
    for m in compiled.matchers:  # each node kind has one JSON form, read back to an equal node
        assert template_from_json(template_to_json(m.template)) == m.template
        for clause in (m.value, m.text):
            if clause is not None:
                assert expr_from_json(expr_to_json(clause)) == clause


def _rule(art: dict, clause: str | None = None) -> dict:
    return next(m for m in art["matchers"] if m["kind"] == "rule" and (clause is None or m.get(clause) is not None))


def _first_capture(art: dict) -> tuple[dict, int]:
    return next((layer, p) for layer in art["layers"] for p in range(1, len(layer["cap"])) if layer["cap"][p])


def _nested(depth: int) -> list:
    node: list = ["lit", "one"]
    for _ in range(depth):
        node = ["opt", node]
    return node


FORGERIES = {
    # template nodes
    "empty sequence": lambda a: _rule(a).update(template=["seq", []]),
    "unknown tag": lambda a: _rule(a).update(template=["star", ["lit", "one"]]),
    "ref name not a string": lambda a: _rule(a).update(template=["ref", 5, None]),
    "ref to a class the forest lacks": lambda a: _rule(a).update(template=["ref", "nosuchclass", None]),
    "literal the vocabulary lacks": lambda a: _rule(a).update(template=["lit", "nosuchword"]),
    "repeat bounds reversed": lambda a: _rule(a).update(template=["rep", ["lit", "one"], 3, 2]),
    "repeat bound a boolean": lambda a: _rule(a).update(template=["rep", ["lit", "one"], True, None]),
    "repeat past MAX_REPEAT": lambda a: _rule(a).update(template=["rep", ["lit", "one"], 0, 10**6]),
    "nested too deep": lambda a: _rule(a).update(template=_nested(MAX_NODE_DEPTH + 5)),
    # value and text expressions
    "number with an exponent": lambda a: _rule(a, "value").update(value=["num", "1e5"]),
    "number NaN": lambda a: _rule(a, "value").update(value=["num", "NaN"]),
    "number of 5000 digits": lambda a: _rule(a, "value").update(value=["num", "9" * 5000]),
    "unknown operator": lambda a: _rule(a, "text").update(text=["cmp", "===", ["num", "1"], ["num", "2"]]),
    "empty and": lambda a: _rule(a, "value").update(value=["and", []]),
    "attribute not a name": lambda a: _rule(a, "value").update(value=["attr", ["name", "x"], 3]),
    "constant a list": lambda a: _rule(a, "value").update(value=["const", [1, 2]]),
    "function name a list": lambda a: _rule(a, "value").update(value=["call", ["pad"], []]),
    "operator a list": lambda a: _rule(a, "text").update(text=["bin", ["+"], ["num", "1"], ["num", "2"]]),
    # other fields the engine follows
    "class info a list": lambda a: a["classes"].update({_rule(a)["class"]: []}),
    "class kind a list": lambda a: a["classes"].update({_rule(a)["class"]: {"kind": ["rule"], "layer": 1}}),
    "table a list": lambda a: a["tables"].update({next(iter(a["tables"])): [1]}),
    "capture no rule binds": lambda a: (lambda layer, p: layer["cap"].__setitem__(p, "zzz"))(*_first_capture(a)),
    "rule layer past the layers": lambda a: _rule(a).update(layer=len(a["layers"]) + 1),
    "read list malformed": lambda a: a.update(read=[["only one"]]),
    "required type past the types": lambda a: _rule(a).update(needs=[[len(a["types"]) + 7]]),
    "required types missing": lambda a: _rule(a).pop("needs"),
    "translation of two characters": lambda a: a.update(translate={"a": "bc"}),
    "translation a list": lambda a: a.update(translate=[["a", "b"]]),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_node_or_field_in_a_compiled_forest_is_a_model_file_error(tmp_path, en_itn_json, forgery):
    art = json.loads(json.dumps(en_itn_json))
    FORGERIES[forgery](art)
    path = tmp_path / "forged.forestc"
    path.write_bytes(artifact.dumps_json(art))  # a valid checksum over the forged payload
    with pytest.raises(ModelFileError, match="not a valid compiled forest"):
        load_forest(path).normalize("twenty one")


def test_the_node_readers_refuse_what_is_not_a_node():
    for bad in (None, [], "lit", ["lit"], ["lit", 1], ["alt", ["lit", "a"]], ["opt", ["lit", "a"], 1]):
        with pytest.raises(NodeError, match="bad template"):
            template_from_json(bad)
    for bad in (None, [], [1], ["num", 1], ["call", "nosuch", []], ["call", "pad", [["num", "1"]]], ["if", ["name", "x"]]):
        with pytest.raises(NodeError, match="bad expression"):
            expr_from_json(bad)
    with pytest.raises(ValueError):
        CompiledForest.from_json({"types": "no"})
    assert set(expr._COMPARE) == CMP_OPS  # the operators a forest may name are the ones expr.py evaluates
    for op in BIN_OPS:
        assert expr._arith(op, 7, 2) is not None


# ---- the compile-cache key ----------------------------------------------------------------------------------
# imported by the compiler or loader, but unable to change what a compile produces: messages of refused
# grammars (never cached), the collector pause, and number words evaluated at run time
NOT_SHAPING = {"errors.py", "forest/gcpause.py", "forest/numwords.py"}


def _imports(path: Path) -> set[Path]:
    """The edgekit modules one source file imports (relative imports, at any depth of the file)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = path.parent.joinpath(*[".."] * (node.level - 1)).resolve()
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                target = base.joinpath(*name.split("."))
                if target.with_suffix(".py").is_file():
                    out.add(target.with_suffix(".py"))
    return out


def _engine_sources() -> set[str]:
    seen, todo = set(), [EDGEKIT / "forest" / "compiler.py", EDGEKIT / "forest" / "loader.py"]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(_imports(path))
    return {p.relative_to(EDGEKIT).as_posix() for p in seen}


def test_the_cache_key_covers_every_source_the_compiler_and_loader_import():
    listed = {(Path("forest") / f).as_posix().replace("forest/../", "") for f in artifact._ENGINE_FILES}
    needed = _engine_sources() - NOT_SHAPING
    assert {"forest/automaton.py", "limits.py", "forest/compiled.py"} <= needed
    assert needed <= listed, needed - listed
    assert {"forest/forest_grammar.lark", "forest/artifact.py"} <= listed  # the grammar of grammars; the file form


@pytest.mark.parametrize("source", sorted(_engine_sources() - NOT_SHAPING))
def test_editing_an_engine_source_changes_the_cache_key(tmp_path, monkeypatch, source):
    entry = tmp_path / "main.forest"
    entry.write_text("lexicon l { a: b }\n", encoding="utf-8")
    artifact.engine_fingerprint.cache_clear()
    before = artifact.cache_key(entry)
    original = Path.read_bytes
    edited = (EDGEKIT / source).resolve()
    monkeypatch.setattr(Path, "read_bytes", lambda self: original(self) + (b"\n# edited" if self.resolve() == edited
                                                                           else b""))
    artifact.engine_fingerprint.cache_clear()
    try:
        assert artifact.cache_key(entry) != before
    finally:
        monkeypatch.undo()
        artifact.engine_fingerprint.cache_clear()
    assert artifact.cache_key(entry) == before
