"""The small, safe expression language of `value` and `text` clauses: numbers (int or exact decimal),
strings, + - * / // %, comparisons, and/or/not, `a if c else b`, attribute access on captures
(`h.text`, `h.surface`, `m.year` for a regex group) and a fixed set of builtin functions.
Grammar files never run Python code: expressions are nested lists evaluated by `evaluate`."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping, Protocol

MAX_STRING = 10_000
MAX_DIGITS = 400


class ExprError(Exception):
    """An expression failed at run time (bad type, division by zero, value too large)."""


def format_value(v: Any) -> str:
    """How a value renders as text: integers plainly, decimals without exponent, lists space-joined."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, Decimal):
        s = format(v, "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".") if not s.endswith(".") else s[:-1]
        return s
    if isinstance(v, (list, tuple)):
        return " ".join(format_value(x) for x in v)
    return str(v)


def _num(v: Any) -> int | Decimal:
    if isinstance(v, bool) or v is None:
        raise ExprError(f"expected a number, got {format_value(v)!r}")
    if isinstance(v, (int, Decimal)):
        return v
    if isinstance(v, str):
        try:
            return int(v) if v.strip().lstrip("+-").isdigit() else Decimal(v)
        except (ValueError, InvalidOperation):
            raise ExprError(f"expected a number, got {v!r}") from None
    raise ExprError(f"expected a number, got {type(v).__name__}")


def _check(v: Any) -> Any:
    if isinstance(v, str) and len(v) > MAX_STRING:
        raise ExprError("string too long")
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > MAX_DIGITS * 3.33:
        raise ExprError("number too large")
    if isinstance(v, Decimal) and v.is_finite() and v.adjusted() > MAX_DIGITS:
        raise ExprError("number too large")
    return v


def _int(v: Any) -> int:
    n = _num(v)
    if isinstance(n, Decimal):
        if n != n.to_integral_value():
            raise ExprError(f"{format_value(n)} is not an integer")
        return int(n)
    return n


def _dec(v: Any) -> Decimal:
    n = _num(v)
    return Decimal(n) if isinstance(n, int) else n


def _pad(v: Any, width: Any) -> str:
    width = _int(width)
    if not 0 <= width <= 1000:
        raise ExprError("pad width out of range")
    return format_value(v).rjust(width, "0")


def _join(items: Any, sep: Any = "") -> str:
    if items is None:
        return ""
    if not isinstance(items, (list, tuple)):
        items = [items]
    return str(sep).join(format_value(x) for x in items)


def _lookup(table: Any, key: Any, default: Any = None) -> Any:
    if not isinstance(table, Mapping):
        raise ExprError("lookup needs a table as its first argument")
    return table.get(format_value(key).casefold(), default)


def _len(v: Any) -> int:
    if v is None:
        return 0
    return len(v) if isinstance(v, (list, tuple, str)) else len(format_value(v))


BUILTINS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (function, min args, max args)
    "str": (format_value, 1, 1),
    "int": (_int, 1, 1),
    "dec": (_dec, 1, 1),
    "len": (_len, 1, 1),
    "pad": (_pad, 2, 2),
    "join": (_join, 1, 2),
    "lookup": (_lookup, 2, 3),
    "upper": (lambda s: format_value(s).upper(), 1, 1),
    "lower": (lambda s: format_value(s).lower(), 1, 1),
    "title": (lambda s: format_value(s).title(), 1, 1),
    "replace": (lambda s, a, b: format_value(s).replace(format_value(a), format_value(b)), 3, 3),
    "abs": (lambda x: abs(_num(x)), 1, 1),
    "min": (lambda *xs: min(_num(x) for x in xs), 1, 8),
    "max": (lambda *xs: max(_num(x) for x in xs), 1, 8),
    "default": (lambda x, d: d if x is None else x, 2, 2),
}


class Env(Protocol):
    """What evaluate needs from its caller: capture values and capture attributes."""

    def value(self, name: str) -> Any: ...

    def attr(self, name: str, field: str) -> Any: ...


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and (isinstance(a, str) or isinstance(b, str)):
        return format_value(a) + format_value(b)
    x, y = _num(a), _num(b)
    if isinstance(x, Decimal) or isinstance(y, Decimal):
        x, y = _dec(x), _dec(y)
    try:
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op == "/":
            if isinstance(x, int) and isinstance(y, int):
                q, r = divmod(x, y)
                return q if r == 0 else Decimal(x) / Decimal(y)
            return x / y
        if op == "//":
            return x // y
        if op == "%":
            return x % y
    except (ZeroDivisionError, InvalidOperation):
        raise ExprError("division by zero") from None
    raise ExprError(f"unknown operator {op}")


_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def evaluate(node: list, env: Env, tables: Mapping[str, Mapping[str, Any]]) -> Any:
    """Evaluate an expression tree; raises ExprError on a run-time failure."""
    tag = node[0]
    if tag == "num":
        return int(node[1]) if "." not in node[1] else Decimal(node[1])
    if tag == "str":
        return node[1]
    if tag == "const":
        return node[1]
    if tag == "name":
        name = node[1]
        return tables[name] if name in tables else env.value(name)
    if tag == "attr":
        base = node[1]
        if base[0] == "name" and base[1] not in tables:
            return env.attr(base[1], node[2])
        v = evaluate(base, env, tables)
        if isinstance(v, Mapping):
            return v.get(node[2])
        raise ExprError(f"value has no attribute {node[2]!r}")
    if tag == "index":
        v, i = evaluate(node[1], env, tables), evaluate(node[2], env, tables)
        try:
            return v[_int(i)] if isinstance(v, (list, tuple, str)) else v[format_value(i)]
        except (IndexError, KeyError, TypeError):
            return None
    if tag == "call":
        fn = BUILTINS[node[1]][0]
        args = [evaluate(a, env, tables) for a in node[2]]
        try:
            return _check(fn(*args))
        except ExprError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ExprError(f"{node[1]}(): {exc}") from None
    if tag == "neg":
        return _check(-_num(evaluate(node[1], env, tables)))
    if tag == "bin":
        return _check(_arith(node[1], evaluate(node[2], env, tables), evaluate(node[3], env, tables)))
    if tag == "cmp":
        a, b = evaluate(node[2], env, tables), evaluate(node[3], env, tables)
        try:
            return _COMPARE[node[1]](a, b)
        except TypeError:
            try:
                return _COMPARE[node[1]](_num(a), _num(b))
            except ExprError:
                return _COMPARE[node[1]](format_value(a), format_value(b))
    if tag == "and":
        v: Any = True
        for part in node[1]:
            v = evaluate(part, env, tables)
            if not v:
                return v
        return v
    if tag == "or":
        v = None
        for part in node[1]:
            v = evaluate(part, env, tables)
            if v:
                return v
        return v
    if tag == "not":
        return not evaluate(node[1], env, tables)
    if tag == "if":
        return evaluate(node[2] if evaluate(node[1], env, tables) else node[3], env, tables)
    raise ExprError(f"unknown expression node {tag!r}")


def names_used(node: list) -> list[tuple[str, list]]:
    """Every bare name an expression reads (for the compile-time check of captures and tables)."""
    tag = node[0]
    if tag == "name":
        return [(node[1], node)]
    if tag == "attr":
        return names_used(node[1])
    if tag == "call":
        return [n for a in node[2] for n in names_used(a)]
    if tag in ("and", "or"):
        return [n for a in node[1] for n in names_used(a)]
    if tag in ("neg", "not"):
        return names_used(node[1])
    if tag in ("bin", "cmp"):
        return names_used(node[2]) + names_used(node[3])
    if tag == "index":
        return names_used(node[1]) + names_used(node[2])
    if tag == "if":
        return names_used(node[1]) + names_used(node[2]) + names_used(node[3])
    return []
