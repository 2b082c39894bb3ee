"""What the exporter and the runtime need to know about a fitted edgekit head, in one place: its kind, its
graph tensors (from the head's own `weights_for_export`), which of them are live, its parameters and its
feature layout. Heads are recognised by their `KIND`, so importing this module does not import the learners.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import onnx

from edgekit.valueclass import value_class
from edgekit.errors import DataError
from edgekit.learn.featurize import featurizer_to_meta
from edgekit.learn.kinds import ANALYTIC, KEY_VALUE
from edgekit.runtime.head_graph import LIVE, SCALES, graph_dtype, head_graph, label_array



@value_class
class HeadSpec:
    """A fitted head seen by the exporter: graph tensors by name, labels, parameters and layout."""

    kind: str
    tensors: dict[str, np.ndarray]
    classes: np.ndarray
    params: dict[str, Any]
    n_features: int
    layout: dict[str, Any]

    probabilities: bool = True
    fused: bool = False

    @property
    def live(self) -> tuple[str, ...]:
        """The overridable weights (none in a fused graph: its weights are constants)."""
        if self.fused:
            return ()
        return tuple(n for n in LIVE[self.kind] if self.probabilities or n not in SCALES)

    def build(self, opset: int, scores: bool = False) -> onnx.ModelProto:
        """The head's graph at this opset, checked by onnx.checker (no edgekit metadata yet)."""
        model = head_graph(self.kind, self.tensors, self.classes, self.params, opset, scores, self.probabilities,
                           self.fused)
        onnx.checker.check_model(model, full_check=True)
        return model

    def live_tensors(self) -> dict[str, np.ndarray]:
        """The live tensors, float32 (labels as stored in the graph), keyed by short name."""
        out = {name: np.asarray(self.tensors[name], dtype=np.float32, order="C")
               for name in self.live if name != "classes"}
        out["classes"] = self.classes
        return out

    def frozen_tensors(self) -> dict[str, np.ndarray]:
        """The frozen tensors in the dtype the graph stores them in."""
        return {name: graph_dtype(arr) for name, arr in self.tensors.items()
                if name not in LIVE[self.kind] and name not in SCALES}


def describe_head(head: Any) -> HeadSpec:
    """Inspect a fitted AnalyticClassifier or KeyValueHead; DataError if it is unfitted or unknown."""
    kind = getattr(type(head), "KIND", None) or _kind_by_attributes(head)
    if kind not in LIVE or not hasattr(head, "weights_for_export"):
        raise DataError(f"cannot export a {type(head).__name__}: not an edgekit head")
    if len(getattr(head, "classes_", ())) == 0:
        raise DataError(f"cannot export an unfitted {type(head).__name__}: call fit or partial_fit first")
    tensors = {k: np.asarray(v) for k, v in head.weights_for_export(np.float32).items()}
    params = {k: v for k, v in head.get_params().items() if _is_plain(v)}
    return HeadSpec(kind, tensors, label_array(head.classes_), params, int(head.n_features_in_), feature_layout(head))


def _kind_by_attributes(head: Any) -> str:
    """The kind of a head-like wrapper without a KIND (it exports as the head it wraps)."""
    return KEY_VALUE if hasattr(head, "keys_") else ANALYTIC


def feature_layout(head: Any) -> dict[str, Any]:
    """How inputs reach the head: a plain feature vector, or text through the head's featurizer (whose
    configuration is stored so the runtime rebuilds the same featurizer)."""
    featurizer = getattr(head, "featurizer", None)
    if featurizer is not None:
        return {"kind": "text", "n_features": int(head.n_features_in_), "featurizer": featurizer_to_meta(featurizer)}
    return {"kind": "vector", "n_features": int(head.n_features_in_)}


def _is_plain(value: Any) -> bool:
    """True for JSON-storable parameter values (numbers, strings, None, lists of those)."""
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str, np.generic))
