"""`edgekit predict MODEL`: one input line in, one JSON line out, `{"label": ..., "proba": {label: p}}`.

Text models (exported with a featurizer) read each line as text. Other models read each line as one
feature vector: a JSON array, or numbers separated by spaces or commas (for a backbone model, a flat or
nested array of the backbone input's size; a JSON object {input name: array} when it has several
inputs). A bad line gives `{"label": null, "proba": null, "error": ...}` in its place (so output lines
stay aligned with input lines) and a message on stderr naming the line. `predict_records` is the loop
for any model (an exported .onnx model here, a saved head in `edgekit predict`).
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Iterable, Iterator, Sequence, TextIO

import numpy as np

from ..valueclass import value_class
from ..errors import DataError
from ..record_loop import BATCH, Reply, answer_good, is_interactive, parse_each, run_batch, run_records

ERROR_FIELDS = {"label": None, "proba": None}


def predict_lines(model_path: str | os.PathLike, lines: Iterable[Any], out: TextIO,
                  err: TextIO | None = None, batch_size: int = BATCH) -> int:
    """Predict every line (str, or a record with .text/.error/.where as made by edgekit.textio) with an
    exported model and write JSON Lines to `out`. Returns the number of bad lines (the command exits
    non-zero when it is not 0). Lines from an interactive terminal are answered one by one."""
    from .onnx_model import OnnxModel

    model = OnnxModel(model_path)
    parse = (lambda text: text) if model.feature_layout["kind"] == "text" else _vector_parser(model)
    err = err or sys.stderr
    return predict_records(model.classes_, parse, lambda items: model.run(_stack(items)), _numbered(lines), out,
                           report=lambda message: err.write(message + "\n"),
                           interactive=is_interactive(lines), batch_size=batch_size)


def predict_records(classes: Sequence[Any], parse: Callable[[str], Any],
                    run: Callable[[list[Any]], tuple[Sequence[Any], Sequence[Any]]], records: Iterable[Any],
                    out: TextIO, *, report: Callable[[str], None] | None = None, interactive: bool = False,
                    batch_size: int = BATCH) -> int:
    """The predict loop for any model: `parse(text)` makes one sample, `run(samples)` gives (labels, proba
    rows) for a list of them. One run per chunk of good lines; on a DataError, line by line, so the error
    names only its own line. Returns the number of bad lines."""
    labels = [_plain(c) for c in classes]

    def answer(chunk: list[Any]) -> list[Reply]:
        parsed = parse_each(chunk, parse)
        results = answer_good(parsed, lambda good: run_batch(lambda items: list(zip(*run(items))), good))
        return [_reply(labels, result) for result in results]

    return run_records(records, answer, out, report=report, interactive=interactive, batch_size=batch_size)


def _reply(labels: list[Any], result: Any) -> Reply:
    if isinstance(result, DataError):
        return Reply(json.dumps({**ERROR_FIELDS, "error": str(result)}), str(result))
    label, proba = result
    record = {"label": _plain(label), "proba": {str(c): round(float(p), 6) for c, p in zip(labels, proba)}}
    return Reply(json.dumps(record, ensure_ascii=False))


def _stack(items: list) -> Any:
    """Batch parsed lines: texts stay a list, arrays stack, dicts (several inputs) stack per input."""
    if isinstance(items[0], str):
        return items
    if isinstance(items[0], dict):
        return {k: np.stack([it[k] for it in items]) for k in items[0]}
    return np.stack(items)


@value_class(frozen=True)
class _Line:
    """A plain input line, named by its number."""

    where: str
    text: str
    error: str | None = None


def _numbered(lines: Iterable[Any]) -> Iterator[Any]:
    """Records as they are; a str as a numbered line; a str stream that fails to decode as an error line."""
    it = iter(lines)
    lineno = 0
    while True:
        lineno += 1
        try:
            item = next(it)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield _Line(f"line {lineno}", "", f"invalid UTF-8 ({exc.reason} at byte {exc.start})")
            continue
        yield _Line(f"line {lineno}", item.rstrip("\r\n")) if isinstance(item, str) else item


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
