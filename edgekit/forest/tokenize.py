"""Unicode-aware tokenization: words (with inner apostrophes, combining marks and joiners), digit runs, single
characters of the scripts written without spaces (CJK, Thai, Lao, Myanmar, Khmer), and single punctuation
characters. Whitespace only separates tokens."""
from __future__ import annotations

import functools
import re
from typing import Iterator, NamedTuple

from ..unicode_ranges import COMBINING_MARKS, INDIC, JOINERS, SOUTHEAST_ASIAN_MARKS, UNSPACED

# A word's letters and the marks that continue it. Unlike Home Assistant's tokenizer (hass/text.py), the
# joiners stay inside a word (Persian and Indic words stay whole) and the danda is punctuation; the marks of
# the Southeast Asian scripts join their word, which is then cut into its unspaced characters like CJK.
_MARKS = COMBINING_MARKS + INDIC + SOUTHEAST_ASIAN_MARKS + JOINERS
_LETTER = rf"(?:[^\W\d_]|[{_MARKS}])"
TOKEN_RE = re.compile(
    rf"(?P<word>{_LETTER}+(?:['’]{_LETTER}+)*)"
    rf"|(?P<digits>\d+)"
    rf"|(?P<punct>\S)"
)
# The same tokens for ASCII-only text (no marks, no CJK, no curly apostrophe there), several times faster.
_ASCII_TOKEN_RE = re.compile(r"(?P<word>[A-Za-z]+(?:'[A-Za-z]+)*)|(?P<digits>[0-9]+)|(?P<punct>\S)")
@functools.cache
def _unspaced_split() -> re.Pattern:
    """The pattern that cuts a word into its unspaced characters (group 1) and the runs between them, compiled on
    the first word that is not ASCII (its character class takes milliseconds to compile, which ASCII text never
    needs)."""
    return re.compile(rf"([{UNSPACED}])|[^{UNSPACED}]+")

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
    split = None
    for m in (_ASCII_TOKEN_RE if text.isascii() else TOKEN_RE).finditer(text, start, end):
        s, e = m.span()
        t, kind = m.group(), m.lastgroup
        pieces = None
        if kind == WORD and not t.isascii():
            if split is None:
                split = _unspaced_split()
            pieces = list(split.finditer(t))
        if pieces and (len(pieces) > 1 or pieces[0].group(1) is not None):  # the word holds an unspaced character
            for k, piece in enumerate(pieces):
                yield piece.group(), WORD, s + piece.start(), s + piece.end(), k == 0 and (s > prev or space)
        else:
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


def drop_words(text: str, phrases: frozenset[tuple[str, ...]]) -> tuple[str, list[int]] | None:
    """text without the runs of tokens that say one of `phrases` (casefolded token texts; the longest
    first), and where each of its characters was in text (a `skip` statement's second reading); None when
    text says none of them."""
    toks = list(scan(text))
    folded = [t[0].casefold() for t in toks]
    longest = max(map(len, phrases), default=0)
    kept: list[tuple[int, int]] = []
    i, found = 0, False
    while i < len(toks):
        for n in range(min(longest, len(toks) - i), 0, -1):
            if tuple(folded[i:i + n]) in phrases:
                # punctuation at the text's edges is left outside a frame anyway: no second reading for it
                found = found or not ((i == 0 or i + n == len(toks)) and all(t[1] == PUNCT for t in toks[i:i + n]))
                i += n
                break
        else:
            kept.append(toks[i][2:4])
            i += 1
    if not found:
        return None
    out: list[str] = []
    where: list[int] = []
    for k, (s, e) in enumerate(kept):
        if k and s > kept[k - 1][1]:  # one space between kept tokens that were apart
            out.append(" ")
            where.append(s - 1)
        out.append(text[s:e])
        where.extend(range(s, e))
    where.append(len(text))
    return "".join(out), where


def cut_word(low: str, before: tuple[str, ...], after: tuple[str, ...]) -> list[str]:
    """A casefolded word cut where a `cut` statement says (grammars/README.md): after the first of `after`
    it starts with and before the first of `before` it ends with (longest first), each only when something
    is left between; [low] when neither applies."""
    word = low
    front = back = ""
    for p in after:
        if len(low) > len(p) and low.startswith(p):
            front = word[:len(p)]
            break
    for p in before:
        if len(low) - len(front) > len(p) and low.endswith(p):
            back = word[len(word) - len(p):]
            break
    if not front and not back:
        return [word]
    return [x for x in (front, word[len(front):len(word) - len(back)], back) if x]


def cut_words(words: list[str], before: tuple[str, ...], after: tuple[str, ...]) -> list[str]:
    """Casefolded token texts with every word cut as cut_word cuts it, each piece tokenized again."""
    if not (before or after):
        return words
    out: list[str] = []
    for w in words:
        for piece in cut_word(w, before, after):
            out.extend(t[0].casefold() for t in scan(piece))
    return out


def cut_parts(before: list[str] | tuple[str, ...], after: list[str] | tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The `cut` parts longest first, the order cut_word tries them in."""
    return tuple(sorted(before, key=lambda p: (-len(p), p))), tuple(sorted(after, key=lambda p: (-len(p), p)))
