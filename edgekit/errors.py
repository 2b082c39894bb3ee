"""The exceptions edgekit raises on bad input: one base class, one subclass per kind of input."""
from __future__ import annotations


class EdgekitError(Exception):
    """Base class: every error edgekit raises on purpose (the CLI prints these without a traceback)."""


class GrammarError(EdgekitError):
    """A grammar file is wrong; the message points to file:line:col with the line and a caret."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 col: int | None = None, source_line: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line
        super().__init__(self._render())

    def _render(self) -> str:
        if self.file is None:
            return f"error: {self.message}"
        where = f"{self.file}:{self.line or 0}:{self.col or 0}"
        text = f"{where}: error: {self.message}"
        if self.source_line is not None:
            caret = " " * max((self.col or 1) - 1, 0) + "^"
            text += f"\n    {self.source_line.rstrip()}\n    {caret}"
        return text


class DataError(EdgekitError):
    """An input record is wrong (shape, NaN, unknown label, bad UTF-8 ...); the message names the record."""


class NotTextError(DataError, TypeError):
    """A text (str) was expected and something else was given; also a TypeError, as Python's own are."""


def check_text(value: object) -> str:
    """The value if it is a str; otherwise NotTextError naming what it was."""
    if not isinstance(value, str):
        raise NotTextError(f"expected text (str), got {type(value).__name__}")
    return value


class ModelFileError(EdgekitError):
    """A model/state file cannot be read: truncated, corrupted, foreign, or of an unsupported version."""


class InputError(DataError, ValueError):
    """A bad input to a learned head: a DataError that is also a ValueError (scikit-learn expects ValueError)."""


class InputTypeError(InputError, TypeError):
    """Something that is not a number where numbers are expected (also a TypeError)."""


class NotFittedError(InputError, AttributeError):
    """A head was used before it learned anything (also an AttributeError, like scikit-learn's)."""
