"""`edgekit hass import` / `edgekit hass parse` as a user runs them: real processes, JSON Lines out,
clear one-line errors for bad input, no file overwritten that edgekit did not write."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("yaml")
from test_hass import write_lang  # noqa: E402

EDGEKIT = [str(Path(sys.executable).with_name("edgekit"))]


def run(args: list[str], stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(EDGEKIT + args, input=stdin, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hasscli")
    folder = write_lang(root)
    out = root / "xx.hass.json"
    r = run(["hass", "import", str(folder), "-o", str(out)])
    assert r.returncode == 0, r.stderr
    home = {"areas": [{"name": "Kitchen", "id": "kitchen"}, {"name": "Garage", "id": "garage"}],
            "entities": [{"name": "(Desk|Table) Lamp", "id": "light.desk"}, {"name": "Garage", "id": "fan.garage"}]}
    (root / "home.json").write_text(json.dumps(home))
    return out


def test_parse_json_lines_with_lists_and_context(compiled):
    home = compiled.parent / "home.json"
    r = run(["hass", "parse", str(compiled), "--lists", str(home)],
            b"turn on the kitchen lights\nturn on table lamp\nlights here\nnonsense words\n")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert lines[0]["intent"] == "TurnOn" and lines[0]["slots"] == {"area": "Kitchen", "domain": "light"}
    assert "xx_intents.yaml:" in lines[0]["where"]
    assert lines[1]["slots"] == {"name": "Table Lamp"} and lines[1]["context"] == {"domain": "light"}
    assert lines[2]["intent"] is None and lines[3]["intent"] is None and "nonsense" in lines[3]["reason"]
    r = run(["hass", "parse", str(compiled), "--lists", str(home), "--context", '{"area": "Kitchen"}'],
            b"lights here\n")
    assert json.loads(r.stdout)["slots"] == {"area": "Kitchen"}
    r = run(["hass", "parse", str(compiled), "--lists", str(home), "--jsonl"],
            b'{"text": "lights here", "context": {"area": "Garage"}}\n')
    assert json.loads(r.stdout)["slots"] == {"area": "Garage"}


def test_bad_inputs_are_one_line_errors(compiled, tmp_path):
    r = run(["hass", "parse", str(compiled), "--context", "{nope"], b"x\n")
    assert r.returncode == 2 and b"--context is not JSON" in r.stderr and b"Traceback" not in r.stderr
    bad_home = tmp_path / "home.json"
    bad_home.write_text('{"entities": [{"name": "x", "id": "nodomain"}]}')
    r = run(["hass", "parse", str(compiled), "--lists", str(bad_home)], b"x\n")
    assert r.returncode == 2 and b"entities[0]" in r.stderr and b"Traceback" not in r.stderr
    r = run(["hass", "parse", str(tmp_path / "missing.json")], b"x\n")
    assert r.returncode == 2 and b"Traceback" not in r.stderr
    not_ours = tmp_path / "notes.txt"
    not_ours.write_text("keep me")
    r = run(["hass", "import", str(tmp_path), "-o", str(not_ours)])
    assert r.returncode == 2 and not_ours.read_text() == "keep me"
    folder = write_lang(tmp_path / "bad")
    (folder / "zz.yaml").write_text("language: xx\nintents: {X: {data: [{sentences: ['(a|b']}]}}\n")
    r = run(["hass", "import", str(folder), "-o", str(tmp_path / "out.json")])
    assert r.returncode == 2 and b"zz.yaml:2" in r.stderr and b"Traceback" not in r.stderr
