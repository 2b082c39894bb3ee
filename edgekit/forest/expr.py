"""The small, safe expression language of `value` and `text` clauses: numbers (int or exact decimal),
strings, + - * / // %, comparisons, and/or/not, `a if c else b`, attribute access on captures
(`h.text`, `h.surface`, `m.year` for a regex group) and a fixed set of builtin functions.
Grammar files never run Python code: expressions are typed nodes (model.py) that `compile_expr` turns into closures."""
from __future__ import annotations

import operator
import re

from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping, Protocol

from ..errors import EdgekitError
from . import numwords
from .model import Attr, Bin, Call, Cmp, Const, Expr, If, Index, Logic, Name, Neg, Not, Num, Str

MAX_STRING = 10_000
MAX_DIGITS = 400


class ExprError(EdgekitError):
    """An expression failed at run time (bad type, division by zero, value too large)."""


def format_value(v: Any) -> str:
    """How a value renders as text: integers plainly, decimals without exponent, lists space-joined."""
    if type(v) is str:
        return v
    if type(v) is int:
        return str(v)
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
    if type(v) is int:
        return v
    if isinstance(v, bool) or v is None:
        raise ExprError(f"expected a number, got {format_value(v)!r}")
    if isinstance(v, (int, Decimal)):
        return v
    if isinstance(v, str):
        try:
            n = int(v) if v.strip().lstrip("+-").isdigit() else Decimal(v)
        except (ValueError, InvalidOperation):
            raise ExprError(f"expected a number, got {v[:40]!r}") from None
        if isinstance(n, Decimal) and not n.is_finite():  # no NaN or Infinity in this language
            raise ExprError(f"expected a number, got {v[:40]!r}")
        return n
    raise ExprError(f"expected a number, got {type(v).__name__}")


_MAX_BITS = MAX_DIGITS * 3.33  # an int of more bits has more than MAX_DIGITS digits


def _check(v: Any) -> Any:
    if type(v) is int:
        if v.bit_length() > _MAX_BITS:
            raise ExprError("number too large")
        return v
    if type(v) is str:
        if len(v) > MAX_STRING:
            raise ExprError("string too long")
        return v
    if isinstance(v, str) and len(v) > MAX_STRING:
        raise ExprError("string too long")
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > _MAX_BITS:
        raise ExprError("number too large")
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ExprError("not a number")
        if v.adjusted() > MAX_DIGITS:
            raise ExprError("number too large")
        if v.as_tuple().exponent < -MAX_DIGITS:  # 1e-300000000 would render as 300 million digits
            raise ExprError(f"number has more than {MAX_DIGITS} decimal places")
    return v


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


def _int(v: Any) -> int:
    if type(v) is int:
        return v
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
    if type(table) is not dict and not isinstance(table, Mapping):
        raise ExprError("lookup needs a table as its first argument")
    return table.get(format_value(key).casefold(), default)


def _len(v: Any) -> int:
    if type(v) is str:
        return len(v)
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
    "upper_after": (lambda s, chars: _upper_after(format_value(s), format_value(chars)), 2, 2),
    "replace": (lambda s, a, b: format_value(s).replace(format_value(a), format_value(b)), 3, 3),
    "abs": (lambda x: abs(_num(x)), 1, 1),
    "min": (lambda *xs: min(_num(x) for x in xs), 1, 8),
    "max": (lambda *xs: max(_num(x) for x in xs), 1, 8),
    "default": (lambda x, d: d if x is None else x, 2, 2),
    # added for the English grammars (generic; the words themselves live in grammar tables)
    "sum": (lambda items: _sum(items), 1, 1),
    "slice": (lambda s, a, b=None: _slice(s, a, b), 2, 3),
    "shape": (lambda s, pattern: _shape(s, pattern), 2, 2),
    # number words come from a grammar table (see numwords.py)
    "spell": (lambda n, table, style="": numwords.spell(_int(n), _table(table), format_value(style)), 2, 3),
    "spell_digits": (lambda s, table: numwords.spell_digits(format_value(s), _table(table)), 2, 2),
    "replace_last": (lambda s, table, suffix="": numwords.replace_last(format_value(s), _table(table),
                                                                          format_value(suffix)), 2, 3),
    "read_out": (lambda s, *tables: numwords.read_out(format_value(s), *map(_table, tables)), 2, 4),
    "spaced": (lambda *parts: _spaced(parts), 1, 12),
    "join_tight": (lambda items, before, after: _join_tight(items, format_value(before), format_value(after)), 3, 3),
}


def _upper_after(s: str, chars: str) -> str:
    """Capitalize every run of letters that directly follows one of `chars`: ("a-bc.d", "-.") -> "a-BC.D"."""
    if not chars:
        return s
    return re.sub(rf"(?<=[{re.escape(chars)}])[^\W\d_]+", lambda m: m.group().upper(), s)


def _spaced(parts: tuple) -> str:
    """Join the non-empty parts with single spaces: spaced("minus", "", "five") = "minus five"."""
    return " ".join(s for s in (format_value(p).strip() for p in parts) if s)


def _join_tight(items: Any, before: str, after: str) -> str:
    """Join items with spaces, except before an item starting with one of the characters in `before` and
    after an item ending with one of the characters in `after` (a detokenizer: "one" "," "two" -> "one, two")."""
    if not isinstance(items, (list, tuple)):
        items = [items]
    out: list[str] = []
    prev = ""
    for item in (format_value(x) for x in items):
        if out and not (item[:1] and item[:1] in before) and not (prev[-1:] and prev[-1:] in after):
            out.append(" ")
        out.append(item)
        prev = item
    return "".join(out)


def _table(t: Any) -> Mapping:
    if type(t) is not dict and not isinstance(t, Mapping):
        raise ExprError("expected a table name as argument")
    return t


def _shape(s: Any, pattern: Any) -> str:
    """Lay a value's characters into a pattern, one per '#': shape("1231235678", "###-###-####")."""
    chars, pat = format_value(s), format_value(pattern)
    if pat.count("#") != len(chars):
        raise ExprError(f"shape(): {len(chars)} characters do not fill {pat!r}")
    it = iter(chars)
    return "".join(next(it) if c == "#" else c for c in pat)


def _sum(items: Any) -> int | Decimal:
    """Sum of a list of numbers (none counts as nothing): sum(g) over a repeated capture."""
    if items is None:
        return 0
    if not isinstance(items, (list, tuple)):
        items = [items]
    total: int | Decimal = 0
    for x in items:
        if x is not None:
            total = total + _num(x)
    return total


def _slice(s: Any, start: Any, end: Any = None) -> str:
    """Characters start..end of a value's text (Python slice semantics, negative indexes allowed)."""
    return format_value(s)[_int(start):None if end is None else _int(end)]


class Env(Protocol):
    """What a compiled expression needs from its caller: capture values and capture attributes (`text`
    and `surface` are attr(name, "text") and attr(name, "surface"), the common ones, asked directly)."""

    def value(self, name: str) -> Any: ...

    def attr(self, name: str, field: str) -> Any: ...

    def text(self, name: str) -> Any: ...

    def surface(self, name: str) -> Any: ...


def _arith(op: str, a: Any, b: Any) -> Any:
    if type(a) is int and type(b) is int and op in _INT_OPS:  # the common case, before the general one
        return _INT_OPS[op](a, b)
    if op == "+" and type(a) is str and type(b) is str:
        return a + b
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


_INT_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_INT_DIV_OPS = {"//": operator.floordiv, "%": operator.mod}  # for two ints, the divisor not 0

_COMPARE = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


Compiled = Callable[[Env], Any]


def compile_expr(node: Expr, tables: Mapping[str, Mapping[str, Any]]) -> Compiled:
    """Turn an expression tree into a closure taking the capture environment (tables are bound now).

    The closures only compose the operations above; nothing from a grammar file is ever executed. Each
    node shape gets its own closure (an operator known at compile time needs no dispatch at run time)."""
    match node:
        case Num(text):
            v: Any = int(text) if "." not in text else Decimal(text)
            return lambda env: v
        case Str(v) | Const(v):
            return lambda env: v
        case Name(name):
            if name in tables:
                table = tables[name]
                return lambda env: table
            return lambda env: env.value(name)
        case Attr(Name(name), field) if name not in tables:
            if field == "text":
                return lambda env: env.text(name)
            if field == "surface":
                return lambda env: env.surface(name)
            return lambda env: env.attr(name, field)
        case Attr(base, field):
            get_base = compile_expr(base, tables)

            def attr(env: Env) -> Any:
                v = get_base(env)
                if type(v) is dict or isinstance(v, Mapping):
                    return v.get(field)
                raise ExprError(f"value has no attribute {field!r}")
            return attr
        case Index(base, at):
            get_v, get_i = compile_expr(base, tables), compile_expr(at, tables)

            def index(env: Env) -> Any:
                v, i = get_v(env), get_i(env)
                try:
                    return v[_int(i)] if isinstance(v, (list, tuple, str)) else v[format_value(i)]
                except (IndexError, KeyError, TypeError):
                    return None
            return index
        case Call(fname, arg_nodes):
            return _call(fname, BUILTINS[fname][0], [compile_expr(a, tables) for a in arg_nodes])
        case Neg(x):
            operand = compile_expr(x, tables)
            return lambda env: _check(-_num(operand(env)))
        case Bin(op, l, r):
            return _binary(op, compile_expr(l, tables), compile_expr(r, tables))
        case Cmp(op, l, r):
            return _comparison(op, l, r, tables)
        case Logic(op, part_nodes):
            return _logic(op == "or", [compile_expr(x, tables) for x in part_nodes])
        case Not(x):
            operand = compile_expr(x, tables)
            return lambda env: not operand(env)
        case If(c, y, n):
            cond, yes, no = compile_expr(c, tables), compile_expr(y, tables), compile_expr(n, tables)
            return lambda env: yes(env) if cond(env) else no(env)
    raise ExprError(f"unknown expression node {node!r}")


def _call(fname: str, fn: Callable[..., Any], args: list[Compiled]) -> Compiled:
    """A builtin call: its result checked against the limits, a Python error in it made an ExprError
    naming the function. Calls of 1 to 3 arguments build no argument list."""
    if len(args) == 1:
        a0 = args[0]
        run: Compiled = lambda env: fn(a0(env))
    elif len(args) == 2:
        a0, a1 = args
        run = lambda env: fn(a0(env), a1(env))
    elif len(args) == 3:
        a0, a1, a2 = args
        run = lambda env: fn(a0(env), a1(env), a2(env))
    else:
        run = lambda env: fn(*[a(env) for a in args])

    def call(env: Env) -> Any:
        try:
            v = run(env)
        except ExprError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise ExprError(f"{fname}(): {exc}") from None
        return v if type(v) is str and len(v) <= MAX_STRING else _check(v)
    return call


def _binary(op: str, left: Compiled, right: Compiled) -> Compiled:
    """An arithmetic operator: two ints (and, for +, two strings) computed directly, the rest by _arith."""
    int_op = _INT_OPS.get(op)
    if int_op is None:
        div_op = _INT_DIV_OPS.get(op)
        if div_op is None:
            return lambda env: _check(_arith(op, left(env), right(env)))

        def div(env: Env) -> Any:
            a, b = left(env), right(env)
            if type(a) is int and type(b) is int and b:
                return _check(div_op(a, b))
            return _check(_arith(op, a, b))
        return div
    if op == "+":
        def add(env: Env) -> Any:
            a, b = left(env), right(env)
            if type(a) is int:
                if type(b) is int:
                    v = a + b
                    if v.bit_length() > _MAX_BITS:
                        raise ExprError("number too large")
                    return v
            elif type(a) is str and type(b) is str:
                v = a + b
                if len(v) > MAX_STRING:
                    raise ExprError("string too long")
                return v
            return _check(_arith(op, a, b))
        return add

    def arith(env: Env) -> Any:
        a, b = left(env), right(env)
        if type(a) is int and type(b) is int:
            v = int_op(a, b)
            if v.bit_length() > _MAX_BITS:
                raise ExprError("number too large")
            return v
        return _check(_arith(op, a, b))
    return arith


def _comparison(op: str, l: Expr, r: Expr, tables: Mapping[str, Mapping[str, Any]]) -> Compiled:
    """A comparison. == and != never fail on this language's values, so they compare directly (against
    none, by identity); an ordering of two ints too; the rest by the general rule: a number against a
    number-like string as numbers, none as "", else as text."""
    left, right = compile_expr(l, tables), compile_expr(r, tables)
    if op in ("==", "!="):
        eq = op == "=="
        if r == Const(None) or l == Const(None):
            other_node = l if r == Const(None) else r
            other = left if r == Const(None) else right
            if isinstance(other_node, Name) and other_node.name not in tables:  # a capture: one call less
                name = other_node.name
                if eq:
                    return lambda env: env.value(name) is None
                return lambda env: env.value(name) is not None
            if eq:
                return lambda env: other(env) is None
            return lambda env: other(env) is not None
        if eq:
            return lambda env: left(env) == right(env)
        return lambda env: left(env) != right(env)
    compare = _COMPARE[op]

    def cmp(env: Env) -> Any:
        a, b = left(env), right(env)
        try:
            return compare(a, b)
        except TypeError:
            pass
        if _is_number(a) or _is_number(b):  # a number against a non-number string fails; none compares as ""
            if a is not None and b is not None:
                return compare(_num(a), _num(b))
        return compare(format_value(a), format_value(b))
    return cmp


def _logic(want: bool, parts: list[Compiled]) -> Compiled:
    """`or` (want True) / `and`: the value of the first part whose truth is `want`, else of the last."""
    if len(parts) == 2:
        a, b = parts
        if want:
            return lambda env: a(env) or b(env)
        return lambda env: a(env) and b(env)

    def logic(env: Env) -> Any:
        v: Any = None if want else True
        for part in parts:
            v = part(env)
            if bool(v) == want:
                return v
        return v
    return logic


def names_used(node: Expr) -> list[str]:
    """Every bare name an expression reads (for the compile-time check of captures and tables)."""
    match node:
        case Name(name):
            return [name]
        case Attr(x) | Neg(x) | Not(x):
            return names_used(x)
        case Call(_, parts) | Logic(_, parts):
            return [n for a in parts for n in names_used(a)]
        case Bin(_, l, r) | Cmp(_, l, r) | Index(l, r):
            return names_used(l) + names_used(r)
        case If(c, y, n):
            return names_used(c) + names_used(y) + names_used(n)
    return []
