"""The pipeline directory (edgekit/pipeline.py) as an untrusted, crash-prone file: kills during save leave the
old or the new pipeline; damaged members are refused; the loader stays inside the directory and refuses an
ONNX head that is not the graph edgekit exports."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgekit.errors import ModelFileError

from .harness import bit_flips, corruption_sweep, kill_while_saving, trained_head, truncations

pipeline = pytest.importorskip("edgekit.pipeline")
Pipeline = pipeline.Pipeline
PROBES = ["switch on the lamp", "make it cosy in here", "set the fan to 50 %"]


def answers(pipe) -> str:
    return json.dumps([a.to_dict() for a in pipe.ask_many(PROBES)], sort_keys=True)


def identify(path: Path) -> str:
    pipe = Pipeline.load(path)
    return json.dumps(pipe.info(), sort_keys=True) + answers(pipe)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A trainable pipeline directory and its runtime export (module-wide: building one takes a while)."""
    base = tmp_path_factory.mktemp("pipelines")
    pipe = Pipeline("home", normalizer=None, seed_per_intent=8, n_features=64)
    pipe.teach("make it cosy in here", "Cosy")
    pipe.save(base / "trainable")
    pipe.export(base / "runtime")
    return base


def _copy(saved: Path, kind: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved / kind, tmp_path / kind))


def test_killed_pipeline_save_leaves_old_or_new_pipeline(tmp_path):
    old = Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64)
    new = Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64)
    new.teach("make it cosy in here", "Cosy")
    path = tmp_path / "out" / "pipe"
    path.parent.mkdir()
    report = kill_while_saving(path, [old.save, new.save], Pipeline.load, kills=8, seed=7,
                               identify=identify)
    assert report.failures == [] and report.survived == report.kills > 0, report


@pytest.mark.parametrize("member", ["forestc", "state"])
def test_damaged_pipeline_members_are_refused(saved, tmp_path, member):
    folder = _copy(saved, "trainable", tmp_path)
    target, = folder.glob(f"*.{member}")
    data = target.read_bytes()
    rng = np.random.default_rng(3)
    report = corruption_sweep(data, target, lambda _p: Pipeline.load(folder), answers,
                              truncations(len(data), 20, rng), bit_flips(len(data), 40, rng))
    assert report.examples == [] and report.detected == report.tried, report


def test_bit_flip_in_pipeline_json_is_detected(saved, tmp_path):
    folder = _copy(saved, "trainable", tmp_path)
    meta = folder / "pipeline.json"
    text = meta.read_text()
    assert '"threshold": 0.5' in text
    meta.write_text(text.replace('"threshold": 0.5', '"threshold": 0.1'))  # '5' -> '1' is one bit
    with pytest.raises(ModelFileError):
        Pipeline.load(folder)


@pytest.mark.parametrize("key,value", [("grammar", "../outside.forestc"), ("grammar", "{abs}"),
                                       ("grammar", "{repo}/grammars/home/main.forest"), ("head", "../head.state")])
def test_pipeline_members_cannot_be_outside_its_directory(saved, tmp_path, key, value):
    folder = _copy(saved, "trainable", tmp_path)
    meta = json.loads((folder / "pipeline.json").read_text())
    shutil.copy(folder / meta["members"]["grammar"]["file"], tmp_path / "outside.forestc")
    shutil.copy(folder / meta["members"]["head"]["file"], tmp_path / "head.state")
    repo = Path(__file__).resolve().parents[2]
    meta["members"][key]["file"] = value.replace("{abs}", str(tmp_path / "outside.forestc")).replace("{repo}", str(repo))
    meta.pop("sha256")  # a forger recomputes pipeline.json's own checksum: only the member name is wrong
    meta["sha256"] = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    (folder / "pipeline.json").write_text(json.dumps(meta))
    with pytest.raises(ModelFileError):
        Pipeline.load(folder)


def test_foreign_onnx_head_is_refused(saved, tmp_path):
    folder = _copy(saved, "runtime", tmp_path)
    (folder / "head.onnx").write_bytes(b"\x08\x07" + b"not a model" * 10)
    with pytest.raises(ModelFileError, match="head.onnx"):
        Pipeline.load(folder)


def _tampered_graph(folder: Path) -> None:
    """head.onnx with Softmax replaced by Sigmoid and the checksum recomputed (what a forger would do)."""
    import onnx

    from exporters.metadata import graph_sha256

    model = onnx.load_model_from_string((folder / "head.onnx").read_bytes())
    for node in model.graph.node:
        if node.op_type == "Softmax":
            node.op_type = "Sigmoid"
            del node.attribute[:]
    for prop in model.metadata_props:
        if prop.key == "edgekit.graph_sha256":
            prop.value = graph_sha256(model)
    (folder / "head.onnx").write_bytes(model.SerializeToString())


def test_onnx_head_with_an_unexpected_graph_is_refused(saved, tmp_path):
    folder = _copy(saved, "runtime", tmp_path)
    _tampered_graph(folder)
    with pytest.raises(ModelFileError):
        Pipeline.load(folder)


def test_onnx_head_of_the_wrong_kind_is_refused_at_load(saved, tmp_path):
    from exporters import export

    folder = _copy(saved, "runtime", tmp_path)
    export(trained_head("analytic", d=8), folder / "head.onnx")
    with pytest.raises(ModelFileError):
        Pipeline.load(folder)
