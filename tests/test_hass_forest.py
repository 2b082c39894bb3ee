"""Home Assistant data written as a .forest grammar set (edgekit hass to-forest) and run by the forest engine."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.errors import DataError
from edgekit.forest import load_forest
from edgekit.hass import Recognizer, compile_language, load_home, load_language
from edgekit.hass.to_forest import to_forest, write_forest
from test_hass import HOME, write_lang

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "hass"


@pytest.fixture(scope="module")
def forest(tmp_path_factory):
    root = tmp_path_factory.mktemp("haf")
    export = write_forest(load_language(write_lang(root)), root / "grammar")
    f = load_forest(root / "grammar", cache=False)
    for name, entries in HOME.items():
        f.set_list(name, entries)
    f.export = export
    return f


def slots(frame) -> dict:
    return {k: s.value for k, s in frame.slots.items()}


def test_glued_word_parts_are_spelled_out_as_whole_words(forest):
    for text in ("turn on the kitchen lights", "turn on kitchen light"):
        frame = forest.parse(text)
        assert (frame.intent, slots(frame)) == ("TurnOn", {"area": "kitchen", "domain": "light"}), text
    assert forest.parse("Helligkeit von Desk").intent == "TurnOn"
    assert forest.parse("die Helligkeit von Desk").intent == "TurnOn"
    assert forest.parse("turn on kitchen lightss") is None


def test_permutations_context_rules_lists_ranges_and_wildcards(forest):
    assert slots(forest.parse("Garage turn on")) == {"name": "fan.garage"}  # (turn on;<name>) requires a fan
    assert forest.parse("turn on desk") is None  # the switch is neither a light nor a fan
    assert forest.parse("die Helligkeit von kitchen lamp") is None  # excludes a light
    assert slots(forest.parse("make it crimson")) == {"color": "red"}
    assert slots(forest.parse("set desk to 40 percent")) == {"name": "switch.desk", "brightness": 40}
    assert slots(forest.parse("heat to 21.5 degrees")) == {"temperature": 21.5}  # halves ("xx" has no number words)
    assert forest.parse("set desk to 101") is None
    assert slots(forest.parse("set desk to 05 percent")) == {"name": "switch.desk", "brightness": 5}  # as a number
    assert slots(forest.parse("please make it blue")) == {"color": "blue"}  # a skip word
    assert forest.parse("lights here") is None
    here = forest.parse("lights here", context={"area": "garage"})
    assert slots(here) == {"area": "garage"} and here.context == {"area": "garage"}
    assert slots(forest.parse("paint blue now")) == {"color": "blue"}  # a block's own expansion rule
    assert forest.parse("paint blue later").intent == "Other"


def test_text_glued_to_a_list_becomes_a_cut_and_what_cannot_be_said_is_counted(forest):
    export = forest.export
    # "état de l'{area}" and "what's <area>['s] status": the glued pieces are cut off input words
    assert "\ncut before \"'s\"\n" in export.text and "\ncut after \"l'\"\n" in export.text
    assert slots(forest.parse("état de l'entrée")) == {"area": "entree"}
    assert slots(forest.parse("what's the garage's status")) == {"area": "garage"}
    assert slots(forest.parse("what's garage status")) == {"area": "garage"}
    # "{name} aç": an intent name outside the .forest language's names
    assert export.left_out == {"template: an intent, slot or context name that is not a forest name": 1}
    assert export.exported == export.templates - 1
    assert export.text.startswith("# written by edgekit hass to-forest (xx): ")


def test_the_shipped_example_reads_as_the_hass_recognizer_reads_it():
    lang = load_language(EXAMPLE / "sentences" / "en")
    rec = Recognizer(compile_language(lang))
    home = load_home(EXAMPLE / "home.json")
    f = load_forest_from(to_forest(lang).text)
    for name, entries in home.items():
        if name in rec.runtime_lists:
            rec.set_list(name, entries)
        if name in f.runtime_classes:
            f.set_list(name, entries)
    commands = [c for c in (EXAMPLE / "commands.txt").read_text(encoding="utf-8").splitlines() if c.strip()]
    from edgekit.forest.frame import jsonable

    for text in commands:  # intent and every slot alike, "no intent" alike (the name/area collision included)
        want = rec.parse(text, {"area": "kitchen"})
        got = f.parse(text, context={"area": "kitchen"})
        assert (got and (got.intent, {k: jsonable(s.value) for k, s in got.slots.items()})) == \
            (want and (want[0].intent, want[0].slot_values())) or (got is None and not want), text


def load_forest_from(text: str):
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="edgekit-haf-"))
    (folder / "main.forest").write_text(text, encoding="utf-8")
    return load_forest(folder, cache=False)


def test_a_main_forest_it_did_not_write_is_never_replaced(tmp_path):
    lang = load_language(EXAMPLE / "sentences" / "en")
    mine = tmp_path / "main.forest"
    mine.write_text("rule x: hello\n  intent Hi\n", encoding="utf-8")
    with pytest.raises(DataError, match="not written by edgekit hass to-forest"):
        write_forest(lang, tmp_path)
    assert mine.read_text(encoding="utf-8") == "rule x: hello\n  intent Hi\n"
    out = tmp_path / "again"
    write_forest(lang, out)
    write_forest(lang, out)  # its own file: rewritten


def test_cli_to_forest_writes_a_grammar_the_forest_cli_parses(tmp_path):
    exe = [str(Path(sys.executable).with_name("edgekit"))]
    proc = subprocess.run(exe + ["hass", "to-forest", str(EXAMPLE / "sentences" / "en"), "-o", str(tmp_path / "g")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "16 of 16 templates" in proc.stderr
    bad = subprocess.run(exe + ["hass", "to-forest", str(tmp_path / "missing"), "-o", str(tmp_path / "h")],
                         capture_output=True, text=True)
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    f = load_forest(tmp_path / "g", cache=False)
    assert f.parse("turn on the lights", context={"area": "kitchen"}).intent == "HassTurnOn"


def test_the_readme_forest_commands_run_as_written(tmp_path):
    """The README's to-forest lines on the shipped example, run in a temporary folder: the grammar is written,
    and the forest engine reads "turn on garage" as the cover named Garage, with the home file's lists."""
    import shlex

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    lines = [line.split("  #")[0].strip() for line in readme.splitlines() if "example-forest/" in line
             and ("edgekit hass to-forest" in line or "edgekit parse" in line)]
    assert len(lines) == 2
    exe = str(Path(sys.executable).with_name("edgekit"))
    for line in lines:
        stdin = b""
        if line.startswith("echo "):
            said, line = line.split(" | ", 1)
            stdin = shlex.split(said)[1].encode() + b"\n"
        args = [(REPO / a).as_posix() if a.startswith("examples/") else a for a in shlex.split(line)[1:]]
        r = subprocess.run([exe] + args, input=stdin, capture_output=True, cwd=tmp_path, timeout=120)
        assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.decode())
    assert out["intent"] == "HassTurnOn" and out["slots"]["name"]["value"] == "Garage"
    assert out["context"]["domain"] == "cover"


def test_forest_parse_refuses_a_bad_context_or_home_file_in_one_line(tmp_path):
    exe = str(Path(sys.executable).with_name("edgekit"))
    write_forest(load_language(EXAMPLE / "sentences" / "en"), tmp_path / "g")
    (tmp_path / "home.json").write_text('{"areas": [{"name": "Kitchen"}], "entities": [{"name": "x"}]}', encoding="utf-8")
    for extra, said in ((["--context", "[1]"], b"--context must be a JSON object"),
                        (["--lists", str(tmp_path / "nope.json")], b"nope.json"),
                        (["--lists", str(tmp_path / "home.json")], b"entities[0]")):
        r = subprocess.run([exe, "parse", "-g", str(tmp_path / "g"), *extra], input=b"turn on garage\n",
                           capture_output=True, timeout=120)
        assert r.returncode != 0 and said in r.stderr and b"Traceback" not in r.stderr, r.stderr
