"""Learned-head commands: learn, forget, predict (JSON Lines out), info."""
from __future__ import annotations

import json
import sys
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, List, Optional, TextIO

import typer

from ..errors import DataError
from ..textio import plural
from .app import app, fail, guarded

TextFieldOpt = typer.Option("text", "--text-field", help="Column / JSON field holding the text.")
LabelFieldOpt = typer.Option("label", "--label-field", help="Column / JSON field holding the label.")
FeaturesFieldOpt = typer.Option("features", "--features-field", help="JSON field holding a feature vector.")
BATCH = 256


def _read(data: Path, text_field: str, label_field: str, features_field: str):
    from ..learn.datafile import read_training_file

    return read_training_file(data, text_field, label_field, features_field)


def _labels_for(head: Any, raw: list) -> list:
    """File labels in the model's label type: integers for a model with integer labels, otherwise strings."""
    from ..learn.validation import coerce_label

    classes = getattr(head, "classes_", None)
    if classes is not None and len(classes) and classes.dtype.kind != "U":
        return [coerce_label(str(v), classes) for v in raw]
    return [str(v) for v in raw]


def _check_kind(head: Any, model: Path, batch: Any) -> None:
    """Refuse text records for a vector model and vice versa, naming both files."""
    text_model = getattr(head, "featurizer", None) is not None
    if hasattr(head, "classes_") and text_model != batch.is_text:
        have = "text" if batch.is_text else "feature vectors"
        want = "text" if text_model else "feature vectors"
        raise DataError(f"{batch.source} holds {have}, but {model} is a model of {want}")


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
    features: Optional[int] = typer.Option(None, "--features", help="Hashed feature size for a new text model "
                                                                  "[default: 1024]."),
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
        if engine != "local":
            from ..batch_dask import learn_on_dask

            if engine != "dask":
                raise fail(f"unknown engine {engine!r} (local or dask)")
            current = learn_on_dask(model, data, scheduler, head=head, text_field=text_field, label_field=label_field,
                                    features_field=features_field, n_features=features or 1024, grammar=grammar,
                                    params=_params(param))
            typer.echo(f"learned {data} on the Dask cluster; {model}: {_summary(current)}", err=True)
            return
        from ..learn.featurize import featurizer_for_model
        from ..learn.heads import load_head, make_head
        from ..storage import file_lock

        batch = _read(data, text_field, label_field, features_field)
        params = _params(param)
        with file_lock(model):
            if model.exists():
                current = load_head(model)
                if head is not None and head not in _kinds_of(current):
                    raise DataError(f"{model} is an existing {_kinds_of(current)[0]} model; --head {head} "
                                      f"applies to new models only")
                given = [name for name, value in (("--param", params), ("--features", features),
                                                  ("--grammar", grammar)) if value]
                if given:
                    raise DataError(f"{' and '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to new models "
                                    f"only ({model} exists; its settings are kept)")
            else:
                if batch.is_text:
                    params["featurizer"] = featurizer_for_model(model, features or 1024, grammar)
                current = make_head(head or "analytic", **params)
            _check_kind(current, model, batch)
            current.partial_fit(batch.inputs, _labels_for(current, batch.labels))
            current.save(model)
        typer.echo(f"learned {plural(len(batch.labels), 'record')} from {data}; {model}: {_summary(current)}", err=True)

    guarded(body)


def _kinds_of(head: Any) -> list[str]:
    from ..learn.heads import HEADS

    return [name for name, cls in HEADS.items() if type(head) is cls] or [type(head).__name__]


def _summary(head: Any) -> str:
    counts = head.info().get("counts", {}) if hasattr(head, "info") else {}
    shown = ", ".join(f"{k}: {v}" for k, v in list(counts.items())[:8])
    more = f", ... ({plural(len(counts), 'class', 'classes')})" if len(counts) > 8 else ""
    return f"{plural(len(head.classes_), 'class', 'classes')} ({shown}{more})"


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
        from ..learn.heads import load_head
        from ..learn.validation import coerce_label
        from ..storage import file_lock

        if (data is None) == (not label):
            raise fail("give exactly one of --data FILE or --label L")
        batch = _read(data, text_field, label_field, features_field) if data is not None else None
        with file_lock(model):
            current = load_head(model)
            if batch is not None:
                _check_kind(current, model, batch)
                current.forget(batch.inputs, _labels_for(current, batch.labels))
                what = f"{plural(len(batch.labels), 'record')} of {data}"
            else:
                for name in label:
                    current.forget_class(coerce_label(name, current.classes_))
                what = "class " + ", ".join(label)
            current.save(model)
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
        from ..textio import read_records

        records = read_records(files or [], jsonl=jsonl, field=field)
        batch = 1 if not files and sys.stdin.isatty() else BATCH  # answer each typed line at once
        if str(model).endswith(".onnx"):
            try:
                from ..runtime.predict_cli import predict_lines
            except ImportError as exc:
                raise fail(f"cannot run .onnx models: the ONNX runtime part of edgekit is unavailable ({exc})")
            bad = predict_lines(model, records, sys.stdout, batch_size=batch)
        else:
            from ..learn.heads import load_head

            bad = _predict_records(load_head(model), records, sys.stdout, batch)
        if bad:
            raise typer.Exit(1)

    guarded(body)


def _predict_records(head: Any, records: Iterable[Any], out: TextIO, batch_size: int) -> int:
    """Write one JSON line per record; returns how many records were bad (each also reported on stderr)."""
    from ..learn.datafile import parse_vector

    text = getattr(head, "featurizer", None) is not None
    labels = [c.item() if hasattr(c, "item") else c for c in head.classes_]
    bad = 0
    it = iter(records)
    while chunk := list(islice(it, batch_size)):
        parsed: list[Any] = []
        for rec in chunk:
            try:
                if rec.error:
                    raise DataError(rec.error)
                parsed.append(rec.text if text else parse_vector(rec.text))
            except DataError as exc:
                parsed.append(exc)
        for rec, result in zip(chunk, _probabilities(head, parsed)):
            if isinstance(result, DataError):
                bad += 1
                typer.echo(f"edgekit: {rec.where}: {result}", err=True)
                out.write(json.dumps({"label": None, "proba": None, "error": str(result)}) + "\n")
            else:
                best = max(range(len(labels)), key=lambda j: result[j])
                proba = {str(c): round(float(p), 6) for c, p in zip(labels, result)}
                out.write(json.dumps({"label": labels[best], "proba": proba}, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def _probabilities(head: Any, parsed: list[Any]) -> list[Any]:
    """predict_proba row per parsed item (errors pass through); one call for the batch, item by item on failure
    so an error names only its own line."""
    import numpy as np

    good = [p for p in parsed if not isinstance(p, DataError)]
    rows: list[Any] = []
    if good:
        try:
            rows = list(head.predict_proba(good if isinstance(good[0], str) else np.stack(good)))
        except (DataError, ValueError):
            rows = []
            for item in good:
                try:
                    rows.append(head.predict_proba([item] if isinstance(item, str) else item[None, :])[0])
                except (DataError, ValueError) as exc:
                    rows.append(exc if isinstance(exc, DataError) else DataError(str(exc)))
    results = iter(rows)
    return [p if isinstance(p, DataError) else next(results) for p in parsed]


@app.command()
def info(
    model: Path = typer.Argument(..., help="Model state file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Show a model's classes, per-class counts, feature size and sizes in bytes."""
    def body() -> None:
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
