"""Crash safety: real processes killed with SIGKILL while they save a model, a compiled forest, or run
`edgekit learn`; afterwards the file on disk is always the old or the new state, byte for byte, and loads.
(The benchmark makes hundreds of kills; these few keep the unit run fast.)"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from edgekit.forest import load_forest
from edgekit.learn.heads import load_head

from .harness import kill_command_runs, kill_while_saving, trained_head, vector_batches

EDGEKIT = str(Path(sys.executable).with_name("edgekit"))


def _assert_all_survived(report) -> None:
    assert report.failures == [], report
    assert report.survived == report.kills > 0, report


def test_killed_analytic_save_leaves_old_or_new_state(tmp_path):
    path = tmp_path / "model.state"
    old = trained_head("analytic", d=256)
    new = trained_head("analytic", d=256)
    (X, y), = vector_batches(7, 1, 50, 256, 4)
    new.partial_fit(X, y)
    report = kill_while_saving(path, [old.save, new.save], load_head, kills=20, seed=1)
    _assert_all_survived(report)


def test_killed_key_value_save_leaves_old_or_new_state(tmp_path):
    path = tmp_path / "kv.state"
    old = trained_head("kvb", d=16, n_codebooks=16, n_keys=64)
    new = trained_head("kvb", d=16, n_codebooks=16, n_keys=64)
    (X, y), = vector_batches(7, 1, 100, 16, 4)
    new.partial_fit(X, y)
    _assert_all_survived(kill_while_saving(path, [old.save, new.save], load_head, kills=8, seed=2))


def test_killed_compiled_forest_save_leaves_old_or_new_state(tmp_path, grammar):
    path = tmp_path.parent / f"{tmp_path.name}-out" / "g.forestc"
    path.parent.mkdir()
    old = load_forest("home", cache=False)
    new = grammar('lexicon greet { hello: hi | hey }\nrule hi_cmd: <greet>\n  intent Greet\n')
    _assert_all_survived(kill_while_saving(path, [old.save, new.save], load_forest, kills=8, seed=3))


def test_killed_learn_command_leaves_old_or_new_model_and_no_stuck_lock(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    model, data = work / "model.state", tmp_path / "batch.jsonl"
    trained_head("analytic", d=8).save(model)
    (X, y), = vector_batches(5, 1, 400, 8, 4)
    data.write_text("".join(json.dumps({"features": list(map(float, x)), "label": int(c)}) + "\n"
                            for x, c in zip(X, y)))
    old = model.read_bytes()
    expected = tmp_path / "expected.state"
    expected.write_bytes(old)
    t0 = time.perf_counter()
    assert subprocess.run([EDGEKIT, "learn", str(expected), "--data", str(data)], timeout=120).returncode == 0
    run_time = time.perf_counter() - t0
    new = expected.read_bytes()
    assert new != old
    report = kill_command_runs(model, [EDGEKIT, "learn", str(model), "--data", str(data)], [old, new], load_head,
                               kills=6, max_delay=0.9 * run_time, seed=4)
    assert report.failures == [] and report.survived == report.kills > 0, report
    # a writer killed while holding the lock does not block the next one
    model.write_bytes(old)
    done = subprocess.run([EDGEKIT, "learn", str(model), "--data", str(data)], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert np.array_equal(load_head(model).class_count_, load_head(expected).class_count_)
