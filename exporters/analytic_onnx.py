"""ONNX graph of the analytic classifier (edgekit.learn.analytic.AnalyticClassifier), built from the
tensors of `AnalyticClassifier.weights_for_export()`:

    coef (n_classes, n_phi)  intercept (n_classes,)  softmax_scale ()  [buffer (d, n_phi)  buffer_bias (n_phi,)]

    h      = act(x @ buffer + buffer_bias)        (h = x when the head has no buffer)
    scores = Gemm(h, coef, intercept, transB=1) = h @ coef.T + intercept
    label  = classes[argmax(scores)],  probabilities = softmax(softmax_scale * scores)

coef, intercept, softmax_scale and the class labels are live weights: learning, forgetting and new
classes change only them, and `OnnxModel` swaps them into a running session (coef keeps the head's own
orientation, so a swap copies nothing). The random buffer is frozen: a plain initializer that
onnxruntime pre-packs.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import onnx

from .onnx_parts import DEFAULT_OPSET, FEATURES, N_CLASSES, GraphBuilder, label_array

LIVE = ("coef", "intercept", "softmax_scale", "classes")
FROZEN = ("buffer", "buffer_bias")


def analytic_model(tensors: Mapping[str, np.ndarray], classes, activation: str = "relu",
                   opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Build and check the graph for `weights_for_export()` tensors (no edgekit metadata yet)."""
    f32 = {k: np.asarray(v, dtype=np.float32, order="C") for k, v in tensors.items()}
    classes = label_array(classes)
    n_classes, n_phi = f32["coef"].shape
    if f32["intercept"].shape != (n_classes,) or len(classes) != n_classes:
        raise ValueError(f"coef has {n_classes} rows, intercept shape {f32['intercept'].shape}, "
                         f"{len(classes)} classes: they must agree")
    g = GraphBuilder(opset=opset)
    h, n_features = FEATURES, n_phi
    if "buffer" in f32:
        n_features = f32["buffer"].shape[0]
        if f32["buffer"].shape[1] != n_phi:
            raise ValueError(f"buffer has {f32['buffer'].shape[1]} columns but coef has {n_phi}")
        h = g.node("MatMul", [h, g.tensor("buffer", f32["buffer"])])
        if "buffer_bias" in f32:
            h = g.node("Add", [h, g.tensor("buffer_bias", f32["buffer_bias"])])
        h = g.activation(h, activation)
    coef = g.tensor("coef", f32["coef"], [N_CLASSES, n_phi])
    intercept = g.tensor("intercept", f32["intercept"], [N_CLASSES])
    scores = g.node("Gemm", [h, coef, intercept], transB=1)
    g.classify(scores, g.tensor("softmax_scale", f32["softmax_scale"].reshape(()), []), classes)
    doc = (f"edgekit analytic classifier: {n_features} features"
           + (f" -> {activation} buffer of {n_phi}" if "buffer" in f32 else "")
           + f" -> {n_classes} classes")
    return g.model(n_features, classes, doc)
