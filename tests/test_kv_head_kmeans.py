"""Key search and key fitting for the key-value head (edgekit.learn.kmeans)."""
from __future__ import annotations

import numpy as np
import pytest

from edgekit.learn.kmeans import fit_codebooks, nearest_keys, sample_chunks, search_tables


@pytest.mark.parametrize("top_k", [1, 4])
def test_nearest_keys_matches_brute_force(top_k):
    rng = np.random.default_rng(0)
    Z, keys = rng.normal(size=(3, 50, 4)), rng.normal(size=(3, 20, 4))
    d2 = ((Z[:, :, None] - keys[:, None]) ** 2).sum(axis=3)
    expected = np.sort(np.argsort(d2, axis=2)[:, :, :top_k], axis=2)
    assert np.array_equal(np.sort(nearest_keys(Z, *search_tables(keys), top_k=top_k), axis=2), expected)


def test_nearest_keys_honours_a_mask_and_chunks_consistently():
    rng = np.random.default_rng(1)
    Z, keys = rng.normal(size=(2, 3000, 3)), rng.normal(size=(2, 1000, 3))
    neg2_keys_t, kk = search_tables(keys)
    kk[:, ::2] += 1e30
    picked = nearest_keys(Z, neg2_keys_t, kk)[:, :, 0]
    assert (picked % 2 == 1).all()
    assert np.array_equal(picked[:, 17:40], nearest_keys(Z[:, 17:40], neg2_keys_t, kk)[:, :, 0])
    assert sum(s.stop - s.start for s in sample_chunks(3000, 2000)) == 3000


def test_fit_codebooks_restarts_dead_keys():
    # 3 distinct points, 100 copies each, 3 keys: a random start often puts two keys on the same
    # point; one of them is then dead (ties go to the lower index) and must be moved to the third point
    rng = np.random.default_rng(2)
    distinct = rng.uniform(-5, 5, size=(10, 3, 2))
    Z = np.repeat(distinct, 100, axis=1)
    keys = fit_codebooks(Z, 3, np.random.default_rng(3), epochs=5, batch_size=64)
    order = lambda a: a[np.lexsort(a.T[::-1])]
    for c in range(10):
        np.testing.assert_allclose(order(keys[c]), order(distinct[c]), atol=1e-12)


def inertia(Z: np.ndarray, keys: np.ndarray) -> float:
    nearest = np.take_along_axis(keys, nearest_keys(Z[None], *search_tables(keys[None]))[0], axis=0)
    return float(((Z - nearest) ** 2).sum())


def test_fit_codebooks_is_as_good_as_scikit_learn_kmeans():
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(4)
    Z = rng.uniform(-1, 1, size=(3, 2000, 4))
    keys = fit_codebooks(Z, 32, np.random.default_rng(5), epochs=10, batch_size=256)
    for c in range(3):
        reference = KMeans(32, n_init=1, random_state=c).fit(Z[c])
        start = Z[c, rng.choice(2000, size=32, replace=False)]
        assert inertia(Z[c], keys[c]) <= 1.1 * reference.inertia_
        assert inertia(Z[c], keys[c]) <= 0.7 * inertia(Z[c], start)
        assert np.unique(nearest_keys(Z[c][None], *search_tables(keys[c][None]))).size == 32   # no dead key


def test_fit_codebooks_handles_fewer_points_than_keys():
    Z = np.random.default_rng(4).normal(size=(2, 3, 2))
    keys = fit_codebooks(Z, 8, np.random.default_rng(0), epochs=3)
    assert keys.shape == (2, 8, 2) and np.isfinite(keys).all()
    assert np.array_equal(np.unique(nearest_keys(Z, *search_tables(keys))[0]).size, 3)
