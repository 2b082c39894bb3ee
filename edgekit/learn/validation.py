"""Input checks shared by every learned head, plus the small scikit-learn parameter protocol they share.

Every public head method passes its input through `check_X` / `check_y`, so bad input (wrong shape,
wrong feature count, NaN/inf, strings where numbers are expected, empty batches, unknown labels)
always fails the same way: an `InputError` (a `DataError` that is also a `ValueError`, the type
scikit-learn's conventions expect) whose message names the offending row. Labels are checked by
`edgekit.learn.labels` (re-exported here); the errors live in edgekit.errors (re-exported here too).
"""
from __future__ import annotations

import inspect
import numbers
from typing import Any, Sequence

import numpy as np

from ..errors import InputError, InputTypeError, NotFittedError
from .labels import (INT64_RANGE, DataConversionWarning, check_labels, check_y, coerce_label,  # noqa: F401
                     format_labels, label_indices, labels_from_json, labels_to_json, union_classes)


# ---------------------------------------------------------------------------------------------------
# Feature matrices
# ---------------------------------------------------------------------------------------------------

def _is_text_batch(X: Any) -> bool:
    """True for a non-empty list/tuple/1-D array whose items are all str."""
    if isinstance(X, str):
        return False
    if isinstance(X, np.ndarray):
        return X.ndim == 1 and X.size > 0 and (X.dtype.kind == "U" or
                                               (X.dtype == object and all(isinstance(v, str) for v in X)))
    if isinstance(X, (list, tuple)):
        return len(X) > 0 and all(isinstance(v, str) for v in X)
    return False


def _first_bad_cell(rows: Sequence[Any]) -> tuple[int, int, Any] | None:
    """Locate the first cell that is not a real number: (row, column, value), or None."""
    for i, row in enumerate(rows):
        cells = row if isinstance(row, (list, tuple, np.ndarray)) else [row]
        for j, v in enumerate(cells):
            if isinstance(v, (bool, np.bool_)):
                continue
            if isinstance(v, (str, bytes)):
                try:
                    float(v)
                    continue
                except ValueError:
                    return i, j, v
            if not isinstance(v, numbers.Real):
                return i, j, v
    return None


def check_X(X: Any, n_features: int | None = None, name: str = "X", owner: str = "the model",
            featurizer: Any = None) -> np.ndarray:
    """Validate a batch of feature vectors and return it as a C-contiguous float64 (n_samples, n_features) array.

    Text batches (a list of str) are turned into features by `featurizer.transform` when a featurizer is
    given, and refused otherwise. `n_features` is the width the model was trained on (None: any width).
    """
    if featurizer is not None and _is_text_batch(X):
        X = featurizer.transform(list(X))
    elif _is_text_batch(X):
        raise InputError(f"{name} is a list of strings but {owner} has no text featurizer; "
                         f"numbers expected (row 0: {str(np.asarray(X).ravel()[0])[:40]!r})")
    if X is None:
        raise InputError(f"{name} is None; expected a 2-D array of numbers")
    if hasattr(X, "toarray") and hasattr(X, "nnz"):
        raise InputError(f"{name} is a sparse matrix; sparse input is not supported, pass a dense array")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise InputError(f"{name} rows have different lengths ({exc})") from None
    if arr.dtype.kind == "c":
        raise InputError(f"{name}: Complex data not supported")
    if arr.dtype.kind in "OUSV":
        bad = _first_bad_cell(list(arr) if arr.ndim else [arr.item()])
        if bad is not None:
            i, j, v = bad
            raise InputTypeError(f"{name} row {i}, column {j}: {str(v)[:40]!r} is not a number "
                             f"(argument must be a string or a real number)")
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name} cannot be read as numbers ({exc})") from None
    if arr.ndim != 2:
        raise InputError(f"{name} must be a 2-D array (n_samples, n_features); got {arr.ndim}-D shape "
                         f"{arr.shape}. Reshape your data either using array.reshape(-1, 1) if it has a "
                         f"single feature or array.reshape(1, -1) if it contains a single sample.")
    if arr.shape[0] == 0:
        raise InputError(f"{name} is empty: 0 samples (shape={arr.shape}) while a minimum of 1 is required.")
    if arr.shape[1] == 0:
        raise InputError(f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required.")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    finite = np.isfinite(arr)
    if not finite.all():
        row = int(np.argwhere(~finite)[0, 0])
        raise InputError(f"{name} row {row} contains NaN or infinity (inf); every value must be finite")
    if n_features is not None and arr.shape[1] != n_features:
        raise InputError(f"{name} has {arr.shape[1]} features, but {owner} is expecting "
                         f"{n_features} features as input")
    return arr


# ---------------------------------------------------------------------------------------------------
# scikit-learn parameter protocol
# ---------------------------------------------------------------------------------------------------

class ParamsMixin:
    """get_params / set_params / repr from the constructor signature, as scikit-learn estimators have.

    Constructor parameters are stored as given (same attribute name); learned state ends in `_`.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> "ParamsMixin":
        """Set constructor parameters; unknown names are an error."""
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise InputError(f"Invalid parameter {key!r} for {type(self).__name__}; "
                                 f"valid parameters: {sorted(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = []
        for key, value in self.get_params().items():
            default = defaults.get(key, inspect.Parameter.empty)
            try:
                same = bool(value == default) if not isinstance(value, np.ndarray) else False
            except Exception:
                same = False
            if not same:
                shown.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _require_fitted(self, attr: str = "classes_") -> None:
        if not hasattr(self, attr):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: it has learned "
                                 f"nothing. Call 'fit' or 'partial_fit' with labelled examples first.")
