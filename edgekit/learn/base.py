"""The base of every learned head: parameter constraints, the text featurizer, memory limits and the state
file schema, in one place.

A head declares
- `KIND` (edgekit.learn.kinds), `FORMAT_VERSION`;
- `_parameter_constraints`: constructor parameter -> allowed values (edgekit.learn.params), checked by
  `_validate_params` at every fit and at load; `_check_param_relations` for rules that tie parameters together;
- `_meta_constraints`: the head's own state-file meta fields -> allowed values, checked at load;
- `_state()` -> (meta fields, arrays) to save, `_array_schema(meta, classes)` -> the arrays a valid file holds
  (shape, dtype, value range), and `_restore(meta, arrays, classes)`;
- `_state_bytes(n_features, n_classes)`, the memory its arrays need, refused above MAX_STATE_BYTES before
  anything is allocated.

A state file of kind KIND holds meta {format_version, edgekit_version, params (JSON constructor parameters
without the featurizer), featurizer (featurizer_to_meta), classes, ...the head's fields} and its arrays. Every
field and array is checked by type and range before the head is rebuilt, so a forged file (even one with a
recomputed checksum) is a ModelFileError, never a crash, a hang or a huge allocation.
"""
from __future__ import annotations

import os
from typing import Any, ClassVar, Mapping

import numpy as np

from ..valueclass import value_class
from ..errors import InputError, ModelFileError
from ..limits import MAX_STATE_BYTES
from ..storage import load_state, save_state
from .featurize import featurizer_from_meta, featurizer_to_meta
from .labels import labels_from_json, labels_to_json
from .params import check_value, check_values
from .validation import ParamsMixin, check_X


@value_class(frozen=True)
class ArraySpec:
    """What one array of a valid state file looks like."""

    shape: tuple[int, ...]
    dtype: str = "float64"
    nonnegative: bool = False   # counts and sums of squares


class LearnedHead(ParamsMixin):
    """Parameters, featurizer, limits and persistence shared by AnalyticClassifier and KeyValueHead."""

    KIND: ClassVar[str]
    FORMAT_VERSION: ClassVar[int] = 1
    _parameter_constraints: ClassVar[dict[str, list]] = {}
    _meta_constraints: ClassVar[dict[str, list]] = {}
    featurizer: Any

    # ----- parameters -------------------------------------------------------------------------
    def _validate_params(self) -> None:
        """InputError naming the first parameter whose value the head cannot work with."""
        check_values(type(self).__name__, self.get_params(), self._parameter_constraints)
        self._check_param_relations()

    def _check_param_relations(self) -> None:
        """Rules between parameters (override where a head has them)."""

    def _check_state_bytes(self, n_features: int, n_classes: int) -> None:
        """InputError, before anything is allocated, when the arrays would pass MAX_STATE_BYTES."""
        need = self._state_bytes(int(n_features), max(int(n_classes), 1))
        if need > MAX_STATE_BYTES:
            raise InputError(f"{type(self).__name__} with these parameters, {n_features} features and {n_classes} "
                             f"classes would need {need / 2**20:,.0f} MiB, more than the "
                             f"{MAX_STATE_BYTES / 2**20:,.0f} MiB one head may use (edgekit.limits.MAX_STATE_BYTES)")

    def _state_bytes(self, n_features: int, n_classes: int) -> int:
        raise NotImplementedError

    # ----- input ------------------------------------------------------------------------------
    def _features(self, X: Any, n_features: int | None) -> np.ndarray:
        """Validated float64 features; text goes through the featurizer (the one place heads featurize)."""
        return check_X(X, n_features, owner=type(self).__name__, featurizer=self.featurizer)

    # ----- persistence ------------------------------------------------------------------------
    def _state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _array_schema(self, meta: Mapping[str, Any], classes: np.ndarray) -> dict[str, ArraySpec]:
        raise NotImplementedError

    def _restore(self, meta: Mapping[str, Any], arrays: dict[str, np.ndarray], classes: np.ndarray) -> None:
        raise NotImplementedError

    def save(self, path: str | os.PathLike) -> None:
        """Write the head atomically to an edgekit state file of this head's kind."""
        from .. import __version__

        fields, arrays = self._state()
        params = {k: (v.item() if isinstance(v, np.generic) else v)
                  for k, v in self.get_params().items() if k != "featurizer"}
        meta = {"format_version": self.FORMAT_VERSION, "edgekit_version": __version__, "params": params,
                "featurizer": featurizer_to_meta(self.featurizer), "classes": labels_to_json(self.classes_),
                **fields}
        save_state(path, self.KIND, meta, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "LearnedHead":
        """Read a head written by save(); a damaged, foreign or inconsistent file is a ModelFileError."""
        _, meta, arrays = load_state(path, expect_kind=cls.KIND)
        return cls.from_state(meta, arrays, str(path))

    @classmethod
    def from_state(cls, meta: dict, arrays: dict[str, np.ndarray], source: str = "<state>") -> "LearnedHead":
        """Rebuild a head from a decoded state file, checking every field and array first."""
        version = meta.get("format_version")
        if version != cls.FORMAT_VERSION:
            raise ModelFileError(f"{source}: {cls.KIND} model format version {str(version)[:40]} is not "
                                 f"supported (this edgekit reads version {cls.FORMAT_VERSION})")
        base_dir = None if source.startswith("<") else os.path.dirname(os.path.abspath(source))
        try:
            params = dict(meta["params"])
            featurizer = meta.get("featurizer", params.pop("featurizer", None))  # older kvb files: inside params
            params.pop("featurizer", None)
            head = cls(**params, featurizer=featurizer_from_meta(featurizer, base_dir))
            head._validate_params()
            check_values(f"{cls.KIND} state", meta, cls._meta_constraints)
            classes = labels_from_json(meta["classes"])
            for name, spec in head._array_schema(meta, classes).items():
                _check_array(name, arrays.get(name), spec)
            head._restore(meta, arrays, classes)
        except ModelFileError as exc:
            raise ModelFileError(f"{source}: {exc}") from None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError, InputError) as exc:
            raise ModelFileError(f"{source}: malformed {cls.KIND} model ({str(exc)[:300]})") from None
        return head


def _check_array(name: str, arr: np.ndarray | None, spec: ArraySpec) -> None:
    """ValueError unless the array is there with the expected shape and dtype and finite (non-negative) values."""
    if arr is None:
        raise ValueError(f"array {name!r} is missing")
    if tuple(arr.shape) != spec.shape or arr.dtype != np.dtype(spec.dtype):
        raise ValueError(f"array {name!r} is {arr.dtype}{list(arr.shape)}, expected {spec.dtype}{list(spec.shape)}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"array {name!r} holds NaN or infinity")
    if spec.nonnegative and arr.size and arr.min() < 0:
        raise ValueError(f"array {name!r} holds negative values")


__all__ = ["ArraySpec", "LearnedHead", "check_value"]
