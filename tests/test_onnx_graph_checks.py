"""An exported model is run only if its graph is exactly the one edgekit's exporter builds for its weights and
metadata; the `scores` output variant; the one kind name per head (old files still read)."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import helper

from edgekit.errors import ModelFileError
from edgekit.learn import AnalyticClassifier, HashingTextFeaturizer, KeyValueHead
from edgekit.runtime import OnnxModel
from exporters import export
from exporters.metadata import PREFIX, graph_sha256

RNG = np.random.default_rng(0)
X = RNG.standard_normal((200, 6))
Y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)
HEADS = {"analytic": lambda: AnalyticClassifier(buffer_size=16).fit(X, Y),
         "kvb": lambda: KeyValueHead(n_codebooks=8, n_keys=16, key_dim=3).fit(X, Y),
         "kvb-top3": lambda: KeyValueHead(n_codebooks=8, n_keys=16, key_dim=3, top_k=3).fit(X, Y)}


def resealed(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with its checksum recomputed, as a forger would."""
    prop = next(p for p in model.metadata_props if p.key == PREFIX + "graph_sha256")
    prop.value = graph_sha256(model)
    return model


def with_huge_constant(model: onnx.ModelProto) -> onnx.ModelProto:
    """A ConstantOfShape [30000, 30000] node whose (zero) sum is added to the scores."""
    g = model.graph
    g.initializer.append(onnx.numpy_helper.from_array(np.array([30000, 30000], np.int64), "forged/shape"))
    softmax = next(n for n in g.node if n.op_type == "Softmax")
    g.node.extend([helper.make_node("ConstantOfShape", ["forged/shape"], ["forged/big"]),
                   helper.make_node("ReduceSum", ["forged/big"], ["forged/zero"], keepdims=0),
                   helper.make_node("Add", [softmax.input[0], "forged/zero"], ["forged/scores"])])
    softmax.input[0] = "forged/scores"
    return model


def with_changed_attribute(model: onnx.ModelProto) -> onnx.ModelProto:
    node = next(n for n in model.graph.node if n.op_type in ("ArgMax",))
    node.attribute[0].i = 0   # argmax over the batch axis
    return model


def with_extra_output(model: onnx.ModelProto) -> onnx.ModelProto:
    model.graph.output.append(helper.make_tensor_value_info(model.graph.node[0].output[0], onnx.TensorProto.FLOAT, None))
    return model


@pytest.mark.parametrize("kind", sorted(HEADS))
@pytest.mark.parametrize("change", [with_huge_constant, with_changed_attribute, with_extra_output])
def test_a_graph_the_exporter_would_not_build_is_refused(kind, change):
    model = export(HEADS[kind]())
    OnnxModel(model)                      # the genuine file loads
    with pytest.raises(ModelFileError, match="graph differs"):
        OnnxModel(resealed(change(model)))


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_scores_output_gives_the_decision_function(kind):
    head = HEADS[kind]()
    plain, with_scores = OnnxModel(export(head)), OnnxModel(export(head, scores=True))
    assert not plain.has_scores and with_scores.has_scores
    x = RNG.standard_normal((9, 6)).astype(np.float32)
    np.testing.assert_allclose(with_scores.scores(x), head.decision_function(x.astype(np.float64)),
                               rtol=1e-4, atol=1e-4)
    labels, proba = with_scores.run(x)
    assert np.array_equal(labels, head.predict(x.astype(np.float64)))
    np.testing.assert_allclose(proba, plain.predict_proba(x), rtol=1e-5, atol=1e-6)
    with pytest.raises(Exception, match="no scores output"):
        plain.scores(x)


@pytest.mark.parametrize("kind", sorted(HEADS))
def test_label_and_scores_only_graph(kind):
    head = HEADS[kind]()
    model = export(head, scores=True, probabilities=False)
    assert [o.name for o in model.graph.output] == ["label", "scores"]
    assert "Softmax" not in {n.op_type for n in model.graph.node}
    lean = OnnxModel(model)
    x = RNG.standard_normal((7, 6)).astype(np.float32)
    np.testing.assert_allclose(lean.scores(x), head.decision_function(x.astype(np.float64)), rtol=1e-4, atol=1e-4)
    assert np.array_equal(lean.predict(x), head.predict(x.astype(np.float64)))
    with pytest.raises(Exception, match="no probabilities output"):
        lean.run(x)
    head.partial_fit(X[:3], Y[:3])
    lean.update_from(head)
    np.testing.assert_allclose(lean.scores(x), head.decision_function(x.astype(np.float64)), rtol=1e-4, atol=1e-4)
    with pytest.raises(ModelFileError, match="graph differs"):
        OnnxModel(resealed(with_extra_output(model)))


def test_old_key_value_kind_name_is_still_read():
    head = HEADS["kvb"]()
    model = export(head)
    prop = next(p for p in model.metadata_props if p.key == PREFIX + "head")
    assert prop.value == "kvb"
    prop.value = "key_value"          # what edgekit wrote before the names were unified
    old = OnnxModel(resealed(model))
    assert old.kind == "kvb"
    old.update_from(head.partial_fit(X[:5], Y[:5]))
    assert np.array_equal(old.predict(X.astype(np.float32)), head.predict(X))


@pytest.mark.parametrize("key, value", [
    ("feature_layout", {"kind": "text", "n_features": 32,
                        "featurizer": {"type": "hashing", "n_features": 32, "ngram_range": [1, 10**9], "grammar": None}}),
    ("feature_layout", {"kind": "text", "n_features": 32,
                        "featurizer": {"type": "hashing", "n_features": 10**13, "ngram_range": [1, 2], "grammar": None}}),
    ("classes", list(range(200_000))),
])
def test_forged_text_layout_and_classes_are_refused(key, value):
    head = AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=32)).fit(["a b", "c d"], [0, 1])
    model = export(head)
    next(p for p in model.metadata_props if p.key == PREFIX + key).value = json.dumps(value)
    with pytest.raises(ModelFileError):
        OnnxModel(resealed(model))


@pytest.mark.parametrize("labels", [lambda y: y, lambda y: np.array(["a", "b", "c", "d"])[y]])
@pytest.mark.parametrize("outputs", [dict(), dict(scores=True, probabilities=False), dict(scores=True)])
def test_fused_analytic_graph_matches_the_head_and_updates_by_rebuilding(labels, outputs):
    head = AnalyticClassifier(buffer_size=16).fit(X, labels(Y))
    model = export(head, fused=True, **outputs)
    assert [n.op_type for n in model.graph.node].count("LinearClassifier") == 1
    assert "Gemm" not in {n.op_type for n in model.graph.node}
    fused = OnnxModel(model)
    assert fused.fused
    x = RNG.standard_normal((9, 6)).astype(np.float32)
    x64 = x.astype(np.float64)

    def same_as_head():
        assert list(fused.predict(x)) == list(head.predict(x64))
        if fused.has_scores:
            np.testing.assert_allclose(fused.scores(x), head.decision_function(x64), rtol=1e-4, atol=1e-4)
        if outputs.get("probabilities", True):
            np.testing.assert_allclose(fused.predict_proba(x), head.predict_proba(x64), atol=1e-4)
    same_as_head()
    head.partial_fit(X[:40] * 0.5, labels(Y[:40]))
    fused.update_from(head)
    same_as_head()
    stranger = AnalyticClassifier(buffer_size=16, random_state=9).fit(X, labels(Y))
    with pytest.raises(Exception, match="frozen weight 'buffer' differs"):
        fused.update_from(stranger)
    with pytest.raises(ModelFileError, match="graph differs"):
        OnnxModel(resealed(with_huge_constant(export(head, fused=True)))) if outputs.get("probabilities", True) \
            else OnnxModel(resealed(with_extra_output(model)))


def test_fused_coefficients_are_checked_against_the_metadata():
    head = AnalyticClassifier().fit(X, Y)
    model = export(head, fused=True)
    node = next(n for n in model.graph.node if n.op_type == "LinearClassifier")
    labels = next(a for a in node.attribute if a.name == "classlabels_ints")
    labels.ints[0], labels.ints[1] = labels.ints[1], labels.ints[0]     # swap two labels in the graph only
    with pytest.raises(ModelFileError, match="graph differs"):
        OnnxModel(resealed(model))
