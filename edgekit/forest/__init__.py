"""The symbolic forest: grammar language, compiler, digestion engine, traces (DESIGN.md section 2)."""
from __future__ import annotations

from .compiled import CompiledForest
from .forest import Forest, compile_forest, load_forest, resolve_grammar, shipped_grammars
from .frame import Frame, Slot
from .lexicon import ListEntry
from .trace import Trace, TraceNode

__all__ = ["CompiledForest", "Forest", "Frame", "ListEntry", "Slot", "Trace", "TraceNode", "compile_forest",
           "load_forest", "resolve_grammar", "shipped_grammars"]
