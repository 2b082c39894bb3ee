"""`edgekit predict model.onnx`: one input line in, one JSON line out, `{"label": ..., "proba": {label: p}}`.

Text models (exported with a featurizer) read each line as text. Other models read each line as one
feature vector: a JSON array, or numbers separated by spaces or commas (for a backbone model, a flat or
nested array of the backbone input's size; a JSON object {input name: array} when it has several
inputs). A bad line gives `{"label": null, "proba": null, "error": ...}` in its place (so output lines
stay aligned with input lines) and a message on stderr naming the line.
"""
from __future__ import annotations

import json
import os
import sys
from itertools import islice
from typing import Any, Iterable, Iterator, TextIO

import numpy as np

from ..errors import DataError

BATCH = 256


def predict_lines(model_path: str | os.PathLike, lines: Iterable[Any], out: TextIO,
                  err: TextIO | None = None, batch_size: int = BATCH) -> int:
    """Predict every line (str, or a record with .text/.error/.where as made by edgekit.textio) and write
    JSON Lines to `out`. Returns the number of bad lines (the command exits non-zero when it is not 0).
    Lines are batched for throughput, except from an interactive terminal, where each answers at once."""
    from .onnx_model import OnnxModel

    model = OnnxModel(model_path)
    err = err or sys.stderr
    parse = (lambda text: text) if model.feature_layout["kind"] == "text" else _vector_parser(model)
    size = 1 if getattr(lines, "isatty", lambda: False)() else max(1, batch_size)
    labels = [_plain(c) for c in model.classes_]
    bad = 0
    records = _numbered(lines)
    while chunk := list(islice(records, size)):
        parsed = []
        for where, text, error in chunk:
            try:
                if error:
                    raise DataError(error)
                parsed.append(parse(text))
            except DataError as exc:
                parsed.append(exc)
        for (where, _, _), result in zip(chunk, _predict(model, parsed)):
            if isinstance(result, DataError):
                bad += 1
                err.write(f"edgekit: {where}: {result}\n")
                out.write(json.dumps({"label": None, "proba": None, "error": str(result)}) + "\n")
            else:
                label, proba = result
                record = {"label": _plain(label), "proba": {str(c): round(float(p), 6) for c, p in zip(labels, proba)}}
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def _predict(model: Any, parsed: list) -> Iterator[Any]:
    """(label, proba) per parsed line, or the line's DataError; one run for all good lines of a chunk."""
    good = [p for p in parsed if not isinstance(p, DataError)]
    results: Iterator[Any] = iter(())
    if good:
        try:
            batch = _stack(good)
            labels, proba = model.run(batch)
            results = iter(zip(labels, proba))
        except DataError:
            results = iter([_one(model, p) for p in good])
    for p in parsed:
        yield p if isinstance(p, DataError) else next(results)


def _one(model: Any, parsed: Any) -> Any:
    """Predict one line alone, so an error names that line only."""
    try:
        labels, proba = model.run(_stack([parsed]))
        return labels[0], proba[0]
    except DataError as exc:
        return exc


def _stack(items: list) -> Any:
    """Batch parsed lines: texts stay a list, arrays stack, dicts (several inputs) stack per input."""
    if isinstance(items[0], str):
        return items
    if isinstance(items[0], dict):
        return {k: np.stack([it[k] for it in items]) for k in items[0]}
    return np.stack(items)


def _numbered(lines: Iterable[Any]) -> Iterator[tuple[str, str, str | None]]:
    """(where, text, decode error) per line; a str stream that fails to decode becomes an error line."""
    it = iter(lines)
    lineno = 0
    while True:
        lineno += 1
        try:
            item = next(it)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield f"line {lineno}", "", f"invalid UTF-8 ({exc.reason} at byte {exc.start})"
            continue
        if isinstance(item, str):
            yield f"line {lineno}", item.rstrip("\r\n"), None
        else:
            yield item.where, item.text, item.error


def _vector_parser(model: Any):
    """Parse a line into what model.run takes for one sample (values are checked with the whole batch):
    a flat vector (edgekit.learn.datafile.parse_vector), reshaped to a backbone's input shape; nested
    JSON arrays as they are; a JSON object of arrays for a backbone with several inputs."""
    from ..learn.datafile import parse_vector
    from ..textio import parse_json

    layout = model.feature_layout
    inputs = layout.get("inputs")
    shape = [layout["n_features"]] if inputs is None else inputs[0]["shape"][1:]

    def parse(text: str) -> Any:
        text = text.strip()
        if inputs is not None and text[:1] in "[{" and not _flat_json(text):
            try:
                value = parse_json(text)
                if isinstance(value, dict):
                    return {k: np.asarray(v, dtype=np.float64) for k, v in value.items()}
                return np.asarray(value, dtype=np.float64)
            except (ValueError, TypeError) as exc:
                raise DataError(f"not an array of numbers ({exc})") from None
        arr = parse_vector(text)
        if None not in shape and arr.size == int(np.prod(shape)):
            return arr.reshape(shape)
        raise DataError(f"{arr.size} numbers; the model expects {' x '.join(str(d) for d in shape)}")
    return parse


def _flat_json(text: str) -> bool:
    """True for a JSON array with no nested array or object (a plain vector)."""
    return text.startswith("[") and "[" not in text[1:] and "{" not in text


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching JSON value."""
    return value.item() if isinstance(value, np.generic) else value
