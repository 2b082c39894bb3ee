"""Forest commands: normalize, parse, explain (text in, one record out per input line), compile, expand."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from .app import answer_records, app, context_option, each_record, guarded
from .quick import DEFAULT_FIELD, DEFAULT_GRAMMAR, run_normalize

GrammarOpt = typer.Option(DEFAULT_GRAMMAR, "--grammar", "-g", help="Shipped grammar name (home, en-itn, en-tn, zh-itn, zh-tn) or a path.")
FilesArg = typer.Argument(None, help="Input files, one record a line (default: stdin).")
JsonlOpt = typer.Option(False, "--jsonl", help="Input is JSON Lines; the text is in --field.")
FieldOpt = typer.Option(DEFAULT_FIELD, "--field", help="JSON field holding the text (with --jsonl).")


ListsOpt = typer.Option(None, "--lists", help="Runtime lists from a home file (JSON, or YAML with the hass extra): "
                        "areas, floors, entities like Home Assistant's test fixtures, and `lists`; each fills the "
                        "runtime class of its name.")
ContextOpt = typer.Option(None, "--context", help='Caller context as JSON, e.g. \'{"area": "kitchen"}\' (for '
                                                  'requires / excludes clauses).')


def _load(grammar: str, lists: Optional[Path] = None):
    """The forest, its runtime classes filled from a home file when one is given."""
    from ..forest import load_forest

    forest = load_forest(grammar)
    if lists is not None:
        from ..hass import load_home

        runtime = set(forest.runtime_classes)
        for name, entries in load_home(lists).items():
            if name in runtime:
                forest.set_list(name, entries)
    return forest


@app.command()
def normalize(files: Optional[List[Path]] = typer.Argument(None, help="Input files or folders (all files inside, "
                                                                     "recursively), one record a line (default: stdin)."),
              grammar: str = GrammarOpt, jsonl: bool = JsonlOpt, field: str = FieldOpt,
              jobs: int = typer.Option(1, "--jobs", "-j", help="Worker processes (0: one per core); output stays "
                                                               "in input order."),
              output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write one output file per input "
                                                    "into this folder (a resumable job; bad records listed in "
                                                    "_errors.jsonl) instead of to stdout."),
              resume: bool = typer.Option(False, "--resume", help="Continue an interrupted --output job: finished "
                                                                  "blocks are kept, only the rest is run."),
              engine: str = typer.Option("local", "--engine", help="local (worker processes) or dask (a Dask "
                                                                   "cluster: needs --scheduler and --output)."),
              scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address, e.g. "
                                                                                "tcp://10.0.0.5:8786."),
              block_size: Optional[int] = typer.Option(None, "--block-size", help="Bytes per unit of work "
                                                       "(default 64 KiB streaming, 1 MiB with --output).")) -> None:
    """Normalize text: one output line per input line, in order (JSON Lines in: the field is rewritten).

    A bad record (invalid UTF-8, bad JSON) is reported on stderr as file:line and passed through; the
    exit status is then 1. A progress bar is drawn on stderr when it is a terminal."""
    def body() -> None:
        code = run_normalize(files or [], grammar, jsonl=jsonl, field=field, jobs=jobs, output=output,
                             resume=resume, engine=engine, scheduler=scheduler, block_size=block_size)
        if code:
            raise typer.Exit(code)

    guarded(body)


@app.command()
def parse(files: Optional[List[Path]] = FilesArg, grammar: str = GrammarOpt,
          jsonl: bool = JsonlOpt, field: str = FieldOpt, lists: Optional[Path] = ListsOpt,
          context: Optional[str] = ContextOpt) -> None:
    """Parse commands into frames: one JSON object per input line (intent null plus a reason when rejected)."""
    def body() -> None:
        forest = _load(grammar, lists)
        ctx = context_option(context) or None

        def handle(rec) -> str:
            frame, reason = forest.parse_with_reason(rec.text, ctx)
            if frame is not None:
                record = {"text": rec.text, **frame.to_dict()}
            else:
                record = {"text": rec.text, "intent": None, "reason": rec.error or reason}
            return json.dumps(record, ensure_ascii=False)

        answer_records(files, jsonl, field, each_record(handle))

    guarded(body)


@app.command()
def explain(files: Optional[List[Path]] = FilesArg, grammar: str = GrammarOpt,
            jsonl: bool = JsonlOpt, field: str = FieldOpt,
            as_json: bool = typer.Option(False, "--json", help="One JSON trace per line instead of a tree."),
            lists: Optional[Path] = ListsOpt, context: Optional[str] = ContextOpt) -> None:
    """Show which rule (file:line) matched which span at which layer, and why a command was rejected."""
    def body() -> None:
        forest = _load(grammar, lists)
        ctx = context_option(context) or None

        def handle(rec) -> str:
            trace = forest.explain(rec.text, ctx)
            return json.dumps(trace.to_dict(), ensure_ascii=False) if as_json else str(trace) + "\n"

        answer_records(files, jsonl, field, each_record(handle))

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
           limit: int = typer.Option(20, "--limit", "-n", min=0, help="How many phrasings to print (0: all)."),
           count: bool = typer.Option(False, "--count", help="Print only the number of phrasings.")) -> None:
    """List the phrasings a rule covers (the multiplication rule), or count them."""
    def body() -> None:
        forest = _load(grammar)
        if count:
            from ..forest.expand import COUNT_EXPONENT, MAX_COUNT

            n = forest.count(rule)
            typer.echo(str(n) if n < MAX_COUNT else f"at least 10^{COUNT_EXPONENT}")
            return
        for phrase in forest.expand(rule, limit or None):
            typer.echo(phrase)

    guarded(body)
