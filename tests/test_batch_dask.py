"""The Dask engine on a real local cluster (a scheduler and two worker processes): batch normalization
gives the local engine's output byte for byte and resumes a local job; `edgekit learn --engine dask`
fits the analytic head per partition and merges exactly."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from edgekit.batch import ERRORS, MANIFEST, normalize_files  # noqa: E402
from edgekit.batch_dask import fit_analytic, normalize_on_dask  # noqa: E402
from edgekit.errors import EdgekitError  # noqa: E402
from edgekit.learn import AnalyticClassifier, HashingTextFeaturizer, load_head  # noqa: E402
from test_batch import make_corpus  # noqa: E402

EDGEKIT = str(Path(sys.executable).with_name("edgekit"))


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as c:
        yield c.scheduler_address


def test_dask_job_equals_local_job(cluster, tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 400, "sub/b.txt": 300, "c.txt": 0}, seed=3)
    with open(corpus / "a.txt", "ab") as fh:
        fh.write(b"bad \xff lamp\n")
    local = normalize_files([corpus], "home", output=tmp_path / "local", block_bytes=2048)
    out = subprocess.run([EDGEKIT, "normalize", str(corpus), "-o", str(tmp_path / "dask"), "--engine", "dask",
                          "--scheduler", cluster, "--block-size", "2048"], capture_output=True, timeout=120)
    assert out.returncode == 1, out.stderr  # one bad record
    assert b"a.txt:401: invalid UTF-8" in out.stderr
    for name in ("a.txt", "sub/b.txt", "c.txt", ERRORS):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert json.loads((tmp_path / "dask" / MANIFEST).read_text())["summary"]["lines"] == local.lines == 701


def test_dask_resumes_a_job_the_local_engine_started(cluster, tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 300, "b.txt": 300}, seed=4)
    normalize_files([corpus], "home", output=tmp_path / "ref", block_bytes=1024)
    # an interrupted local job: only the first file was listed when it ran, so its manifest differs ...
    normalize_files([corpus / "a.txt"], "home", output=tmp_path / "solo")
    with pytest.raises(EdgekitError, match="changed since it started"):
        normalize_on_dask([corpus], "home", tmp_path / "solo", cluster, resume=True)
    # ... and a half-finished one: interrupted after every block of a.txt, before any of b.txt
    from edgekit.batch import Job, Spec, list_inputs, run_block

    def interrupted(tasks):
        for task in tasks:
            if task.file == 1:
                raise KeyboardInterrupt
            yield run_block(task)

    job = Job(list_inputs([corpus]), tmp_path / "half", Spec("home"), 1024)
    tasks, _ = job.plan()
    with pytest.raises(KeyboardInterrupt):
        job.run(interrupted)
    assert (tmp_path / "half" / "a.txt").exists() and not (tmp_path / "half" / "b.txt").exists()
    summary = normalize_on_dask([corpus], "home", tmp_path / "half", cluster, resume=True)
    assert summary.reused == len(tasks[0]) and summary.blocks == len(tasks[0]) + len(tasks[1])
    for name in ("a.txt", "b.txt"):
        assert (tmp_path / "half" / name).read_bytes() == (tmp_path / "ref" / name).read_bytes()


def test_dask_engine_needs_an_output_folder_and_a_scheduler(tmp_path):
    corpus = make_corpus(tmp_path / "in", {"a.txt": 3})
    with pytest.raises(EdgekitError, match="output folder"):
        normalize_on_dask([corpus], "home", None, "tcp://127.0.0.1:1")
    with pytest.raises(EdgekitError, match="--scheduler"):
        normalize_on_dask([corpus], "home", tmp_path / "o", None)
    with pytest.raises(EdgekitError, match="cannot reach the Dask scheduler"):
        normalize_on_dask([corpus], "home", tmp_path / "o", "tcp://127.0.0.1:9")


INTENTS = {"on": ["switch on the {}", "turn the {} on", "power up the {}"],
           "off": ["switch off the {}", "turn the {} off", "kill the {}"],
           "dim": ["dim the {} to {} percent", "set the {} to {} percent"]}
DEVICES = ["lamp", "fan", "heater", "tv", "radio", "kettle"]


def write_shards(root: Path, shards: int, per_shard: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for s in range(shards):
        with open(root / f"part-{s:03d}.jsonl", "w") as fh:
            for _ in range(per_shard):
                label = str(rng.choice(list(INTENTS)))
                text = str(rng.choice(INTENTS[label])).format(rng.choice(DEVICES), rng.integers(1, 100))
                fh.write(json.dumps({"text": text, "label": label}) + "\n")
                rows.append((text, label))
    return rows


def test_fit_analytic_merges_partitions_exactly(cluster, tmp_path):
    rows = write_shards(tmp_path / "shards", shards=5, per_shard=60)
    feat = HashingTextFeaturizer(n_features=128)
    params = dict(gamma=0.5, buffer_size=64, activation="tanh", random_state=3)
    distributed_head = fit_analytic([tmp_path / "shards"], cluster, featurizer=feat, **params)
    texts, labels = zip(*rows)
    single = AnalyticClassifier(**params, featurizer=feat).fit(list(texts), list(labels))
    assert list(distributed_head.classes_) == list(single.classes_)
    assert distributed_head.n_samples_seen_ == 300
    np.testing.assert_allclose(distributed_head.coef_, single.coef_, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(distributed_head.intercept_, single.intercept_, rtol=1e-9, atol=1e-12)
    probe = ["switch on the fan", "kill the tv", "dim the lamp to 20 percent"]
    assert list(distributed_head.predict(probe)) == list(single.predict(probe)) == ["on", "off", "dim"]
    with pytest.raises(EdgekitError, match="fixed random_state"):
        fit_analytic([tmp_path / "shards"], cluster, random_state=None)


def test_learn_cli_with_dask_engine_matches_local_learning(cluster, tmp_path):
    rows = write_shards(tmp_path / "shards", shards=3, per_shard=40, seed=1)
    both = tmp_path / "all.jsonl"
    both.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows))
    model = tmp_path / "dask.state"
    args = ["--features", "256", "--param", "per_class_stats=true"]
    out = subprocess.run([EDGEKIT, "learn", str(model), "--data", str(tmp_path / "shards"), "--engine", "dask",
                          "--scheduler", cluster, *args], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    local = tmp_path / "local.state"
    assert subprocess.run([EDGEKIT, "learn", str(local), "--data", str(both), *args],
                          capture_output=True, timeout=120).returncode == 0
    a, b = load_head(model), load_head(local)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-9, atol=1e-12)
    assert a.info()["counts"] == b.info()["counts"]
    # a second distributed learn merges into the existing model, keeping its parameters
    out = subprocess.run([EDGEKIT, "learn", str(model), "--data", str(tmp_path / "shards"), "--engine", "dask",
                          "--scheduler", cluster], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert load_head(model).n_samples_seen_ == 240 and load_head(model).per_class_stats


def test_a_bad_partition_is_a_clean_error_naming_the_file(cluster, tmp_path):
    write_shards(tmp_path / "shards", shards=2, per_shard=5)
    (tmp_path / "shards" / "part-bad.jsonl").write_text('{"text": "x"}\n')
    out = subprocess.run([EDGEKIT, "learn", str(tmp_path / "m.state"), "--data", str(tmp_path / "shards"),
                          "--engine", "dask", "--scheduler", cluster], capture_output=True, timeout=120)
    assert out.returncode == 2 and b"part-bad.jsonl:1: no label field" in out.stderr
    assert b"Traceback" not in out.stderr and not (tmp_path / "m.state").exists()


def test_dask_learn_with_an_absolute_grammar_path_saves_a_loadable_model(cluster, tmp_path):
    """Regression: the Dask learn path built its own featurizer, storing an absolute grammar path that
    loading then refused; it now follows the same rules as local learning (edgekit.learning)."""
    import shutil

    from edgekit.forest.forest import shipped_grammars_dir

    rows = write_shards(tmp_path / "shards", shards=2, per_shard=30, seed=2)
    both = tmp_path / "all.jsonl"
    both.write_text("".join(json.dumps({"text": t, "label": l}) + "\n" for t, l in rows))
    models = tmp_path / "models"
    shutil.copytree(shipped_grammars_dir() / "home", models / "mygrammar")
    grammar = str((models / "mygrammar").resolve())  # absolute, inside the model's folder
    args = ["--features", "128", "--grammar", grammar]
    out = subprocess.run([EDGEKIT, "learn", str(models / "dask.state"), "--data", str(tmp_path / "shards"),
                          "--engine", "dask", "--scheduler", cluster, *args], capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert subprocess.run([EDGEKIT, "learn", str(models / "local.state"), "--data", str(both), *args],
                          capture_output=True, timeout=120).returncode == 0
    a, b = load_head(models / "dask.state"), load_head(models / "local.state")
    assert a.featurizer.grammar == b.featurizer.grammar == "mygrammar"
    probe = ["switch on the fan", "kill the tv", "dim the lamp to 20 percent"]
    np.testing.assert_allclose(a.predict_proba(probe), b.predict_proba(probe), rtol=1e-9, atol=1e-12)
    # a grammar outside the model's folder is refused, as local learning refuses it, and nothing is written
    out = subprocess.run([EDGEKIT, "learn", str(tmp_path / "other" / "m.state"), "--data", str(tmp_path / "shards"),
                          "--engine", "dask", "--scheduler", cluster, *args], capture_output=True, timeout=120)
    assert out.returncode == 2 and b"outside the model's folder" in out.stderr
    assert not (tmp_path / "other" / "m.state").exists()
