"""Fault machinery shared by the reliability tests and benchmarks/reliability.py: savers killed with SIGKILL,
concurrent teachers, byte-level corruption sweeps and a hang guard. Everything drives the real edgekit code;
processes are real (forked) processes. Only absolute imports, so the benchmark can load this file by path."""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from edgekit.errors import ModelFileError


# ---- data and models -------------------------------------------------------------------------------
def vector_batches(seed: int, n_batches: int, batch: int, d: int, n_classes: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Deterministic labelled batches of feature vectors (class-dependent means, so models are non-trivial)."""
    rng = np.random.default_rng(seed)
    centers = np.random.default_rng(12345).normal(size=(n_classes, d))
    out = []
    for _ in range(n_batches):
        y = rng.integers(0, n_classes, size=batch)
        out.append((centers[y] + rng.normal(scale=0.7, size=(batch, d)), y))
    return out


def trained_head(kind: str = "analytic", d: int = 32, n_classes: int = 4, seed: int = 0, n: int = 200, **params: Any):
    """A head of the registry kind `kind` fitted on `n` random labelled vectors."""
    from edgekit.learn.heads import make_head

    (X, y), = vector_batches(seed, 1, n, d, n_classes)
    head = make_head(kind, **params)
    head.partial_fit(X, y)
    return head


# ---- snapshots ----------------------------------------------------------------------------------------
def snapshot(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a directory tree (relative paths and contents); 'absent' if missing."""
    if path.is_dir():
        h = hashlib.sha256()
        for p in sorted(path.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(path)).encode() + b"\0" + p.read_bytes() + b"\0")
        return "dir:" + h.hexdigest()
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return "absent"


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            p.unlink()


# ---- crash safety -------------------------------------------------------------------------------------
@dataclass
class CrashReport:
    """What a kill campaign found: kills made, kills after which the file was an old/new state that loaded."""

    kills: int = 0
    survived: int = 0
    states_seen: Counter = field(default_factory=Counter)
    left_temp_files: int = 0   # kills that landed mid-write (a temp file was left behind)
    failures: list[str] = field(default_factory=list)


def _child(body: Callable[[], None], ready_fd: int | None = None) -> None:
    """Run `body` in a forked child and never return into the parent's code (pytest, the benchmark)."""
    code = 0
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.setitimer(signal.ITIMER_REAL, 0)
        if ready_fd is not None:
            os.write(ready_fd, b"r")
        body()
    except BaseException:
        traceback.print_exc()
        code = 3
    finally:
        os._exit(code)


def kill_while_saving(path: Path, savers: Sequence[Callable[[Path], None]], load: Callable[[Path], Any],
                      kills: int, max_delay: float | None = None, seed: int = 0,
                      identify: Callable[[Path], str] = snapshot) -> CrashReport:
    """SIGKILL a process that saves the states `savers` write, over and over, at `kills` random moments.

    Each saver writes one known state to `path`. A forked child saves them in turn in a loop; the parent kills
    it after a random delay in [0, max_delay) (default: two whole save cycles, so kills land in every
    saver's writes) and then requires that `path` is byte-for-byte one of the known
    states and that `load(path)` succeeds. Temp files left behind are counted (they show the kill landed
    mid-write) and removed. `identify` names the state on disk (default: its bytes; a pipeline, whose
    saves pick fresh file names, is identified by what it loads as)."""
    rng = np.random.default_rng(seed)
    expected: dict[str, int] = {}
    t0 = time.perf_counter()
    for i, save in enumerate(savers):
        save(path)
        expected.setdefault(identify(path), i)
    savers[0](path)
    if max_delay is None:
        max_delay = 2 * (time.perf_counter() - t0)
    before = set(path.parent.iterdir())
    report = CrashReport()
    for k in range(kills):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)

            def loop() -> None:
                i = 1
                while True:
                    savers[i % len(savers)](path)
                    i += 1

            _child(loop, w)
        os.close(w)
        os.read(r, 1)
        os.close(r)
        time.sleep(float(rng.uniform(0.0, max_delay)))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if _check_after_kill(report, k, status, path, before, expected, load, identify) is False:
            savers[0](path)
    return report


def kill_command_runs(path: Path, command: Sequence[str], states: Sequence[bytes], load: Callable[[Path], Any],
                      kills: int, max_delay: float, seed: int = 0) -> CrashReport:
    """SIGKILL a real command (e.g. `edgekit learn MODEL ...`) at random moments while it updates `path`.

    Before each run `path` holds states[0] (the old state); the command would turn it into one of the other
    `states`. After the kill, `path` must hold one of them byte for byte and load."""
    rng = np.random.default_rng(seed)
    expected = {hashlib.sha256(s).hexdigest(): i for i, s in enumerate(states)}
    report = CrashReport()
    for k in range(kills):
        path.write_bytes(states[0])
        before = set(path.parent.iterdir()) | {Path(str(path) + ".lock")}
        proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(0.0, max_delay)))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        status = int(signal.SIGKILL) if proc.returncode == -signal.SIGKILL else 0  # as a wait status
        _check_after_kill(report, k, status, path, before, expected, load)
    return report


def _check_after_kill(report: CrashReport, k: int, status: int, path: Path, before: set, expected: dict[str, int],
                      load: Callable[[Path], Any], identify: Callable[[Path], str] = snapshot) -> bool:
    """Record one kill's outcome; False when the file on disk is not a known state or does not load."""
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    if killed:
        report.kills += 1
    else:  # the process finished before the signal: its result is checked, but it is not a kill
        report.states_seen["finished"] += 1
    try:
        snap = identify(path)
    except Exception as exc:  # the state on disk cannot even be identified (does not load)
        snap = f"unidentifiable ({type(exc).__name__}: {str(exc)[:120]})"
    leftovers = set(path.parent.iterdir()) - before
    if leftovers:
        report.left_temp_files += 1
        for p in leftovers:
            _remove(p)
    if snap not in expected:
        report.failures.append(f"kill {k}: {path.name} is neither the old nor the new state ({snap[:140]})")
        return False
    try:
        load(path)
    except Exception as exc:  # any failure to load a known-good state is a finding
        report.failures.append(f"kill {k}: a known state failed to load: {type(exc).__name__}: {exc}")
        return False
    if killed:
        report.states_seen[expected[snap]] += 1
        report.survived += 1
    return True


# ---- concurrent writers -------------------------------------------------------------------------------
def teach_concurrently(path: Path, work: Sequence[Sequence[tuple[np.ndarray, np.ndarray]]], lock: bool = True) -> None:
    """Fork one process per item of `work`; each teaches its batches to the model file at `path`, one
    load-learn-save cycle per batch, under edgekit's file lock (or, with lock=False, without it)."""
    from edgekit.learn.heads import load_head
    from edgekit.storage import file_lock

    pids = []
    for batches in work:
        pid = os.fork()
        if pid == 0:
            def body(batches=batches) -> None:
                for X, y in batches:
                    with file_lock(path) if lock else contextlib.nullcontext():
                        head = load_head(path)
                        head.partial_fit(X, y)
                        head.save(path)
            _child(body)
        pids.append(pid)
    codes = [os.waitpid(pid, 0)[1] for pid in pids]
    if any(codes):
        raise RuntimeError(f"a teaching process failed (wait statuses {codes})")


# ---- corruption ----------------------------------------------------------------------------------------
@dataclass
class CorruptionReport:
    """Outcomes of loading damaged copies of a file."""

    tried: int = 0
    detected: int = 0      # refused with ModelFileError naming the file
    harmless: int = 0      # loaded and behaves exactly like the original (e.g. a flip in a doc string)
    silent: int = 0        # loaded and behaves differently: a finding
    crashed: int = 0       # another exception type: a finding
    examples: list[str] = field(default_factory=list)

    def add(self, other: "CorruptionReport") -> None:
        for name in ("tried", "detected", "harmless", "silent", "crashed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.examples += other.examples


def truncations(size: int, count: int, rng: np.random.Generator) -> list[int]:
    """Lengths to cut a file of `size` bytes to: the edges plus `count` random lengths."""
    edges = {0, 1, 7, 8, 19, 20, 32, size // 2, size - 33, size - 32, size - 1}
    picks = set(int(v) for v in rng.integers(0, size, size=max(count - len(edges), 0)))
    return sorted(v for v in edges | picks if 0 <= v < size)


def bit_flips(size: int, count: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(byte offset, bit) pairs: the first 64 bytes' bits in turn, then random positions."""
    head = [(i // 8, i % 8) for i in range(min(64 * 8, size * 8))][: count // 4]
    rest = [(int(rng.integers(0, size)), int(rng.integers(0, 8))) for _ in range(count - len(head))]
    return head + rest


def corruption_sweep(data: bytes, path: Path, load: Callable[[Path], Any], fingerprint: Callable[[Any], Any],
                     cuts: Iterable[int], flips: Iterable[tuple[int, int]]) -> CorruptionReport:
    """Write each truncated / bit-flipped variant of `data` to `path` and classify what loading it does."""
    expected = fingerprint(load_bytes(data, path, load))
    report = CorruptionReport()

    def variants() -> Iterator[tuple[str, bytes]]:
        for n in cuts:
            yield f"truncated to {n} bytes", data[:n]
        for pos, bit in flips:
            b = bytearray(data)
            b[pos] ^= 1 << bit
            yield f"bit {bit} of byte {pos} flipped", bytes(b)

    for what, variant in variants():
        report.tried += 1
        try:
            obj = load_bytes(variant, path, load)
        except ModelFileError as exc:
            if path.name in str(exc):
                report.detected += 1
            else:
                report.crashed += 1
                report.examples.append(f"{what}: error does not name the file: {exc}")
            continue
        except Exception as exc:  # any other type is a finding, recorded with its message
            report.crashed += 1
            report.examples.append(f"{what}: {type(exc).__name__}: {str(exc)[:200]}")
            continue
        try:
            same = fingerprint(obj) == expected
        except Exception as exc:  # loaded, then failed in use: also a finding
            report.crashed += 1
            report.examples.append(f"{what}: loaded, then in use {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if same:
            report.harmless += 1
        else:
            report.silent += 1
            report.examples.append(f"{what}: loaded and behaves differently")
    return report


def load_bytes(data: bytes, path: Path, load: Callable[[Path], Any]) -> Any:
    """Write `data` to `path` (plainly: this is the damaged file under test) and load it."""
    path.write_bytes(data)
    return load(path)


# ---- hangs -------------------------------------------------------------------------------------------
class Hang(AssertionError):
    """An operation ran past its time limit: an input made edgekit hang (or go super-linear)."""


@contextlib.contextmanager
def time_limit(seconds: float, what: str = "operation") -> Iterator[None]:
    """Raise Hang if the body runs longer than `seconds` (SIGALRM; main thread only). A guard against
    hangs with a generous limit, not a timing assertion."""
    def on_alarm(signum, frame):
        raise Hang(f"{what} did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def python_files(root: Path) -> list[Path]:
    """Every .py file of a package folder, sorted."""
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
