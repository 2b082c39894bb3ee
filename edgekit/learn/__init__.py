"""Learned heads that keep no exemplars: the analytic classifier, the key-value head, text featurization,
and loading a saved head by kind.

Names are imported lazily, so the numpy-only modules (`labels`, `validation`, `featurize`) can be used by
the on-device runtime without importing scipy or the learners.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

_WHERE = {"AnalyticClassifier": "analytic", "merge": "analytic", "HashingTextFeaturizer": "featurize",
          "HEADS": "heads", "load_head": "heads", "make_head": "heads", "KeyValueHead": "kv_head"}

__all__ = ["AnalyticClassifier", "HashingTextFeaturizer", "HEADS", "KeyValueHead", "load_head", "make_head", "merge"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
