"""The key-value head at its edges: bad input, state files, export tensors, text features, info."""
from __future__ import annotations

import json

import numpy as np
import pytest

from edgekit.errors import DataError, ModelFileError
from edgekit.learn.kv_head import KeyValueHead
from edgekit.learn.validation import NotFittedError
from edgekit.storage import load_state, save_state


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    centers = rng.uniform(-2, 2, size=(3, 6))
    X = np.concatenate([c + 0.4 * rng.standard_normal((25, 6)) for c in centers])
    y = np.repeat([10, 20, 30], 25)
    return X, y


def trained(X, y, **kw) -> KeyValueHead:
    return KeyValueHead(n_codebooks=6, n_keys=12, key_dim=3, **kw).partial_fit(X, y)


def state(head: KeyValueHead) -> dict[str, np.ndarray]:
    names = ("classes_", "values_", "counts_", "key_used_", "keys_")
    return {name: getattr(head, name).copy() for name in names}


def assert_same_state(a: dict, b: dict) -> None:
    for name in a:
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize("bad, fragment", [
    (lambda X: X[:, :5], "5 features"),
    (lambda X: np.where(np.arange(len(X))[:, None] == 3, np.nan, X), "row 3"),
    (lambda X: X[:0], "empty"),
    (lambda X: X[0], "2-D"),
    (lambda X: [["a"] * 6], "not a number"),
])
def test_bad_batches_are_refused_and_change_nothing(data, bad, fragment):
    X, y = data
    head = trained(X, y, value_learner="sgd")
    before = state(head)
    Xbad = bad(X)
    with pytest.raises(DataError, match=fragment):
        head.partial_fit(Xbad, y[:len(np.atleast_2d(Xbad))])
    with pytest.raises(DataError, match=fragment):
        head.predict(Xbad)
    assert_same_state(before, state(head))


def test_bad_labels_are_refused_and_change_nothing(data):
    X, y = data
    head = trained(X, y)
    before = state(head)
    with pytest.raises(DataError, match="labels but X has"):
        head.partial_fit(X, y[:-1])
    with pytest.raises(DataError, match="integers"):
        head.partial_fit(X[:2], ["a", "b"])
    with pytest.raises(DataError, match="continuous"):
        head.partial_fit(X[:2], np.array([0.5, 1.0]))
    with pytest.raises(DataError, match="never learned"):
        head.forget_class(99)
    with pytest.raises(DataError, match="not an integer"):
        head.forget_class("cat")
    assert_same_state(before, state(head))


def test_use_before_fit_is_a_clear_error(data):
    X, y = data
    head = KeyValueHead(n_codebooks=4, n_keys=8)
    for call in (head.predict, head.predict_proba, head.decision_function):
        with pytest.raises(NotFittedError, match="not fitted"):
            call(X)
    with pytest.raises(NotFittedError):
        head.forget_class(10)
    with pytest.raises(NotFittedError):
        head.save("never-written.kvb")
    head.fit_keys(X)   # keys but no class yet: still nothing to predict
    with pytest.raises(NotFittedError):
        head.predict(X)


@pytest.mark.parametrize("params, name", [
    ({"n_keys": 0}, "n_keys"), ({"top_k": 9, "n_keys": 8}, "top_k"),
    ({"value_learner": "adam"}, "value_learner"),
    ({"learning_rate": -1.0}, "learning_rate"), ({"temperature": float("nan")}, "temperature"),
    ({"label_smoothing": 1.0}, "label_smoothing"), ({"n_codebooks": 2.5}, "n_codebooks"),
])
def test_bad_parameters_name_the_parameter(data, params, name):
    X, y = data
    with pytest.raises(DataError, match=name):
        KeyValueHead(**params).partial_fit(X, y)


@pytest.mark.parametrize("learner", ["sgd", "counts"])
def test_save_load_round_trip(tmp_path, data, learner):
    X, y = data
    head = trained(X, y, value_learner=learner, top_k=2, temperature=0.5)
    head.save(tmp_path / "m.kvb")
    again = KeyValueHead.load(tmp_path / "m.kvb")
    assert again.get_params() == head.get_params()
    assert_same_state(state(head), state(again))
    assert np.array_equal(again.projections_, head.projections_)
    assert np.array_equal(again.predict_proba(X), head.predict_proba(X))
    again.partial_fit(X[:5], y[:5])
    head.partial_fit(X[:5], y[:5])
    assert_same_state(state(head), state(again))
    kind, meta, _ = load_state(tmp_path / "m.kvb")
    assert kind == "kvb" and meta["format_version"] == 1


def test_string_labels_and_text_features_round_trip(tmp_path):
    from edgekit.learn.featurize import HashingTextFeaturizer

    texts = ["turn on the light", "switch the light on", "lights on please",
             "what time is it", "tell me the time", "time please"] * 3
    labels = ["light"] * 3 + ["time"] * 3
    head = KeyValueHead(n_codebooks=8, n_keys=4, key_dim=4,
                        featurizer=HashingTextFeaturizer(n_features=64))
    head.partial_fit(texts, labels * 3)
    assert head.predict(["turn the light on", "the time please"]).tolist() == ["light", "time"]
    head.save(tmp_path / "text.kvb")
    again = KeyValueHead.load(tmp_path / "text.kvb")
    assert again.classes_.tolist() == ["light", "time"]
    assert np.array_equal(again.predict_proba(texts), head.predict_proba(texts))
    again.forget_class("time")
    assert again.predict(texts).tolist() == ["light"] * len(texts)


def test_damaged_and_foreign_files_are_refused(tmp_path, data):
    X, y = data
    path = tmp_path / "m.kvb"
    trained(X, y).save(path)
    raw = path.read_bytes()
    (tmp_path / "flip.kvb").write_bytes(raw[:100] + bytes([raw[100] ^ 1]) + raw[101:])
    (tmp_path / "short.kvb").write_bytes(raw[:len(raw) // 2])
    for name in ("flip.kvb", "short.kvb", "missing.kvb"):
        with pytest.raises(ModelFileError):
            KeyValueHead.load(tmp_path / name)
    save_state(tmp_path / "other.kvb", "analytic", {}, {})
    with pytest.raises(ModelFileError, match="expected a 'kvb'"):
        KeyValueHead.load(tmp_path / "other.kvb")
    _, meta, arrays = load_state(path)
    save_state(tmp_path / "future.kvb", "kvb", {**meta, "format_version": 2}, arrays)
    with pytest.raises(ModelFileError, match="format version 2"):
        KeyValueHead.load(tmp_path / "future.kvb")
    save_state(tmp_path / "shape.kvb", "kvb", meta, {**arrays, "values": arrays["values"][:, :3]})
    with pytest.raises(ModelFileError, match="values"):
        KeyValueHead.load(tmp_path / "shape.kvb")
    save_state(tmp_path / "params.kvb", "kvb", {**meta, "params": {"n_keys": -3}}, arrays)
    with pytest.raises(ModelFileError):
        KeyValueHead.load(tmp_path / "params.kvb")


def float32_forward(w: dict[str, np.ndarray], X: np.ndarray, top_k: int) -> tuple[np.ndarray, np.ndarray]:
    """The graph described in weights_for_export, in float32 numpy: (scores, proba)."""
    C, dk, J = w["KT"].shape
    z = (X.astype(np.float32) @ w["P"]).reshape(len(X), C, dk).transpose(1, 0, 2)
    s = w["KK"] - np.float32(2) * (z @ w["KT"])
    idx = s.argmin(axis=2)[:, :, None] if top_k == 1 else np.argsort(s, axis=2, kind="stable")[:, :, :top_k]
    scores = w["VF"][idx + w["OFF"]].sum(axis=2).mean(axis=0)
    e = np.exp(scores / w["temperature"] - (scores / w["temperature"]).max(axis=1, keepdims=True))
    return scores, e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("learner,top_k", [("sgd", 1), ("counts", 1), ("counts", 3)])
def test_export_tensors_reproduce_the_head_in_float32(data, learner, top_k):
    X, y = data
    head = KeyValueHead(n_codebooks=6, n_keys=32, key_dim=3, top_k=top_k, value_learner=learner,
                        temperature=0.7)
    head.fit_keys(np.random.default_rng(1).uniform(-3, 3, size=(400, 6)))
    head.partial_fit(X, y)
    assert not head.key_used_.all()    # masked keys are part of the check
    w = head.weights_for_export()
    assert all(a.dtype == np.float32 for k, a in w.items() if k != "OFF") and w["OFF"].dtype == np.int64
    queries = np.concatenate([X, np.random.default_rng(2).uniform(-3, 3, size=(40, 6))])
    scores, proba = float32_forward(w, queries, top_k)
    np.testing.assert_allclose(scores, head.decision_function(queries), atol=1e-5)
    np.testing.assert_allclose(proba, head.predict_proba(queries), atol=1e-5)
    assert np.array_equal(head.classes_[scores.argmax(axis=1)], head.predict(queries))


def test_info_describes_the_head(data):
    X, y = data
    head = trained(X, y, top_k=2)
    info = head.info()
    assert info["kind"] == "kvb" and info["classes"] == [10, 20, 30]
    assert info["counts"] == {"10": 25, "20": 25, "30": 25} and info["n_samples"] == 75
    assert info["n_features_in"] == 6 and info["n_codebooks"] == 6 and info["value_learner"] == "counts"
    assert 0 < info["keys_used_fraction"] <= 1 and info["state_bytes"] > 0
    json.dumps(info)
    with pytest.raises(NotFittedError):
        KeyValueHead().info()
