"""Home Assistant intent data on edgekit: import HA's sentence templates (repository YAML or the merged
JSON), compile them to token automata, set the home's lists at run time, and parse commands.

Stages, one module each: source (files -> typed Language, errors at file:line or JSON path), template
(HA template syntax -> frozen nodes), text (HA's normalization and the tokenizer), numbers (range number
words from CLDR RBNF, at import time), compile (templates -> one determinized token automaton per
language), artifact (the compiled file), home (fixture-shaped home files -> runtime lists), lists (token
tries of every list), walk (one pass of the automaton over an input), recognize (results, context rules,
hassil's ranking), respond (response templates).

Matching follows hassil 3.13: case-insensitive (Turkish I folded), punctuation at word edges ignored,
skip words tried both removed and kept, `-`/`_` separate words, CJK and other unspaced scripts read a
character at a time, alternatives and optionals glued into words (`light[s]`), a list value or a
wildcard may end inside a word when the template continues with the rest of that word ("woonkamer" +
"temperatuur", "pizza" + "timer"), a list or a wildcard may start inside a word after letters the
template glues to it ("ב{area}", "ל{item}"), a list value's `in` may use lists itself (inlined into the
automaton; its own slots are filled too), context from list values merged over the caller's, then
requires/excludes_context checked (with `slot: true` copies). Readings are ranked as recognize_best with
best_slot_name="name": longest {name}, fewest wildcards, most literal characters, least wildcard text,
then intent name, then, within one template, the slot references written first (literal words inside an
inlined list value count as literal characters here, not in hassil). Responses: a block's response key
picks the intent's template (responses/<lang>/ or the merged JSON), rendered with `slots`. Unmatched
entities (parse with allow_unmatched, for the rejection reason and HA's error responses): when no template
reads a text, a text list may read words none of its values says, closing as a wildcard does, with
required context passed over as hassil passes it over; the readings are ranked as the others, which names
the same unknown value as hassil in most sentences but not all (hassil's own ranking of these readings
ignores the text they leave unexplained)."""
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
