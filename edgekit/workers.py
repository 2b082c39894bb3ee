"""Worker processes of a local pool that end quietly with their parent.

When the parent is killed (SIGKILL, a closed terminal), a pool worker's next result write fails with
BrokenPipeError and multiprocessing prints two tracebacks per worker. `quiet_worker`, the pool
initializer, makes the kernel end the worker with its parent (Linux PR_SET_PDEATHSIG) and, where that
is unavailable, a watchdog thread ends it within a second of the parent's death; either way silently
(a worker's writes are atomic, so nothing is left half-written)."""
from __future__ import annotations

import os
import signal
import threading
import time

_PR_SET_PDEATHSIG = 1


def quiet_worker() -> None:
    """Pool initializer: end this worker, without output, as soon as its parent process is gone."""
    parent = os.getppid()
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(0)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="edgekit-parent-watch").start()


def _watch(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)
