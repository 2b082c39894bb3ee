"""Batch normalization on one machine: ordered output with worker processes, output-folder jobs, the
per-record error report, the progress bar, and resuming a job killed with SIGKILL midway."""
from __future__ import annotations

import io
import json
import os
import pty
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edgekit import load_forest
from edgekit.batch import (ERRORS, MANIFEST, PARTS, Job, Spec, forest_for, list_inputs, local_executor,
                           normalize_block, normalize_files)
from edgekit.errors import EdgekitError

EDGEKIT = str(Path(sys.executable).with_name("edgekit"))
PHRASES = ["switch on the lamp", "dim the bedroom lights to fifty percent", "set a timer for twenty five minutes",
           "hello world", "please turn off the kitchen fan", "power up the ceiling light in the lounge",
           "Ünïcödé ＷＯＲＬＤ 日本語", ""]


def make_corpus(root: Path, files: dict[str, int], seed: int = 0) -> Path:
    """Write text files {relative name: line count} of random known phrases under root."""
    rng = random.Random(seed)
    for name, n in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(rng.choice(PHRASES) + "\n" for _ in range(n)), encoding="utf-8")
    return root


def stream(paths, **kw) -> bytes:
    out = io.BytesIO()
    normalize_files([str(p) for p in paths], "home", out=out, **kw)
    return out.getvalue()


def test_worker_processes_keep_input_order(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 700, "sub/b.txt": 900, "c.txt": 5})
    one = stream([corpus], jobs=1)
    two = stream([corpus], jobs=2, block_bytes=2048)  # many small blocks, so they really interleave
    assert one == two
    lines = one.decode().split("\n")[:-1]
    assert len(lines) == 1605
    src = [line for name in ("a.txt", "c.txt", "sub/b.txt") for line in (corpus / name).read_text().split("\n")[:-1]]
    forest = load_forest("home")
    assert lines == [forest.normalize(line) for line in src]  # line i of the output is input line i, normalized
    lamps = [i for i, line in enumerate(src) if line == "switch on the lamp"]
    assert len(lamps) > 50 and {lines[i] for i in lamps} == {"turn on the light"}


def test_folder_expansion_is_sorted_and_skips_hidden_and_underscore(tmp_path):
    make_corpus(tmp_path, {"b.txt": 1, "a/z.txt": 1, "_job/x.txt": 1, ".hidden": 1, "a/.tmp": 1})
    assert [i.name for i in list_inputs([tmp_path])] == ["a/z.txt", "b.txt"]
    with pytest.raises(EdgekitError, match="no such file"):
        list_inputs([tmp_path / "missing"])


def test_output_folder_job_mirrors_inputs_and_reports_bad_records(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 300, "sub/b.txt": 200})
    with open(corpus / "a.txt", "ab") as fh:
        fh.write(b"bad \xff byte lamp\nswitch on the fan")  # an invalid line, and no final newline
    (corpus / "empty.txt").write_bytes(b"")
    summary = normalize_files([corpus], "home", output=tmp_path / "out", jobs=2, block_bytes=1024)
    out = tmp_path / "out"
    for name in ("a.txt", "sub/b.txt", "empty.txt"):
        assert (out / name).read_bytes() == stream([corpus / name]), name
    last = (out / "a.txt").read_text().split("\n")[-3:]
    assert last == ["bad \ufffd byte light", "turn on the fan", ""]
    assert summary.files == 3 and summary.lines == 502 and summary.errors == 1
    report = [json.loads(l) for l in (out / ERRORS).read_text().splitlines()]
    assert report == [{"file": str(corpus / "a.txt"), "line": 301, "error": "invalid UTF-8 at byte 4"}]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["complete"] and manifest["summary"]["lines"] == 502
    assert not (out / PARTS).exists()


def test_jsonl_job_rewrites_the_field_and_passes_bad_records_through(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": 1, "body": "switch on the lamp"}\nnot json\n{"id": 3, "text": "x"}\n'
                    b'{"id": 4, "body": "lone \\ud800 surrogate lamp"}\n')
    summary = normalize_files([src], "home", output=tmp_path / "out", jsonl=True, field="body")
    lines = (tmp_path / "out" / "in.jsonl").read_text().split("\n")[:-1]
    assert json.loads(lines[0]) == {"id": 1, "body": "turn on the light"}
    assert lines[1] == "not json" and lines[2] == '{"id": 3, "text": "x"}'
    assert json.loads(lines[3])["body"] == "lone \ud800 surrogate light"  # escaped, so still valid UTF-8
    assert summary.errors == 2
    errors = [json.loads(l) for l in (tmp_path / "out" / ERRORS).read_text().splitlines()]
    assert [e["line"] for e in errors] == [2, 3] and "invalid JSON" in errors[0]["error"]


class _FailsOnBanana:
    """A grammar stand-in whose normalization raises on one input (real grammars rarely do)."""

    def normalize(self, text: str) -> str:
        if "banana" in text:
            raise RecursionError("too deep")
        return text.upper()


def test_a_record_that_makes_the_grammar_fail_is_reported_not_fatal():
    out, errors = normalize_block(_FailsOnBanana(), b"a\nbanana\nc\n", "f.txt", 10, Spec("home"))
    assert out == b"A\nbanana\nC\n"
    assert errors == [[11, "normalization failed: RecursionError: too deep"]]


def test_job_refuses_unsafe_or_changed_work(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 50})
    normalize_files([corpus], "home", output=tmp_path / "out")
    with pytest.raises(EdgekitError, match="pass --resume"):
        normalize_files([corpus], "home", output=tmp_path / "out")
    assert normalize_files([corpus], "home", output=tmp_path / "out", resume=True).reused == 1
    (corpus / "a.txt").write_text("changed\n")
    with pytest.raises(EdgekitError, match=r"input .*a\.txt changed"):
        normalize_files([corpus], "home", output=tmp_path / "out", resume=True)
    with pytest.raises(EdgekitError, match="grammar changed"):
        normalize_files([corpus], str(_tiny_grammar(tmp_path)), output=tmp_path / "out",
                        resume=True)
    with pytest.raises(EdgekitError, match="cannot be resumed"):
        normalize_files([corpus], "home", resume=True, out=io.BytesIO())
    with pytest.raises(EdgekitError, match="same output file"):
        Job(list_inputs([corpus / "a.txt", make_corpus(tmp_path / "x", {"a.txt": 1}) / "a.txt"]),
            tmp_path / "o", Spec("home"))
    with pytest.raises(EdgekitError, match="stdin"):
        Job(list_inputs(["-"]), tmp_path / "o", Spec("home"))


def _tiny_grammar(root: Path) -> Path:
    path = root / "tiny" / "main.forest"
    path.parent.mkdir()
    path.write_text("lexicon greeting {\n  hello: hi\n}\n")
    return path


def run_cli(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run([EDGEKIT, *args], capture_output=True, timeout=120, **kw)


def test_cli_streams_and_writes_jobs(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 40, "b.txt": 30})
    out = run_cli(["normalize", "--grammar", "home", "-j", "2", str(corpus)])
    assert out.returncode == 0 and out.stdout == stream([corpus])
    out = run_cli(["normalize", str(corpus), "-o", str(tmp_path / "out"), "-j", "2"])
    assert out.returncode == 0, out.stderr
    assert "normalized 70 lines in 2 files" in out.stderr.decode()
    out = run_cli(["normalize", str(corpus), "--resume"])
    assert out.returncode == 2 and b"needs an output folder" in out.stderr and b"Traceback" not in out.stderr
    out = run_cli(["normalize", str(corpus), "-o", str(tmp_path / "o2"), "--engine", "spark"])
    assert out.returncode == 2 and b"unknown engine" in out.stderr


def test_progress_bar_only_on_a_terminal(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 4000})
    piped = run_cli(["normalize", str(corpus), "-o", str(tmp_path / "o1"), "--block-size", "4096"])
    assert b"\r" not in piped.stderr and b"lines/s" not in piped.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen([EDGEKIT, "normalize", str(corpus), "-o", str(tmp_path / "o2"), "--block-size", "4096"],
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    assert b"\r[" in seen and b"lines/s" in seen and b"normalized 4,000 lines" in seen


def test_resume_after_sigkill_finishes_without_redoing_or_duplicating(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 8000, "b.txt": 8000, "sub/c.txt": 8000}, seed=7)
    out = tmp_path / "out"
    proc = subprocess.Popen([EDGEKIT, "normalize", str(corpus), "-o", str(out), "-j", "2", "--block-size", "8192"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    finished_before = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        parts = list((out / PARTS).glob("*.out")) if (out / PARTS).exists() else []
        finished_before = len(parts)
        if finished_before >= 8:
            break
        assert proc.poll() is None, "the job finished before it could be interrupted; make the corpus larger"
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI process and its worker processes, mid-write
    proc.wait(timeout=30)
    assert not json.loads((out / MANIFEST).read_text())["complete"]

    finished = {p.name[:-len(".out")] for p in (out / PARTS).glob("*.out")}
    ran: list = []
    summary = normalize_files([corpus], "home", output=out, resume=True, executor=recording(local_executor(2), ran))
    assert summary.reused >= finished_before > 0
    assert summary.blocks > summary.reused
    assert len(ran) == summary.blocks - summary.reused and not finished & {Path(t.part).name for t in ran}
    for name in ("a.txt", "b.txt", "sub/c.txt"):
        assert (out / name).read_bytes() == stream([corpus / name]), name
    assert sorted(p.name for p in out.iterdir()) == sorted([ERRORS, MANIFEST, MANIFEST + ".lock", "a.txt",
                                                           "b.txt", "sub"])


def recording(executor, ran: list):
    """The executor, noting every task it is given (so a test sees which blocks really ran)."""
    def run(tasks):
        ran.extend(tasks)
        yield from executor(tasks)
    return run


def test_resume_runs_only_the_unfinished_blocks(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 400, "b.txt": 400, "c.txt": 400}, seed=3)
    out = tmp_path / "out"
    job = Job(list_inputs([corpus]), out, Spec("home"), 2048)
    per_file, _ = job.plan()
    stop_at = len(per_file[0]) + 2  # all of a.txt (finished and concatenated), two blocks of b.txt

    def interrupted(tasks):
        for k, task in enumerate(tasks):
            if k == stop_at:
                raise KeyboardInterrupt
            yield local_executor(1)([task]).__next__()

    with pytest.raises(KeyboardInterrupt):
        job.run(interrupted)
    assert (out / "a.txt").exists() and not (out / "b.txt").exists()
    assert len(list((out / PARTS).glob("*.out"))) == 2  # the two finished blocks of b.txt
    ran: list = []
    summary = normalize_files([corpus], "home", output=out, resume=True, executor=recording(local_executor(1), ran))
    expected = per_file[1][2:] + per_file[2]
    assert [(t.file, t.block) for t in ran] == [(t.file, t.block) for t in expected]
    assert summary.reused == stop_at and summary.blocks == sum(map(len, per_file))
    for name in ("a.txt", "b.txt", "c.txt"):
        assert (out / name).read_bytes() == stream([corpus / name]), name


def _imported_grammar(root: Path) -> Path:
    """A grammar whose entry imports a second file, in a folder holding files it never reads."""
    root.mkdir()
    (root / "main.forest").write_text('import "words.forest"\n')
    (root / "words.forest").write_text("lexicon greeting {\n  hello: hi | hey\n}\n")
    return root / "main.forest"


def _interrupted_job(corpus: Path, out: Path, grammar: str) -> list[list]:
    """Start a job with small blocks and stop it after the first file and one block of the second."""
    job = Job(list_inputs([corpus]), out, Spec(grammar), 512)
    per_file, _ = job.plan()
    assert len(per_file[1]) > 1, "the second file must have blocks left to run"

    def interrupted(tasks):
        for k, task in enumerate(tasks):
            if k == len(per_file[0]) + 1:
                raise KeyboardInterrupt
            yield from local_executor(1)([task])

    with pytest.raises(KeyboardInterrupt):
        job.run(interrupted)
    return per_file


def test_resume_ignores_files_the_grammar_never_read(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 60, "b.txt": 60}, seed=5)
    entry = _imported_grammar(tmp_path / "g")
    per_file = _interrupted_job(corpus, tmp_path / "out", str(entry))
    (entry.parent / "notes.txt").write_text("not part of the grammar\n")
    (entry.parent / "unused.forest").write_text("lexicon other {\n  bye: ciao\n}\n")
    ran: list = []
    summary = normalize_files([corpus], str(entry), output=tmp_path / "out", resume=True,
                              executor=recording(local_executor(1), ran))
    assert [(t.file, t.block) for t in ran] == [(t.file, t.block) for t in per_file[1][1:]]
    assert summary.reused == len(per_file[0]) + 1
    expected = io.BytesIO()
    normalize_files([corpus / "b.txt"], str(entry), out=expected)
    assert (tmp_path / "out" / "b.txt").read_bytes() == expected.getvalue()


def test_resume_refuses_when_an_imported_file_changed(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 60, "b.txt": 60}, seed=5)
    entry = _imported_grammar(tmp_path / "g")
    _interrupted_job(corpus, tmp_path / "out", str(entry))
    (entry.parent / "words.forest").write_text("lexicon greeting {\n  hello: hi\n}\n")
    with pytest.raises(EdgekitError, match="grammar fingerprint changed"):
        normalize_files([corpus], str(entry), output=tmp_path / "out", resume=True)
    assert not (tmp_path / "out" / "b.txt").exists()


def test_a_process_reloads_a_grammar_whose_files_changed(tmp_path):
    entry = _imported_grammar(tmp_path / "g")
    assert forest_for(str(entry)).normalize("hey there") == "hello there"
    (entry.parent / "notes.txt").write_text("unrelated\n")
    first = forest_for(str(entry))
    assert forest_for(str(entry)) is first  # nothing it read changed: kept
    (entry.parent / "words.forest").write_text("lexicon greeting {\n  hello: hi\n}\n")
    assert forest_for(str(entry)).normalize("hey there") == "hey there"
    compiled = tmp_path / "g.forestc"
    load_forest(str(entry)).save(compiled)
    assert forest_for(str(compiled)).normalize("hi hey") == "hello hey"
    other = tmp_path / "other.forest"
    other.write_text("lexicon greeting {\n  hello: hey\n}\n")
    load_forest(str(other)).save(compiled)  # another grammar in the same compiled file
    os.utime(compiled, ns=(0, 0))
    assert forest_for(str(compiled)).normalize("hi hey") == "hi hello"


def test_a_line_over_the_limit_is_one_bad_record_in_every_mode(tmp_path):
    from edgekit.limits import MAX_LINE_BYTES

    src = tmp_path / "in" / "big.txt"
    src.parent.mkdir()
    src.write_bytes(b"switch on the lamp\n" + b"lamp " * (3 * MAX_LINE_BYTES // 5) + b"\nhello\n")
    expected = b"turn on the light\n\nhello\n"
    for jobs, block in ((1, None), (2, 4096)):
        assert stream([src], jobs=jobs, block_bytes=block) == expected
    summary = normalize_files([src], "home", output=tmp_path / "out", jobs=2, block_bytes=4096)
    assert (tmp_path / "out" / "big.txt").read_bytes() == expected
    assert summary.lines == 3 and summary.errors == 1
    report = json.loads((tmp_path / "out" / ERRORS).read_text())
    assert report["line"] == 2 and "longer than the limit" in report["error"]
