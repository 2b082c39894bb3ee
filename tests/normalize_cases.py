"""Shared by the normalization tests: the (input, expected output) cases a forest misreads."""
from __future__ import annotations


def misread(forest, cases: list[tuple[str, str]]) -> list[str]:
    """The (input, expected output) pairs that do not normalize exactly, each as "input: want ..., got ..."
    (a test asserts the list is empty, so every mismatch is reported at once)."""
    got = [(text, want, forest.normalize(text)) for text, want in cases]
    return [f"{t!r}: want {w!r}, got {g!r}" for t, w, g in got if g != w]
