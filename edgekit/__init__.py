"""edgekit: a symbolic forest normalizer/parser and forgetting-capable learned heads for edge devices.

Heavy modules (numpy, onnxruntime) are imported lazily so `import edgekit` stays cheap.
"""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import DataError, EdgekitError, GrammarError, ModelFileError


def load_forest(name_or_path, *, cache: bool = True):
    """Load a grammar set by shipped name (`en-itn`, `home`) or path, compiled and cached."""
    from .forest import load_forest as _load

    return _load(name_or_path, cache=cache)


def __getattr__(name: str):
    if name == "Pipeline":  # lazily: the pipeline pulls in the learned head (numpy) only when used
        from .pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'edgekit' has no attribute {name!r}")


__all__ = ["__version__", "load_forest", "Pipeline", "EdgekitError", "GrammarError", "DataError", "ModelFileError"]
