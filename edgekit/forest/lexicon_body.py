"""A fast reader for the bodies of `lexicon NAME { ... }` blocks, so a 100,000-entry lexicon does not go
through the LALR parser one token at a time.

It tokenizes with the very terminal patterns of forest_grammar.lark (WORD before NAME, as lark orders
them) and accepts only bodies that are, in full, a sequence of well-formed entries closed by `}`. The
loader then blanks those bodies (newlines kept, so every other position is unchanged) before lark parses
the file, and uses it only when lark found a lexicon statement at every blanked body; anything else
(a syntax error anywhere, a body this reader does not accept, a head it did not see) is parsed the
ordinary way, so results and error messages are the parser's own."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from lark import Lark


class RawPart(NamedTuple):
    """One clause of an entry after its canonical form: a value (`number`, `negnumber`, `string`) or a
    variant (`word_variant`, `string_variant`), named as the grammar's tree nodes are. A clause the
    loader would refuse sends the whole body back to the parser, so clauses need no position."""

    kind: str
    text: str


class RawEntry(NamedTuple):
    """One lexicon entry as written: its canonical token (quoted or not), its position and its clauses."""

    quoted: bool
    canonical: str
    line: int
    col: int
    parts: tuple[RawPart, ...]


class RawBody(NamedTuple):
    """A lexicon body read here: the name token's position (the key the loader matches the parse by), the
    body's character span (after `{`, up to `}`) and its entries."""

    name_line: int
    name_col: int
    start: int
    end: int
    entries: list[RawEntry]


# What lark ignores between tokens (its WS and COMMENT terminals, checked against the grammar by a test),
# written as one unrolled loop: the regex never backtracks inside it.
SKIP_WS = "[ \t\x0c\r\n]"
SKIP_COMMENT = "#[^\n]*"
_S = rf"{SKIP_WS}*(?:{SKIP_COMMENT}{SKIP_WS}*)*"


class _Patterns:
    def __init__(self, parser: Lark) -> None:
        t = {n: parser.get_terminal(n).pattern.to_regexp() for n in ("WORD", "NAME", "STRING", "NUMBER")}
        atom = f"(?>{t['STRING']}|{t['WORD']}|{t['NAME']})"  # lark's order: WORD is tried before NAME
        self.head = re.compile(rf"^[ \t]*lexicon[ \t]+(?P<name>{t['NAME']})(?:[ \t]+priority[ \t]+{t['NUMBER']})?"
                               rf"(?:[ \t]+verbatim)?[ \t]*\{{", re.M)
        self.entry = re.compile(
            rf"{_S}(?P<canon>{atom})"
            rf"(?:{_S}={_S}(?:(?P<neg>-{_S})?(?P<num>{t['NUMBER']})|(?P<str>{t['STRING']})))?"
            rf"(?:{_S}:(?P<vars>{_S}{atom}(?:{_S}\|{_S}{atom})*))?")
        self.variant = re.compile(rf"{_S}\|?{_S}(?:(?P<string>{t['STRING']})|(?P<word>{atom}))")
        self.close = re.compile(rf"{_S}\}}")


@lru_cache(maxsize=1)
def _patterns(parser: Lark) -> _Patterns:
    return _Patterns(parser)


def read_bodies(text: str, parser: Lark) -> list[RawBody]:
    """Every lexicon body of a file this reader accepts in full (see the module docstring)."""
    p = _patterns(parser)
    out = []
    for head in p.head.finditer(text):
        name_at = head.start("name")
        body = _read_body(text, head.end(), p)
        if body is not None:
            end, entries = body
            out.append(RawBody(text.count("\n", 0, name_at) + 1, name_at - text.rfind("\n", 0, name_at),
                               head.end(), end, entries))
    return out


def _read_body(text: str, pos: int, p: _Patterns) -> tuple[int, list[RawEntry]] | None:
    line = text.count("\n", 0, pos) + 1
    line_start = text.rfind("\n", 0, pos) + 1
    entries = []
    match, count, rfind = p.entry.match, text.count, text.rfind
    no_parts: tuple[RawPart, ...] = ()
    while True:
        m = match(text, pos)
        if m is None:
            break
        at = m.start("canon")
        newlines = count("\n", pos, at)
        if newlines:
            line += newlines
            line_start = rfind("\n", pos, at) + 1
        canon = m.group("canon")
        parts = no_parts
        num, string, variants = m.group("num", "str", "vars")
        if num is not None or string is not None or variants is not None:
            parts = _parts(m, num, string, variants, p)
        entries.append(RawEntry(canon[0] == '"', canon, line, at - line_start + 1, parts))
        pos = m.end()
        newlines = count("\n", at, pos)
        if newlines:
            line += newlines
            line_start = rfind("\n", at, pos) + 1
    close = p.close.match(text, pos)
    if close is None:
        return None
    return close.end() - 1, entries


def _parts(m: re.Match, num: str | None, string: str | None, variants: str | None,
           p: _Patterns) -> tuple[RawPart, ...]:
    out = []
    if num is not None:
        out.append(RawPart("number" if m.group("neg") is None else "negnumber", num))
    elif string is not None:
        out.append(RawPart("string", string))
    if variants is not None:
        out.extend(RawPart("string_variant", v.group("string")) if v.group("string") is not None
                   else RawPart("word_variant", v.group("word")) for v in p.variant.finditer(variants))
    return tuple(out)


def blank(text: str, bodies: list[RawBody]) -> str:
    """The text with every body's characters replaced by spaces (newlines kept: positions are unchanged)."""
    pieces, pos = [], 0
    for b in bodies:
        pieces.append(text[pos:b.start])
        pieces.append("\n".join(" " * len(line) for line in text[b.start:b.end].split("\n")))
        pos = b.end
    pieces.append(text[pos:])
    return "".join(pieces)
