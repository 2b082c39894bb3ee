"""Property tests for zh-itn and zh-tn: normalize never raises on arbitrary text; TN is idempotent on its own
output up to whitespace (its output has no digits left; a removed 儿/呃/啊 after a space leaves the space, which
the second pass drops; kana and hangul are left out because their <oov> tags would be tagged again); no input
pattern makes either direction super-linear.

ITN is not idempotent in general: a written form may keep a character that is also a number word ("二两" ->
"2两", and 两 alone is 2), so only "never raises" is checked for it."""
from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from edgekit.forest import load_forest

ITN = load_forest("zh-itn")
TN = load_forest("zh-tn")

SPOKEN = list("零〇一二两三四五六七八九十百千万亿兆点负幺洞拐几第分之年月日号时秒块元角毛个人") + [
    "百分之", "公里", "千克", "摄氏度", "美元", "上午", "下午", "每小时", "到", "加", "等于", "高", "京", "一共",
    "呃", "啊", "A", "x", "，", "。", " "]
WRITTEN = list("0123456789０１２３４５６７８９.,:/-+=%$￥¥°年月日号个人儿呃啊啊") + [
    "kg", "km/h", "m²", "HK$", "CNY", "a.m.", "pm", "℃", "±", "≥", "<=", "尾号", "ＩＰＨＯＮＥ", "“", "”", "！",
    "中国", "O2O", "안", "の", " "]


def texts(vocab: list[str]):
    return st.one_of(st.text(max_size=60), st.lists(st.sampled_from(vocab), max_size=30).map("".join),
                     st.lists(st.one_of(st.sampled_from(vocab), st.text(max_size=2)), max_size=20).map("".join))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(SPOKEN))
def test_itn_never_raises(text):
    assert isinstance(ITN.normalize(text), str)
    assert ITN.explain(text).output == ITN.normalize(text)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts(WRITTEN))
def test_tn_never_raises_and_is_idempotent(text):
    once = TN.normalize(text)
    assert isinstance(once, str)
    if not any("\u3040" <= c <= "\u30ff" or "\u1100" <= c <= "\u11ff" or "\u3130" <= c <= "\u318f"
               or "\uac00" <= c <= "\ud7af" or "\u31f0" <= c <= "\u31ff" for c in text):
        assert " ".join(TN.normalize(once).split()) == " ".join(once.split())


def _seconds(forest, text: str) -> float:
    t = time.perf_counter()
    forest.normalize(text)
    return time.perf_counter() - t


@pytest.mark.parametrize("forest,piece", [
    (ITN, "一"), (ITN, "一二"), (ITN, "十"), (ITN, "一百"), (ITN, "百分之"), (ITN, "点一"), (ITN, "京A"),
    (ITN, "高一二"), (ITN, "三到"), (ITN, "负"), (ITN, "几十"), (ITN, "A"),
    (TN, "1"), (TN, "12"), (TN, "1."), (TN, "12:"), (TN, "1/"), (TN, "-1"), (TN, "2008-"), (TN, "９"),
    (TN, "儿"), (TN, "1kg"), (TN, "ＡＢ"), (TN, "1-"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_linear_time_on_repeated_patterns(forest, piece):
    """Four times the input may cost at most eight times the time (generous against noise; quadratic is 16)."""
    small = piece * (1000 // len(piece))
    big = piece * (4000 // len(piece))
    _seconds(forest, small)
    t_small = min(_seconds(forest, small) for _ in range(3))
    t_big = min(_seconds(forest, big) for _ in range(3))
    assert t_big < 8 * t_small + 0.2, (t_small, t_big)
