"""Batch normalization of many files: worker processes with output in input order, a per-record error
report instead of a crash, and resumable jobs.

Two output modes:

- **stream** (no output folder): every input in turn to stdout, in order. With `jobs > 1` blocks of
  lines go to a process pool and come back in order (a bounded window, so memory stays flat).
- **job** (an output folder): each input file gets an output file of the same relative name. The work
  is cut into blocks (byte ranges ending at a newline); a worker writes each block's output as an
  atomic *part file* (its error list first, then its output, each by temp file + rename), so a part
  either exists complete or not at all. When every part of a file exists, the parts are concatenated
  into the output file (again temp + rename), a done marker is written, and the parts are deleted.
  `_edgekit_job.json` records the job (a grammar fingerprint over the files the grammar read, options,
  inputs with size and mtime); `resume=True` checks it, keeps every finished part and file, and runs
  only the missing blocks, so an interrupted job (even `kill -9`) continues without redoing or
  duplicating output. The same tasks run on a local process pool or on a Dask cluster
  (`edgekit.batch_dask`), which needs a filesystem the workers share. At the end `_errors.jsonl` lists
  every bad record as {"file", "line", "error"}.

Names starting with "_" or "." are skipped when a folder is expanded, so an output folder can be read
back as input. Worker processes get their tasks (frozen value classes: StreamTask, BlockTask) through
one ordered process pool (`multiprocessing` IPC); nothing is pickled to disk.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator, TextIO, TypeVar

from .atomic import atomic_write_bytes, atomic_writer, file_lock
from .errors import EdgekitError
from .limits import MAX_LINE_BYTES
from .overlap import check_output_folder
from .record_loop import Reply, is_interactive, run_records
from .valueclass import asdict, value_class
from .workers import quiet_worker

MANIFEST = "_edgekit_job.json"
ERRORS = "_errors.jsonl"
PARTS = "_parts"
JOB_FORMAT = "edgekit-batch-job"
JOB_VERSION = 1
DEFAULT_BLOCK_BYTES = 1 << 20
STREAM_BLOCK_BYTES = 1 << 16
STDIN = "-"



@value_class(frozen=True)
class Spec:
    """What to do to every record: the grammar, and whether input is JSON Lines (text in `field`)."""

    grammar: str
    jsonl: bool = False
    field: str = "text"


@value_class(frozen=True)
class Input:
    """One input file (or stdin, path "-"), the relative name its output file gets, and the folder it
    was found in (None for a file given by name)."""

    path: str
    name: str
    folder: str | None = None


@value_class(frozen=True)
class StreamTask:
    """Stream mode, one block for a worker: whole lines of `source`, the first being line `first_line`."""

    spec: Spec
    source: str
    first_line: int
    data: bytes


@value_class(frozen=True)
class BlockTask:
    """Job mode, one block for a worker: bytes start..end of input `file` (its block number `block`),
    normalized into the part files `part`.err and `part`.out (absolute paths: workers may be elsewhere)."""

    spec: Spec
    path: str
    source: str
    file: int
    block: int
    start: int
    end: int
    first_line: int
    part: str


@value_class(frozen=True)
class BlockResult:
    """What a worker did with a BlockTask (also the content of its .err part file)."""

    file: int
    block: int
    lines: int
    bytes: int
    errors: list


Executor = Callable[[list[BlockTask]], Iterator[BlockResult]]
T = TypeVar("T")


@value_class
class Summary:
    """What a job did: files, lines, blocks (run now / reused from an interrupted run), bad records."""

    files: int = 0
    lines: int = 0
    blocks: int = 0
    reused: int = 0
    errors: int = 0
    output: str | None = None

    def __str__(self) -> str:
        from .textio import plural

        text = (f"normalized {plural(self.lines, 'line')} in {plural(self.files, 'file')} "
                f"({plural(self.blocks, 'block')}, {self.reused} reused from an earlier run), "
                f"{plural(self.errors, 'bad record')}")
        if self.errors and self.output:
            text += f"; see {Path(self.output) / ERRORS}"
        return text


# ---- records --------------------------------------------------------------------------------------
_FORESTS: dict[str, tuple[Any, tuple[int, int] | None]] = {}  # grammar -> (Forest, compiled file's stamp)


def forest_for(grammar: str) -> Any:
    """The grammar's Forest, loaded once per process (workers keep it across tasks) and again when a file
    it was built from changed since: a long-lived process (a Dask worker) must not run a stale grammar."""
    forest, stamp = _FORESTS.get(grammar, (None, None))
    if forest is None or (forest.sources_changed() if stamp is None else _stamp(forest.source) != stamp):
        from .forest import load_forest

        forest = load_forest(grammar)
        _FORESTS[grammar] = forest, _stamp(forest.source) if _is_compiled(forest.source) else None
    return forest


def _is_compiled(path: str) -> bool:
    from .forest.forest import COMPILED_SUFFIX

    return path.endswith(COMPILED_SUFFIX)


def _stamp(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return -1, -1  # gone: loading it again reports that clearly
    return st.st_size, st.st_mtime_ns


def normalize_record(forest: Any, rec: Any, spec: Spec) -> Reply:
    """The output line for one record (textio.Record) and its error, if any. A bad JSON record passes
    through unchanged; a record the grammar fails on is reported and passed through, never fatal."""
    from .textio import dumps_record

    if spec.jsonl and rec.error:
        return Reply(rec.text, rec.error)
    try:
        text = forest.normalize(rec.text)
    except Exception as exc:  # noqa: BLE001  one bad record must not end a long job
        return Reply(rec.text, f"normalization failed: {type(exc).__name__}: {exc}")
    if not spec.jsonl:
        return Reply(text, rec.error)
    try:
        return Reply(dumps_record({**rec.obj, spec.field: text}))
    except ValueError as exc:
        return Reply(rec.text, str(exc))


def normalize_block(forest: Any, data: bytes, source: str, first_line: int,
                    spec: Spec) -> tuple[bytes, list[list]]:
    """Normalize the lines of `data` (whole lines, the first being line `first_line` of `source`):
    the output bytes (one line per input line) and the errors as [line, message] pairs."""
    from .textio import records_from

    out, errors = [], []
    for rec in records_from(io.BytesIO(data), source, spec.jsonl, spec.field):
        reply = normalize_record(forest, rec, spec)
        out.append(reply.line)
        if reply.error:
            errors.append([rec.lineno + first_line - 1, reply.error])
    return ("\n".join(out) + "\n").encode("utf-8") if out else b"", errors


def iter_blocks(fh: BinaryIO, block_bytes: int) -> Iterator[tuple[int, int, bytes]]:
    """(offset, first line number, data) of consecutive blocks of about block_bytes, cut after a newline.

    Memory stays bounded whatever the input: a line longer than MAX_LINE_BYTES is kept only up to just
    over the limit (so the record reader still reports it as too long) and the rest is skipped in
    bounded reads; offsets always count the bytes really consumed."""
    offset, line = 0, 1
    while data := fh.read(block_bytes):
        consumed = len(data)
        if not data.endswith(b"\n"):
            rest = fh.readline(MAX_LINE_BYTES + 2)
            consumed += len(rest)
            data += rest
            if rest and not rest.endswith(b"\n"):  # an over-long line: skip to its end
                while rest and not rest.endswith(b"\n"):
                    rest = fh.readline(1 << 16)
                    consumed += len(rest)
                data += b"\n" if rest else b""
        yield offset, line, data
        offset += consumed
        line += data.count(b"\n")


class _Range:
    """A binary file seen from `start` for `length` bytes (what one block task reads)."""

    def __init__(self, fh: BinaryIO, start: int, length: int) -> None:
        fh.seek(start)
        self.fh, self.left = fh, length

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(self.left if n < 0 else min(n, self.left))
        self.left -= len(data)
        return data

    def readline(self, n: int = -1) -> bytes:
        data = self.fh.readline(self.left if n < 0 else min(n, self.left))
        self.left -= len(data)
        return data


# ---- inputs ---------------------------------------------------------------------------------------
def list_inputs(paths: Iterable[str | os.PathLike]) -> list[Input]:
    """Files and folders (expanded recursively, sorted, skipping names that start with "." or "_") as
    inputs; "-" (or nothing) is stdin. Output names are file names, or paths relative to a given folder."""
    inputs: list[Input] = []
    for p in [str(p) for p in paths] or [STDIN]:
        path = Path(p)
        if p == STDIN:
            inputs.append(Input(STDIN, "stdin"))
        elif path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and not any(
                part.startswith((".", "_")) for part in f.relative_to(path).parts))
            inputs.extend(Input(str(f), f.relative_to(path).as_posix(), p) for f in found)
        elif path.is_file():
            inputs.append(Input(p, path.name))
        else:
            raise EdgekitError(f"{p}: no such file or folder")
    return inputs


# ---- progress -------------------------------------------------------------------------------------
class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal (at most 10 times a second)."""

    def __init__(self, total_bytes: int | None, stream: TextIO | None = None, enabled: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = _isatty(self.stream) if enabled is None else enabled
        self.total = total_bytes
        self.done_bytes = self.lines = 0
        self.start = self._drawn = time.monotonic()
        self._width = 0

    def advance(self, nbytes: int, lines: int) -> None:
        self.done_bytes += nbytes
        self.lines += lines
        now = time.monotonic()
        if self.enabled and now - self._drawn >= 0.1:
            self._drawn = now
            self._draw(now)

    def message(self, text: str) -> None:
        """Print a line on stderr above the bar."""
        self._clear()
        self.stream.write(text + "\n")

    def close(self) -> None:
        self._clear()
        self.stream.flush()

    def _draw(self, now: float) -> None:
        elapsed = max(now - self.start, 1e-9)
        text = f"{self.lines:,} lines, {self.lines / elapsed:,.0f} lines/s"
        if self.total:
            frac = min(self.done_bytes / self.total, 1.0)
            bar = "#" * int(frac * 20)
            eta = elapsed * (1 - frac) / frac if frac > 0 else 0.0
            text = f"[{bar:<20}] {frac:6.1%}  {text}  ETA {int(eta) // 60}:{int(eta) % 60:02d}"
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self._width = 0


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _report(progress: Progress, source: str, errors: list[list]) -> None:
    for line, message in errors:
        progress.message(f"edgekit: {source}:{line}: {message}")


# ---- stream mode ----------------------------------------------------------------------------------
def normalize_stream(inputs: list[Input], spec: Spec, out: BinaryIO, jobs: int = 1,
                     progress: Progress | None = None, block_bytes: int = STREAM_BLOCK_BYTES) -> int:
    """Normalize every input to `out` in input order; returns the number of bad records (each reported
    on stderr as `source:line: message`). With jobs > 1, blocks run on that many worker processes."""
    progress = progress or Progress(_total_bytes(inputs))
    try:
        if jobs <= 1:
            return _stream_here(inputs, spec, out, progress)
        bad = 0
        tasks = _stream_tasks(inputs, spec, block_bytes)
        for task, (chunk, errors) in ordered_pool(_stream_block, tasks, jobs):
            out.write(chunk)
            bad += len(errors)
            _report(progress, task.source, errors)
            progress.advance(len(task.data), task.data.count(b"\n"))
        out.flush()
        return bad
    finally:
        progress.close()


def _stream_here(inputs: list[Input], spec: Spec, out: BinaryIO, progress: Progress) -> int:
    """Stream mode in this process, through the shared record loop (line by line when interactive)."""
    forest = forest_for(spec.grammar)
    text_out = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=True)
    try:
        return run_records(_records(inputs, spec), lambda chunk: [normalize_record(forest, r, spec) for r in chunk],
                           text_out, report=progress.message,
                           interactive=any(i.path == STDIN for i in inputs) and is_interactive(sys.stdin, out),
                           on_chunk=lambda chunk: progress.advance(sum(r.size for r in chunk), len(chunk)))
    finally:
        text_out.detach()


def _records(inputs: list[Input], spec: Spec) -> Iterator[Any]:
    from .textio import records_from

    for inp in inputs:
        with _open_input(inp) as fh:
            yield from records_from(fh, _source(inp), spec.jsonl, spec.field)


def _stream_tasks(inputs: list[Input], spec: Spec, block_bytes: int) -> Iterator[StreamTask]:
    for inp in inputs:
        with _open_input(inp) as fh:
            for _, first, data in iter_blocks(fh, block_bytes):
                yield StreamTask(spec, _source(inp), first, data)


def _stream_block(task: StreamTask) -> tuple[bytes, list[list]]:
    return normalize_block(forest_for(task.spec.grammar), task.data, task.source, task.first_line, task.spec)


def ordered_pool(fn: Callable[[T], Any], tasks: Iterable[T], jobs: int) -> Iterator[tuple[T, Any]]:
    """(task, fn(task)) for every task, in task order, computed on a pool of `jobs` worker processes with
    at most 2 * jobs tasks in flight (so memory stays flat however many tasks there are). The one
    process pool of batch jobs: stream blocks and job blocks both run here."""
    import multiprocessing

    with multiprocessing.get_context().Pool(jobs, initializer=quiet_worker) as pool:
        window: deque = deque()
        for task in tasks:
            window.append((task, pool.apply_async(fn, (task,))))
            if len(window) >= 2 * jobs:
                done, result = window.popleft()
                yield done, result.get()
        while window:
            done, result = window.popleft()
            yield done, result.get()


@contextlib.contextmanager
def _open_input(inp: Input) -> Iterator[BinaryIO]:
    if inp.path == STDIN:
        yield sys.stdin.buffer
        return
    try:
        fh = open(inp.path, "rb")
    except OSError as exc:
        raise EdgekitError(f"{inp.path}: cannot read ({exc.strerror or exc})") from None
    with fh:
        yield fh


def _source(inp: Input) -> str:
    return "<stdin>" if inp.path == STDIN else inp.path


def _total_bytes(inputs: list[Input]) -> int | None:
    if any(i.path == STDIN for i in inputs):
        return None
    return sum(os.path.getsize(i.path) for i in inputs)


# ---- job mode -------------------------------------------------------------------------------------
def run_block(task: BlockTask) -> BlockResult:
    """Worker side of a job: normalize one block of a file into its part files (errors, then output,
    each atomically). Returns the block's line count and errors. Runs in pool or Dask workers (which
    may outlive a job, hence the current grammar)."""
    forest = forest_for(task.spec.grammar)
    out, errors, lines = [], [], 0
    with open(task.path, "rb") as fh:
        span = _Range(fh, task.start, task.end - task.start)
        for _, first, data in iter_blocks(span, STREAM_BLOCK_BYTES):
            chunk, errs = normalize_block(forest, data, task.source, task.first_line + lines, task.spec)
            out.append(chunk)
            errors += errs
            lines += data.count(b"\n") + (not data.endswith(b"\n"))
    result = BlockResult(task.file, task.block, lines, task.end - task.start, errors)
    atomic_write_bytes(task.part + ".err", json.dumps(asdict(result)).encode("utf-8"))
    atomic_write_bytes(task.part + ".out", b"".join(out))
    return result


def local_executor(jobs: int) -> Executor:
    """Run job tasks in this process (jobs <= 1) or on the process pool with `jobs` workers, in task order."""
    def run(tasks: list[BlockTask]) -> Iterator[BlockResult]:
        if jobs <= 1 or len(tasks) <= 1:
            yield from map(run_block, tasks)
            return
        for _, result in ordered_pool(run_block, tasks, min(jobs, len(tasks))):
            yield result

    return run


class Job:
    """A resumable normalization job writing one output file per input into `out_dir` (see the module
    docstring for the on-disk protocol)."""

    def __init__(self, inputs: list[Input], out_dir: str | os.PathLike, spec: Spec,
                 block_bytes: int | None = None) -> None:
        if any(i.path == STDIN for i in inputs):
            raise EdgekitError("an output folder needs input files (stdin can only stream to stdout)")
        if block_bytes is not None and block_bytes < 1:
            raise EdgekitError(f"block size must be at least 1 byte, got {block_bytes}")
        names = [i.name for i in inputs]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise EdgekitError(f"two inputs would write the same output file {dupes[0]!r}; give their folder instead")
        if any(n in (MANIFEST, ERRORS) or n.startswith(PARTS + "/") for n in names):
            raise EdgekitError(f"an input is named like a job file ({MANIFEST}, {ERRORS} or {PARTS}/)")
        check_output_folder(out_dir, [(i.path, i.name) for i in inputs], {i.folder for i in inputs if i.folder})
        self.inputs, self.spec = inputs, spec
        self.out_dir = Path(out_dir)
        self.parts = self.out_dir / PARTS
        self.block_bytes = block_bytes  # None: the interrupted job's, or DEFAULT_BLOCK_BYTES

    # -- the manifest --
    def describe(self) -> dict:
        """The job's identity: what a resumed run must match."""
        files = []
        for i in self.inputs:
            st = os.stat(i.path)
            files.append({"path": os.path.abspath(i.path), "name": i.name, "size": st.st_size,
                          "mtime_ns": st.st_mtime_ns})
        return {"format": JOB_FORMAT, "version": JOB_VERSION, "grammar": self.spec.grammar,
                "grammar_fingerprint": grammar_fingerprint(self.spec.grammar), "jsonl": self.spec.jsonl,
                "field": self.spec.field, "block_bytes": self.block_bytes, "inputs": files}

    def _start(self, resume: bool) -> dict | None:
        """Write or check the manifest; returns the finished job's manifest when there is nothing to do."""
        path = self.out_dir / MANIFEST
        old = None
        if path.exists():
            from .textio import parse_json

            try:
                old = parse_json(path.read_bytes())
                if not isinstance(old, dict):
                    raise ValueError("not a JSON object")
            except (OSError, ValueError) as exc:
                raise EdgekitError(f"{path}: unreadable job manifest ({exc}); remove the folder to start over") from None
        if self.block_bytes is None:
            self.block_bytes = int(old.get("block_bytes") or DEFAULT_BLOCK_BYTES) if old else DEFAULT_BLOCK_BYTES
        wanted = self.describe()
        if old is not None:
            if not resume:
                raise EdgekitError(f"{self.out_dir} already holds a normalization job; pass --resume to "
                                   f"continue it, or choose an empty output folder")
            diff = _first_difference({k: old.get(k) for k in wanted}, wanted)
            if diff:
                raise EdgekitError(f"cannot resume the job in {self.out_dir}: {diff} changed since it started; "
                                   f"start again in an empty folder")
            if old.get("complete"):
                return old
        else:
            atomic_write_bytes(path, json.dumps({**wanted, "complete": False}, indent=1).encode("utf-8"))
        self.parts.mkdir(parents=True, exist_ok=True)
        for leftover in self.parts.glob(".*"):  # temp files of writes a kill interrupted
            leftover.unlink(missing_ok=True)
        return None

    # -- planning --
    def plan(self) -> tuple[list[list[BlockTask]], set[int]]:
        """Per input, its block tasks; and the set of inputs already finished (done marker present)."""
        per_file, finished = [], set()
        for fi, inp in enumerate(self.inputs):
            if self._done_path(fi).exists():
                finished.add(fi)  # finished before an interruption: its output file is complete
                per_file.append([])
                continue
            tasks = []
            parts = self.parts.resolve()  # absolute paths: tasks may run in other processes and machines
            with open(inp.path, "rb") as fh:
                for offset, first, data in iter_blocks(fh, self.block_bytes):
                    tasks.append(BlockTask(self.spec, os.path.abspath(inp.path), inp.path, fi, len(tasks), offset,
                                           offset + len(data), first, str(parts / f"{fi:06d}-{len(tasks):06d}")))
            per_file.append(tasks)
        return per_file, finished

    def run(self, executor: Executor, resume: bool = False, progress: Progress | None = None) -> Summary:
        """Run (or continue) the job; returns its summary. Bad records never stop it."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        with file_lock(self.out_dir / MANIFEST):
            finished_job = self._start(resume)
            if finished_job is not None:
                return Summary(**finished_job["summary"], reused=finished_job["summary"]["blocks"],
                               output=str(self.out_dir)) if "summary" in finished_job else Summary()
            per_file, finished = self.plan()
            summary = Summary(files=len(self.inputs), output=str(self.out_dir))
            pending, remaining = [], {}
            for fi in finished:
                blocks = json.loads(self._done_path(fi).read_text(encoding="utf-8"))["blocks"]
                summary.blocks += blocks
                summary.reused += blocks
            for fi, tasks in enumerate(per_file):
                summary.blocks += len(tasks)
                todo = [t for t in tasks if not Path(t.part + ".out").exists()]
                summary.reused += len(tasks) - len(todo)
                pending += todo
                remaining[fi] = len(todo)
            progress = progress or Progress(sum(t.end - t.start for t in pending))
            try:
                for fi in [fi for fi, n in remaining.items() if n == 0 and fi not in finished]:
                    self._finish_file(fi, per_file[fi])
                for result in executor(pending):
                    fi = result.file
                    _report(progress, self.inputs[fi].path, result.errors)
                    progress.advance(result.bytes, result.lines)
                    remaining[fi] -= 1
                    if remaining[fi] == 0:
                        self._finish_file(fi, per_file[fi])
            finally:
                progress.close()
            return self._finish_job(summary)

    # -- finishing --
    def _done_path(self, fi: int) -> Path:
        return self.parts / f"{fi:06d}.done"

    def _finish_file(self, fi: int, tasks: list[BlockTask]) -> None:
        """Concatenate a file's parts into its output (atomically), record it done, drop the parts."""
        lines, errors = 0, []
        with atomic_writer(self.out_dir / self.inputs[fi].name) as out:
            for t in tasks:
                with open(t.part + ".out", "rb") as part:
                    shutil.copyfileobj(part, out, 1 << 20)
                meta = json.loads(Path(t.part + ".err").read_text(encoding="utf-8"))
                lines += meta["lines"]
                errors += meta["errors"]
        done = {"lines": lines, "blocks": len(tasks), "errors": errors}
        atomic_write_bytes(self._done_path(fi), json.dumps(done).encode("utf-8"))
        for t in tasks:
            for suffix in (".out", ".err"):
                Path(t.part + suffix).unlink(missing_ok=True)

    def _finish_job(self, summary: Summary) -> Summary:
        """Write the error report and mark the manifest complete; remove the parts folder."""
        from .textio import dumps_record

        report = io.BytesIO()
        for fi, inp in enumerate(self.inputs):
            done = json.loads(self._done_path(fi).read_text(encoding="utf-8"))
            summary.lines += done["lines"]
            summary.errors += len(done["errors"])
            for line, message in done["errors"]:
                report.write(dumps_record({"file": inp.path, "line": line, "error": message}).encode("utf-8") + b"\n")
        atomic_write_bytes(self.out_dir / ERRORS, report.getvalue())
        manifest = {**self.describe(), "complete": True,
                    "summary": {"files": summary.files, "lines": summary.lines, "blocks": summary.blocks,
                                "errors": summary.errors}}
        atomic_write_bytes(self.out_dir / MANIFEST, json.dumps(manifest, indent=1).encode("utf-8"))
        shutil.rmtree(self.parts, ignore_errors=True)
        return summary


def _first_difference(old: dict, new: dict) -> str | None:
    """Name the first job setting (or input file) that differs between two manifests."""
    for key in new:
        if key == "inputs" and old.get(key) != new[key]:
            olds = {f["path"]: f for f in old.get(key) or []}
            for f in new[key]:
                if olds.get(f["path"]) != f:
                    return f"input {f['path']}"
            return "the list of inputs"
        if old.get(key) != new[key]:
            return f"the {key.replace('_', ' ')}"
    return None


def grammar_fingerprint(grammar: str) -> str:
    """What identifies a grammar for a resumable job: a compiled file's bytes; for sources, the engine and
    every file the compiled grammar read (its path from the entry's folder and sha256), so a file in the
    folder that the grammar never reads changes nothing and a changed imported or list file does."""
    from .forest import resolve_grammar
    from .forest.artifact import engine_fingerprint

    path = resolve_grammar(grammar)
    if _is_compiled(str(path)):
        return hashlib.sha256(path.read_bytes()).hexdigest()
    base = os.path.dirname(os.path.realpath(path))
    h = hashlib.sha256(engine_fingerprint().encode())
    for file, digest in forest_for(grammar).files_read:
        h.update(os.path.relpath(file, base).encode("utf-8", "surrogateescape") + b"\0" + digest.encode() + b"\0")
    return h.hexdigest()


def normalize_files(paths: Iterable[str | os.PathLike], grammar: str, *, output: str | os.PathLike | None = None,
                    jsonl: bool = False, field: str = "text", jobs: int = 1, resume: bool = False,
                    block_bytes: int | None = None, out: BinaryIO | None = None,
                    executor: Executor | None = None) -> Summary:
    """Normalize files and folders with a grammar: to `out` (default stdout) in input order, or into
    the folder `output` as a resumable job (see the module docstring). `jobs` 0 means one per core."""
    spec = Spec(grammar, jsonl, field)
    forest_for(grammar)  # a bad grammar fails here, once, not in every worker
    jobs = jobs or os.cpu_count() or 1
    inputs = list_inputs(paths)
    if output is None:
        if resume:
            raise EdgekitError("--resume needs an output folder (-o DIR): a stream to stdout cannot be resumed")
        bad = normalize_stream(inputs, spec, out or sys.stdout.buffer, jobs, block_bytes=block_bytes or STREAM_BLOCK_BYTES)
        return Summary(files=len(inputs), errors=bad)
    job = Job(inputs, output, spec, block_bytes)
    return job.run(executor or local_executor(jobs), resume=resume)
