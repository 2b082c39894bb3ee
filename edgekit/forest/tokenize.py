"""Unicode-aware tokenization: words (with inner apostrophes and combining marks), digit runs,
single CJK characters, and single punctuation characters. Whitespace only separates tokens."""
from __future__ import annotations

import functools
import re
from typing import Iterator, NamedTuple

# CJK ideographs, kana and hangul are tokenized one character at a time.
_CJK = (r"\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
        r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f")
# Combining marks that Python's \w does not count as word characters.
_MARKS = r"\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0963\u0966-\u0dff\u200c\u200d"
_LETTER = rf"(?:[^\W\d_]|[{_MARKS}])"
TOKEN_RE = re.compile(
    rf"(?P<word>{_LETTER}+(?:['’]{_LETTER}+)*)"
    rf"|(?P<digits>\d+)"
    rf"|(?P<punct>\S)"
)
# The same tokens for ASCII-only text (no marks, no CJK, no curly apostrophe there), several times faster.
_ASCII_TOKEN_RE = re.compile(r"(?P<word>[A-Za-z]+(?:'[A-Za-z]+)*)|(?P<digits>[0-9]+)|(?P<punct>\S)")
@functools.cache
def _cjk_split() -> re.Pattern:
    """The pattern that cuts a word into its CJK characters (group 1) and the runs between them, compiled on the
    first word that is not ASCII (its character class takes milliseconds to compile, which ASCII text never needs)."""
    return re.compile(rf"([{_CJK}])|[^{_CJK}]+")

WORD, DIGITS, PUNCT = "word", "digits", "punct"


class Token(NamedTuple):
    """One token: its text, kind (word/digits/punct), character span, and whether whitespace precedes it."""

    text: str
    kind: str
    start: int
    end: int
    space_before: bool


def scan(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[str, str, int, int, bool]]:
    """Tokens of text[start:end] as plain (text, kind, start, end, space_before) tuples, offsets relative
    to the whole text (the digester's hot path; tokenize() wraps them in Token)."""
    end = len(text) if end is None else end
    prev = start
    space = start > 0 and text[start - 1].isspace()
    for m in (_ASCII_TOKEN_RE if text.isascii() else TOKEN_RE).finditer(text, start, end):
        s, e = m.span()
        t, kind = m.group(), m.lastgroup
        if kind == WORD and not t.isascii():
            pieces = _cjk_split()
            first = pieces.match(t)
            if first.end() < len(t) or first.group(1) is not None:  # the word holds a CJK character
                for k, piece in enumerate(pieces.finditer(t)):
                    yield piece.group(), WORD, s + piece.start(), s + piece.end(), k == 0 and (s > prev or space)
                prev, space = e, False
                continue
        yield t, kind, s, e, s > prev or space
        prev, space = e, False


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Split text[start:end] into tokens."""
    return [Token(*t) for t in scan(text, start, end)]


def words(text: str) -> list[str]:
    """The casefolded token texts of a string (how grammar literals are keyed)."""
    if text.isascii() and text.isalpha():  # one ASCII word, as scan would find it (most lexicon entries)
        return [text.lower()]
    return [t[0].casefold() for t in scan(text)]
