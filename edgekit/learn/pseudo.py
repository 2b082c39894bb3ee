"""AEF-OCL's pseudo-feature generator: top up minority classes with sampled features at solve time.

Per class the head keeps the count, sum and sum of squares of its input features (exact, additive,
subtractable). At solve time each class c with fewer samples than the largest class gets
`n_max - n_c` pseudo inputs drawn from a diagonal Gaussian `N(mean_c, var_c)`, expanded like real
inputs, and their Gram / cross-product statistics are *added to a copy* of the real ones for that
one solve — the exact statistics are never touched. Draws are capped per class (`max_per_class`)
and the capped Gram is scaled up by `needed / drawn` (importance weighting), so the cost stays
bounded however skewed the stream is.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

CHUNK = 8192


def class_moments(count: np.ndarray, feat_sum: np.ndarray, feat_sqsum: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class mean and unbiased standard deviation of the input features (std 0 for one-sample classes)."""
    n = np.maximum(count, 1).astype(np.float64)[:, None]
    mean = feat_sum / n
    var = np.maximum(feat_sqsum / n - mean * mean, 0.0)
    var *= np.where(n > 1, n / np.maximum(n - 1, 1), 0.0)
    return mean, np.sqrt(var)


def pseudo_statistics(count: np.ndarray, feat_sum: np.ndarray, feat_sqsum: np.ndarray,
                      design: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator,
                      max_per_class: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Gram (p, p), cross-product (p, C) and weighted count of the pseudo-features that balance the classes.

    `design` maps raw inputs to the head's design rows (buffer expansion and intercept column).
    """
    mean, std = class_moments(count, feat_sum, feat_sqsum)
    n_max = int(count.max()) if count.size else 0
    gram = xty = None
    total = 0.0
    for c in range(len(count)):
        need = n_max - int(count[c])
        if need <= 0 or count[c] == 0:
            continue
        draws = min(need, max(int(max_per_class), 1))
        weight = need / draws
        done = 0
        while done < draws:
            k = min(CHUNK, draws - done)
            Z = design(mean[c] + std[c] * rng.standard_normal((k, mean.shape[1])))
            if gram is None:
                gram = np.zeros((Z.shape[1], Z.shape[1]))
                xty = np.zeros((Z.shape[1], len(count)))
            gram += weight * (Z.T @ Z)
            xty[:, c] += weight * Z.sum(axis=0)
            done += k
        total += need
    return gram, xty, total
