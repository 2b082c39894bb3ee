"""The forest commands as a user runs them: real `edgekit` processes, stdin/files in, one record out per line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

EDGEKIT = [str(Path(sys.executable).with_name("edgekit"))]


def run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(EDGEKIT + args, input=stdin, capture_output=True, timeout=120)


def test_normalize_stdin_one_line_out_per_line_in():
    out = run(["normalize", "--grammar", "home"], b"switch on the lamp\n\n   \nhello World\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().split("\n")[:-1] == ["turn on the light", "", "", "hello World"]


def test_parse_file_gives_json_lines_with_reasons(tmp_path):
    out = run(["parse", "--grammar", "home", str(REPO / "examples" / "home_commands.txt")])
    assert out.returncode == 0, out.stderr
    records = [json.loads(l) for l in out.stdout.decode().splitlines()]
    assert [r["intent"] for r in records] == ["TurnOn", "SetBrightness", "StartTimer", None]
    assert records[1]["slots"]["level"]["value"] == 50
    assert "expected" in records[3]["reason"]


def test_invalid_utf8_line_is_named_and_not_lost():
    out = run(["normalize", "--grammar", "home"], b"switch on the lamp\nbad \xff byte lamp\nfan\n")
    assert out.returncode == 1
    assert "<stdin>:2: invalid UTF-8 at byte 4" in out.stderr.decode()
    lines = out.stdout.decode().split("\n")[:-1]
    assert lines == ["turn on the light", "bad \ufffd byte light", "fan"]


def test_jsonl_input_rewrites_the_field_and_reports_bad_records():
    data = b'{"id": 1, "text": "switch on the lamp"}\nnot json\n{"id": 3, "txt": "x"}\n'
    out = run(["normalize", "--grammar", "home", "--jsonl"], data)
    assert out.returncode == 1
    lines = out.stdout.decode().split("\n")[:-1]
    assert json.loads(lines[0]) == {"id": 1, "text": "turn on the light"}
    assert lines[1] == "not json" and lines[2] == '{"id": 3, "txt": "x"}'
    err = out.stderr.decode()
    assert "<stdin>:2: invalid JSON" in err and "<stdin>:3: expected a JSON object" in err


def test_explain_prints_a_tree_and_json():
    out = run(["explain", "--grammar", "home"], b"switch on the lamp\n")
    text = out.stdout.decode()
    assert "turn_on_cmd  [" in text and "main.forest:" in text and "intent=TurnOn" in text
    out = run(["explain", "--grammar", "home", "--json"], b"switch on the lamp\n")
    assert json.loads(out.stdout)["frame"]["intent"] == "TurnOn"


def test_compile_reports_grammar_errors_with_caret(tmp_path):
    bad = tmp_path / "main.forest"
    bad.write_text("lexicon d { a }\nrule r: <d> <missing>\n")
    out = run(["compile", str(bad)])
    assert out.returncode == 2
    err = out.stderr.decode()
    assert "main.forest:2:14: error: unknown reference <missing>" in err
    assert "rule r: <d> <missing>" in err and "Traceback" not in err


def test_compile_writes_a_loadable_artifact(tmp_path):
    out = run(["compile", "home", "-o", str(tmp_path / "home.forestc")])
    assert out.returncode == 0 and json.loads(out.stdout)["intents"] == 4
    out = run(["parse", "--grammar", str(tmp_path / "home.forestc")], b"switch on the fan\n")
    assert json.loads(out.stdout)["intent"] == "TurnOn"


def test_expand_lists_and_counts():
    out = run(["expand", "home", "device", "-n", "0"])
    assert "light" in out.stdout.decode().split("\n")
    count = int(run(["expand", "home", "device", "--count"]).stdout)
    assert count == len(out.stdout.decode().split("\n")[:-1])


def test_unknown_grammar_is_a_clean_error():
    out = run(["normalize", "--grammar", "klingon"], b"x\n")
    assert out.returncode == 2 and "no grammar 'klingon'" in out.stderr.decode()
    assert "Traceback" not in out.stderr.decode()


def test_example_script_runs():
    out = subprocess.run([sys.executable, str(REPO / "examples" / "parse_home_commands.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "SetBrightness(" in out.stdout and "not understood" in out.stdout
