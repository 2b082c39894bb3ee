"""What the exporter and the runtime need to know about a fitted edgekit head, in one place: its kind,
its graph tensors (from the head's own `weights_for_export`), which of them are live, its parameters
and its feature layout. Heads are recognised by their learned attributes, so importing this module does
not import the learners.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import onnx

from edgekit.errors import DataError

from . import analytic_onnx, kv_onnx
from .onnx_parts import label_array

ANALYTIC, KEY_VALUE = "analytic", "key_value"


@dataclass
class HeadSpec:
    """A fitted head seen by the exporter: graph tensors by name, labels, and how to build its graph."""

    kind: str
    tensors: dict[str, np.ndarray]
    classes: np.ndarray
    params: dict[str, Any]
    n_features: int
    live: tuple[str, ...]
    layout: dict[str, Any]
    build: Callable[[int], onnx.ModelProto]

    def live_tensors(self) -> dict[str, np.ndarray]:
        """The live tensors, float32 (labels as stored in the graph), keyed by short name."""
        out = {name: np.asarray(self.tensors[name], dtype=np.float32, order="C")
               for name in self.live if name != "classes"}
        out["classes"] = self.classes
        return out

    def frozen_tensors(self) -> dict[str, np.ndarray]:
        """The frozen tensors in the dtype the graph stores them in."""
        return {name: np.asarray(arr, dtype=np.int64 if arr.dtype.kind in "iu" else np.float32, order="C")
                for name, arr in self.tensors.items() if name not in self.live}


def describe_head(head: Any) -> HeadSpec:
    """Inspect a fitted AnalyticClassifier or KeyValueHead; DataError if it is unfitted or unknown."""
    if not hasattr(head, "weights_for_export"):
        raise DataError(f"cannot export a {type(head).__name__}: not an edgekit head")
    if len(getattr(head, "classes_", ())) == 0:
        raise DataError(f"cannot export an unfitted {type(head).__name__}: call fit or partial_fit first")
    tensors = {k: np.asarray(v) for k, v in head.weights_for_export(np.float32).items()}
    classes = label_array(head.classes_)
    params = {k: v for k, v in head.get_params().items() if _is_plain(v)}
    layout = feature_layout(head)
    if hasattr(head, "keys_"):
        top_k = int(head.top_k)
        return HeadSpec(KEY_VALUE, tensors, classes, params, int(head.n_features_in_), kv_onnx.LIVE, layout,
                        lambda opset: kv_onnx.kv_model(tensors, classes, top_k, opset))
    activation = str(getattr(head, "activation", "identity"))
    return HeadSpec(ANALYTIC, tensors, classes, params, int(head.n_features_in_), analytic_onnx.LIVE, layout,
                    lambda opset: analytic_onnx.analytic_model(tensors, classes, activation, opset))


def feature_layout(head: Any) -> dict[str, Any]:
    """How inputs reach the head: a plain feature vector, or text through the head's featurizer (whose
    configuration is stored so the runtime rebuilds the same featurizer)."""
    featurizer = getattr(head, "featurizer", None)
    if featurizer is not None:
        from edgekit.learn.featurize import featurizer_to_meta

        return {"kind": "text", "n_features": int(head.n_features_in_), "featurizer": featurizer_to_meta(featurizer)}
    return {"kind": "vector", "n_features": int(head.n_features_in_)}


def _is_plain(value: Any) -> bool:
    """True for JSON-storable parameter values (numbers, strings, None, lists of those)."""
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str, np.generic))
