"""Parameter constraints, declared once per head and checked at fit and at load (as scikit-learn's
`_parameter_constraints`): each parameter lists the constraints a valid value satisfies (any one of them)."""
from __future__ import annotations

import numbers
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..valueclass import value_class
from ..errors import InputError


@value_class(frozen=True)
class Interval:
    """A real number (or, with integer=True, an integer) between low and high; None leaves a side open."""

    integer: bool
    low: float | None = None
    high: float | None = None
    closed: str = "both"   # which ends belong to the interval: "both", "left", "right" or "neither"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False
        if self.integer and not isinstance(value, (numbers.Integral, np.integer)):
            return False
        try:
            if not isinstance(value, numbers.Real) or not np.isfinite(float(value)):
                return False
        except OverflowError:  # an integer beyond float range
            return False
        low_ok = self.low is None or (value >= self.low if self.closed in ("both", "left") else value > self.low)
        high_ok = self.high is None or (value <= self.high if self.closed in ("both", "right") else value < self.high)
        return bool(low_ok and high_ok)

    def describe(self) -> str:
        what = "an integer" if self.integer else "a finite number"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        show = (lambda v: str(int(v))) if self.integer else (lambda v: f"{v:g}")
        lo = "-inf" if self.low is None else show(self.low)
        hi = "inf" if self.high is None else show(self.high)
        return f"{what} in {left}{lo}, {hi}{right}"


@value_class(frozen=True)
class Options:
    """One of a fixed set of strings."""

    values: tuple[str, ...]

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.values

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)


@value_class(frozen=True)
class Satisfies:
    """Any value the predicate accepts (for what the other constraints cannot say)."""

    predicate: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        return self.description


BOOLEAN = Satisfies(lambda v: isinstance(v, (bool, np.bool_)), "true or false")
NONE = Satisfies(lambda v: v is None, "None")
ANY = Satisfies(lambda v: True, "anything")


def check_value(owner: str, name: str, value: Any, constraints: Sequence[Any]) -> None:
    """InputError naming the parameter unless the value satisfies one of the constraints."""
    if not any(c.accepts(value) for c in constraints):
        allowed = " or ".join(c.describe() for c in constraints)
        raise InputError(f"{owner}: {name} must be {allowed}; got {str(value)[:80]!r}")


def check_values(owner: str, values: Mapping[str, Any], constraints: Mapping[str, Sequence[Any]]) -> None:
    """check_value for every constrained name (a missing value is None)."""
    for name, allowed in constraints.items():
        check_value(owner, name, values.get(name), allowed)
