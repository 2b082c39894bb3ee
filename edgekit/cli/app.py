"""The typer application object and the shared helpers every command module uses."""
from __future__ import annotations

import json
import sys
from typing import Any, Callable, Optional, Sequence

import typer
from typer.core import TyperGroup

from .boundary import fail, guarded, within_boundary  # noqa: F401  (re-exported for the command modules)


def _quiet_flags(params: Any) -> Any:
    """Show boolean flags as flags in --help (typer prints `<bool>`, which reads as if a value followed)."""
    for param in params:
        if getattr(param, "is_flag", False):
            param.metavar = ""
    return params


class Boundary(TyperGroup):
    """The typer group every edgekit command runs in: the error boundary of boundary.py around every
    command, and boolean flags shown without a `<bool>` value in --help."""

    def invoke(self, ctx: Any) -> Any:
        return within_boundary(lambda: super(Boundary, self).invoke(ctx))

    def get_params(self, ctx: Any) -> list:
        return _quiet_flags(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not isinstance(command, Boundary):
            _quiet_flags(command.get_params(ctx))  # the --help option is made (and cached) here
        return command


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


def answer_records(files: Sequence[Any] | None, jsonl: bool, field: str, answer: Callable[[list], list]) -> None:
    """Answer every input record through the shared record loop (`answer(records) -> replies`, one per
    record); a record with an error is reported on stderr (its line is still written), and the exit
    status is then 1."""
    from ..record_loop import run_records
    from ..textio import read_records

    if run_records(read_records(files or [], jsonl=jsonl, field=field), answer, sys.stdout,
                   interactive=interactive(files)):
        raise typer.Exit(1)


def each_record(handle: Callable[[Any], str]) -> Callable[[list], list]:
    """An `answer` for answer_records from `handle(record) -> output line`, keeping each record's error."""
    from ..record_loop import Reply

    return lambda chunk: [Reply(handle(rec), rec.error) for rec in chunk]


def context_option(text: Optional[str]) -> dict:
    """The caller context a `--context` option gives (a JSON object); a clear error otherwise."""
    if not text:
        return {}
    try:
        ctx = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"--context is not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(ctx, dict):
        raise fail("--context must be a JSON object")
    return ctx
