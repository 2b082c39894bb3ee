"""English inverse text normalization (en-itn): spoken -> written, NeMo's output conventions.

Cases written for this project, one group per class, plus the NeMo fixtures when ../shared/data is present."""
from __future__ import annotations

from pathlib import Path

import pytest

from edgekit.forest import load_forest
from normalize_cases import misread

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "nemo-en"


@pytest.fixture(scope="module")
def itn():
    return load_forest("en-itn")


def test_cardinal(itn):
    assert not misread(itn, [
        ("three hundred and seven", "307"),
        ("forty-two thousand", "42000"),
        ("twelve hundred", "1200"),
        ("nine hundred ninety nine million nine hundred ninety nine thousand nine hundred ninety nine", "999999999"),
        ("three trillion five hundred billion", "3500000000000"),      # large scales
        ("two quintillion", "2 quintillion"),                           # a lone large scale word is kept
        ("seven lakh fifty thousand", "750000"),
    ])


def test_zero_and_single_digits_stay_words_alone(itn):
    assert not misread(itn, [("zero", "zero"), ("One of them came", "One of them came"), ("at seven", "at seven"),
                ("zero feet", "0 ft"), ("zero point five", "0.5")])


def test_a_hundred(itn):
    assert not misread(itn, [("a hundred", "100"), ("about a hundred people", "about 100 people"),
                ("a hundred and five dollars", "$105")])


def test_negative_numbers(itn):
    assert not misread(itn, [("minus forty two", "-42"), ("negative seven hundred", "-700"),
                ("minus three point five degrees celsius", "-3.5 °C")])


def test_fractions_and_mixed_numbers(itn):
    # issue 13: spoken fractions are written (NeMo leaves them as said); halves and quarters as decimals
    assert not misread(itn, [("one and a half", "1.5"), ("one and a half hours", "1.5 h"), ("a third of it", "1/3 of it"),
                ("two and three quarters", "2.75"), ("one and two thirds", "1 2/3"), ("half past three", "03:30")])


def test_ordinal(itn):
    assert not misread(itn, [("the forty fifth time", "the 45th time"), ("he finished third", "he finished 3rd"),
                ("one hundred and first", "101st"), ("twelfth night", "12th night"),
                ("twenty second", "22nd"), ("eleventh", "11th")])


def test_decimal(itn):
    assert not misread(itn, [("three point one four one five", "3.1415"), ("point five", ".5"),
                ("seventy two point o o", "72.00"), ("one point two five million", "1.25 million")])


def test_money(itn):
    assert not misread(itn, [("eleven euros", "€11"), ("three pounds sterling", "£3"), ("five hundred yen", "¥500"),
                ("two dollars and five cents", "$2.05"), ("one dollar and one cent", "$1.01"),
                ("ninety nine cents", "$0.99"), ("fifteen thousand dollars", "$15000"),
                ("three point two billion euros", "€3.2 billion"),
                ("it costs twenty three dollars fifty", "it costs $23.50"),
                ("one dollars", "one dollars")])   # number and currency word disagree: left alone


def test_measure(itn):
    assert not misread(itn, [("seven kilometers", "7 km"), ("six feet", "6 ft"), ("ten kilometers per hour", "10 km/h"),
                ("twenty five percent", "25 %"), ("four gigabytes", "4 gb"),
                ("two hundred milliliters", "200 ml"), ("ninety five degrees fahrenheit", "95 °F"),
                ("three square meters", "3 m²")])


def test_time(itn):
    assert not misread(itn, [("twelve o'clock", "12:00"), ("half past ten", "10:30"), ("quarter to three p m", "02:45 p.m."),
                ("seven thirty a m", "07:30 a.m."), ("nine p m p s t", "09:00 p.m. pst"),
                ("five past six", "06:05"), ("quarter to one", "12:45"), ("eight fifteen", "08:15")])


def test_date_and_years_with_oh(itn):
    assert not misread(itn, [("the third of march nineteen ninety nine", "3 march 1999"),
                ("march third nineteen ninety nine", "march 3 1999"), ("nineteen oh five", "1905"),
                ("in twenty ten", "in 2010"), ("nineteen sixties", "1960s"), ("april two thousand and one", "april 2001"),
                ("october nineteen o seven", "october 1907"), ("four fifty b c", "450BC")])


def test_telephone_with_oh(itn):
    assert not misread(itn, [("five five five oh one two three four five six", "555-012-3456"),
                ("plus one two one two five five five one two three four", "+1 212-555-1234"),
                ("one nine two dot one six eight dot one dot one", "192.168.1.1"),
                ("double oh seven", "007")])


def test_electronic(itn):
    assert not misread(itn, [("j o h n dot doe at example dot com", "john.doe@example.com"),
                ("w w w dot example dot org", "www.example.org"),
                ("the polka dot dress", "the polka dot dress")])


def test_whitelist_and_serials(itn):
    assert not misread(itn, [("mister smith", "mr. smith"), ("doctor jones", "dr. jones"), ("u s b cable", "USB cable"),
                ("x seven", "x7"), ("b twelve", "b12"), ("a b c", "a b c"), ("a twelve", "a 12")])


def test_mixed_case_input(itn):
    assert not misread(itn, [("Twenty Five Dollars", "$25"), ("TWENTY FIVE DOLLARS", "$25"),
                ("Doctor Jones", "dr. Jones"), ("The Fourth Of July Nineteen Ninety", "4 July 1990")])


def test_punctuation_next_to_numbers(itn):
    assert not misread(itn, [("it was twenty, maybe thirty.", "it was 20, maybe 30."), ("(forty two)", "(42)"),
                ("twenty five dollars!", "$25!")])


def test_pass_through_keeps_case_and_spacing(itn):
    assert not misread(itn, [("Hello World", "Hello World"), ("May I come in?", "May I come in?"), ("I am here", "I am here"),
                ("Dot and At are names", "Dot and At are names"), ("", "")])


def test_explain_names_the_rule_and_file(itn):
    trace = str(itn.explain("twenty five dollars"))
    assert "money" in trace and "money.forest" in trace


def fixture_accuracy(forest, folder: Path) -> tuple[float, dict[str, float]]:
    """Overall and per-class exact match (whitespace runs collapsed) over NeMo's test_cases_<class>.txt."""
    per_class, ok_all, n_all = {}, 0, 0
    for path in sorted(folder.glob("test_cases_*.txt")):
        pairs = [line.split("~")[:2] for line in path.read_text(encoding="utf-8").splitlines()]
        ok = sum(" ".join(forest.normalize(i).split()) == " ".join(e.split()) for i, e in pairs)
        per_class[path.stem[len("test_cases_"):]] = ok / len(pairs)
        ok_all += ok
        n_all += len(pairs)
    return ok_all / n_all, per_class


@pytest.mark.skipif(not (DATA / "itn").is_dir(), reason="NeMo fixtures (../shared/data/nemo-en) not present")
def test_nemo_itn_fixtures_meet_the_targets(itn):
    overall, per_class = fixture_accuracy(itn, DATA / "itn")
    assert len(per_class) == 11
    assert overall >= 0.99, overall                                   # measured 99.6% (target 95%)
    assert min(per_class.values()) >= 0.95, per_class                 # target 90% in every class
