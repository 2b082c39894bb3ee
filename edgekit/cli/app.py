"""The typer application object and the shared helpers every command module uses."""
from __future__ import annotations

import sys
from typing import Any, Optional, Sequence

import typer

from .boundary import Boundary, fail, guarded  # noqa: F401  (re-exported for the command modules)

app = typer.Typer(
    name="edgekit",
    cls=Boundary,
    help="Understand short text and learn from it on small CPU-only devices.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"edgekit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(version: Optional[bool] = typer.Option(None, "--version", is_eager=True, callback=_print_version,
                                                    help="Print the edgekit version and exit.")) -> None:
    """Understand short text and learn from it on small CPU-only devices."""


def interactive(files: Sequence[Any] | None) -> bool:
    """True when the command reads stdin and a person is at either end: answer each line as it comes."""
    from ..record_loop import is_interactive

    return not files and is_interactive(sys.stdin, sys.stdout)
