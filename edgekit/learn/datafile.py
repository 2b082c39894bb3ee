"""Reading labelled training files (CSV or JSON Lines) for `edgekit learn` / `edgekit forget`.

A record is either a text or a numeric feature vector, plus a label:

- CSV (.csv, .tsv, or anything whose first line is not a JSON object): a header row; with a column named
  `text_field` each row is a text, otherwise every column except `label_field` is a numeric feature.
- JSON Lines (.jsonl, .ndjson, .json, or a first line starting with "{"): one object per line with
  `text_field` (a string) or `features_field` (a list of numbers), and `label_field` (string or integer).

All records of a file must be of one kind. Every problem is a DataError naming file:line.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..valueclass import value_class
from ..errors import DataError
from ..limits import MAX_LINE_BYTES
from ..textio import parse_json, split_lines

_SEPARATORS = re.compile(r"[\s,;]+")


@value_class
class TrainingData:
    """The records of one file: texts or a feature matrix, and their labels (str or int, as written)."""

    source: str
    labels: list[Any]
    texts: list[str] | None = None
    X: np.ndarray | None = None

    @property
    def inputs(self) -> Any:
        """What a head's partial_fit / forget takes as X."""
        return self.texts if self.texts is not None else self.X

    @property
    def is_text(self) -> bool:
        return self.texts is not None


def _decode(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for lineno, line in enumerate(data.split(b"\n"), 1):
        if len(line.removesuffix(b"\r")) > MAX_LINE_BYTES:
            raise DataError(f"{path}:{lineno}: line is {len(line)} bytes long (limit {MAX_LINE_BYTES})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        lineno = data.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}:{lineno}: invalid UTF-8 at byte {exc.start}") from None


def _is_jsonl(path: Path, text: str) -> bool:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return True
    if suffix in (".csv", ".tsv"):
        return False
    first = next((line for line in split_lines(text) if line.strip()), "")
    return first.lstrip().startswith("{")


def read_training_file(path: str | os.PathLike, text_field: str = "text", label_field: str = "label",
                       features_field: str = "features") -> TrainingData:
    """Read every record of a CSV or JSON Lines training file (see the module docstring)."""
    path = Path(path)
    text = _decode(path)
    if _is_jsonl(path, text):
        data = _read_jsonl(path, text, text_field, label_field, features_field)
    else:
        data = _read_csv(path, text, text_field, label_field)
    if not data.labels:
        raise DataError(f"{path}: no records")
    return data


def _label(value: Any, where: str, field: str) -> Any:
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        raise DataError(f"{where}: missing or empty label {field!r}")
    if isinstance(value, float):
        if not value.is_integer():
            raise DataError(f"{where}: label {value!r} is not an integer or a string")
        value = int(value)
    if not isinstance(value, (str, int)):
        raise DataError(f"{where}: label must be a string or an integer, got {type(value).__name__}")
    return value


def _number(value: Any, where: str, column: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DataError(f"{where}: {column}: {str(value)[:40]!r} is not a number")
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"{where}: {column}: {str(value)[:40]!r} is not a number") from None
    if not math.isfinite(number):
        raise DataError(f"{where}: {column}: {value!r} is not a finite number")
    return number


def _read_jsonl(path: Path, text: str, text_field: str, label_field: str, features_field: str) -> TrainingData:
    labels: list[Any] = []
    texts: list[str] = []
    rows: list[list[float]] = []
    for lineno, line in enumerate(split_lines(text), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = parse_json(line)
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        if not isinstance(obj, dict):
            raise DataError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        if label_field not in obj:
            raise DataError(f"{where}: no label field {label_field!r}")
        labels.append(_label(obj[label_field], where, label_field))
        if text_field in obj:
            if rows:
                raise DataError(f"{where}: a text record in a file of feature vectors")
            if not isinstance(obj[text_field], str):
                raise DataError(f"{where}: field {text_field!r} must be a string")
            texts.append(obj[text_field])
        elif features_field in obj:
            if texts:
                raise DataError(f"{where}: a feature vector in a file of text records")
            vec = obj[features_field]
            if not isinstance(vec, list) or not vec:
                raise DataError(f"{where}: field {features_field!r} must be a non-empty list of numbers")
            rows.append([_number(v, where, f"{features_field}[{j}]") for j, v in enumerate(vec)])
            if len(rows[-1]) != len(rows[0]):
                raise DataError(f"{where}: {len(rows[-1])} features, the first record has {len(rows[0])}")
        else:
            raise DataError(f"{where}: neither a text field {text_field!r} nor a features field {features_field!r}")
    if texts or not rows:
        return TrainingData(str(path), labels, texts=texts)
    return TrainingData(str(path), labels, X=np.array(rows, dtype=np.float64))


def _read_csv(path: Path, text: str, text_field: str, label_field: str) -> TrainingData:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    if csv.field_size_limit() < MAX_LINE_BYTES:  # the csv default (128 KiB) would refuse lines within the limit
        csv.field_size_limit(MAX_LINE_BYTES)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(f"{path}: empty file (expected a header row)") from None
    except csv.Error as exc:
        raise DataError(f"{path}:1: {exc}") from None
    header = [h.strip() for h in header]
    if label_field not in header:
        raise DataError(f"{path}:1: no {label_field!r} column in the header (columns: {', '.join(header)})")
    li = header.index(label_field)
    ti = header.index(text_field) if text_field in header else None
    feature_cols = [j for j in range(len(header)) if j != li]
    if ti is None and not feature_cols:
        raise DataError(f"{path}:1: no feature columns besides {label_field!r}")
    labels: list[Any] = []
    texts: list[str] = []
    rows: list[list[float]] = []
    try:
        for cells in reader:
            where = f"{path}:{reader.line_num}"
            if not cells or all(not c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                raise DataError(f"{where}: {len(cells)} cells, the header has {len(header)}")
            labels.append(_label(cells[li].strip(), where, label_field))
            if ti is not None:
                texts.append(cells[ti])
            else:
                rows.append([_number(cells[j].strip(), where, f"column {header[j]!r}") for j in feature_cols])
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: {exc}") from None
    if ti is not None:
        return TrainingData(str(path), labels, texts=texts)
    return TrainingData(str(path), labels, X=np.array(rows, dtype=np.float64).reshape(len(rows), len(feature_cols)))


def parse_vector(line: str) -> np.ndarray:
    """One feature vector from a line: a JSON array, or numbers separated by spaces, commas or semicolons."""
    line = line.strip()
    if not line:
        raise DataError("empty line; expected a feature vector")
    if line.startswith("["):
        try:
            values = parse_json(line)
        except ValueError as exc:
            raise DataError(str(exc)) from None
        if not isinstance(values, list):
            raise DataError("expected a JSON array of numbers")
    else:
        values = _SEPARATORS.split(line)
    return np.array([_number(v, "feature vector", f"item {j}") for j, v in enumerate(values)], dtype=np.float64)
