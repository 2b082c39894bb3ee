"""Class labels, numpy only: validation of label arrays, the sorted class union, and the JSON form that state
files and ONNX metadata store (one implementation for the heads, the exporter and the runtime).

Labels are all integers (int64) or all strings; at most MAX_CLASSES of them in one head.
"""
from __future__ import annotations

import numbers
import warnings
from typing import Any, Iterable

import numpy as np

from ..errors import InputError
from ..limits import MAX_CLASSES


class DataConversionWarning(UserWarning):
    """Input was converted to the expected layout (a column-vector y raveled), as scikit-learn warns."""



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
        raise ValueError(f"classes is not a list (a {type(values).__name__})")
    if not values:
        return np.zeros(0, dtype=np.int64)
    if all(isinstance(v, str) for v in values):
        arr = np.array(values, dtype=str)
    elif all(isinstance(v, int) and not isinstance(v, bool) and INT64_RANGE[0] <= v <= INT64_RANGE[1]
             for v in values):
        arr = np.array(values, dtype=np.int64)
    else:
        raise ValueError("class labels must be all strings or all integers within the int64 range")
    if len(arr) > MAX_CLASSES:
        raise ValueError(f"{len(arr)} class labels is more than the {MAX_CLASSES} one head may hold")
    if len(np.unique(arr)) != len(arr):
        raise ValueError("class labels repeat")
    return arr


def format_labels(classes: np.ndarray, limit: int = 10) -> str:
    """Short human-readable list of labels for error messages."""
    shown = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in classes[:limit])
    return shown + (f", ... ({len(classes)} in all)" if len(classes) > limit else "")
