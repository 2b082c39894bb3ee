"""The `edgekit` command line: one typer app, one module per group of commands."""
from __future__ import annotations

from .app import app
from . import forest_cmds  # noqa: F401  (registers normalize, parse, explain, compile, expand)
from . import export_cmds  # noqa: F401  (registers export)
from . import learn_cmds  # noqa: F401  (registers learn, forget, predict, info)
from . import pipeline_cmds  # noqa: F401  (registers pipeline init/ask/teach/forget/export/info, ask, teach)
from . import hass_cmds  # noqa: F401  (registers hass import/parse)


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
