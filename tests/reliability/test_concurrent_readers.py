"""Readers during a writer: four processes load and ask a pipeline in a loop while a fifth teaches it (lock,
load, teach, save) again and again. Readers take no lock; every load must still give a complete old or new
pipeline (never "cannot read" a member the writer just replaced), and every answer must come back."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

from edgekit.pipeline import PIPELINE_FILE, Pipeline
from edgekit.storage import file_lock

TEACHINGS = 12


def _teacher(directory: str, done) -> None:
    for k in range(TEACHINGS):
        with file_lock(Path(directory) / PIPELINE_FILE):
            pipe = Pipeline.load(directory)
            pipe.teach(f"brew me coffee number {k}", "MakeCoffee")
            pipe.save(directory)
    done.set()


def _reader(directory: str, done, results) -> None:
    asks = failures = 0
    first = ""
    while not done.is_set():
        try:
            Pipeline.load(directory).ask("brew me a coffee")
            asks += 1
        except Exception as exc:  # noqa: BLE001  every failure is the finding
            failures += 1
            first = first or f"{type(exc).__name__}: {exc}"
    results.put((asks, failures, first))


def test_four_readers_against_a_teach_loop_never_fail(tmp_path):
    directory = tmp_path / "p"
    seeded = Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64)
    seeded.save(directory)
    ctx = multiprocessing.get_context("fork")
    done, results = ctx.Event(), ctx.Queue()
    readers = [ctx.Process(target=_reader, args=(str(directory), done, results)) for _ in range(4)]
    for r in readers:
        r.start()
    teacher = ctx.Process(target=_teacher, args=(str(directory), done))
    teacher.start()
    teacher.join(300)
    done.set()
    outcomes = [results.get(timeout=60) for _ in readers]
    for r in readers:
        r.join(60)
    assert teacher.exitcode == 0
    asks, failures = sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)
    assert failures == 0, [o[2] for o in outcomes if o[2]]
    assert asks >= 4
    assert Pipeline.load(directory).info()["taught_texts"] == seeded.info()["taught_texts"] + TEACHINGS
