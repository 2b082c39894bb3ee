"""ONNX graph of the analytic classifier: optional random buffer layer, linear head, softmax.

    phi    = act(x @ buffer + buffer_bias)        (or phi = x when the head has no buffer)
    logits = phi @ coef + intercept               coef stored (n_phi, n_classes), i.e. coef_.T
    label  = classes[argmax(logits)]
    proba  = softmax(scale * logits)

`coef`, `intercept`, `scale` and `classes` are live (overridable) weights: learning, forgetting and new
classes change only them, so `OnnxModel` swaps them into a running session. The buffer is frozen.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import onnx

from .onnx_parts import DEFAULT_OPSET, FEATURES, N_CLASSES, GraphBuilder, label_array

LIVE = ("coef", "intercept", "scale", "classes")


def analytic_arrays(coef: np.ndarray, intercept: np.ndarray, classes, softmax_scale: float,
                    buffer: np.ndarray | None = None,
                    buffer_bias: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The graph's tensors (float32, MatMul orientation) from the classifier's weights in sklearn
    orientation: coef (n_classes, n_phi), intercept (n_classes,), buffer (n_features, n_phi)."""
    coef = np.asarray(coef)
    out = {"coef": np.ascontiguousarray(coef.T, dtype=np.float32),
           "intercept": np.ascontiguousarray(intercept, dtype=np.float32).reshape(-1),
           "scale": np.asarray(softmax_scale, dtype=np.float32).reshape(()),
           "classes": label_array(classes)}
    if not coef.shape[0] == out["intercept"].shape[0] == out["classes"].shape[0]:
        raise ValueError(f"coef has {coef.shape[0]} rows, intercept {out['intercept'].shape[0]}, "
                         f"classes {out['classes'].shape[0]}: they must agree")
    if buffer is not None:
        out["buffer"] = np.ascontiguousarray(buffer, dtype=np.float32)
        if out["buffer"].shape[1] != coef.shape[1]:
            raise ValueError(f"buffer has {out['buffer'].shape[1]} columns but coef has {coef.shape[1]}")
        if buffer_bias is not None:
            out["buffer_bias"] = np.ascontiguousarray(buffer_bias, dtype=np.float32).reshape(-1)
    return out


def analytic_model(arrays: Mapping[str, np.ndarray], activation: str = "relu",
                   opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Build and check the graph for the tensors made by `analytic_arrays` (no edgekit metadata yet)."""
    g = GraphBuilder(opset=opset)
    phi = FEATURES
    n_phi = arrays["coef"].shape[0]
    if "buffer" in arrays:
        n_features = arrays["buffer"].shape[0]
        phi = g.node("MatMul", [phi, g.tensor("buffer", arrays["buffer"])])
        if "buffer_bias" in arrays:
            phi = g.node("Add", [phi, g.tensor("buffer_bias", arrays["buffer_bias"])])
        phi = g.activation(phi, activation)
    else:
        n_features = n_phi
    logits = g.node("MatMul", [phi, g.tensor("coef", arrays["coef"], [n_phi, N_CLASSES])])
    logits = g.node("Add", [logits, g.tensor("intercept", arrays["intercept"], [N_CLASSES])])
    g.classify(logits, g.tensor("scale", arrays["scale"], []), arrays["classes"])
    doc = (f"edgekit analytic classifier: {n_features} features"
           + (f" -> {activation} buffer of {n_phi}" if "buffer" in arrays else "")
           + f" -> {arrays['classes'].shape[0]} classes")
    return g.model(n_features, arrays["classes"], doc)
