"""Proofs for the key-value bottleneck head: exact gradient, local updates, exact count-table
forgetting, the paper's 2-D toy, and class-incremental digits."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from edgekit.learn.kv_head import MASK, KeyValueHead


def reference_rows(head: KeyValueHead, X: np.ndarray, masked: bool) -> np.ndarray:
    """(C, B, k) key ids picked by brute-force squared distances, written from the class docstring."""
    Z = np.einsum("bd,cdk->cbk", X, head.projections_)
    d2 = ((Z[:, :, None, :] - head.keys_[:, None, :, :]) ** 2).sum(axis=3)
    if masked:
        d2 = d2 + MASK * ~head.key_used_[:, None, :]
    return np.argsort(d2, axis=2, kind="stable")[:, :, :head.top_k]


def reference_scores(head: KeyValueHead, X: np.ndarray) -> np.ndarray:
    rows = reference_rows(head, X, masked=True)
    C = head.n_codebooks
    return head.values_[np.arange(C)[:, None, None], rows].sum(axis=2).mean(axis=0)


def blobs(n_per_class: int, centers: np.ndarray, std: float, rng: np.random.Generator):
    X = np.concatenate([c + std * rng.standard_normal((n_per_class, centers.shape[1])) for c in centers])
    y = np.repeat(np.arange(len(centers)), n_per_class)
    return X, y


def small_head(learner: str = "sgd", top_k: int = 1, n_keys: int = 6,
               **kw) -> tuple[KeyValueHead, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    X, y = blobs(30, rng.uniform(-3, 3, size=(4, 5)), 0.7, rng)
    head = KeyValueHead(n_codebooks=4, n_keys=n_keys, key_dim=2, top_k=top_k, value_learner=learner, **kw)
    head.fit_keys(X)
    return head, X, y


@pytest.mark.parametrize("top_k", [1, 3])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_value_gradient_matches_finite_differences(top_k, smoothing):
    head, X, y = small_head(top_k=top_k, label_smoothing=smoothing)
    head.partial_fit(X[:40], y[:40], classes=[0, 1, 2, 3])
    head.values_ = np.random.default_rng(2).normal(size=head.values_.shape)
    Xb, yb = X[::7], y[::7]
    grad = head.value_gradient(Xb, yb)
    numeric = np.zeros_like(grad)
    eps = 1e-6
    for i in np.ndindex(grad.shape):
        saved = head.values_[i]
        head.values_[i] = saved + eps
        up = head.value_loss(Xb, yb)
        head.values_[i] = saved - eps
        down = head.value_loss(Xb, yb)
        head.values_[i] = saved
        numeric[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, atol=1e-8, rtol=1e-6)
    selected = np.zeros(head.key_used_.shape, dtype=bool)
    rows = reference_rows(head, Xb, masked=False)
    selected[np.arange(head.n_codebooks)[:, None, None], rows] = True
    assert np.array_equal(np.abs(grad).sum(axis=2) > 0, selected)


def test_sgd_step_is_the_gradient_rescaled_per_row():
    head, X, y = small_head(learning_rate=0.5, batch_size=1000, epochs=1)
    head.partial_fit(X, y)
    head.values_ = np.random.default_rng(3).normal(size=head.values_.shape)
    Xb, yb = X[5:25], y[5:25]
    grad = head.value_gradient(Xb, yb)
    before = head.values_.copy()
    hits_before = head.counts_.sum(axis=2)
    head.partial_fit(Xb, yb)
    hits = (head.counts_.sum(axis=2) - hits_before)[:, :, None]
    expected = before - 0.5 * np.where(hits > 0, grad * head.n_codebooks * len(Xb) / np.maximum(hits, 1), 0)
    np.testing.assert_allclose(head.values_, expected, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), learner=st.sampled_from(["sgd", "counts"]), new_class=st.booleans(),
       top_k=st.sampled_from([1, 2]))
def test_partial_fit_leaves_unselected_rows_bit_for_bit(seed, learner, new_class, top_k):
    head, X, y = small_head(learner, top_k=top_k, epochs=3, batch_size=7)
    rng = np.random.default_rng(seed)
    first = y < 2
    head.partial_fit(X[first], y[first], classes=None if new_class else [0, 1, 2, 3])
    before, counts_before = head.values_.copy(), head.counts_.copy()
    batch = rng.choice(np.flatnonzero(~first if new_class else first), size=9, replace=False)
    head.partial_fit(X[batch], y[batch])
    touched = np.zeros(head.key_used_.shape, dtype=bool)
    touched[np.arange(head.n_codebooks)[:, None, None], reference_rows(head, X[batch], masked=False)] = True
    old_columns = np.searchsorted(head.classes_, [0, 1]) if new_class else np.arange(4)
    assert np.array_equal(head.counts_[~touched][:, old_columns], counts_before[~touched])
    assert not head.counts_[~touched][:, np.setdiff1d(np.arange(len(head.classes_)), old_columns)].any()
    if learner == "counts" and new_class:
        # a new class changes M in every used row's log posterior: the counts stay local (checked above),
        # and each value is still the log posterior of its own row's counts
        expected = np.log(head.counts_ + head.alpha) - np.log(head.counts_.sum(axis=2, keepdims=True)
                                                              + len(head.classes_) * head.alpha)
        np.testing.assert_allclose(head.values_[head.key_used_], expected[head.key_used_], atol=1e-12)
        assert not head.values_[~head.key_used_].any()
        return
    assert np.array_equal(head.values_[~touched][:, old_columns], before[~touched])
    if new_class:
        fresh = np.setdiff1d(np.arange(len(head.classes_)), old_columns)
        assert not head.values_[~touched][:, fresh].any()
    assert touched.any() and not np.array_equal(head.values_[touched][:, old_columns], before[touched])


def reference_counts(head: KeyValueHead, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Hits per key per class, counted sample by sample with plain loops from reference_rows (every class)."""
    rows = reference_rows(head, X, masked=False)
    counts = np.zeros((head.n_codebooks, head.n_keys, len(head.classes_)), dtype=np.int64)
    column = {label: m for m, label in enumerate(head.classes_.tolist())}
    for b, label in enumerate(y.tolist()):
        for c in range(head.n_codebooks):
            for j in rows[c, b]:
                counts[c, j, column[label]] += 1
    return counts


@pytest.mark.parametrize("top_k", [1, 2])
def test_counts_values_and_scores_match_an_independent_computation(top_k):
    head, X, y = small_head("counts", top_k=top_k)
    head.partial_fit(X[:70], y[:70])
    head.partial_fit(X[70:], y[70:])
    counts = reference_counts(head, X, y)
    assert np.array_equal(head.counts_, counts)
    for m in range(len(head.classes_)):      # every class's own hits, one by one
        assert head.counts_[:, :, m].sum() == head.n_codebooks * head.top_k * np.sum(y == head.classes_[m])
    used = counts.sum(axis=2) > 0
    expected = np.where(used[:, :, None], np.log((counts + head.alpha)
                                                 / (counts.sum(axis=2, keepdims=True) + counts.shape[2] * head.alpha)), 0)
    np.testing.assert_allclose(head.values_, expected, atol=1e-12)
    np.testing.assert_allclose(head.decision_function(X), reference_scores(head, X), atol=1e-12)
    info = head.info()["counts"]
    assert info == {str(c): int(np.sum(y == c)) for c in head.classes_}


def test_counts_state_is_order_and_split_invariant():
    head, X, y = small_head("counts")
    a = KeyValueHead(**head.get_params()).fit_keys(X)
    b = KeyValueHead(**head.get_params()).fit_keys(X)
    a.partial_fit(X, y)
    order = np.random.default_rng(4).permutation(len(X))
    for part in np.array_split(order, 5):
        b.partial_fit(X[part], y[part])
    for name in ("classes_", "counts_", "values_", "key_used_"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@settings(max_examples=10, deadline=None)
@given(forget=st.integers(0, 3), seed=st.integers(0, 10_000))
def test_count_forget_class_equals_never_learned(forget, seed):
    head, X, y = small_head("counts")
    order = np.random.default_rng(seed).permutation(len(X))
    learned = KeyValueHead(**head.get_params()).fit_keys(X)
    never = KeyValueHead(**head.get_params()).fit_keys(X)
    for part in np.array_split(order, 3):
        learned.partial_fit(X[part], y[part])
        keep = part[y[part] != forget]
        if len(keep):
            never.partial_fit(X[keep], y[keep])
    learned.forget_class(forget)
    for name in ("classes_", "counts_", "values_", "key_used_", "keys_", "projections_"):
        assert np.array_equal(getattr(learned, name), getattr(never, name)), name
    assert np.array_equal(learned.predict_proba(X), never.predict_proba(X))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), top_k=st.sampled_from([1, 2]))
def test_count_forget_samples_equals_never_learned(seed, top_k):
    head, X, y = small_head("counts", top_k=top_k)
    rng = np.random.default_rng(seed)
    gone = rng.random(len(X)) < 0.3
    gone |= y == 3                                  # class 3 loses every sample: it disappears
    learned = KeyValueHead(**head.get_params()).fit_keys(X).partial_fit(X, y)
    never = KeyValueHead(**head.get_params()).fit_keys(X).partial_fit(X[~gone], y[~gone])
    learned.forget(X[gone], y[gone])
    for name in ("classes_", "counts_", "values_", "key_used_"):
        assert np.array_equal(getattr(learned, name), getattr(never, name)), name


def test_forget_samples_refuses_what_it_cannot_do_exactly():
    from edgekit.errors import DataError

    head, X, y = small_head("counts")
    head.partial_fit(X[y < 2], y[y < 2])
    before = head.counts_.copy()
    twice = np.concatenate([np.flatnonzero(y == 0)] * 2)
    with pytest.raises(DataError, match="never learned"):
        head.forget(X[twice], y[twice])
    assert np.array_equal(head.counts_, before)
    sgd, X, y = small_head("sgd")
    sgd.partial_fit(X, y)
    with pytest.raises(DataError, match="forget_class"):
        sgd.forget(X[:3], y[:3])


def test_sgd_forget_class_drops_the_column_and_resets_exclusive_rows():
    head, X, y = small_head("sgd", n_keys=24, epochs=3)
    head.partial_fit(X, y)
    hits = head.counts_.copy()
    head.forget_class(2)
    assert head.classes_.tolist() == [0, 1, 3]
    assert 2 not in head.predict(X)
    exclusive = (hits[:, :, 2] > 0) & (hits.sum(axis=2) == hits[:, :, 2])
    assert exclusive.any()
    assert not head.key_used_[exclusive].any() and not head.values_[exclusive].any()
    assert np.array_equal(head.key_used_, head.counts_.sum(axis=2) > 0)


@pytest.mark.parametrize("learner", ["sgd", "counts"])
@pytest.mark.parametrize("top_k", [1, 2])
def test_decision_function_matches_the_documented_forward(learner, top_k):
    rng = np.random.default_rng(5)
    X, y = blobs(20, rng.uniform(-3, 3, size=(3, 6)), 0.5, rng)
    head = KeyValueHead(n_codebooks=5, n_keys=16, key_dim=3, top_k=top_k, value_learner=learner)
    head.fit_keys(rng.uniform(-4, 4, size=(300, 6)))   # keys all over: many stay unused (masked)
    head.partial_fit(X, y)
    assert 0 < head.key_used_.mean() < 1
    queries = rng.uniform(-4, 4, size=(50, 6))
    np.testing.assert_allclose(head.decision_function(queries), reference_scores(head, queries), atol=1e-12)
    masked_rows = reference_rows(head, queries, masked=True)
    assert head.key_used_[np.arange(head.n_codebooks)[:, None, None], masked_rows].all()
    proba = head.predict_proba(queries)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(head.predict(queries), head.classes_[proba.argmax(axis=1)])


def toy_stream(seed: int):
    """The paper's Fig. 2 toy: 8 Gaussian blobs (std 0.035) in the unit square, 4 stages of 2 classes."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.15, 0.2], [0.5, 0.15], [0.85, 0.2], [0.2, 0.5],
                        [0.8, 0.5], [0.15, 0.85], [0.5, 0.8], [0.85, 0.85]])
    X, y = blobs(50, centers, 0.035, rng)
    Xt, yt = blobs(100, centers, 0.035, rng)
    return X, y, Xt, yt, rng.uniform(0, 1, size=(5000, 2))


@pytest.mark.parametrize("learner", ["counts", "sgd"])
@pytest.mark.parametrize("codebooks,keys", [(1, 400), (20, 20)])
def test_paper_toy_keeps_old_classes_where_a_linear_probe_forgets(learner, codebooks, keys):
    from sklearn.linear_model import SGDClassifier

    X, y, Xt, yt, unlabelled = toy_stream(seed=0)
    head = KeyValueHead(n_codebooks=codebooks, n_keys=keys, key_dim=2, value_learner=learner,
                        learning_rate=1.0, epochs=20)
    head.fit_keys(unlabelled)
    probe = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=0.1, random_state=0)
    for stage in range(4):
        part = (y // 2) == stage
        head.partial_fit(X[part], y[part])
        for _ in range(50):
            probe.partial_fit(X[part], y[part], classes=np.arange(8))
        assert head.score(Xt, yt) >= 0.24 * (stage + 1)
    assert head.score(Xt, yt) > 0.95
    first = (yt // 2) == 0
    assert head.score(Xt[first], yt[first]) > 0.95
    assert probe.score(Xt, yt) < 0.30


def test_digits_class_incremental_keeps_every_task():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    head = KeyValueHead(n_codebooks=64, n_keys=256).fit_keys(Xtr)
    just_learned = []
    for task in range(5):
        part, test = (ytr // 2) == task, (yte // 2) == task
        head.partial_fit(Xtr[part], ytr[part])
        just_learned.append(head.score(Xte[test], yte[test]))
    final = [head.score(Xte[(yte // 2) == t], yte[(yte // 2) == t]) for t in range(5)]
    assert head.score(Xte, yte) >= 0.85
    assert max(a - b for a, b in zip(just_learned, final)) <= 0.05
