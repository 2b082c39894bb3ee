"""Learned-head commands: learn, forget, predict (JSON Lines out), info."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterable, List, Optional

import typer

from ..errors import DataError
from .app import app, fail, guarded, interactive

TextFieldOpt = typer.Option("text", "--text-field", help="Column / JSON field holding the text.")
LabelFieldOpt = typer.Option("label", "--label-field", help="Column / JSON field holding the label.")
FeaturesFieldOpt = typer.Option("features", "--features-field", help="JSON field holding a feature vector.")


def _read(data: Path, text_field: str, label_field: str, features_field: str):
    from ..learn.datafile import read_training_file

    return read_training_file(data, text_field, label_field, features_field)


def _params(pairs: list[str]) -> dict[str, Any]:
    """--param KEY=VALUE pairs; VALUE is read as JSON when it parses (numbers, true/false), else as a string."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DataError(f"--param {pair!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


@app.command()
def learn(
    model: Path = typer.Argument(..., help="Model state file; created if absent."),
    data: Path = typer.Option(..., "--data", help="Training file: CSV or JSON Lines of text or feature vectors + label."),
    head: Optional[str] = typer.Option(None, "--head", help="Head for a new model (default analytic; e.g. kvb)."),
    text_field: str = TextFieldOpt,
    label_field: str = LabelFieldOpt,
    features_field: str = FeaturesFieldOpt,
    features: int = typer.Option(1024, "--features", help="Hashed feature size for a new text model."),
    grammar: Optional[str] = typer.Option(None, "--grammar", help="Normalize text with this forest grammar first "
                                                                  "(new text model)."),
    param: List[str] = typer.Option([], "--param", help="KEY=VALUE parameter for a new model's head, e.g. "
                                                        "buffer_size=2048, per_class_stats=true."),
    engine: str = typer.Option("local", "--engine", help="local, or dask: fit each file of a --data folder on a "
                                                         "Dask cluster and merge the statistics exactly (analytic)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (--engine dask)."),
) -> None:
    """Learn the labelled records of a file (creates the model if absent); the file is updated atomically."""
    def body() -> None:
        from ..learning import NewModel, learn_file

        if engine != "local":
            from ..batch_dask import learn_on_dask

            if engine != "dask":
                raise fail(f"unknown engine {engine!r} (local or dask)")
            current = learn_on_dask(model, data, scheduler, NewModel(head, _params(param), features, grammar),
                                    text_field=text_field, label_field=label_field, features_field=features_field)
            typer.echo(f"learned {data} on the Dask cluster; {model}: {_summary(current)}", err=True)
            return
        batch = _read(data, text_field, label_field, features_field)
        current = learn_file(model, batch, NewModel(head, _params(param), features, grammar))
        typer.echo(f"learned {len(batch.labels)} records from {data}; {model}: {_summary(current)}", err=True)

    guarded(body)


def _summary(head: Any) -> str:
    counts = head.info().get("counts", {})
    shown = ", ".join(f"{k}: {v}" for k, v in list(counts.items())[:8])
    more = f", ... ({len(counts)} classes)" if len(counts) > 8 else ""
    return f"{len(head.classes_)} classes ({shown}{more})"


@app.command()
def forget(
    model: Path = typer.Argument(..., help="Model state file (or a pipeline directory: then give TEXTS or --intent)."),
    texts: Optional[List[str]] = typer.Argument(None, help="With a pipeline directory: taught texts to unlearn."),
    intent: Optional[str] = typer.Option(None, "--intent", "-i", help="With a pipeline directory: the intent "
                                         "the texts were taught as, or alone: forget the whole intent."),
    data: Optional[Path] = typer.Option(None, "--data", help="File of the records to forget (as given to learn)."),
    label: List[str] = typer.Option([], "--label", help="Forget a whole class (repeatable; needs per-class "
                                                        "statistics, --param per_class_stats=true at creation)."),
    text_field: str = TextFieldOpt,
    label_field: str = LabelFieldOpt,
    features_field: str = FeaturesFieldOpt,
) -> None:
    """Remove records or whole classes from a model exactly; on any error the file is left as it was.
    Given a pipeline directory, unlearn taught texts or an intent (as `edgekit pipeline forget`)."""
    if model.is_dir():
        from .pipeline_cmds import forget as forget_in_pipeline

        return forget_in_pipeline(directory=model, texts=texts, intent=intent)

    def body() -> None:
        from ..learning import forget_file

        if (data is None) == (not label):
            raise fail("give exactly one of --data FILE or --label L")
        batch = _read(data, text_field, label_field, features_field) if data is not None else None
        current = forget_file(model, batch, label)
        what = f"{len(batch.labels)} records of {data}" if batch is not None else "class " + ", ".join(label)
        typer.echo(f"forgot {what}; {model}: {_summary(current)}", err=True)

    guarded(body)


@app.command()
def predict(
    model: Path = typer.Argument(..., help="Model state file, or an exported .onnx model."),
    files: Optional[List[Path]] = typer.Argument(None, help="Input files, one record a line (default: stdin)."),
    jsonl: bool = typer.Option(False, "--jsonl", help="Input is JSON Lines; the text is in --field."),
    field: str = typer.Option("text", "--field", help="JSON field holding the text (with --jsonl)."),
) -> None:
    """Predict each input line (a text, or a feature vector as numbers or a JSON array): one JSON line out,
    {"label": ..., "proba": {label: p}}; a bad line gives an "error" record there and exit status 1."""
    def body() -> None:
        from ..record_loop import BATCH
        from ..textio import read_records

        records = read_records(files or [], jsonl=jsonl, field=field)
        batch = 1 if interactive(files) else BATCH
        if str(model).endswith(".onnx"):
            try:
                from ..runtime.predict_cli import predict_lines
            except ImportError as exc:
                raise fail(f"cannot run .onnx models: the ONNX runtime part of edgekit is unavailable ({exc})")
            bad = predict_lines(model, records, sys.stdout, batch_size=batch)
        else:
            bad = _predict_with_head(model, records, batch)
        if bad:
            raise typer.Exit(1)

    guarded(body)


def _predict_with_head(model: Path, records: Iterable[Any], batch_size: int) -> int:
    """`edgekit predict` with a saved head: the shared predict loop, labels taken as the top probability."""
    import numpy as np

    from ..learn.datafile import parse_vector
    from ..learn.heads import load_head
    from ..runtime.predict_cli import predict_records

    head = load_head(model)
    classes = head.classes_

    def run(items: list[Any]) -> tuple[Any, Any]:
        proba = head.predict_proba(items if isinstance(items[0], str) else np.stack(items))
        return classes[np.argmax(proba, axis=1)], proba

    parse = (lambda text: text) if getattr(head, "featurizer", None) is not None else parse_vector
    return predict_records(classes, parse, run, records, sys.stdout, batch_size=batch_size)


@app.command()
def info(
    model: Path = typer.Argument(..., help="Model state file, or an exported .onnx model."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Show a model's classes, per-class counts, feature size and sizes in bytes."""
    def body() -> None:
        if str(model).endswith(".onnx"):
            from ..runtime.onnx_model import OnnxModel

            head = OnnxModel(model)
        else:
            from ..learn.heads import load_head

            head = load_head(model)
        summary = dict(head.info()) if hasattr(head, "info") else {"classes": [str(c) for c in head.classes_]}
        summary = {"path": str(model), "file_bytes": model.stat().st_size, **summary}
        if as_json:
            typer.echo(json.dumps(summary, ensure_ascii=False))
            return
        for key, value in summary.items():
            if isinstance(value, dict):
                value = ", ".join(f"{k}: {v}" for k, v in value.items()) if value else "-"
            elif isinstance(value, list):
                value = f"{len(value)}: " + ", ".join(str(v) for v in value[:20]) + (" ..." if len(value) > 20 else "")
            typer.echo(f"{key + ':':<18}{value}")

    guarded(body)
