"""Property tests: normalize never raises on arbitrary Unicode and is idempotent on its own output
(demo grammar); expand() phrasings of every command parse back to their intent."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from edgekit.forest import load_forest

HOME = load_forest("home")
VOCAB = sorted(HOME.artifact["vocab"]) + ["42", "7", "%", "-", ",", "!", "kitchen", "zzz", "Ünïcödé", "关闭"]

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


def test_surrogates_and_control_characters_do_not_crash():
    for text in ["\ud800 lamp", "\x00\x01 switch on the lamp", "\u200b\u200d", "\U0001F600 on", "a\tb\nc"]:
        HOME.normalize(text)
        HOME.explain(text)


@pytest.mark.parametrize("piece", ["twenty ", "9", "- ", "% ", "please ", "switch on the lamp ", "关"])
def test_one_megabyte_lines_complete(piece):
    text = piece * (1_000_000 // len(piece))
    out = HOME.normalize(text)
    assert len(out) > 0
