"""What a process pays to start using the forest: loading a compiled grammar and normalizing ASCII text
imports neither the grammar compiler (lark) nor dataclasses/inspect, nor tempfile (only writes need it), nor
numpy (a decided class scores in plain Python), and compiles no CJK character class; the first non-ASCII word
compiles it once. Run in fresh processes."""
import json
import subprocess
import sys

CHILD = """
import json, sys
from edgekit.forest import load_forest
from edgekit.forest import tokenize
f = load_forest(sys.argv[1])
out = f.normalize(sys.argv[2])
print(json.dumps({"out": out, "cjk": tokenize._unspaced_split.cache_info().currsize > 0,
                  "loaded": sorted(m for m in ("lark", "dataclasses", "inspect", "tempfile", "numpy",
                                               "edgekit.forest.loader") if m in sys.modules)}))
"""


def _run(grammar: str, text: str) -> dict:
    load_forest_once = subprocess.run([sys.executable, "-c", "from edgekit.forest import load_forest; "
                                       f"load_forest({grammar!r})"], capture_output=True, text=True)
    assert load_forest_once.returncode == 0, load_forest_once.stderr  # the compile cache is warm after this
    got = subprocess.run([sys.executable, "-c", CHILD, grammar, text], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    return json.loads(got.stdout)


def test_a_cached_load_and_an_ascii_text_import_only_what_reading_needs():
    got = _run("en-itn", "it costs twenty dollars")
    assert got == {"out": "it costs $20", "cjk": False, "loaded": []}


def test_a_grammar_with_a_decided_class_loads_and_decides_without_numpy():
    got = _run("en-tn", "The FBI and NASA met at 5 pm.")
    assert got == {"out": "The F B I and NASA met at five PM.", "cjk": False, "loaded": []}


def test_the_cjk_pattern_is_compiled_for_the_first_word_that_needs_it():
    got = _run("zh-itn", "二零零八年八月八日")
    assert got["cjk"] is True and got["out"] == "2008/08/08" and got["loaded"] == []
