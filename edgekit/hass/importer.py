"""Import Home Assistant intent data (YAML folder or merged JSON) into a compiled language file."""
from __future__ import annotations

import os

from . import artifact
from .compile import CompiledLanguage, compile_language
from .source import load_language


def import_language(source: str | os.PathLike, out: str | os.PathLike | None = None,
                    language: str | None = None) -> CompiledLanguage:
    """Read, compile and (when `out` is given) save one language."""
    compiled = compile_language(load_language(source, language))
    if out is not None:
        artifact.save(out, compiled)
    return compiled

