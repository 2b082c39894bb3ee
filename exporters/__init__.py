"""ONNX graph builders for edgekit heads, and `export(head, path, backbone=None)`, the one entry point.

An exported model has one float32 input `edgekit/features` [batch, n_features] (or, composed, the
backbone's inputs) and two outputs: `label` [batch] (the class label itself, int64 / float / string) and
`probabilities` [batch, n_classes]; `export(..., scores=True)` adds a third, `scores` [batch, n_classes], the
head's decision_function (for callers that compare raw scores instead of probabilities). The graphs are
defined in `edgekit.runtime.head_graph` (opset 17 by default), the metadata in `edgekit.runtime.metadata`.

Text models: the featurizer stays in Python and only its configuration goes into the model's metadata
(`feature_layout`), so `OnnxModel` rebuilds the identical featurizer from the .onnx file alone and
`edgekit predict model.onnx` reads text. Why not in the graph: (1) the featurizer may first normalize
text with a forest grammar (`grammar=`), a Python engine no ONNX operator can express; (2) ONNX has no
standard operator that hashes arbitrary words (blake2b here, for stability across processes): hashing
in the graph needs a custom-op library (onnxruntime-extensions), which is not an edgekit dependency and
not available on every device, and ONNX's TfIdfVectorizer needs the explicit vocabulary the hashing
featurizer exists to avoid; (3) one implementation of the hash means training and inference cannot
drift. The cost: the featurizer's Python time per text (benchmarks/inference.py measures it).
"""
from __future__ import annotations

import os
from typing import Any

import onnx

from .heads import describe_head
from .metadata import HeadMetadata, array_fingerprint
from .onnx_parts import DEFAULT_OPSET


def export(head: Any, path: str | os.PathLike | None = None,
           backbone: str | os.PathLike | onnx.ModelProto | None = None, *,
           backbone_output: str | None = None, scores: bool = False, probabilities: bool = True,
           fused: bool = False) -> onnx.ModelProto:
    """Export a fitted AnalyticClassifier or KeyValueHead to ONNX; with `backbone` (a path or model),
    the result takes the backbone's input and feeds its output (`backbone_output`, needed only when the
    backbone has several) to the head. With `scores`, the model also outputs the raw class scores
    (`OnnxModel.scores`); with `probabilities=False` too, it outputs only the label and the scores (no
    softmax; `OnnxModel.run` then needs probabilities and refuses). With `fused` (analytic heads with integer
    or string labels, no backbone), label and scores come from one LinearClassifier node with the weights as
    constants: the fastest graph, updated by rebuilding the session instead of feeding weights. Writes `path` atomically when given; returns the model."""
    from edgekit import __version__
    from edgekit.errors import DataError
    from edgekit.storage import atomic_write_bytes

    spec = describe_head(head)
    if not (probabilities or scores):
        raise DataError("an exported model needs probabilities or scores (or both)")
    spec.probabilities, spec.fused = probabilities, fused
    if fused and (spec.kind != "analytic" or backbone is not None or spec.classes.dtype.kind == "f"):
        raise DataError("fused=True is for analytic heads with integer or string labels, without a backbone")
    if backbone is None:
        model, layout = spec.build(DEFAULT_OPSET, scores), spec.layout
    else:
        if spec.layout["kind"] == "text":
            raise DataError("a text head reads featurized text; it cannot sit on top of a backbone")
        from .compose import compose_with_backbone, load_backbone

        model, layout = compose_with_backbone(load_backbone(backbone), lambda opset: spec.build(opset, scores),
                                              spec.n_features, backbone_output)
    meta = HeadMetadata(version=__version__, head=spec.kind, classes=spec.classes.tolist(),
                        feature_layout=layout, params=spec.params, live_weights=list(spec.live),
                        frozen_fingerprint={k: array_fingerprint(v) for k, v in spec.frozen_tensors().items()})
    meta.write(model)
    if path is not None:
        atomic_write_bytes(path, model.SerializeToString())
    return model


__all__ = ["export"]
