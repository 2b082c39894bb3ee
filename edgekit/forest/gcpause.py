"""Pausing the cycle collector around work that makes many container objects and no cycles worth
collecting meanwhile (digesting a long text, reading and compiling a big grammar set): its passes over
them grow faster than the work does."""
from __future__ import annotations

import gc
from typing import Any


class gc_paused:  # noqa: N801  used like a function, as contextlib.suppress is
    """The cycle collector paused for a `with` block (when `pause` and it is on); any cycles made
    meanwhile are collected at its next pass after. A plain class, so entering it costs next to nothing."""

    __slots__ = ("pause", "_off")

    def __init__(self, pause: bool = True) -> None:
        self.pause, self._off = pause, False

    def __enter__(self) -> None:
        if self.pause and gc.isenabled():
            gc.disable()
            self._off = True

    def __exit__(self, *exc: Any) -> None:
        if self._off:
            self._off = False
            gc.enable()
