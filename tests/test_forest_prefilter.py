"""The data-class prefilter only ever skips regexes that could not have matched."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from edgekit.forest.prefilter import DIGIT, required_chars

PATTERNS = [r"[\w.+-]+@[\w-]+(\.[\w-]+)+", r"(?P<h>\d{1,2}):(?P<m>\d\d)", r"\$\d+(\.\d\d)?", r"[A-Z]{2,}",
            r"(?:ab|cd)\d", r"(?i)x-\d", r"a?b*[:;]", r"(?<!\d)/(?=\d)", r"(x|y)+\.", r"[^a-z]+", r"-?\d+",
            "(?i:\u24d0)", "(?i)\u24d0", "x(?i:\u2170)", "(?i:\u0345)", "(?i:a(?-i:\u24d0))", "(?i:-)\\d",
            r"s(?<=[a-z]/s)(?![\w'-])", r"x(?=\d)", r"y(?!\d)", r"(?:a\.|b(?=@))z", r"(?:a\.|bz)", r"(?<!@)a"]
ALPHABET = "abs xyzXY019٣@.:;$/-_+\u24d0\u24b6\u2170\u2160\u0345\u03b9\u0399\u1fbe"


def test_required_characters_of_known_patterns():
    assert required_chars(PATTERNS[0]) == {"@"}
    assert required_chars(PATTERNS[1]) == {":"}          # the rarest required element, not the first digit
    assert required_chars(r"\d+(?:\.\d+)?") == {DIGIT}       # the only one
    assert required_chars(PATTERNS[2]) == {"$"}
    assert required_chars(PATTERNS[3]) is None          # letters are never used as a filter
    assert required_chars(PATTERNS[9]) is None          # negated sets cannot be summarised
    assert required_chars("(?i:\u24d0)") is None       # case-insensitive, outside ASCII: never skipped
    assert required_chars("(?i:a(?-i:\u24d0))") == {"\u24d0"}   # case-sensitive again inside
    assert required_chars("(?i:-)\\d") == {"-"}
    assert required_chars(r"s(?<=[a-z]/s)(?![\w'-])") == {"/"}   # a lookbehind that must hold
    assert required_chars(r"x(?=\d)") == {DIGIT}
    assert required_chars(r"y(?!\d)") is None                     # a negative lookahead needs nothing
    assert required_chars(r"(?:a\.|b(?=@))z") == {".", "@"}       # each branch needs one of them
    assert required_chars(r"(?:a\.|bz)") is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=12))
def test_a_skipped_regex_never_matches(text):
    chars = set(text)
    has_digit = any(c.isdigit() for c in chars)
    for p in PATTERNS:
        req = required_chars(p)
        runs = req is None or (DIGIT in req and has_digit) or not req.isdisjoint(chars)
        if not runs:
            assert re.search(p, text) is None, (p, text)


def test_required_types_of_templates():
    from edgekit.forest.model import Alt, Lit, Opt, Rep, Seq
    from edgekit.forest.prefilter import required_types

    def ids(node):
        return {"a": 1, "b": 2, "c": 3, "d": 4}[node.word]

    lit = Lit
    # a sequence needs each of its parts; an optional part or a repeat that may be empty needs nothing
    assert required_types(Seq((lit("a"), Opt(lit("b")), Rep(lit("c"), 0, None))), ids) == {frozenset({1})}
    assert required_types(Rep(lit("c"), 1, None), ids) == {frozenset({3})}
    # an alternative needs one of its branches: each clause joins a clause of every branch
    got = required_types(Alt((Seq((lit("a"), lit("b"))), lit("c"))), ids)
    assert got == {frozenset({1, 3}), frozenset({2, 3})}
    assert required_types(Alt((lit("a"), Opt(lit("b")))), ids) == frozenset()


def test_a_layer_runs_only_the_rules_whose_required_words_are_there(grammar):
    # both rules sit on one layer; "x" and "y" each name one rule's required word
    f = grammar('rule first: x <word:w>\n  text "X" + w.text\nrule second: y <word:w>\n  text "Y" + w.text\n')
    assert f.normalize("x a y b") == "Xa Yb"
    assert f.normalize("x a") == "Xa" and f.normalize("y b") == "Yb" and f.normalize("a b") == "a b"
