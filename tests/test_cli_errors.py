"""The CLI under a user's mistakes and a hostile environment: one `edgekit: ...` line and exit 2 (or an
error record and exit 1 for one bad record), never a traceback; JSON Lines read and written safely."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgekit.cli import app

runner = CliRunner()
EDGEKIT = str(Path(sys.executable).with_name("edgekit"))
DEEP = "[" * 1100
BIG_INT = '{"text": ' + "1" * 5000 + "}"
SURROGATE = '{"text": "one \\ud800 two"}'


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def proc(args, stdin=b"", **kw) -> subprocess.CompletedProcess:
    return subprocess.run([EDGEKIT, *map(str, args)], input=stdin, capture_output=True, timeout=120, **kw)


def one_line_error(result, code=2, fragment=""):
    err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode("utf-8", "replace")
    code_seen = result.exit_code if hasattr(result, "exit_code") else result.returncode
    assert code_seen == code, err
    assert "Traceback" not in err and err.startswith("edgekit: "), err
    assert fragment in err, err
    return err


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("model")
    data = d / "train.jsonl"
    data.write_text('{"text": "turn on the light", "label": "on"}\n{"text": "play music", "label": "music"}\n')
    assert run("learn", d / "m.state", "--data", data, "--features", 64).exit_code == 0
    return d / "m.state"


@pytest.fixture(scope="module")
def pipe(tmp_path_factory) -> Path:
    from edgekit.pipeline import Pipeline

    d = tmp_path_factory.mktemp("pipe") / "p"
    Pipeline("home", "en-itn", seed_per_intent=4, n_features=64).save(d)
    return d


def commands(model: Path, pipe: Path) -> dict[str, list]:
    return {"parse": ["parse"], "explain": ["explain", "--json"], "normalize": ["normalize"], "predict": ["predict", model],
            "ask": ["ask", pipe], "pipeline ask": ["pipeline", "ask", pipe]}


@pytest.mark.parametrize("name", ["parse", "explain", "normalize", "predict", "ask", "pipeline ask"])
def test_missing_file_or_folder_is_one_line(name, model, pipe, tmp_path):
    base = commands(model, pipe)[name]
    one_line_error(run(*base, tmp_path / "missing.txt"), 2, "missing.txt")
    (tmp_path / "folder").mkdir()
    if name != "normalize":  # normalize reads folders (every file inside)
        one_line_error(run(*base, tmp_path / "folder"), 2, "is a folder")


def test_output_to_a_file_or_an_impossible_place(tmp_path):
    (tmp_path / "in.txt").write_text("turn on the light\n")
    (tmp_path / "existing").write_text("keep me")
    one_line_error(run("normalize", tmp_path / "in.txt", "-o", tmp_path / "existing"), 2, "is a file")
    assert (tmp_path / "existing").read_text() == "keep me"
    one_line_error(run("normalize", tmp_path / "in.txt", "-o", "/proc/nope"), 2, "/proc/nope")


def test_full_disk_and_closed_streams_are_one_line(tmp_path):
    (tmp_path / "in.txt").write_text("turn on the light\n")
    with open("/dev/full", "wb") as full:
        out = subprocess.run([EDGEKIT, "parse", str(tmp_path / "in.txt")], stdout=full, stderr=subprocess.PIPE,
                             timeout=120)
    one_line_error(out, 2, "standard output: No space left on device")
    out = subprocess.run([EDGEKIT, "parse", str(tmp_path / "in.txt")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, timeout=120, pass_fds=(), preexec_fn=lambda: os.close(1))
    one_line_error(out, 2, "standard output: closed")
    out = subprocess.run([EDGEKIT, "parse"], stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                         timeout=120, preexec_fn=lambda: os.close(0))
    one_line_error(out, 2, "standard input: closed")


@pytest.mark.parametrize("line,reason", [(DEEP, "nested too deeply"), (BIG_INT, "a number with more than 4300 digits"),
                                         ('{"text": "x", "v": NaN}', "NaN is not a JSON value")])
def test_hostile_json_lines_are_error_records(line, reason, model, pipe, tmp_path):
    good = '{"text": "turn on the light"}'
    lines = f"{good}\n{line}\n{good}\n"
    for name, base in commands(model, pipe).items():
        out = run(*base, "--jsonl", input=lines)
        assert out.exit_code == 1, (name, out.output)
        assert f"<stdin>:2: invalid JSON ({reason}" in out.stderr and "Traceback" not in out.stderr, name
        assert len(out.stdout.splitlines()) == 3, name  # one output line per input line
    (tmp_path / "in.jsonl").write_text(lines)
    out = run("normalize", "--jsonl", tmp_path / "in.jsonl", "-o", tmp_path / "job")
    assert out.exit_code == 1 and "1 bad record" in out.stderr
    assert len((tmp_path / "job" / "in.jsonl").read_text().splitlines()) == 3
    (tmp_path / "train.jsonl").write_text('{"text": "a", "label": "x"}\n' + line.replace('"text"', '"label"') + "\n")
    out = run("learn", tmp_path / "new.state", "--data", tmp_path / "train.jsonl")
    one_line_error(out, 2, "train.jsonl:2: invalid JSON")
    out = run("predict", model, input=DEEP + "\n")  # a text model reads it as text: a prediction
    assert out.exit_code == 0 and json.loads(out.stdout)["label"] in ("on", "music")


def test_vector_model_refuses_a_deep_array_per_line(tmp_path):
    (tmp_path / "v.jsonl").write_text('{"features": [1, 0], "label": "a"}\n{"features": [0, 1], "label": "b"}\n')
    assert run("learn", tmp_path / "v.state", "--data", tmp_path / "v.jsonl").exit_code == 0
    out = run("predict", tmp_path / "v.state", input=f"[1, 0]\n{DEEP}\n[{'9' * 5000}]\n")
    assert out.exit_code == 1 and "Traceback" not in out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert records[0]["label"] == "a" and records[1]["error"] and records[2]["error"]


def test_lone_surrogate_is_written_as_an_escape(model, pipe):
    for name, base in commands(model, pipe).items():
        out = proc([*base, "--jsonl"], (SURROGATE + "\n").encode())
        assert out.returncode == 0 and b"Traceback" not in out.stderr, (name, out.stderr)
        record = json.loads(out.stdout)
        if name != "predict":
            assert "\ud800" in json.dumps(record, ensure_ascii=False) or "\ud800" in str(record), name
    out = proc(["explain", "--jsonl"], (SURROGATE + "\n").encode())
    assert out.returncode == 0 and b"\\ud800" in out.stdout


def test_non_utf8_arguments_teach_and_forget(pipe, tmp_path):
    import shutil

    d = tmp_path / "p"
    shutil.copytree(pipe, d)
    text = b"brew me a caf\xff"
    out = subprocess.run([os.fsencode(EDGEKIT), b"teach", os.fsencode(d), text, b"-i", b"MakeCoffee"],
                         capture_output=True, timeout=120)
    assert out.returncode == 0 and b"Traceback" not in out.stderr, out.stderr
    out = subprocess.run([os.fsencode(EDGEKIT), b"pipeline", b"forget", os.fsencode(d), text], capture_output=True,
                         timeout=120)
    assert out.returncode == 0 and b"was MakeCoffee" in out.stderr, out.stderr


def test_job_with_a_non_utf8_file_name_and_a_bad_record_finishes_and_resumes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    name = os.fsdecode(b"caf\xe9.txt")
    (src / name).write_bytes(b"turn on the light\n\xff bad\n")
    out = proc(["normalize", src, "-o", tmp_path / "out"])
    assert out.returncode == 1 and b"Traceback" not in out.stderr, out.stderr
    errors = [json.loads(line) for line in (tmp_path / "out" / "_errors.jsonl").read_text().splitlines()]
    assert errors[0]["line"] == 2 and errors[0]["file"].endswith("caf\udce9.txt")
    again = proc(["normalize", src, "-o", tmp_path / "out", "--resume"])
    assert again.returncode == 1 and b"Traceback" not in again.stderr and b"1 bad record" in again.stderr


def test_json_lines_split_only_at_line_feeds(tmp_path):
    text = "a\u2028b\u0085c\rd"
    line = json.dumps({"text": text, "label": "x"}, ensure_ascii=False)
    out = run("parse", "--jsonl", input=line + "\n")
    assert out.exit_code == 0 and json.loads(out.stdout)["text"] == text
    (tmp_path / "t.jsonl").write_text(line + "\n" + json.dumps({"text": "other", "label": "y"}) + "\n",
                                      encoding="utf-8")
    out = run("learn", tmp_path / "m.state", "--data", tmp_path / "t.jsonl")
    assert out.exit_code == 0 and "learned 2 records" in out.stderr, out.output


def test_a_line_at_the_limit_is_accepted_with_either_ending(tmp_path):
    from edgekit.limits import MAX_LINE_BYTES

    line = b"a" * MAX_LINE_BYTES
    for ending in (b"\n", b"\r\n"):
        data = line + ending + b"one\n"
        out = proc(["normalize", "-g", "home"], data)
        assert out.returncode == 0 and out.stdout.splitlines()[1] == b"1", (ending, out.stderr[:200])
        out = proc(["normalize", "-g", "home"], b"a" + data)
        assert out.returncode == 1 and b"longer than the limit" in out.stderr
        head = b'{"text": "lights on", "label": "on", "pad": "'
        record = head + b"p" * (MAX_LINE_BYTES - len(head) - 2) + b'"}'
        (tmp_path / "t.jsonl").write_bytes(record + ending + b'{"text": "music", "label": "m"}' + ending)
        out = run("learn", tmp_path / f"m{len(ending)}.state", "--data", tmp_path / "t.jsonl")
        assert out.exit_code == 0, out.output


def test_flags_have_no_value_and_version_is_printed():
    out = run("parse", "--help")
    assert "<bool>" not in out.stdout and "--jsonl" in out.stdout
    assert "<bool>" not in run("pipeline", "ask", "--help").stdout
    out = run("--version")
    from edgekit import __version__

    assert out.exit_code == 0 and out.stdout.strip() == f"edgekit {__version__}"


def test_learn_refuses_new_model_options_for_an_existing_model(model, tmp_path):
    data = tmp_path / "more.jsonl"
    data.write_text('{"text": "lights off", "label": "off"}\n')
    before = model.read_bytes()
    for option in (["--features", "32"], ["--grammar", "home"]):
        out = run("learn", model, "--data", data, *option)
        one_line_error(out, 2, f"{option[0]} applies to new models only")
    assert model.read_bytes() == before


def test_forget_says_record_in_the_singular(tmp_path):
    data = tmp_path / "t.jsonl"
    data.write_text('{"text": "lights on", "label": "on"}\n{"text": "music", "label": "m"}\n')
    assert run("learn", tmp_path / "m.state", "--data", data).exit_code == 0
    one = tmp_path / "one.jsonl"
    one.write_text('{"text": "lights on", "label": "on"}\n')
    out = run("forget", tmp_path / "m.state", "--data", one)
    assert out.exit_code == 0 and "forgot 1 record of" in out.stderr, out.stderr


def test_ask_slot_spans_point_into_the_input_as_parse_does(pipe):
    text = "please set the kitchen light to fifty percent"
    asked = json.loads(run("ask", pipe, input=text + "\n").stdout)
    parsed = json.loads(run("parse", input=text + "\n").stdout)
    assert asked["normalized"] != text
    for name, slot in asked["slots"].items():
        assert slot["span"] == parsed["slots"][name]["span"], name
    start, end = asked["slots"]["level"]["span"]
    assert text[start:end] == "fifty percent"


def test_ask_gives_an_error_record_for_a_text_too_long_for_the_head(tmp_path):
    from edgekit.limits import MAX_LINE_BYTES, MAX_TEXT_CHARS
    from edgekit.pipeline import Pipeline

    Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64).save(tmp_path / "p")
    long = "a" * (MAX_TEXT_CHARS + 1)  # one long word: cheap for the grammar, too long for the head
    assert MAX_TEXT_CHARS < len(long) < MAX_LINE_BYTES
    (tmp_path / "in.txt").write_text(f"turn on the light\n{long}\nbrew me a coffee\n")
    out = run("ask", tmp_path / "p", tmp_path / "in.txt")
    assert out.exit_code == 1 and "in.txt:2:" in out.stderr
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(records) == 3 and records[0]["intent"] == "TurnOn" and records[1]["error"]
    assert "error" not in records[2]


def test_workers_end_quietly_when_the_parent_is_killed(tmp_path):
    import signal
    import time

    big = tmp_path / "big.txt"
    big.write_text("switch on the kitchen lamp and set it to fifty percent\n" * 60000)
    with open(tmp_path / "err.txt", "wb") as err:
        parent = subprocess.Popen([EDGEKIT, "normalize", "-j", "2", "--block-size", "4096", str(big)],
                                  stdout=subprocess.PIPE, stderr=err)
        assert parent.stdout.read(4096)  # the workers are running; the parent now blocks on the full pipe
        time.sleep(0.5)
        parent.send_signal(signal.SIGKILL)
        parent.wait(60)
        parent.stdout.close()  # the workers' results now have nowhere to go
        time.sleep(3)
    text = (tmp_path / "err.txt").read_text(errors="replace")
    assert "Traceback" not in text and "BrokenPipeError" not in text, text[:2000]
