"""`OnnxModel`: an exported edgekit head (alone or composed with a backbone) in an onnxruntime session,
with new head weights swapped in after `partial_fit` / `forget` while the session keeps running.

How the swap works, and why: every weight a head update can change (output weights, biases, value
table, used-key mask, temperature, class labels) is an *overridable initializer* of the exported graph
(stored in the file and also declared as a graph input). Until a swap, runs feed only the input and use
the stored values; after `swap_weights` / `update_from`, each run also feeds the new arrays, which
onnxruntime takes in place of the stored ones (it wraps the numpy arrays, no copy per run). Nothing is
rebuilt and the class dimension is symbolic, so new classes need no new graph either. The alternatives:
pure weight inputs (the file could not run on its own), or constant weights, which make every swap a
re-export plus a new session (benchmarks/inference.py compares the three). Frozen weights (random buffer,
projections, keys) stay ordinary initializers, which onnxruntime pre-packs.

Loading checks that the file holds exactly the graph edgekit's exporter builds for its weights and metadata
(`head_graph`), so a file with an added or altered node is refused before onnxruntime sees it.

`featurizer`: for text models, the HashingTextFeaturizer rebuilt from the model's metadata (set
`featurizer.normalize` again if the head was trained with a custom normalize callable).

Sessions default to one intra-op thread: for batch-1 latency on tiny graphs a thread pool does not help
(measured in the benchmark); pass `threads=` for large batches on a quiet machine.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Sequence

import numpy as np
import onnx
import onnxruntime as ort

from ..errors import DataError, ModelFileError
from ..learn.kinds import canonical_kind
from .head_graph import (FEATURES, LABEL, LIVE, N_CLASSES, PROBABILITIES, SCORES, TENSOR_PREFIX, fused_weights,
                         graph_dtype, head_graph, label_array)
from .metadata import HeadMetadata, array_fingerprint
from .model_file import load_model_proto, parse_model_proto, refuse_external_data

PREFIX = TENSOR_PREFIX
SMALL = 4096  # live weights up to this size are compared with the stored ones, to skip feeding equal ones


def session_options(threads: int = 1) -> ort.SessionOptions:
    """Options for low-latency CPU inference: `threads` intra-op threads, sequential execution, full
    graph optimization, warnings silenced (overridable initializers would warn on every load)."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return so


class OnnxModel:
    """Run an edgekit .onnx model on batches and hot-swap its head weights.

    `source` is a path, the file's bytes, or an onnx.ModelProto. With `verify` (default) the checksum
    stored at export (graph, weights and edgekit metadata) is checked, so a corrupted file is refused
    instead of giving wrong answers; either way the metadata must be well-formed and agree with the graph,
    and tensors stored as external data are refused.
    """

    def __init__(self, source: str | os.PathLike | bytes | onnx.ModelProto, *, threads: int = 1,
                 verify: bool = True) -> None:
        if isinstance(source, onnx.ModelProto):
            model, name = source, "<model>"
            refuse_external_data(model, name)
        elif isinstance(source, (bytes, bytearray)):
            model, name = parse_model_proto(bytes(source), "<bytes>"), "<bytes>"
        else:
            model, name = load_model_proto(source), str(source)
        self.source = name
        self.metadata = HeadMetadata.read(model, name, verify=verify)
        self.fused = not self.metadata.live_weights   # export(fused=True): weights are constants
        self._threads = threads
        self.classes_ = _as_labels(label_array(self.metadata.classes))
        self._live_names = {PREFIX + n for n in self.metadata.live_weights}
        try:
            self._stored = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer
                            if t.name in self._live_names}
        except Exception as exc:  # onnx raises ValueError / TypeError / its own errors for malformed tensors
            raise ModelFileError(f"{name}: a weight of the model is malformed ({exc})") from None
        self._output_names = [o.name for o in model.graph.output]
        weights = {t.name for t in model.graph.initializer}
        shapes = {i.name: _dims(i) for i in model.graph.input}
        self._declared = {n: d for n, d in shapes.items() if n in weights}
        self._check_graph_matches_metadata({n: d for n, d in shapes.items() if n not in weights})
        self._check_graph_is_edgekits(model)   # both before onnxruntime sees (and constant-folds) the graph
        try:
            self._session = ort.InferenceSession(model.SerializeToString(), session_options(threads),
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own pybind exception types
            raise ModelFileError(f"{name}: onnxruntime cannot load this model "
                                 f"({str(exc).splitlines()[0][:300]})") from None
        self._inputs = self._session.get_inputs()
        self._outputs = [LABEL, PROBABILITIES]
        self._feeds: dict[str, np.ndarray] = {}
        base_dir = None if isinstance(source, (onnx.ModelProto, bytes, bytearray)) else os.path.dirname(os.path.abspath(source))
        self.featurizer = _featurizer(self.metadata.feature_layout, name, base_dir)

    # ----- facts ---------------------------------------------------------------------------------
    @property
    def kind(self) -> str:
        """The head kind (edgekit.learn.kinds): "analytic" or "kvb"."""
        return self.metadata.head

    @property
    def has_scores(self) -> bool:
        """True when the model was exported with `scores=True` (then `scores(X)` is available)."""
        return SCORES in self._output_names

    @property
    def feature_layout(self) -> dict:
        """How inputs reach the head ("vector", "text" or "backbone"), from the model's metadata."""
        return self.metadata.feature_layout

    @property
    def n_features_in_(self) -> int:
        """Width of the feature vector the head reads."""
        return int(self.metadata.feature_layout["n_features"])

    @property
    def input_names(self) -> list[str]:
        """Names of the model's inputs (one feature input, or the backbone's inputs)."""
        return [i.name for i in self._inputs]

    # ----- inference -----------------------------------------------------------------------------
    def run(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Labels (n,) and class probabilities (n, n_classes, float32) for a batch.

        X: a 2-D array of feature vectors (one 1-D vector is a batch of one), a list of str for text
        models, or for backbone models an array for the backbone's single input (a dict name -> array
        when it has several)."""
        if PROBABILITIES not in self._output_names:
            raise DataError(f"{self.source}: this model has no probabilities output (exported with "
                            f"probabilities=False); use predict or scores")
        feeds = self._inputs_for(X)
        feeds.update(self._feeds)
        try:
            label, proba = self._session.run(self._outputs, feeds)
        except Exception as exc:  # onnxruntime's InvalidArgument / Fail / RuntimeException
            raise DataError(f"{self.source}: input does not fit the model "
                            f"({str(exc).splitlines()[0][:300]})") from None
        return (label.astype(str) if label.dtype == object else label), proba

    def scores(self, X: Any) -> np.ndarray:
        """The head's raw class scores (n, n_classes, float32; decision_function, before any softmax), for a
        model exported with `scores=True`."""
        if not self.has_scores:
            raise DataError(f"{self.source}: this model has no scores output; export it with scores=True")
        return self._fetch(SCORES, X)

    def _fetch(self, output: str, X: Any) -> np.ndarray:
        feeds = self._inputs_for(X)
        feeds.update(self._feeds)
        try:
            value = self._session.run([output], feeds)[0]
        except Exception as exc:  # onnxruntime's InvalidArgument / Fail / RuntimeException
            raise DataError(f"{self.source}: input does not fit the model "
                            f"({str(exc).splitlines()[0][:300]})") from None
        return value.astype(str) if value.dtype == object else value

    def info(self) -> dict[str, Any]:
        """A JSON-serializable summary for `edgekit info`: kind, labels, feature layout, outputs, parameters."""
        return {"kind": self.kind, "format": "onnx", "classes": [_plain(c) for c in self.classes_],
                "n_features_in": self.n_features_in_, "feature_layout": self.metadata.feature_layout,
                "outputs": self._output_names, "params": self.metadata.params,
                "edgekit_version": self.metadata.version, "opset": self.metadata.opset}

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class for each sample."""
        if PROBABILITIES in self._output_names:
            return self.run(X)[0]
        return self._fetch(LABEL, X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (columns in `classes_` order)."""
        return self.run(X)[1]

    # ----- weight swap ---------------------------------------------------------------------------
    def _build(self, tensors: Mapping[str, np.ndarray], classes: np.ndarray) -> onnx.ModelProto:
        """The graph edgekit's exporter builds for these weights, with this model's outputs and parameters."""
        meta = self.metadata
        return head_graph(meta.head, tensors, classes, meta.params, meta.opset, scores=SCORES in self._output_names,
                          probabilities=PROBABILITIES in self._output_names, fused=self.fused)

    def _rebuild(self, tensors: Mapping[str, np.ndarray], classes: Any) -> None:
        """A fused model's swap: a new session on the graph for the new weights (they are constants in it)."""
        classes = label_array(classes)
        merged = {**self._tensors, **{k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}}
        try:
            model = self._build(merged, classes)
            session = ort.InferenceSession(model.SerializeToString(), session_options(self._threads),
                                           providers=["CPUExecutionProvider"])
        except Exception as exc:  # the builder's ValueError, onnxruntime's own errors
            raise DataError(f"these weights do not fit the model ({str(exc).splitlines()[0][:300]})") from None
        self._session, self._tensors, self.classes_ = session, merged, _as_labels(classes)

    def swap_weights(self, tensors: Mapping[str, np.ndarray]) -> None:
        """Use new values for live weights in every later run; names are the head's export names
        (`weights_for_export` keys, plus "classes"). Weights not given keep their current values.
        A fused model (no live weights) gets a new session instead."""
        if self.fused:
            tensors = dict(tensors)
            return self._rebuild(tensors, tensors.pop("classes", self.classes_))
        feeds = dict(self._feeds)
        for name, value in tensors.items():
            full = PREFIX + name
            if full not in self._live_names:
                raise DataError(f"{name!r} is not a swappable weight of this model "
                                f"(swappable: {', '.join(sorted(self.metadata.live_weights))})")
            stored = self._stored[full]
            if name == "classes":
                arr = label_array(value)
                if arr.dtype.kind != stored.dtype.kind:
                    raise DataError(f"new labels are {_KINDS[arr.dtype.kind]} but this model's are "
                                    f"{_KINDS[stored.dtype.kind]}; export the head again")
            else:
                arr = np.asarray(value, dtype=np.float32, order="C")
            self._check_shape(name, arr)
            if arr.size <= SMALL and arr.shape == stored.shape and np.array_equal(arr, stored):
                feeds.pop(full, None)  # the file's own labels/scale: feeding them would cost run time
            else:
                feeds[full] = arr
        classes = _as_labels(feeds.get(PREFIX + "classes", self._stored[PREFIX + "classes"]))
        self._check_class_count(feeds, len(classes))
        self._feeds, self.classes_ = feeds, classes

    def update_from(self, head: Any) -> None:
        """Swap in the current weights of `head` (the fitted head this model was exported from, after
        partial_fit / forget). Refused if the head's frozen weights are not the exported ones."""
        kind = canonical_kind(str(getattr(type(head), "KIND", type(head).__name__)))
        if kind != self.kind:
            raise DataError(f"cannot update a {self.kind} model from a {kind} head")
        if len(getattr(head, "classes_", ())) == 0:
            raise DataError(f"cannot update from an unfitted {type(head).__name__}")
        tensors = head.weights_for_export(np.float32)
        live, updatable = set(self.metadata.live_weights), set(LIVE[self.kind])
        for name, arr in tensors.items():
            if name not in updatable and self.metadata.frozen_fingerprint.get(name) != array_fingerprint(graph_dtype(arr)):
                raise DataError(f"the head's frozen weight {name!r} differs from the exported model's: "
                                f"this is another head (or its keys/buffer were refitted); export it again")
        if self.fused:
            return self._rebuild({k: v for k, v in tensors.items() if k in updatable}, head.classes_)
        new = {name: arr for name, arr in tensors.items() if name in live}
        new["classes"] = label_array(head.classes_)
        self.swap_weights(new)

    def reset_weights(self) -> None:
        """Go back to the weights stored in the file."""
        if self.fused:
            return self._rebuild(self._file_tensors, self.metadata.classes)
        self._feeds = {}
        self.classes_ = _as_labels(self._stored[PREFIX + "classes"])

    # ----- helpers -------------------------------------------------------------------------------
    def _check_graph_matches_metadata(self, inputs: Mapping[str, list]) -> None:
        """ModelFileError unless the graph has the live weights, labels and inputs its metadata names
        (the checksum catches corruption; this catches a forged or unverified file before any run)."""
        layout, bad = self.metadata.feature_layout, None
        missing = sorted(n[len(PREFIX):] for n in self._live_names if n not in self._stored or n not in self._declared)
        stored, labels = self._stored.get(PREFIX + "classes"), label_array(self.metadata.classes)
        if missing:
            bad = f"the swappable weights {', '.join(missing)} are not in the graph"
        elif not self.fused and not (stored.dtype.kind == labels.dtype.kind and np.array_equal(stored, labels)):
            bad = "the class labels in the metadata differ from the graph's"
        elif layout["kind"] == "backbone":
            if [i["name"] for i in layout["inputs"]] != list(inputs):
                bad = f"the graph's inputs are {', '.join(inputs)}, not the ones in the metadata"
        elif list(inputs) != [FEATURES] or len(inputs[FEATURES]) != 2 or inputs[FEATURES][1] != self.n_features_in_:
            bad = f"the graph does not read {self.n_features_in_} features as its metadata says"
        if bad:
            raise ModelFileError(f"{self.source}: {bad}")

    def _check_graph_is_edgekits(self, model: onnx.ModelProto) -> None:
        """ModelFileError unless the graph is, node for node and weight for weight, the one edgekit's exporter
        builds from these weights and this metadata (composed models: the head part; the backbone is the
        user's own graph)."""
        meta = self.metadata
        weights = {t.name[len(PREFIX):]: t for t in model.graph.initializer if t.name.startswith(PREFIX)}
        try:
            tensors = {name: onnx.numpy_helper.to_array(weights[name]) for name in _WEIGHTS[meta.head] if name in weights}
            if self.fused:
                tensors.update(fused_weights(model.graph))
            self._tensors = self._file_tensors = tensors
            expected = self._build(tensors, label_array(meta.classes)).graph
        except Exception as exc:  # a missing or malformed weight: the builder raises KeyError / ValueError
            raise ModelFileError(f"{self.source}: the graph is not one edgekit exports "
                                 f"({type(exc).__name__}: {str(exc)[:200]})") from None
        if meta.feature_layout["kind"] == "backbone":
            same = _head_part_matches(model.graph, expected, meta.feature_layout)
        else:
            expected.doc_string = model.graph.doc_string
            same = expected.SerializeToString() == model.graph.SerializeToString()
        if not same:
            raise ModelFileError(f"{self.source}: the graph differs from the one edgekit exports for this head "
                                 f"(a node, weight, input or output was added or changed); refusing to run it")

    def _check_shape(self, name: str, arr: np.ndarray) -> None:
        declared = self._declared[PREFIX + name]
        if arr.ndim != len(declared) or any(isinstance(d, int) and d != n for d, n in zip(declared, arr.shape)):
            shown = ", ".join(str(d) for d in declared)
            raise DataError(f"weight {name!r} has shape {arr.shape}; this model needs [{shown}]")

    def _check_class_count(self, feeds: Mapping[str, np.ndarray], n_classes: int) -> None:
        for full, declared in self._declared.items():
            value = feeds.get(full, self._stored[full])
            for axis, dim in enumerate(declared):
                if dim == N_CLASSES and value.shape[axis] != n_classes:
                    raise DataError(f"weight {full[len(PREFIX):]!r} has {value.shape[axis]} classes "
                                    f"but the labels list {n_classes}: swap them together")

    def _inputs_for(self, X: Any) -> dict[str, np.ndarray]:
        layout = self.metadata.feature_layout
        if layout["kind"] == "backbone":
            return _backbone_feeds(X, self._inputs)
        if self.featurizer is not None and _is_text(X):
            X = self.featurizer.transform([X] if isinstance(X, str) else list(X))
        return {FEATURES: as_feature_batch(X, self.n_features_in_)}


def as_feature_batch(X: Any, n_features: int) -> np.ndarray:
    """A float32 C-contiguous (n, n_features) batch of finite numbers, or DataError naming the row."""
    if (isinstance(X, np.ndarray) and X.dtype == np.float32 and X.ndim == 2 and X.shape[0]
            and X.shape[1] == n_features and X.flags.c_contiguous and np.isfinite(X).all()):
        return X  # fast path for the common case
    from ..learn.validation import check_X

    arr = np.asarray(X) if not isinstance(X, (list, tuple)) else X
    if isinstance(arr, np.ndarray) and arr.ndim == 1:
        arr = arr.reshape(1, -1)
    checked = check_X(arr, n_features, owner="the model")
    with np.errstate(over="ignore"):
        out = np.ascontiguousarray(checked, dtype=np.float32)
    bad = ~np.isfinite(out).all(axis=1)
    if bad.any():
        raise DataError(f"X row {int(np.argmax(bad))} overflows float32 (values beyond +-3.4e38)")
    return out


def _backbone_feeds(X: Any, inputs: Sequence) -> dict[str, np.ndarray]:
    """Feeds for a composed model: X for its only input, or a dict of arrays by input name."""
    given = X if isinstance(X, Mapping) else {inputs[0].name: X} if len(inputs) == 1 else None
    if given is None:
        raise DataError(f"this model has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                        f"pass a dict of arrays by input name")
    feeds = {}
    for arg in inputs:
        if arg.name not in given:
            raise DataError(f"missing input {arg.name!r}")
        dtype = np.dtype(_ORT_TYPES.get(arg.type, "float32"))
        try:
            arr = np.asarray(given[arg.name], dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise DataError(f"input {arg.name!r} cannot be read as {dtype} ({exc})") from None
        if arr.ndim == len(arg.shape) - 1:
            arr = arr[None]
        if arr.ndim != len(arg.shape) or any(isinstance(d, int) and d != n for d, n in zip(arg.shape, arr.shape)):
            raise DataError(f"input {arg.name!r} has shape {arr.shape}; the model expects "
                            f"[{', '.join(str(d) for d in arg.shape)}]")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            row = int(np.argmax(~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)))
            raise DataError(f"input {arg.name!r} row {row} contains NaN or infinity")
        feeds[arg.name] = np.ascontiguousarray(arr)
    return feeds


_KINDS = {"i": "integers", "f": "numbers", "O": "strings"}
_WEIGHTS = {"analytic": ("coef", "intercept", "softmax_scale", "buffer", "buffer_bias"),
            "kvb": ("P", "KT", "KK", "VF", "OFF", "temperature")}
"""The weights each head kind's graph is built from (the other initializers are the builder's constants)."""


def _dims(value: onnx.ValueInfoProto) -> list:
    """A graph input's shape as onnxruntime reports it: ints, symbolic names (str) or None."""
    dims = value.type.tensor_type.shape.dim if value.type.tensor_type.HasField("shape") else []
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in dims]


def _head_part_matches(graph: onnx.GraphProto, expected: onnx.GraphProto, layout: Mapping[str, Any]) -> bool:
    """A composed model's head nodes are the exporter's, reading the backbone output in place of the features."""
    names = {n.name for n in expected.node}
    head = [n for n in graph.node if n.name in names]
    if len(head) != len(expected.node):
        return False
    for got, want in zip(head, expected.node):
        want = onnx.NodeProto.FromString(want.SerializeToString())
        got_inputs = list(got.input)
        want_inputs = [i if i != FEATURES else got_inputs[k] for k, i in enumerate(want.input)]
        if (got.op_type, got.domain, got_inputs, list(got.output), list(got.attribute)) != \
                (want.op_type, want.domain, want_inputs, list(want.output), list(want.attribute)):
            return False
    return True


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
_ORT_TYPES = {"tensor(float)": "float32", "tensor(double)": "float64", "tensor(float16)": "float16",
              "tensor(int64)": "int64", "tensor(int32)": "int32", "tensor(int8)": "int8",
              "tensor(uint8)": "uint8", "tensor(bool)": "bool"}


def _is_text(X: Any) -> bool:
    return isinstance(X, str) or (isinstance(X, (list, tuple)) and len(X) > 0 and all(isinstance(v, str) for v in X))


def _as_labels(arr: np.ndarray) -> np.ndarray:
    """Labels as the heads return them: int64 / float32 arrays, or a str array for string labels."""
    return arr.astype(str) if arr.dtype == object else arr


def _featurizer(layout: Mapping[str, Any], source: str, base_dir: str | None) -> Any:
    """Rebuild a text model's featurizer from the parameters stored in its metadata (a grammar path
    stored there may only point inside the model file's own folder, or name a shipped grammar)."""
    if layout.get("kind") != "text":
        return None
    from ..learn.featurize import featurizer_from_meta

    try:
        return featurizer_from_meta(layout["featurizer"], base_dir=base_dir)
    except (KeyError, TypeError, ValueError, DataError) as exc:
        raise ModelFileError(f"{source}: the text featurizer stored in the model is unusable ({exc})") from None
