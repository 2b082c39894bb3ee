"""Input checks shared by every learned head, plus the small scikit-learn parameter protocol they share.

Every public head method passes its input through `check_X` / `check_y`, so bad input (wrong shape,
wrong feature count, NaN/inf, strings where numbers are expected, empty batches, unknown labels)
always fails the same way: an `InputError` (a `DataError` that is also a `ValueError`, the type
scikit-learn's conventions expect) whose message names the offending row.
"""
from __future__ import annotations

import inspect
import numbers
import warnings
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import DataError
from ..limits import MAX_CLASSES


class InputError(DataError, ValueError):
    """A bad input record: a DataError that is also a ValueError (scikit-learn expects ValueError)."""


class InputTypeError(InputError, TypeError):
    """Something that is not a number where numbers are expected (also a TypeError)."""


class DataConversionWarning(UserWarning):
    """Input was converted to the expected layout (a column-vector y raveled), as scikit-learn warns."""


class NotFittedError(InputError, AttributeError):
    """A head was used before it learned anything (also an AttributeError, like scikit-learn's)."""


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
# Labels
# ---------------------------------------------------------------------------------------------------

def check_y(y: Any, n_samples: int, name: str = "y") -> np.ndarray:
    """Validate labels for a batch of n_samples rows; returns a 1-D int64 or str array.

    Labels are all integers (integral floats are accepted) or all strings; continuous, missing or mixed
    labels are refused, naming the first offending row.
    """
    if y is None:
        raise InputError(f"this classifier requires y to be passed, but the target y is None ({name} is None)")
    arr = np.asarray(y, dtype=object if isinstance(y, (list, tuple)) else None)
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn("A column-vector y was passed when a 1d array was expected; using y.ravel()",
                      DataConversionWarning, stacklevel=3)
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise InputError(f"{name} must be a 1-D sequence of labels; got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise InputError(f"{name} has {arr.shape[0]} labels but X has {n_samples} rows")
    return _as_label_array(arr, name)


def _as_label_array(arr: np.ndarray, name: str) -> np.ndarray:
    """Convert a 1-D array of labels to int64 or str, refusing missing, continuous or mixed labels."""
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind == "b":
        return arr.astype(np.int64)
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
        if bad.size:
            raise InputError(f"Unknown label type: {name} row {int(bad[0])} is {arr[bad[0]]!r}, a continuous "
                             f"value; labels must be integers or strings (this is a classifier)")
        return arr.astype(np.int64)
    kinds = set()
    for i, v in enumerate(arr):
        if isinstance(v, str):
            kinds.add("str")
        elif isinstance(v, (bool, np.bool_, numbers.Integral)):
            kinds.add("int")
        elif isinstance(v, numbers.Real) and np.isfinite(v) and float(v) == round(float(v)):
            kinds.add("int")
        else:
            what = "a continuous value" if isinstance(v, numbers.Real) else "missing" if v is None else "not a label"
            raise InputError(f"Unknown label type: {name} row {i} is {v!r} ({what}); labels must be integers or strings")
        if len(kinds) > 1:
            raise InputError(f"{name} mixes strings and integers (row {i} is {v!r}); use one type of label")
    if kinds == {"str"}:
        return arr.astype(str)
    return np.array([int(v) for v in arr], dtype=np.int64)


def check_labels(labels: Iterable[Any], name: str = "label") -> np.ndarray:
    """Validate a free-standing list of labels (e.g. `classes=`); same rules as check_y."""
    arr = np.asarray(list(labels), dtype=object)
    if arr.size == 0:
        raise InputError(f"no {name}s given")
    return _as_label_array(arr.ravel(), name)


def union_classes(old: np.ndarray | None, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted union of known and new labels, and where each old label lands in it (an index array).

    Refuses mixing string and integer labels across calls, and more than MAX_CLASSES labels.
    """
    new = np.unique(new)
    if old is None or old.size == 0:
        merged, pos = new, np.zeros(0, dtype=np.intp)
    else:
        if (old.dtype.kind == "U") != (new.dtype.kind == "U"):
            raise InputError(f"the model's labels are {_kind_name(old)} but these labels are {_kind_name(new)} "
                             f"(e.g. {new[0].item()!r}); use one type of label")
        merged = np.union1d(old, new)
        pos = np.searchsorted(merged, old)
    if merged.size > MAX_CLASSES:
        raise InputError(f"{merged.size} classes is more than the {MAX_CLASSES} one head may hold "
                         f"(edgekit.limits.MAX_CLASSES); memory grows with features x classes")
    return merged, pos


def _kind_name(labels: np.ndarray) -> str:
    return "strings" if labels.dtype.kind == "U" else "integers"


def label_indices(classes: np.ndarray, labels: np.ndarray, name: str = "y") -> np.ndarray:
    """Column index of each label in `classes`; a label that was never learned is an error naming its row."""
    if (classes.dtype.kind == "U") != (labels.dtype.kind == "U"):
        raise InputError(f"the model's labels are {_kind_name(classes)} but {name} holds {_kind_name(labels)} "
                         f"(row 0: {labels[0].item()!r})")
    idx = np.searchsorted(classes, labels)
    idx_clipped = np.minimum(idx, len(classes) - 1)
    bad = np.flatnonzero(classes[idx_clipped] != labels)
    if bad.size:
        row = int(bad[0])
        raise InputError(f"{name} row {row}: label {labels[row].item()!r} was never learned "
                         f"(known labels: {format_labels(classes)})")
    return idx_clipped


def coerce_label(label: Any, classes: np.ndarray | None) -> Any:
    """Turn a label given as text (CLI, JSON) into the model's label type: int if the model's labels are ints."""
    if classes is not None and classes.size and classes.dtype.kind != "U" and isinstance(label, str):
        try:
            return int(label.strip())
        except ValueError:
            raise InputError(f"label {label!r} is not an integer, but the model's labels are integers") from None
    return label


def labels_to_json(classes: np.ndarray) -> list:
    """Labels as a JSON-serializable list (python str or int)."""
    return [str(c) if classes.dtype.kind == "U" else int(c) for c in classes]


INT64_RANGE = (-2**63, 2**63 - 1)


def labels_from_json(values: Any) -> np.ndarray:
    """Inverse of labels_to_json; ValueError unless `values` is a list of distinct labels that are all
    strings or all integers in the int64 range (what labels_to_json writes), so a forged file fails cleanly."""
    if not isinstance(values, list):
        raise ValueError(f"class labels are a {type(values).__name__}, not a list")
    if not values:
        return np.zeros(0, dtype=np.int64)
    if all(isinstance(v, str) for v in values):
        arr = np.array(values, dtype=str)
    elif all(isinstance(v, int) and not isinstance(v, bool) and INT64_RANGE[0] <= v <= INT64_RANGE[1]
             for v in values):
        arr = np.array(values, dtype=np.int64)
    else:
        raise ValueError("class labels must be all strings or all integers within the int64 range")
    if len(np.unique(arr)) != len(arr):
        raise ValueError("class labels repeat")
    return arr


def format_labels(classes: np.ndarray, limit: int = 10) -> str:
    """Short human-readable list of labels for error messages."""
    shown = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in classes[:limit])
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > limit else "")


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
