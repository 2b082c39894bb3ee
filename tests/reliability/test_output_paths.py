"""Files edgekit writes must never overwrite or delete inputs or files it did not write: output-path
overlaps are refused, saves through a symlink replace the target, pipeline members cannot be links to
files elsewhere, a forged pipeline.json with a recomputed checksum is refused by its field values."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edgekit.atomic import atomic_write_bytes, file_lock
from edgekit.cli import app
from edgekit.errors import EdgekitError, ModelFileError
from edgekit.pipeline import PIPELINE_FILE, Pipeline

runner = CliRunner()


def run(*args, input=None):
    return runner.invoke(app, [str(a) for a in args], input=input)


def refused(result, fragment: str) -> None:
    assert result.exit_code == 2 and "Traceback" not in result.output and fragment in result.stderr, result.output


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pipe") / "p"
    pipe = Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64)
    pipe.teach("make it cosy in here", "Cosy")
    pipe.save(d)
    return d


def copy(saved: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved, tmp_path / "p"))


def reseal(folder: Path, edit) -> None:
    """Edit pipeline.json and recompute its own checksum, as a forger would."""
    meta = json.loads((folder / PIPELINE_FILE).read_text())
    meta.pop("sha256")
    edit(meta)
    meta["sha256"] = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    (folder / PIPELINE_FILE).write_text(json.dumps(meta))


# ---- forged fields --------------------------------------------------------------------------------------
@pytest.mark.parametrize("count", ["Infinity", "NaN", "-3", "0", "1.5", "true", '"2"', "1e400"])
def test_forged_taught_counts_are_refused(saved, tmp_path, count):
    folder = copy(saved, tmp_path)
    reseal(folder, lambda meta: meta["taught"].update({"0" * 32: {"Cosy": "@COUNT@"}}))
    text = (folder / PIPELINE_FILE).read_text().replace('"@COUNT@"', count)
    meta = json.loads(text)  # Python's json reads Infinity and NaN: the forger's checksum covers them
    stored = meta.pop("sha256")
    digest = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    (folder / PIPELINE_FILE).write_text(text.replace(stored, digest))
    with pytest.raises(ModelFileError):
        Pipeline.load(folder)
    refused(run("ask", folder, input="x\n"), "pipeline.json")


def test_deeply_nested_pipeline_json_is_refused(saved, tmp_path):
    folder = copy(saved, tmp_path)
    (folder / PIPELINE_FILE).write_text('{"format": "edgekit-pipeline", "x": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(ModelFileError, match="nested too deeply"):
        Pipeline.load(folder)


# ---- links --------------------------------------------------------------------------------------------
def test_save_through_a_symlink_replaces_the_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "real" / "model.state"
    target.parent.mkdir()
    target.write_bytes(b"old")
    link = tmp_path / "link.state"
    link.symlink_to(target)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and target.read_bytes() == b"new"


def test_writers_via_a_link_and_via_its_target_exclude_each_other(tmp_path):
    target = tmp_path / "model.state"
    target.write_bytes(b"x")
    link = tmp_path / "link.state"
    link.symlink_to(target)
    entered = []

    def other() -> None:
        with file_lock(target):
            entered.append(time.monotonic())

    with file_lock(link):
        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)
        released = time.monotonic()
        assert entered == []  # still waiting for the lock taken through the link
    thread.join(10)
    assert entered and entered[0] >= released


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_pipeline_members_linked_to_files_elsewhere_are_refused(saved, tmp_path, how):
    folder = copy(saved, tmp_path)
    name = json.loads((folder / PIPELINE_FILE).read_text())["members"]["head"]["file"]
    outside = tmp_path / "elsewhere.state"
    shutil.move(folder / name, outside)
    if how == "symlink":
        (folder / name).symlink_to(outside)
    else:
        os.link(outside, folder / name)
    with pytest.raises(ModelFileError, match="symbolic link|hard link"):
        Pipeline.load(folder)


# ---- overlaps and deletions ------------------------------------------------------------------------------
def test_normalize_job_refuses_to_overwrite_its_input(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "x.txt").write_text("switch on the lamp\n")
    refused(run("normalize", d / "x.txt", "-o", d), "would overwrite the input")
    assert (d / "x.txt").read_text() == "switch on the lamp\n"
    link = tmp_path / "alias"
    link.symlink_to(d)
    refused(run("normalize", link / "x.txt", "-o", d), "would overwrite the input")


def test_output_folder_inside_the_input_folder_is_refused(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    (d / "x.txt").write_text("switch on the lamp\n")
    refused(run("normalize", d, "-o", d / "out"), "inside the input folder")
    refused(run("normalize", d, "-o", d), "inside the input folder")
    assert run("normalize", d, "-o", d / "_out").exit_code == 0  # skipped on input: never read back
    assert run("normalize", d, "-o", d / "_out", "--resume").exit_code == 0
    assert (d / "_out" / "x.txt").read_text() == "turn on the light\n"


def test_pipeline_init_keeps_the_users_files(tmp_path):
    d = tmp_path / "d"
    d.mkdir()
    assert run("compile", "home", "-o", d / "my.forestc").exit_code == 0
    (d / "other.forestc").write_bytes(b"mine")
    (d / "head.onnx").write_bytes(b"mine too")
    out = run("pipeline", "init", d, "--grammar", d / "my.forestc", "--normalizer", "none", "--seed", 2,
              "--features", 32)
    assert out.exit_code == 0, out.output
    for _ in range(3):  # later saves retire and delete only what a pipeline.json named
        assert run("teach", d, "make it cosy", "-i", "Cosy").exit_code == 0
    assert (d / "my.forestc").is_file() and (d / "other.forestc").read_bytes() == b"mine"
    assert (d / "head.onnx").read_bytes() == b"mine too"
    assert json.loads(run("ask", d, input="switch on the lamp\n").stdout)["intent"] == "TurnOn"


def test_pipeline_export_into_its_own_directory_is_refused(saved, tmp_path):
    folder = copy(saved, tmp_path)
    before = sorted(p.name for p in folder.iterdir())
    refused(run("pipeline", "export", folder, "-o", folder), "holds a trainable pipeline")
    assert sorted(p.name for p in folder.iterdir()) == before
    with pytest.raises(EdgekitError):
        Pipeline.load(folder).export(folder)
    assert Pipeline.load(folder).intents["head"]


def test_pipeline_init_with_a_bad_grammar_leaves_nothing(tmp_path):
    refused(run("pipeline", "init", tmp_path / "p2", "-g", "nosuch"), "nosuch")
    assert not (tmp_path / "p2").exists()


def test_a_device_or_fifo_is_never_replaced_by_a_file(tmp_path):
    import stat

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    refused(run("compile", "home", "-o", fifo), "not a regular file")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    (tmp_path / "folder.forestc").mkdir()
    refused(run("compile", "home", "-o", tmp_path / "folder.forestc"), "is a folder")
