"""Home Assistant intent data on edgekit: import HA's sentence templates (repository YAML or the merged
JSON), compile them to token automata, set the home's lists at run time, and parse commands.

Stages, one module each: source (files -> typed Language, errors at file:line or JSON path), template
(HA template syntax -> frozen nodes), text (HA's normalization and the tokenizer), numbers (range number
words from CLDR RBNF, at import time), compile (templates -> one determinized token automaton per
language), artifact (the compiled file), home (fixture-shaped home files -> runtime lists), recognize
(parse with runtime lists and caller context, hassil's ranking).

Matching follows hassil 3.13: case-insensitive (Turkish I folded), punctuation at word edges ignored,
skip words tried both removed and kept, `-`/`_` separate words, CJK and other unspaced scripts read a
character at a time, alternatives and optionals glued into words (`light[s]`), a list value or a
wildcard may end inside a word when the template continues with the rest of that word ("woonkamer" +
"temperatuur", "pizza" + "timer"), a list may start inside a word after letters the template glues to
it ("ב{area}"), context from list values merged over the caller's, then
requires/excludes_context checked (with `slot: true` copies). Readings are ranked as recognize_best with
best_slot_name="name": longest {name}, fewest wildcards, most literal characters, least wildcard text,
then intent name. Not done: a wildcard starting inside a word,
lists inside a list value's template, unmatched entities, response rendering."""
from __future__ import annotations

import os

from .compile import CompiledLanguage, compile_language
from .home import home_lists, load_home
from .importer import import_language
from .lists import ListEntry
from .recognize import IntentResult, Recognizer, SlotValue
from .source import load_language


def load_compiled(path: str | os.PathLike) -> Recognizer:
    """A recognizer from a compiled language file (`edgekit hass import`)."""
    from .artifact import load

    return Recognizer(load(path))


__all__ = ["CompiledLanguage", "IntentResult", "ListEntry", "Recognizer", "SlotValue", "compile_language",
           "home_lists", "import_language", "load_compiled", "load_home", "load_language"]
