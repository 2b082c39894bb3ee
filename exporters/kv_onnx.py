"""ONNX graph of the discrete key-value bottleneck head.

    h[c]     = x @ projections[c]                                  C codebooks, key_dim each
    score[c] = |keys[c]|^2 - 2 h[c] . keys[c]                       |h|^2 is dropped: it cannot change argmin
    sel[c]   = ArgMin(score[c]) (top_k = 1) or TopK(score[c], top_k, smallest)
    logits   = sum over (c, sel) of used * values[c, sel] / max(1, number of used selections)
    label    = classes[argmax(logits)],  proba = softmax(logits / temperature)

Projections and keys are frozen (plain initializers, pre-packed by onnxruntime). Values (already multiplied
by the used-key mask), the mask itself, 1/temperature and the class labels are live weights, swapped
into a running session after learning or forgetting. Codebook c's keys live at rows c*K .. c*K+K-1 of
the flattened value table, so one `Gather` with per-codebook offsets picks every selected value.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import onnx

from .onnx_parts import DEFAULT_OPSET, FEATURES, N_CLASSES, GraphBuilder, label_array

LIVE = ("values", "used", "scale", "classes")


def kv_arrays(projections: np.ndarray, keys: np.ndarray, values: np.ndarray, key_used: np.ndarray,
              classes, temperature: float) -> dict[str, np.ndarray]:
    """The graph's tensors (float32) from the head's weights: projections (C, d, key_dim),
    keys (C, K, key_dim), values (C, K, n_classes), key_used (C, K) bool."""
    projections, keys, values = np.asarray(projections), np.asarray(keys), np.asarray(values)
    n_cb, n_keys, key_dim = keys.shape
    if projections.shape[0] != n_cb or projections.shape[2] != key_dim:
        raise ValueError(f"projections {projections.shape} do not fit keys {keys.shape}")
    if values.shape[:2] != (n_cb, n_keys) or np.shape(key_used) != (n_cb, n_keys):
        raise ValueError(f"values {values.shape} / key_used {np.shape(key_used)} do not fit keys {keys.shape}")
    used = np.asarray(key_used, dtype=np.float32).reshape(n_cb * n_keys, 1)
    keys32 = keys.astype(np.float32)
    return {
        "projections": np.ascontiguousarray(projections.transpose(1, 0, 2).reshape(projections.shape[1], -1),
                                            dtype=np.float32),
        "keys_t": np.ascontiguousarray(keys32.transpose(0, 2, 1)),
        "key_sq": np.einsum("ckj,ckj->ck", keys32, keys32).reshape(n_cb, 1, n_keys),
        "values": np.ascontiguousarray(values.reshape(n_cb * n_keys, -1), dtype=np.float32) * used,
        "used": used,
        "scale": np.asarray(1.0 / float(temperature), dtype=np.float32).reshape(()),
        "classes": label_array(classes),
    }


def kv_model(arrays: Mapping[str, np.ndarray], top_k: int = 1, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Build and check the graph for the tensors made by `kv_arrays` (no edgekit metadata yet)."""
    n_cb, key_dim, n_keys = arrays["keys_t"].shape
    n_features = arrays["projections"].shape[0]
    if not 1 <= top_k <= n_keys:
        raise ValueError(f"top_k={top_k} must be between 1 and the number of keys ({n_keys})")
    g = GraphBuilder(opset=opset)
    h = g.node("MatMul", [FEATURES, g.tensor("projections", arrays["projections"])])
    h = g.node("Reshape", [h, g.const_int64("codebook_shape", [-1, n_cb, key_dim])])
    h = g.node("Transpose", [h], perm=[1, 0, 2])                                      # [C, N, key_dim]
    dot = g.node("MatMul", [h, g.tensor("keys_t", arrays["keys_t"])])                 # [C, N, K]
    dot2 = g.node("Mul", [dot, g.tensor("two", np.asarray(2.0, dtype=np.float32))])
    score = g.node("Sub", [g.tensor("key_sq", arrays["key_sq"]), dot2])
    offsets = np.arange(n_cb, dtype=np.int64) * n_keys
    if top_k == 1:
        sel = g.node("ArgMin", [score], axis=2, keepdims=0)                             # [C, N]
        flat = g.node("Add", [sel, g.tensor("offsets", offsets.reshape(n_cb, 1))])
        axes = [0]
    else:
        _, sel = g.node("TopK", [score, g.const_int64("k", [top_k])], n_out=2, axis=2, largest=0, sorted=1)
        flat = g.node("Add", [sel, g.tensor("offsets", offsets.reshape(n_cb, 1, 1))])  # [C, N, k]
        axes = [0, 2]
    n_classes = arrays["classes"].shape[0]
    picked = g.node("Gather", [g.tensor("values", arrays["values"], [n_cb * n_keys, N_CLASSES]), flat], axis=0)
    used = g.node("Gather", [g.tensor("used", arrays["used"], [n_cb * n_keys, 1]), flat], axis=0)
    total = g.reduce("ReduceSum", picked, axes)                                         # [N, n_classes]
    count = g.reduce("ReduceSum", used, axes)                                           # [N, 1]
    count = g.node("Max", [count, g.tensor("one", np.asarray(1.0, dtype=np.float32))])
    logits = g.node("Div", [total, count])
    g.classify(logits, g.tensor("scale", arrays["scale"], []), arrays["classes"])
    doc = (f"edgekit key-value head: {n_features} features -> {n_cb} codebooks x {n_keys} keys "
           f"(key_dim {key_dim}, top_k {top_k}) -> {n_classes} classes")
    return g.model(n_features, arrays["classes"], doc)
