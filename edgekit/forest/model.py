"""Plain data for a loaded grammar set (before compiling): what each statement declares and where, and the
typed nodes of its templates and expressions, with their one JSON form (`*_to_json` / `*_from_json`).

Template nodes: Lit (a casefolded token), Ref (a class, rule or builtin, optionally captured), Seq, Alt,
Opt, Rep. Expression nodes (expr.py evaluates them): Num, Str, Const, Name, Attr, Index, Call, Neg, Not,
Logic (and/or), Bin, Cmp, If. In JSON each node is a list headed by its tag:
    ["lit", word]  ["ref", name, capture|None]  ["seq", [t, ...]]  ["alt", [t, ...]]  ["opt", t]
    ["rep", t, min, max|None]
    ["num", "12.5"]  ["str", s]  ["const", None|true|false]  ["name", n]  ["attr", e, field]
    ["index", e, e]  ["call", fn, [e, ...]]  ["neg", e]  ["not", e]  ["and"|"or", [e, ...]]
    ["bin", op, e, e]  ["cmp", op, e, e]  ["if", cond, then, else]
`*_from_json` checks every tag, arity and field type (NodeError otherwise), so a forged compiled forest
is refused when it is loaded.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Union

from ..valueclass import field, value_class
from ..limits import MAX_REPEAT

MAX_NODE_DEPTH = 200  # how deep a node read from JSON may nest (the loader allows far less: MAX_NESTING)
BIN_OPS = frozenset({"+", "-", "*", "/", "//", "%"})
CMP_OPS = frozenset({"==", "!=", "<", "<=", ">", ">="})


class NodeError(ValueError):
    """A template or expression read from JSON is malformed (the message says which kind)."""


# ---- template nodes --------------------------------------------------------------------------------------
@value_class(frozen=True)
class Lit:
    """A literal token (casefolded)."""

    word: str


@value_class(frozen=True)
class Ref:
    """A reference to a class, rule or builtin, optionally captured; line and col (of the name in its file,
    for errors) take no part in equality, so two templates that read alike compare equal."""

    name: str
    capture: str | None = None
    line: int = field(default=0, compare=False)
    col: int = field(default=0, compare=False)


@value_class(frozen=True)
class Seq:
    items: tuple[Template, ...]


@value_class(frozen=True)
class Alt:
    items: tuple[Template, ...]


@value_class(frozen=True)
class Opt:
    item: Template


@value_class(frozen=True)
class Rep:
    """item{lo,hi}; hi None is unbounded (`+` is lo 1, `*` lo 0)."""

    item: Template
    lo: int
    hi: int | None


Template = Union[Lit, Ref, Seq, Alt, Opt, Rep]


def template_to_json(node: Template) -> list:
    """A template as JSON data (positions left out)."""
    match node:
        case Lit(word):
            return ["lit", word]
        case Ref(name, capture):
            return ["ref", name, capture]
        case Seq(items) | Alt(items):
            return ["seq" if isinstance(node, Seq) else "alt", [template_to_json(c) for c in items]]
        case Opt(item):
            return ["opt", template_to_json(item)]
        case Rep(item, lo, hi):
            return ["rep", template_to_json(item), lo, hi]
    raise TypeError(f"not a template node: {node!r}")


def leaves(node: Template) -> list[Lit | Ref]:
    """The literals and references of a template, left to right."""
    match node:
        case Lit() | Ref():
            return [node]
        case Seq(items) | Alt(items):
            return [leaf for c in items for leaf in leaves(c)]
        case Opt(item) | Rep(item):
            return leaves(item)
    raise TypeError(f"not a template node: {node!r}")


def _is_int(v: Any) -> bool:
    return type(v) is int


def template_from_json(data: Any, depth: int = 0) -> Template:
    """The template a JSON list stands for; NodeError("bad template") if it is not one."""
    if depth > MAX_NODE_DEPTH or type(data) is not list or not data:
        raise NodeError("bad template")
    tag, n = data[0], len(data)
    if tag == "lit" and n == 2 and type(data[1]) is str:
        return Lit(data[1])
    if tag == "ref" and n == 3 and type(data[1]) is str and (data[2] is None or type(data[2]) is str):
        return Ref(data[1], data[2])
    if tag in ("seq", "alt") and n == 2 and type(data[1]) is list and data[1]:
        items = tuple(template_from_json(c, depth + 1) for c in data[1])
        return Seq(items) if tag == "seq" else Alt(items)
    if tag == "opt" and n == 2:
        return Opt(template_from_json(data[1], depth + 1))
    if tag == "rep" and n == 4 and _is_int(data[2]) and 0 <= data[2] <= MAX_REPEAT and (
            data[3] is None or (_is_int(data[3]) and max(1, data[2]) <= data[3] <= MAX_REPEAT)):
        return Rep(template_from_json(data[1], depth + 1), data[2], data[3])
    raise NodeError("bad template")


# ---- expression nodes -----------------------------------------------------------------------------------
@value_class(frozen=True)
class Num:
    """A number literal as written: an integer, or a decimal when it has a point."""

    text: str


@value_class(frozen=True)
class Str:
    value: str


@value_class(frozen=True)
class Const:
    """none, true, false (or a plain JSON scalar)."""

    value: None | bool | int | float | str


@value_class(frozen=True)
class Name:
    """A capture, a table, or `value` (the rule's own value, in a text clause)."""

    name: str


@value_class(frozen=True)
class Attr:
    base: Expr
    field: str


@value_class(frozen=True)
class Index:
    base: Expr
    index: Expr


@value_class(frozen=True)
class Call:
    """A builtin function call (expr.BUILTINS names them and bounds their argument counts)."""

    fn: str
    args: tuple[Expr, ...]


@value_class(frozen=True)
class Neg:
    operand: Expr


@value_class(frozen=True)
class Not:
    operand: Expr


@value_class(frozen=True)
class Logic:
    """`and` / `or` over two or more parts (the value of the part that decided, as in Python)."""

    op: str
    parts: tuple[Expr, ...]


@value_class(frozen=True)
class Bin:
    op: str
    left: Expr
    right: Expr


@value_class(frozen=True)
class Cmp:
    op: str
    left: Expr
    right: Expr


@value_class(frozen=True)
class If:
    """`yes if cond else no`."""

    cond: Expr
    yes: Expr
    no: Expr


Expr = Union[Num, Str, Const, Name, Attr, Index, Call, Neg, Not, Logic, Bin, Cmp, If]


def expr_to_json(node: Expr) -> list:
    """An expression as JSON data."""
    match node:
        case Num(v) | Str(v) | Const(v) | Name(v):
            return [{Num: "num", Str: "str", Const: "const", Name: "name"}[type(node)], v]
        case Attr(base, name):
            return ["attr", expr_to_json(base), name]
        case Index(base, index):
            return ["index", expr_to_json(base), expr_to_json(index)]
        case Call(fn, args):
            return ["call", fn, [expr_to_json(a) for a in args]]
        case Neg(x) | Not(x):
            return ["neg" if isinstance(node, Neg) else "not", expr_to_json(x)]
        case Logic(op, parts):
            return [op, [expr_to_json(p) for p in parts]]
        case Bin(op, left, right) | Cmp(op, left, right):
            return ["bin" if isinstance(node, Bin) else "cmp", op, expr_to_json(left), expr_to_json(right)]
        case If(cond, yes, no):
            return ["if", expr_to_json(cond), expr_to_json(yes), expr_to_json(no)]
    raise TypeError(f"not an expression node: {node!r}")


def expr_from_json(data: Any, depth: int = 0) -> Expr:
    """The expression a JSON list stands for: every tag, arity, operator, function name and argument count
    checked; NodeError ("bad expression", "... call", "... operator", "... number") if it is not one."""
    from .expr import BUILTINS, MAX_DIGITS  # expr.py builds on these nodes

    if depth > MAX_NODE_DEPTH or type(data) is not list or not data or type(data[0]) is not str:
        raise NodeError("bad expression")
    tag, args = data[0], data[1:]
    sub = depth + 1
    if tag == "num" and len(args) == 1 and type(args[0]) is str:
        if len(args[0]) > MAX_DIGITS:
            raise NodeError("bad expression number")
        try:
            Decimal(args[0])
        except InvalidOperation:
            raise NodeError("bad expression number") from None
        if not Decimal(args[0]).is_finite() or ("." not in args[0] and not args[0].lstrip("-").isdecimal()):
            raise NodeError("bad expression number")
        return Num(args[0])
    if tag in ("str", "name") and len(args) == 1 and type(args[0]) is str:
        return Str(args[0]) if tag == "str" else Name(args[0])
    if tag == "const" and len(args) == 1 and (args[0] is None or type(args[0]) in (bool, int, float, str)):
        return Const(args[0])
    if tag == "attr" and len(args) == 2 and type(args[1]) is str:
        return Attr(expr_from_json(args[0], sub), args[1])
    if tag == "index" and len(args) == 2:
        return Index(expr_from_json(args[0], sub), expr_from_json(args[1], sub))
    if tag == "call":
        if len(args) != 2 or type(args[0]) is not str or args[0] not in BUILTINS or type(args[1]) is not list \
                or not BUILTINS[args[0]][1] <= len(args[1]) <= BUILTINS[args[0]][2]:
            raise NodeError("bad expression call")
        return Call(args[0], tuple(expr_from_json(a, sub) for a in args[1]))
    if tag in ("neg", "not") and len(args) == 1:
        operand = expr_from_json(args[0], sub)
        return Neg(operand) if tag == "neg" else Not(operand)
    if tag in ("and", "or") and len(args) == 1 and type(args[0]) is list and args[0]:
        return Logic(tag, tuple(expr_from_json(a, sub) for a in args[0]))
    if tag in ("bin", "cmp"):
        if len(args) != 3 or type(args[0]) is not str or args[0] not in (BIN_OPS if tag == "bin" else CMP_OPS):
            raise NodeError("bad expression operator")
        left, right = expr_from_json(args[1], sub), expr_from_json(args[2], sub)
        return Bin(args[0], left, right) if tag == "bin" else Cmp(args[0], left, right)
    if tag == "if" and len(args) == 3:
        return If(*(expr_from_json(a, sub) for a in args))
    raise NodeError("bad expression")


@value_class(frozen=True)
class Where:
    """A position in a grammar file, for error messages and traces."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@value_class
class Entry:
    """One tree of a lexicon forest: the canonical form (root), its value, and its variants (leaves)."""

    canonical: str
    value: Any
    variants: list[list[str]]  # each variant is a list of casefolded tokens
    where: Where


@value_class
class Lexicon:
    """A layer-1 class of synonyms: several trees, each mapping variants to one canonical form."""

    name: str
    entries: list[Entry]
    priority: int
    where: Where
    verbatim: bool = False  # recognise only: an entry no rule consumes keeps the text as written


@value_class
class RuntimeClass:
    """A layer-1 class whose entries (text -> value, optional context) are supplied at run time."""

    name: str
    where: Where


@value_class
class DataClass:
    """An open class recognised by a regular expression over the raw text (a protected span), or with a
    decider model (decider.py) a class of word tokens that match the pattern in full and that it accepts."""

    name: str
    pattern: str
    where: Where
    decider: dict | None = None


@value_class
class Table:
    """A constant mapping usable in value expressions: lookup(table, key)."""

    name: str
    items: dict[str, Any]
    where: Where


@value_class
class Rule:
    """A higher-layer rule: a template over lower symbols and words, and what it produces."""

    name: str
    template: Template
    priority: int
    where: Where
    value: Expr | None = None
    text: Expr | None = None
    intent: str | None = None
    value_where: Where | None = None
    text_where: Where | None = None
    after: list[Ref] = field(default_factory=list)  # rules this one must sit above (`after` clause)
    cost: int = 0  # thousandths of an uncovered element, added to every reading that uses the rule
    context: ContextRules = field(default_factory=lambda: ContextRules())


@value_class(frozen=True)
class ContextRules:
    """An intent rule's fixed slots (`slot k = v`) and what the merged context of a reading (the caller's,
    then each slot's entry context) must hold (`requires k`, `requires k = v | w`, either copied into a slot
    with `slot s`) or must not (`excludes k = v | w`). A context value may be a {"value": ...} mapping."""

    fixed: tuple[tuple[str, Any], ...] = ()  # a value, or a tuple of values (`slot k = v, w`: a list-valued slot)
    requires: tuple[tuple[str, tuple[Any, ...] | None, str | None], ...] = ()  # key, values (None: any), slot
    excludes: tuple[tuple[str, tuple[Any, ...]], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fixed or self.requires or self.excludes)

    def check(self, context: dict[str, Any]) -> dict[str, Any] | None:
        """The slots the requirements copy (slot name -> context value), or None when the context is refused."""
        copied: dict[str, Any] = {}
        for key, values, slot in self.requires:
            actual = _context_value(context.get(key))
            if actual is None or (values is not None and actual not in values):
                return None
            if slot is not None:
                copied[slot] = actual
        if any(key in context and _context_value(context[key]) in values for key, values in self.excludes):
            return None
        return copied

    def to_json(self) -> dict[str, Any]:
        return {"slots": [[k, list(v) if type(v) is tuple else v] for k, v in self.fixed],
                "requires": [[k, None if v is None else list(v), s] for k, v, s in self.requires],
                "excludes": [[k, list(v)] for k, v in self.excludes]}

    @classmethod
    def from_json(cls, data: Any) -> "ContextRules":
        """The rules a JSON object stands for; NodeError("bad context rules") if it is not one."""
        def const(v: Any) -> bool:
            return v is None or type(v) in (str, int, float, bool)

        def values(v: Any) -> bool:
            return type(v) is list and all(const(x) for x in v)

        rows = {k: data.get(k, []) if type(data) is dict else None for k in ("slots", "requires", "excludes")}
        if not all(type(r) is list and all(type(x) is list and x and type(x[0]) is str for x in r) for r in rows.values()) \
                or not all(len(x) == 2 and (const(x[1]) or values(x[1])) for x in rows["slots"]) \
                or not all(len(x) == 3 and (x[1] is None or values(x[1])) and (x[2] is None or type(x[2]) is str)
                           for x in rows["requires"]) \
                or not all(len(x) == 2 and values(x[1]) for x in rows["excludes"]):
            raise NodeError("bad context rules")
        return cls(tuple((k, tuple(v) if type(v) is list else v) for k, v in rows["slots"]),
                   tuple((k, None if v is None else tuple(v), s) for k, v, s in rows["requires"]),
                   tuple((k, tuple(v)) for k, v in rows["excludes"]))


def _context_value(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v


@value_class
class GrammarSet:
    """Everything declared by an entry file and the files it imports, in declaration order."""

    root: str
    entry: str
    files: list[str] = field(default_factory=list)
    lexicons: list[Lexicon] = field(default_factory=list)
    runtime: list[RuntimeClass] = field(default_factory=list)
    data: list[DataClass] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    translate: dict[str, str] = field(default_factory=dict)  # input character -> the one read instead
    skip: list[str] = field(default_factory=list)  # `skip` words, casefolded
    cut_before: list[str] = field(default_factory=list)  # `cut before` word ends, casefolded
    cut_after: list[str] = field(default_factory=list)  # `cut after` word starts, casefolded
    sources: dict[str, str] = field(default_factory=dict)  # file -> text, for error carets
    bytes_read: int = 0  # grammar and list files read so far (MAX_GRAMMAR_BYTES bounds the total)
    read: dict[str, str] = field(default_factory=dict)  # real path of every file read -> its SHA-256

    def line_of(self, where: Where) -> str | None:
        """The source line a position points to (for carets)."""
        text = self.sources.get(where.file)
        if text is None:
            return None
        lines = text.splitlines()
        return lines[where.line - 1] if 0 < where.line <= len(lines) else None
