"""Pausing the cycle collector around work that makes many container objects and no cycles worth
collecting meanwhile (digesting a long text, reading and compiling a big grammar set): its passes over
them grow faster than the work does."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def gc_paused(pause: bool = True) -> Iterator[None]:
    """The cycle collector paused for the block (when `pause` and it is on); the few cycles made meanwhile
    are collected at its next pass after."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
