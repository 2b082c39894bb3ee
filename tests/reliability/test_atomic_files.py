"""edgekit.atomic beyond crashes: a save keeps the file's permissions (mkstemp's 0600 must not leak into
model files other users or services read), a failed write leaves the old file and no temp file, and the
lock is exclusive between processes."""
from __future__ import annotations

import os
import stat
import time

import pytest

from edgekit.atomic import atomic_write_bytes, file_lock


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_rewriting_a_file_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "model.state"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and _mode(path) == mode


def test_a_new_file_gets_the_umask_default(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write_bytes(tmp_path / "new.state", b"x")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.state") == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp_file(tmp_path):
    path = tmp_path / "model.state"
    path.write_bytes(b"old")
    with pytest.raises(TypeError):
        atomic_write_bytes(path, "not bytes")  # type: ignore[arg-type]
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.state"]


def test_the_lock_excludes_another_process(tmp_path):
    path = tmp_path / "model.state"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: take the lock, say so, hold it a moment, record when it let go
        code = 0
        try:
            os.close(r)
            with file_lock(path):
                os.write(w, b"locked")
                time.sleep(0.3)
                (tmp_path / "released").write_text(repr(time.monotonic()))
        except BaseException:
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    os.read(r, 6)
    with file_lock(path):
        entered = time.monotonic()
        released = float((tmp_path / "released").read_text())  # written by the child before it let go
    os.waitpid(pid, 0)
    assert entered >= released
