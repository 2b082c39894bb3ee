"""Read an .onnx file into a ModelProto, turning every way a file can be bad into ModelFileError."""
from __future__ import annotations

import os

import onnx

from ..errors import ModelFileError
from ..storage import read_bytes


def parse_model_proto(data: bytes, source: str) -> onnx.ModelProto:
    """Parse serialized ONNX bytes; an unparsable, empty or graph-less model is a ModelFileError."""
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises DecodeError; some truncations surface as RuntimeError
        raise ModelFileError(f"{source}: not a valid ONNX model (truncated or corrupted: "
                             f"{type(exc).__name__})") from None
    if model.ir_version == 0 or not model.graph.node or not model.graph.output:
        raise ModelFileError(f"{source}: not a valid ONNX model (empty, truncated or foreign file: "
                             f"{len(data)} bytes)")
    return model


def load_model_proto(path: str | os.PathLike) -> onnx.ModelProto:
    """Read and parse an .onnx file (weights must be inside the file: edgekit writes no external data)."""
    return parse_model_proto(read_bytes(path), str(path))
