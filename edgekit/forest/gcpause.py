"""Pausing the cycle collector around work that makes many container objects and no cycles worth
collecting meanwhile (digesting a long text, reading and compiling a big grammar set): its passes over
them grow faster than the work does."""
from __future__ import annotations

import gc
from typing import Any


class _Paused:
    """The context manager of gc_paused: a plain class, as it wraps every digestion (a generator-based one
    costs several microseconds to enter and leave)."""

    __slots__ = ("pause",)

    def __init__(self, pause: bool) -> None:
        self.pause = pause

    def __enter__(self) -> None:
        if self.pause and gc.isenabled():
            gc.disable()
        else:
            self.pause = False

    def __exit__(self, *exc: Any) -> None:
        if self.pause:
            gc.enable()


def gc_paused(pause: bool = True) -> _Paused:
    """The cycle collector paused for the block (when `pause` and it is on); the few cycles made meanwhile
    are collected at its next pass after."""
    return _Paused(True) if pause else _NOT_PAUSED


_NOT_PAUSED = _Paused(False)  # its state never changes, so one serves every block that does not pause
