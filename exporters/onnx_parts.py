"""Shared pieces of every edgekit head graph: a small graph builder, the label/probability outputs and the
final model assembly (opset, IR version, metadata, full checker run).

Opset: heads are built at ONNX opset 17 (IR version 8) unless composed with a backbone, in which case they
use the backbone's default-domain opset (13 or later; older backbones are converted to 17). Opset 17 is
run by every onnxruntime since 1.13, so an exported file works on older device runtimes than the
onnxruntime 1.17 floor edgekit itself requires; nothing in the heads needs a later opset. The only
operator whose signature changes across 13..current is ReduceSum/ReduceMean (axes become an input in
opset 13 for ReduceSum and 18 for ReduceMean), handled in `GraphBuilder.reduce`.

Live weights: tensors that change when a head learns or forgets (output weights, class labels ...) are
*overridable initializers*: stored in the file as initializers and also listed as graph inputs (allowed
since IR version 4). A plain onnxruntime session runs the file with the stored values; `OnnxModel` feeds
the new values after an update without touching the graph. Frozen tensors (random buffer, projections,
keys) are ordinary initializers, which onnxruntime may constant-fold and pre-pack.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

DEFAULT_OPSET = 17
MIN_OPSET = 13
FEATURES = "edgekit/features"
LABEL = "label"
PROBABILITIES = "probabilities"
BATCH = "batch"
N_CLASSES = "n_classes"

_ACTIVATIONS = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "identity": None}


def label_array(classes: Sequence | np.ndarray) -> np.ndarray:
    """Class labels as an array ONNX can hold: int64, float32 or string (object) — bools become int64."""
    arr = np.asarray(classes)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32)
    return np.array([str(c) for c in arr.ravel()], dtype=object)


def label_elem_type(classes: np.ndarray) -> int:
    """The ONNX element type of a label array made by `label_array`."""
    return {"i": TensorProto.INT64, "f": TensorProto.FLOAT}.get(classes.dtype.kind, TensorProto.STRING)


@dataclass
class GraphBuilder:
    """Accumulates nodes and tensors of one head graph; names are namespaced under `edgekit/`."""

    opset: int = DEFAULT_OPSET
    nodes: list = field(default_factory=list)
    initializers: list = field(default_factory=list)
    inputs: list = field(default_factory=list)
    _count: int = 0

    def tensor(self, name: str, value: np.ndarray, dims: Sequence[int | str] | None = None) -> str:
        """Add a weight. With `dims` it is live (an overridable initializer whose shape may use symbolic
        dims); without, it is frozen. Returns the tensor's graph name."""
        full = f"edgekit/{name}"
        if any(t.name == full for t in self.initializers):
            raise ValueError(f"tensor {full!r} added twice")
        value = np.asarray(value)
        self.initializers.append(numpy_helper.from_array(value, full))
        if dims is not None:
            elem = helper.np_dtype_to_tensor_dtype(value.dtype) if value.dtype != object else TensorProto.STRING
            self.inputs.append(helper.make_tensor_value_info(full, elem, list(dims)))
        return full

    def node(self, op: str, inputs: Sequence[str], n_out: int = 1, name: str | None = None,
             **attrs) -> str | list[str]:
        """Add a node; returns its output name (or names when n_out > 1)."""
        self._count += 1
        base = name or f"edgekit/{op.lower()}_{self._count}"
        outs = [base] if n_out == 1 else [f"{base}:{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=base, **attrs))
        return outs[0] if n_out == 1 else outs

    def const_int64(self, name: str, values: Sequence[int]) -> str:
        """A frozen int64 tensor (shapes, axes, offsets)."""
        return self.tensor(name, np.asarray(values, dtype=np.int64))

    def reduce(self, op: str, x: str, axes: Sequence[int], keepdims: int = 0) -> str:
        """ReduceSum/ReduceMean over `axes`, as an attribute or an input depending on the opset."""
        as_input = self.opset >= (13 if op == "ReduceSum" else 18)
        if as_input:
            axes_name = self.const_int64(f"axes_{self._count}", axes)
            return self.node(op, [x, axes_name], keepdims=keepdims)
        return self.node(op, [x], axes=list(axes), keepdims=keepdims)

    def activation(self, x: str, activation: str) -> str:
        """Apply one of edgekit's buffer activations (relu, tanh, sigmoid, identity)."""
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(_ACTIVATIONS)}")
        op = _ACTIVATIONS[activation]
        return x if op is None else self.node(op, [x])

    def classify(self, logits: str, scale: str, classes: np.ndarray, divide: bool = False) -> None:
        """Outputs: `label` = classes[argmax(logits)] and `probabilities` = softmax(logits * scale)
        (or logits / scale with `divide`). The labels are a live tensor, so new classes can be swapped in."""
        labels = self.tensor("classes", classes, [N_CLASSES])
        idx = self.node("ArgMax", [logits], axis=1, keepdims=0)
        self.node("Gather", [labels, idx], axis=0, name=LABEL)
        scaled = self.node("Div" if divide else "Mul", [logits, scale])
        self.node("Softmax", [scaled], axis=-1, name=PROBABILITIES)

    def model(self, n_features: int, classes: np.ndarray, doc: str) -> onnx.ModelProto:
        """Assemble the graph (input `edgekit/features` [batch, n_features] float32) into a model."""
        features = helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, [BATCH, int(n_features)])
        outputs = [helper.make_tensor_value_info(LABEL, label_elem_type(classes), [BATCH]),
                   helper.make_tensor_value_info(PROBABILITIES, TensorProto.FLOAT, [BATCH, N_CLASSES])]
        graph = helper.make_graph(self.nodes, "edgekit_head", [features, *self.inputs], outputs,
                                  self.initializers, doc_string=doc)
        return finish_model(graph, self.opset)


def finish_model(graph: onnx.GraphProto, opset: int, extra_opsets: Sequence = (),
                 ir_version: int | None = None, functions: Sequence = ()) -> onnx.ModelProto:
    """Wrap a graph in a model with the smallest IR version its opsets need, and run the full checker."""
    opsets = [helper.make_opsetid("", opset)]
    for o in extra_opsets:
        if o.domain not in ("", "ai.onnx") and all(o.domain != p.domain for p in opsets):
            opsets.append(o)
    model = helper.make_model(graph, opset_imports=opsets, producer_name="edgekit", functions=list(functions))
    model.ir_version = ir_version or helper.find_min_ir_version_for(opsets)
    onnx.checker.check_model(model, full_check=True)
    return model

