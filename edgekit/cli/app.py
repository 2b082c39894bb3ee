"""The typer application object and the shared helpers every command module uses."""
from __future__ import annotations

import sys
import warnings
from typing import Any, Callable, Iterator, Sequence, TypeVar

import typer

from ..errors import EdgekitError

app = typer.Typer(
    name="edgekit",
    help="Understand short text and learn from it on small CPU-only devices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

T = TypeVar("T")


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print an error on stderr and return the Exit to raise (so call sites read `raise fail(...)`)."""
    typer.echo(f"edgekit: {message}", err=True)
    return typer.Exit(code)


def interactive(files: Sequence[Any] | None) -> bool:
    """True when the command reads stdin and a person is at either end: answer each line as it comes."""
    from ..record_loop import is_interactive

    return not files and is_interactive(sys.stdin, sys.stdout)


def _show_warning(message: Warning | str, category: type, filename: str, lineno: int, file: Any = None,
                  line: str | None = None) -> None:
    sys.stderr.write(f"edgekit: warning: {message}\n")


def guarded(fn: Callable[[], T]) -> T:
    """Run a command body, turning edgekit's own errors into one stderr line and exit code 2 (and warnings
    into one `edgekit: warning:` line, without the source location)."""
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return fn()
    except EdgekitError as exc:
        raise fail(str(exc)) from None
    except BrokenPipeError:
        sys.stderr.close()
        raise typer.Exit(0) from None
