"""Untrusted files: no pickle or code execution anywhere in edgekit; grammar imports and lists cannot leave
their grammar set; forged files (valid checksums, hostile contents) are refused with ModelFileError; ONNX
files cannot pull in data from outside themselves."""
from __future__ import annotations

import io
import json
import os
import tokenize
from pathlib import Path

import numpy as np
import pytest

from edgekit.errors import GrammarError, ModelFileError
from edgekit.forest import load_forest
from edgekit.learn.heads import load_head, make_head

from . import fuzz_targets as ft
from .harness import python_files, trained_head

REPO = Path(__file__).resolve().parents[2]
SCANNED = [REPO / "edgekit", REPO / "exporters"]
FORBIDDEN_NAMES = {"pickle", "cPickle", "_pickle", "dill", "marshal", "shelve", "eval", "exec", "__import__",
                   "import_module", "allow_pickle", "unsafe_load", "full_load", "FullLoader", "UnsafeLoader"}
# PyYAML (the hass extra) is allowed with its SafeLoader only: these attributes build arbitrary objects.
_UNSAFE_YAML = {"load", "load_all", "Loader", "UnsafeLoader", "FullLoader", "unsafe_load", "full_load"}


def dangerous_calls(source: str) -> list[tuple[int, str]]:
    """(line, name) of code that could run or unpickle data: forbidden names, builtin compile(), np.load,
    os.system/popen. Works on tokens, so comments and docstrings that mention them do not count."""
    hits = []
    toks = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)]
    for k, tok in enumerate(toks):
        if tok.type != tokenize.NAME:
            continue
        prev = toks[k - 1].string if k else ""
        before = toks[k - 2].string if k > 1 else ""
        nxt = toks[k + 1].string if k + 1 < len(toks) else ""
        if tok.string in FORBIDDEN_NAMES:
            hits.append((tok.start[0], tok.string))
        elif tok.string == "compile" and prev not in (".", "def") and nxt == "(":
            hits.append((tok.start[0], "compile"))
        elif prev == "." and before == "yaml" and tok.string in _UNSAFE_YAML:
            hits.append((tok.start[0], f"yaml.{tok.string}"))
        elif prev == "." and (before, tok.string) in {("np", "load"), ("numpy", "load"), ("os", "system"),
                                                       ("os", "popen")}:
            hits.append((tok.start[0], f"{before}.{tok.string}"))
    return hits


def test_the_scanner_finds_what_it_should_and_ignores_prose():
    code = 'import pickle\nx = eval("1")\ny = compile("1", "f", "eval")\nz = np.load(p)\n__import__("os")\n'
    assert [name for _, name in dangerous_calls(code)] == ["pickle", "eval", "compile", "np.load", "__import__"]
    prose = '"""No pickle, no eval() here."""\n# never exec(...)\nrx = re.compile("a")\ndef compile(x): pass\n'
    assert dangerous_calls(prose) == []
    yaml_code = "a = yaml.load(t)\nb = yaml.load(t, Loader=yaml.Loader)\nc = yaml.unsafe_load(t)\nd = yaml.compose(t, Loader=yaml.SafeLoader)\n"
    assert [name for _, name in dangerous_calls(yaml_code)] == ["yaml.load", "yaml.load", "yaml.Loader", "unsafe_load"]


def test_no_pickle_eval_exec_or_dynamic_import_anywhere_in_the_package():
    hits = [f"{p.relative_to(REPO)}:{line}: {name}"
            for root in SCANNED for p in python_files(root) for line, name in dangerous_calls(p.read_text("utf-8"))]
    assert hits == []


# ---- grammar sets cannot be left --------------------------------------------------------------------------
SECRET = 'lexicon secret { "classified words": "hunter two" }\n'


@pytest.fixture
def grammar_set(tmp_path):
    """tmp/set/ holds the grammar set; tmp/secret.forest and tmp/outside/ lie outside it."""
    root = tmp_path / "set"
    (root / "sub").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "secret.forest").write_text(SECRET)
    (tmp_path / "outside" / "secret.forest").write_text(SECRET)
    (root / "ok.forest").write_text('lexicon ok { fine }\n')
    os.symlink(tmp_path / "secret.forest", root / "link.forest")
    os.symlink(tmp_path / "outside", root / "sub" / "linkdir")
    return root


ESCAPES = ["../secret.forest", "sub/../../secret.forest", "{abs}", "~/secret.forest", "link.forest",
           "sub/linkdir/secret.forest", "sub\\..\\..\\secret.forest", "ok.forest\x00../secret.forest"]


@pytest.mark.parametrize("statement", ['import "{p}"', 'data secret = list "{p}"'])
@pytest.mark.parametrize("escape", ESCAPES)
def test_imports_and_lists_cannot_leave_the_grammar_set(grammar_set, statement, escape):
    target = escape.replace("{abs}", str(grammar_set.parent / "secret.forest"))
    (grammar_set / "main.forest").write_text(statement.replace("{p}", target.replace("\\", "\\\\")) + "\n"
                                             'rule r: <ok>\n  intent R\n', encoding="utf-8")
    with pytest.raises(GrammarError) as err:
        load_forest(grammar_set / "main.forest", cache=False)
    message = str(err.value)
    assert "hunter" not in message and "classified" not in message
    assert "main.forest:1:" in message


def test_imports_inside_the_set_still_work(grammar_set):
    (grammar_set / "main.forest").write_text('import "sub/../ok.forest"\nrule r: <ok>\n  intent R\n')
    assert load_forest(grammar_set / "main.forest", cache=False).parse("fine").intent == "R"


# ---- forged files ----------------------------------------------------------------------------------------
def test_deeply_nested_state_header_is_a_model_file_error(tmp_path):
    path = tmp_path / "deep.state"
    path.write_bytes(ft.sealed_state(b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(ModelFileError, match="malformed header"):
        load_head(path)


@pytest.mark.parametrize("entry", [{"shape": [-1]}, {"shape": [2**40, 2**40]}, {"offset": -8}, {"nbytes": 8},
                                   {"dtype": "object"}, {"dtype": ["float64"]}, {"shape": "2"}, {"offset": 0.5}])
def test_forged_array_entries_are_refused(tmp_path, entry):
    path = tmp_path / "m.state"
    trained_head("analytic", d=4).save(path)
    header, payload = ft.header_and_payload(path.read_bytes())
    header["arrays"][1].update(entry)
    path.write_bytes(ft.sealed_state(json.dumps(header).encode(), payload))
    with pytest.raises(ModelFileError, match="m.state"):
        load_head(path)


def _forged_text_model(tmp_path: Path, featurizer_meta) -> Path:
    from edgekit.learn.featurize import HashingTextFeaturizer

    head = make_head("analytic", featurizer=HashingTextFeaturizer(n_features=16))
    head.partial_fit(["hello there", "switch on the lamp"], ["a", "b"])
    path = tmp_path / "forged.state"
    head.save(path)
    header, payload = ft.header_and_payload(path.read_bytes())
    header["meta"]["featurizer"] = featurizer_meta(header["meta"]["featurizer"])
    path.write_bytes(ft.sealed_state(json.dumps(header).encode(), payload))
    return path


def test_forged_featurizer_entry_is_a_model_file_error(tmp_path):
    with pytest.raises(ModelFileError):
        load_head(_forged_text_model(tmp_path, lambda meta: []))


def test_model_file_cannot_make_edgekit_read_other_files(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("root_password = hunter2\n")
    path = _forged_text_model(tmp_path, lambda meta: {**meta, "grammar": str(secret)})
    with pytest.raises(ModelFileError) as err:
        load_head(path).predict_proba(["hello"])
    assert "hunter2" not in str(err.value)


def test_deeply_nested_compiled_forest_is_a_model_file_error(tmp_path):
    import hashlib

    payload = b"[" * 100_000 + b"]" * 100_000
    header = json.dumps({"format": "edgekit-forest", "version": 1, "sha256": hashlib.sha256(payload).hexdigest()})
    path = tmp_path / "deep.forestc"
    path.write_bytes(header.encode() + b"\n" + payload)
    with pytest.raises(ModelFileError):
        load_forest(path)


@pytest.mark.parametrize("damage", [lambda a: {}, lambda a: [], lambda a: {**a, "vocab": None},
                                   lambda a: {**a, "matchers": [{}]}, lambda a: {**a, "layers": [{"states": 5}]}])
def test_forged_compiled_forest_is_a_model_file_error(tmp_path, damage):
    from edgekit.forest import artifact

    art = load_forest("home", cache=False).compiled.to_json()
    path = tmp_path / "forged.forestc"
    path.write_bytes(artifact.dumps_json(damage(art)))
    with pytest.raises(ModelFileError):
        load_forest(path).normalize("switch on the lamp")


# ---- ONNX files -----------------------------------------------------------------------------------------
def _with_external_weight(tmp_path: Path, location: str, folder: str = ".") -> Path:
    """An exported model in tmp_path/folder whose projection weights point at tmp_path/weights.bin (which holds
    exactly the right bytes, so a loader that followed the reference would work)."""
    import onnx
    from onnx.external_data_helper import set_external_data

    from exporters import export
    from exporters.metadata import graph_sha256

    model = export(trained_head("kvb", d=8, n_codebooks=4, n_keys=8))
    tensor = next(t for t in model.graph.initializer if t.name.endswith("/P"))
    arr = onnx.numpy_helper.to_array(tensor)
    (tmp_path / "weights.bin").write_bytes(arr.tobytes())
    set_external_data(tensor, location=location, offset=0, length=arr.nbytes)
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for prop in model.metadata_props:  # a forger recomputes the checksum
        if prop.key == "edgekit.graph_sha256":
            prop.value = graph_sha256(model)
    path = tmp_path / folder / "model.onnx"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(model.SerializeToString())
    return path


def test_onnx_with_external_data_is_refused(tmp_path, monkeypatch):
    from edgekit.runtime import OnnxModel

    path = _with_external_weight(tmp_path, "weights.bin")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelFileError):
        OnnxModel(path)


@pytest.mark.parametrize("location", ["{abs}", "../weights.bin"])
def test_onnx_external_data_outside_the_model_folder_is_never_read(tmp_path, location):
    from edgekit.runtime import OnnxModel

    path = _with_external_weight(tmp_path, location.replace("{abs}", str(tmp_path / "weights.bin")), "models")
    with pytest.raises(ModelFileError, match="stored in an external file"):
        OnnxModel(path).run(np.ones((1, 8), np.float32))


def test_forged_key_value_classes_string_is_a_model_file_error(tmp_path):
    path = tmp_path / "kv.state"
    trained_head("kvb", d=4, n_codebooks=4, n_keys=8).save(path)
    header, payload = ft.header_and_payload(path.read_bytes())
    header["meta"]["classes"] = "x"
    path.write_bytes(ft.sealed_state(json.dumps(header).encode(), payload))
    with pytest.raises(ModelFileError):
        load_head(path)


def test_forged_analytic_huge_integer_label_is_a_model_file_error(tmp_path):
    path = tmp_path / "a.state"
    trained_head("analytic", d=4).save(path)
    header, payload = ft.header_and_payload(path.read_bytes())
    header["meta"]["classes"] = [0, 1, 2, 2**70]
    path.write_bytes(ft.sealed_state(json.dumps(header).encode(), payload))
    with pytest.raises(ModelFileError):
        load_head(path)
