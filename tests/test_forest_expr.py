"""The expression language's limits and edge cases, through real grammars: each operator and builtin is
compiled to its own closure (fast paths for ints and strings), and these must say exactly what the general
rule says: the same values, the same refusals (number too large, string too long, division by zero)."""
from edgekit.forest.expr import MAX_DIGITS, MAX_STRING

DIGITS = "data n = /\\d+/\n"


def _error(f, text):
    return f.explain(text).nodes[0].error


def test_int_arithmetic_past_max_digits_is_refused(grammar):
    f = grammar(DIGITS + "rule r: <n:x> times\n  value int(x.surface) * int(x.surface)\n"
                "rule s: <n:x> plus\n  value int(x.surface) + int(x.surface)\n"
                "rule t: <n:x> minus\n  value 0 - int(x.surface) - int(x.surface)\n")
    half = "9" * (MAX_DIGITS // 2 + 2)
    assert f.normalize("12 times") == "144"
    assert "number too large" in _error(f, f"{half} times")
    assert f.normalize("12 plus") == "24" and f.normalize("12 minus") == "-24"
    near = "5" + "0" * MAX_DIGITS  # within the limit itself, twice it is not
    assert f.normalize(f"{near} times") == f"{near} times"
    assert "number too large" in _error(f, f"{near} plus")
    assert "number too large" in _error(f, f"{near} minus")


def test_string_concatenation_past_max_string_is_refused(grammar):
    f = grammar(DIGITS + "rule r: <n:x> twice\n  text x.surface + x.surface\n"
                "rule p: <n:x> padded\n  text pad(x, 3) + \"!\"\n")
    assert f.normalize("12 twice") == "1212"
    assert f.normalize("7 padded") == "007!"
    long = "1" * (MAX_STRING // 2 + 1)
    assert f.normalize(f"{long} twice") == f"{long} twice"  # the text clause failed: the input stays
    assert "string too long" in _error(f, f"{long} twice")


def test_integer_division_and_remainder(grammar):
    f = grammar(DIGITS + "rule q: <n:a> by <n:b>\n  value int(a) // int(b)\n"
                "rule m: <n:a> mod <n:b>\n  value int(a) % int(b)\n"
                "rule d: <n:a> over <n:b>\n  value int(a) / int(b)\n")
    assert [f.normalize(t) for t in ("7 by 2", "7 mod 2", "8 over 2", "7 over 2")] == ["3", "1", "4", "3.5"]
    for text in ("7 by 0", "7 mod 0", "7 over 0"):
        assert f.normalize(text) == text and "division by zero" in _error(f, text)


def test_comparisons_with_none_and_two_part_logic(grammar):
    f = grammar(DIGITS + "rule r: <n:a> [and <n:b>] end\n"
                "  text (\"one\" if b == none else \"two\") + \" \" + str(b != none) + \" \" + str(b or a)"
                " + \" \" + str(b and a) + \" \" + str(int(a) < 10)\n")
    assert f.normalize("5 end") == "one false 5  true"
    assert f.normalize("50 and 7 end") == "two true 7 50 false"


def test_numbers_spell_with_skipped_scales(grammar):
    words = "table w { " + "  ".join(f'{k}: "{v}"' for k, v in (
        (0, "zero"), (1, "one"), (2, "two"), (3, "three"), (5, "five"), (9, "nine"), (10, "ten"), (20, "twenty"),
        (100, "hundred"), (1000, "thousand"), (1000000, "million"), (1000000000, "billion"), ("and", "and"))) + " }\n"
    f = grammar(DIGITS + words + "rule r: <n:x> said\n  text spell(x, w, \"and\")\n")
    assert f.normalize("1000000003 said") == "one billion three"  # "and" only after a thousands group
    assert f.normalize("1002000 said") == "one million two thousand"
    assert f.normalize("2005009 said") == "two million five thousand and nine"
    assert f.normalize("120 said") == "one hundred and twenty"
    assert f.normalize("0 said") == "zero"
