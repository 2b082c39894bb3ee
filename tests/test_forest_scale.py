"""Scale and bounds of the forest engine (issue 11): big lexicons are compact in the compiled forest and read
without the parser's per-token work (same result, same errors), oversized automata are refused before any is
built, and every cache stays under its limit however many distinct tokens go through."""
from __future__ import annotations

import re

import pytest

from edgekit import limits
from edgekit.errors import GrammarError
from edgekit.forest import automaton, digest, loader, load_forest
from edgekit.forest.forest import resolve_grammar, shipped_grammars
from edgekit.forest.lexicon_body import SKIP_COMMENT, SKIP_WS
from edgekit.forest.model import Alt, Lit, Opt, Rep, Seq

N_BIG = 20_000


def _alpha(k: int) -> str:
    out = []
    for _ in range(4):
        k, r = divmod(k, 26)
        out.append("abcdefghijklmnopqrstuvwxyz"[r])
    return "".join(out)


def _big_lexicon(n: int) -> str:
    entries = "\n".join(f"  item{_alpha(k)} = {k}" for k in range(n))
    return f"lexicon big {{\n{entries}\n}}\nrule pick: pick <big:b>\n  value b\n  intent Pick\n"


@pytest.fixture
def parser_only(monkeypatch):
    """Turn the fast lexicon body reader off, so every file goes through the parser as written."""
    def load(path):
        with monkeypatch.context() as m:
            m.setattr(loader, "read_bodies", lambda text, parser: [])
            return loader.load_grammar_set(path)
    return load


# ---- big lexicons ----------------------------------------------------------------------------------------
def test_big_lexicon_compiles_loads_from_cache_and_matches(grammar):
    forest = grammar(_big_lexicon(N_BIG), cache=True)
    art = forest.compiled
    assert len(art.lexicons) == 1 and len(art.lexicons[0].canonical) == N_BIG
    assert all(m.kind != "entry" for m in art.matchers)  # no Matcher per entry in the compiled forest
    cached = load_forest(grammar.root / "main.forest")  # from the compile cache
    assert cached.info()["lexicon_entries"] == N_BIG
    last = f"item{_alpha(N_BIG - 1)}"
    for f in (forest, cached):
        assert f.parse(f"pick {last}").slots["b"].value == N_BIG - 1
        assert f.normalize(f"pick itemaaaa and {last.upper()}") == f"0 and {last.upper()}"
    node = cached.explain(f"pick {last}").nodes[0].children[1]
    assert (node.label, node.kind) == (f"big:{last}", "entry") and node.where.endswith(f"/main.forest:{N_BIG + 1}")
    assert cached.expand("big", 3) == ["itemaaaa", "itembaaa", "itemcaaa"]


def test_duplicate_and_conflicting_entries_in_a_big_lexicon_point_to_them(grammar):
    entries = [f"  item{_alpha(k)}" for k in range(5000)]
    entries[4500] = "  other : item" + _alpha(9)
    with pytest.raises(GrammarError) as err:
        grammar("lexicon big {\n" + "\n".join(entries) + "\n}\n")
    assert f"/main.forest:4502:3: error: conflicting entry: 'item{_alpha(9)}' is already a variant of " \
           f"'item{_alpha(9)}' in lexicon big (" in str(err.value) and "/main.forest:11)" in str(err.value)
    entries[4500] = "  other"
    entries[4000] = "  item" + _alpha(7)
    with pytest.raises(GrammarError) as err:
        grammar("lexicon big {\n" + "\n".join(entries) + "\n}\n")
    assert f"/main.forest:4002:3: error: duplicate entry: 'item{_alpha(7)}' is already a variant of " \
           f"'item{_alpha(7)}' in lexicon big (" in str(err.value) and "/main.forest:9)" in str(err.value)


TRICKY = '''# bodies with every entry form the grammar allows
lexicon words priority 3 verbatim {
  café don't caf_é "two words" : "deux mots" | zwei# a comment right after a token
  rule value lexicon priority   # keywords are names inside a body
  neg = - # a comment between the sign and the number
     12 : negative|minus
  dec=2.50:"two and a half"
  "quoted \\"canonical\\"" = "a value" : quoted
  北京 : 北京市 | "Beijing"
  M&M
}
lexicon empty { }
rule r: <words>
data n = /[0-9]+/
lexicon second {
  alpha : "A" | a2 |
    b_2
}
'''


@pytest.mark.parametrize("name", shipped_grammars())
def test_fast_body_reader_reads_every_shipped_grammar_as_the_parser_does(name, parser_only):
    path = resolve_grammar(name)
    fast, parsed = loader.load_grammar_set(path), parser_only(path)
    assert fast.lexicons == parsed.lexicons and fast.rules == parsed.rules and fast.data == parsed.data


def test_fast_body_reader_reads_every_entry_form_as_the_parser_does(tmp_path, parser_only):
    (tmp_path / "main.forest").write_text(TRICKY.replace("  M&M\n", ""), encoding="utf-8")
    fast, parsed = loader.load_grammar_set(tmp_path / "main.forest"), parser_only(tmp_path / "main.forest")
    assert fast.lexicons == parsed.lexicons and fast.rules == parsed.rules
    words = {e.canonical: e for e in fast.lexicons[0].entries}
    assert words["neg"].value == -12 and words["dec"].value == "2.50" and words["neg"].variants[1:] == [
        ["negative"], ["minus"]]
    assert words["two words"].variants == [["two", "words"], ["deux", "mots"], ["zwei"]]
    assert (words["neg"].where.line, words["neg"].where.col) == (5, 3)
    assert [len(lx.entries) for lx in fast.lexicons] == [12, 0, 1]


@pytest.mark.parametrize("bad", ["  M&M\n", "  x = y\n", '  ""\n', "  x : \n", "  1x\n", "  x = 1" + "0" * 500 + "\n"])
def test_errors_in_a_lexicon_body_are_the_parsers_own(tmp_path, parser_only, bad):
    text = TRICKY.replace("  M&M\n", bad)
    (tmp_path / "main.forest").write_text(text, encoding="utf-8")
    with pytest.raises(GrammarError) as fast:
        load_forest(tmp_path / "main.forest", cache=False)
    with pytest.raises(GrammarError) as parsed:
        parser_only(tmp_path / "main.forest")
    assert str(fast.value) == str(parsed.value) and re.search(r"main\.forest:1[01]:\d+: error", str(fast.value))


def test_fast_body_reader_skips_what_the_parser_skips():
    parser = loader._parser()
    assert parser.get_terminal("WS").pattern.to_regexp() == f"(?:{SKIP_WS})+"
    assert parser.get_terminal("COMMENT").pattern.to_regexp() == SKIP_COMMENT


# ---- automata refused before they are built -----------------------------------------------------------------
def test_nested_repeats_are_refused_with_their_position_before_any_automaton_is_built(grammar, monkeypatch):
    built = []
    original = automaton.PositionsBuilder._build
    monkeypatch.setattr(automaton.PositionsBuilder, "_build",
                        lambda self, node, *a: built.append(node) or original(self, node, *a))
    with pytest.raises(GrammarError) as err:
        grammar("lexicon a { a }\nrule r: ((((a{1,64}){1,64}){1,64}){1,64})\n")
    assert "/main.forest:2:6: error: rule r: automaton too large: more than " \
           f"{limits.MAX_AUTOMATON_POSITIONS} automaton positions" in str(err.value)
    assert built == []


def test_too_many_transitions_are_refused_before_any_automaton_is_built(grammar, monkeypatch):
    built = []
    original = automaton.PositionsBuilder._build
    monkeypatch.setattr(automaton.PositionsBuilder, "_build",
                        lambda self, node, *a: built.append(node) or original(self, node, *a))
    with pytest.raises(GrammarError) as err:  # under the position limit, far over the transition one
        grammar("lexicon a { a b c d e f g h }\nrule r: ((a|b|c|d|e|f|g|h){0,64}){0,64}\n")
    assert "/main.forest:2:6: error: rule r: automaton too large: more than " \
           f"{limits.MAX_AUTOMATON_TRANSITIONS} automaton transitions" in str(err.value)
    assert built == []


@pytest.mark.parametrize("name", shipped_grammars())
def test_transitions_are_counted_exactly_before_building(name):
    rules = [m for m in load_forest(name).compiled.matchers if m.kind == "rule"]
    extra = [Rep(Alt((Lit("a"), Opt(Lit("b")))), 2, 5), Rep(Seq((Opt(Lit("a")), Lit("b"))), 0, None),
             Rep(Rep(Lit("a"), 1, None), 3, None)]
    for template in [m.template for m in rules] + extra:
        builder = automaton.PositionsBuilder()
        builder.add(template, 0, lambda node: 0)
        _nullable, first, _last, links = automaton.template_links(template)
        assert builder.transitions == links + first


# ---- bounded caches -----------------------------------------------------------------------------------------
def test_limits_are_the_enforced_ones():
    from edgekit.forest import decider

    assert digest.MAX_TOKEN_CACHE == limits.MAX_TOKEN_CACHE and automaton.MAX_TYPESETS == limits.MAX_TYPESETS
    assert digest.MAX_LAYER_PLANS == limits.MAX_LAYER_PLANS and automaton.MAX_PATH_CACHE == limits.MAX_PATH_CACHE
    assert automaton.MAX_DFA_STATES == limits.MAX_DFA_STATES
    assert decider._hash64.cache_info().maxsize == limits.MAX_DECIDER_CACHE


def test_caches_stay_under_their_limits_and_results_survive_their_cuts(grammar, monkeypatch):
    monkeypatch.setattr(digest, "MAX_TOKEN_CACHE", 300)
    monkeypatch.setattr(digest, "MAX_LAYER_PLANS", 6)
    monkeypatch.setattr(automaton, "MAX_TYPESETS", 40)
    monkeypatch.setattr(automaton, "MAX_DFA_STATES", 20)
    cuts = []
    bound = automaton.TypesetTable.bound
    monkeypatch.setattr(automaton.TypesetTable, "bound", lambda self: cuts.append(bound(self)) or cuts[-1])
    words = [f"w{_alpha(k)}" for k in range(200)]  # each a literal of its own, so a typeset of its own
    forest = grammar(f"lexicon on {{ on }}\nrule r: <on> ({' | '.join(words)})\n  text \"ON\"\n"
                     f"rule s: <r> <r>\n  text \"TWICE\"\n")
    d = forest._digester
    for batch in range(40):
        triples = [(words[(batch * 7 + k) % 200], f"q{_alpha(batch * 150 + k)}") for k in range(150)]
        assert forest.normalize(" ".join(f"on {w} {q}" for w, q in triples)) == " ".join(f"ON {q}" for _w, q in triples)
        assert forest.normalize("on wbaaa on wcaaa") == "TWICE"  # begins by bounding every cache
        assert len(d._tok_ts) <= 300 and len(d._plans) <= 6
        assert len(d.typesets.sets) <= d.typesets.permanent + 40 + 4
        for layer in d.layers:
            assert len(layer.relevant) <= len(d.typesets.sets) and len(layer.dfa) <= 20 + 10
    assert any(cuts)


@pytest.mark.parametrize("name, text", [("en-itn", "twenty five dollars and thirty cents on may fourth"),
                                        ("en-tn", "It costs $25.30 on 12/05/2021 at 3:45pm."),
                                        ("zh-itn", "二零零八年八月八日花了三百五十块钱"), ("home", "turn on the kitchen lamp")])
def test_a_digested_text_leaves_no_reference_cycle_behind(name, text):
    """Everything a normalize, parse or explain made is freed by reference counting alone, so digesting
    text never feeds the cycle collector (whose passes would grow with the loaded grammar)."""
    import gc

    forest = load_forest(name)
    forest.normalize(text)  # the first digestion fills the caches, which stay
    gc.collect()
    gc.disable()
    try:
        forest.normalize(text)
        forest.parse(text)
        forest.parse(text, n=3)
        forest.explain(text)
        assert gc.collect() == 0
    finally:
        gc.enable()
