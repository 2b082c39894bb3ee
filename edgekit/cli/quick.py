"""`edgekit normalize` without typer: the command body, and a start-up path for its plain form.

Building the typer app and parsing a command line with it costs more than loading a compiled grammar
and normalizing a line (typer imports pydantic to convert its parameters). So the console entry point
reads the plain form itself (`normalize [--grammar G] [--jsonl] [--field F] [FILE ...]`, options as
`--x V` or `--x=V`, each at most once) and runs the same body inside the same error boundary; any other
command line, including --help, other options and every mistake, goes to the typer app."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional, Sequence

from ..valueclass import value_class

DEFAULT_GRAMMAR, DEFAULT_FIELD = "home", "text"  # the defaults of the forest commands' --grammar and --field
_VALUE_OPTIONS = {"--grammar": "grammar", "-g": "grammar", "--field": "field"}


@value_class(frozen=True)
class PlainNormalize:
    """The arguments of a plain `edgekit normalize` command line."""

    files: tuple[Path, ...] = ()
    grammar: str = DEFAULT_GRAMMAR
    jsonl: bool = False
    field: str = DEFAULT_FIELD


def read_plain_normalize(argv: Sequence[str]) -> Optional[PlainNormalize]:
    """The arguments when argv is a plain normalize command line, else None (typer reads it)."""
    if not argv or argv[0] != "normalize" or "_EDGEKIT_COMPLETE" in os.environ:
        return None
    values: dict = {}
    files: list[Path] = []
    rest = list(argv[1:])
    while rest:
        arg = rest.pop(0)
        name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if arg == "--jsonl":
            key, value = "jsonl", True
        elif name in _VALUE_OPTIONS and (eq or rest):
            key = _VALUE_OPTIONS[name]
            value = inline if eq else rest.pop(0)
            if not value or value.startswith("-"):
                return None
        elif arg and not arg.startswith("-"):
            files.append(Path(arg))
            continue
        else:
            return None
        if key in values:
            return None
        values[key] = value
    return PlainNormalize(files=tuple(files), **values)


def run_normalize(files: Sequence[Path], grammar: str, *, jsonl: bool, field: str, jobs: int = 1,
                  output: Optional[Path] = None, resume: bool = False, engine: str = "local",
                  scheduler: Optional[str] = None, block_size: Optional[int] = None) -> int:
    """The body of `edgekit normalize`: run the job, report a job's summary on stderr; the exit status."""
    from .boundary import fail

    if engine not in ("local", "dask"):
        raise fail(f"unknown engine {engine!r} (local or dask)")
    if engine == "dask":
        from ..batch_dask import normalize_on_dask

        summary = normalize_on_dask(list(files), grammar, output, scheduler, jsonl=jsonl, field=field,
                                    resume=resume, block_bytes=block_size)
    else:
        from ..batch import normalize_files

        summary = normalize_files(list(files), grammar, output=output, jsonl=jsonl, field=field, jobs=jobs,
                                  resume=resume, block_bytes=block_size)
    if output is not None:
        sys.stderr.write(f"edgekit: {summary}\n")
        sys.stderr.flush()
    return 1 if summary.errors else 0


def quick_main(argv: Sequence[str]) -> Optional[int]:
    """Run a plain normalize command line as the typer app would and return its exit status; None when
    argv is not one (the caller runs the typer app)."""
    args = read_plain_normalize(argv)
    if args is None:
        return None
    from .boundary import within_boundary

    try:
        return within_boundary(lambda: run_normalize(args.files, args.grammar, jsonl=args.jsonl, field=args.field))
    except KeyboardInterrupt:
        return 130  # as typer's main: status 130, no message
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except RuntimeError as exc:
        import typer  # loaded already when exc is the typer.Exit of an error

        if not isinstance(exc, typer.Exit):
            raise
        return exc.exit_code
