"""The CLI's one error boundary: every command runs inside it, so a user's mistake or a fault of the
environment (a missing file, a folder given as a file, a full disk, a closed stdin or stdout, a broken
pipe) ends as one `edgekit: ...` line on stderr and exit status 2, never a traceback.

It also names the standard streams in their errors (an OSError while writing stdout says "standard
output") and writes text that cannot be encoded (a lone surrogate from a JSON `\\ud800` escape) as
backslash escapes instead of failing. The typer group that applies it to every command is
`app.Boundary`; this module does not import typer until it must raise an Exit, so the plain
`normalize` (`quick.py`) runs inside the same boundary without loading typer.
"""
from __future__ import annotations

import contextlib
import errno
import os
import sys
import warnings
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from ..errors import EdgekitError

if TYPE_CHECKING:
    import typer

T = TypeVar("T")


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print an error on stderr and return the Exit to raise (so call sites read `raise fail(...)`)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(f"edgekit: {message}\n")
        sys.stderr.flush()
    return exit_with(code)


def exit_with(code: int) -> "typer.Exit":
    """The typer.Exit that ends a command with this status (typer is imported here, not at start-up)."""
    import typer

    return typer.Exit(code)


def describe_os_error(exc: OSError) -> str:
    """One line for an OSError: the file it concerns and what went wrong, in words."""
    reason = exc.strerror or str(exc)
    name = exc.filename
    if isinstance(exc, IsADirectoryError):
        reason = "is a folder, not a file"
    elif isinstance(exc, NotADirectoryError):
        reason = "a part of the path is a file, not a folder"
    elif isinstance(exc, FileExistsError):
        reason = "already exists"
    if name is None:
        return reason
    where = os.fsdecode(name) if isinstance(name, bytes) else str(name)
    if exc.filename2 is not None:
        where += f" -> {exc.filename2}"
    return f"{where}: {reason}"


def _show_warning(message: Warning | str, category: type, filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.write(f"edgekit: warning: {message}\n")


def translate(fn: Callable[[], T]) -> T:
    """Run fn, turning edgekit's errors and OS faults into one stderr line and exit 2 (a broken pipe:
    the reader went away, exit quietly), and warnings into one `edgekit: warning:` line without the
    source location."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return fn()
    except EdgekitError as exc:
        raise fail(str(exc)) from None
    except BrokenPipeError:
        _silence_stdout()
        raise exit_with(0) from None
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            _silence_stdout()
            raise exit_with(0) from None
        if getattr(exc, "filename", None) == STDOUT:
            _silence_stdout()
        raise fail(describe_os_error(exc)) from None


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body inside the boundary (kept for command bodies; the group applies it anyway)."""
    return translate(fn)


STDIN, STDOUT = "standard input", "standard output"


class _Stream:
    """A standard stream whose faults name it, which encodes what UTF-8 cannot hold as backslash
    escapes, and which stands in for a stream closed at start (fd 0 or 1 closed: Python gives None)."""

    def __init__(self, stream: Any, name: str) -> None:
        self._stream, self._name = stream, name

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._require(), attr)

    def _require(self) -> Any:
        if self._stream is None:
            raise OSError(errno.EBADF, "closed (edgekit was started with this stream closed)", self._name)
        return self._stream

    def _call(self, method: str, *args: Any) -> Any:
        target = self._require()
        try:
            return getattr(target, method)(*args)
        except UnicodeEncodeError:
            if method != "write" or not isinstance(args[0], str):
                raise
            return target.write(args[0].encode("utf-8", "backslashreplace").decode("utf-8"))
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise
            raise OSError(exc.errno, exc.strerror or str(exc), self._name) from None
        except ValueError as exc:  # I/O on a stream closed under us
            raise OSError(errno.EBADF, str(exc), self._name) from None

    def write(self, data: Any) -> Any:
        return self._call("write", data)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if self._stream is not None:
            self._call("flush")

    def read(self, *args: Any) -> Any:
        return self._call("read", *args)

    def readline(self, *args: Any) -> Any:
        return self._call("readline", *args)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.readline, self._require().read(0))

    def isatty(self) -> bool:
        try:
            return bool(self._stream is not None and self._stream.isatty())
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._call("fileno")

    @property
    def buffer(self) -> "_Stream":
        return _Stream(getattr(self._require(), "buffer", None), self._name)


def _silence_stdout() -> None:
    """After stdout failed, send what is still buffered nowhere, so the interpreter's final flush cannot
    print a second error (the standard way to handle EPIPE). Only for the process's real stdout (an
    in-process run, e.g. a test runner's captured stream, leaves file descriptor 1 alone)."""
    current = sys.stdout._stream if isinstance(sys.stdout, _Stream) else sys.stdout
    if current is not sys.__stdout__ or sys.__stdout__ is None:
        return
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())
        os.close(devnull)


@contextlib.contextmanager
def standard_streams() -> Iterator[None]:
    """Wrap stdin and stdout in _Stream for the duration of a command (restored after, for in-process runs)."""
    saved = sys.stdin, sys.stdout
    if not isinstance(sys.stdin, _Stream):
        sys.stdin = _Stream(sys.stdin, STDIN)  # type: ignore[assignment]
    if not isinstance(sys.stdout, _Stream):
        sys.stdout = _Stream(sys.stdout, STDOUT)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdin, sys.stdout = saved


def within_boundary(fn: Callable[[], T]) -> T:
    """Run a whole command inside the boundary: standard streams wrapped, the whole output flushed (so a
    full disk is reported by the command, not by the interpreter at exit), errors translated."""
    def run() -> T:
        with standard_streams():
            result = fn()
            sys.stdout.flush()
            return result

    return translate(run)
