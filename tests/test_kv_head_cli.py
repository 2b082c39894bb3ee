"""`edgekit learn / forget / predict / info --head kvb`, through the installed console script."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.learn.kv_head import KeyValueHead

EDGEKIT = Path(sys.executable).with_name("edgekit")
SMALL = ["--param", "n_codebooks=8", "--param", "n_keys=16", "--param", "key_dim=3"]


def edgekit(*args, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(EDGEKIT), *map(str, args)], input=input, capture_output=True, text=True,
                          timeout=60)


def blobs(labels, n=20, seed=0):
    rng = np.random.default_rng(seed)
    centers = {lab: 4 * np.eye(6)[i] for i, lab in enumerate(["a", "b", "c", "d"])}
    X = np.concatenate([centers[lab] + 0.5 * rng.standard_normal((n, 6)) for lab in labels])
    return X, np.repeat(labels, n)


def write_jsonl(path: Path, X, y) -> Path:
    lines = [json.dumps({"features": x.tolist(), "label": str(lab)}) + "\n" for x, lab in zip(X, y)]
    path.write_text("".join(lines))
    return path


def info(model: Path) -> dict:
    res = edgekit("info", model, "--json")
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture(scope="module", autouse=True)
def console_script():
    assert EDGEKIT.is_file(), f"console script {EDGEKIT} not installed: pip install -e . in this environment"


def test_learn_predict_forget_info_with_the_kv_head(tmp_path):
    model = tmp_path / "m.kvb"
    X1, y1 = blobs(["a", "b"], seed=1)
    X2, y2 = blobs(["c"], seed=2)
    res = edgekit("learn", model, "--data", write_jsonl(tmp_path / "t1.jsonl", X1, y1), "--head", "kvb", *SMALL)
    assert res.returncode == 0, res.stderr
    res = edgekit("learn", model, "--data", write_jsonl(tmp_path / "t2.jsonl", X2, y2))
    assert res.returncode == 0, res.stderr
    described = info(model)
    assert described["kind"] == "kvb" and described["classes"] == ["a", "b", "c"]
    assert described["counts"] == {"a": 20, "b": 20, "c": 20} and described["n_codebooks"] == 8

    # the file equals a head trained the same way in Python
    same = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=3).partial_fit(X1, y1).partial_fit(X2, y2)
    saved = KeyValueHead.load(model)
    assert np.array_equal(saved.counts_, same.counts_) and np.array_equal(saved.values_, same.values_)

    queries, truth = blobs(["a", "b", "c"], n=5, seed=3)
    res = edgekit("predict", model, input="".join(json.dumps(q.tolist()) + "\n" for q in queries))
    assert res.returncode == 0, res.stderr
    out = [json.loads(line) for line in res.stdout.splitlines()]
    assert [o["label"] for o in out] == truth.tolist()
    assert all(abs(sum(o["proba"].values()) - 1) < 1e-5 for o in out)
    np.testing.assert_allclose([o["proba"]["a"] for o in out], same.predict_proba(queries)[:, 0], atol=1e-6)

    res = edgekit("forget", model, "--data", tmp_path / "t2.jsonl")     # exact for the count learner
    assert res.returncode == 0, res.stderr
    assert info(model)["classes"] == ["a", "b"]
    never = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=3).partial_fit(X1, y1)
    assert np.array_equal(KeyValueHead.load(model).counts_, never.counts_)

    res = edgekit("forget", model, "--label", "b")
    assert res.returncode == 0, res.stderr
    assert info(model)["counts"] == {"a": 20}


def test_text_records_with_the_kv_head(tmp_path):
    rows = ["text,label"] + [f"{t},{lab}" for t, lab in [
        ("turn on the light", "on"), ("switch the lights on", "on"), ("lights on please", "on"),
        ("turn off the light", "off"), ("switch off the lights", "off"), ("lights off now", "off")]] * 2
    (tmp_path / "d.csv").write_text("\n".join(rows) + "\n")
    model = tmp_path / "text.kvb"
    res = edgekit("learn", model, "--data", tmp_path / "d.csv", "--head", "kvb", "--features", 128, *SMALL)
    assert res.returncode == 0, res.stderr
    res = edgekit("predict", model, input="please turn the light on\nswitch the light off\n")
    assert res.returncode == 0, res.stderr
    assert [json.loads(line)["label"] for line in res.stdout.splitlines()] == ["on", "off"]


def test_cli_errors_leave_the_model_as_it_was(tmp_path):
    model = tmp_path / "sgd.kvb"
    X, y = blobs(["a", "b"])
    data = write_jsonl(tmp_path / "d.jsonl", X, y)
    res = edgekit("learn", model, "--data", data, "--head", "kvb", *SMALL, "--param", "value_learner=sgd")
    assert res.returncode == 0, res.stderr
    before = model.read_bytes()

    res = edgekit("forget", model, "--data", data)              # the sgd learner cannot forget samples
    assert res.returncode == 2 and "forget_class" in res.stderr and "Traceback" not in res.stderr
    write_jsonl(tmp_path / "narrow.jsonl", X[:, :4], y)
    res = edgekit("learn", model, "--data", tmp_path / "narrow.jsonl")
    assert res.returncode == 2 and "4 features" in res.stderr and "Traceback" not in res.stderr
    res = edgekit("forget", model, "--label", "zzz")
    assert res.returncode == 2 and "never learned" in res.stderr
    assert model.read_bytes() == before

    res = edgekit("learn", tmp_path / "new.kvb", "--data", data, "--head", "kvb", "--param", "n_keys=0")
    assert res.returncode == 2 and "n_keys" in res.stderr and not (tmp_path / "new.kvb").exists()

    broken = tmp_path / "broken.kvb"
    shutil.copy(model, broken)
    raw = bytearray(broken.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    broken.write_bytes(bytes(raw))
    for args in (("info", broken), ("predict", broken), ("learn", broken, "--data", data)):
        res = edgekit(*args, input="[1, 2, 3, 4, 5, 6]\n")
        assert res.returncode == 2 and "checksum" in res.stderr and "Traceback" not in res.stderr


def test_few_samples_warning_is_one_line_without_a_source_path(tmp_path):
    X, y = blobs(["a", "b"], n=4)
    res = edgekit("learn", tmp_path / "m.kvb", "--data", write_jsonl(tmp_path / "d.jsonl", X, y), "--head", "kvb",
                  *SMALL)
    assert res.returncode == 0, res.stderr
    warning = [line for line in res.stderr.splitlines() if "warning" in line.lower()]
    assert warning and warning[0].startswith("edgekit: warning: KeyValueHead: fitting 16 keys"), res.stderr
    assert "UserWarning" not in res.stderr and ".py:" not in res.stderr


@pytest.mark.parametrize("option", [["--features", "100000000"], ["--param", "buffer_size=100000000"],
                                    ["--head", "kvb", "--param", "n_codebooks=60000", "--param", "n_keys=60000"]])
def test_sizes_over_the_limits_are_one_line_errors(tmp_path, option):
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps({"text": t, "label": t.split()[-1]}) + "\n"
                            for t in ["turn on", "turn off"] * 20))
    res = edgekit("learn", tmp_path / "m.state", "--data", data, *option)
    assert res.returncode == 2, res.stderr
    assert res.stderr.startswith("edgekit: ") and "Traceback" not in res.stderr and "MemoryError" not in res.stderr
    assert "must be an integer" in res.stderr or "edgekit.limits" in res.stderr
    assert not (tmp_path / "m.state").exists()


def test_info_describes_an_onnx_model(tmp_path):
    from exporters import export

    X, y = blobs(["a", "b", "c"])
    export(KeyValueHead(n_codebooks=8, n_keys=16, key_dim=3).fit(X, y), tmp_path / "m.onnx")
    described = info(tmp_path / "m.onnx")
    assert described["kind"] == "kvb" and described["classes"] == ["a", "b", "c"]
    assert described["format"] == "onnx" and described["n_features_in"] == 6
