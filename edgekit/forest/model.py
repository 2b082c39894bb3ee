"""Plain data classes for a loaded grammar set (before compiling): what each statement declares and where.

Templates are kept as JSON-friendly nested lists so the compiled artifact can store them as they are:
    ["lit", word]                  a literal token (casefolded)
    ["ref", name, capture|None]    a reference to a class, rule or builtin, optionally captured
    ["seq", [t, ...]]  ["alt", [t, ...]]  ["opt", t]  ["rep", t, min, max|None]
Expressions are nested lists too (see expr.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Where:
    """A position in a grammar file, for error messages and traces."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Entry:
    """One tree of a lexicon forest: the canonical form (root), its value, and its variants (leaves)."""

    canonical: str
    value: Any
    variants: list[list[str]]  # each variant is a list of casefolded tokens
    where: Where


@dataclass
class Lexicon:
    """A layer-1 class of synonyms: several trees, each mapping variants to one canonical form."""

    name: str
    entries: list[Entry]
    priority: int
    where: Where
    verbatim: bool = False  # recognise only: an entry no rule consumes keeps the text as written


@dataclass
class RuntimeClass:
    """A layer-1 class whose entries (text -> value, optional context) are supplied at run time."""

    name: str
    where: Where


@dataclass
class DataClass:
    """An open class recognised by a regular expression over the raw text (a protected span), or with a
    decider model (decider.py) a class of word tokens that match the pattern in full and that it accepts."""

    name: str
    pattern: str
    where: Where
    decider: dict | None = None


@dataclass
class Table:
    """A constant mapping usable in value expressions: lookup(table, key)."""

    name: str
    items: dict[str, Any]
    where: Where


@dataclass
class Rule:
    """A higher-layer rule: a template over lower symbols and words, and what it produces."""

    name: str
    template: list
    priority: int
    where: Where
    value: list | None = None
    text: list | None = None
    intent: str | None = None
    value_where: Where | None = None
    text_where: Where | None = None
    after: list = field(default_factory=list)  # [name, line, col]: rules this one must sit above
    cost: int = 0  # thousandths of an uncovered element, added to every reading that uses the rule


@dataclass
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
