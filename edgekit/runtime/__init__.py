"""On-device runtime: exported edgekit heads in onnxruntime, with weight hot-swap after local updates.

`OnnxModel` is imported lazily so `import edgekit.runtime` does not load onnxruntime.
"""
from __future__ import annotations

from typing import Any

__all__ = ["OnnxModel"]


def __getattr__(name: str) -> Any:
    if name == "OnnxModel":
        from .onnx_model import OnnxModel

        return OnnxModel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
