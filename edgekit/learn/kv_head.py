"""Discrete key-value bottleneck head (Träuble et al., ICML 2023): an exemplar-free classifier whose
updates are local to the keys a sample selects, so learning new classes does not overwrite old ones.
"""
from __future__ import annotations

import warnings
from typing import Any, Mapping

import numpy as np
from scipy.special import log_softmax, softmax

from ..errors import InputError, NotFittedError
from .base import ArraySpec, LearnedHead
from .featurize import featurizer_to_meta
from .kinds import KEY_VALUE
from .kmeans import fit_codebooks, nearest_keys, sample_chunks, search_tables
from .labels import (check_labels, check_y, coerce_label, format_labels, label_indices, labels_to_json,
                     union_classes)
from .params import ANY, NONE, Interval, Options
from ..limits import MAX_FEATURES

KIND = KEY_VALUE
FORMAT_VERSION = 1
MASK = 1e30  # added to |k|^2 of never-used keys so a codebook picks its nearest used key
VALUE_LEARNERS = ("sgd", "counts")


class KeyValueHead(LearnedHead):
    """C codebooks of J frozen keys over fixed random projections, with one value vector per key.

    Shapes: D = n_features_in_, C = n_codebooks, J = n_keys, dk = key_dim, k = top_k, M = len(classes_).

    Forward pass for one sample x (float64 in numpy; the ONNX export repeats it in float32):
      1. z_c = x @ projections_[c]                                    (dk,) for each codebook c
      2. s_c[j] = kk[c, j] - 2 * (z_c . keys_[c, j]),  kk = |keys_[c, j]|^2 + MASK * (not key_used_[c, j])
         (the squared distance minus |z_c|^2, which does not change the order; MASK = 1e30, so each
         codebook picks among keys used in training whenever it has any)
      3. S_c = the k indices with the smallest s_c (top_k = 1: np.argmin, lowest index on ties)
      4. scores[m] = (1/C) * sum_c sum_{j in S_c} values_[c, j, m]                        (decision_function)
      5. proba = softmax(scores / temperature)                                             (predict_proba)
      6. label = classes_[argmax scores]                                                    (predict)
    values_ is 0 on every key that is not used, so a codebook with no used key adds 0 to every class
    (no effect on the ranking), and with no used key at all the scores are 0 and proba is uniform.
    weights_for_export() gives these tensors flattened for a graph (see its docstring).

    Training selects keys with step 3 *without* the mask (every key can be picked; picking one marks
    it used) and changes only the value rows it selects:
      - value_learner="counts" (default): counts_[c, j, m] += 1 for every selected key (one pass; any
        order or batch split gives the same state); on used rows
        values_ = log((counts_ + alpha) / (counts_.sum(-1) + M * alpha)), a per-cell log posterior, and
        0 elsewhere. Adding a class changes M and so every used row. Forgetting a class is exact.
      - value_learner="sgd" (the paper's): label-smoothed cross-entropy on softmax(scores) (temperature
        1); for a mini-batch, every selected row moves by -learning_rate times the mean of (p - t) over the
        samples that selected it (the exact gradient of the mean loss, `value_gradient`, rescaled per
        row by (C * B) / hits), plain SGD without momentum or decay, so unselected rows stay
        bit-for-bit unchanged. `epochs` passes over every partial_fit batch, mini-batches of
        `batch_size`, in the given order (fit shuffles, seeded). On a shared row, training a new
        class pushes the old classes' values down, so old classes fade somewhat (measured in
        benchmarks/kv_digits.py); counts does not have this.
    counts_ (hits per key per class) is kept for both learners; key_used_ = counts_.sum(-1) > 0.

    Keys: fit_keys(X) fits them on unlabelled features (online k-means with dead-key restarts,
    kmeans.fit_codebooks) and freezes them; fit or a first partial_fit fits them on its own X when
    fit_keys was never called (fit on a large representative set instead, for better keys).
    """

    KIND = KIND
    FORMAT_VERSION = FORMAT_VERSION
    _parameter_constraints = {
        **{name: [Interval(True, 1, 1 << 16)] for name in ("n_codebooks", "n_keys", "key_dim", "top_k", "epochs",
                                                          "batch_size", "key_epochs")},
        "value_learner": [Options(VALUE_LEARNERS)],
        "learning_rate": [Interval(False, 0, None, "neither")],
        "alpha": [Interval(False, 0, None, "neither")],
        "temperature": [Interval(False, 0, None, "neither")],
        "label_smoothing": [Interval(False, 0, 1, "left")],
        "random_state": [Interval(True, 0, 2**63 - 1), NONE],
        "featurizer": [ANY],
    }
    _meta_constraints = {"n_features_in": [Interval(True, 1, MAX_FEATURES)]}

    def __init__(self, n_codebooks: int = 64, n_keys: int = 256, key_dim: int = 8, top_k: int = 1,
                 value_learner: str = "counts", learning_rate: float = 0.1, label_smoothing: float = 0.1,
                 epochs: int = 1, batch_size: int = 32, alpha: float = 0.1, temperature: float = 1.0,
                 key_epochs: int = 10, random_state: int = 0, featurizer: Any = None) -> None:
        self.n_codebooks = n_codebooks
        self.n_keys = n_keys
        self.key_dim = key_dim
        self.top_k = top_k
        self.value_learner = value_learner
        self.learning_rate = learning_rate
        self.label_smoothing = label_smoothing
        self.epochs = epochs
        self.batch_size = batch_size
        self.alpha = alpha
        self.temperature = temperature
        self.key_epochs = key_epochs
        self.random_state = random_state
        self.featurizer = featurizer

    # ----- parameters and input -----------------------------------------------------------------
    def _check_param_relations(self) -> None:
        if self.top_k > self.n_keys:
            raise InputError(f"KeyValueHead: top_k ({self.top_k}) cannot exceed n_keys ({self.n_keys})")

    def _state_bytes(self, n_features: int, n_classes: int) -> int:
        C, J, dk = int(self.n_codebooks), int(self.n_keys), int(self.key_dim)
        return 8 * (2 * C * n_features * dk + C * J * dk + 2 * C * J * n_classes)

    def _X(self, X: Any, any_width: bool = False) -> np.ndarray:
        """Validated float64 features (text goes through the featurizer), of the trained width if keys exist."""
        return self._features(X, None if any_width or not hasattr(self, "keys_") else self.n_features_in_)

    def _require_classes(self) -> None:
        if not hasattr(self, "keys_") or len(self.classes_) == 0:
            raise NotFittedError("This KeyValueHead instance is not fitted yet: it has learned no class. "
                                 "Call 'fit' or 'partial_fit' with labelled examples first.")

    # ----- keys -------------------------------------------------------------------------------
    def fit_keys(self, X: Any) -> "KeyValueHead":
        """Draw the projections and fit the keys on unlabelled features X; forgets any learned values."""
        self._validate_params()
        self._fit_keys(self._X(X, any_width=True))
        return self

    def _fit_keys(self, X: np.ndarray) -> None:
        self._check_state_bytes(X.shape[1], 1)
        if len(X) < self.n_keys:
            warnings.warn(f"KeyValueHead: fitting {self.n_keys} keys per codebook on only {len(X)} samples; "
                          f"the keys stay frozen, so fit_keys on a larger unlabelled set first for accuracy",
                          stacklevel=3)
        rng = np.random.default_rng(self.random_state)
        C, D, dk = self.n_codebooks, X.shape[1], self.key_dim
        projections = rng.standard_normal((C, D, dk))
        projections /= np.linalg.norm(projections, axis=1, keepdims=True)
        p_flat = _side_by_side(projections)
        self.keys_ = fit_codebooks(_project(X, p_flat, C, dk), self.n_keys, rng, epochs=self.key_epochs)
        self.n_features_in_, self.projections_ = D, projections
        self._derive_projection()
        self._derive_keys()
        self._reset_values()

    def _derive_projection(self) -> None:
        self._p_flat = _side_by_side(self.projections_)
        self._offsets = (np.arange(self.n_codebooks, dtype=np.int64) * self.n_keys)[:, None, None]

    def _derive_keys(self) -> None:
        self._neg2_keys_t, self._kk = search_tables(self.keys_)

    def _reset_values(self) -> None:
        C, J = self.n_codebooks, self.n_keys
        self.classes_ = np.zeros(0, dtype=np.int64)
        self.values_ = np.zeros((C, J, 0))
        self.counts_ = np.zeros((C, J, 0), dtype=np.int64)
        self.key_used_ = np.zeros((C, J), dtype=bool)

    def _select(self, X: np.ndarray, masked: bool) -> np.ndarray:
        """Flat value-row ids (C, B, k) of the keys each codebook selects (masked: used keys only)."""
        kk = self._kk + MASK * ~self.key_used_ if masked else self._kk
        Z = _project(X, self._p_flat, self.n_codebooks, self.key_dim)
        return nearest_keys(Z, self._neg2_keys_t, kk, self.top_k) + self._offsets

    # ----- learning ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, classes: Any = None) -> "KeyValueHead":
        """Learn values from scratch on (X, y); keys from fit_keys are kept, else fitted on X first."""
        X, y, labels = self._labelled_batch(X, y, classes, fresh=True)
        if not hasattr(self, "keys_"):
            self._fit_keys(X)
        self._reset_values()
        return self._learn(X, y, labels, shuffle=True)

    def partial_fit(self, X: Any, y: Any, classes: Any = None) -> "KeyValueHead":
        """Learn from one more batch; labels never seen before (or listed in `classes`) become new
        classes. Without fit_keys before, the first batch also fits the keys (then frozen)."""
        X, y, labels = self._labelled_batch(X, y, classes)
        if not hasattr(self, "keys_"):
            self._fit_keys(X)
        return self._learn(X, y, labels, shuffle=False)

    def _labelled_batch(self, X: Any, y: Any, classes: Any,
                        fresh: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate everything before any state changes, so a bad batch leaves the head as it was."""
        self._validate_params()
        X = self._X(X)
        y = check_y(y, len(X))
        labels = y if classes is None else union_classes(np.unique(y), check_labels(classes, "class"))[0]
        union_classes(None if fresh else getattr(self, "classes_", None), labels)
        return X, y, labels

    def _learn(self, X: np.ndarray, y: np.ndarray, labels: np.ndarray, shuffle: bool) -> "KeyValueHead":
        self._add_classes(labels)
        target = label_indices(self.classes_, y)
        if self.value_learner == "counts":
            for part in sample_chunks(len(X), self.n_codebooks * self.n_keys):
                self._count_step(self._select(X[part], masked=False), target[part])
            return self
        rng = np.random.default_rng(self.random_state)
        for _ in range(self.epochs):
            order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
            for begin in range(0, len(X), self.batch_size):
                batch = order[begin:begin + self.batch_size]
                self._sgd_step(self._select(X[batch], masked=False), target[batch])
        return self

    def _add_classes(self, labels: np.ndarray) -> None:
        """Insert zero value/count columns for unseen labels, keeping classes_ sorted."""
        merged, keep = union_classes(self.classes_, labels)
        if len(merged) == len(self.classes_):
            return
        self._check_state_bytes(self.n_features_in_, len(merged))
        values = np.zeros(self.values_.shape[:2] + (len(merged),))
        counts = np.zeros(values.shape, dtype=np.int64)
        values[:, :, keep] = self.values_
        counts[:, :, keep] = self.counts_
        self.classes_, self.values_, self.counts_ = merged, values, counts
        if self.value_learner == "counts":
            self._refresh_count_values(np.arange(self.n_codebooks * self.n_keys))

    def _hit(self, rows: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Count the hits of a batch in counts_; returns the distinct rows and each entry's position in them."""
        flat = rows.ravel()
        per_entry = np.broadcast_to(target[None, :, None], rows.shape).ravel()
        counts = self.counts_.reshape(-1, len(self.classes_))
        np.add.at(counts, (flat, per_entry), 1)
        uniq, inverse = np.unique(flat, return_inverse=True)
        self.key_used_.reshape(-1)[uniq] = True
        return uniq, inverse

    def _count_step(self, rows: np.ndarray, target: np.ndarray) -> None:
        uniq, _ = self._hit(rows, target)
        self._refresh_count_values(uniq)

    def _refresh_count_values(self, rows: np.ndarray) -> None:
        """values_ = log((n + alpha) / (sum n + M alpha)) on the given flat rows (0 where never used)."""
        M = len(self.classes_)
        counts = self.counts_.reshape(-1, M)[rows].astype(np.float64)
        total = counts.sum(axis=1, keepdims=True)
        values = np.log(counts + self.alpha) - np.log(total + M * self.alpha)
        values[total[:, 0] == 0] = 0.0
        self.values_.reshape(-1, M)[rows] = values

    def _sgd_step(self, rows: np.ndarray, target: np.ndarray) -> None:
        residual = self._residual(rows, target)
        uniq, inverse = self._hit(rows, target)
        per_entry = np.broadcast_to(np.arange(len(target))[None, :, None], rows.shape).ravel()
        step = np.zeros((len(uniq), residual.shape[1]))
        np.add.at(step, inverse, residual[per_entry])
        step /= np.bincount(inverse)[:, None]
        self.values_.reshape(-1, residual.shape[1])[uniq] -= self.learning_rate * step

    def _residual(self, rows: np.ndarray, target: np.ndarray) -> np.ndarray:
        """p - t per sample: softmax of the scores minus the label-smoothed one-hot target, (B, M)."""
        return softmax(self._scores(rows), axis=1) - self._smoothed_targets(target)

    def _smoothed_targets(self, target: np.ndarray) -> np.ndarray:
        """(1 - eps) * one-hot + eps / M, shape (B, M)."""
        t = np.full((len(target), len(self.classes_)), self.label_smoothing / len(self.classes_))
        t[np.arange(len(target)), target] += 1.0 - self.label_smoothing
        return t

    def _scores(self, rows: np.ndarray) -> np.ndarray:
        return self.values_.reshape(-1, len(self.classes_))[rows].sum(axis=2).mean(axis=0)

    # ----- the gradient, exposed for checking -------------------------------------------------
    def value_loss(self, X: Any, y: Any) -> float:
        """Mean label-smoothed cross-entropy of the training forward pass (keys selected unmasked)."""
        rows, target = self._labelled_rows(X, y)
        logp = log_softmax(self._scores(rows), axis=1)
        return float(-(self._smoothed_targets(target) * logp).sum(axis=1).mean())

    def value_gradient(self, X: Any, y: Any) -> np.ndarray:
        """Exact gradient of value_loss with respect to values_, shape (C, J, M); zero on unselected rows."""
        rows, target = self._labelled_rows(X, y)
        residual = self._residual(rows, target)
        per_entry = np.broadcast_to(np.arange(len(target))[None, :, None], rows.shape).ravel()
        grad = np.zeros((self.n_codebooks * self.n_keys, len(self.classes_)))
        np.add.at(grad, rows.ravel(), residual[per_entry])
        grad /= self.n_codebooks * len(target)
        return grad.reshape(self.values_.shape)

    def _labelled_rows(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        self._require_classes()
        X = self._X(X)
        return self._select(X, masked=False), label_indices(self.classes_, check_y(y, len(X)))

    # ----- inference --------------------------------------------------------------------------
    def decision_function(self, X: Any) -> np.ndarray:
        """Class scores (B, M): the mean over codebooks of the selected keys' values (see class doc)."""
        self._require_classes()
        X = self._X(X)
        out = np.empty((len(X), len(self.classes_)))
        cost = self.n_codebooks * max(self.n_keys, self.top_k * len(self.classes_))
        for part in sample_chunks(len(X), cost):
            out[part] = self._scores(self._select(X[part], masked=True))
        return out

    def predict_proba(self, X: Any) -> np.ndarray:
        """softmax(decision_function(X) / temperature), rows summing to 1."""
        return softmax(self.decision_function(X) / self.temperature, axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """The class with the highest score for each sample."""
        best = self.decision_function(X).argmax(axis=1)
        return self.classes_[best]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy of predict(X) against y."""
        predicted = self.predict(X)
        y = check_y(y, len(predicted))
        return float(np.mean(predicted == y))

    # ----- forgetting -------------------------------------------------------------------------
    def forget(self, X: Any, y: Any) -> "KeyValueHead":
        """Remove these learned samples: exact for the counts learner (their hits are subtracted, so the
        state equals never having learned them; classes left with no sample disappear). Refused,
        leaving the head unchanged, by the sgd learner and for samples that were never learned."""
        self._require_classes()
        X = self._X(X)
        target = label_indices(self.classes_, check_y(y, len(X)))
        if self.value_learner != "counts":
            raise InputError("the sgd value learner cannot forget single samples; use forget_class, or a "
                             "head with value_learner='counts' (exact sample and class forgetting)")
        M = len(self.classes_)
        cells = np.empty(0, dtype=np.int64)
        for part in sample_chunks(len(X), self.n_codebooks * self.n_keys):
            rows = self._select(X[part], masked=False)
            cells = np.concatenate([cells, (rows * M + target[part][None, :, None]).ravel()])
        removed = np.bincount(cells, minlength=self.counts_.size).reshape(self.counts_.shape)
        if (removed > self.counts_).any():
            raise InputError("cannot forget these samples: some of them were never learned by this head")
        self.counts_ -= removed
        self.key_used_ = self.counts_.sum(axis=2) > 0
        self._refresh_count_values(np.flatnonzero(removed.sum(axis=2)))
        empty = self.counts_[0].sum(axis=0) == 0
        if empty.any():
            self._drop_classes(~empty)
        return self

    def forget_class(self, label: Any) -> "KeyValueHead":
        """Remove a class. counts: exact, the state equals never having learned it. sgd: its value
        column is dropped and rows only it ever selected are reset (zero, unused); rows it shared
        keep the pushes its training gave the other classes, so this is not exact."""
        self._require_classes()
        label = coerce_label(label, self.classes_)
        matches = np.flatnonzero(self.classes_ == label) if isinstance(label, (str, int, np.integer)) else []
        if len(matches) == 0:
            raise InputError(f"cannot forget class {label!r}: it was never learned "
                             f"(known labels: {format_labels(self.classes_)})")
        self._drop_classes(np.arange(len(self.classes_)) != matches[0])
        return self

    def _drop_classes(self, keep: np.ndarray) -> None:
        self.classes_ = self.classes_[keep]
        self.counts_ = np.ascontiguousarray(self.counts_[:, :, keep])
        self.values_ = np.ascontiguousarray(self.values_[:, :, keep])
        self.key_used_ = self.counts_.sum(axis=2) > 0
        if self.value_learner == "counts":
            self._refresh_count_values(np.arange(self.n_codebooks * self.n_keys))
        else:
            self.values_[~self.key_used_] = 0.0

    # ----- description, export and persistence -------------------------------------------------
    def info(self) -> dict[str, Any]:
        """What `edgekit info` shows: labels, samples per class, sizes, parameters (JSON-serializable)."""
        if not hasattr(self, "keys_"):
            raise NotFittedError("This KeyValueHead instance is not fitted yet: it has no keys. "
                                 "Call 'fit_keys', 'fit' or 'partial_fit' first.")
        per_class = self.counts_[0].sum(axis=0) // self.top_k  # each sample hits top_k keys per codebook
        labels = labels_to_json(self.classes_)
        arrays = (self.projections_, self.keys_, self.values_, self.counts_)
        return {"kind": self.KIND, "classes": labels, "counts": {str(c): int(n) for c, n in zip(labels, per_class)},
                "n_samples": int(per_class.sum()), "n_features_in": int(self.n_features_in_),
                "n_codebooks": self.n_codebooks, "n_keys": self.n_keys, "key_dim": self.key_dim,
                "top_k": self.top_k, "value_learner": self.value_learner,
                "keys_used_fraction": round(float(self.key_used_.mean()), 4),
                "featurizer": featurizer_to_meta(self.featurizer),
                "state_bytes": int(sum(a.nbytes for a in arrays))}

    def weights_for_export(self, dtype: Any = np.float32) -> dict[str, np.ndarray]:
        """Tensors for an inference graph that reproduces decision_function / predict_proba:

        P (D, C*dk): projections_ side by side, so z = (x @ P).reshape(B, C, dk).transpose(1, 0, 2)
        KT (C, dk, J): keys_ transposed;   KK (C, 1, J): |k|^2 + MASK * (not key_used_)
        VF (C*J, M): values_ flattened;    OFF (C, 1, 1) int64: c * J;   temperature (1,).
        Then s = KK - 2 * (z @ KT); idx = argmin(s, axis=2) (top_k = 1) or the top_k smallest;
        scores = mean over axis 0 of VF[idx + OFF] summed over the k axis;
        proba = softmax(scores / temperature).
        """
        self._require_classes()
        C, J, M = self.values_.shape
        float_t = np.dtype(dtype)
        return {
            "P": self._p_flat.astype(float_t),
            "KT": np.ascontiguousarray(self.keys_.transpose(0, 2, 1)).astype(float_t),
            "KK": (self._kk + MASK * ~self.key_used_)[:, None, :].astype(float_t),
            "VF": self.values_.reshape(C * J, M).astype(float_t),
            "OFF": self._offsets.copy(),
            "temperature": np.array([self.temperature], dtype=float_t),
        }

    def _require_saveable(self) -> None:
        if not hasattr(self, "keys_"):
            raise NotFittedError("This KeyValueHead has nothing to save yet: "
                                 "call fit_keys, fit or partial_fit first")

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._require_saveable()
        arrays = {"projections": self.projections_, "keys": self.keys_, "values": self.values_, "counts": self.counts_}
        return {"n_features_in": int(self.n_features_in_)}, arrays

    def _array_schema(self, meta: Mapping[str, Any], classes: np.ndarray) -> dict[str, ArraySpec]:
        C, J, dk, M, D = self.n_codebooks, self.n_keys, self.key_dim, len(classes), meta["n_features_in"]
        self._check_state_bytes(D, M)
        return {"projections": ArraySpec((C, D, dk)), "keys": ArraySpec((C, J, dk)), "values": ArraySpec((C, J, M)),
                "counts": ArraySpec((C, J, M), "int64", nonnegative=True)}

    def _restore(self, meta: Mapping[str, Any], arrays: dict[str, np.ndarray], classes: np.ndarray) -> None:
        self.n_features_in_, self.classes_ = int(meta["n_features_in"]), classes
        self.projections_, self.keys_ = arrays["projections"], arrays["keys"]
        self.values_, self.counts_ = arrays["values"], arrays["counts"]
        self.key_used_ = self.counts_.sum(axis=2) > 0
        self._derive_projection()
        self._derive_keys()


def _side_by_side(projections: np.ndarray) -> np.ndarray:
    """Projections (C, D, dk) as one (D, C * dk) matrix, so all codebooks project in one matmul."""
    C, D, dk = projections.shape
    return np.ascontiguousarray(projections.transpose(1, 0, 2).reshape(D, C * dk))


def _project(X: np.ndarray, p_flat: np.ndarray, C: int, dk: int) -> np.ndarray:
    """z for every codebook and sample, shape (C, B, dk), C-contiguous for the batched key search."""
    return np.ascontiguousarray((X @ p_flat).reshape(len(X), C, dk).transpose(1, 0, 2))
