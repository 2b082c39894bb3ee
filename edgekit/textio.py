"""Reading input records line by line from files or stdin: strict UTF-8 per line (a bad line is named and
decoded with U+FFFD so nothing is lost or shifted), plain text or JSON Lines with a text field."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

from .limits import MAX_LINE_BYTES


@dataclass(frozen=True)
class Record:
    """One input line: where it came from, its text, the JSON object it was in (JSON Lines), any error,
    and how many bytes of input it took (line ending included)."""

    source: str
    lineno: int
    text: str
    obj: dict | None = None
    error: str | None = None
    size: int = 0

    @property
    def where(self) -> str:
        return f"{self.source}:{self.lineno}"


TOO_LONG = None  # what _lines yields in place of a line over MAX_LINE_BYTES


def _lines(stream: BinaryIO) -> Iterator[tuple[bytes | None, int]]:
    """(line without its ending, bytes it took); a line longer than MAX_LINE_BYTES is skipped in bounded
    chunks and yielded as TOO_LONG, so no input can make the reader hold more than the limit in memory."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 2)
        if not raw:
            return
        size = len(raw)
        if len(raw) > MAX_LINE_BYTES + 1 or (len(raw) == MAX_LINE_BYTES + 1 and not raw.endswith(b"\n")):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 16)
                size += len(raw)
            yield TOO_LONG, size
            continue
        if raw.endswith(b"\n"):
            raw = raw[:-1]
            if raw.endswith(b"\r"):
                raw = raw[:-1]
        yield raw, size


def decode_line(raw: bytes) -> tuple[str, str | None]:
    """Decode one line as UTF-8; on failure, the replacement-decoded text and a message naming the byte."""
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", errors="replace"), f"invalid UTF-8 at byte {exc.start}"


def read_records(paths: Iterable[str | Path] = (), jsonl: bool = False, field: str = "text",
                 stdin: BinaryIO | None = None) -> Iterator[Record]:
    """Yield records from each path in turn ('-' or no paths: stdin), one per line, in order."""
    paths = list(paths) or ["-"]
    for p in paths:
        if str(p) == "-":
            yield from records_from(stdin or sys.stdin.buffer, "<stdin>", jsonl, field)
        else:
            with open(p, "rb") as fh:
                yield from records_from(fh, str(p), jsonl, field)


def records_from(stream: BinaryIO, source: str, jsonl: bool = False, field: str = "text") -> Iterator[Record]:
    """Yield the records of one open binary stream, named `source` in their `where`."""
    for lineno, (raw, size) in enumerate(_lines(stream), 1):
        if raw is TOO_LONG:
            yield Record(source, lineno, "", None, f"line longer than the limit of {MAX_LINE_BYTES} bytes (skipped)",
                         size)
            continue
        text, error = decode_line(raw)
        if not jsonl or error:
            yield Record(source, lineno, text, None, error, size)
            continue
        if not text.strip():
            yield Record(source, lineno, "", None, "empty line (expected a JSON object)", size)
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Record(source, lineno, text, None, f"invalid JSON ({exc.msg} at column {exc.colno})", size)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
            yield Record(source, lineno, text, obj if isinstance(obj, dict) else None,
                         f"expected a JSON object with a string field {field!r}", size)
            continue
        yield Record(source, lineno, obj[field], obj, None, size)
