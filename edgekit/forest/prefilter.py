"""A cheap test that lets digestion skip a data-class regex on text that cannot match it.

From the parsed regex we take one mandatory element whose characters are not letters (a literal `@`,
a `\\d`, a set like `[:.]`; inside a lookahead or lookbehind that must hold, or one in every branch
of an alternative), the rarest one (not a digit if it can, then the fewest characters): a match must
contain one of those characters, so when the text has none of them the regex is not run. Patterns
without such an element are always run (the test is conservative: it only ever skips regexes that
could not have matched). Under case-insensitive matching,
global or scoped (`(?i:...)`), only ASCII characters are used: Unicode case folding has special cases
(`ⓐ`/`Ⓐ`, U+0345/`ι`) that a character's own upper and lower forms do not cover."""
from __future__ import annotations

import re
from typing import Callable, Iterable

from .model import Alt, Lit, Ref, Rep, Seq, Template

try:  # Python 3.11+
    from re import _constants as sre_constants, _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

DIGIT = "\\d"
_C = sre_constants


def _char_set(op, av, ignorecase: bool) -> frozenset[str] | None:
    """The characters one pattern element can consume, if that is a small, letter-free set."""
    chars: set[str] = set()
    if op is _C.LITERAL:
        chars.add(chr(av))
    elif op is _C.IN:
        for kind, value in av:
            if kind is _C.NEGATE:
                return None
            if kind is _C.LITERAL:
                chars.add(chr(value))
            elif kind is _C.CATEGORY and value is _C.CATEGORY_DIGIT:
                chars.add(DIGIT)
            elif kind is _C.RANGE and ord("0") <= value[0] <= value[1] <= ord("9"):
                chars.add(DIGIT)
            else:
                return None
    elif op is _C.CATEGORY and av is _C.CATEGORY_DIGIT:
        chars.add(DIGIT)
    else:
        return None
    if any(c != DIGIT and (c.isalpha() or c.isspace()) for c in chars):
        return None
    if ignorecase and not all(c == DIGIT or c.isascii() for c in chars):
        return None  # ASCII non-letters have no case variants; other characters may
    return frozenset(chars)


def _rarity(chars: frozenset[str]) -> tuple[bool, int]:
    """How often text holds one of chars, roughly: digits are everywhere in numbers, and fewer characters are
    met less often; the smallest key is the best filter."""
    return DIGIT in chars, len(chars)


def _required(items: Iterable, ignorecase: bool) -> frozenset[str] | None:
    """The rarest (see _rarity) of the sets a match of the sequence `items` must take a character from."""
    best = None
    for op, av in items:
        found = None
        if op in (_C.MAX_REPEAT, _C.MIN_REPEAT, getattr(_C, "POSSESSIVE_REPEAT", None)) and av[0] >= 1:
            found = _required(av[2], ignorecase)
        elif op is _C.SUBPATTERN:  # (group, flags added, flags removed, items): `(?i:...)`, `(?-i:...)`
            scoped = (ignorecase or bool(av[1] & re.IGNORECASE)) and not av[2] & re.IGNORECASE
            found = _required(av[3], scoped)
        elif op is _C.ASSERT:  # a lookahead or lookbehind that must hold reads text too (a negative one need not)
            found = _required(av[1], ignorecase)
        elif op is _C.BRANCH:  # one of the alternatives matches: each must need one of the characters
            parts = [_required(branch, ignorecase) for branch in av[1]]
            found = frozenset().union(*parts) if parts and all(parts) else None
        else:
            found = _char_set(op, av, ignorecase)
        if found and (best is None or _rarity(found) < _rarity(best)):
            best = found
    return best


def required_chars(pattern: str) -> frozenset[str] | None:
    """Characters of which every match contains at least one (DIGIT stands for any digit), or None."""
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # noqa: BLE001 - an unanalysable pattern is simply always run
        return None
    return _required(list(parsed), bool(parsed.state.flags & re.IGNORECASE))



def required_types(node: Template, type_of: Callable[[Lit | Ref], int]) -> frozenset[frozenset[int]]:
    """What every match of a template must read, as clauses: each clause is a set of types of which a
    match reads at least one (a literal or reference outside any optional part is a clause of one; an
    alternative's clauses each join one clause of every branch). A layer none of whose rules has
    every clause met by an input's elements cannot match there, so digestion skips it."""
    match node:
        case Lit() | Ref():
            return frozenset((frozenset((type_of(node),)),))
        case Seq(items):
            out: frozenset[frozenset[int]] = frozenset()
            for child in items:
                out |= required_types(child, type_of)
            return out
        case Alt(items):
            branches = [required_types(child, type_of) for child in items]
            if not all(branches):
                return frozenset()
            smallest = [min(b, key=lambda c: (len(c), sorted(c))) for b in branches]
            found = set()
            for i, clauses in enumerate(branches):  # each clause of one branch, joined with the others' smallest
                rest = frozenset().union(*(smallest[:i] + smallest[i + 1:]))
                found.update(c | rest for c in clauses)
            return frozenset(found)
        case Rep(item, lo) if lo >= 1:
            return required_types(item, type_of)
    return frozenset()  # opt, or a repeat that may match nothing
