"""Concurrent writers: four processes teach the same model file at once, one load-learn-save cycle per batch,
through the API (100 batches each), and four `edgekit learn` processes held at a barrier. With edgekit's
lock nothing is lost: the final statistics equal one model taught every batch. (The benchmark also runs
the lock-free path and reports how much it loses.)"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from edgekit.learn.heads import load_head

from .harness import teach_concurrently, trained_head, vector_batches

D, CLASSES = 8, 4
PROBE = vector_batches(1234, 1, 32, D, CLASSES)[0][0]


def _reference(work) -> object:
    ref = trained_head("analytic", d=D, n_classes=CLASSES)
    for batches in work:
        for X, y in batches:
            ref.partial_fit(X, y)
    return ref


def _assert_same_statistics(model, ref) -> None:
    assert model.info()["counts"] == ref.info()["counts"]
    np.testing.assert_allclose(model.predict_proba(PROBE), ref.predict_proba(PROBE), rtol=1e-9, atol=1e-12)


def test_four_processes_with_the_lock_lose_nothing(tmp_path):
    path = tmp_path / "model.state"
    trained_head("analytic", d=D, n_classes=CLASSES).save(path)
    work = [vector_batches(100 + p, 100, 4, D, CLASSES) for p in range(4)]
    teach_concurrently(path, work, lock=True)
    _assert_same_statistics(load_head(path), _reference(work))


def _blocked_on(lock: Path) -> int:
    """How many processes wait for the flock on `lock` (the "->" lines of Linux's /proc/locks)."""
    inode = lock.stat().st_ino
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "->" in line and "FLOCK" in line and line.split()[6].endswith(f":{inode}"))


def test_four_edgekit_learn_processes_lose_nothing(tmp_path):
    """A barrier makes the race certain: this test holds the model's lock while four `edgekit learn`
    processes start, waits until all four are blocked on it (or have finished, as they would without
    a lock), then teaches its own batch and saves. With the lock every update lands; without it the
    four finish first and this test's save overwrites them, every time."""
    from edgekit.atomic import file_lock

    model = tmp_path / "model.state"
    trained_head("analytic", d=D, n_classes=CLASSES).save(model)
    work = [vector_batches(200 + p, 1, 6, D, CLASSES) for p in range(5)]
    exe = str(Path(sys.executable).with_name("edgekit"))
    procs = []
    with file_lock(model):
        mine = load_head(model)
        for p in range(4):
            X, y = work[p][0]
            data = tmp_path / f"batch-{p}.jsonl"
            data.write_text("".join(json.dumps({"features": x.tolist(), "label": int(c)}) + "\n" for x, c in zip(X, y)))
            procs.append(subprocess.Popen([exe, "learn", str(model), "--data", str(data)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        deadline = time.monotonic() + 120
        lock = Path(str(model) + ".lock")
        while _blocked_on(lock) < 4 and any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            time.sleep(0.02)
        X, y = work[4][0]
        mine.partial_fit(X, y)
        mine.save(model)
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0] * 4, [p.stderr.read() for p in procs]
    _assert_same_statistics(load_head(model), _reference(work))
