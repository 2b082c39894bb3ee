"""The scripts, marks, joiners and danda both tokenizers take from edgekit/unicode_ranges.py: what each reads
the same way, and the differences each keeps on purpose (forest: joiners inside a word, danda punctuation;
Home Assistant: danda inside a word, as hassil keeps it, joiners tokens of their own)."""
from __future__ import annotations

import re
import unicodedata

import pytest

from edgekit import unicode_ranges as ur
from edgekit.forest.tokenize import tokenize
from edgekit.hass.text import token_keys

GREETINGS = {"thai": "สวัสดี", "lao": "ສະບາຍດີ", "myanmar": "မင်္ဂလာပါ", "khmer": "សួស្តី"}


def _in(ranges: str, ch: str) -> bool:
    return re.fullmatch(f"[{ranges}]", ch) is not None


def test_the_southeast_asian_marks_are_exactly_the_marks_of_those_scripts():
    blocks = [chr(c) for c in range(0x0E00, 0x1800) if _in(ur.SOUTHEAST_ASIAN, chr(c))]
    assert len(blocks) == 128 + 128 + 160 + 128
    marks = {ch for ch in blocks if unicodedata.category(ch).startswith("M")}
    listed = {ch for ch in blocks if _in(ur.SOUTHEAST_ASIAN_MARKS, ch)}
    assert marks <= listed
    assert all(unicodedata.category(ch) == "Cn" for ch in listed - marks)  # marks of a later Unicode (Lao U+0ECE)


@pytest.mark.parametrize("word", ["a\u1ab0b", "x\u1dc4y", "e\u20d7z", "o\ufe20o", "cafe\u0301", "мо\u0301ре"])
def test_a_word_with_a_combining_mark_is_one_token_in_both_tokenizers(word):
    assert [(t.text, t.kind) for t in tokenize(f"the {word}.")] == [("the", "word"), (word, "word"), (".", "punct")]
    assert token_keys(f"the {word}.") == ["the", word.casefold(), "."]


@pytest.mark.parametrize("script", sorted(GREETINGS))
def test_the_southeast_asian_scripts_are_read_one_character_at_a_time_as_home_assistant_reads_them(script):
    word = GREETINGS[script]
    got = tokenize(f"hi {word}")
    assert [(t.text, t.kind) for t in got] == [("hi", "word")] + [(ch, "word") for ch in word]
    assert [t.space_before for t in got[1:]] == [True] + [False] * (len(word) - 1)
    assert [t.text for t in got] == token_keys(f"hi {word}")


def test_their_digits_stay_digits_and_their_symbols_punctuation():
    assert [(t.text, t.kind) for t in tokenize("ราคา๑๒฿")] == [
        ("ร", "word"), ("า", "word"), ("ค", "word"), ("า", "word"), ("๑๒", "digits"), ("฿", "punct")]


def test_a_thai_literal_is_found_inside_running_thai_text(grammar):
    f = grammar('lexicon greet { hello: "สวัสดี" }')
    assert f.normalize("สวัสดี ครับ") == "hello ครับ"
    assert f.normalize("ครับสวัสดีครับ") == "ครับhelloครับ"  # no space around it, as Thai is written
    assert f.normalize("สวัส") == "สวัส"


def test_the_forest_keeps_joiners_inside_a_word_and_reads_the_danda_as_punctuation():
    assert [(t.text, t.kind) for t in tokenize("می\u200cخواهم क्\u200dष नमस्ते।")] == [
        ("می\u200cخواهم", "word"), ("क्\u200dष", "word"), ("नमस्ते", "word"), ("।", "punct")]


def test_home_assistant_keeps_the_danda_inside_a_word_and_cuts_at_a_joiner():
    assert token_keys("नमस्ते। नमस्ते॥") == ["नमस्ते।", "नमस्ते॥"]
    assert token_keys("می\u200cخواهم") == ["می", "\u200c", "خواهم"]
