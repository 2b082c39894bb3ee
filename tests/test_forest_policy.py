"""The documented ambiguity policy: fewest uncovered, then fewest symbols, then priority, then leftmost."""
from __future__ import annotations


def test_fewest_uncovered_beats_longest(grammar):
    # "a b c": covering all three ("a" + "b c") beats the longer "a b" that strands "c"
    f = grammar('rule ab: a b\n  text "AB"\nrule bc: b c\n  text "BC"\nrule a1: a\n  text "A"\n')
    assert f.normalize("a b c") == "A BC"


def test_fewest_symbols_beats_priority_when_both_covers_cover_everything(grammar):
    # "a b" is covered whole by ab (one symbol) or by a1 + b1 (two symbols, more total priority): the
    # fewer symbols win before priority is looked at
    f = grammar('rule ab: a b\n  text "AB"\nrule a1 priority 5: a\n  text "A"\nrule b1 priority 5: b\n  text "B"\n')
    assert f.normalize("a b") == "AB"
    assert f.normalize("x a b y") == "x AB y"


def test_fewest_symbols_means_longest_match(grammar):
    # every cover of "new york" covers both words: the one-entry cover beats the two-entry one
    f = grammar('lexicon place { NYC: "new york"  NEW: new  YORK: york }\n')
    assert f.normalize("new york") == "NYC"


def test_priority_breaks_ties_between_rules_on_one_span(grammar):
    f = grammar('rule low: bank\n  text "river bank"\nrule high priority 5: bank [account]\n  text "money bank"\n')
    assert f.normalize("bank") == "money bank"
    g = grammar('rule low priority 9: bank\n  text "river bank"\nrule high priority 5: bank [account]\n  text "money bank"\n')
    assert g.normalize("bank") == "river bank"


def test_identical_templates_are_refused(grammar):
    import pytest
    from edgekit.errors import GrammarError

    with pytest.raises(GrammarError, match="conflicting rule: high has the same template as low"):
        grammar('rule low: bank\nrule high priority 5: (bank)\n')


def test_declaration_order_breaks_equal_priority(grammar):
    f = grammar('lexicon first { one: uno }\nlexicon second { won: uno }\n')
    assert f.normalize("uno") == "one"


def test_leftmost_wins_between_equal_covers(grammar):
    f = grammar('rule ab: a b\n  text "AB"\nrule bc: b c\n  text "BC"\n')
    assert f.normalize("a b c") == "AB c"


def test_same_input_same_output_every_time(grammar):
    f = grammar('rule ab: a b\n  text "AB"\nrule bc: b c\n  text "BC"\n')
    outs = {f.normalize("a b c a b c") for _ in range(5)}
    assert outs == {"AB c AB c"}
