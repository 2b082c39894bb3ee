"""Read an .onnx file into a ModelProto, turning every way a file can be bad into ModelFileError."""
from __future__ import annotations

import os
from typing import Iterable, Iterator

import onnx

from ..errors import ModelFileError
from ..storage import read_bytes


def parse_model_proto(data: bytes, source: str) -> onnx.ModelProto:
    """Parse serialized ONNX bytes; an unparsable, empty or graph-less model, or one whose tensors live in
    external files, is a ModelFileError."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError; some truncations surface as RuntimeError
        raise ModelFileError(f"{source}: not a valid ONNX model (truncated or corrupted: "
                             f"{type(exc).__name__})") from None
    if model.ir_version == 0 or not model.graph.node or not model.graph.output:
        raise ModelFileError(f"{source}: not a valid ONNX model (empty, truncated or foreign file: "
                             f"{len(data)} bytes)")
    refuse_external_data(model, source)
    return model


def load_model_proto(path: str | os.PathLike) -> onnx.ModelProto:
    """Read and parse an .onnx file (weights must be inside the file: edgekit writes no external data)."""
    return parse_model_proto(read_bytes(path), str(path))


def refuse_external_data(model: onnx.ModelProto, source: str) -> None:
    """ModelFileError if any tensor of the model is stored as external data: edgekit never writes it, and
    onnxruntime would read the referenced file relative to the current directory."""
    for tensor in _all_tensors(model):
        if tensor.data_location == onnx.TensorProto.EXTERNAL or len(tensor.external_data):
            raise ModelFileError(f"{source}: tensor {tensor.name[:100]!r} is stored in an external file; edgekit "
                                 f"reads only self-contained .onnx files (a backbone saved with external data: "
                                 f"pass onnx.load(path) to export instead of the path)")


def _all_tensors(model: onnx.ModelProto) -> Iterator[onnx.TensorProto]:
    """Every tensor of the model: initializers (dense and sparse) and node attributes, in the main graph,
    its subgraphs and the model's functions."""
    yield from _graph_tensors(model.graph)
    for function in model.functions:
        yield from _node_tensors(function.node)


def _graph_tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield from (sparse.values, sparse.indices)
    yield from _node_tensors(graph.node)


def _node_tensors(nodes: Iterable[onnx.NodeProto]) -> Iterator[onnx.TensorProto]:
    for node in nodes:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            sparse = list(attr.sparse_tensors) + ([attr.sparse_tensor] if attr.HasField("sparse_tensor") else [])
            for tensor in sparse:
                yield from (tensor.values, tensor.indices)
            for graph in list(attr.graphs) + ([attr.g] if attr.HasField("g") else []):
                yield from _graph_tensors(graph)
