"""`edgekit hass import` / `edgekit hass parse` as a user runs them: real processes, JSON Lines out,
clear one-line errors for bad input, no file overwritten that edgekit did not write."""
from __future__ import annotations

import json
import shlex
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


def test_the_readme_example_runs_as_written(tmp_path):
    """The README's two commands on the shipped example (examples/hass), with its paths made absolute and the
    compiled file written to a temporary folder: every command gets the intent the example is written for."""
    repo = Path(__file__).resolve().parents[1]
    readme = (repo / "README.md").read_text(encoding="utf-8")
    lines = [line.split("  #")[0].strip() for line in readme.splitlines()
             if line.startswith("edgekit hass ") and "example" in line and "to-forest" not in line]
    assert [line.split()[2] for line in lines] == ["import", "parse"]
    compiled = tmp_path / "example.hass.json"
    for line in lines:
        args = [compiled.as_posix() if a == "example.hass.json" else
                (repo / a).as_posix() if a.startswith("examples/") else a for a in shlex.split(line)[1:]]
        r = run(args)
        assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [o["intent"] for o in out] == ["HassTurnOn", "HassTurnOff", "HassLightSet", "HassLightSet", "HassTurnOn",
                                          "HassClimateSetTemperature", "HassShoppingListAddItem", "HassTurnOn", None,
                                          None]
    assert out[0]["slots"] == {"area": "Kitchen", "domain": "light"}   # "please" is a skip word
    assert out[3]["slots"] == {"name": "Ceiling Light", "color": "red"}  # a list value's `in` template
    assert out[4]["slots"] == {"name": "Garage"} and out[4]["context"]["domain"] == "cover"  # name over area
    assert out[5]["slots"] == {"area": "Kitchen", "temperature": 21.5}
    assert out[6]["slots"] == {"item": "oat milk"}  # a wildcard
    assert out[7]["slots"] == {"domain": "light", "area": "Kitchen"}  # required context copied into a slot
    assert "open" in out[8]["reason"] and "unmatched" not in out[8]
    assert out[9]["unmatched"] == {"name": "oven"} and out[9]["near"]["intent"] == "HassTurnOn"
    assert "no name 'oven'" in out[9]["reason"]
