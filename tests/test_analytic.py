"""Proofs for the analytic classifier: any sequence of partial_fit / forget / forget_class / merge leaves
exactly the weights of one ridge fit on the remaining data (checked against scikit-learn's Ridge)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.special import expit
from sklearn.linear_model import Ridge

from edgekit.learn import AnalyticClassifier, merge
from edgekit.learn.validation import InputError

TOL = 1e-8


def hidden(model: AnalyticClassifier, X: np.ndarray) -> np.ndarray:
    """h(X) recomputed independently from the documented formula."""
    if model.buffer_ is None:
        return X
    H = X @ model.buffer_ + model.buffer_bias_
    return {"relu": lambda t: np.maximum(t, 0), "tanh": np.tanh, "sigmoid": expit,
            "identity": lambda t: t}[model.activation](H)


def ridge_reference(model: AnalyticClassifier, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coef, intercept) of one ridge fit on (X, y) with one-hot targets, intercept as a penalized column."""
    classes = np.unique(y)
    Z = np.hstack([hidden(model, X), np.ones((len(X), 1))])
    Y = (y[:, None] == classes[None, :]).astype(float)
    W = np.atleast_2d(Ridge(alpha=model.gamma, fit_intercept=False, solver="cholesky").fit(Z, Y).coef_)  # (C, p)
    return W[:, :-1], W[:, -1]


def rel_err(model: AnalyticClassifier, X: np.ndarray, y: np.ndarray) -> float:
    coef, intercept = ridge_reference(model, X, y)
    assert list(model.classes_) == list(np.unique(y))
    W = np.hstack([model.coef_, model.intercept_[:, None]])
    ref = np.hstack([coef, intercept[:, None]])
    return float(np.linalg.norm(W - ref) / np.linalg.norm(ref))


def make_data(seed: int, n: int = 60, d: int = 6, n_classes: int = 4, labels: str = "int"):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 2, (n_classes, d))
    y = rng.integers(0, n_classes, n)
    X = centers[y] + rng.normal(0, 1, (n, d))
    if labels == "str":
        return X, np.array([f"c{v}" for v in y])
    return X, y.astype(np.int64)


MODEL_PARAMS = st.fixed_dictionaries({
    "gamma": st.sampled_from([0.1, 1.0, 10.0]),
    "buffer_size": st.sampled_from([0, 12]),
    "activation": st.sampled_from(["relu", "tanh", "sigmoid", "identity"]),
    "per_class_stats": st.booleans(),
    "fast_updates": st.booleans(),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=MODEL_PARAMS, seed=st.integers(0, 10_000), data=st.data())
def test_any_sequence_equals_one_ridge_fit(params, seed, data):
    """Random devices learn random batches (predicting in between, so the Woodbury cache is used), forget
    random samples and maybe a class, then merge: the result equals ridge on what remains."""
    labels = data.draw(st.sampled_from(["int", "str"]))
    X, y = make_data(seed, labels=labels)
    rng = np.random.default_rng(seed + 1)
    n_devices = data.draw(st.integers(1, 3))
    owner = rng.integers(0, n_devices, len(X))
    devices = [AnalyticClassifier(random_state=7, **params) for _ in range(n_devices)]
    for k, dev in enumerate(devices):
        rows = rng.permutation(np.flatnonzero(owner == k))
        start = 0
        while start < len(rows):
            size = data.draw(st.sampled_from([1, 1, 2, 3, 7, 30]))
            batch = rows[start:start + size]
            dev.partial_fit(X[batch], y[batch])
            if data.draw(st.booleans()):
                dev.decision_function(X[:2])
            start += size
    alive = [dev for k, dev in enumerate(devices) if np.any(owner == k)]
    chosen = rng.random(len(X)) < data.draw(st.sampled_from([0.0, 0.2, 0.5]))
    chosen[rng.integers(len(X))] = False
    removed = np.zeros(len(X), dtype=bool)
    for k, dev in enumerate(devices):
        rows = np.flatnonzero(chosen & (owner == k))
        if rows.size and data.draw(st.booleans()):
            dev.forget(X[rows], y[rows])  # on the device, before merging
            removed[rows] = True
    model = merge(alive)
    rows = np.flatnonzero(chosen & ~removed)
    if rows.size:
        model.forget(X[rows], y[rows])  # after merging
        removed[rows] = True
    Xr, yr = X[~removed], y[~removed]
    if params["per_class_stats"] and len(np.unique(yr)) > 1 and data.draw(st.booleans()):
        drop = yr[0]
        model.forget_class(drop)
        Xr, yr = Xr[yr != drop], yr[yr != drop]
    assert rel_err(model, Xr, yr) < TOL
    np.testing.assert_array_equal(model.class_count_, np.unique(yr, return_counts=True)[1])


def test_batch_fit_equals_sklearn_ridge():
    X, y = make_data(1, n=200)
    for params in ({}, {"buffer_size": 40, "activation": "tanh"}, {"gamma": 1e-3, "buffer_size": 30}):
        model = AnalyticClassifier(**params).fit(X, y)
        assert rel_err(model, X, y) < TOL


def test_fast_woodbury_updates_track_the_exact_solution():
    X, y = make_data(2, n=300, d=10)
    model = AnalyticClassifier(buffer_size=64, gamma=0.5).fit(X[:20], y[:20])
    model.predict(X[:1])  # solve once; later small batches update the cached inverse
    for start in range(20, 300, 7):
        stop = min(start + (1 if start % 2 else 7), 300)
        model.partial_fit(X[start:stop], y[start:stop])
    seen = np.r_[0:20, np.concatenate([np.arange(s, min(s + (1 if s % 2 else 7), 300)) for s in range(20, 300, 7)])]
    assert model._cache is not None and model._cache.steps > 30  # the fast path really ran
    assert rel_err(model, X[seen], y[seen]) < TOL


def test_new_classes_mid_stream_and_declared_classes():
    X, y = make_data(3, n=120)
    model = AnalyticClassifier(buffer_size=16)
    for c in range(4):
        model.partial_fit(X[y == c], y[y == c])
        model.predict(X[:3])
        seen = y < c + 1
        assert rel_err(model, X[seen], y[seen]) < TOL
    declared = AnalyticClassifier().partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2, 3, 99])
    assert list(declared.classes_) == [0, 1, 2, 3, 99]
    np.testing.assert_array_equal(declared.coef_[2:], 0.0)  # no samples yet: zero weights, like ridge


def test_forget_equals_retraining_and_is_refused_when_wrong():
    X, y = make_data(4, n=150, labels="str")
    model = AnalyticClassifier(buffer_size=20, gamma=0.3).fit(X, y)
    model.forget(X[:50], y[:50])
    assert rel_err(model, X[50:], y[50:]) < TOL
    before = (model._gram.copy(), model._xty.copy(), model.class_count_.copy())
    with pytest.raises(InputError, match="never learned"):
        model.forget(X[:1], np.array(["nope"]))
    with pytest.raises(InputError, match="never learned"):
        model.forget(X[:1] * 1e6, y[:1])  # impossible: its squares exceed what was learned
    only = y[50:] == "c0"
    with pytest.raises(InputError, match="only"):
        model.forget(np.vstack([X[50:][only]] * 2), np.concatenate([y[50:][only]] * 2))
    after = (model._gram, model._xty, model.class_count_)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)  # refused requests change nothing


def test_forgetting_a_whole_class_removes_it():
    X, y = make_data(5, n=100)
    model = AnalyticClassifier().fit(X, y)
    model.forget(X[y == 2], y[y == 2])
    assert 2 not in model.classes_
    assert 2 not in model.predict(X)
    assert rel_err(model, X[y != 2], y[y != 2]) < TOL


def test_forget_class_exact_with_per_class_stats_and_refused_without():
    X, y = make_data(6, n=160)
    model = AnalyticClassifier(buffer_size=24, per_class_stats=True).fit(X, y)
    model.forget(X[:10], y[:10])
    model.forget_class(1)
    keep = (np.arange(len(y)) >= 10) & (y != 1)
    assert rel_err(model, X[keep], y[keep]) < TOL
    # dropping the class's weight row alone is NOT the retrained model
    plain = AnalyticClassifier(buffer_size=24).fit(X, y)
    dropped = np.delete(plain.coef_, 1, axis=0)
    retrained = AnalyticClassifier(buffer_size=24).fit(X[y != 1], y[y != 1])
    assert np.linalg.norm(dropped - retrained.coef_) / np.linalg.norm(retrained.coef_) > 1e-3
    with pytest.raises(InputError, match="per_class_stats=True"):
        plain.forget_class(1)
    with pytest.raises(InputError, match="never learned"):
        model.forget_class(1)


def test_merge_refuses_incompatible_models():
    X, y = make_data(7)
    a = AnalyticClassifier(buffer_size=8).fit(X, y)
    for other, match in [(AnalyticClassifier(buffer_size=8, gamma=2.0).fit(X, y), "gamma"),
                         (AnalyticClassifier(buffer_size=8, random_state=1).fit(X, y), "buffer"),
                         (AnalyticClassifier(buffer_size=8).fit(X[:, :5], y), "input features"),
                         (AnalyticClassifier(buffer_size=8).fit(X, y.astype(str)), "labels")]:
        with pytest.raises(InputError, match=match):
            merge([a, other])
    with pytest.raises(InputError):
        a.merge("not a model")
    empty = AnalyticClassifier(buffer_size=8)
    assert rel_err(merge([empty, a]), X, y) < TOL


def test_proba_is_the_calibrated_softmax_of_the_scores():
    X, y = make_data(8, n=200)
    model = AnalyticClassifier(buffer_size=30).fit(X, y)
    scores = model.decision_function(X)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.classes_[proba.argmax(axis=1)], model.predict(X))
    # softmax_scale_ = 1 / (RSS / (C (n - df))), recomputed from the samples
    Z = np.hstack([hidden(model, X), np.ones((len(X), 1))])
    Y = (y[:, None] == model.classes_[None, :]).astype(float)
    rss = np.sum((Y - scores) ** 2)
    df = np.trace(Z.T @ Z @ np.linalg.inv(Z.T @ Z + model.gamma * np.eye(Z.shape[1])))
    np.testing.assert_allclose(model.softmax_scale_, model.classes_.size * (len(y) - df) / rss, rtol=1e-8)
    e = np.exp(model.softmax_scale_ * (scores - scores.max(axis=1, keepdims=True)))
    np.testing.assert_allclose(proba, e / e.sum(axis=1, keepdims=True), rtol=1e-12)


def test_weights_for_export_reproduce_the_scores():
    X, y = make_data(9, n=90, labels="str")
    for act in ("relu", "tanh", "sigmoid", "identity"):
        model = AnalyticClassifier(buffer_size=16, activation=act).fit(X, y)
        w = model.weights_for_export(np.float64)
        assert set(w) == {"coef", "intercept", "softmax_scale", "buffer", "buffer_bias"}
        H = hidden(model, X)
        np.testing.assert_allclose(H @ w["coef"].T + w["intercept"], model.decision_function(X), atol=1e-10)
        assert model.weights_for_export()["coef"].dtype == np.float32
    plain = AnalyticClassifier().fit(X, y)
    assert set(plain.weights_for_export()) == {"coef", "intercept", "softmax_scale"}
    assert plain.buffer_ is None and plain.buffer_bias_ is None


def test_state_size_does_not_grow_with_samples():
    X, y = make_data(10, n=50)
    model = AnalyticClassifier(buffer_size=32).fit(X, y)
    size = model.state_nbytes()
    for _ in range(20):
        model.partial_fit(X, y)
    assert model.state_nbytes() == size
    assert model.n_samples_seen_ == 21 * 50


def test_fast_woodbury_downdates_on_forget_track_the_exact_solution():
    X, y = make_data(11, n=200, d=10)
    model = AnalyticClassifier(buffer_size=48, gamma=0.5).fit(X, y)
    model.predict(X[:1])
    for i in range(0, 40):
        model.forget(X[i:i + 1], y[i:i + 1])
    model.forget(X[40:43], y[40:43])
    assert model._cache is not None and model._cache.steps == 41  # the fast path really ran
    assert rel_err(model, X[43:], y[43:]) < TOL
