"""The single-file binary, built with binary/build.sh and run from a folder outside the source tree with
a clean environment: it normalizes, parses, learns, exports and predicts (onnxruntime), runs pipelines
and worker processes. Building takes a minute or two, so this is opt-in:

    EDGEKIT_TEST_BINARY=1 python -m pytest tests/test_binary.py
    EDGEKIT_BINARY=binary/dist/edgekit EDGEKIT_TEST_BINARY=1 ...   (test an existing build instead)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.skipif(os.environ.get("EDGEKIT_TEST_BINARY") != "1",
                                reason="builds the binary (slow): set EDGEKIT_TEST_BINARY=1")
SIZE_LIMIT = 120 * 1024 * 1024


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """A folder holding edgekit and edgekit-onefile: an existing build, or a fresh one."""
    given = os.environ.get("EDGEKIT_BINARY")
    if given:
        return Path(given).resolve().parent
    work = tmp_path_factory.mktemp("build")
    env = {**os.environ, "EDGEKIT_BUILD_DIR": str(work / "build"), "EDGEKIT_DIST_DIR": str(work / "dist")}
    out = subprocess.run(["bash", str(REPO / "binary" / "build.sh"), sys.executable], env=env,
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return work / "dist"


@pytest.fixture(scope="module")
def site(dist, tmp_path_factory) -> dict:
    """A place with no source tree: the binaries copied in, a fresh HOME, a minimal PATH, no PYTHON* vars."""
    root = tmp_path_factory.mktemp("device")
    for name in ("edgekit", "edgekit-onefile"):
        shutil.copy2(dist / name, root / name)
    (root / "home").mkdir()
    env = {"HOME": str(root / "home"), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "TMPDIR": str(root)}
    return {"root": root, "env": env}


def run(site: dict, exe: str, args: list[str], stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(site["root"] / exe), *args], input=stdin, capture_output=True, text=True,
                          cwd=site["root"], env=site["env"], timeout=300)


@pytest.mark.parametrize("exe", ["edgekit", "edgekit-onefile"])
def test_binary_is_one_file_under_the_size_limit(site, exe):
    path = site["root"] / exe
    assert path.is_file() and os.access(path, os.X_OK)
    assert path.stat().st_size < SIZE_LIMIT


@pytest.mark.parametrize("exe", ["edgekit", "edgekit-onefile"])
def test_binary_normalizes_and_parses_with_shipped_grammars(site, exe):
    out = run(site, exe, ["normalize", "--grammar", "en-itn"], "twenty five\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "25\n"
    out = run(site, exe, ["parse", "--grammar", "home"], "dim the bedroom lights to fifty percent\n")
    frame = json.loads(out.stdout)
    assert frame["intent"] == "SetBrightness" and frame["slots"]["level"]["value"] == 50


def test_binary_runs_worker_processes_and_resumable_jobs(site):
    corpus = site["root"] / "corpus"
    corpus.mkdir()
    lines = ["twenty five dollars", "switch on the lamp", "the third of may", "hello"] * 500
    (corpus / "a.txt").write_text("\n".join(lines) + "\n")
    (corpus / "b.txt").write_text("\n".join(reversed(lines)) + "\n")
    one = run(site, "edgekit", ["normalize", "--grammar", "en-itn", "-j", "1", "corpus"])
    two = run(site, "edgekit", ["normalize", "--grammar", "en-itn", "-j", "2", "--block-size", "4096", "corpus"])
    assert one.returncode == two.returncode == 0 and one.stdout == two.stdout and one.stdout.startswith("$25\n")
    job = run(site, "edgekit", ["normalize", "--grammar", "en-itn", "-j", "2", "corpus", "-o", "out"])
    assert job.returncode == 0, job.stderr
    assert (site["root"] / "out" / "a.txt").read_text() + (site["root"] / "out" / "b.txt").read_text() == one.stdout
    out = run(site, "edgekit", ["normalize", "corpus", "-o", "out2", "--engine", "dask", "--scheduler", "x:1"])
    assert out.returncode == 2 and "dask extra" in out.stderr


def test_binary_learns_exports_and_predicts_with_onnxruntime(site):
    train = site["root"] / "train.jsonl"
    rows = [("switch on the light", "on"), ("turn on the fan", "on"), ("lights on please", "on"),
            ("switch off the light", "off"), ("turn off the fan", "off"), ("lights off please", "off")]
    train.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows))
    assert run(site, "edgekit", ["learn", "m.state", "--data", "train.jsonl", "--features", "64"]).returncode == 0
    out = run(site, "edgekit", ["export", "m.state", "-o", "m.onnx"])
    assert out.returncode == 0, out.stderr
    for exe in ("edgekit", "edgekit-onefile"):
        out = run(site, exe, ["predict", "m.onnx"], "switch on the fan\nturn off the light\n")
        assert out.returncode == 0, out.stderr
        assert [json.loads(l)["label"] for l in out.stdout.splitlines()] == ["on", "off"]


def test_binary_runs_the_pipeline_and_its_runtime_export(site):
    assert run(site, "edgekit", ["pipeline", "init", "p", "--grammar", "home", "--seed", "16"]).returncode == 0
    out = run(site, "edgekit", ["teach", "p", "make me a coffee", "brew me a coffee please", "-i", "MakeCoffee"])
    assert out.returncode == 0, out.stderr
    answers = [json.loads(l) for l in run(site, "edgekit", ["ask", "p"], "switch on the lamp\nbrew a coffee\n")
               .stdout.splitlines()]
    assert [(a["intent"], a["source"]) for a in answers] == [("TurnOn", "grammar"), ("MakeCoffee", "head")]
    assert run(site, "edgekit", ["pipeline", "export", "p", "-o", "rt"]).returncode == 0
    out = run(site, "edgekit", ["ask", "rt"], "brew a coffee\n")
    assert json.loads(out.stdout)["intent"] == "MakeCoffee"
