"""ONNX graph of the discrete key-value bottleneck head (edgekit.learn.kv_head.KeyValueHead), built from
the tensors of `KeyValueHead.weights_for_export()`:

    P (D, C*dk)  KT (C, dk, J)  KK (C, 1, J) = |k|^2 + 1e30 * (key never used)  VF (C*J, M)  OFF (C, 1, 1)

    z      = (x @ P).reshape(B, C, dk).transpose(1, 0, 2)                  [C, B, dk]
    s      = KK - 2 * (z @ KT)                                            [C, B, J]  (|z|^2 dropped)
    sel    = ArgMin(s, axis 2) [C, B]  or  TopK(s, top_k, smallest) [C, B, k]
    scores = ReduceMean over codebooks of (ReduceSum over k of) Gather(VF, sel + OFF)   [B, M]
    label  = classes[argmax(scores)],  probabilities = softmax(scores / temperature)

P, KT and OFF are frozen (plain initializers, pre-packed by onnxruntime). KK carries the used-key mask and
changes as the head learns, so it is live together with VF, temperature and the class labels: these four
are swapped into a running session after learning or forgetting. A flattened `Gather` with per-codebook
offsets picks every selected value row at once (portable: no GatherND batch_dims).
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import onnx

from .onnx_parts import DEFAULT_OPSET, FEATURES, N_CLASSES, GraphBuilder, label_array

LIVE = ("KK", "VF", "temperature", "classes")
FROZEN = ("P", "KT", "OFF")


def kv_model(tensors: Mapping[str, np.ndarray], classes, top_k: int = 1,
             opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Build and check the graph for `weights_for_export()` tensors (no edgekit metadata yet)."""
    n_cb, key_dim, n_keys = np.shape(tensors["KT"])
    n_features = np.shape(tensors["P"])[0]
    classes = label_array(classes)
    if not 1 <= top_k <= n_keys:
        raise ValueError(f"top_k={top_k} must be between 1 and the number of keys ({n_keys})")
    if np.shape(tensors["VF"]) != (n_cb * n_keys, len(classes)):
        raise ValueError(f"VF has shape {np.shape(tensors['VF'])}, expected {(n_cb * n_keys, len(classes))}")
    f32 = {k: np.asarray(v, dtype=np.float32, order="C") for k, v in tensors.items() if k != "OFF"}
    g = GraphBuilder(opset=opset)
    z = g.node("MatMul", [FEATURES, g.tensor("P", f32["P"])])
    z = g.node("Reshape", [z, g.const_int64("codebook_shape", [-1, n_cb, key_dim])])
    z = g.node("Transpose", [z], perm=[1, 0, 2])                                          # [C, B, dk]
    dot = g.node("MatMul", [z, g.tensor("KT", f32["KT"])])                                # [C, B, J]
    dot2 = g.node("Mul", [dot, g.tensor("two", np.asarray(2.0, dtype=np.float32))])
    s = g.node("Sub", [g.tensor("KK", f32["KK"], [n_cb, 1, n_keys]), dot2])
    offsets = np.asarray(tensors["OFF"], dtype=np.int64)
    if top_k == 1:   # no k axis at all: a ReduceSum over a length-1 axis costs as much as the Gather
        sel = g.node("ArgMin", [s], axis=2, keepdims=0)                                     # [C, B]
        offsets = offsets.reshape(n_cb, 1)
    else:
        _, sel = g.node("TopK", [s, g.const_int64("k", [top_k])], n_out=2, axis=2, largest=0, sorted=1)
    rows = g.node("Add", [sel, g.tensor("OFF", offsets)])
    picked = g.node("Gather", [g.tensor("VF", f32["VF"], [n_cb * n_keys, N_CLASSES]), rows], axis=0)
    if top_k > 1:
        picked = g.reduce("ReduceSum", picked, [2])                                         # [C, B, M]
    scores = g.reduce("ReduceMean", picked, [0])                                            # [B, M]
    temperature = g.tensor("temperature", f32["temperature"].reshape(1), [1])
    g.classify(scores, temperature, classes, divide=True)
    doc = (f"edgekit key-value head: {n_features} features -> {n_cb} codebooks x {n_keys} keys "
           f"(key_dim {key_dim}, top_k {top_k}) -> {len(classes)} classes")
    return g.model(n_features, classes, doc)
