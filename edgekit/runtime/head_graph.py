"""The ONNX graphs of edgekit's heads, built from a head's `weights_for_export()` tensors with onnx.helper.

The exporter (`exporters.export`) writes these graphs; the runtime (`OnnxModel`) rebuilds the graph a
file should hold from the file's own weights and metadata, and refuses a file whose graph differs in any
node, input or output (a forged node such as a huge ConstantOfShape never runs). One definition serves both.

Every graph has one float32 input `edgekit/features` [batch, n_features] and the outputs `label` [batch]
(the class label itself) and `probabilities` [batch, n_classes]; built with `scores=True` it also outputs
`scores` [batch, n_classes], the head's decision_function (no softmax), for callers that combine or threshold
raw scores; with `probabilities=False` as well, the softmax is left out (label and scores only, the leanest
graph).

Analytic head (tensors coef (C, n_phi), intercept (C,), softmax_scale (), [buffer (d, n_phi), buffer_bias]):
    h = act(x @ buffer + buffer_bias) (or x);  scores = Gemm(h, coef, intercept, transB=1)
    label = classes[argmax(scores)];  probabilities = softmax(softmax_scale * scores)
Key-value head (P (D, C*dk), KT (C, dk, J), KK (C, 1, J), VF (C*J, M), OFF (C, 1, 1), temperature (1,)):
    z = (x @ P).reshape(B, C, dk).transpose(1, 0, 2);  s = KK - 2 * (z @ KT)
    sel = ArgMin(s, axis 2) or TopK(s, top_k, smallest);  scores = mean over codebooks of VF[sel + OFF]
    label = classes[argmax(scores)];  probabilities = softmax(scores / temperature)

An analytic head built with `fused=True` computes its label and scores in one ai.onnx.ml `LinearClassifier`
node whose weights are node attributes: the fewest nodes (onnxruntime's per-node cost dominates at batch 1),
but no live weights, so a swap rebuilds the session instead of feeding new arrays.

Opset 17 by default (IR version 8): run by every onnxruntime since 1.13; a head composed with a backbone is
built at the backbone's default-domain opset (13 or later). ReduceSum/ReduceMean take their axes as an input
from opset 13 / 18 (`GraphBuilder.reduce`).

Live weights (those that change when a head learns or forgets: output weights, the used-key mask, the
temperature, the labels) are overridable initializers: stored in the file and also declared as graph inputs,
so `OnnxModel` can feed new values after an update without rebuilding anything. Frozen weights (random
buffer, projections, keys) are plain initializers that onnxruntime pre-packs.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ..valueclass import field, value_class
from ..learn.kinds import ANALYTIC, KEY_VALUE

DEFAULT_OPSET = 17
MIN_OPSET = 13
FEATURES = "edgekit/features"
LABEL = "label"
PROBABILITIES = "probabilities"
SCORES = "scores"
BATCH = "batch"
N_CLASSES = "n_classes"
TENSOR_PREFIX = "edgekit/"

ML_DOMAIN = "ai.onnx.ml"
LINEAR = TENSOR_PREFIX + "linear"

ANALYTIC_LIVE = ("coef", "intercept", "softmax_scale", "classes")
KEY_VALUE_LIVE = ("KK", "VF", "temperature", "classes")
_ACTIVATIONS = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "identity": None}


def label_array(classes: Sequence | np.ndarray) -> np.ndarray:
    """Class labels as an array ONNX can hold: int64, float32 or string (object) — bools become int64."""
    arr = np.asarray(classes)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)
    if arr.dtype.kind == "f":
        return arr.astype(np.float32)
    return np.array([str(c) for c in arr.ravel()], dtype=object)


def graph_dtype(arr: np.ndarray) -> np.ndarray:
    """A weight as the graph stores it: int64 for integer arrays (offsets), float32 otherwise."""
    return np.asarray(arr, dtype=np.int64 if np.asarray(arr).dtype.kind in "iu" else np.float32, order="C")


def _label_elem_type(classes: np.ndarray) -> int:
    return {"i": TensorProto.INT64, "f": TensorProto.FLOAT}.get(classes.dtype.kind, TensorProto.STRING)


@value_class
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
        full = TENSOR_PREFIX + name
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
        base = name or f"{TENSOR_PREFIX}{op.lower()}_{self._count}"
        outs = [base] if n_out == 1 else [f"{base}:{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=base, **attrs))
        return outs[0] if n_out == 1 else outs

    def const_int64(self, name: str, values: Sequence[int]) -> str:
        """A frozen int64 tensor (shapes, axes, offsets)."""
        return self.tensor(name, np.asarray(values, dtype=np.int64))

    def reduce(self, op: str, x: str, axes: Sequence[int], keepdims: int = 0, name: str | None = None) -> str:
        """ReduceSum/ReduceMean over `axes`, as an attribute or an input depending on the opset."""
        if self.opset >= (13 if op == "ReduceSum" else 18):
            return self.node(op, [x, self.const_int64(f"axes_{self._count}", axes)], name=name, keepdims=keepdims)
        return self.node(op, [x], name=name, axes=list(axes), keepdims=keepdims)

    def activation(self, x: str, activation: str) -> str:
        """Apply one of edgekit's buffer activations (relu, tanh, sigmoid, identity)."""
        if activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {sorted(_ACTIVATIONS)}")
        op = _ACTIVATIONS[activation]
        return x if op is None else self.node(op, [x])

    def classify(self, logits: str, scale: str | None, classes: np.ndarray, divide: bool = False) -> None:
        """Outputs `label` = classes[argmax(logits)] and, unless scale is None, `probabilities` =
        softmax(logits * scale) (or logits / scale with `divide`). The labels are a live tensor, so new
        classes can be swapped in."""
        labels = self.tensor("classes", classes, [N_CLASSES])
        idx = self.node("ArgMax", [logits], axis=1, keepdims=0)
        self.node("Gather", [labels, idx], axis=0, name=LABEL)
        if scale is not None:
            scaled = self.node("Div" if divide else "Mul", [logits, scale])
            self.node("Softmax", [scaled], axis=-1, name=PROBABILITIES)

    def model(self, n_features: int, classes: np.ndarray, doc: str, scores: bool = False,
              probabilities: bool = True, extra_opsets: Sequence = ()) -> onnx.ModelProto:
        """Assemble the graph (input `edgekit/features` [batch, n_features] float32) into a model; with
        `scores`, the tensor named `scores` is an output too."""
        features = helper.make_tensor_value_info(FEATURES, TensorProto.FLOAT, [BATCH, int(n_features)])
        outputs = [helper.make_tensor_value_info(LABEL, _label_elem_type(classes), [BATCH])]
        if probabilities:
            outputs.append(helper.make_tensor_value_info(PROBABILITIES, TensorProto.FLOAT, [BATCH, N_CLASSES]))
        if scores:
            outputs.append(helper.make_tensor_value_info(SCORES, TensorProto.FLOAT, [BATCH, N_CLASSES]))
        graph = helper.make_graph(self.nodes, "edgekit_head", [features, *self.inputs], outputs,
                                  self.initializers, doc_string=doc)
        return wrap_graph(graph, self.opset, extra_opsets)


def wrap_graph(graph: onnx.GraphProto, opset: int, extra_opsets: Sequence = (), ir_version: int | None = None,
               functions: Sequence = ()) -> onnx.ModelProto:
    """A model around a graph, with the smallest IR version its opsets need (not checked: see check_model)."""
    opsets = [helper.make_opsetid("", opset)]
    for o in extra_opsets:
        if o.domain not in ("", "ai.onnx") and all(o.domain != p.domain for p in opsets):
            opsets.append(o)
    model = helper.make_model(graph, opset_imports=opsets, producer_name="edgekit", functions=list(functions))
    model.ir_version = ir_version or helper.find_min_ir_version_for(opsets)
    return model


def analytic_graph(tensors: Mapping[str, np.ndarray], classes: Any, activation: str = "relu",
                   opset: int = DEFAULT_OPSET, scores: bool = False, probabilities: bool = True,
                   fused: bool = False) -> onnx.ModelProto:
    """The analytic classifier's graph for its `weights_for_export()` tensors."""
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
    doc = (f"edgekit analytic classifier: {n_features} features"
           + (f" -> {activation} buffer of {n_phi}" if "buffer" in f32 else "") + f" -> {n_classes} classes")
    if fused:
        _fused_linear(g, h, f32, classes, scores, probabilities)
        return g.model(n_features, classes, doc, scores, probabilities, [helper.make_opsetid(ML_DOMAIN, 1)])
    coef = g.tensor("coef", f32["coef"], [N_CLASSES, n_phi])
    intercept = g.tensor("intercept", f32["intercept"], [N_CLASSES])
    logits = g.node("Gemm", [h, coef, intercept], name=SCORES if scores else None, transB=1)
    scale = g.tensor("softmax_scale", f32["softmax_scale"].reshape(()), []) if probabilities else None
    g.classify(logits, scale, classes)
    return g.model(n_features, classes, doc, scores, probabilities)


def _fused_linear(g: GraphBuilder, h: str, f32: Mapping[str, np.ndarray], classes: np.ndarray, scores: bool,
                  probabilities: bool) -> None:
    """Label and scores from one LinearClassifier node (weights as attributes); softmax after it if asked."""
    if classes.dtype.kind not in "iO":
        raise ValueError("a fused graph needs integer or string labels")
    labels = ({"classlabels_ints": [int(c) for c in classes]} if classes.dtype.kind == "i"
              else {"classlabels_strings": [str(c) for c in classes]})
    raw = SCORES if scores else TENSOR_PREFIX + "raw_scores"
    g.nodes.append(helper.make_node("LinearClassifier", [h], [LABEL, raw], name=LINEAR, domain=ML_DOMAIN,
                                    coefficients=f32["coef"].ravel().tolist(),
                                    intercepts=f32["intercept"].ravel().tolist(), post_transform="NONE",
                                    multi_class=0, **labels))
    if probabilities:
        scaled = g.node("Mul", [raw, g.tensor("softmax_scale", f32["softmax_scale"].reshape(()))])
        g.node("Softmax", [scaled], axis=-1, name=PROBABILITIES)


def fused_weights(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    """coef and intercept as a fused analytic graph stores them (attributes of its LinearClassifier node)."""
    node = next(n for n in graph.node if n.name == LINEAR and n.op_type == "LinearClassifier")
    attrs = {a.name: a for a in node.attribute}
    intercept = np.asarray(attrs["intercepts"].floats, dtype=np.float32)
    coef = np.asarray(attrs["coefficients"].floats, dtype=np.float32).reshape(len(intercept), -1)
    return {"coef": coef, "intercept": intercept}


def key_value_graph(tensors: Mapping[str, np.ndarray], classes: Any, top_k: int = 1,
                    opset: int = DEFAULT_OPSET, scores: bool = False, probabilities: bool = True) -> onnx.ModelProto:
    """The key-value head's graph for its `weights_for_export()` tensors."""
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
    logits = g.reduce("ReduceMean", picked, [0], name=SCORES if scores else None)          # [B, M]
    temperature = g.tensor("temperature", f32["temperature"].reshape(1), [1]) if probabilities else None
    g.classify(logits, temperature, classes, divide=True)
    doc = (f"edgekit key-value head: {n_features} features -> {n_cb} codebooks x {n_keys} keys "
           f"(key_dim {key_dim}, top_k {top_k}) -> {len(classes)} classes")
    return g.model(n_features, classes, doc, scores, probabilities)


LIVE = {ANALYTIC: ANALYTIC_LIVE, KEY_VALUE: KEY_VALUE_LIVE}
"""The live (hot-swappable) weights of each head kind's graph, by short name (without probabilities, the
softmax scale or temperature is not in the graph)."""
SCALES = ("softmax_scale", "temperature")


def head_graph(kind: str, tensors: Mapping[str, np.ndarray], classes: Any, params: Mapping[str, Any],
               opset: int = DEFAULT_OPSET, scores: bool = False, probabilities: bool = True,
               fused: bool = False) -> onnx.ModelProto:
    """The graph of a head of this kind (edgekit.learn.kinds) for its tensors and parameters."""
    if kind == ANALYTIC:
        return analytic_graph(tensors, classes, str(params.get("activation", "identity")), opset, scores,
                              probabilities, fused)
    if fused:
        raise ValueError(f"only the analytic head has a fused graph, not {kind!r}")
    if kind == KEY_VALUE:
        return key_value_graph(tensors, classes, int(params.get("top_k", 1)), opset, scores, probabilities)
    raise ValueError(f"unknown head kind {kind!r}")
