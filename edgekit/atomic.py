"""Crash-safe file primitives without heavy imports: the one atomic writer (state files, pipeline
directories, batch outputs and job files all go through it), whole-file reads that turn OS errors
into ModelFileError, and an inter-process lock for read-modify-write.

A path that is a symbolic link names the file it points to: a save replaces the target (the link stays a
link) and the lock is the target's, so writers through the link and through the target exclude each other.
A folder, a device or a FIFO is never replaced by a file."""
from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import BinaryIO, Iterator

from .errors import ModelFileError


def target_of(path: str | os.PathLike) -> Path:
    """The file a path names for writing: a symlink's final target, otherwise the path itself."""
    path = Path(path)
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write data to path so that a crash at any point leaves either the old file or the new one."""
    with atomic_writer(path) as fh:
        fh.write(data)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary file whose content replaces `path` when the block ends without an error (temp file in the
    same folder, fsync, rename, fsync of the folder); on an error the temp file is removed and `path`
    is untouched. A crash at any point leaves either the old file or the new one. An OS failure of the
    write (full disk, no permission, a file where a folder should be) is a ModelFileError naming path."""
    target = target_of(path)
    try:
        if target.exists() and not target.is_file():
            raise IsADirectoryError(21, "is a folder" if target.is_dir() else "not a regular file", str(target))
        directory = target.parent if str(target.parent) else Path(".")
        directory.mkdir(parents=True, exist_ok=True)
        mode = _mode_for(target)
        import tempfile  # here, not at the top: reading a model file (the common case) never needs it
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)  # mkstemp makes 0600 files; keep permissions as a plain write would
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is None:  # the write itself failed (ENOSPC, EIO ...)
            raise ModelFileError(f"{path}: cannot write ({exc.strerror or exc})") from None
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
