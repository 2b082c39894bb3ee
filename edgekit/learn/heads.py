"""The registry of learned heads: build one by name, or load a saved one by the kind its state file records.

Every head derives from `edgekit.learn.base.LearnedHead` (parameter constraints, featurizer, memory limit,
state file schema) and follows the scikit-learn estimator contract listed in `edgekit.learn.analytic`; its
registry name is its `KIND` (edgekit.learn.kinds), the name its state files, its ONNX exports and
`edgekit info` use.
"""
from __future__ import annotations

import os
from typing import Any

from ..errors import InputError, ModelFileError
from ..storage import load_state
from .analytic import AnalyticClassifier
from .kv_head import KeyValueHead

HEADS: dict[str, type] = {cls.KIND: cls for cls in (AnalyticClassifier, KeyValueHead)}


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
    return cls.from_state(meta, arrays, str(path))
