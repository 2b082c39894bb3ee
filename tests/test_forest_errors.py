"""Every grammar error class is refused with file:line:col, the offending line and a caret."""
from __future__ import annotations

import os

import pytest

from edgekit.errors import GrammarError


def _error(grammar, files) -> GrammarError:
    with pytest.raises(GrammarError) as info:
        grammar(files)
    return info.value


def _assert_points(err: GrammarError, line: int, col: int, fragment: str) -> None:
    text = str(err)
    assert f":{line}:{col}: error:" in text, text
    src, caret = text.splitlines()[1:3]
    assert fragment in src
    assert caret.index("^") - 4 == col - 1, text


def test_syntax_error_points_at_the_token(grammar):
    err = _error(grammar, "lexicon device {\n  light: lamp |\n}\n")
    assert "syntax error" in str(err)
    _assert_points(err, 3, 1, "}")


def test_unterminated_file(grammar):
    err = _error(grammar, "rule x: a b\n  value (1 +\n")
    assert "unexpected end of file" in str(err)


def test_keyword_in_template_gets_a_hint(grammar):
    err = _error(grammar, "rule x: set the value to high\n")
    assert "quote it" in str(err)


def test_unknown_reference(grammar):
    err = _error(grammar, "lexicon device { light }\nrule on: turn on <devise>\n")
    assert "unknown reference <devise>" in str(err)
    _assert_points(err, 2, 19, "<devise>")


def test_cycle_between_rules(grammar):
    err = _error(grammar, "rule a: x <b>\nrule b: y <a>\n")
    assert "cycle" in str(err) and "a -> b -> a" in str(err)


def test_self_reference_is_a_cycle(grammar):
    err = _error(grammar, "rule a: x [<a>]\n")
    assert "cycle: a -> a" in str(err)


def test_duplicate_definition(grammar):
    err = _error(grammar, "lexicon device { light }\nlexicon device { fan }\n")
    assert "duplicate definition of 'device'" in str(err)
    _assert_points(err, 2, 9, "lexicon device")


def test_builtin_names_cannot_be_redefined(grammar):
    assert "builtin" in str(_error(grammar, "lexicon word { a }\n"))


def test_conflicting_lexicon_entries(grammar):
    err = _error(grammar, "lexicon d {\n  one = 1: won\n  two = 2: won\n}\n")
    assert "conflicting entry: 'won' is already a variant of 'one'" in str(err)
    _assert_points(err, 3, 3, "two = 2")


def test_duplicate_lexicon_entry(grammar):
    assert "duplicate entry" in str(_error(grammar, "lexicon d {\n  one: uno\n  one: uno\n}\n"))


def test_unknown_name_in_expression(grammar):
    err = _error(grammar, "lexicon d { one = 1 }\nrule r: <d:x> more\n  value y + 1\n")
    assert "unknown name 'y'" in str(err) and "captures: x" in str(err)
    _assert_points(err, 3, 3, "value y + 1")


def test_unknown_function(grammar):
    err = _error(grammar, "rule r: a\n  value system(1)\n")
    assert "unknown function system()" in str(err)


def test_bad_regex_and_empty_matching_regex(grammar):
    assert "invalid regular expression" in str(_error(grammar, "data x = /(ab/\n"))
    assert "matches the empty string" in str(_error(grammar, "data x = /a*/\n"))


def test_repeat_bounds(grammar):
    assert "repeat bounds" in str(_error(grammar, "rule r: a{3,2}\n"))
    assert "repeat bounds" in str(_error(grammar, "rule r: a{100}\n"))


@pytest.mark.parametrize("path", ["../outside.forest", "/etc/passwd", "sub/../../outside.forest", "~/x.forest"])
def test_imports_cannot_escape_the_grammar_set(grammar, path):
    (grammar.root.parent / "outside.forest").write_text("lexicon o { out }\n")
    err = _error(grammar, {"main.forest": f'import "{path}"\n', "sub/x.forest": ""})
    assert "grammar set" in str(err)
    _assert_points(err, 1, 8, "import")


def test_symlink_escape_is_refused(grammar, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "evil.forest"
    outside.write_text("lexicon evil { evil }\n")
    os.symlink(outside, grammar.root / "link.forest")
    err = _error(grammar, 'import "link.forest"\n')
    assert "escapes the grammar set" in str(err)


def test_import_inside_the_set_via_dotdot_is_fine(grammar):
    f = grammar({"main.forest": 'import "a/b.forest"\n', "a/b.forest": 'import "../c.forest"\n',
                 "c.forest": "lexicon c { see: sea }\n"})
    assert f.normalize("sea") == "see"


def test_missing_import(grammar):
    assert "does not exist" in str(_error(grammar, 'import "nope.forest"\n'))


def test_invalid_utf8_grammar_names_the_line(grammar):
    (grammar.root / "main.forest").write_bytes(b"lexicon a { b }\nlexicon c { \xff }\n")
    from edgekit.forest import load_forest

    with pytest.raises(GrammarError, match=r"main.forest:2:1: error: invalid UTF-8"):
        load_forest(grammar.root / "main.forest", cache=False)


def test_unknown_grammar_name():
    from edgekit.forest import load_forest

    with pytest.raises(GrammarError, match="no grammar 'nonexistent'.*home"):
        load_forest("nonexistent")


def test_context_clauses_need_an_intent_and_one_clause_a_key(grammar):
    err = _error(grammar, 'class name runtime\nrule x: on <name:name>\n  requires domain = "light"\n')
    assert "no intent" in str(err)
    _assert_points(err, 2, 6, "rule x")
    err = _error(grammar, 'class name runtime\nrule x: on <name:name>\n  intent On\n  slot a = 1\n  slot a = 2\n')
    assert "two slot clauses for a" in str(err)
    _assert_points(err, 5, 8, "slot a = 2")


def test_permutation_of_too_many_items(grammar):
    err = _error(grammar, "rule x: (a; b; c; d; e; f; g)\n  intent X\n")
    assert "permutation of 7 items" in str(err)
    _assert_points(err, 1, 9, "(a; b")


def test_a_cut_part_is_one_piece_of_a_word(grammar):
    err = _error(grammar, 'cut before "two words"\nrule x: a\n  intent X\n')
    assert "a cut part is one piece of a word" in str(err)
    _assert_points(err, 1, 12, '"two words"')
