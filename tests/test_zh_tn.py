"""Chinese text normalization (zh-tn): written -> spoken, WeTextProcessing's output conventions.

Cases written for this project, one group per class, then WeTextProcessing's fixture files when ../shared/data
is present: the files its normalizer test runs (tag_oov=True) and the per-class files its rule tests run."""
from __future__ import annotations

import pytest

from edgekit.forest import load_forest
from normalize_cases import misread
from test_zh_itn import DATA, read_fixture, zh_fixtures

# tn/chinese/test/normalizer_test.py, then the per-class rule tests (cardinal number, measure, sport, postprocessor).
TN_NORMALIZER = zh_fixtures.TN_SUITES["normalizer"].split()
TN_PER_CLASS = zh_fixtures.TN_SUITES["per-class"].split()


@pytest.fixture(scope="module")
def tn():
    return load_forest("zh-tn")


def test_numbers_in_myriad_groups(tn):
    assert not misread(tn, [("7", "七"), ("10", "十"), ("15", "十五"), ("310", "三百一十"), ("1005", "一千零五"),
               ("10020", "一万零二十"), ("350000", "三十五万"), ("100000005", "一亿零五"),
               ("120000000000", "一千二百亿"), ("2", "二"), ("200", "两百"), ("22000", "两万二千"),
               ("200000000", "两亿"), ("202000000000", "两千零二十亿"), ("210000", "二十一万"), ("007", "零零七")])


def test_decimals_signs_and_long_runs(tn):
    assert not misread(tn, [("0.25", "零点二五"), ("-7", "负七"), ("-0.5", "负零点五"), ("±3", "正负三"),
               ("12345678901234", "一二三四五六七八九零一二三四")])


def test_full_width_digits(tn):
    assert not misread(tn, [("１２", "十二"), ("２０２４年", "二零二四年")])


def test_percent_fraction_math(tn):
    assert not misread(tn, [("50%", "百分之五十"), ("0.5%", "百分之零点五"), ("2/3", "三分之二"), ("7+8=15", "七加八等于十五"),
               ("9-3", "九减三"), ("x≥5", "x大于等于五"), ("-5%", "百分之负五"), ("1.5/2", "二分之一点五")])


def test_dates_and_times(tn):
    assert not misread(tn, [("1949-10-01", "一九四九年十月一日"), ("2024/3/5", "二零二四年三月五日"), ("12/25", "十二月二十五日"),
               ("07:05", "七点零五分"), ("2:30 pm", "下午两点三十分"), ("23:59:59", "二十三点五十九分五十九秒"),
               ("14:00", "十四点"), ("2008/08", "二零零八年八月"), ("08/2008", "二零零八年八月"), ("08-08-2008", "二零零八年八月八日")])


def test_money(tn):
    assert not misread(tn, [("¥50", "五十元"), ("$9.99", "九点九九美元"), ("€100", "一百欧元"), ("£2", "二英镑"),
               ("HK$20", "二十港元")])


def test_measures_and_counters(tn):
    assert not misread(tn, [("5kg", "五千克"), ("180cm", "一百八十厘米"), ("37.5℃", "三十七点五摄氏度"), ("120km/h", "每小时一百二十公里"),
               ("2个", "两个"), ("2人", "两人"), ("2月", "二月"), ("3 kg", "三千克"), ("5G网络", "五G网络"),
               ("10k", "十千")])


def test_phone_numbers(tn):
    assert not misread(tn, [("13912345678", "幺三九幺二三四五六七八"), ("021-12345678", "零二一一二三四五六七八"),
               ("打110", "打幺幺零"), ("尾号6789", "尾号六七八九")])


def test_characters(tn):
    assert not misread(tn, [("ＡＢＣ１２３", "ABC一百二十三"), ("你好！", "你好!"), ("“是”。", "\"是\"."), ("这儿", "这"),
               ("女儿", "女儿"), ("嗯啊", "嗯"), ("ありがとう", "".join(f"<oov>{c}</oov>" for c in "ありがとう")),
               ("B2C", "B to C"), ("80后", "八零后")])


def test_scores_after_a_team(tn):
    assert not misread(tn, [("巴西2-1德国", "巴西二比一德国"), ("比分3:0", "比分三比零")])


def test_traditional_characters_are_read_as_simplified_ones_first(tn):
    # as WeTextProcessing's preprocessor (traditional_to_simple, on by default): the number rules see 万, 两
    assert tn.normalize("寶貝") == "宝贝"
    assert tn.normalize("三萬元") == tn.normalize("三万元") == "三万元"
    assert tn.normalize("3萬元") == tn.normalize("3万元") == "三万元"
    assert tn.normalize("兩個蘋果") == "两个苹果"


def test_explain_names_the_rule_and_file(tn):
    trace = str(tn.explain("价格是￥13.5"))
    assert "money" in trace and "money.forest" in trace


need_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/wetext-zh is not present")


@need_data
@pytest.mark.parametrize("name", TN_NORMALIZER + TN_PER_CLASS)
def test_wetext_fixture_file(tn, name):
    assert not misread(tn, read_fixture("tn", name))


@need_data
def test_wetext_end_to_end_accuracy(tn):
    """The cases of WeTextProcessing's TN normalizer test: at least 0.98, no file below 0.9."""
    total = ok = 0
    for name in TN_NORMALIZER:
        pairs = read_fixture("tn", name)
        good = sum(tn.normalize(a) == b for a, b in pairs)
        assert good / len(pairs) >= 0.9, name
        total, ok = total + len(pairs), ok + good
    assert total >= 94 and ok / total >= 0.98

