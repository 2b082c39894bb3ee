"""Concurrent writers: four processes teach the same model file at once, one load-learn-save cycle per batch,
through the API (100 batches each) and through `edgekit learn`. With edgekit's lock nothing is lost: the
final statistics equal one model taught every batch. (The benchmark also runs the lock-free path and
reports how much it loses.)"""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
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


def test_four_edgekit_learn_processes_lose_nothing(tmp_path):
    model = tmp_path / "model.state"
    trained_head("analytic", d=D, n_classes=CLASSES).save(model)
    work = [vector_batches(200 + p, 2, 6, D, CLASSES) for p in range(4)]
    exe = str(Path(sys.executable).with_name("edgekit"))

    def teacher(p: int) -> list[int]:
        codes = []
        for b, (X, y) in enumerate(work[p]):
            data = tmp_path / f"batch-{p}-{b}.jsonl"
            data.write_text("".join(json.dumps({"features": x.tolist(), "label": int(c)}) + "\n" for x, c in zip(X, y)))
            codes.append(subprocess.run([exe, "learn", str(model), "--data", str(data)], capture_output=True,
                                        timeout=300).returncode)
        return codes

    with ThreadPoolExecutor(4) as pool:
        codes = [c for cs in pool.map(teacher, range(4)) for c in cs]
    assert codes == [0] * 8
    _assert_same_statistics(load_head(model), _reference(work))
