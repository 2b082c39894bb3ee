"""Compose a user's backbone model with an edgekit head into one ONNX model (onnx.compose.merge_models):
the composed model takes the backbone's inputs and outputs the head's label and probabilities.

The head is built at the backbone's default-domain opset (merge_models needs one opset per domain), so
backbones at opset 13 or later are used unchanged; older ones are converted to the default opset first.
"""
from __future__ import annotations

import os
from typing import Callable

import onnx
from onnx import TensorProto, compose, version_converter

from edgekit.errors import ModelFileError
from edgekit.runtime.model_file import load_model_proto, refuse_external_data

from .onnx_parts import DEFAULT_OPSET, FEATURES, MIN_OPSET, finish_model


def load_backbone(backbone: str | os.PathLike | onnx.ModelProto) -> onnx.ModelProto:
    """Read and check a backbone model, turning any defect into ModelFileError."""
    if isinstance(backbone, onnx.ModelProto):
        model, source = backbone, "backbone"
        refuse_external_data(model, source)  # the composed model must carry every weight itself
    else:
        model, source = load_model_proto(backbone), str(backbone)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        raise ModelFileError(f"{source}: not a valid ONNX model ({str(exc).splitlines()[0]})") from None
    return model


def default_opset(model: onnx.ModelProto) -> int:
    """The model's default-domain (ai.onnx) opset version."""
    return next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)


def _pick_output(backbone: onnx.ModelProto, name: str | None, n_features: int) -> onnx.ValueInfoProto:
    """The backbone output that feeds the head; checks it is float32 [batch, n_features]."""
    outputs = {o.name: o for o in backbone.graph.output}
    if name is None:
        if len(outputs) != 1:
            raise ModelFileError(f"the backbone has {len(outputs)} outputs ({', '.join(outputs)}); "
                                 f"name the one that feeds the head")
        name = next(iter(outputs))
    if name not in outputs:
        raise ModelFileError(f"the backbone has no output {name!r} (it has: {', '.join(outputs)})")
    out = outputs[name]
    ttype = out.type.tensor_type
    if ttype.elem_type != TensorProto.FLOAT:
        raise ModelFileError(f"backbone output {name!r} is {TensorProto.DataType.Name(ttype.elem_type)}; "
                             f"the head needs FLOAT (float32)")
    dims = list(ttype.shape.dim) if ttype.HasField("shape") else None
    if dims is not None and len(dims) != 2:
        raise ModelFileError(f"backbone output {name!r} has rank {len(dims)}; the head needs "
                             f"[batch, {n_features}] (add a Flatten to the backbone)")
    if dims is not None and dims[1].HasField("dim_value") and dims[1].dim_value != n_features:
        raise ModelFileError(f"backbone output {name!r} has {dims[1].dim_value} features; "
                             f"the head expects {n_features}")
    return out


def compose_with_backbone(backbone: onnx.ModelProto, build_head: Callable[[int], onnx.ModelProto],
                          n_features: int, output: str | None = None) -> tuple[onnx.ModelProto, dict]:
    """Merge backbone and head (built by `build_head(opset)`); returns the model and its feature layout."""
    opset = default_opset(backbone)
    if opset < MIN_OPSET:
        try:
            backbone = version_converter.convert_version(backbone, DEFAULT_OPSET)
        except Exception as exc:  # the converter raises bare RuntimeError/ValueError subclasses
            raise ModelFileError(f"the backbone uses opset {opset}; converting it to {DEFAULT_OPSET} "
                                 f"failed ({exc})") from None
        opset = DEFAULT_OPSET
    out = _pick_output(backbone, output, n_features)
    head = build_head(opset)
    ir_version = max(backbone.ir_version, head.ir_version)
    backbone.ir_version = head.ir_version = ir_version
    out_name = out.name
    if compose.check_overlapping_names(backbone.graph, head.graph, [(out_name, FEATURES)]):
        backbone = compose.add_prefix(backbone, "backbone/", rename_inputs=False)
        out_name = "backbone/" + out_name
    merged = compose.merge_models(backbone, head, io_map=[(out_name, FEATURES)], outputs=[o.name for o in head.graph.output])
    model = finish_model(merged.graph, opset, extra_opsets=merged.opset_import, ir_version=ir_version,
                         functions=merged.functions)
    weights = {t.name for t in model.graph.initializer}
    layout = {"kind": "backbone", "n_features": int(n_features), "output": out.name,
              "inputs": [_describe(i) for i in model.graph.input if i.name not in weights]}
    return model, layout


def _describe(value: onnx.ValueInfoProto) -> dict:
    """Name, shape (None for symbolic dims) and numpy dtype name of a graph input."""
    ttype = value.type.tensor_type
    shape = [d.dim_value if d.HasField("dim_value") else None for d in ttype.shape.dim]
    dtype = onnx.helper.tensor_dtype_to_np_dtype(ttype.elem_type).name
    return {"name": value.name, "shape": shape, "dtype": dtype}
