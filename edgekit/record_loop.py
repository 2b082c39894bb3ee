"""The record loop of every command that reads lines and writes answers (normalize, parse, explain,
predict, ask): records in chunks, one output line per record in input order, each bad record named on
stderr as `where: error`, and the number of bad records returned (the command then exits 1).

Chunks let a command answer many records in one call (one model run per chunk); an interactive
session (a terminal at either end) gets chunks of one line, so each typed line is answered at once.
"""
from __future__ import annotations

import sys
from itertools import islice
from typing import Any, Callable, Iterable, Protocol, Sequence, TextIO, TypeVar

from .valueclass import value_class
from .errors import DataError

BATCH = 256

T = TypeVar("T")
R = TypeVar("R")


class Line(Protocol):
    """What the loop needs of an input record (edgekit.textio.Record is one)."""

    @property
    def where(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def error(self) -> str | None: ...


@value_class(frozen=True)
class Reply:
    """The answer to one record: its output line (without the newline) and why the record is bad, if it is."""

    line: str
    error: str | None = None


def run_records(records: Iterable[Line], answer: Callable[[list[Any]], Sequence[Reply]], out: TextIO, *,
                report: Callable[[str], None] | None = None, interactive: bool = False,
                batch_size: int = BATCH, on_chunk: Callable[[list[Any]], None] | None = None) -> int:
    """Answer records chunk by chunk: `answer(chunk)` gives one Reply per record. Every output line is
    written (so output stays aligned with input), every error reported as `edgekit: where: error`; returns
    the number of bad records. `on_chunk(chunk)` runs after a chunk is written (progress bars)."""
    report = report or _stderr
    size = 1 if interactive else max(1, batch_size)
    bad = 0
    it = iter(records)
    while chunk := list(islice(it, size)):
        replies = answer(chunk)
        if len(replies) != len(chunk):
            raise AssertionError(f"{len(replies)} replies for {len(chunk)} records")
        for rec, reply in zip(chunk, replies):
            if reply.error:
                bad += 1
                report(f"edgekit: {rec.where}: {reply.error}")
            out.write(reply.line + "\n")
        out.flush()
        if on_chunk is not None:
            on_chunk(chunk)
    return bad


def run_batch(fn: Callable[[list[T]], Sequence[R]], items: list[T]) -> list[R | DataError]:
    """fn over all items in one call; if that raises DataError (or ValueError), item by item, so each
    error belongs to its own item only. One result (or the item's DataError) per item."""
    if not items:
        return []
    try:
        return list(fn(items))
    except (DataError, ValueError):
        pass
    results: list[R | DataError] = []
    for item in items:
        try:
            results.append(fn([item])[0])
        except (DataError, ValueError) as exc:
            results.append(exc if isinstance(exc, DataError) else DataError(str(exc)))
    return results


def parse_each(records: list[Line], parse: Callable[[str], T]) -> list[T | DataError]:
    """parse(record.text) per record; a record's own error, or the DataError parse raises, in its place."""
    out: list[T | DataError] = []
    for rec in records:
        try:
            if rec.error:
                raise DataError(rec.error)
            out.append(parse(rec.text))
        except DataError as exc:
            out.append(exc)
    return out


def answer_good(parsed: list[Any], fn: Callable[[list[Any]], list[Any]]) -> list[Any]:
    """fn over the items that are not DataErrors (one list, in order); the errors keep their places."""
    good = iter(fn([p for p in parsed if not isinstance(p, DataError)]))
    return [p if isinstance(p, DataError) else next(good) for p in parsed]


def is_interactive(*streams: Any) -> bool:
    """True when any of the streams is a terminal (a person typing or reading line by line)."""
    for stream in streams:
        try:
            if stream is not None and stream.isatty():
                return True
        except (AttributeError, ValueError):
            continue
    return False


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
