"""`edgekit learn / forget / predict / info` and the training-file reader behind them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from edgekit.cli import app
from edgekit.errors import DataError
from edgekit.learn import AnalyticClassifier, load_head
from edgekit.learn.datafile import parse_vector, read_training_file

runner = CliRunner()

TEXTS = [("turn on the light", "on"), ("switch the lights on", "on"), ("lights on please", "on"),
         ("turn off the light", "off"), ("switch off the lights", "off"), ("lights off now", "off"),
         ("play some music", "music"), ("play the radio", "music")]


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def write_csv(path: Path, rows, header=("text", "label")) -> Path:
    lines = [",".join(header)] + [",".join(f'"{c}"' if isinstance(c, str) and "," in c else str(c) for c in r)
                                  for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def vectors(n=60, d=5, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return rng.normal(size=(n, d)) + 3 * np.eye(d)[y], np.array([f"k{v}" for v in y])


def write_jsonl(path: Path, X, y) -> Path:
    path.write_text("".join(json.dumps({"features": list(map(float, x)), "label": str(l)}) + "\n"
                            for x, l in zip(X, y)), encoding="utf-8")
    return path


def test_text_model_learn_predict_info(tmp_path):
    model = tmp_path / "m.ek"
    data = write_csv(tmp_path / "d.csv", TEXTS)
    res = run("learn", model, "--data", data, "--features", 256)
    assert res.exit_code == 0, res.output
    res = run("predict", model, input="please turn the light on\nplay music\n")
    assert res.exit_code == 0, res.output
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["label"] for o in out] == ["on", "music"]
    assert abs(sum(out[0]["proba"].values()) - 1) < 1e-5
    res = run("learn", model, "--data", data)  # a second pass adds to the statistics
    info = json.loads(run("info", model, "--json").stdout)
    assert info["counts"] == {"music": 4, "off": 6, "on": 6} and info["n_features_in"] == 256
    assert info["file_bytes"] == model.stat().st_size
    human = run("info", model)
    assert human.exit_code == 0 and "counts:" in human.stdout


def test_vector_model_jsonl_and_bad_prediction_lines(tmp_path):
    X, y = vectors()
    model = tmp_path / "v.ek"
    res = run("learn", model, "--data", write_jsonl(tmp_path / "d.jsonl", X, y), "--param", "buffer_size=32",
              "--param", "gamma=0.5")
    assert res.exit_code == 0, res.output
    head = load_head(model)
    assert head.buffer_size == 32 and head.gamma == 0.5
    lines = [" ".join(map(str, X[0])), json.dumps(list(X[1])), "1, 2, x, 4, 5", "1 2 3", ",".join(map(str, X[2]))]
    res = run("predict", model, input="\n".join(lines) + "\n")
    assert res.exit_code == 1
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(out) == 5
    assert [o["label"] for o in out[:2]] + [out[4]["label"]] == list(head.predict(X[[0, 1, 2]]))
    assert "not a number" in out[2]["error"] and "3 features" in out[3]["error"]
    assert "<stdin>:3" in res.stderr and "<stdin>:4" in res.stderr


def test_forget_records_equals_learning_the_rest(tmp_path):
    X, y = vectors(seed=1)
    model = tmp_path / "v.ek"
    run("learn", model, "--data", write_jsonl(tmp_path / "all.jsonl", X, y))
    res = run("forget", model, "--data", write_jsonl(tmp_path / "some.jsonl", X[:20], y[:20]))
    assert res.exit_code == 0, res.output
    rest = AnalyticClassifier().fit(X[20:], y[20:])
    np.testing.assert_allclose(load_head(model).coef_, rest.coef_, rtol=1e-9, atol=1e-12)


def test_forget_label_needs_per_class_stats(tmp_path):
    X, y = vectors(seed=2)
    data = write_jsonl(tmp_path / "d.jsonl", X, y)
    plain, per_class = tmp_path / "p.ek", tmp_path / "c.ek"
    run("learn", plain, "--data", data)
    run("learn", per_class, "--data", data, "--param", "per_class_stats=true")
    before = plain.read_bytes()
    res = run("forget", plain, "--label", "k1")
    assert res.exit_code == 2 and "per_class_stats" in res.stderr and "Traceback" not in res.output
    assert plain.read_bytes() == before
    assert run("forget", per_class, "--label", "k1").exit_code == 0
    assert list(load_head(per_class).classes_) == ["k0", "k2"]
    assert run("forget", per_class).exit_code != 0  # neither --data nor --label


@pytest.mark.parametrize("content, message", [
    ("a,b,label\n", "no records"),
    ("a,b,label\n1,2,x\n3,oops,y\n", "d.csv:3: column 'b': 'oops' is not a number"),
    ("a,b,label\n1,2,x\n3,4\n", "d.csv:3: 2 cells, the header has 3"),
    ("a,b,label\n1,nan,x\n", "not a finite number"),
    ("a,b,lbl\n1,2,x\n", "no 'label' column"),
    ("text,label\nhello,\n", "d.csv:2: missing or empty label"),
    ("", "empty file"),
])
def test_bad_csv_is_refused_naming_the_line_and_model_unchanged(tmp_path, content, message):
    model = tmp_path / "m.ek"
    run("learn", model, "--data", write_csv(tmp_path / "ok.csv", TEXTS), "--features", 64)
    before = model.read_bytes()
    bad = tmp_path / "d.csv"
    bad.write_text(content, encoding="utf-8")
    res = run("learn", model, "--data", bad)
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert model.read_bytes() == before


@pytest.mark.parametrize("content, message", [
    ('{"features": [1, 2], "label": "a"}\n{"features": [1, "z"], "label": "a"}\n', "d.jsonl:2: features[1]"),
    ('{"features": [1, 2], "label": "a"}\n{"features": [1], "label": "a"}\n', "d.jsonl:2: 1 features"),
    ('{"features": [1, 2], "label": "a"}\n{"text": "hi", "label": "a"}\n', "d.jsonl:2: a text record"),
    ('{"features": [1, 2], "label": "a"}\nnot json\n', "d.jsonl:2: invalid JSON"),
    ('{"features": [1, 2]}\n', "d.jsonl:1: no label field"),
    ('{"features": [1, 2], "label": 1.5}\n', "d.jsonl:1: label 1.5"),
    ('[1, 2]\n', "d.jsonl:1: expected a JSON object"),
    ('', "no records"),
    ('\n\n', "no records"),
    ('{"foo": 1, "label": "a"}\n', "neither a text field"),
])
def test_bad_jsonl_is_refused_naming_the_line(tmp_path, content, message):
    bad = tmp_path / "d.jsonl"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_training_file(bad)


def test_invalid_utf8_and_huge_lines_name_the_line(tmp_path):
    bad = tmp_path / "d.csv"
    bad.write_bytes(b"text,label\nok,a\n\xff\xfe,b\n")
    with pytest.raises(DataError, match="d.csv:3: invalid UTF-8"):
        read_training_file(bad)
    bad.write_bytes(b"text,label\n" + b"x" * (1 << 21) + b",a\n")
    with pytest.raises(DataError, match="d.csv:2: line is"):
        read_training_file(bad)
    with pytest.raises(DataError, match="cannot read"):
        read_training_file(tmp_path / "missing.csv")


def test_mismatched_records_and_labels_are_refused(tmp_path):
    X, y = vectors(seed=3)
    vec_model, text_model = tmp_path / "v.ek", tmp_path / "t.ek"
    run("learn", vec_model, "--data", write_jsonl(tmp_path / "d.jsonl", X, y))
    run("learn", text_model, "--data", write_csv(tmp_path / "t.csv", TEXTS), "--features", 64)
    res = run("learn", vec_model, "--data", tmp_path / "t.csv")
    assert res.exit_code == 2 and "holds text, but" in res.stderr
    res = run("learn", text_model, "--data", tmp_path / "d.jsonl")
    assert res.exit_code == 2 and "holds feature vectors" in res.stderr
    res = run("forget", vec_model, "--data", write_jsonl(tmp_path / "u.jsonl", X[:1], ["never"]))
    assert res.exit_code == 2 and "never learned" in res.stderr
    res = run("learn", vec_model, "--data", write_jsonl(tmp_path / "w.jsonl", X[:, :3], y))
    assert res.exit_code == 2 and "3 features" in res.stderr
    res = run("learn", tmp_path / "new.ek", "--data", tmp_path / "d.jsonl", "--head", "nope")
    assert res.exit_code == 2 and "unknown head 'nope'" in res.stderr
    res = run("learn", vec_model, "--data", tmp_path / "d.jsonl", "--param", "gamma=3")
    assert res.exit_code == 2 and "new models only" in res.stderr


def test_integer_label_model_takes_integer_labels_from_files(tmp_path):
    X, y = vectors(seed=4)
    model = tmp_path / "i.ek"
    AnalyticClassifier().fit(X, np.array([int(v[1]) for v in y])).save(model)
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"features": list(map(float, x)), "label": l[1]}) + "\n"
                            for x, l in zip(X[:5], y[:5])), encoding="utf-8")
    assert run("learn", model, "--data", data).exit_code == 0
    assert load_head(model).classes_.dtype.kind == "i"
    out = json.loads(run("predict", model, input=" ".join(map(str, X[0])) + "\n").stdout)
    assert isinstance(out["label"], int)


def test_bad_model_files_are_clear_errors(tmp_path):
    broken = tmp_path / "b.ek"
    broken.write_bytes(b"EDGEKIT\x00garbage")
    for args in (("predict", broken), ("info", broken), ("forget", broken, "--label", "x")):
        res = run(*args, input="1 2\n")
        assert res.exit_code == 2 and "b.ek" in res.stderr and "Traceback" not in res.output
    res = run("info", tmp_path / "missing.ek")
    assert res.exit_code == 2 and "cannot read" in res.stderr
    res = run("predict", tmp_path / "missing.onnx", input="1 2\n")
    assert res.exit_code != 0 and "Traceback" not in res.output


def test_concurrent_learners_do_not_lose_updates(tmp_path):
    X, y = vectors(n=30, seed=5)
    model = tmp_path / "c.ek"
    edgekit = Path(sys.executable).with_name("edgekit")
    files = [write_jsonl(tmp_path / f"p{k}.jsonl", X[k * 10:(k + 1) * 10], y[k * 10:(k + 1) * 10]) for k in range(3)]
    procs = [subprocess.Popen([str(edgekit), "learn", str(model), "--data", str(f)], stderr=subprocess.PIPE,
                              env={**os.environ, "OMP_NUM_THREADS": "1"}) for f in files]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    assert load_head(model).n_samples_seen_ == 30


def test_parse_vector_formats():
    np.testing.assert_array_equal(parse_vector("1 2,3;4"), [1, 2, 3, 4])
    np.testing.assert_array_equal(parse_vector("[1.5, -2]"), [1.5, -2])
    for bad in ("", "[1, ", '{"a": 1}', "1 two"):
        with pytest.raises(DataError):
            parse_vector(bad)


def test_predict_on_the_exported_onnx_model_matches_the_state_file(tmp_path):
    model, onnx_path = tmp_path / "m.ek", tmp_path / "m.onnx"
    run("learn", model, "--data", write_csv(tmp_path / "d.csv", TEXTS), "--features", 128,
        "--param", "buffer_size=32")
    res = run("export", model, "-o", onnx_path)
    assert res.exit_code == 0, res.output
    lines = "please turn on the light\nplay the music\n\n"
    a = [json.loads(x) for x in run("predict", model, input=lines).stdout.splitlines()]
    b = [json.loads(x) for x in run("predict", onnx_path, input=lines).stdout.splitlines()]
    assert [x["label"] for x in a] == [x["label"] for x in b]
    for x, z in zip(a, b):
        for k in x["proba"]:
            assert abs(x["proba"][k] - z["proba"][k]) < 1e-4


def test_text_model_with_a_grammar_in_its_folder_predicts_from_anywhere(tmp_path, monkeypatch):
    import shutil

    from edgekit.forest.forest import shipped_grammars_dir

    source = shipped_grammars_dir() / "home"
    folder = tmp_path / "models"
    shutil.copytree(source, folder / "mygrammar")
    data = write_csv(tmp_path / "d.csv", TEXTS)
    monkeypatch.chdir(tmp_path)
    res = run("learn", "models/m.ek", "--data", data, "--features", 64, "--grammar", "models/mygrammar")
    assert res.exit_code == 0, res.output
    monkeypatch.chdir(folder.parent.parent)
    out = run("predict", tmp_path / "models" / "m.ek", input="switch on the kitchen light\n")
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["label"] == "on"
    res = run("learn", tmp_path / "elsewhere" / "o.ek", "--data", data, "--grammar", str(folder / "mygrammar"))
    assert res.exit_code == 2 and "outside the model's folder" in res.stderr
