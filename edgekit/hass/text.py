"""Home Assistant's text handling, shared by templates and input: whitespace, NFC, apostrophes,
punctuation at word edges (hassil's rules), skip words, Turkish-safe case folding, and the tokenizer
both sides are cut with (words; digit runs (a decimal is three tokens); apostrophes and symbols one each; CJK and other scripts
written without spaces one character each; `-` and `_` separate words as spaces do)."""
from __future__ import annotations

import functools
import re
import unicodedata
from itertools import repeat
from typing import Iterable, NamedTuple

from ..unicode_ranges import COMBINING_MARKS, DANDA, INDIC, UNSPACED

_DASHES = "—–―"
_PUNCT_NO_PERIOD = f"。,，?¿？؟!¡！;；:：’…{_DASHES}"
_PUNCT_RUN = rf"[{re.escape('.' + _PUNCT_NO_PERIOD)}]+"
_PUNCT_RUN_NO_PERIOD = rf"[{re.escape(_PUNCT_NO_PERIOD)}]+"
_PUNCT_START = re.compile(rf"^{_PUNCT_RUN}")
_PUNCT_END = re.compile(rf"{_PUNCT_RUN}$")
_PUNCT_START_WORD = re.compile(rf"(?<=\W){_PUNCT_RUN}(?=\w)")
_PUNCT_END_WORD = re.compile(rf"(?<=\w){_PUNCT_RUN_NO_PERIOD}(?=\W)")
_PUNCT_END_PERIOD = re.compile(r"(?<!\w\.\w)\.(?=\W)")
_PUNCT_WORD = re.compile(rf"(?<=\W){_PUNCT_RUN}(?=\W)")
_ANY_PUNCT = re.compile(_PUNCT_RUN)
_PLAIN_ASCII = re.compile(r"\s*(?:(?:[A-Za-z]+|[0-9]+)(?:\s+|$))*")  # words and digit runs apart: split cuts them
_INITIALISM_AT_END = re.compile(r"\b(?:\w\.){2,}$")
_WS = re.compile(r"\s+")
_NON_SPACE = re.compile(r"\S+")
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i"})

# Every character of a script written without spaces is a token of its own (marks included). Unlike the
# forest's tokenizer (forest/tokenize.py), the danda continues a word as hassil keeps it, and the joiners are
# symbols of their own.
_UNSPACED = f"[{UNSPACED}]"
_FIRST_UNSPACED = min(UNSPACED.replace("-", ""))  # letters below it are all of scripts written with spaces
_MARKS = f"[{COMBINING_MARKS}{INDIC}{DANDA}]"


@functools.cache
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    """(a run of unspaced characters, the token regex), compiled on the first text that needs them (not words
    of letters, nor plain ASCII words and digit runs), or by prepare_patterns: their character classes take
    milliseconds to compile."""
    return (re.compile(r"(?:(?!\d)" + _UNSPACED + ")+"),
            re.compile(r"(?P<num>(?:(?<![\w.,])-)?\d+)"
                       r"|(?P<unspaced>" + _UNSPACED + r")"
                       r"|(?P<word>(?:(?!" + _UNSPACED + r")[^\W\d_]|" + _MARKS + r")+)"
                       r"|(?P<sep>(?:\s|_|-(?!\d))+)"
                       r"|(?P<sym>\S)"))


def prepare_patterns() -> None:
    """Compile the tokenizer's regexes now: a recognizer does it when it is made, so that its first parse of a
    text that needs them does not pay the milliseconds."""
    _patterns()


def fold_case(text: str) -> str:
    """Case folding that also unifies Turkish dotted/dotless I (İ, ı) with i, as hassil does."""
    if "\u0130" in text or "\u0131" in text:  # translate looks every character up in a dict: only when needed
        text = text.translate(_FOLD)
    return text.casefold()


def normalize(text: str) -> str:
    """Whitespace to single spaces, NFC, the typographic apostrophe as ASCII."""
    if "  " in text or not text.isprintable():  # else every space is one plain space already
        text = _WS.sub(" ", text)
    return unicodedata.normalize("NFC", text).replace("’", "'")


def strip_punctuation(text: str) -> str:
    """Punctuation at the start and end of words and of the text, as hassil removes it."""
    if text.replace(" ", "").isalnum() or not _ANY_PUNCT.search(text):  # no punctuation character is alnum
        return text.strip()
    text = _PUNCT_START.sub("", text)
    if not _INITIALISM_AT_END.search(text):
        text = _PUNCT_END.sub("", text)
    if _ANY_PUNCT.search(text):  # more than a question mark at the end
        for rx in (_PUNCT_START_WORD, _PUNCT_END_WORD, _PUNCT_END_PERIOD, _PUNCT_WORD):
            text = rx.sub("", text)
    return text.strip()


def prepare_input(text: str) -> str:
    """What the matcher reads: normalized text without edge punctuation."""
    return strip_punctuation(normalize(text))


def skip_word_pattern(skip_words: Iterable[str]) -> re.Pattern | None:
    words = sorted({w.strip() for w in skip_words if w.strip()}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(normalize(w)) for w in words)})(?!\w)", re.IGNORECASE)


def remove_skip_words(text: str, pattern: re.Pattern | None) -> str:
    if pattern is None or pattern.search(text) is None:
        return text
    return _WS.sub(" ", pattern.sub(" ", text)).strip()


class Tokens(NamedTuple):
    """A text cut into tokens, as parallel lists (the matcher reads them by index; a CJK run is added to
    them whole): each token's key (the case-folded form the matcher compares), its span in the prepared
    text, and whether it is a digit run. Its length is len(keys), not len() of the tuple."""
    keys: list[str]
    starts: list[int]
    ends: list[int]
    numbers: list[bool]


_new = tuple.__new__  # builds Tokens without NamedTuple's keyword-handling __new__ (hot path)


def tokenize(text: str) -> Tokens:
    """Cut prepared text into tokens (see the module docstring). Words of letters between single spaces
    (the common command) are cut at the spaces; plain ASCII words and digit runs take a fast path; anything
    else goes through the token regex, a class of characters at a time."""
    words = text.split(" ")
    letters = "".join(words) if len(words) > 1 else text
    if (letters.isascii() or max(letters) < _FIRST_UNSPACED) and letters.isalpha() and "" not in words:
        return _words(text, words)
    out = _new(Tokens, ([], [], [], []))
    keys, starts, ends, numbers = out
    for m in _NON_SPACE.finditer(text):
        part = m.group()
        if part.isascii():
            if part.isalpha():
                keys.append(part.lower())
                starts.append(m.start())
                ends.append(m.end())
                numbers.append(False)
                continue
            if part.isdigit():
                keys.append(part)
                starts.append(m.start())
                ends.append(m.end())
                numbers.append(True)
                continue
        if "-" in part:
            _tokenize_part(part, m.start(), out)
        else:
            _scan_part(part, m.start(), out)
    return out


def _words(text: str, words: list[str]) -> Tokens:
    """The tokens of a text of words of letters (no script written without spaces) between single spaces:
    a token each, its span from the lengths of the words before it."""
    starts, ends = [], []
    pos = 0
    for size in map(len, words):
        starts.append(pos)
        pos += size
        ends.append(pos)
        pos += 1
    keys = text.lower().split(" ") if text.isascii() else fold_case(text).split(" ")
    return _new(Tokens, (keys, starts, ends, [False] * len(words)))


_CLASS: dict[str, str] = {}  # character -> its token group (see char_class)


def _scan_part(text: str, base: int, out: Tokens) -> None:
    """The token regex's cut of a part without `-`, one character class at a time (faster on CJK)."""
    keys, starts, ends, numbers = out
    cls = _CLASS
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        k = cls.get(ch) or char_class(ch)
        if k == "unspaced":  # a run of them at once, each its own token
            j = _patterns()[0].match(text, i).end()
            keys += text[i:j]
            starts += range(base + i, base + j)
            ends += range(base + i + 1, base + j + 1)
            numbers += repeat(False, j - i)
            i = j
        elif k == "sep":
            i += 1
        else:
            j = i + 1
            if k != "sym":
                while j < n and (cls.get(text[j]) or char_class(text[j])) == k:
                    j += 1
            t = text[i:j]
            keys.append(t if k == "num" else fold_case(t))
            starts.append(base + i)
            ends.append(base + j)
            numbers.append(k == "num")
            i = j


def _tokenize_part(text: str, base: int, out: Tokens) -> None:
    """The token regex's cut of one whitespace-free part (the reference the fast paths must agree with)."""
    for m in _patterns()[1].finditer(text):
        kind = m.lastgroup
        if kind == "sep":
            continue
        t = m.group()
        out.keys.append(t if kind in ("num", "unspaced") else fold_case(t))
        out.starts.append(base + m.start())
        out.ends.append(base + m.end())
        out.numbers.append(kind == "num")


def char_class(ch: str) -> str:
    """Which tokenizer group one character falls in: sep, num, word, unspaced or sym."""
    m = _patterns()[1].match(ch)
    k = m.lastgroup if m else "sep"
    if len(_CLASS) < 100_000:
        _CLASS[ch] = k
    return k


def surface_at(surface: str, toks: Tokens, j: int, off: int) -> int:
    """Where offset `off` into token j's key falls in the text it was cut from: the same place, unless case
    folding changed the word's length (ß -> ss), then after the shortest prefix that folds to `off` letters."""
    start, end = toks.starts[j], toks.ends[j]
    if not off or len(toks.keys[j]) == end - start:
        return start + off
    folded = 0
    for k in range(start, end):
        folded += len(fold_case(surface[k]))
        if folded >= off:
            return k + 1
    return end


def token_keys(text: str) -> list[str]:
    """The token keys of a literal text (templates and list values)."""
    return tokenize(text).keys


def value_keys(text: str) -> list[str]:
    """The token keys of a runtime list value as hassil reads it (normalized, punctuation kept); plain
    ASCII words and digit runs are cut by whitespace alone, as tokenize cuts them."""
    if _PLAIN_ASCII.fullmatch(text):
        return text.lower().split()
    return token_keys(normalize(text))
