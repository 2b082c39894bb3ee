"""Corruption: truncated and bit-flipped copies of model state files, compiled forests and exported ONNX
models are refused with ModelFileError naming the file — never loaded half-way, never a traceback. A
damaged file that still loads must behave exactly like the original (a flip in a doc string, say)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.errors import ModelFileError
from edgekit.forest import load_forest
from edgekit.learn.heads import load_head

from .harness import bit_flips, corruption_sweep, trained_head, truncations, vector_batches

PROBE_X = vector_batches(99, 1, 16, 8, 4)[0][0]
PROBE_TEXT = ["switch on the lamp in the kitchen", "set the fan to fifty percent", "hello world 42 %"]


def head_fingerprint(head) -> tuple:
    return (repr(list(head.classes_)), head.predict_proba(PROBE_X).tobytes())


def forest_fingerprint(forest) -> tuple:
    return tuple((forest.normalize(t), repr(forest.parse(t))) for t in PROBE_TEXT)


def onnx_fingerprint(model) -> tuple:
    label, proba = model.run(PROBE_X.astype(np.float32))
    return (repr(list(model.classes_)), label.tobytes(), proba.tobytes())


def load_onnx(path: Path):
    from edgekit.runtime import OnnxModel

    return OnnxModel(path)


def _sweep(tmp_path, data: bytes, name: str, load, fingerprint, n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    return corruption_sweep(data, tmp_path / name, load, fingerprint,
                            truncations(len(data), n // 3, rng), bit_flips(len(data), n, rng))


@pytest.mark.parametrize("kind,params", [("analytic", {}), ("analytic", {"buffer_size": 16, "per_class_stats": True}),
                                         ("kvb", {"n_codebooks": 8, "n_keys": 16})])
def test_damaged_model_state_files_are_always_refused(tmp_path, kind, params):
    src = tmp_path / "src.state"
    trained_head(kind, d=8, **params).save(src)
    report = _sweep(tmp_path, src.read_bytes(), "model.state", load_head, head_fingerprint)
    assert report.examples == [] and report.detected == report.tried, report


def test_damaged_compiled_forests_are_always_refused(tmp_path):
    src = tmp_path / "src.forestc"
    load_forest("home", cache=False).save(src)
    report = _sweep(tmp_path, src.read_bytes(), "home.forestc", load_forest, forest_fingerprint)
    assert report.examples == [] and report.detected == report.tried, report


def _exported(kind: str) -> bytes:
    from exporters import export

    params = {"n_codebooks": 8, "n_keys": 16} if kind == "kvb" else {}
    return export(trained_head(kind, d=8, **params)).SerializeToString()


def _metadata_start(data: bytes) -> int:
    """Where the edgekit metadata (the last fields of the serialized model) begins."""
    return data.index(b"edgekit.") - 4


@pytest.mark.parametrize("kind", ["analytic", "kvb"])
def test_damaged_onnx_graphs_are_always_refused(tmp_path, kind):
    data = _exported(kind)
    graph_end = _metadata_start(data)
    rng = np.random.default_rng(5)
    flips = [(pos, bit) for pos, bit in bit_flips(graph_end, 150, rng)]
    report = corruption_sweep(data, tmp_path / "model.onnx", load_onnx, onnx_fingerprint,
                              truncations(len(data), 50, rng), flips)
    assert report.examples == [] and report.crashed == report.silent == 0, report
    assert report.detected + report.harmless == report.tried and report.detected >= 0.9 * report.tried, report


def _flip(data: bytes, marker: bytes, offset: int, bit: int) -> bytes:
    b = bytearray(data)
    b[data.index(marker) + offset] ^= 1 << bit
    return bytes(b)


@pytest.mark.parametrize("marker,offset,bit", [
    pytest.param(b"[0, 1, 2, 3]", 1, 0, id="class-label-digit"),
    pytest.param(b"edgekit.head", 0, 7, id="invalid-utf8-key"),
])
def test_damaged_onnx_metadata_is_refused(tmp_path, marker, offset, bit):
    path = tmp_path / "model.onnx"
    path.write_bytes(_flip(_exported("analytic"), marker, offset, bit))
    with pytest.raises(ModelFileError):
        load_onnx(path)


def test_onnx_damaged_feature_layout_is_refused_at_load(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(_flip(_exported("analytic"), b'"kind"', 4, 0))
    with pytest.raises(ModelFileError):
        load_onnx(path)


def test_damaged_cached_forest_is_rebuilt_not_trusted(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEKIT_CACHE", str(tmp_path / "cache"))
    expected = forest_fingerprint(load_forest("home"))
    cached, = (tmp_path / "cache").glob("*.forestc")
    data = bytearray(cached.read_bytes())
    data[len(data) // 2] ^= 0x10
    cached.write_bytes(bytes(data))
    assert forest_fingerprint(load_forest("home")) == expected


@pytest.mark.parametrize("command", [["info"], ["predict"], ["export", "-o", "out.onnx"], ["forget", "--label", "1"]])
def test_cli_reports_a_damaged_model_in_one_line_and_keeps_the_file(tmp_path, command):
    model = tmp_path / "model.state"
    trained_head("analytic", d=8).save(model)
    damaged = model.read_bytes()[:-100]
    model.write_bytes(damaged)
    exe = str(Path(sys.executable).with_name("edgekit"))
    out = subprocess.run([exe, command[0], str(model), *command[1:]], input=b"1 2 3 4 5 6 7 8\n",
                         capture_output=True, cwd=tmp_path, timeout=120)
    err = out.stderr.decode()
    assert out.returncode == 2, err
    assert "Traceback" not in err and err.count("\n") == 1 and str(model) in err and "checksum" in err
    assert model.read_bytes() == damaged
