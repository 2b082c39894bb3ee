"""Property tests: normalize never raises on arbitrary Unicode and is idempotent on its own output
(demo grammar); expand() phrasings of every command parse back to their intent."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from edgekit.forest import load_forest

HOME = load_forest("home")
VOCAB = sorted(HOME.compiled.vocab) + ["42", "7", "%", "-", ",", "!", "kitchen", "zzz", "Ünïcödé", "关闭"]

texts = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(VOCAB), max_size=14).map(" ".join),
    st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=3)), max_size=10).map(" ".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_normalize_never_raises_and_is_idempotent(text):
    once = HOME.normalize(text)
    assert isinstance(once, str)
    assert HOME.normalize(once) == once


@settings(max_examples=150, deadline=None)
@given(texts)
def test_parse_and_explain_never_raise(text):
    frame = HOME.parse(text)
    trace = HOME.explain(text)
    assert (frame is None) == (trace.frame is None)
    assert trace.output == HOME.normalize(text)
    str(trace)


@pytest.mark.parametrize("rule,intent", [("turn_on_cmd", "TurnOn"), ("turn_off_cmd", "TurnOff"),
                                         ("brightness_cmd", "SetBrightness"), ("timer_cmd", "StartTimer")])
def test_expanded_phrasings_parse_back(rule, intent):
    phrasings = HOME.expand(rule, limit=300)
    assert len(phrasings) == 300
    for p in phrasings:
        p = p.replace("<digits>", "12")
        frame = HOME.parse(p)
        assert frame is not None and frame.intent == intent, p


@pytest.mark.parametrize("text,expected", [
    ("\ud800 lamp", "\ud800 light"), ("\x00\x01 switch on the lamp", "\x00\x01 turn on the light"),
    ("\u200b\u200d", "\u200b\u200d"), ("\U0001F600 on", "\U0001F600 on"), ("a\tb\nc", "a b c")])
def test_surrogates_and_control_characters_pass_through(text, expected):
    # unknown characters are carried through unchanged; the words around them are still normalized
    assert HOME.normalize(text) == expected
    trace = HOME.explain(text)
    assert trace.output == expected and str(trace)


@pytest.mark.parametrize("piece", ["twenty ", "9", "- ", "% ", "please ", "switch on the lamp ", "\u5173"])
def test_one_megabyte_lines_give_the_repeated_output_in_linear_time(piece):
    # the output of piece * n is the output of one piece, n times; each 10x longer line costs about 10x the
    # CPU time (a quadratic digestion: 100x, caught at the first size where it shows, before the next one)
    sep = " " if piece.endswith(" ") else ""
    unit = HOME.normalize(piece.strip())
    before = None
    for size in (10_000, 100_000, 1_000_000):
        n = size // len(piece)
        t0 = time.process_time()
        out = HOME.normalize(piece * n)
        cost = max(time.process_time() - t0, 0.005)
        assert out == sep.join([unit] * n)
        assert before is None or cost < 5 * 10 * before, (size, cost, before)
        before = cost


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_text_tokenizes_as_the_unicode_pattern_does(text):
    from edgekit.forest import tokenize

    fast = [(m.group(), m.lastgroup, m.span()) for m in tokenize._ASCII_TOKEN_RE.finditer(text)]
    assert fast == [(m.group(), m.lastgroup, m.span()) for m in tokenize.TOKEN_RE.finditer(text)]
