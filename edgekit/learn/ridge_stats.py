"""The sufficient statistics of the analytic head, kept in float64: A = sum z z^T (upper triangle), Q =
sum z y^T, per-class counts, feature sums and sums of squares, and optionally each class's own A_c. Adding,
removing, widening to new classes, dropping classes and merging are exact; none of them solves anything."""
from __future__ import annotations


import numpy as np
from scipy.linalg import blas

from ..valueclass import field, value_class
from ..errors import InputError
from .ridge_solver import PENDING, symmetric, writable


def rank_update(M: np.ndarray, Z: np.ndarray, alpha: float) -> np.ndarray:
    """M += alpha Z^T Z on the upper triangle of the Fortran-ordered M, in place (BLAS syr/syrk)."""
    M = writable(M)
    if Z.shape[0] == 1:
        return blas.dsyr(alpha, Z[0], a=M, lower=0, overwrite_a=1)
    return blas.dsyrk(alpha, np.asfortranarray(Z), beta=1.0, c=M, trans=1, lower=0, overwrite_c=1)


def one_hot(idx: np.ndarray, n_classes: int) -> np.ndarray:
    Y = np.zeros((idx.shape[0], n_classes))
    Y[np.arange(idx.shape[0]), idx] = 1.0
    return Y


@value_class
class Statistics:
    """Exact ridge statistics for design width p, input width d and C classes.

    Rows added to (or removed from) A a few at a time wait in `pending` and are folded in by one syrk per
    sign, either when PENDING of them have gathered or by an explicit `fold()`; `gram_upper()` gives A with
    them included without folding (so reading never changes the statistics)."""
    gram: np.ndarray                         # (p, p) Fortran order, upper triangle valid, pending rows excluded
    xty: np.ndarray                          # (p, C)
    count: np.ndarray                        # (C,) int64
    feat_sum: np.ndarray                     # (C, d)
    feat_sqsum: np.ndarray                   # (C, d)
    class_gram: np.ndarray | None = None     # (C, p, p) when per-class statistics are kept
    pending: dict = field(default_factory=lambda: {1.0: [], -1.0: []})
    n_pending: int = 0
    pending_diag: np.ndarray | None = None   # the pending rows' contribution to diag(A)

    @classmethod
    def empty(cls, p: int, d: int, per_class: bool) -> "Statistics":
        return cls(np.zeros((p, p), order="F"), np.zeros((p, 0)), np.zeros(0, dtype=np.int64), np.zeros((0, d)),
                   np.zeros((0, d)), np.zeros((0, p, p)) if per_class else None)

    # ----- A and its pending rows ---------------------------------------------------------------
    def fold(self) -> None:
        """Fold the pending rows into A."""
        for alpha, rows in self.pending.items():
            if rows:
                self.gram = rank_update(self.gram, np.vstack(rows), alpha)
                rows.clear()
        self.n_pending, self.pending_diag = 0, None

    def gram_upper(self) -> np.ndarray:
        """A (upper triangle valid) with the pending rows included; the statistics stay as they are."""
        if not self.n_pending:
            return self.gram
        A = np.array(self.gram, order="F")
        for alpha, rows in self.pending.items():
            if rows:
                A = rank_update(A, np.vstack(rows), alpha)
        return A

    def gram_full(self) -> np.ndarray:
        """A as a full symmetric matrix (a new array)."""
        return symmetric(self.gram_upper())

    def diag(self) -> np.ndarray:
        diag = np.diag(self.gram)
        return diag.copy() if self.pending_diag is None else diag + self.pending_diag

    def _add_to_gram(self, Z: np.ndarray, alpha: float) -> None:
        if Z.shape[0] >= PENDING:
            self.gram = rank_update(self.gram, Z, alpha)
            return
        self.pending[alpha].append(Z)
        self.n_pending += Z.shape[0]
        diag = alpha * np.einsum("ij,ij->j", Z, Z)
        self.pending_diag = diag if self.pending_diag is None else self.pending_diag + diag
        if self.n_pending >= PENDING:
            self.fold()

    # ----- learning and forgetting --------------------------------------------------------------
    def add(self, X: np.ndarray, Z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Learn inputs X (design rows Z) of classes idx; returns the one-hot targets."""
        Y = one_hot(idx, self.count.size)
        self._add_to_gram(Z, 1.0)
        self.xty += Z.T @ Y
        self.count += np.bincount(idx, minlength=self.count.size)
        self.feat_sum += Y.T @ X
        self.feat_sqsum += Y.T @ (X * X)
        self._class_grams(Z, idx, 1.0)
        return Y

    def remove(self, X: np.ndarray, Z: np.ndarray, idx: np.ndarray) -> np.ndarray:
        """Unlearn inputs X (design rows Z) of classes idx, all or nothing: InputError, with nothing changed,
        for more samples of a class than it has or samples whose removal would make a sum of squares negative."""
        removed = np.bincount(idx, minlength=self.count.size)
        over = np.flatnonzero(removed > self.count)
        if over.size:
            raise InputError(f"cannot forget {removed[over[0]]} samples of class #{over[0]}: "
                             f"only {self.count[over[0]]} were learned")
        Y = one_hot(idx, self.count.size)
        sqsum = self.feat_sqsum - Y.T @ (X * X)
        old_diag = self.diag()
        _check_nonnegative(old_diag - np.einsum("ij,ij->j", Z, Z), old_diag, "feature")
        _check_nonnegative(sqsum, self.feat_sqsum, "input feature")
        self._add_to_gram(Z, -1.0)
        self.feat_sqsum = sqsum
        self._class_grams(Z, idx, -1.0)
        self.xty -= Z.T @ Y
        self.feat_sum -= Y.T @ X
        self.count -= removed
        return Y

    def _class_grams(self, Z: np.ndarray, idx: np.ndarray, sign: float) -> None:
        if self.class_gram is not None:
            for c in np.unique(idx):
                Zc = Z[idx == c]
                self.class_gram[c] += sign * (Zc.T @ Zc)

    def remove_class_gram(self, c: int) -> None:
        """A -= A_c (forget_class; the class's columns go with `keep`)."""
        self.fold()
        self.gram = self.gram - self.class_gram[c]

    # ----- classes ------------------------------------------------------------------------------
    def widen(self, pos: np.ndarray, n_classes: int) -> None:
        """Zero statistics for new classes: the old class j moves to column pos[j] of n_classes."""
        def widen(old: np.ndarray | None, axis: int) -> np.ndarray | None:
            if old is None:
                return None
            shape = list(old.shape)
            shape[axis] = n_classes
            new = np.zeros(shape, dtype=old.dtype)
            index = [slice(None)] * len(shape)
            index[axis] = pos
            new[tuple(index)] = old
            return new
        self.xty = widen(self.xty, 1)
        self.count = widen(self.count, 0)
        self.feat_sum = widen(self.feat_sum, 0)
        self.feat_sqsum = widen(self.feat_sqsum, 0)
        self.class_gram = widen(self.class_gram, 0)

    def keep(self, keep: np.ndarray) -> None:
        """Drop the classes where keep is False."""
        self.count = self.count[keep]
        self.xty = np.ascontiguousarray(self.xty[:, keep])
        self.feat_sum = self.feat_sum[keep]
        self.feat_sqsum = self.feat_sqsum[keep]
        if self.class_gram is not None:
            self.class_gram = self.class_gram[keep]

    def merge(self, other: "Statistics", pos: np.ndarray) -> None:
        """Add another model's statistics, its class j landing in column pos[j]."""
        self.fold()
        self.gram = writable(self.gram) + other.gram_upper()
        self.xty[:, pos] += other.xty
        self.count[pos] += other.count
        self.feat_sum[pos] += other.feat_sum
        self.feat_sqsum[pos] += other.feat_sqsum
        if self.class_gram is not None:
            self.class_gram[pos] += other.class_gram

    def arrays(self) -> dict[str, np.ndarray]:
        """The statistics as the state file stores them."""
        out = {"gram": self.gram_full(), "xty": self.xty, "class_count": self.count, "feat_sum": self.feat_sum,
               "feat_sqsum": self.feat_sqsum}
        if self.class_gram is not None:
            out["class_gram"] = self.class_gram
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], per_class: bool) -> "Statistics":
        return cls(np.asfortranarray(arrays["gram"]), np.ascontiguousarray(arrays["xty"]), arrays["class_count"],
                   arrays["feat_sum"], arrays["feat_sqsum"], arrays["class_gram"] if per_class else None)

    def nbytes(self) -> int:
        return int(sum(a.nbytes for a in self.arrays().values()))


def _check_nonnegative(new: np.ndarray, old: np.ndarray, what: str) -> None:
    bad = new < -1e-9 * np.maximum(np.abs(old), 1.0)
    if bad.any():
        where = np.argwhere(bad)[0]
        raise InputError(f"these samples were never learned: removing them would make the sum of squares "
                         f"of {what} {where[-1]} negative; nothing was forgotten")
