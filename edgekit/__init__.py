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


__all__ = ["__version__", "load_forest", "EdgekitError", "GrammarError", "DataError", "ModelFileError"]
