"""The .forest language: lexicons, values, data classes, tables, templates, frames, imports, expand."""
from __future__ import annotations

from decimal import Decimal

import pytest

NUMBERS = """
lexicon digit { zero = 0: oh  one = 1  two = 2  three = 3  four = 4  five = 5  six = 6 seven = 7 eight = 8 nine = 9 }
lexicon tens { twenty = 20  thirty = 30 }
rule under100: <tens:t> [<digit:u>] | <digit:u>
  value (t or 0) + (u or 0)
rule hundreds: <digit:h> hundred [and] [<under100:r>]
  value h * 100 + (r or 0)
"""


def test_lexicon_maps_variants_to_canonical_and_keeps_unknown_words(grammar):
    f = grammar('lexicon device { light: lamp | "ceiling light" | bulb  fan }')
    assert f.normalize("switch the Lamp and the ceiling light off") == "switch the light and the light off"
    assert f.normalize("Fan") == "Fan"  # a canonical form written as is keeps its case
    assert f.normalize("LAMP") == "light"
    assert f.normalize("nothing here") == "nothing here"


def test_values_computed_bottom_up_through_layers(grammar):
    f = grammar(NUMBERS)
    assert f.normalize("two hundred and thirty five") == "235"
    assert f.normalize("Twenty Three apples") == "23 apples"
    assert f.normalize("nine hundred") == "900"
    info = f.info()
    assert info["layers"] == 3


def test_text_clause_and_string_concatenation_and_decimals(grammar):
    f = grammar(NUMBERS + """
rule decimal: <under100:i> point <digit:d>+
  value dec(str(i) + "." + join(d))
  text str(value)
rule half: <under100:n> and a half
  value n + 1 / 2
""")
    assert f.normalize("twenty point five zero") == "20.5"
    assert f.normalize("three and a half") == "3.5"
    assert f.explain("three and a half").nodes[0].value == Decimal("3.5")


def test_data_regex_classes_are_protected_and_groups_readable(grammar):
    f = grammar(r"""
data email = /(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+/
data clock = /(?P<h>\d{1,2}):(?P<m>\d\d)/
rule mail_cmd: send mail to <email:to>
  intent SendMail
rule at_time: at <clock:c>
  value int(c.h) * 60 + int(c.m)
""")
    frame = f.parse("send mail to joe.bloggs@example.co.uk")
    assert frame.intent == "SendMail" and frame["to"] == "joe.bloggs@example.co.uk"
    assert f.explain("at 7:45").nodes[0].value == 465


def test_closed_list_from_file_and_tables(grammar):
    f = grammar({
        "main.forest": """
data city = list "lists/cities.txt"
table code { "new york": "NYC"  paris: "PAR" }
rule fly: fly to <city:c>
  value lookup(code, c)
  intent Fly
""",
        "lists/cities.txt": "# cities\nparis\nnew york: nyc | big apple\n",
    })
    frame = f.parse("fly to the big apple".replace("the ", ""))
    assert frame.intent == "Fly" and frame["c"] == "new york"
    assert f.normalize("Fly to NYC") == "NYC"


def test_frames_have_typed_slots_with_spans(grammar):
    f = grammar(NUMBERS + """
lexicon device { light: lamp }
rule set_level: set [the] <device:dev> to <under100:level> percent
  intent SetLevel
""")
    text = "please set the lamp to thirty five percent"
    assert f.parse(text) is None  # "please" is not covered by any rule
    frame = f.parse("set the lamp to thirty five percent")
    assert frame.intent == "SetLevel"
    assert frame["dev"] == "light" and frame["level"] == 35
    level = frame.slots["level"]
    assert "set the lamp to thirty five percent"[level.start:level.end] == "thirty five"
    assert level.type == "under100"


def test_repeat_captures_are_lists_and_bounds_respected(grammar):
    f = grammar("""
lexicon digit { one = 1  two = 2  three = 3 }
rule pin: pin <digit:d>{3}
  value join(d)
  intent Pin
""")
    assert f.parse("pin one two three")["d"] == [1, 2, 3]
    assert f.normalize("pin one two three") == "123"
    assert f.parse("pin one two") is None
    assert f.parse("pin one two three one") is None


def test_imports_share_one_namespace_and_load_in_place(grammar):
    f = grammar({
        "main.forest": 'import "sub/devices.forest"\nrule on: turn on <device:d>\n  intent On\n',
        "sub/devices.forest": 'lexicon device { light: lamp }\n',
    })
    assert f.parse("turn on lamp")["d"] == "light"


def test_cjk_is_tokenized_per_character(grammar):
    f = grammar('lexicon close { 关: 关闭 }\nlexicon prog { 程序: 软件 | 应用程序 }\nrule c: <close> [这 个] <prog>\n  intent CloseProgram\n')
    assert f.parse("关闭这个软件").intent == "CloseProgram"
    assert f.normalize("关闭应用程序") == "关程序"


def test_unit_subsumption_lets_higher_rules_see_wrapped_classes(grammar):
    f = grammar("""
lexicon digit { one = 1  two = 2 }
rule number: <digit:d>
  value d
rule pair: <digit:a> and <digit:b>
  value a * 10 + b
""")
    # `number` wraps both digits at layer 2, yet `pair` (layer 2 too? no: layer 2 as well) sees them
    assert f.normalize("one and two") == "12"


def test_expand_counts_follow_the_multiplication_rule(grammar):
    # DAHSF Figure 3: 5 layer-2 variants x 2 ways to say "close" x 3 ways to say "program" = 30
    f = grammar("""
lexicon close { 关: 关闭 }
lexicon prog { 程序: 软件 | 应用程序 }
rule close_program: <close> <prog> | <close> 当前 <prog> | <close> 这 1 个 <prog> | <close> 这 <prog> | <close> 这 个 <prog>
  intent CloseProgram
""")
    assert f.count("close_program") == 30
    phrasings = f.expand("close_program", limit=None)
    assert len(phrasings) == 30 == len(set(phrasings))
    for p in phrasings:
        assert f.parse(p.replace(" ", "")).intent == "CloseProgram"
    assert f.count("prog") == 3 and len(f.expand("close_program", limit=7)) == 7


def test_expand_with_optionals_and_repeats(grammar):
    f = grammar("lexicon d { a  b }\nrule r: x [y] <d>{1,2}\n")
    # (1 + 1) * (2 + 4) = 12
    assert f.count("r") == 12
    assert sorted(f.expand("r", None))[:3] == ["x a", "x a a", "x a b"]


def test_expand_unknown_rule_is_a_clear_error(grammar):
    from edgekit.errors import GrammarError

    f = grammar("lexicon d { a }\n")
    with pytest.raises(GrammarError, match="no rule or class named 'nope'"):
        f.expand("nope")


def test_explain_trace_names_rule_file_line_layer_span_value(grammar):
    f = grammar(NUMBERS)
    trace = f.explain("buy two hundred and five eggs")
    assert trace.output == "buy 205 eggs"
    node = trace.nodes[1]
    assert node.label == "hundreds" and node.layer == 3 and node.value == 205
    assert node.where.endswith("main.forest:6")
    assert (node.start, node.end) == (4, 24)
    labels = [c.label for c in node.children]
    # the lattice keeps the layer-1 digit beside under100's wrapping of it: hundreds reads the <digit> itself
    assert labels == ["digit:two", "token", "token", "under100"]
    rendered = str(trace)
    assert "hundreds  [" in rendered and "main.forest:6, layer 3" in rendered and "value=205" not in rendered
    assert trace.to_dict()["tree"][1]["value"] == 205


def test_rejection_says_how_far_parsing_got_and_what_was_expected(grammar):
    f = grammar('lexicon device { light: lamp  fan }\nrule on: turn on [the] <device:d>\n  intent On\n')
    trace = f.explain("turn on the toaster")
    assert trace.frame is None
    assert "matched 3 of the input's parts" in trace.rejection
    assert "'toaster'" in trace.rejection and "<device>" in trace.rejection
    assert "needs more" in f.explain("turn on").rejection
    frame, reason = f.parse_with_reason("turn on the toaster")
    assert frame is None and reason == trace.rejection
    frame, reason = f.parse_with_reason("turn on the lamp")
    assert frame.intent == "On" and reason is None
    assert grammar("lexicon d { a }\n").parse_with_reason("a") == (None, "no intent rule covers the input")


def test_value_errors_leave_text_and_are_traced(grammar):
    f = grammar("lexicon d { zero = 0  one = 1 }\nrule ratio: <d:a> over <d:b>\n  value a / b\n")
    assert f.normalize("one over zero") == "one over zero"
    assert "division by zero" in f.explain("one over zero").nodes[0].error
    assert f.normalize("zero over one") == "0"


def test_compiled_forest_round_trip(grammar, tmp_path):
    from edgekit.forest import load_forest

    f = grammar(NUMBERS)
    out = tmp_path / "numbers.forestc"
    f.save(out)
    g = load_forest(out)
    assert g.normalize("three hundred and twenty one") == "321"


def test_cache_is_reused_and_invalidated_by_edits(grammar):
    from edgekit.forest import load_forest

    f = grammar(NUMBERS, cache=True)
    assert f.normalize("two hundred") == "200"
    main = grammar.root / "main.forest"
    main.write_text(NUMBERS.replace("hundred [and]", "hundred [and] [plus]"), encoding="utf-8")
    g = load_forest(main)
    assert g.normalize("two hundred plus five") == "205"


def test_damaged_cache_entry_is_rebuilt(grammar, tmp_path):
    import os
    from edgekit.forest import load_forest

    grammar(NUMBERS, cache=True)
    cache = os.environ["EDGEKIT_CACHE"]
    for p in __import__("pathlib").Path(cache).glob("*.forestc"):
        p.write_bytes(p.read_bytes()[:100])
    assert load_forest(grammar.root / "main.forest").normalize("two hundred") == "200"


def test_shipped_grammars_are_found_by_name():
    from edgekit.forest import load_forest, shipped_grammars

    assert "home" in shipped_grammars()
    assert load_forest("home").parse("switch on the kitchen lamp").intent == "TurnOn"


def test_wildcard_slot_and_decimal_data_class(grammar):
    f = grammar(r"""
data decimal = /\d+\.\d+/
rule remind: remind me to <word:task>+
  intent Remind
rule temp: set temperature to <decimal:t>
  value dec(t)
  intent SetTemperature
""")
    frame = f.parse("remind me to buy oat milk")
    assert frame.intent == "Remind" and frame["task"] == ["buy", "oat", "milk"]
    assert frame.slots["task"].text == "buy oat milk"
    frame = f.parse("set temperature to 21.5")
    assert frame["t"] == "21.5" and f.explain("set temperature to 21.5").nodes[0].value == Decimal("21.5")


def test_after_places_a_rule_above_another_without_referencing_it(grammar):
    # `after` moves one_word a layer up; the lattice keeps every reading either way, so the reading that
    # covers everything ("one" + one_word over "two more") beats the longer pair that strands "more"
    src = 'lexicon d {{ one = 1  two = 2 }}\nrule pair: <d> <d>\n  text "PAIR"\nrule one_word{}: <d:x> more\n  value x\n'
    assert grammar(src.format("")).info()["layers"] == 2
    f = grammar(src.format(" after <pair>"))
    assert f.info()["layers"] == 3
    assert f.normalize("one two more") == "one 2"
    assert "PAIR more" in [r.output for r in f.explain("one two more").losing]
    assert f.normalize("two more") == "2"


def test_after_an_unknown_rule_or_a_cycle_is_an_error(grammar):
    from edgekit.errors import GrammarError

    with pytest.raises(GrammarError, match="unknown reference <nope>"):
        grammar("rule a after <nope>: x\n")
    with pytest.raises(GrammarError, match="cycle"):
        grammar("rule a after <b>: x\nrule b: y [<a>]\n")


def test_verbatim_lexicons_recognise_without_rewriting(grammar):
    f = grammar('lexicon unit verbatim { m = "m": meters | metres }\nlexicon d { two = 2 }\n'
                'rule measure: <d:n> <unit:u>\n  text str(n) + " " + u\n')
    assert f.normalize("two Meters") == "2 m"
    assert f.normalize("Meters away") == "Meters away"


def test_translate_maps_characters_before_anything_reads_the_input(grammar):
    f = grammar({"main.forest": 'translate "chars.txt"\nlexicon n { two: "2" }\nrule pair: <n:a> <n:b>\n  text "pair"',
                 "chars.txt": "# written read\nⅡ 2\nＴ t\n"})
    assert f.normalize("Ⅱ two") == "pair"  # the table's character is read as the lexicon's word
    assert f.normalize("ＴＴ") == "tt"  # characters no rule covers pass through as translated
    trace = f.explain("Ⅱ 2")
    assert (trace.input, trace.output) == ("Ⅱ 2", "pair")
    assert [(n.start, n.end) for n in trace.nodes] == [(0, 3)]  # spans count the characters as written


@pytest.mark.parametrize("table, message, line", [
    ("a bc\n", "two single characters", 1),
    ("a b\n\na c\n", "already translated to 'b'", 3),
    ("a\n", "two single characters", 1),
])
def test_a_bad_translate_file_is_named_by_file_and_line(grammar, table, message, line):
    from edgekit.errors import GrammarError

    with pytest.raises(GrammarError, match=message) as err:
        grammar({"main.forest": 'translate "t.txt"\nlexicon x { a }', "t.txt": table})
    assert f"t.txt:{line}:1" in str(err.value)


def test_editing_a_translate_file_recompiles_the_grammar(grammar):
    assert grammar({"main.forest": 'translate "t.txt"\nlexicon x { b }', "t.txt": "a b\n"}, cache=True).normalize("a") == "b"
    assert grammar({"t.txt": "a c\n"}, cache=True).normalize("a") == "c"


# ---- permutations, skip words, fixed slots and context rules (the features Home Assistant templates use) ----
HOME = """
class name runtime
class area runtime
skip please "could you"
rule turn_on: turn on (the <name:name>; in the <area:area>) | turn on [the] <name:name>
  intent TurnOn
  slot domain = "light"
  requires domain = "light" | "switch"
rule turn_off_here: turn off [the] lights
  intent TurnOff
  requires area slot area
rule open_cover: open [the] <name:name>
  intent OpenCover
  slot device_class = "garage", "door"
  requires domain = "cover"
  excludes device_class = "gate"
"""


def _home(grammar):
    from edgekit.forest import ListEntry

    f = grammar(HOME)
    f.set_list("name", [ListEntry("garage", "light.garage", {"domain": "light"}),
                        ListEntry("garage", "cover.garage", {"domain": "cover", "device_class": "garage"}),
                        ListEntry("gate", "cover.gate", {"domain": "cover", "device_class": "gate"})])
    f.set_list("area", ["kitchen", "garage"])
    return f


def test_permutation_reads_its_items_in_any_order(grammar):
    f = _home(grammar)
    for text in ("turn on the garage in the kitchen", "turn on in the kitchen the garage"):
        frame = f.parse(text)
        assert frame is not None and frame.intent == "TurnOn", text
        assert (frame["name"], frame["area"]) == ("light.garage", "kitchen")
    assert f.parse("turn on the garage the garage") is None  # each item once
    assert sorted(f.expand("turn_on", limit=None)) == sorted(
        ["turn on the <name> in the <area>", "turn on in the <area> the <name>", "turn on <name>", "turn on the <name>"])


def test_requires_and_excludes_pick_the_entry_whose_context_fits(grammar):
    f = _home(grammar)
    on, opened = f.parse("turn on the garage"), f.parse("open the garage")
    assert (on.intent, on["name"], on.context["domain"]) == ("TurnOn", "light.garage", "light")
    assert (opened.intent, opened["name"], opened["device_class"]) == ("OpenCover", "cover.garage", ["garage", "door"])
    assert f.parse("open the gate") is None  # excluded: a gate
    assert f.parse("turn on the gate") is None  # required: a light or a switch
    frame, reason = f.parse_with_reason("open the gate")
    assert frame is None and "requires / excludes" in reason


def test_fixed_slots_and_the_callers_context(grammar):
    f = _home(grammar)
    frame = f.parse("turn on the garage", context={"area": "kitchen"})
    assert frame["domain"] == "light" and frame.slots["domain"].type == "fixed"
    assert frame.context == {"area": "kitchen", "domain": "light"}
    assert f.parse("open the garage", context={"device_class": "gate"}) is not None  # the entry's context wins
    assert f.parse("turn on the kitchen", context={"domain": "light"}) is None  # no such name
    with pytest.raises(TypeError):
        f.parse("turn on the garage", context=["area"])
    assert f.parse("turn off the lights") is None  # needs the caller's area
    here = f.parse("turn off the lights", context={"area": {"value": "kitchen", "text": "Kitchen"}})
    assert here["area"] == "kitchen" and here.slots["area"].type == "context"
    assert f.explain("turn off the lights", context={"area": "kitchen"}).frame["area"] == "kitchen"
    assert "refuse the context" in f.explain("turn off the lights").rejection


def test_skip_words_are_read_around_and_spans_stay_in_the_text(grammar):
    f = _home(grammar)
    text = "could you please turn on please the garage please"
    frame = f.parse(text)
    assert frame is not None and frame["name"] == "light.garage"
    slot = frame.slots["name"]
    assert text[slot.start:slot.end] == "garage"
    assert f.parse("please") is None
    assert f.parse("could turn on the garage") is None  # a phrase is skipped whole, never a word of it
    assert f.explain(text).frame == frame  # explain's frame is parse's


def test_context_rules_and_skip_words_survive_the_compiled_file(grammar, tmp_path):
    from edgekit.forest import ListEntry, load_forest

    out = tmp_path / "home.forestc"
    _home(grammar).save(out)
    g = load_forest(out)
    g.set_list("name", [ListEntry("gate", "cover.gate", {"domain": "cover", "device_class": "gate"}),
                        ListEntry("garage", "light.garage", {"domain": "light"})])
    assert g.parse("open the gate") is None
    assert g.parse("please turn on the garage")["domain"] == "light"


def test_cut_parts_read_compounds_and_elisions_as_separate_words(grammar):
    from edgekit.forest import ListEntry

    f = grammar("""
class area runtime
cut before temperatuur
cut after "l'"
rule temp: wat is de <area:area> temperatuur
  intent Temp
rule status: état de "l'" <area:area>
  intent Status
rule whole: kamertemperatuur
  intent Whole
""")
    f.set_list("area", ["woonkamer", "entrée", "keukentemperatuur"])
    frame = f.parse("wat is de woonkamertemperatuur")
    text = "wat is de woonkamertemperatuur"
    assert frame["area"] == "woonkamer" and text[frame.slots["area"].start:frame.slots["area"].end] == "woonkamer"
    assert f.parse("wat is de woonkamer temperatuur")["area"] == "woonkamer"
    assert f.parse("état de l'entrée")["area"] == "entrée"
    assert f.parse("kamertemperatuur").intent == "Whole"  # a literal is cut as the input is
    assert f.normalize("de woonkamertemperatuur") == "de woonkamertemperatuur"  # the text stays as written
    assert f.parse("wat is de temperatuur") is None  # nothing left before the part: no cut


def test_a_cut_inside_a_character_that_casefolds_longer_keeps_the_text_as_written(grammar):
    f = grammar("cut before s\nrule close: schließ alle tore\n  intent Close\nlexicon x { da }\n")
    assert f.parse("Schließ alle Tore").intent == "Close"  # "schliess" is cut as the literal was
    assert f.parse("schliess alle tore").intent == "Close"
    assert f.normalize("Schließ das") == "Schließ das"


def test_a_lexicon_entry_may_have_a_list_as_its_value(grammar, tmp_path):
    from edgekit.forest import load_forest

    f = grammar('lexicon kind { blinds = ["blind", "shade"]: shades  door = "door" }\n'
                'rule open: open the <kind:k>\n  intent Open\n')
    assert f.parse("open the shades")["k"] == ["blind", "shade"]
    assert f.parse("open the door")["k"] == "door"
    f.save(tmp_path / "k.forestc")
    assert load_forest(tmp_path / "k.forestc").parse("open the blinds")["k"] == ["blind", "shade"]
