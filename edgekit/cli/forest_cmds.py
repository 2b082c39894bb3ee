"""Forest commands: normalize, parse, explain (text in, one record out per input line), compile, expand."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .app import app, guarded

GrammarOpt = typer.Option("home", "--grammar", "-g", help="Shipped grammar name (home, en-itn, en-tn) or a path.")
FilesArg = typer.Argument(None, help="Input files, one record a line (default: stdin).")
JsonlOpt = typer.Option(False, "--jsonl", help="Input is JSON Lines; the text is in --field.")
FieldOpt = typer.Option("text", "--field", help="JSON field holding the text (with --jsonl).")


def _load(grammar: str):
    from ..forest import load_forest

    return load_forest(grammar)


def _run(files: Optional[List[Path]], jsonl: bool, field: str, handle) -> None:
    """Feed every record to `handle(record) -> output line`; report bad records on stderr, exit 1 if any."""
    from ..textio import read_records

    bad = 0
    out = sys.stdout
    for rec in read_records(files or [], jsonl=jsonl, field=field):
        if rec.error:
            bad += 1
            typer.echo(f"edgekit: {rec.where}: {rec.error}", err=True)
        out.write(handle(rec) + "\n")
    out.flush()
    if bad:
        raise typer.Exit(1)


@app.command()
def normalize(files: Optional[List[Path]] = FilesArg, grammar: str = GrammarOpt,
              jsonl: bool = JsonlOpt, field: str = FieldOpt) -> None:
    """Normalize text: one output line per input line, in order (JSON Lines in: the field is rewritten)."""
    def body() -> None:
        forest = _load(grammar)

        def handle(rec) -> str:
            if not jsonl:
                return forest.normalize(rec.text)
            if rec.error:  # a bad JSON record is passed through unchanged (and reported)
                return rec.text
            return json.dumps({**rec.obj, field: forest.normalize(rec.text)}, ensure_ascii=False)

        _run(files, jsonl, field, handle)

    guarded(body)


@app.command()
def parse(files: Optional[List[Path]] = FilesArg, grammar: str = GrammarOpt,
          jsonl: bool = JsonlOpt, field: str = FieldOpt) -> None:
    """Parse commands into frames: one JSON object per input line (intent null plus a reason when rejected)."""
    def body() -> None:
        forest = _load(grammar)

        def handle(rec) -> str:
            frame = forest.parse(rec.text)
            if frame is not None:
                record = {"text": rec.text, **frame.to_dict()}
            else:
                reason = rec.error or forest.explain(rec.text).rejection or "no intent rule covers the input"
                record = {"text": rec.text, "intent": None, "reason": reason}
            return json.dumps(record, ensure_ascii=False)

        _run(files, jsonl, field, handle)

    guarded(body)


@app.command()
def explain(files: Optional[List[Path]] = FilesArg, grammar: str = GrammarOpt,
            jsonl: bool = JsonlOpt, field: str = FieldOpt,
            as_json: bool = typer.Option(False, "--json", help="One JSON trace per line instead of a tree.")) -> None:
    """Show which rule (file:line) matched which span at which layer, and why a command was rejected."""
    def body() -> None:
        forest = _load(grammar)

        def handle(rec) -> str:
            trace = forest.explain(rec.text)
            return json.dumps(trace.to_dict(), ensure_ascii=False) if as_json else str(trace) + "\n"

        _run(files, jsonl, field, handle)

    guarded(body)


@app.command("compile")
def compile_cmd(grammar: str = typer.Argument(..., help="Grammar name or path."),
                output: Optional[Path] = typer.Option(None, "--output", "-o",
                                                      help="Write the compiled forest (.forestc) here.")) -> None:
    """Check and compile a grammar set; print its size figures (errors point to file:line:col)."""
    def body() -> None:
        from ..forest import Forest, compile_forest

        forest = Forest(compile_forest(grammar), grammar)
        if output is not None:
            forest.save(output)
        typer.echo(json.dumps(forest.info()))

    guarded(body)


@app.command()
def expand(grammar: str = typer.Argument(..., help="Grammar name or path."),
           rule: str = typer.Argument(..., help="Rule or class name."),
           limit: int = typer.Option(20, "--limit", "-n", help="How many phrasings to print (0: all)."),
           count: bool = typer.Option(False, "--count", help="Print only the number of phrasings.")) -> None:
    """List the phrasings a rule covers (the multiplication rule), or count them."""
    def body() -> None:
        forest = _load(grammar)
        if count:
            typer.echo(str(forest.count(rule)))
            return
        for phrase in forest.expand(rule, limit or None):
            typer.echo(phrase)

    guarded(body)
