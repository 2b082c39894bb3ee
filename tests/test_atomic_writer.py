"""The one atomic writer (edgekit.atomic): the new content is fsynced before it replaces the old file and
the folder is fsynced after, observed on real files by wrapping the real os.fsync; an error inside a
streaming write leaves the old file and no temp file (permissions: tests/reliability/test_atomic_files.py)."""
from __future__ import annotations

import os
import stat

import pytest

from edgekit import atomic
from edgekit.atomic import atomic_write_bytes, atomic_writer


@pytest.fixture
def fsyncs(monkeypatch):
    """Every os.fsync call of edgekit.atomic while the test runs, as (file or dir, inode); the real fsync
    still runs."""
    calls = []
    real = os.fsync

    def spy(fd):
        st = os.fstat(fd)
        calls.append(("dir" if stat.S_ISDIR(st.st_mode) else "file", st.st_ino))
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    return calls


def test_new_content_is_fsynced_before_the_rename_and_the_folder_after(tmp_path, fsyncs):
    path = tmp_path / "model.state"
    path.write_bytes(b"old")
    old_inode = path.stat().st_ino
    atomic_write_bytes(path, b"new content")
    new_inode = path.stat().st_ino
    assert path.read_bytes() == b"new content" and new_inode != old_inode
    # the file fsynced is the one now at `path` (the temp file, before it was renamed), then the folder
    assert fsyncs == [("file", new_inode), ("dir", tmp_path.stat().st_ino)]


def test_the_streaming_writer_fsyncs_the_same_way(tmp_path, fsyncs):
    path = tmp_path / "sub" / "out.txt"
    with atomic_writer(path) as fh:
        fh.write(b"line 1\n")
        fh.write(b"line 2\n")
        assert not path.exists()  # nothing visible until the block ends
    assert path.read_bytes() == b"line 1\nline 2\n"
    assert fsyncs == [("file", path.stat().st_ino), ("dir", path.parent.stat().st_ino)]


def test_batch_job_outputs_go_through_the_fsyncing_writer(tmp_path, fsyncs):
    from edgekit.batch import normalize_files

    src = tmp_path / "in.txt"
    src.write_text("switch on the lamp\n" * 20)
    normalize_files([src], "home", output=tmp_path / "out")
    out = tmp_path / "out" / "in.txt"
    assert out.read_text() == "turn on the light\n" * 20
    assert ("file", out.stat().st_ino) in fsyncs  # the concatenated output file itself was fsynced


def test_an_error_inside_the_block_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "keep.txt"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_writer(path) as fh:
            fh.write(b"half")
            raise RuntimeError("interrupted")
    assert path.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
