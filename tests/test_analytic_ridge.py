"""The analytic head's statistics and solver as functions, checked against direct numpy computations."""
from __future__ import annotations

import numpy as np
import pytest

from edgekit.errors import InputError
from edgekit.learn import ridge_solver as solver
from edgekit.learn.ridge_stats import Statistics, one_hot

RNG = np.random.default_rng(0)


def design(n: int, p: int) -> np.ndarray:
    return RNG.standard_normal((n, p))


def test_solve_is_the_ridge_solution():
    Z, Y = design(50, 6), one_hot(RNG.integers(0, 3, 50), 3)
    sol = solver.solve(Z.T @ Z, Z.T @ Y, 50.0, 0.7)
    W = np.linalg.solve(Z.T @ Z + 0.7 * np.eye(6), Z.T @ Y)
    np.testing.assert_allclose(sol.W, W, rtol=1e-10, atol=1e-12)
    assert sol.rss == pytest.approx(float(np.sum((Y - Z @ W) ** 2)), rel=1e-8)


@pytest.mark.parametrize("batch, sign", [(1, 1.0), (3, 1.0), (1, -1.0), (4, -1.0)])
def test_woodbury_update_equals_solving_again(batch, sign):
    Z, Y = design(60, 8), one_hot(RNG.integers(0, 4, 60), 4)
    base = slice(0, 60 - batch) if sign > 0 else slice(0, 60)
    sol = solver.solve(Z[base].T @ Z[base], Z[base].T @ Y[base], float(len(Z[base])), 0.5)
    Zb, Yb = Z[60 - batch:], Y[60 - batch:]
    keep = slice(0, 60) if sign > 0 else slice(0, 60 - batch)
    Q = Z[keep].T @ Y[keep]
    assert solver.woodbury_update(sol, Zb, Yb, Q, 0.5, sign)
    exact = solver.solve(Z[keep].T @ Z[keep], Q, float(len(Z[keep])), 0.5)
    np.testing.assert_allclose(sol.W, exact.W, rtol=1e-8, atol=1e-10)
    assert solver.trace_inverse(sol) == pytest.approx(np.trace(np.linalg.inv(Z[keep].T @ Z[keep] + 0.5 * np.eye(8))))


def test_softmax_scale_is_the_inverse_residual_variance():
    Z, Y = design(40, 5), one_hot(RNG.integers(0, 2, 40), 2)
    sol = solver.solve(Z.T @ Z, Z.T @ Y, 40.0, 1.0)
    inv = np.linalg.inv(Z.T @ Z + np.eye(5))
    df = np.trace((Z.T @ Z) @ inv)
    sigma2 = np.sum((Y - Z @ sol.W) ** 2) / (2 * (40 - df))
    assert solver.softmax_scale(sol, 5, 1.0, 2) == pytest.approx(1 / max(sigma2, solver.SIGMA2_FLOOR), rel=1e-8)


def test_statistics_add_and_remove_are_exact_and_reading_changes_nothing():
    X = RNG.standard_normal((30, 4))
    Z, idx = np.hstack([X, np.ones((30, 1))]), RNG.integers(0, 3, 30)
    stats = Statistics.empty(5, 4, per_class=True)
    stats.widen(np.zeros(0, np.intp), 3)
    for i in range(30):                      # one row at a time: rows wait as pending
        stats.add(X[i:i + 1], Z[i:i + 1], idx[i:i + 1])
    assert stats.n_pending
    before = stats.gram.copy()
    np.testing.assert_allclose(np.triu(stats.gram_upper()), np.triu(Z.T @ Z), atol=1e-12)
    assert np.array_equal(stats.gram, before) and stats.n_pending   # the view folded nothing
    np.testing.assert_allclose(stats.xty, Z.T @ one_hot(idx, 3))
    assert list(stats.count) == list(np.bincount(idx, minlength=3))
    np.testing.assert_allclose(stats.feat_sqsum[1], (X[idx == 1] ** 2).sum(axis=0))
    np.testing.assert_allclose(stats.class_gram[2], Z[idx == 2].T @ Z[idx == 2])
    stats.remove(X[:10], Z[:10], idx[:10])
    np.testing.assert_allclose(stats.gram_full(), Z[10:].T @ Z[10:], atol=1e-10)
    with pytest.raises(InputError, match="never learned"):
        stats.remove(X[:1] * 1e6, Z[:1] * 1e6, idx[:1])
