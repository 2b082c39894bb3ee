"""ONNX export: graphs pass the full checker, match the numpy heads, carry their metadata, and compose
with a backbone built here (no downloads)."""
from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

import edgekit
from edgekit.errors import DataError, ModelFileError
from edgekit.learn.analytic import AnalyticClassifier
from edgekit.learn.featurize import HashingTextFeaturizer
from edgekit.learn.kv_head import KeyValueHead
from exporters import export
from exporters.metadata import HeadMetadata
from exporters.onnx_parts import DEFAULT_OPSET, FEATURES



def proba_atol(head) -> float:
    """Float32 tolerance on probabilities: scores carry ~1e-6 float32 rounding, and the analytic head's
    softmax_scale_ multiplies that before the softmax."""
    return 2e-6 * max(1.0, float(getattr(head, "softmax_scale_", 1.0)))


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def run_graph(model: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    session = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return session.run(["label", "probabilities"], feeds)


def assert_parity(model: onnx.ModelProto, head, X: np.ndarray) -> None:
    labels, proba = run_graph(model, {FEATURES: X.astype(np.float32)})
    assert_same_labels(labels, head, X)
    np.testing.assert_allclose(proba, head.predict_proba(X), atol=proba_atol(head), rtol=0)


def assert_same_labels(labels: np.ndarray, head, X: np.ndarray) -> None:
    """Labels equal the head's; where the head's best scores are exactly tied (possible after very few
    updates) float32 may break the tie the other way, but only to another of the tied classes."""
    scores = head.decision_function(X)
    runner_up = np.sort(scores, axis=1)[:, -2] if scores.shape[1] > 1 else scores[:, 0] - 1.0
    tied = runner_up >= scores.max(axis=1) - 1e-9
    np.testing.assert_array_equal(labels[~tied], head.predict(X)[~tied])
    for i in np.flatnonzero(tied):
        best = head.classes_[scores[i] >= scores[i].max() - 1e-9]
        assert labels[i] in best


def tiny_backbone(opset: int, n_in: int = 12, n_out: int = 24, seed: int = 0,
                  hidden: str | None = None) -> tuple[onnx.ModelProto, np.ndarray]:
    """x -> tanh(x @ W): a one-layer 'embedding network'; returns the model and W. With `hidden`, the
    pre-activation is also an output, under that name."""
    W = np.random.default_rng(seed).standard_normal((n_in, n_out)).astype(np.float32)
    h = hidden or "hidden"
    nodes = [helper.make_node("MatMul", ["image", "W"], [h]), helper.make_node("Tanh", [h], ["embedding"])]
    outputs = [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", n_out])]
    if hidden:
        outputs.append(helper.make_tensor_value_info(hidden, TensorProto.FLOAT, ["N", n_out]))
    graph = helper.make_graph(nodes, "backbone", [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", n_in])],
                              outputs, [numpy_helper.from_array(W, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = helper.find_min_ir_version_for(list(model.opset_import))
    return model, W


# ----- analytic classifier -----------------------------------------------------------------------

@pytest.mark.parametrize("buffer_size,activation", [(0, "relu"), (200, "relu"), (200, "tanh"),
                                                    (200, "sigmoid"), (100, "identity")])
def test_analytic_graph_matches_head_on_digits(digits, buffer_size, activation):
    X, y = digits
    head = AnalyticClassifier(buffer_size=buffer_size, activation=activation, gamma=0.5).fit(X[:1200], y[:1200])
    model = export(head)
    onnx.checker.check_model(model, full_check=True)
    assert_parity(model, head, X)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n_features=st.integers(1, 40), n_classes=st.integers(1, 7),
       buffer_size=st.sampled_from([0, 16, 64]), activation=st.sampled_from(["relu", "tanh", "sigmoid", "identity"]))
def test_analytic_graph_matches_head_on_random_data(seed, n_features, n_classes, buffer_size, activation):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, n_features)) * rng.uniform(0.1, 10)
    y = rng.integers(0, n_classes, 60)
    head = AnalyticClassifier(buffer_size=buffer_size, activation=activation, random_state=seed).fit(X, y)
    assert_parity(export(head), head, rng.standard_normal((50, n_features)))


def test_analytic_graph_after_updates_and_forgetting(digits):
    X, y = digits
    head = AnalyticClassifier(buffer_size=128).partial_fit(X[y < 3], y[y < 3])
    assert_parity(export(head), head, X)
    head.partial_fit(X[y >= 3], y[y >= 3])          # seven new classes
    assert_parity(export(head), head, X)
    head.forget(X[:300], y[:300])
    assert_parity(export(head), head, X)


# ----- key-value head ----------------------------------------------------------------------------

@pytest.mark.parametrize("top_k", [1, 3])
@pytest.mark.parametrize("learner", ["sgd", "counts"])
def test_kv_graph_matches_head_on_digits(digits, top_k, learner):
    X, y = digits
    head = KeyValueHead(n_codebooks=16, n_keys=32, key_dim=4, top_k=top_k, value_learner=learner,
                        epochs=2).fit(X[:1200], y[:1200])
    model = export(head)
    onnx.checker.check_model(model, full_check=True)
    assert_parity(model, head, X)


def test_kv_graph_matches_head_on_random_features_with_unused_keys():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 20))
    y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)
    head = KeyValueHead(n_codebooks=12, n_keys=64, key_dim=3, top_k=2).fit_keys(rng.standard_normal((2000, 20)))
    head.partial_fit(X[:40], y[:40])            # few samples: many keys stay unused (masked)
    assert (~head.key_used_).sum() > head.key_used_.size // 4
    Xt = rng.standard_normal((300, 20)) * 3     # also far from the training data
    assert_parity(export(head), head, Xt)


def test_kv_string_labels_come_out_as_strings(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    head = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=4).fit(X[:600], names[y[:600]])
    labels, _ = run_graph(export(head), {FEATURES: X[600:700].astype(np.float32)})
    assert list(labels) == list(head.predict(X[600:700]))


# ----- metadata, checker, files ------------------------------------------------------------------

def test_metadata_describes_the_head(digits, tmp_path):
    X, y = digits
    head = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=4, top_k=2, temperature=0.5).fit(X[:500], y[:500])
    path = tmp_path / "kv.onnx"
    export(head, path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    meta = HeadMetadata.read(model)
    assert meta.version == edgekit.__version__
    assert meta.head == "kvb"
    assert meta.classes == list(range(10))
    assert meta.feature_layout == {"kind": "vector", "n_features": 64}
    assert meta.params["top_k"] == 2 and meta.params["temperature"] == 0.5
    assert meta.opset == DEFAULT_OPSET == model.opset_import[0].version
    assert set(meta.live_weights) == {"KK", "VF", "temperature", "classes"}
    assert set(meta.frozen_fingerprint) == {"P", "KT", "OFF"}
    props = {p.key: p.value for p in model.metadata_props}
    assert json.loads(props["edgekit.classes"]) == list(range(10))
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]


def test_text_head_stores_its_featurizer():
    texts = ["turn on the light", "switch off the lamp", "play some music", "what time is it"] * 3
    labels = ["on", "off", "music", "time"] * 3
    head = KeyValueHead(n_codebooks=4, n_keys=8, key_dim=4,
                        featurizer=HashingTextFeaturizer(n_features=128, ngram_range=(1, 2))).fit(texts, labels)
    meta = HeadMetadata.read(export(head))
    assert meta.feature_layout["kind"] == "text"
    assert meta.feature_layout["featurizer"] == head.featurizer.get_config()
    with pytest.raises(DataError, match="cannot sit on top of a backbone"):
        export(head, backbone=tiny_backbone(17)[0])


def test_export_refuses_unfitted_or_foreign_objects():
    with pytest.raises(DataError, match="unfitted"):
        export(KeyValueHead())
    with pytest.raises(DataError, match="unfitted"):
        export(AnalyticClassifier())
    with pytest.raises(DataError, match="not an edgekit head"):
        export(object())


def test_export_writes_atomically_and_reloads(digits, tmp_path):
    X, y = digits
    head = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=4).fit(X[:500], y[:500])
    path = tmp_path / "m.onnx"
    model = export(head, path)
    assert path.read_bytes() == model.SerializeToString()
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


# ----- composition with a backbone ---------------------------------------------------------------

@pytest.mark.parametrize("opset", [11, 13, 17, 19])
def test_composed_model_equals_backbone_then_head(opset):
    rng = np.random.default_rng(opset)
    backbone, W = tiny_backbone(opset)
    images = rng.standard_normal((300, 12)).astype(np.float32)
    embeddings = np.tanh(images @ W)                          # the backbone, in numpy (float32)
    y = (embeddings[:, 0] > 0).astype(int) + 2 * (embeddings[:, 1] > 0)
    head = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=3).fit(embeddings.astype(np.float64), y)
    model = export(head, backbone=backbone)
    onnx.checker.check_model(model, full_check=True)
    assert [i.name for i in model.graph.input if not i.name.startswith("edgekit/")] == ["image"]
    assert model.opset_import[0].version == (opset if opset >= 13 else DEFAULT_OPSET)
    labels, proba = run_graph(model, {"image": images})
    emb_ort = run_graph_backbone(backbone, images)
    np.testing.assert_array_equal(labels, head.predict(emb_ort.astype(np.float64)))
    np.testing.assert_allclose(proba, head.predict_proba(emb_ort.astype(np.float64)), atol=proba_atol(head))
    layout = HeadMetadata.read(model).feature_layout
    assert layout["kind"] == "backbone" and layout["inputs"][0]["name"] == "image"


def run_graph_backbone(backbone: onnx.ModelProto, images: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(backbone.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["embedding"], {"image": images})[0]


def test_composition_survives_name_collisions_and_picks_named_output():
    rng = np.random.default_rng(0)
    backbone, W = tiny_backbone(17, n_out=8, hidden="label")   # collides with the head's output name
    X = np.tanh(rng.standard_normal((200, 12)) @ W)
    head = KeyValueHead(n_codebooks=4, n_keys=8, key_dim=2).fit(X, (X[:, 0] > 0).astype(int))
    with pytest.raises(ModelFileError, match="name the one"):
        export(head, backbone=backbone)
    model = export(head, backbone=backbone, backbone_output="embedding")
    onnx.checker.check_model(model, full_check=True)
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    images = rng.standard_normal((50, 12)).astype(np.float32)
    labels, _ = run_graph(model, {"image": images})
    np.testing.assert_array_equal(labels, head.predict(run_graph_backbone(backbone, images).astype(np.float64)))


def test_backbone_that_does_not_fit_is_refused(digits, tmp_path):
    X, y = digits
    head = KeyValueHead(n_codebooks=4, n_keys=8, key_dim=2).fit(X[:300], y[:300])   # 64 features
    backbone, _ = tiny_backbone(17, n_out=24)
    with pytest.raises(ModelFileError, match="24 features; the head expects 64"):
        export(head, backbone=backbone)
    with pytest.raises(ModelFileError, match="no output 'nope'"):
        export(head, backbone=backbone, backbone_output="nope")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not an onnx file at all")
    with pytest.raises(ModelFileError, match="not a valid ONNX model"):
        export(head, backbone=bad)
    with pytest.raises(ModelFileError, match="cannot read"):
        export(head, backbone=tmp_path / "missing.onnx")


# ----- edgekit export ----------------------------------------------------------------------------

def test_cli_export_writes_a_runnable_model(digits, tmp_path):
    from typer.testing import CliRunner

    from edgekit.cli import app
    from edgekit.runtime import OnnxModel

    X, y = digits
    runner = CliRunner()
    for head in (AnalyticClassifier(buffer_size=32).fit(X, y), KeyValueHead(n_codebooks=4, n_keys=8, key_dim=2).fit(X, y)):
        head.save(tmp_path / "head.state")
        result = runner.invoke(app, ["export", str(tmp_path / "head.state"), "-o", str(tmp_path / "head.onnx")])
        assert result.exit_code == 0, result.output
        assert "head.onnx" in result.stderr and "opset 17" in result.stderr
        assert_same_labels(OnnxModel(tmp_path / "head.onnx").predict(X), head, X)

    backbone, W = tiny_backbone(17, n_in=5, n_out=64)
    (tmp_path / "bb.onnx").write_bytes(backbone.SerializeToString())
    result = runner.invoke(app, ["export", str(tmp_path / "head.state"), "-o", str(tmp_path / "c.onnx"),
                                 "--backbone", str(tmp_path / "bb.onnx")])
    assert result.exit_code == 0, result.output
    assert OnnxModel(tmp_path / "c.onnx").input_names == ["image"]


def test_cli_export_errors_are_one_line(tmp_path):
    from typer.testing import CliRunner

    from edgekit.cli import app

    (tmp_path / "junk.state").write_bytes(b"junk")
    result = CliRunner().invoke(app, ["export", str(tmp_path / "junk.state"), "-o", str(tmp_path / "x.onnx")])
    assert result.exit_code == 2
    assert result.stderr.startswith("edgekit: ") and "Traceback" not in result.stderr
    assert not (tmp_path / "x.onnx").exists()
