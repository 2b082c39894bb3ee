"""Grammar files written to break the loader (issue 15): huge numbers, deep nesting, long names, escapes that
change the output's shape, regex flags the prefilter must honour, oversized resources. Each is a GrammarError
at file:line:col, or the documented behaviour, never another exception."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from edgekit import limits
from edgekit.errors import GrammarError


def _error(grammar, files) -> GrammarError:
    with pytest.raises(GrammarError) as info:
        grammar(files)
    return info.value


def _at(err: GrammarError, line: int, col: int | None = None) -> None:
    assert err.file is not None and err.file.endswith("main.forest"), str(err)
    assert err.line == line and (col is None or err.col == col), str(err)


# ---- numbers past every limit ----------------------------------------------------------------------
def test_a_400_digit_priority_is_a_grammar_error(grammar):
    err = _error(grammar, "rule r priority " + "9" * 400 + ": a\n")
    _at(err, 1, 17)
    assert "priority" in err.message


def test_a_400_digit_repeat_bound_is_a_grammar_error(grammar):
    err = _error(grammar, "rule r: a{1," + "9" * 400 + "}\n")
    _at(err, 1)
    assert "repeat bounds" in err.message


@pytest.mark.parametrize("text,line", [
    ("rule r: a\n  value " + "9" * 5000 + "\n", 2),
    ("lexicon n { big = " + "9" * 5000 + " }\n", 1),
    ("table t { a: " + "9" * 5000 + " }\n", 1),
])
def test_a_5000_digit_number_literal_is_a_grammar_error(grammar, text, line):
    err = _error(grammar, text)
    _at(err, line)
    assert "digits" in err.message


# ---- nesting ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "rule r: a\n  value " + "(" * 200 + "1" + ")" * 200 + "\n",
    "rule r: a\n  value " + "+".join(["1"] * 1000) + "\n",
    "rule r: a\n  value " + "-" * 1000 + "1\n",
    "rule r: a " + "(" * 200 + "b" + ")" * 200 + "\n",
    "rule r: a " + "[" * 200 + "b" + "]" * 200 + "\n",
])
def test_deep_nesting_is_a_grammar_error(grammar, text):
    err = _error(grammar, text)
    assert "nested" in err.message and str(limits.MAX_NESTING) in err.message
    assert err.line in (1, 2)


def test_nesting_at_the_limit_compiles(grammar):
    depth = limits.MAX_NESTING // 4
    f = grammar("rule r: a " + "(" * depth + "b" + ")" * depth + "\n  value " + "(" * depth + "1" + ")" * depth
                + " + " + " + ".join(["1"] * depth) + "\n  text str(value)\n")
    assert f.normalize("a b") == str(depth + 1)


# ---- names -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("stmt", ['import "{}.forest"', 'data d = list "{}.txt"'])
def test_a_300_character_file_name_is_a_grammar_error(grammar, stmt):
    err = _error(grammar, "lexicon a { b }\n" + stmt.format("a" * 300) + "\n")
    _at(err, 2)
    assert "does not exist" in err.message or "too long" in err.message


# ---- expand ----------------------------------------------------------------------------------------
def _edgekit(*args: str) -> subprocess.CompletedProcess:
    exe = os.path.join(os.path.dirname(sys.executable), "edgekit")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)


def test_expand_count_past_4300_digits(grammar):
    # ten words, up to 64 of them, repeated up to 64 times: about 10**4100 phrasings per level, two levels
    grammar("lexicon d { zero one two three four five six seven eight nine }\n"
            "rule many: <d>{1,64}\nrule more: <many>{1,64}\nrule most: <more> <more>\n")
    res = _edgekit("expand", str(grammar.root / "main.forest"), "most", "--count")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    out = res.stdout.strip()
    assert out == "at least 10^100", out


def test_count_is_exact_below_the_cap(grammar):
    f = grammar("lexicon d { zero one two three four five six seven eight nine }\nrule two_digits: <d> <d>\n"
                "rule some: <d>{1,3}\n")
    assert f.count("two_digits") == 100
    assert f.count("some") == 10 + 100 + 1000


def test_expand_negative_limit_is_a_usage_error(grammar):
    grammar("lexicon d { zero one }\n")
    res = _edgekit("expand", str(grammar.root / "main.forest"), "d", "--limit", "-1")
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr and "--limit" in res.stderr


# ---- values that fail at run time ------------------------------------------------------------------
def test_a_comparison_that_fails_leaves_the_text_as_it_was(grammar):
    f = grammar("rule cmp: cmp <word:w>\n  value 1 if w.text > 5 else 2\n  text str(value)\n")
    assert f.normalize("cmp nan") == "cmp nan"
    assert f.parse("cmp nan") is None or f.parse("cmp nan").text == "cmp nan"
    trace = f.explain("cmp nan")
    assert trace.output == "cmp nan" and "nan" in str(trace)


@pytest.mark.parametrize("expr", ['dec("1e-300000000")', 'dec("1e-300000000") * 1', 'dec("nan") + 1',
                                  'dec("-Infinity")', 'pad(dec("1e-9000"), 3)'])
@pytest.mark.parametrize("text_clause", ["", "\n  text str(value)"])
def test_decimals_never_render_past_the_string_limit(grammar, expr, text_clause):
    f = grammar(f"rule r: go\n  value {expr}{text_clause}\n")
    out = f.normalize("go")
    assert out == "go", out[:80]
    assert "value" in str(f.explain("go"))


# ---- strings and words -----------------------------------------------------------------------------
def test_an_accented_bare_variant_is_one_word(grammar):
    f = grammar("lexicon drink { coffee: café tea }\n")
    assert f.normalize("café") == "coffee"
    assert f.normalize("caf") == "caf" and f.normalize("é") == "é"


@pytest.mark.parametrize("text,line", [
    ('lexicon x { "a\\nb": go }\n', 1),
    ('lexicon x {\n  go = "a\u0085b"\n}\n', 2),
    ('rule r: go\n  text "one\\ntwo"\n', 2),
    ('table t { a: "x\u2028y" }\n', 1),
])
def test_a_line_break_in_a_grammar_string_is_a_grammar_error(grammar, text, line):
    err = _error(grammar, text)
    _at(err, line)
    assert "line break" in err.message


def test_a_bom_at_the_start_of_a_grammar_file_is_ignored(grammar):
    (grammar.root / "words.txt").write_bytes("\ufeffkitchen\nhall\n".encode())
    f = grammar({"main.forest": "\ufefflexicon d { lamp: lampe }\ndata room = list \"words.txt\"\n"
                                "rule r: <d> in the <room:r>\n  text \"light \" + r.text\n"})
    assert f.normalize("lampe in the kitchen") == "light kitchen"
    err = _error(grammar, {"main.forest": "\ufeffrule r: (\n"})
    _at(err, 1)


# ---- the regex prefilter honours scoped flags and case folds ---------------------------------------
@pytest.mark.parametrize("pattern,text", [("(?i:ⓐ)", "Ⓐ"), ("(?i)ⓐ", "Ⓐ"), ("x(?i:ⅰ)", "xⅠ"),
                                          ("(?i:\u0345)", "\u03b9")])
def test_the_prefilter_never_skips_a_regex_that_matches(grammar, pattern, text):
    import re

    assert re.search(pattern, text)
    f = grammar(f"data sym = /{pattern}/\nrule r: <sym>\n  text \"HIT\"\n")
    assert f.normalize(text) == "HIT"


# ---- syntax error messages -------------------------------------------------------------------------
def test_a_missing_brace_names_the_open_brace(grammar):
    err = _error(grammar, "lexicon x { a: b\n\nrule r: <x>\n  text \"A\"\n")
    assert "'{' opened at line 1, column 11 is still open" in err.message, str(err)
    err = _error(grammar, "rule r: a (b | c\nrule s: d\n")
    assert "'(' opened at line 1, column 11 is still open" in err.message, str(err)
    err = _error(grammar, "lexicon x { a: b } }\n")  # closed: no word of it
    assert "still open" not in err.message, str(err)


def test_syntax_errors_never_show_internal_token_names(grammar):
    import re

    for text in ["rule r: a\n  value 1 )\n", "rule r: a\n  value 1 2\n", "rule r: a\n  value (1\n",
                 "rule r: a {2 x}\n", "rule r: <a b>\n", "data d = 5\n", "lexicon x { a: b } }\n"]:
        msg = _error(grammar, text).message
        assert not re.search(r"__anon|\b[A-Z]{3,}\b|'[a-z]+_[a-z_]+'|'(compare|slash|dslash|percent)'",
                             msg), msg


def test_an_empty_grammar_is_a_grammar_error(grammar):
    for text in ["", "# only a comment\n", "table t { a: 1 }\n"]:
        err = _error(grammar, text)
        _at(err, 1, 1)
        assert "nothing to match" in err.message


# ---- resources -------------------------------------------------------------------------------------
def test_list_files_count_toward_the_grammar_set_limit(grammar):
    third = limits.MAX_GRAMMAR_BYTES // 3 + 1
    (grammar.root / "c.txt").write_text("# " + "x" * third + "\nword\n")
    lists = "".join(f'data c{i} = list "c.txt"\n' for i in range(4))
    err = _error(grammar, {"main.forest": lists})
    assert str(limits.MAX_GRAMMAR_BYTES) in err.message
    _at(err, 3)


def _peak_rss_mb(code: str, cwd) -> float:
    """Run code in a fresh interpreter and return its peak resident memory in MB (VmHWM: getrusage's
    ru_maxrss would carry over this test process's own peak through fork and exec)."""
    script = code + ("\nimport json\nprint(json.dumps([int(l.split()[1]) for l in open('/proc/self/status')"
                     " if l.startswith('VmHWM:')][0]))")
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=cwd,
                         env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1]) / 1024


def test_an_oversized_file_is_refused_before_it_is_read(grammar):
    big = grammar.root / "big.txt"
    with open(big, "wb") as fh:  # sparse: 512 MiB on paper, no disk used
        fh.truncate(512 * 2**20)
    (grammar.root / "main.forest").write_text('data d = list "big.txt"\n')
    peak = _peak_rss_mb(
        "from edgekit.forest import load_forest\nfrom edgekit.errors import GrammarError\n"
        "try:\n    load_forest(%r, cache=False)\n    raise SystemExit('loaded')\n"
        "except GrammarError as exc:\n    assert str(%d) in str(exc), str(exc)\n" % (str(grammar.root / "main.forest"),
                                                                                limits.MAX_GRAMMAR_BYTES),
        grammar.root)
    assert peak < 300, peak


def test_the_cache_key_reads_only_the_files_the_grammar_reads(grammar):
    from edgekit.forest.artifact import cache_dir

    grammar({"main.forest": "lexicon l { a: b }\n"}, cache=True)
    entries = sorted(cache_dir().iterdir())
    notes = grammar.root / "notes.txt"
    with open(notes, "wb") as fh:  # an unreferenced, huge file beside the grammar
        fh.truncate(512 * 2**20)
    main = str(grammar.root / "main.forest")
    # run from this process's folder: the working folder is part of the cache key (files are named from it)
    peak = _peak_rss_mb(f"from edgekit.forest import load_forest\nassert load_forest({main!r}).normalize('b') == 'a'\n",
                        os.getcwd())
    assert peak < 300, peak
    assert sorted(cache_dir().iterdir()) == entries  # a cache hit: the unreferenced file is not part of the key


def test_two_grammars_importing_files_of_any_name_never_share_a_cache_entry(tmp_path, monkeypatch):
    from edgekit.forest import load_forest

    monkeypatch.setenv("EDGEKIT_CACHE", str(tmp_path / "cache"))
    for name, word in (("one", "alpha"), ("two", "beta")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "main.forest").write_text('import "x.grm"\n', encoding="utf-8")
        (folder / "x.grm").write_text(f"lexicon w {{ {word}: b }}\n", encoding="utf-8")
    assert load_forest(tmp_path / "one").normalize("b") == "alpha"
    assert load_forest(tmp_path / "two").normalize("b") == "beta"
    (tmp_path / "one" / "x.grm").write_text("lexicon w { gamma: b }\n", encoding="utf-8")
    assert load_forest(tmp_path / "one").normalize("b") == "gamma"  # an edited import is never served stale
    assert load_forest(tmp_path / "one").compiled.read == ()  # local paths stay in the cache


def test_a_grammar_compiled_in_another_folder_still_names_its_files_from_here(tmp_path, monkeypatch):
    from edgekit.forest import load_forest
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "main.forest").write_text('lexicon l { yes: "y" }\n', encoding="utf-8")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    load_forest(tmp_path / "g" / "main.forest")           # compiled and cached from another folder
    monkeypatch.chdir(tmp_path)
    trace = load_forest(tmp_path / "g" / "main.forest").explain("y")
    assert "[g/main.forest:1" in str(trace), str(trace)
