"""Entry point of the single-file `edgekit` binary (built by binary/build.sh with PyInstaller).

Before the CLI starts it (1) lets multiprocessing workers of `normalize -j N` start inside the frozen
program, (2) copies the shipped grammars compiled at build time into the user's compile cache when
they are missing there, so even the first run loads them instead of compiling, and (3) turns off rich
help formatting (rich is not bundled; typer falls back to plain text).
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import sys


def seed_compiled_grammars() -> None:
    """Copy bundled .forestc files (named by content hash) into the compile cache; best effort."""
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "edgekit_forest_cache")
    if not os.path.isdir(bundled):
        return
    from edgekit.forest.artifact import cache_dir

    target = cache_dir()
    try:
        for name in os.listdir(bundled):
            if not os.path.exists(os.path.join(target, name)):
                os.makedirs(target, exist_ok=True)
                tmp = os.path.join(target, f".{name}.{os.getpid()}.tmp")
                shutil.copyfile(os.path.join(bundled, name), tmp)
                os.replace(tmp, os.path.join(target, name))
    except OSError:
        pass  # a read-only home only costs a compile per run


def main() -> None:
    multiprocessing.freeze_support()
    os.environ.setdefault("TYPER_USE_RICH", "0")
    seed_compiled_grammars()
    from edgekit.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
