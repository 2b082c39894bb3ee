"""The `edgekit` command line: one typer app, one module per group of commands.

The app is built on first use of `edgekit.cli.app`; `main` first tries the plain `normalize`, which
runs without typer (quick.py), so a one-line normalization starts fast."""
from __future__ import annotations

import sys
from typing import Any


def _build_app() -> Any:
    from .app import app
    from . import forest_cmds  # noqa: F401  (registers normalize, parse, explain, compile, expand)
    from . import export_cmds  # noqa: F401  (registers export)
    from . import learn_cmds  # noqa: F401  (registers learn, forget, predict, info)
    from . import pipeline_cmds  # noqa: F401  (registers pipeline init/ask/teach/forget/export/info, ask, teach)
    from . import hass_cmds  # noqa: F401  (registers hass import/parse)

    globals()["app"] = app  # the typer app, not the submodule of the same name the import bound here
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return _build_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point."""
    from .quick import quick_main

    code = quick_main(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    _build_app()()


__all__ = ["app", "main"]
