"""Reading input records line by line from files or stdin: strict UTF-8 per line (a bad line is named and
decoded with U+FFFD so nothing is lost or shifted), plain text or JSON Lines with a text field.

Lines end at "\n" (a "\r" before it is part of the ending) and nowhere else: U+2028, U+0085 and a lone
"\r" are characters of the line. JSON from a line goes through `parse_json`, which turns every way
untrusted JSON can fail (syntax, nesting deeper than the parser's stack, an integer past Python's digit
limit, NaN/Infinity) into a ValueError with a one-line message; `dumps_record` writes a record back."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from .valueclass import value_class
from .limits import MAX_LINE_BYTES


@value_class(frozen=True)
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
READ_LIMIT = MAX_LINE_BYTES + 2
"""The most bytes to read for one line: a line at the limit plus its ending ("\r\n")."""


def strip_ending(raw: bytes) -> bytes | None:
    """A line read with readline(READ_LIMIT) without its ending, or TOO_LONG when its content (the bytes
    before "\n" or "\r\n") is over MAX_LINE_BYTES or it was cut off by the read limit."""
    if raw.endswith(b"\n"):
        raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
    elif len(raw) >= READ_LIMIT:
        return TOO_LONG
    return TOO_LONG if len(raw) > MAX_LINE_BYTES else raw


def split_lines(text: str) -> list[str]:
    """The lines of a whole decoded text, split as the stream reader splits them (only at "\n")."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _lines(stream: BinaryIO) -> Iterator[tuple[bytes | None, int]]:
    """(line without its ending, bytes it took); a line longer than MAX_LINE_BYTES is skipped in bounded
    chunks and yielded as TOO_LONG, so no input can make the reader hold more than the limit in memory."""
    while True:
        raw = stream.readline(READ_LIMIT)
        if not raw:
            return
        size = len(raw)
        line = strip_ending(raw)
        if line is TOO_LONG:
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 16)
                size += len(raw)
        yield line, size


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def parse_json(text: str | bytes) -> Any:
    """json.loads for untrusted text; any failure is a ValueError with a one-line message."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise ValueError("invalid JSON (nested too deeply)") from None
    except (ValueError, UnicodeDecodeError) as exc:  # an integer past the digit limit, NaN, bad bytes
        reason = str(exc).splitlines()[0][:120]
        if "digits" in reason:
            reason = f"a number with more than {sys.get_int_max_str_digits()} digits"
        raise ValueError(f"invalid JSON ({reason})") from None


def dumps_record(obj: Any) -> str:
    """One output JSON line (UTF-8 as is; \\u escapes only where a string holds a lone surrogate, which
    UTF-8 cannot encode); a ValueError when the object cannot be written (nested too deeply)."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise ValueError("the record is nested too deeply to be written") from None
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(obj, allow_nan=False)
    return text


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
            obj = parse_json(text)
        except ValueError as exc:
            yield Record(source, lineno, text, None, str(exc), size)
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get(field), str):
            yield Record(source, lineno, text, obj if isinstance(obj, dict) else None,
                         f"expected a JSON object with a string field {field!r}", size)
            continue
        yield Record(source, lineno, obj[field], obj, None, size)


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """'1 record', '2 records' (for messages)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"
