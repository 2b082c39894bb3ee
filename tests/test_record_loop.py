"""The shared record loop (edgekit.record_loop): chunks, aligned output, errors named by record, the
per-item fallback that keeps an error to its own record, and one-line chunks when interactive."""
from __future__ import annotations

import io

from edgekit.errors import DataError
from edgekit.record_loop import Reply, answer_good, parse_each, run_batch, run_records
from edgekit.textio import read_records


def records(data: bytes, jsonl: bool = False):
    return list(read_records(stdin=io.BytesIO(data), jsonl=jsonl))


def test_every_record_gets_its_line_and_bad_ones_are_named():
    recs = records(b'{"text": "a"}\nnot json\n{"text": "c"}\n', jsonl=True)
    chunks, messages, out = [], [], io.StringIO()
    bad = run_records(recs, lambda chunk: chunks.append(len(chunk)) or [Reply(r.text.upper(), r.error) for r in chunk],
                      out, report=messages.append, batch_size=2)
    assert bad == 1 and chunks == [2, 1]
    assert out.getvalue() == "A\nNOT JSON\nC\n"
    assert messages == ["edgekit: <stdin>:2: invalid JSON (Expecting value at column 1)"]


def test_interactive_answers_one_record_at_a_time():
    chunks = []
    run_records(records(b"x\ny\nz\n"), lambda chunk: chunks.append(len(chunk)) or [Reply(r.text) for r in chunk],
                io.StringIO(), interactive=True)
    assert chunks == [1, 1, 1]


def test_a_failing_batch_falls_back_item_by_item():
    calls = []

    def square(items):
        calls.append(list(items))
        if any(i < 0 for i in items):
            raise DataError(f"negative: {[i for i in items if i < 0]}")
        return [i * i for i in items]

    results = run_batch(square, [1, -2, 3])
    assert results[0] == 1 and results[2] == 9
    assert isinstance(results[1], DataError) and str(results[1]) == "negative: [-2]"
    assert calls == [[1, -2, 3], [1], [-2], [3]]


def test_parse_errors_keep_their_places():
    recs = records(b"1\nx\n3\n")

    def parse(text):
        if not text.isdigit():
            raise DataError(f"{text!r} is not a number")
        return int(text)

    parsed = parse_each(recs, parse)
    answered = answer_good(parsed, lambda good: [g * 10 for g in good])
    assert answered[0] == 10 and answered[2] == 30 and str(answered[1]) == "'x' is not a number"
