"""The analytic online classifier: ridge regression kept as sufficient statistics, so it learns from a
stream without storing samples, never forgets old classes, unlearns exactly and merges exactly.

The estimator is thin: the statistics are `ridge_stats.Statistics`, the solve and its fast Woodbury updates
are the functions of `ridge_solver`, parameters, featurizer and the state file come from `base.LearnedHead`.

Estimator conventions (shared by every edgekit head; the key-value head follows them too)
--------------------------------------------------------------------------------------------
- Constructor parameters are stored as given, validated on the first fit; learned state ends in `_`.
- `fit(X, y)` starts over; `partial_fit(X, y, classes=None)` adds a batch; labels never seen before
  may appear in any batch (`classes=` only declares extra ones, scikit-learn style).
- `predict(X)`, `predict_proba(X)`, `decision_function(X)` (n_samples, n_classes), `score(X, y)`.
- `forget(X, y)` removes those samples exactly; `forget_class(label)` removes a class.
- `merge(other)` adds another model's statistics in place; `edgekit.learn.merge(models)` returns a new one.
- `save(path)` / `load(path)` / `from_state(meta, arrays, source)`; `info()` for `edgekit info`.
- `classes_` (sorted labels, all str or all int), `n_features_in_`; inputs validated by
  `edgekit.learn.validation`; with a `featurizer`, X may also be a list of texts.

State file (kind "analytic", meta["format_version"] == 1), arrays:
    gram (p, p)  xty (p, C)  class_count (C,)  feat_sum (C, d)  feat_sqsum (C, d)  weights (p, C)
    [buffer (d, m), buffer_bias (m,)]  [class_gram (C, p, p) when per_class_stats]
meta: format_version, edgekit_version, params, seed, classes, n_features_in, featurizer, softmax_scale.
`weights` and `softmax_scale` are the solution at save time (so loading needs no solve); everything
else is the exact statistics.
"""
from __future__ import annotations

import copy
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from scipy.special import expit

from ..errors import InputError
from ..limits import MAX_FEATURES
from . import ridge_solver as solver
from .base import ArraySpec, LearnedHead
from .featurize import featurizer_to_meta
from .kinds import ANALYTIC
from .labels import check_labels, check_y, coerce_label, label_indices, labels_to_json, union_classes
from .params import ANY, BOOLEAN, NONE, Interval, Options, Satisfies
from .pseudo import pseudo_statistics
from .ridge_solver import SIGMA2_FLOOR, Solution
from .ridge_stats import Statistics

KIND = ANALYTIC
FORMAT_VERSION = 1
ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")
EXPORT_DTYPES = ("float32", "float64", "float16")
RESYNC_EVERY = 1000        # fast (Woodbury) updates before the inverse cache is rebuilt from the statistics


def _activate(H: np.ndarray, activation: str) -> np.ndarray:
    """Apply the buffer activation in place."""
    if activation == "relu":
        np.maximum(H, 0.0, out=H)
    elif activation == "tanh":
        np.tanh(H, out=H)
    elif activation == "sigmoid":
        expit(H, out=H)
    return H


class _Memo:
    """Holds the cached solution, so predicting (which may solve) leaves the estimator's __dict__ unchanged."""
    sol: Solution | None = None


class AnalyticClassifier(LearnedHead):
    """Ridge regression on a fixed random feature expansion, learned from sufficient statistics.

    Features and scores (exactly what an exporter must reproduce)::

        h(X)   = act(X @ buffer_ + buffer_bias_)   if buffer_size > 0, else X
        decision_function(X) = h(X) @ coef_.T + intercept_                  (n_samples, n_classes)
        predict_proba(X)     = softmax(softmax_scale_ * decision_function(X), axis=1)
        predict(X)           = classes_[argmax(decision_function(X), axis=1)]

    `act` is `activation` ("relu", "tanh", "sigmoid" = 1/(1+e^-t), "identity"). `buffer_` is
    (n_features_in_, buffer_size) float64 drawn from N(0, 1/n_features_in_) with `random_state`;
    `buffer_bias_` is (buffer_size,) float64 from N(0, 1), or None when there is no buffer.

    Learning keeps, in float64, A = sum z z^T and Q = sum z y^T over design rows z = [h(x), 1] (the
    1 only when fit_intercept) and one-hot targets y, plus per-class counts, feature sums and sums of
    squares. The weights are the ridge solution W = (A + gamma I)^-1 Q by Cholesky (the intercept is
    penalized like the other weights); `coef_ = W[:-1].T`, `intercept_ = W[-1]`. That equals one ridge
    fit on all data seen so far, whatever the order or batch split. After each small batch learned or
    forgotten (fast_updates) the cached inverse and weights are updated by Woodbury in O(b p^2) instead
    of re-solved in O(p^3) (rank-1 terms are gathered and folded in by one syrk every PENDING); that
    cache is rebuilt from A every RESYNC_EVERY updates and dropped by big batches, merge and
    forget_class. The solve is lazy: it happens at the first prediction after such a change.

    Calibration: `softmax_scale_ = 1 / sigma^2`, where sigma^2 is the ridge residual variance per
    output, RSS / (n_classes * (n - df)), with df = trace(A (A + gamma I)^-1) the effective number
    of parameters (floored at 1e-4). If each score is its 0/1 target plus Gaussian noise of variance
    sigma^2, softmax(scores / sigma^2) is the class posterior under equal priors.

    Parameters: gamma (ridge strength, > 0); buffer_size (0 = no expansion); activation;
    random_state (seed of the buffer and the pseudo-features); export_dtype (of
    weights_for_export); per_class_stats (keep each class's Gram so forget_class is exact; costs
    n_classes * p^2 floats); pseudo_features (AEF-OCL balancing at solve time, off by default,
    never alters the statistics); pseudo_max_per_class (draw cap per class per solve); fit_intercept;
    fast_updates (keep the Woodbury cache: p^2 more memory); featurizer (text -> features).
    """

    KIND = KIND
    FORMAT_VERSION = FORMAT_VERSION
    _parameter_constraints = {
        "gamma": [Interval(False, 0, None, "neither")],
        "buffer_size": [Interval(True, 0, MAX_FEATURES)],
        "activation": [Options(ACTIVATIONS)],
        "random_state": [Interval(True, 0, 2**63 - 1), NONE],
        "export_dtype": [Satisfies(lambda v: str(np.dtype(v)) in EXPORT_DTYPES, "one of " + ", ".join(EXPORT_DTYPES))],
        "per_class_stats": [BOOLEAN],
        "pseudo_features": [BOOLEAN],
        "pseudo_max_per_class": [Interval(True, 1, 1 << 24)],
        "fit_intercept": [BOOLEAN],
        "fast_updates": [BOOLEAN],
        "featurizer": [ANY],
    }
    _meta_constraints = {
        "seed": [Interval(True, 0, 2**64 - 1)],
        "n_features_in": [Interval(True, 1, MAX_FEATURES)],
        "softmax_scale": [Interval(False, 0, 1.0 / SIGMA2_FLOOR, "right"), NONE],
    }

    def __init__(self, gamma: float = 1.0, buffer_size: int = 0, activation: str = "relu",
                 random_state: int | None = 0, export_dtype: str = "float32", per_class_stats: bool = False,
                 pseudo_features: bool = False, pseudo_max_per_class: int = 1024, fit_intercept: bool = True,
                 fast_updates: bool = True, featurizer: Any = None) -> None:
        self.gamma = gamma
        self.buffer_size = buffer_size
        self.activation = activation
        self.random_state = random_state
        self.export_dtype = export_dtype
        self.per_class_stats = per_class_stats
        self.pseudo_features = pseudo_features
        self.pseudo_max_per_class = pseudo_max_per_class
        self.fit_intercept = fit_intercept
        self.fast_updates = fast_updates
        self.featurizer = featurizer

    # ----- parameters and state -----------------------------------------------------------------
    def _state_bytes(self, n_features: int, n_classes: int) -> int:
        p = (int(self.buffer_size) or n_features) + 1
        per_class = n_classes * p * p if self.per_class_stats else 0
        return 8 * ((2 + bool(self.fast_updates)) * p * p + n_features * int(self.buffer_size)
                    + n_classes * (2 * p + 2 * n_features) + per_class)

    def _init_state(self, n_features: int) -> None:
        """Empty statistics for inputs of width n_features."""
        self._check_state_bytes(n_features, 1)
        seed = self.random_state
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        self.seed_ = int(seed)
        self.n_features_in_ = int(n_features)
        if self.buffer_size:
            rng = np.random.default_rng(self.seed_)
            self.buffer_ = rng.standard_normal((n_features, int(self.buffer_size))) / np.sqrt(n_features)
            self.buffer_bias_ = rng.standard_normal(int(self.buffer_size))
        else:
            self.buffer_ = None
            self.buffer_bias_ = None
        self.classes_ = np.zeros(0, dtype=np.int64)
        self._stats = Statistics.empty(self.n_phi_ + int(bool(self.fit_intercept)), n_features,
                                       bool(self.per_class_stats))
        self._memo = _Memo()

    @property
    def class_count_(self) -> np.ndarray:
        """(n_classes,) int64 samples learned per class."""
        self._require_fitted()
        return self._stats.count

    @property
    def _gram(self) -> np.ndarray:
        """A = sum z z^T (upper triangle valid), pending rows included; reading it changes nothing."""
        return self._stats.gram_upper()

    @property
    def _xty(self) -> np.ndarray:
        return self._stats.xty

    @property
    def _p(self) -> int:
        """Design width: n_phi_ plus the intercept column."""
        return self._stats.gram.shape[0]

    @property
    def _cache(self) -> Solution | None:
        return self._memo.sol

    @_cache.setter
    def _cache(self, sol: Solution | None) -> None:
        self._memo.sol = sol

    def _reset(self) -> None:
        for name in ("classes_", "_stats", "n_features_in_", "buffer_", "buffer_bias_", "seed_"):
            self.__dict__.pop(name, None)

    @property
    def n_phi_(self) -> int:
        """Width of h(X): buffer_size, or n_features_in_ without a buffer."""
        return int(self.buffer_size) if self.buffer_size else self.n_features_in_

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "classes_")

    def __sklearn_tags__(self):  # scikit-learn is only a test dependency: imported when sklearn asks
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(), input_tags=InputTags())

    def _require_classes(self) -> None:
        self._require_fitted()
        if self.classes_.size == 0:
            raise InputError(f"this {type(self).__name__} has forgotten every class; learn something first")

    def _expand_classes(self, classes: np.ndarray) -> None:
        """Add zero statistics for labels not seen before, keeping classes_ sorted."""
        merged, pos = union_classes(self.classes_, classes)
        if merged.size == self.classes_.size:
            return
        self._check_state_bytes(self.n_features_in_, merged.size)
        self._stats.widen(pos, merged.size)
        if self._cache is not None:  # a class with no samples has a zero column: the cache stays exact
            W = np.zeros((self._p, merged.size))
            W[:, pos] = self._cache.W
            self._cache.W, self._cache.scale = W, None
        self.classes_ = merged

    def _keep_classes(self, keep: np.ndarray) -> None:
        """Drop the classes where keep is False from every per-class array.

        The cached weights lose the same columns: ridge columns are independent given A, so that is exact
        (except with pseudo-features, whose top-up depends on every class's count)."""
        if keep.all():
            return
        self.classes_ = self.classes_[keep]
        self._stats.keep(keep)
        sol = self._cache
        if sol is None or self.pseudo_features or not self.classes_.size:
            self._cache = None
        else:
            sol.W = np.ascontiguousarray(sol.W[:, keep])
            sol.rss = solver.residual_sum_of_squares(sol.n, sol.W, self._stats.xty, float(self.gamma))
            sol.scale = None

    # ----- features ---------------------------------------------------------------------------
    def _check_X(self, X: Any) -> np.ndarray:
        return self._features(X, getattr(self, "n_features_in_", None))

    def _hidden(self, X: np.ndarray) -> np.ndarray:
        """h(X): the buffer expansion (or X itself)."""
        if self.buffer_ is None:
            return X
        return _activate(X @ self.buffer_ + self.buffer_bias_, self.activation)

    def _design(self, X: np.ndarray) -> np.ndarray:
        """Design rows z = [h(x), 1] (the 1 only with fit_intercept)."""
        H = self._hidden(X)
        if not self.fit_intercept:
            return np.ascontiguousarray(H)
        Z = np.empty((H.shape[0], H.shape[1] + 1))
        Z[:, :-1] = H
        Z[:, -1] = 1.0
        return Z

    # ----- learning ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> "AnalyticClassifier":
        """Forget everything and learn (X, y)."""
        X = self._features(X, None)
        y = check_y(y, X.shape[0])
        union_classes(None, y)  # label limits, before anything changes
        self._validate_params()
        self._reset()
        self._init_state(X.shape[1])
        self._learn(X, y, None)
        return self

    def partial_fit(self, X: Any, y: Any, classes: Iterable[Any] | None = None) -> "AnalyticClassifier":
        """Learn one more batch; new labels may appear in any batch."""
        fitted = hasattr(self, "classes_")
        X = self._check_X(X) if fitted else self._features(X, None)
        y = check_y(y, X.shape[0])
        extra = check_labels(classes, "class") if classes is not None else None
        labels, _ = union_classes(getattr(self, "classes_", None), y)  # type and limit checks, before any change
        if extra is not None:
            union_classes(labels, extra)
        if not fitted:
            self._validate_params()
            self._init_state(X.shape[1])
        self._learn(X, y, extra)
        return self

    def _learn(self, X: np.ndarray, y: np.ndarray, extra: np.ndarray | None) -> None:
        labels, _ = union_classes(self.classes_, y)
        if extra is not None:
            labels, _ = union_classes(labels, extra)
        self._expand_classes(labels)
        Z = self._design(X)
        Y = self._stats.add(X, Z, label_indices(self.classes_, y))
        self._follow(Z, Y, 1.0)

    def _follow(self, Z: np.ndarray, Y: np.ndarray, sign: float) -> None:
        """Keep the cached solution in step with a small batch (Woodbury), or drop it."""
        sol = self._cache
        fast = (bool(self.fast_updates) and not self.pseudo_features and sol is not None
                and (sol.R is not None or sol.chol is not None) and Z.shape[0] <= max(4, self._p // 8))
        if not (fast and solver.woodbury_update(sol, Z, Y, self._stats.xty, float(self.gamma), sign)
                and sol.steps < RESYNC_EVERY):
            self._cache = None

    def forget(self, X: Any, y: Any) -> "AnalyticClassifier":
        """Remove these (previously learned) samples exactly; classes left with no samples disappear.

        Refused, leaving the model unchanged, for an unknown label, more samples of a class than it has,
        or samples whose removal would make a sum of squares negative (so they were never learned; a
        cheap check, not a proof: exactness relies on the caller presenting the learned samples).
        """
        self._require_fitted()
        X = self._check_X(X)
        y = check_y(y, X.shape[0])
        idx = label_indices(self.classes_, y)
        removed = np.bincount(idx, minlength=self.classes_.size)
        over = np.flatnonzero(removed > self._stats.count)
        if over.size:
            c = over[0]
            raise InputError(f"cannot forget {removed[c]} samples of class {self.classes_[c].item()!r}: "
                             f"only {self._stats.count[c]} were learned")
        Z = self._design(X)
        Y = self._stats.remove(X, Z, idx)
        self._follow(Z, Y, -1.0)
        self._keep_classes(self._stats.count > 0)
        return self

    def forget_class(self, label: Any) -> "AnalyticClassifier":
        """Remove every sample of one class exactly (needs per_class_stats=True)."""
        self._require_fitted()
        if not self.per_class_stats:
            raise InputError("forget_class needs per-class statistics, which this model does not keep: create "
                             "it with per_class_stats=True (CLI: --param per_class_stats=true) and learn the data "
                             "again, or call forget(X, y) with that class's samples")
        label = check_labels([coerce_label(label, self.classes_)], "label")
        c = int(label_indices(self.classes_, label, "label")[0])
        self._stats.remove_class_gram(c)
        self._cache = None
        keep = np.ones(self.classes_.size, dtype=bool)
        keep[c] = False
        self._keep_classes(keep)
        return self

    def merge(self, other: "AnalyticClassifier") -> "AnalyticClassifier":
        """Add another model's statistics (same features, buffer and gamma) to this one, in place."""
        if not isinstance(other, AnalyticClassifier):
            raise InputError(f"cannot merge an AnalyticClassifier with a {type(other).__name__}")
        if not hasattr(other, "classes_"):
            return self
        for name in ("gamma", "buffer_size", "activation", "fit_intercept", "per_class_stats"):
            if getattr(self, name) != getattr(other, name):
                raise InputError(f"cannot merge: {name} differs ({getattr(self, name)!r} vs {getattr(other, name)!r})")
        if featurizer_to_meta(self.featurizer) != featurizer_to_meta(other.featurizer):
            raise InputError("cannot merge: the models use different text featurizers")
        if not hasattr(self, "classes_"):
            self._validate_params()
            self._init_state(other.n_features_in_)
            self.seed_, self.buffer_, self.buffer_bias_ = other.seed_, copy.deepcopy(other.buffer_), \
                copy.deepcopy(other.buffer_bias_)
        if self.n_features_in_ != other.n_features_in_:
            raise InputError(f"cannot merge: {self.n_features_in_} vs {other.n_features_in_} input features")
        if not (_same(self.buffer_, other.buffer_) and _same(self.buffer_bias_, other.buffer_bias_)):
            raise InputError("cannot merge: the models use different random buffers (different random_state?)")
        if other.classes_.size:
            self._expand_classes(other.classes_)
        pos = label_indices(self.classes_, other.classes_) if other.classes_.size else np.zeros(0, np.intp)
        self._stats.merge(other._stats, pos)
        self._cache = None
        return self

    # ----- solving ----------------------------------------------------------------------------
    def _solution(self) -> Solution:
        if self._cache is not None:
            return self._cache
        self._require_classes()
        M, Q = self._stats.gram_full(), self._stats.xty
        n = float(self._stats.count.sum())
        if self.pseudo_features:
            rng = np.random.default_rng([self.seed_, 1])
            gram, xty, extra = pseudo_statistics(self._stats.count, self._stats.feat_sum, self._stats.feat_sqsum,
                                                 self._design, rng, int(self.pseudo_max_per_class))
            if gram is not None:
                M += gram
                Q = Q + xty
                n += extra
        self._cache = solver.solve(M, Q, n, float(self.gamma))
        return self._cache

    @property
    def coef_(self) -> np.ndarray:
        """(n_classes, n_phi_) float64 ridge weights on h(X)."""
        self._require_fitted()
        W = self._solution().W
        return np.ascontiguousarray((W[:-1] if self.fit_intercept else W).T)

    @property
    def intercept_(self) -> np.ndarray:
        """(n_classes,) float64 intercepts (zeros without fit_intercept)."""
        self._require_fitted()
        W = self._solution().W
        return W[-1].copy() if self.fit_intercept else np.zeros(W.shape[1])

    @property
    def softmax_scale_(self) -> float:
        """The calibrated inverse temperature of predict_proba (see the class docstring)."""
        self._require_fitted()
        return solver.softmax_scale(self._solution(), self._p, float(self.gamma), self.classes_.size)

    @property
    def n_samples_seen_(self) -> int:
        """Samples currently learned (after forgetting)."""
        self._require_fitted()
        return int(self._stats.count.sum())

    # ----- prediction -------------------------------------------------------------------------
    def decision_function(self, X: Any) -> np.ndarray:
        """Ridge scores h(X) @ coef_.T + intercept_, shape (n_samples, n_classes)."""
        return self._scores(X)

    def _scores(self, X: Any) -> np.ndarray:
        self._require_fitted()
        X = self._check_X(X)
        return self._design(X) @ self._solution().W

    def predict_proba(self, X: Any) -> np.ndarray:
        """softmax(softmax_scale_ * decision_function(X)) per row."""
        scores = self._scores(X) * self.softmax_scale_
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def predict(self, X: Any) -> np.ndarray:
        """The label with the highest score for each row."""
        winners = np.argmax(self._scores(X), axis=1)
        return self.classes_[winners]

    def score(self, X: Any, y: Any) -> float:
        """Accuracy on (X, y)."""
        pred = self.predict(X)
        y = check_y(y, pred.shape[0])
        return float(np.mean(pred == y))

    def weights_for_export(self, dtype: Any = None) -> dict[str, np.ndarray]:
        """The arrays an inference graph needs, cast to dtype (default export_dtype):
        "coef" (n_classes, n_phi), "intercept" (n_classes,), "softmax_scale" (scalar array), and with a
        buffer "buffer" (n_features_in, buffer_size), "buffer_bias" (buffer_size,). The activation is
        `self.activation`; labels are `self.classes_`."""
        self._require_classes()
        dt = np.dtype(self.export_dtype if dtype is None else dtype)
        out = {"coef": self.coef_.astype(dt), "intercept": self.intercept_.astype(dt),
               "softmax_scale": np.asarray(self.softmax_scale_, dtype=dt)}
        if self.buffer_ is not None:
            out["buffer"] = self.buffer_.astype(dt)
            out["buffer_bias"] = self.buffer_bias_.astype(dt)
        return out

    # ----- persistence (the file format is checked by LearnedHead.from_state) ---------------------
    def _state_arrays(self) -> dict[str, np.ndarray]:
        arrays = self._stats.arrays()
        if self.buffer_ is not None:
            arrays["buffer"] = self.buffer_
            arrays["buffer_bias"] = self.buffer_bias_
        return arrays

    def state_nbytes(self) -> int:
        """Bytes of the exact statistics (what save() stores besides the weights); no samples included."""
        self._require_fitted()
        return int(sum(a.nbytes for a in self._state_arrays().values()))

    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._require_fitted()
        arrays, scale = self._state_arrays(), None
        if self.classes_.size:
            arrays["weights"] = self._solution().W
            scale = self.softmax_scale_
        return {"seed": self.seed_, "n_features_in": self.n_features_in_, "softmax_scale": scale}, arrays

    def _array_schema(self, meta: Mapping[str, Any], classes: np.ndarray) -> dict[str, ArraySpec]:
        d, C = meta["n_features_in"], classes.size
        self._check_state_bytes(d, C)
        m = int(self.buffer_size) or d
        p = m + int(bool(self.fit_intercept))
        schema = {"gram": ArraySpec((p, p)), "xty": ArraySpec((p, C)),
                  "class_count": ArraySpec((C,), "int64", nonnegative=True), "feat_sum": ArraySpec((C, d)),
                  "feat_sqsum": ArraySpec((C, d), nonnegative=True)}
        if self.buffer_size:
            schema.update(buffer=ArraySpec((d, m)), buffer_bias=ArraySpec((m,)))
        if self.per_class_stats:
            schema["class_gram"] = ArraySpec((C, p, p))
        if C:
            schema["weights"] = ArraySpec((p, C))
            if meta.get("softmax_scale") is None:
                raise ValueError("softmax_scale is missing")
        return schema

    def _restore(self, meta: Mapping[str, Any], arrays: dict[str, np.ndarray], classes: np.ndarray) -> None:
        self.seed_, self.n_features_in_, self.classes_ = int(meta["seed"]), int(meta["n_features_in"]), classes
        self.buffer_ = arrays.get("buffer")
        self.buffer_bias_ = arrays.get("buffer_bias")
        self._stats = Statistics.from_arrays(arrays, bool(self.per_class_stats))
        self._memo = _Memo()
        if classes.size:
            self._cache = Solution(W=arrays["weights"], rss=0.0, n=float(self._stats.count.sum()),
                                   scale=float(meta["softmax_scale"]))

    def info(self) -> dict[str, Any]:
        """A JSON-serializable summary: labels, per-class counts, sizes, parameters."""
        self._require_fitted()
        return {"kind": self.KIND, "classes": labels_to_json(self.classes_),
                "counts": {str(c): int(n) for c, n in zip(labels_to_json(self.classes_), self._stats.count)},
                "n_samples": self.n_samples_seen_, "n_features_in": self.n_features_in_,
                "buffer_size": int(self.buffer_size), "activation": self.activation, "gamma": float(self.gamma),
                "per_class_stats": bool(self.per_class_stats), "pseudo_features": bool(self.pseudo_features),
                "featurizer": featurizer_to_meta(self.featurizer), "state_bytes": self.state_nbytes()}


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))


def merge(models: Sequence[AnalyticClassifier]) -> AnalyticClassifier:
    """A new model whose statistics are the sum of these models' (exactly one fit on all their data)."""
    models = list(models)
    if not models:
        raise InputError("merge needs at least one model")
    result = copy.deepcopy(models[0])
    for other in models[1:]:
        result.merge(other)
    return result
