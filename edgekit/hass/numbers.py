"""Number words for range lists, generated at import time from CLDR's RBNF rules (unicode-rbnf), so
that a compiled language carries them as plain data and the runtime needs nothing new."""
from __future__ import annotations

from typing import Iterable

from ..errors import DataError
from .model import RangeList

_SCRIPT_ALIASES = {"zh_hk": "zh_Hant", "zh_mo": "zh_Hant", "zh_tw": "zh_Hant"}  # CLDR likely subtags


def _candidates(language: str) -> Iterable[str]:
    yield language
    norm = language.replace("-", "_")
    yield norm
    if norm.lower() in _SCRIPT_ALIASES:
        yield _SCRIPT_ALIASES[norm.lower()]
    yield norm.split("_", 1)[0]


def rbnf_engine(language: str):
    """The RBNF engine for a language code (region and script fallbacks as hassil), or None."""
    try:
        from unicode_rbnf import RbnfEngine
    except ImportError:
        raise DataError("number words for range lists need unicode-rbnf: pip install 'edgekit[hass]'") from None
    for code in dict.fromkeys(_candidates(language)):
        try:
            return RbnfEngine.for_language(code)
        except (ValueError, FileNotFoundError, OSError):
            continue
    return None


def range_words(rng: RangeList, language: str, _engines: dict = {}) -> list[tuple[str, int | float]]:
    """(spoken form, value) for every number of a range list, every RBNF ruleset's spelling."""
    if not rng.words:
        return []
    code = rng.words_language or language
    if code not in _engines:
        _engines[code] = rbnf_engine(code)
    engine = _engines[code]
    if engine is None:
        return []
    out: list[tuple[str, int | float]] = []
    for n in rng.numbers():
        value = rng.value_of(n)
        try:
            result = engine.format_number(n)
        except Exception:  # an RBNF rule set that cannot spell this number: digits still work
            continue
        seen = set()
        for words in result.text_by_ruleset.values():
            for variant in (words, words.replace("ß", "ss")):
                if variant not in seen:
                    seen.add(variant)
                    out.append((variant, value))
    return out
