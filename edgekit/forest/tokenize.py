"""Unicode-aware tokenization: words (with inner apostrophes and combining marks), digit runs,
single CJK characters, and single punctuation characters. Whitespace only separates tokens."""
from __future__ import annotations

import re
from typing import NamedTuple

# CJK ideographs, kana and hangul are tokenized one character at a time.
_CJK = (r"\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3100-\u312f\u3190-\u31ff"
        r"\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f")
# Combining marks that Python's \w does not count as word characters.
_MARKS = r"\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0900-\u0963\u0966-\u0dff\u200c\u200d"
_LETTER = rf"(?:(?![{_CJK}])[^\W\d_]|[{_MARKS}])"
_TOKEN_RE = re.compile(
    rf"(?P<word>{_LETTER}+(?:['’]{_LETTER}+)*)"
    rf"|(?P<digits>\d+)"
    rf"|(?P<cjk>[{_CJK}])"
    rf"|(?P<punct>\S)"
)

WORD, DIGITS, PUNCT = "word", "digits", "punct"


class Token(NamedTuple):
    """One token: its text, kind (word/digits/punct), character span, and whether whitespace precedes it."""

    text: str
    kind: str
    start: int
    end: int
    space_before: bool


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Split text[start:end] into tokens; offsets are relative to the whole text."""
    end = len(text) if end is None else end
    tokens: list[Token] = []
    prev_end = start
    for m in _TOKEN_RE.finditer(text, start, end):
        kind = m.lastgroup
        s = m.start()
        tokens.append(Token(m.group(), WORD if kind == "cjk" else kind, s, m.end(),
                            s > prev_end or (s == start and start > 0 and text[start - 1].isspace())))
        prev_end = m.end()
    return tokens


def words(text: str) -> list[str]:
    """The casefolded token texts of a string (how grammar literals are keyed)."""
    return [t.text.casefold() for t in tokenize(text)]
