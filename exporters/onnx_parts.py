"""Assembling exported models: the graph definitions and names come from `edgekit.runtime.head_graph`
(re-exported here); `finish_model` adds the exporter's full onnx.checker run."""
from __future__ import annotations

from typing import Sequence

import onnx

from edgekit.runtime.head_graph import (BATCH, DEFAULT_OPSET, FEATURES, LABEL, MIN_OPSET,  # noqa: F401
                                        N_CLASSES, PROBABILITIES, SCORES, GraphBuilder, label_array, wrap_graph)


def finish_model(graph: onnx.GraphProto, opset: int, extra_opsets: Sequence = (),
                 ir_version: int | None = None, functions: Sequence = ()) -> onnx.ModelProto:
    """Wrap a graph in a model with the smallest IR version its opsets need, and run the full checker."""
    model = wrap_graph(graph, opset, extra_opsets, ir_version, functions)
    onnx.checker.check_model(model, full_check=True)
    return model
