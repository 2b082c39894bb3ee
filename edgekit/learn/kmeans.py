"""Many small codebooks at once: nearest-key search and online k-means with restarts of dead keys.

Used by the key-value bottleneck head (kv_head.py): C codebooks of J keys, each searched and fitted
independently, vectorized over codebooks and samples (no Python loop over samples).
"""
from __future__ import annotations

from typing import Iterator

import numpy as np

# Score entries (codebooks x samples x keys) held in memory at once; bounds peak RAM to ~16 MB.
SCORE_BUDGET = 1 << 21


def sample_chunks(n_samples: int, cost_per_sample: int, budget: int = SCORE_BUDGET) -> Iterator[slice]:
    """Slices over samples so that each chunk costs at most `budget` entries (always >= 1 sample)."""
    step = max(1, budget // max(1, cost_per_sample))
    for start in range(0, n_samples, step):
        yield slice(start, min(start + step, n_samples))


def search_tables(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What nearest_keys needs from keys (C, J, dk): -2 k^T as (C, dk, J) and |k|^2 as (C, J)."""
    return np.ascontiguousarray(keys.transpose(0, 2, 1)) * -2.0, np.einsum("cjd,cjd->cj", keys, keys)


def nearest_keys(Z: np.ndarray, neg2_keys_t: np.ndarray, kk: np.ndarray, top_k: int = 1) -> np.ndarray:
    """Indices (C, B, top_k) of the nearest keys of each codebook for projected points Z (C, B, dk).

    Scores are the expanded squared distance without |z|^2 (it does not change the order):
    s = kk + z @ (-2 k^T), from search_tables(keys); callers add a large constant to kk to mask keys.
    (Scaling by -2 is exact, so this equals kk - 2 (z @ k^T) bit for bit.) Ties go to the lower index
    for top_k = 1 (np.argmin); for top_k > 1 the k nearest are returned in no particular order.
    """
    C, B, _ = Z.shape
    J = kk.shape[1]
    out = np.empty((C, B, top_k), dtype=np.int64)
    for part in sample_chunks(B, C * J):
        scores = np.matmul(np.ascontiguousarray(Z[:, part]), neg2_keys_t)
        scores += kk[:, None, :]
        if top_k == 1:
            out[:, part, 0] = scores.argmin(axis=2)
        else:
            out[:, part] = np.argpartition(scores, top_k - 1, axis=2)[:, :, :top_k]
    return out


def fit_codebooks(Z: np.ndarray, n_keys: int, rng: np.random.Generator, epochs: int = 10,
                  batch_size: int = 1024) -> np.ndarray:
    """Fit J = n_keys keys per codebook to points Z (C, N, dk) by online k-means; returns keys (C, J, dk).

    Each epoch visits the points in a fresh random order, in mini-batches: points go to their nearest
    key and every hit key becomes the running mean of the points it received this epoch (with one
    batch holding all points, an epoch is exactly a Lloyd step). After every epoch but the last, keys
    that received no point ("dead") restart at points drawn with probability proportional to their
    squared distance to the nearest key (k-means++ style), so no key is wasted.
    """
    C, N, dk = Z.shape
    J = int(n_keys)
    if N >= J:
        start = np.argsort(rng.random((C, N)), axis=1)[:, :J]
    else:
        start = rng.integers(0, N, size=(C, J))
    keys = np.take_along_axis(Z, start[:, :, None], axis=1).astype(np.float64, copy=True)
    offsets = (np.arange(C, dtype=np.int64) * J)[:, None]
    for epoch in range(int(epochs)):
        order = rng.permutation(N)
        hits = np.zeros(C * J, dtype=np.float64)
        for begin in range(0, N, batch_size):
            Zb = Z[:, order[begin:begin + batch_size]]
            flat = (nearest_keys(Zb, *search_tables(keys))[:, :, 0] + offsets).ravel()
            cnt = np.bincount(flat, minlength=C * J).astype(np.float64)
            sums = np.stack([np.bincount(flat, weights=Zb[:, :, d].ravel(), minlength=C * J)
                             for d in range(dk)], axis=1)
            hits += cnt
            hit = cnt > 0
            keys_flat = keys.reshape(C * J, dk)
            # running mean: k += (sum_batch - n_batch * k) / n_epoch_so_far
            keys_flat[hit] += (sums[hit] - cnt[hit, None] * keys_flat[hit]) / hits[hit, None]
        if epoch < epochs - 1:
            _restart_dead(keys, hits.reshape(C, J) == 0, Z, rng)
    return keys


def _restart_dead(keys: np.ndarray, dead: np.ndarray, Z: np.ndarray, rng: np.random.Generator,
                  pool_size: int = 4096) -> None:
    """Move dead keys (in place) onto points sampled with probability ~ squared distance to the nearest key."""
    if not dead.any():
        return
    C, N, _ = Z.shape
    pool = Z[:, rng.choice(N, size=min(N, pool_size), replace=False)]
    nearest = np.take_along_axis(keys, nearest_keys(pool, *search_tables(keys))[:, :, 0, None], axis=1)
    d2 = ((pool - nearest) ** 2).sum(axis=2)
    for c in np.flatnonzero(dead.any(axis=1)):
        n_dead = int(dead[c].sum())
        weights = d2[c]
        total = weights.sum()
        p = weights / total if total > 0 else None
        picks = rng.choice(pool.shape[1], size=n_dead, replace=n_dead > np.count_nonzero(weights), p=p)
        keys[c, dead[c]] = pool[c, picks]
