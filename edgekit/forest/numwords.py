"""Table-driven number spelling for text-normalization grammars: the algorithm (short-scale groups of three
digits) lives here, the words live in a grammar `table`, so no language data is hard-coded in Python.

A words table maps numbers (as keys "0".."19", "20", "30" .. "90", "100", "1000", "1000000", ...) to words,
and may give "and" (the conjunction used by style "and"). Scales are every power of 1000 found in it."""
from __future__ import annotations

import re
from typing import Any, Mapping


class SpellError(ValueError):
    """The number cannot be spelled with this table (negative, too large, or a word missing)."""


def _word(table: Mapping[str, Any], n: int) -> str:
    w = table.get(str(n))
    if w is None:
        raise SpellError(f"the words table has no entry for {n}")
    return str(w)


def _below_hundred(table: Mapping[str, Any], n: int) -> list[str]:
    if str(n) in table:
        return [_word(table, n)]
    return [_word(table, n - n % 10), _word(table, n % 10)]


def _below_thousand(table: Mapping[str, Any], n: int, conj: str | None) -> list[str]:
    hundreds, rest = divmod(n, 100)
    out: list[str] = []
    if hundreds:
        out += [_word(table, hundreds), _word(table, 100)]
    if rest:
        if hundreds and conj:
            out.append(conj)
        out += _below_hundred(table, rest)
    return out


def spell(n: int, table: Mapping[str, Any], style: str = "") -> str:
    """Spell a non-negative integer: spell(123, words) = "one hundred twenty three".

    style "and" puts the table's "and" after a hundred in the last group and before a last group under
    100 that follows a thousands group ("one hundred and twenty three", "eighteen thousand and one")."""
    if n < 0:
        raise SpellError("spell() takes a non-negative integer")
    if n == 0:
        return _word(table, 0)
    conj = str(table["and"]) if style == "and" and "and" in table else None
    scales = _scales(table)
    if n >= (scales[0] if scales else 1000) * 1000:
        raise SpellError(f"{n} is too large for the words table")
    out: list[str] = []
    rest = n
    for scale in scales:
        if scale > rest:  # an empty group
            continue
        group, rest = divmod(rest, scale)
        out += _below_thousand(table, group, None) + [_word(table, scale)]
    if rest:
        if conj and out and rest < 100 and (n // 1000) % 1000:
            out.append(conj)
        out += _below_thousand(table, rest, conj)
    return " ".join(out)


_SCALES: dict[int, tuple[Mapping[str, Any], list[int]]] = {}


def _scales(table: Mapping[str, Any]) -> list[int]:
    """The table's scale numbers (powers of 1000 from 1000 up), largest first; cached per table."""
    hit = _SCALES.get(id(table))
    if hit is not None and hit[0] is table:
        return hit[1]
    scales = sorted((int(k) for k in table if k.isdigit() and int(k) >= 1000 and _power_of_thousand(int(k))),
                    reverse=True)
    if len(_SCALES) > 64:
        _SCALES.clear()
    _SCALES[id(table)] = (table, scales)
    return scales


def _power_of_thousand(k: int) -> bool:
    while k % 1000 == 0:
        k //= 1000
    return k == 1


def spell_digits(s: str, table: Mapping[str, Any]) -> str:
    """Read a digit string digit by digit: "004" -> "zero zero four"."""
    return " ".join(_word(table, int(c)) for c in s if c.isdigit())


def replace_last(s: str, table: Mapping[str, Any], suffix: str = "") -> str:
    """Replace the last word by its table entry (or append `suffix` when it has none):
    replace_last("twenty one", ordinals) = "twenty first"."""
    words = s.split(" ")
    if not words or not words[-1]:
        return s
    new = table.get(words[-1].casefold())
    words[-1] = str(new) if new is not None else words[-1] + suffix
    return " ".join(words)


_RUNS = re.compile(r"[^\W\d_]+|\d+|\S")


def read_out(s: str, *tables: Mapping[str, Any]) -> str:
    """Read a written string aloud piece by piece, e.g. an e-mail address: runs of letters (replaced by their
    entry in the first table that has one, so "nvidia" -> "NVIDIA"), runs of digits read digit by digit, and
    every other character by its table entry ("." -> "dot") or as itself; pieces are joined by spaces."""
    def find(key: str) -> Any:
        for t in tables:
            hit = t.get(key)
            if hit is not None:
                return hit
        return None

    out = []
    for piece in _RUNS.findall(s):
        if piece.isdigit():
            out.append(" ".join(str(find(c)) if find(c) is not None else c for c in piece))
        else:
            hit = find(piece.casefold())
            out.append(piece if hit is None else str(hit))
    return " ".join(out)
