"""The ridge solver behind the analytic head, as plain functions of the statistics: the Cholesky solve of
(A + gamma I) W = Q, the Woodbury update of a cached inverse after a small batch learned or forgotten, and
the calibrated softmax scale. No estimator state: every input is an argument, every result a return value
or the `Solution` passed in."""
from __future__ import annotations


import numpy as np
import scipy.linalg
from scipy.linalg import blas, lapack

from ..valueclass import value_class
from ..errors import EdgekitError

SIGMA2_FLOOR = 1e-4        # residual variance floor: softmax_scale <= 1e4
PENDING = 32               # low-rank columns gathered before one BLAS-3 fold into the cached inverse


@value_class
class Solution:
    """The solution for one set of statistics, with what the fast path needs to follow small changes."""
    W: np.ndarray                      # (p, C) ridge weights, intercept in the last row
    rss: float                         # residual sum of squares of the fit on its training statistics
    n: float                           # samples behind that fit (pseudo-features included)
    chol: np.ndarray | None = None     # upper Cholesky factor U of A + gamma I (U^T U), while valid
    R: np.ndarray | None = None        # with V: (A + gamma I)^-1 = R - V diag(signs) V^T (R: upper triangle)
    V: np.ndarray | None = None        # (p, PENDING) low-rank corrections not yet folded into R
    signs: np.ndarray | None = None    # (PENDING,) +1 learned / -1 forgotten, per column of V
    k: int = 0                         # columns of V in use
    trace_inv: float | None = None     # trace((A + gamma I)^-1)
    scale: float | None = None         # softmax scale
    steps: int = 0                     # fast updates since the last full solve


def symmetric(upper: np.ndarray) -> np.ndarray:
    """Full symmetric Fortran-ordered copy of a matrix whose upper triangle is the valid one."""
    full = np.triu(upper)
    full += np.triu(upper, 1).T
    return np.asfortranarray(full)


def writable(M: np.ndarray) -> np.ndarray:
    """M itself when BLAS can update it in place (Fortran order, writeable), else such a copy."""
    return M if M.flags.f_contiguous and M.flags.writeable else np.array(M, order="F")


def residual_sum_of_squares(n: float, W: np.ndarray, Q: np.ndarray, gamma: float) -> float:
    """||Y - Z W||^2 = n - 2<W, Q> + <W, A W>, with A W = Q - gamma W at the ridge solution."""
    return max(float(n - np.vdot(W, Q) - gamma * np.vdot(W, W)), 0.0)


def solve(M: np.ndarray, Q: np.ndarray, n: float, gamma: float) -> Solution:
    """The ridge solution of (M + gamma I) W = Q by Cholesky; M (full symmetric, overwritten) and Q are
    the statistics (pseudo-features included), n the samples behind them."""
    M[np.diag_indices_from(M)] += float(gamma)
    try:
        chol, _ = scipy.linalg.cho_factor(M, lower=False, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:
        raise EdgekitError(f"the statistics are not positive definite even with gamma={gamma}; "
                           f"increase gamma") from None
    W = np.ascontiguousarray(scipy.linalg.cho_solve((chol, False), Q, check_finite=False))  # C order, as loaded
    if not np.isfinite(W).all():
        raise EdgekitError(f"the ridge solution is not finite; increase gamma (now {gamma})")
    return Solution(W=W, rss=residual_sum_of_squares(n, W, Q, gamma), n=n, chol=chol)


def woodbury_update(sol: Solution, Z: np.ndarray, Y: np.ndarray, Q: np.ndarray, gamma: float,
                    sign: float = 1.0) -> bool:
    """Update the cached inverse and weights of `sol` in place for a small batch (sign +1: learned, -1:
    forgotten) whose rows Z and targets Y are already in (or out of) the statistics, Q being the new cross
    product. Returns False, leaving `sol` unusable, when the update is ill-conditioned (solve again then).

    The new low-rank term of the inverse is kept aside in V and folded into R every PENDING columns."""
    p = Z.shape[1]
    if sol.R is not None:
        sol.R, sol.V = writable(sol.R), writable(sol.V)
    else:
        inv_u, info = lapack.dtrtri(sol.chol, lower=0)
        R, info2 = lapack.dlauum(inv_u, lower=0)  # U^-1 U^-T = (A + gamma I)^-1, upper triangle
        if info or info2:
            return False
        sol.R, sol.chol = np.asfortranarray(R), None
        sol.V, sol.signs, sol.k = np.zeros((p, PENDING), order="F"), np.zeros(PENDING), 0
    b = Z.shape[0]
    if sol.k + b > PENDING:
        fold_inverse(sol)
    V, signs, W = sol.V[:, :sol.k], sol.signs[:sol.k], sol.W
    if b == 1:
        z = Z[0]
        u = blas.dsymv(1.0, sol.R, z, lower=0) - V @ (signs * (z @ V))   # R z
        s = 1.0 + sign * (z @ u)
        if s < 1e-8:
            return False
        W += sign * np.outer(u / s, Y[0] - z @ W)  # gain R_new z = u / s
        new = (u / np.sqrt(s))[:, None]              # R_new = R - sign * new new^T
    else:
        Zt = np.asfortranarray(Z.T)
        U = blas.dsymm(1.0, sol.R, Zt, side=0, lower=0) - V @ (signs[:, None] * (V.T @ Zt))  # R Z^T
        S = sign * (Z @ U)
        S[np.diag_indices_from(S)] += 1.0
        try:
            Ls = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            return False
        new = scipy.linalg.solve_triangular(Ls, U.T, lower=True).T            # U Ls^-T
        G = scipy.linalg.solve_triangular(Ls, new.T, lower=True, trans="T").T  # U S^-1 = R_new Z^T
        W += sign * (G @ (Y - Z @ W))
    if b > PENDING:
        sol.R = blas.dsyrk(-sign, np.asfortranarray(new), beta=1.0, c=sol.R, trans=0, lower=0, overwrite_c=1)
    else:
        sol.V[:, sol.k:sol.k + b] = new
        sol.signs[sol.k:sol.k + b] = sign
        sol.k += b
    sol.n += sign * b
    sol.rss = residual_sum_of_squares(sol.n, W, Q, gamma)
    sol.trace_inv = sol.scale = None
    sol.steps += 1
    return True


def fold_inverse(sol: Solution) -> None:
    """R -= V diag(signs) V^T with one syrk per sign, then empty V."""
    for sign in (1.0, -1.0):
        cols = sol.V[:, :sol.k][:, sol.signs[:sol.k] == sign]
        if cols.shape[1]:
            sol.R = blas.dsyrk(-sign, np.asfortranarray(cols), beta=1.0, c=sol.R, trans=0, lower=0, overwrite_c=1)
    sol.k = 0


def trace_inverse(sol: Solution) -> float:
    """trace((A + gamma I)^-1) from the cached inverse or the Cholesky factor."""
    if sol.R is not None:
        V = sol.V[:, :sol.k]
        return float(np.trace(sol.R) - np.sum(sol.signs[:sol.k] * np.einsum("ij,ij->j", V, V)))
    inv_u, _ = lapack.dtrtri(sol.chol, lower=0)
    return float(np.sum(np.triu(inv_u) ** 2))


def softmax_scale(sol: Solution, p: int, gamma: float, n_classes: int) -> float:
    """1 / sigma^2, sigma^2 = RSS / (n_classes * (n - df)) with df = trace(A (A + gamma I)^-1) = p - gamma
    trace((A + gamma I)^-1), floored at SIGMA2_FLOOR (cached in `sol`)."""
    if sol.scale is None:
        if sol.trace_inv is None:
            sol.trace_inv = trace_inverse(sol)
        dof = max(sol.n - (p - float(gamma) * sol.trace_inv), 1.0)
        sol.scale = 1.0 / max(sol.rss / (n_classes * dof), SIGMA2_FLOOR)
    return sol.scale
