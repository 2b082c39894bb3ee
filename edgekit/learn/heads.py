"""The registry of learned heads: build one by name, or load a saved one by the kind its state file records.

A head is a class with the scikit-learn estimator contract (see `edgekit.learn.analytic` for the full
list) plus:

- `featurizer` constructor parameter (a `HashingTextFeaturizer` or None): when set, every method that
  takes X also accepts a list of str (pass `featurizer=self.featurizer` to `validation.check_X`);
  persisted with `featurize.featurizer_to_meta` / `featurizer_from_meta`.
- `save(path)` writing an `edgekit.storage` state file whose `kind` is the head's registry name, and
  classmethod `load(path)`; optionally classmethod `from_state(meta, arrays, source)` so `load_head`
  reads the file only once.
- `info() -> dict` (JSON-serializable: classes, counts, feature size ...) for `edgekit info`.
"""
from __future__ import annotations

import os
from typing import Any

from ..storage import load_state
from .analytic import AnalyticClassifier
from .kv_head import KeyValueHead
from ..errors import InputError
from ..errors import ModelFileError

HEADS: dict[str, type] = {
    "analytic": AnalyticClassifier,
    "kvb": KeyValueHead,
}


def make_head(name: str, **params: Any) -> Any:
    """A new, untrained head of the named kind with the given constructor parameters."""
    try:
        cls = HEADS[name]
    except KeyError:
        raise InputError(f"unknown head {name!r}; available: {', '.join(sorted(HEADS))}") from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise InputError(f"head {name!r}: bad parameters ({exc})") from None


def load_head(path: str | os.PathLike) -> Any:
    """Load a saved head, choosing the class from the state file's kind."""
    kind, meta, arrays = load_state(path)
    cls = HEADS.get(kind)
    if cls is None:
        raise ModelFileError(f"{path}: holds a {kind!r}, which is not a learned head "
                             f"(known heads: {', '.join(sorted(HEADS))})")
    if hasattr(cls, "from_state"):
        return cls.from_state(meta, arrays, str(path))
    return cls.load(path)
