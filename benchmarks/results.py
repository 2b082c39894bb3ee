"""Write one benchmark's section of benchmarks/RESULTS.md, leaving the other sections untouched."""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
_HEADER = "# Benchmark results\n\nEach section is rewritten by the benchmark named in its title.\n"


def suite_parser(doc: str, data: Path, skip_help: str, repeat: bool = True) -> argparse.ArgumentParser:
    """The options every suite benchmark against a peer shares (--data, --edgekit-only, --repeat,
    --no-write, and the hidden --worker its child processes get); each script adds its own."""
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--data", type=Path, default=data)
    ap.add_argument("--edgekit-only", action="store_true", help=skip_help)
    if repeat:
        ap.add_argument("--repeat", type=int, default=3, help="timed runs per case (the fastest counts)")
    ap.add_argument("--no-write", action="store_true", help="do not update benchmarks/RESULTS.md")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    return ap


def machine_line() -> str:
    """One line naming the machine and software the figures were measured on."""
    import numpy

    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"numpy {numpy.__version__}, measured {datetime.date.today().isoformat()}")


def pct(k: int, n: int) -> str:
    """k of n as a percentage with one decimal ("-" for none)."""
    return f"{100 * k / n:.1f}%" if n else "-"


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    """Render rows as a GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def write_section(name: str, body: str, path: Path = RESULTS) -> None:
    """Replace (or append) the section delimited by markers for `name`."""
    text = path.read_text(encoding="utf-8") if path.exists() else _HEADER
    block = f"<!-- begin {name} -->\n{body.rstrip()}\n<!-- end {name} -->"
    pattern = re.compile(rf"<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def installed_env(**extra: str) -> dict[str, str]:
    """Environment for a child process timed as an installed edgekit runs: with bytecode caches.

    This sandbox sets PYTHONDONTWRITEBYTECODE, which makes every start recompile edgekit from source;
    an installed package has its .pyc files, so start-up figures drop the variable and precompile."""
    import compileall
    import sys

    import edgekit

    compileall.compile_dir(os.path.dirname(edgekit.__file__), quiet=1)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    if sys.flags.dont_write_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
