"""Learned heads that keep no exemplars: the analytic classifier (and, via the registry, the others),
text featurization, and loading a saved head by kind."""
from __future__ import annotations

from .analytic import AnalyticClassifier, merge
from .featurize import HashingTextFeaturizer
from .heads import HEADS, load_head, make_head
from .kv_head import KeyValueHead

__all__ = ["AnalyticClassifier", "HashingTextFeaturizer", "HEADS", "KeyValueHead", "load_head", "make_head", "merge"]
