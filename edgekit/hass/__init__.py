"""Home Assistant intent data on edgekit: import HA's sentence templates (repository YAML or the merged
JSON), compile them to token automata, set the home's lists at run time, and parse commands."""
from __future__ import annotations

import os

from .compile import CompiledLanguage, compile_language
from .home import home_lists, load_home
from .importer import import_language
from .recognize import IntentResult, ListEntry, Recognizer, SlotValue
from .source import load_language


def load_compiled(path: str | os.PathLike) -> Recognizer:
    """A recognizer from a compiled language file (`edgekit hass import`)."""
    from .artifact import load

    return Recognizer(load(path))


__all__ = ["CompiledLanguage", "IntentResult", "ListEntry", "Recognizer", "SlotValue", "compile_language",
           "home_lists", "import_language", "load_compiled", "load_home", "load_language"]
