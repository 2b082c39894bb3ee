"""The plain `edgekit normalize` runs without typer (cli/quick.py) and answers exactly as the typer app does."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.cli.quick import PlainNormalize, read_plain_normalize

HEAVY = ("numpy", "scipy", "onnx", "onnxruntime", "typer", "pydantic")


def _cli(entry: str, args: list, stdin: bytes, cwd) -> subprocess.CompletedProcess:
    """A fresh interpreter running the console entry point (main) or the typer app itself (app)."""
    code = f"from edgekit.cli import {entry}; {entry}()"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], input=stdin, capture_output=True,
                          cwd=cwd, timeout=120)


def test_normalize_from_the_console_entry_imports_no_numpy_scipy_onnx_or_typer(tmp_path):
    code = ("import atexit, json, sys\n"
            f"heavy = {HEAVY!r}\n"
            "atexit.register(lambda: sys.stderr.write(json.dumps(sorted(\n"
            "    m for m in sys.modules if m.split('.')[0] in heavy))))\n"
            "sys.argv = ['edgekit', 'normalize', '--grammar', 'zh-itn']\n"
            "from edgekit.cli import main\n"
            "main()\n")
    out = subprocess.run([sys.executable, "-c", code], input="二零零八年八月八日\n".encode(), capture_output=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode() == "2008/08/08\n"
    assert json.loads(out.stderr.decode().splitlines()[-1]) == []


@pytest.mark.parametrize("case", ["stdin", "file and --grammar=", "jsonl field", "bad record", "unknown grammar"])
def test_the_quick_path_answers_as_the_typer_app(tmp_path, case):
    (tmp_path / "in.txt").write_bytes("三点半\n".encode() + b"bad \xff\n" + "五G网络\n".encode())
    (tmp_path / "in.jsonl").write_text(json.dumps({"t": "一百二十八块五", "id": 1}) + "\nnot json\n")
    args, stdin, status = {  # a bad record (bad UTF-8, bad JSON) is passed on and makes the status 1
        "stdin": (["normalize", "-g", "zh-itn"], "明天早上八点半开会\n".encode(), 0),
        "file and --grammar=": (["normalize", "--grammar=zh-itn", tmp_path / "in.txt"], b"", 1),
        "jsonl field": (["normalize", "--jsonl", "--field=t", "--grammar", "zh-itn", tmp_path / "in.jsonl"], b"", 1),
        "bad record": (["normalize", "--grammar", "zh-itn"], b"\xff\xfe\n", 1),
        "unknown grammar": (["normalize", "--grammar", "klingon"], b"x\n", 2),
    }[case]
    assert read_plain_normalize([str(a) for a in args]) is not None
    quick, typer_app = _cli("main", args, stdin, tmp_path), _cli("app", args, stdin, tmp_path)
    assert (quick.returncode, quick.stdout, quick.stderr) == (typer_app.returncode, typer_app.stdout,
                                                              typer_app.stderr)
    assert quick.returncode == status


def test_reading_the_plain_form():
    assert read_plain_normalize(["normalize"]) == PlainNormalize()
    got = read_plain_normalize(["normalize", "a.txt", "-g", "zh-tn", "--jsonl", "--field=body", "b"])
    assert got == PlainNormalize(files=(Path("a.txt"), Path("b")), grammar="zh-tn", jsonl=True, field="body")


@pytest.mark.parametrize("argv", [
    [], ["parse"], ["normalize", "--help"], ["normalize", "-j", "2"], ["normalize", "-o", "out"],
    ["normalize", "-g"], ["normalize", "--grammar="], ["normalize", "-g", "a", "-g", "b"], ["normalize", "--"],
    ["normalize", "-"], ["normalize", ""], ["normalize", "-gzh-itn"], ["normalize", "--jsonl", "--jsonl"],
    ["normalize", "--grammar", "--jsonl"], ["normalize", "--jsonl=1"], ["--version"],
])
def test_everything_else_goes_to_typer(argv):
    assert read_plain_normalize(argv) is None
