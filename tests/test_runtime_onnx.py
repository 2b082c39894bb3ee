"""OnnxModel: runs exported heads, takes new weights after partial_fit / forget in the same session, and
turns bad files and bad input into clear edgekit errors. Also `predict_lines` (edgekit predict x.onnx)."""
from __future__ import annotations

import io
import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

from edgekit.errors import DataError, ModelFileError
from edgekit.learn.analytic import AnalyticClassifier
from edgekit.learn.featurize import HashingTextFeaturizer
from edgekit.learn.kv_head import KeyValueHead
from edgekit.runtime import OnnxModel
from edgekit.runtime.predict_cli import predict_lines
from exporters import export
from test_onnx_export import assert_same_labels, proba_atol


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def check_same(model: OnnxModel, head, X) -> None:
    """Runtime output equals the numpy head (labels exactly but for exact ties; probabilities at float32
    tolerance)."""
    labels, proba = model.run(X)
    assert_same_labels(labels, head, X)
    np.testing.assert_array_equal(model.classes_, head.classes_)
    np.testing.assert_allclose(proba, head.predict_proba(X), atol=proba_atol(head), rtol=0)


HEADS = {
    "analytic": lambda: AnalyticClassifier(buffer_size=128, gamma=0.5),
    "analytic-per-class": lambda: AnalyticClassifier(per_class_stats=True),
    "kv-sgd": lambda: KeyValueHead(n_codebooks=16, n_keys=32, key_dim=4, epochs=2),
    "kv-counts": lambda: KeyValueHead(n_codebooks=16, n_keys=32, key_dim=4, top_k=2, value_learner="counts"),
}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_swap_after_partial_fit_and_forgetting_keeps_the_session(digits, tmp_path, name):
    X, y = digits
    head = HEADS[name]()
    if isinstance(head, KeyValueHead):
        head.fit_keys(X)
    head.partial_fit(X[y < 4], y[y < 4])
    path = tmp_path / "head.onnx"
    export(head, path)
    model = OnnxModel(path)
    session = model._session
    check_same(model, head, X)

    head.partial_fit(X[(y >= 4) & (y < 8)], y[(y >= 4) & (y < 8)])   # new classes 4..7
    model.update_from(head)
    check_same(model, head, X)

    head.partial_fit(X[y >= 8], y[y >= 8])
    model.update_from(head)
    check_same(model, head, X)

    if isinstance(head, AnalyticClassifier):
        head.forget(X[y == 1][:50], y[y == 1][:50])                  # sample-level unlearning
        model.update_from(head)
        check_same(model, head, X)
    if isinstance(head, AnalyticClassifier) and not head.per_class_stats:
        head.forget(X[y == 3], y[y == 3])                            # every sample of class 3
    else:
        head.forget_class(3)
    model.update_from(head)
    check_same(model, head, X)
    assert 3 not in set(model.predict(X))

    assert model._session is session                                 # never rebuilt
    model.reset_weights()                                             # back to the file's weights
    assert list(model.classes_) == [0, 1, 2, 3]


def test_random_features_before_and_after_swaps():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((500, 30))
    y = rng.integers(0, 5, 500)
    head = AnalyticClassifier(buffer_size=64, activation="tanh").fit(X[:200], y[:200])
    model = OnnxModel(export(head).SerializeToString())
    Xt = rng.standard_normal((100, 30))
    check_same(model, head, Xt)
    for start in range(200, 500, 100):
        head.partial_fit(X[start:start + 100], y[start:start + 100])
        model.update_from(head)
        check_same(model, head, Xt)


def test_swap_weights_directly_and_its_checks(digits):
    X, y = digits
    head = AnalyticClassifier().fit(X[y < 5], y[y < 5])
    model = OnnxModel(export(head))
    other = AnalyticClassifier(gamma=10.0).fit(X, y)
    w = other.weights_for_export(np.float32)
    model.swap_weights({"coef": w["coef"], "intercept": w["intercept"], "softmax_scale": w["softmax_scale"],
                        "classes": other.classes_})
    check_same(model, other, X)
    with pytest.raises(DataError, match="'buffer' is not a swappable weight"):
        model.swap_weights({"buffer": np.zeros((64, 10))})
    with pytest.raises(DataError, match="'coef' has shape"):
        model.swap_weights({"coef": np.zeros((10, 63))})
    with pytest.raises(DataError, match="new labels are strings but this model's are integers"):
        model.swap_weights({"classes": [str(c) for c in other.classes_]})
    with pytest.raises(DataError, match="swap them together"):
        model.swap_weights({"coef": np.zeros((4, 64)), "intercept": np.zeros(4)})
    check_same(model, other, X)                                        # refused swaps change nothing


def test_update_from_another_head_is_refused(digits):
    X, y = digits
    head = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=4).fit(X, y)
    model = OnnxModel(export(head))
    stranger = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=4, random_state=5).fit(X, y)
    with pytest.raises(DataError, match="frozen weight 'P' differs"):
        model.update_from(stranger)
    with pytest.raises(DataError, match="kvb model from a analytic head"):
        model.update_from(AnalyticClassifier().fit(X, y))


def test_string_labels_and_text_models_run_from_the_file_alone(tmp_path):
    texts = ["turn on the light", "switch the lamp on", "turn off the light", "switch the lamp off",
             "play some music", "play a song", "what time is it", "tell me the time"] * 3
    labels = ["on", "on", "off", "off", "music", "music", "time", "time"] * 3
    for head in (AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=256)),
                 KeyValueHead(n_codebooks=8, n_keys=8, key_dim=4, featurizer=HashingTextFeaturizer(n_features=256))):
        head.fit(texts, labels)
        export(head, tmp_path / "text.onnx")
        model = OnnxModel(tmp_path / "text.onnx")
        queries = ["please turn on the light", "play music", "time", "", "open the door"]
        check_same(model, head, queries)
        assert model.predict("play a song")[0] == "music"
        head.partial_fit(["open the door"], ["door"])
        model.update_from(head)
        check_same(model, head, queries)


# ----- bad files ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def model_bytes(digits):
    X, y = digits
    return export(AnalyticClassifier(buffer_size=32).fit(X, y)).SerializeToString()


@pytest.mark.parametrize("cut", [0, 1, 17, 0.25, 0.5, 0.9, -1])
def test_truncated_file_is_a_clear_error(tmp_path, model_bytes, cut):
    n = cut if isinstance(cut, int) and cut >= 0 else int(len(model_bytes) * cut) if cut > 0 else len(model_bytes) - 1
    path = tmp_path / "cut.onnx"
    path.write_bytes(model_bytes[:n])
    with pytest.raises(ModelFileError, match=r"cut\.onnx: .*(not a valid ONNX model|checksum mismatch|cannot load)"):
        OnnxModel(path)


def test_flipped_weight_byte_is_caught_by_the_checksum(tmp_path, model_bytes):
    data = bytearray(model_bytes)
    data[len(data) // 2] ^= 0x10            # inside the buffer weights
    path = tmp_path / "flip.onnx"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        OnnxModel(path)


def test_foreign_missing_and_garbage_files(tmp_path):
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    (tmp_path / "plain.onnx").write_bytes(helper.make_model(graph).SerializeToString())
    with pytest.raises(ModelFileError, match="not an edgekit model"):
        OnnxModel(tmp_path / "plain.onnx")
    with pytest.raises(ModelFileError, match="cannot read"):
        OnnxModel(tmp_path / "missing.onnx")
    (tmp_path / "text.onnx").write_text("hello, I am not a model\n")
    with pytest.raises(ModelFileError, match="not a valid ONNX model"):
        OnnxModel(tmp_path / "text.onnx")


# ----- bad input ----------------------------------------------------------------------------------

def test_input_that_does_not_fit_is_a_clear_error(digits):
    X, y = digits
    model = OnnxModel(export(AnalyticClassifier().fit(X, y)))
    assert model.predict(X[0]).shape == (1,)                            # one vector = a batch of one
    with pytest.raises(DataError, match="5 features, but the model is expecting 64"):
        model.predict(np.zeros((2, 5)))
    bad = X[:3].copy()
    bad[2, 7] = np.nan
    with pytest.raises(DataError, match="row 2 contains NaN"):
        model.predict(bad)
    with pytest.raises(DataError, match="row 1 overflows float32"):
        model.predict(np.vstack([X[0], np.full(64, 1e300)]))
    with pytest.raises(DataError, match="not a number"):
        model.predict([["a"] * 64])
    with pytest.raises(DataError, match="no text featurizer"):
        model.predict(["some text"])
    with pytest.raises(DataError, match="2-D"):
        model.predict(np.zeros((2, 8, 8)))
    with pytest.raises(DataError, match="empty"):
        model.predict(np.zeros((0, 64)))


def test_backbone_model_checks_its_own_input_shape(tmp_path):
    W = np.random.default_rng(0).standard_normal((3 * 4 * 4, 16)).astype(np.float32)
    nodes = [helper.make_node("Flatten", ["pixels"], ["flat"], axis=1),
             helper.make_node("MatMul", ["flat", "W"], ["embedding"])]
    graph = helper.make_graph(nodes, "bb", [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 3, 4, 4])],
                              [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 16])],
                              [numpy_helper.from_array(W, "W")])
    backbone = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    images = np.random.default_rng(1).standard_normal((120, 3, 4, 4)).astype(np.float32)
    emb = images.reshape(120, -1) @ W
    head = AnalyticClassifier().fit(emb.astype(np.float64), (emb[:, 0] > 0).astype(int))
    export(head, tmp_path / "composed.onnx", backbone=backbone)
    model = OnnxModel(tmp_path / "composed.onnx")
    np.testing.assert_array_equal(model.predict(images), head.predict(emb.astype(np.float64)))
    assert model.predict(images[0]).shape == (1,)
    head.partial_fit(emb[:20].astype(np.float64), np.full(20, 2))        # a new class, through the backbone
    model.update_from(head)
    np.testing.assert_array_equal(model.predict(images), head.predict(emb.astype(np.float64)))
    with pytest.raises(DataError, match=r"input 'pixels' has shape \(2, 3, 4, 5\); the model expects \[N, 3, 4, 4\]"):
        model.predict(np.zeros((2, 3, 4, 5), np.float32))
    lines = [json.dumps(images[0].tolist()), " ".join(map(str, images[1].ravel())), "1 2 3"]
    out, err = io.StringIO(), io.StringIO()
    assert predict_lines(tmp_path / "composed.onnx", lines, out, err) == 1
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["label"] for r in records[:2]] == list(head.predict(emb[:2].astype(np.float64)))
    assert "3 numbers; the model expects 3 x 4 x 4" in records[2]["error"]


# ----- edgekit predict model.onnx -----------------------------------------------------------------

def test_predict_lines_reads_vectors_and_keeps_lines_aligned(digits, tmp_path):
    X, y = digits
    head = KeyValueHead(n_codebooks=8, n_keys=16, key_dim=4).fit(X, y)
    export(head, tmp_path / "kv.onnx")
    lines = [" ".join(map(str, X[0])), json.dumps(X[1].tolist()), "", "1, 2, 3", "a b c",
             ",".join(map(str, X[2])) + "\n", "[1, 2"]
    out, err = io.StringIO(), io.StringIO()
    assert predict_lines(tmp_path / "kv.onnx", lines, out, err, batch_size=3) == 4
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == len(lines)
    expected = head.predict(X[:3])
    assert [records[i]["label"] for i in (0, 1, 5)] == expected.tolist()
    proba = head.predict_proba(X[:1])[0]
    assert records[0]["proba"] == pytest.approx({str(c): p for c, p in zip(head.classes_, proba)}, abs=1e-5)
    assert records[2] == {"label": None, "proba": None, "error": "empty line; expected a feature vector"}
    assert "3 numbers; the model expects 64" in records[3]["error"]
    assert "item 0: 'a' is not a number" in records[4]["error"]
    assert "invalid JSON" in records[6]["error"]
    assert err.getvalue().splitlines()[0].startswith("edgekit: line 3: empty line")


def test_predict_lines_reads_text_for_text_models(tmp_path):
    texts = ["turn on the light", "turn off the light", "play some music", "what time is it"] * 3
    labels = ["on", "off", "music", "time"] * 3
    head = AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=128)).fit(texts, labels)
    export(head, tmp_path / "text.onnx")
    lines = ["turn on the light\n", "music please\n", "\n"]
    out, err = io.StringIO(), io.StringIO()
    assert predict_lines(tmp_path / "text.onnx", iter(lines), out, err) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["label"] for r in records] == head.predict([t.strip() for t in lines]).tolist()
    assert set(records[0]["proba"]) == {"music", "off", "on", "time"}


def test_predict_lines_reports_undecodable_input(digits, tmp_path):
    X, y = digits
    export(AnalyticClassifier().fit(X, y), tmp_path / "a.onnx")

    def lines():
        yield " ".join(map(str, X[0]))
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    out, err = io.StringIO(), io.StringIO()
    assert predict_lines(tmp_path / "a.onnx", lines(), out, err) == 1
    assert "invalid UTF-8" in out.getvalue().splitlines()[1]


def test_edgekit_predict_runs_onnx_models(digits, tmp_path):
    from typer.testing import CliRunner

    from edgekit.cli import app

    X, y = digits
    head = AnalyticClassifier().fit(X, y)
    export(head, tmp_path / "a.onnx")
    (tmp_path / "in.txt").write_text("\n".join(" ".join(map(str, row)) for row in X[:5]) + "\nnot numbers\n")
    result = CliRunner().invoke(app, ["predict", str(tmp_path / "a.onnx"), str(tmp_path / "in.txt")])
    assert result.exit_code == 1                                     # one bad line
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in records[:5]] == head.predict(X[:5]).tolist()
    assert records[5]["label"] is None and "in.txt:6" in result.stderr
