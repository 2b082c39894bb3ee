"""Chinese inverse text normalization (zh-itn and the option entry files of grammars/zh/itn): spoken -> written,
WeTextProcessing's output conventions.

Cases written for this project, one group per class, then WeTextProcessing's fixture files when ../shared/data
is present: every file of every suite its own normalizer test runs, with the options that suite runs with."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from edgekit.forest import load_forest
from normalize_cases import misread

REPO = Path(__file__).resolve().parents[1]
# CI keeps the external suites beside the clone; WETEXT_ZH_DATA points elsewhere (a worktree, say).
DATA = Path(os.environ.get("WETEXT_ZH_DATA", REPO / ".." / "shared" / "data" / "wetext-zh"))
ITN_DIR = REPO / "grammars" / "zh" / "itn"

sys.path.insert(0, str(REPO))
from benchmarks import zh_fixtures  # noqa: E402  (the benchmark's own suites and fixture reader)

# WeTextProcessing's itn/chinese/test/normalizer_test.py: entry file of grammars/zh/itn -> the files it runs.
ITN_SUITES = {entry: files for _options, entry, files in zh_fixtures.ITN_SUITES.values()}


def read_fixture(direction: str, name: str) -> list[tuple[str, str]]:
    """(input, expected) pairs of a WeTextProcessing fixture file (`input => expected`)."""
    return zh_fixtures.read_file(DATA, direction, name)


_FORESTS: dict[str, object] = {}


def entry(name: str):
    """The forest of one entry file of grammars/zh/itn (compiled once per test session)."""
    if name not in _FORESTS:
        _FORESTS[name] = load_forest("zh-itn" if name == "main" else ITN_DIR / f"{name}.forest")
    return _FORESTS[name]


@pytest.fixture(scope="module")
def itn():
    return entry("main")


def test_shipped_name_is_the_main_entry(itn):
    assert Path(itn.source).resolve() == (ITN_DIR / "main.forest").resolve()


def test_cardinals(itn):
    assert not misread(itn, [("三百零七", "307"), ("两千零二十四", "2024"), ("一万零五", "10005"), ("十二万三千", "123000"),
                ("四百五十万", "450万"), ("三亿零五十万", "3亿500000"), ("零", "0"), ("负十七", "-17"),
                ("二十", "20"), ("一百一", "110")])


def test_digit_strings_and_codes(itn):
    assert not misread(itn, [("幺八六幺二三四五六七八", "18612345678"), ("打幺幺九", "打119"), ("房间号三零二", "房间号302"),
                ("一九二点幺六八点零点一", "192.168.0.1"), ("身份证末尾是幺二三X", "身份证末尾是123X")])


def test_decimals(itn):
    assert not misread(itn, [("零点五", "0.5"), ("十二点七五", "12.75"), ("负零点二", "-0.2"), ("三点五万", "3.5万")])


def test_approximate_numbers(itn):
    assert not misread(itn, [("四五十", "40~50"), ("两三千", "2000~3000"), ("二十七八", "27-8"), ("八九万", "8~9万"),
                ("十几个", "十几个"), ("几百万", "几百万")])


def test_fractions_and_percentages(itn):
    assert not misread(itn, [("三分之一", "1/3"), ("十分之一", "1/10"),
                ("百分之五十", "50%"), ("百分之零点五", "0.5%"), ("百分之百", "100%"), ("负百分之三", "-3%"),
                ("百分之十到二十", "10~20%")])


def test_ordinals(itn):
    assert not misread(itn, [("第三", "第3"), ("第二十一届", "第21届")])


def test_dates(itn):
    assert not misread(itn, [("一九四九年十月一日", "1949/10/01"), ("二零二四年三月", "2024/03"), ("十二月二十五号", "12/25"),
                ("九八年六月四日", "98/06/04"), ("二零零零年", "2000年"), ("两千零八年", "2008年")])


def test_times(itn):
    assert not misread(itn, [("十点二十分", "10:20"), ("晚上十一点四十五分", "11:45p.m."),
                ("早上七点零五", "7:05a.m."), ("六点半", "6:30"), ("十四点三十分十秒", "14:30:10")])


def test_money(itn):
    assert not misread(itn, [("五十元", "¥50"), ("九块九", "9块9"), ("一百二十美元", "$120"), ("三点五欧元", "€3.5"),
                ("十元零五分", "¥10.05"), ("两千日元", "JPY2000"), ("二十英镑", "£20")])


def test_measures(itn):
    assert not misread(itn, [("五公斤", "5kg"), ("一百八十厘米", "180cm"), ("三十七点五摄氏度", "37.5°C"),
                ("每小时一百二十公里", "120km/h"), ("二十分钟", "20min"), ("三个月", "3个月"), ("五六米", "5~6m"),
                ("两三百平方米", "200~300m²")])


def test_math(itn):
    assert not misread(itn, [("三加四等于七", "3+4=7"), ("十减二", "10-2"), ("二比一", "2:1"), ("五到十", "5~10")])


def test_plates_and_trains(itn):
    assert not misread(itn, [("沪B一二三四五", "沪B12345"), ("粤A八八八八八", "粤A88888"), ("动车动二四六", "动车D246"),
                ("坐特八次", "坐特8次")])


def test_whitelist_and_interjections(itn):
    assert not misread(itn, [("一起吃饭", "一起吃饭"), ("星期三见", "星期三见"), ("乱七八糟", "乱七八糟"), ("去四川", "去四川"),
                ("一个人", "一个人"), ("二十一个人", "21个人"), ("呃好的啊", "好的")])


def test_latin_and_punctuation_pass_through(itn):
    assert not misread(itn, [("新IPHONE", "新IPHONE"), ("五G网络", "5G网络"), ("A", "A"), ("好，三个！", "好，3个！"),
                ("", "")])


def test_options_entry_files():
    cases = {  # text: output of main, no_standalone, no_zero_to_nine, no_standalone_no_zero_to_nine
        "五": ("5", "五", "五", "五"),
        "五十五": ("55", "五十五", "55", "五十五"),
        "九天": ("9天", "9天", "九天", "九天"),
        "二十年后": ("20年后", "20年后", "20年后", "20年后"),
        "一千克": ("1kg", "1kg", "1000g", "1000g"),
        "这是一百一个": ("这是100 1个", "这是100 1个", "这是100一个", "这是100一个"),
        "二零零八年八月八日": ("2008/08/08",) * 4,
    }
    names = ["main", "no_standalone", "no_zero_to_nine", "no_standalone_no_zero_to_nine"]
    wrong = [(name, text, want[k], entry(name).normalize(text))
             for text, want in cases.items() for k, name in enumerate(names) if entry(name).normalize(text) != want[k]]
    assert not wrong, "\n".join(f"{n}: {t!r}: want {w!r}, got {g!r}" for n, t, w, g in wrong)


def test_explain_names_the_rule_and_file(itn):
    trace = str(itn.explain("三千三百八十元五角八分"))
    assert "money" in trace and "money.forest" in trace


# ---- WeTextProcessing's fixtures -----------------------------------------------------------------------------
need_data = pytest.mark.skipif(not DATA.is_dir(), reason="../shared/data/wetext-zh is not present")


@need_data
@pytest.mark.parametrize("suite,name", [(s, f) for s, files in ITN_SUITES.items() for f in files.split()])
def test_wetext_fixture_file(suite, name):
    """Each file of each suite, with the options that suite runs with in WeTextProcessing's own test."""
    assert not misread(entry(suite), read_fixture("itn", name))


@need_data
def test_wetext_end_to_end_accuracy():
    """The 197 cases of WeTextProcessing's main ITN normalizer test: at least 0.98, no file below 0.9."""
    total = ok = 0
    for name in ITN_SUITES["main"].split():
        pairs = read_fixture("itn", name)
        good = sum(entry("main").normalize(a) == b for a, b in pairs)
        assert good / len(pairs) >= 0.9, name
        total, ok = total + len(pairs), ok + good
    assert total == 197 and ok / total >= 0.98
