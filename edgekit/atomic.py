"""Crash-safe file primitives without heavy imports: atomic replace-on-write, whole-file reads that
turn OS errors into ModelFileError, and an inter-process lock for read-modify-write.

A path that is a symbolic link names the file it points to: a save replaces the target (the link stays a
link) and the lock is the target's, so writers through the link and through the target exclude each other."""
from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import ModelFileError


def target_of(path: str | os.PathLike) -> Path:
    """The file a path names for writing: a symlink's final target, otherwise the path itself."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write data to path so that a crash at any point leaves either the old file or the new one; an OS
    failure (full disk, no permission, a file where a folder should be) is a ModelFileError naming path."""
    try:
        _atomic_write(target_of(path), data)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _atomic_write(path: Path, data: bytes) -> None:
    if path.exists() and not path.is_file():  # a folder, a device (/dev/null), a pipe: never replaced by a file
        raise IsADirectoryError(21, "is a folder" if path.is_dir() else "not a regular file", str(path))
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # mkstemp makes 0600 files; keep permissions as a plain write would
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _mode_for(path: Path) -> int:
    """Permission bits for a rewritten file: the old file's, or what open() gives a new one (0666 & ~umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(mask)
        return 0o666 & ~mask


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a whole file, turning a missing or unreadable file into ModelFileError."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


@contextlib.contextmanager
def file_lock(path: str | os.PathLike) -> Iterator[None]:
    """Exclusive inter-process lock for read-modify-write of `path` (flock on `path`.lock, beside the file a
    symlink points to)."""
    import fcntl

    lock_path = Path(str(target_of(path)) + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ModelFileError(f"{lock_path}: cannot create the lock file ({exc.strerror or exc})") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
