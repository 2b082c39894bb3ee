"""Learned heads that keep no exemplars: the analytic classifier, the key-value head, text featurization,
and loading a saved head by kind.

Names are imported lazily, so the numpy-only modules (`labels`, `validation`, `featurize`) can be used by
the on-device runtime without importing scipy or the learners.
"""
from __future__ import annotations

from typing import Any

__all__ = ["AnalyticClassifier", "HashingTextFeaturizer", "HEADS", "KeyValueHead", "load_head", "make_head", "merge"]


def __getattr__(name: str) -> Any:
    if name in ("AnalyticClassifier", "merge"):
        from . import analytic as module
    elif name == "HashingTextFeaturizer":
        from . import featurize as module
    elif name in ("HEADS", "load_head", "make_head"):
        from . import heads as module
    elif name == "KeyValueHead":
        from . import kv_head as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(module, name)
