"""The Dask engine: the same batch jobs on a Dask cluster (the `dask` extra), for when one machine is
not enough.

- `normalize_on_dask` runs an `edgekit.batch.Job` whose block tasks are Dask tasks: partitioned files
  in (every input file, cut into blocks), partitioned files out (one output file per input), resumable
  exactly like the local engine. Workers read inputs and write parts by path, so the scheduler's
  workers and this process must share the filesystem holding the inputs and the output folder.
- `fit_analytic` fits the analytic head on a sharded data set: each partition (a training file) is
  learned on a worker into sufficient statistics, and the statistics are merged exactly by a fixed
  pairwise tree on the cluster, so the result equals one fit on all the data (up to float rounding,
  deterministic for a given partition list). Partial models travel as edgekit state files (bytes),
  not as pickled objects.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import learning
from .batch import Job, Progress, Spec, Summary, forest_for, list_inputs, run_block
from .errors import EdgekitError
from .learning import NewModel


def connect(scheduler: str | None) -> Any:
    """A distributed.Client for the scheduler address (or an existing Client passed through)."""
    if scheduler is None or (isinstance(scheduler, str) and not scheduler.strip()):
        raise EdgekitError("the dask engine needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    try:
        from distributed import Client
    except ImportError:
        raise EdgekitError("the dask engine needs the dask extra: pip install 'edgekit[dask]'") from None
    if isinstance(scheduler, Client):
        return scheduler
    _check_reachable(scheduler)
    try:
        return Client(scheduler, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise EdgekitError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None


def _check_reachable(address: str) -> None:
    """Fail fast when a tcp:// scheduler refuses connections (the Client would retry until its timeout)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else "tcp://" + address)
    if parts.scheme != "tcp" or not parts.hostname or not parts.port:
        return
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=10).close()
    except OSError as exc:
        raise EdgekitError(f"cannot reach the Dask scheduler at {address} ({exc.strerror or exc})") from None


def dask_executor(client: Any) -> Any:
    """An executor for Job.run that runs block tasks on the cluster, yielding results as they finish."""
    def run(tasks: list[dict]) -> Iterator[dict]:
        from distributed import as_completed

        if not tasks:
            return
        futures = client.map(run_block, tasks, pure=False)
        try:
            for future in as_completed(futures, loop=client.loop):
                try:
                    yield future.result()
                except Exception as exc:  # noqa: BLE001  a worker's OSError etc. arrives re-raised here
                    raise EdgekitError(f"a block failed on the cluster ({type(exc).__name__}: {exc}); finished "
                                       f"blocks are kept: fix the cause and rerun with --resume") from None
        finally:
            client.cancel(futures)

    return run


def normalize_on_dask(paths: Iterable[str | os.PathLike], grammar: str, output: str | os.PathLike,
                      scheduler: Any, *, jsonl: bool = False, field: str = "text", resume: bool = False,
                      block_bytes: int | None = None, progress: Progress | None = None) -> Summary:
    """Normalize files and folders into `output` on a Dask cluster (see the module docstring)."""
    if output is None:
        raise EdgekitError("the dask engine writes partitioned files: give an output folder (-o DIR)")
    forest_for(grammar)  # check the grammar here before shipping tasks
    spec = Spec(grammar, jsonl, field)
    job = Job(list_inputs(paths), output, spec, block_bytes)
    client = connect(scheduler)
    try:
        return job.run(dask_executor(client), resume=resume, progress=progress)
    finally:
        if client is not scheduler:
            client.close()


# ---- distributed fit of the analytic head -----------------------------------------------------------
PARTIAL = "<partial model>"


def _fit_partition(path: str, read: dict, params: dict, featurizer: dict | None, base_dir: str | None) -> bytes:
    """Worker: learn one training file into an analytic head; its state file as bytes. A featurizer
    grammar named relative to the model's folder is found through `base_dir` (a shared filesystem)."""
    from .learn.analytic import AnalyticClassifier
    from .learn.datafile import read_training_file
    from .learn.featurize import featurizer_from_meta

    data = read_training_file(path, **read)
    feat = featurizer_from_meta(featurizer, base_dir) if data.is_text else None
    head = AnalyticClassifier(**params, featurizer=feat)
    head.partial_fit(data.inputs, data.labels)
    return _to_bytes(head)


def _merge_states(a: bytes, b: bytes, base_dir: str | None) -> bytes:
    """Worker: the exact merge (sum of statistics) of two partial heads."""
    left = _from_bytes(a, base_dir)
    left.merge(_from_bytes(b, base_dir))
    return _to_bytes(left)


def _to_bytes(head: Any) -> bytes:
    with tempfile.TemporaryDirectory(prefix="edgekit-") as tmp:
        path = Path(tmp) / "head.state"
        head.save(path)
        return path.read_bytes()


def _from_bytes(data: bytes, base_dir: str | None) -> Any:
    """A partial head from its state bytes, reading its featurizer as if the file lay in `base_dir`."""
    from .learn.analytic import KIND, AnalyticClassifier
    from .storage import decode_state

    source = PARTIAL if base_dir is None else os.path.join(base_dir, PARTIAL)
    _, meta, arrays = decode_state(data, source, expect_kind=KIND)
    return AnalyticClassifier.from_state(meta, arrays, source)


def fit_analytic(paths: Iterable[str | os.PathLike], scheduler: Any, *, text_field: str = "text",
                 label_field: str = "label", features_field: str = "features", featurizer: Any = None,
                 base_dir: str | os.PathLike | None = None, **params: Any) -> Any:
    """Fit an AnalyticClassifier on a sharded data set on a Dask cluster: one partition per training file
    (CSV or JSON Lines, as `edgekit learn` reads them; folders expand to their files), statistics merged
    exactly. `params` are AnalyticClassifier parameters; random_state must stay fixed (None is refused)
    so every partition draws the same buffer. Text partitions use `featurizer` (default
    HashingTextFeaturizer(1024)); `base_dir` is the folder of the model file it was made for, where a
    grammar it names relative to that folder is found."""
    from .learn.featurize import HashingTextFeaturizer, featurizer_to_meta

    if "random_state" in params and params["random_state"] is None:
        raise EdgekitError("a distributed fit needs a fixed random_state (every partition must draw the same buffer)")
    parts = [os.path.abspath(i.path) for i in list_inputs(paths) if i.path != "-"]
    if not parts:
        raise EdgekitError("no training files to fit")
    feat = featurizer_to_meta(featurizer if featurizer is not None else HashingTextFeaturizer(1024))
    read = {"text_field": text_field, "label_field": label_field, "features_field": features_field}
    base = None if base_dir is None else os.path.abspath(base_dir)
    client = connect(scheduler)
    try:
        futures = [client.submit(_fit_partition, p, read, params, feat, base, pure=False) for p in parts]
        while len(futures) > 1:  # fixed pairwise tree: deterministic sums, log2(partitions) rounds
            paired = [client.submit(_merge_states, futures[k], futures[k + 1], base, pure=False)
                      for k in range(0, len(futures) - 1, 2)]
            futures = paired + ([futures[-1]] if len(futures) % 2 else [])
        try:
            state = futures[0].result()
        except EdgekitError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise EdgekitError(f"the distributed fit failed ({type(exc).__name__}: {exc})") from None
    finally:
        if client is not scheduler:
            client.close()
    return _from_bytes(state, base)


def learn_on_dask(model: str | os.PathLike, data: str | os.PathLike, scheduler: Any, new: NewModel = NewModel(),
                  *, text_field: str = "text", label_field: str = "label", features_field: str = "features") -> Any:
    """`edgekit learn --engine dask`: fit the partitions under `data` on the cluster and merge the result
    into the model file, by the rules of edgekit.learning (created if absent with its featurizer from
    featurizer_for_model; an existing model keeps its parameters and featurizer). The file is replaced
    atomically under its lock; returns the saved head."""
    from .learn.analytic import AnalyticClassifier

    if new.head not in (None, "analytic"):
        raise EdgekitError(f"--engine dask fits the analytic head only (its statistics merge exactly), not {new.head!r}")
    with learning.updating(model):
        current = learning.existing_head(model, new)
        if current is not None and not isinstance(current, AnalyticClassifier):
            raise EdgekitError(f"{model} is not an analytic model; --engine dask fits the analytic head only")
        template = current if current is not None else learning.new_head(model, new, text=True)
        params = {k: v for k, v in template.get_params().items() if k != "featurizer"}
        fitted = fit_analytic([data], scheduler, text_field=text_field, label_field=label_field,
                              features_field=features_field, featurizer=template.featurizer,
                              base_dir=Path(model).resolve().parent, **params)
        if current is not None:
            fitted = current.merge(fitted)
        fitted.save(model)
    return fitted
