"""Load-time checks of exported .onnx models: the checksum covers the edgekit metadata, and a forged file
(metadata changed, checksum recomputed) or an unverified one is still refused at load when its metadata is
malformed or disagrees with the graph; tensors stored as external data are refused everywhere."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from edgekit.errors import ModelFileError
from edgekit.learn import AnalyticClassifier, KeyValueHead
from edgekit.runtime import OnnxModel
from exporters import export
from exporters.metadata import PREFIX, HeadMetadata, graph_sha256

RNG = np.random.default_rng(0)
X = RNG.standard_normal((120, 6))
Y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)


HEAD = AnalyticClassifier(buffer_size=16).fit(X, Y)


@pytest.fixture(scope="module")
def exported() -> bytes:
    return export(HEAD).SerializeToString()


def forged(data: bytes, key: str, value, recompute: bool = True) -> onnx.ModelProto:
    """The model with edgekit.`key` set to `value` (JSON unless a str) and, as a forger would, its checksum
    recomputed."""
    model = onnx.load_model_from_string(data)
    props = {p.key: p for p in model.metadata_props}
    props[PREFIX + key].value = value if isinstance(value, str) else json.dumps(value)
    if recompute:
        props[PREFIX + "graph_sha256"].value = graph_sha256(model)
    return model


def test_export_then_load_verifies(exported):
    model = OnnxModel(exported)
    labels, proba = model.run(X[:5].astype(np.float32))
    assert list(model.classes_) == [0, 1, 2, 3] and proba.shape == (5, 4)
    assert np.array_equal(labels, HEAD.predict(X[:5]))
    np.testing.assert_allclose(proba, HEAD.predict_proba(X[:5]), atol=1e-4)


@pytest.mark.parametrize("key,value", [("classes", [0, 1, 3, 2]), ("params", {"activation": "tanh"}),
                                       ("version", "9.9.9"), ("opset", 11)])
def test_any_metadata_change_breaks_the_checksum(exported, key, value):
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        OnnxModel(forged(exported, key, value, recompute=False))


@pytest.mark.parametrize("key,value,message", [
    ("feature_layout", {"kine": "vector", "n_features": 6}, "kind"),
    ("feature_layout", {"kind": "vector", "n_features": "6"}, "n_features"),
    ("feature_layout", {"kind": "text", "n_features": 6}, "featurizer"),
    ("feature_layout", {"kind": "backbone", "n_features": 6, "inputs": [{"name": "x"}]}, "inputs"),
    ("feature_layout", [1, 2], "kind"),
    ("classes", '"x"', "classes is not a list"),
    ("classes", [0, 1, 2, 2**70], "int64"),
    ("classes", [0, 1, "2", 3], "all strings or all integers"),
    ("classes", [0, 1, 1, 3], "repeat"),
    ("classes", [0, True, 2, 3], "all strings or all integers"),
    ("head", "forest", "unknown head"),
    ("live_weights", ["coef"], "live_weights"),
    ("frozen_fingerprint", [], "frozen_fingerprint"),
    ("params", "{", "edgekit.params is not JSON"),
])
def test_malformed_metadata_is_refused_even_with_a_valid_checksum(exported, key, value, message):
    with pytest.raises(ModelFileError, match="malformed edgekit metadata") as info:
        OnnxModel(forged(exported, key, value))
    assert message in str(info.value)


@pytest.mark.parametrize("key,value,message", [
    ("classes", [10, 11, 12, 13], "class labels in the metadata differ"),
    ("feature_layout", {"kind": "vector", "n_features": 7}, "does not read 7 features"),
    ("feature_layout", {"kind": "backbone", "n_features": 6, "inputs": [{"name": "image", "shape": [None, 6]}]},
     "the graph's inputs"),
    ("live_weights", ["classes", "nope"], "nope are not in the graph"),
])
def test_metadata_that_disagrees_with_the_graph_is_refused(exported, key, value, message):
    with pytest.raises(ModelFileError, match=message):
        OnnxModel(forged(exported, key, value))


def test_unverified_load_still_checks_the_metadata(exported):
    damaged = forged(exported, "feature_layout", {"kine": "vector", "n_features": 6}, recompute=False)
    with pytest.raises(ModelFileError, match="kind"):
        OnnxModel(damaged, verify=False)
    relabelled = forged(exported, "classes", [1, 1, 2, 3], recompute=False)
    with pytest.raises(ModelFileError):
        OnnxModel(relabelled, verify=False)


def test_non_utf8_metadata_value_is_refused(exported):
    data = bytearray(exported)
    data[exported.index(b'"kind"') + 1] = 0xFF
    with pytest.raises(ModelFileError, match="UTF-8"):
        OnnxModel(bytes(data))


def test_key_value_head_round_trips_through_the_checks():
    head = KeyValueHead(n_codebooks=4, n_keys=8, key_dim=2).fit(X, np.array(["a", "b", "c", "d"])[Y])
    model = OnnxModel(export(head))
    assert list(model.classes_) == ["a", "b", "c", "d"]
    labels, proba = model.run(X.astype(np.float32))
    assert list(labels) == list(head.predict(X))
    np.testing.assert_allclose(proba, head.predict_proba(X), atol=1e-5)
    meta = HeadMetadata.read(export(head))
    assert meta.head == "kvb" and meta.graph_sha256 == graph_sha256(export(head))


def _external(tensor: onnx.TensorProto) -> None:
    onnx.external_data_helper.set_external_data(tensor, location="w.bin", offset=0, length=4)
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL


def test_external_data_is_refused_in_a_model_proto_and_in_node_attributes(exported):
    model = onnx.load_model_from_string(exported)
    _external(model.graph.initializer[0])
    with pytest.raises(ModelFileError, match="external file"):
        OnnxModel(model)
    model = onnx.load_model_from_string(exported)
    constant = onnx.helper.make_node("Constant", [], ["extra"], value=onnx.numpy_helper.from_array(
        np.ones(1, np.float32), "extra"))
    _external(constant.attribute[0].t)
    model.graph.node.insert(0, constant)
    with pytest.raises(ModelFileError, match="external file"):
        OnnxModel(model.SerializeToString())


def test_backbone_with_external_data_is_refused_with_a_hint(exported):
    from exporters.compose import load_backbone

    model = onnx.load_model_from_string(exported)
    _external(model.graph.initializer[0])
    with pytest.raises(ModelFileError, match=r"pass onnx\.load\(path\)"):
        load_backbone(model)
