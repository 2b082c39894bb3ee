"""Read .forest files with lark into a GrammarSet: parse, follow imports (never outside the grammar set),
and turn lark trees into the plain data classes of model.py. Every error points to file:line:col."""
from __future__ import annotations

import hashlib
import itertools
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import GrammarError
from .decider import DeciderError, parse_model
from .expr import BUILTINS, MAX_DIGITS
from .gcpause import gc_paused
from .lexicon_body import RawBody, RawEntry, blank, read_bodies
from .model import (Alt, Attr, Bin, Call, Cmp, Const, DataClass, Entry, Expr, GrammarSet, If, Index, Lexicon, Lit,
                    Logic, Name, Neg, Not, Num, Opt, Ref, Rep, Rule, RuntimeClass, Seq, Str, Table, Template, Where,
                    ContextRules)
from .tokenize import cut_parts, cut_words, words

from ..limits import MAX_GRAMMAR_BYTES, MAX_NESTING, MAX_PERMUTATION, MAX_PRIORITY, MAX_REPEAT  # noqa: E402  (SECURITY.md)

_KEYWORDS = ("value", "text", "intent", "rule", "data", "table", "lexicon", "import", "priority", "cost", "list",
             "class", "runtime", "decide", "translate", "skip", "slot", "requires", "excludes", "cut", "before")
# How the pattern terminals read in a syntax error; every fixed-string terminal reads as its text ('{', 'rule').
_FRIENDLY = {"NAME": "a name", "WORD": "a word", "STRING": 'a "string"', "NUMBER": "a number",
             "REGEX": "a /regex/", "COMPARE": "a comparison (== != < <= > >=)", "$END": "end of file"}
_OPENERS = frozenset({"LBRACE", "LPAR", "LSQB", "LESSTHAN"})
_CLOSERS = frozenset({"RBRACE", "RPAR", "RSQB", "MORETHAN"})
# what str.splitlines() splits on: a grammar string holding one would turn one output line into two
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# nodes that nest one level deeper: template brackets, an expression (each parenthesis opens one), operators
_NESTING = frozenset({"group", "permutation", "optional", "or_", "neg", "not_", "cond", "call", "index", "attr"})


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).with_name("forest_grammar.lark")).read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=False)


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
        return str(path) if rel.startswith("..") else rel
    except ValueError:
        return str(path)


def _unquote(s: str) -> str:
    body = s[1:-1]
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


class _FileReader:
    """Converts one parsed file's tree into model objects, raising GrammarError at exact positions."""

    def __init__(self, gset: GrammarSet, path: Path, shown: str, text: str) -> None:
        self.gset, self.path, self.shown, self.text = gset, path, shown, text
        self.lines = text.splitlines()
        self.read_entries: dict[tuple[int, int], list[Entry]] = {}  # lexicon name position -> its entries
        self.bodies: list[RawBody] = []

    def parse(self) -> Tree:
        """The file's tree. Lexicon bodies the fast reader accepts (lexicon_body.py) are blanked before
        the parse and their entries kept in `read_entries`; that parse is used only when it has a lexicon
        statement at each of them, otherwise (and on any syntax error) the file is parsed as written."""
        for body in read_bodies(self.text, _parser()):
            try:
                self.read_entries[(body.name_line, body.name_col)] = [self.raw_entry(e) for e in body.entries]
            except GrammarError:
                continue  # left to the parser, which reports it
            self.bodies.append(body)
        if self.bodies:
            try:
                tree = _parser().parse(blank(self.text, self.bodies))
            except UnexpectedInput:
                tree = None
            if tree is not None and set(self.read_entries) <= {
                    (st.children[0].line, st.children[0].column) for st in tree.children if st.data == "lexicon"}:
                return tree
            self.read_entries.clear()
        try:
            return _parser().parse(self.text)
        except UnexpectedInput as exc:
            raise _syntax_error(exc, self.shown, self.text) from None

    def where(self, item: Any) -> Where:
        if isinstance(item, Where):
            return item
        if isinstance(item, Token):
            return Where(self.shown, item.line or 0, item.column or 0)
        meta = getattr(item, "meta", None)
        if meta is not None and not getattr(meta, "empty", True):
            return Where(self.shown, meta.line, meta.column)
        return Where(self.shown, 0, 0)

    def error(self, message: str, item: Any) -> GrammarError:
        w = self.where(item) if not isinstance(item, Where) else item
        line = self.lines[w.line - 1] if 0 < w.line <= len(self.lines) else None
        return GrammarError(message, w.file, w.line, w.col, line)

    def string(self, tok: str, at: Any = None) -> str:
        """A "string" token's text, refusing line breaks (one input line must give one output line)."""
        text = _unquote(tok)
        if not _LINE_BREAKS.isdisjoint(text):
            raise self.error("a string cannot contain a line break (each input line gives one output line)",
                             tok if at is None else at)
        return text

    def integer(self, tok: Token, what: str, most: int) -> int:
        """A NUMBER token as an integer no larger than `most`, checked before converting it."""
        text = str(tok)
        if len(text.partition(".")[0].lstrip("0")) > len(str(most)) or float(text) > most:
            raise self.error(f"{what} {text[:20]}{'...' if len(text) > 20 else ''} is larger than {most}", tok)
        return int(float(text))

    def number_literal(self, tok: str, at: Any = None) -> None:
        """Refuse a number literal with more digits than an expression value may have."""
        if len(tok) > MAX_DIGITS:
            raise self.error(f"number literal has {len(tok)} digits; at most {MAX_DIGITS}", tok if at is None else at)

    def check_nesting(self, st: Tree) -> None:
        """Refuse a statement nested deeper than MAX_NESTING (before the recursive conversions below)."""
        stack = [(st, 0)]
        while stack:
            node, depth = stack.pop()
            depth += (node.data in _NESTING) + (len(node.children) // 2 if node.data == "arith" else 0)
            if depth > MAX_NESTING:
                raise self.error(f"nested more than {MAX_NESTING} levels deep (brackets, parentheses, operators)",
                                 node)
            stack.extend((c, depth) for c in node.children if isinstance(c, Tree))

    # ---- statements -------------------------------------------------------------------------
    def statement(self, st: Tree) -> None:
        self.check_nesting(st)
        kind = st.data
        if kind == "lexicon":
            self.gset.lexicons.append(self.lexicon(st))
        elif kind == "data_stmt":
            self.data(st)
        elif kind == "table":
            self.table(st)
        elif kind == "rule":
            self.gset.rules.append(self.rule(st))
        elif kind == "runtime_class":
            self.gset.runtime.append(RuntimeClass(str(st.children[0]), self.where(st.children[0])))
        elif kind == "translate":
            self.translate(st.children[0])
        elif kind in ("cut_before", "cut_after"):
            parts = self.gset.cut_before if kind == "cut_before" else self.gset.cut_after
            for tok in st.children:
                part = (self.string(tok) if tok.type == "STRING" else str(tok)).casefold()
                if not part or any(c.isspace() for c in part):
                    raise self.error(f"a cut part is one piece of a word, not {part!r}", tok)
                if part not in parts:
                    parts.append(part)
        elif kind == "skip_stmt":
            for tok in st.children:
                phrase = " ".join(words(self.string(tok) if tok.type == "STRING" else str(tok)))
                if not phrase:
                    raise self.error(f"skip word {str(tok)} has no tokens", tok)
                if phrase not in self.gset.skip:
                    self.gset.skip.append(phrase)

    def _priority(self, children: list) -> tuple[int, list]:
        if children and isinstance(children[0], Tree) and children[0].data == "priority":
            return self.integer(children[0].children[0], "priority", MAX_PRIORITY), children[1:]
        return 0, children

    def lexicon(self, st: Tree) -> Lexicon:
        name_tok, *rest = st.children
        priority, entries_t = self._priority(rest)
        verbatim = bool(entries_t) and entries_t[0].data == "verbatim"
        entries = self.read_entries.pop((name_tok.line, name_tok.column), None)
        if entries is None:
            entries = [self.entry(e) for e in entries_t[verbatim:]]
        return Lexicon(str(name_tok), entries, priority, self.where(name_tok), verbatim)

    def _variant_words(self, text: str, item: Any) -> list[str]:
        ws = words(text)
        if not ws:
            raise self.error(f"variant {text!r} has no words", item)
        return ws

    def entry(self, e: Tree) -> Entry:
        canon_t = e.children[0]
        tok = canon_t.children[0]
        parts = [("list", [(c.data, c.children[-1]) for c in part.children], part.children[0].children[-1])
                 if part.data == "list_const" else (part.data, part.children[-1], part.children[-1])
                 for part in e.children[1:]]
        return self.make_entry(canon_t.data == "string_canon", tok, tok, parts)

    def raw_entry(self, raw: RawEntry) -> Entry:
        """An entry the fast body reader (lexicon_body.py) read, converted as `entry` converts a parsed one."""
        at = Where(self.shown, raw.line, raw.col)
        return self.make_entry(raw.quoted, raw.canonical, at, [(p.kind, p.text, at) for p in raw.parts])

    def make_entry(self, quoted: bool, canon: str, at: Any, parts: list[tuple[str, str, Any]]) -> Entry:
        """An entry from its canonical token and its clauses (tree node name, token text, position)."""
        canonical = self.string(canon, at) if quoted else str(canon)
        value: Any = canonical
        variants = [self._variant_words(canonical, at)]
        for kind, tok, where in parts:
            if kind in ("number", "string", "negnumber"):
                value = self.const_value(kind, tok, where)
            elif kind == "list":  # `= ["blind", "shade"]`: a list-valued entry
                value = [self.const_value(k, t, t) for k, t in tok]
            else:
                text = str(tok) if kind == "word_variant" else self.string(tok, where)
                variants.append(self._variant_words(text, where))
        return Entry(canonical, value, variants, self.where(at))

    def const(self, c: Tree) -> Any:
        tok = c.children[-1]
        return self.const_value(c.data, tok, tok)

    def const_value(self, kind: str, tok: str, at: Any) -> Any:
        """A constant's value from its tree node name (number, negnumber, string) and token."""
        if kind == "string":
            return self.string(tok, at)
        self.number_literal(tok, at)
        n: Any = int(tok) if "." not in tok else str(tok)
        if kind == "negnumber":
            n = -n if isinstance(n, int) else "-" + n
        return n

    def data(self, st: Tree) -> None:
        name_tok, src = st.children
        if src.data in ("data_regex", "data_decided"):
            regex_tok = src.children[-1]
            pattern = str(regex_tok)[1:-1].replace("\\/", "/")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise self.error(f"invalid regular expression for data class {name_tok}: {exc}", regex_tok) from None
            if re.compile(pattern).match(""):
                raise self.error(f"regular expression for data class {name_tok} matches the empty string",
                                 regex_tok)
            decider = self.decider_model(src.children[0]) if src.data == "data_decided" else None
            self.gset.data.append(DataClass(str(name_tok), pattern, self.where(name_tok), decider))
        else:
            self.gset.lexicons.append(self.list_lexicon(str(name_tok), src.children[0], self.where(name_tok)))

    def included(self, path_tok: Token, anchor: Any = None) -> tuple[str, str]:
        """(shown name, text) of a file a statement names, inside the grammar set and counted among its files;
        an unreadable file is reported at `anchor` (default: the path)."""
        path = resolve_inside(self.gset, self.path.parent, self.string(path_tok), lambda m: self.error(m, path_tok))
        text = read_text(path, lambda m: self.error(m, path_tok if anchor is None else anchor), self.gset)
        shown = display_path(path)
        self.gset.files.append(shown)
        return shown, text

    def decider_model(self, path_tok: Token) -> dict:
        """The checked model file a decided data class names (decider.py), counted among the grammar's files."""
        _shown, text = self.included(path_tok)
        try:
            return parse_model(text)
        except DeciderError as exc:
            raise self.error(f"decider model {_unquote(path_tok)}: {exc}", path_tok) from None

    def list_lexicon(self, name: str, path_tok: Token, where: Where) -> Lexicon:
        """A closed list from a file: one entry a line, `canonical` or `canonical: variant | variant`."""
        shown, text = self.included(path_tok, where)
        entries = []
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            canonical, _, rest = line.partition(":")
            canonical = canonical.strip()
            variants = [canonical] + [v.strip() for v in rest.split("|") if v.strip()]
            w = Where(shown, lineno, 1)
            toks = []
            for v in variants:
                ws = words(v)
                if not ws:
                    raise GrammarError(f"list entry {v!r} has no words", shown, lineno, 1, raw)
                toks.append(ws)
            entries.append(Entry(canonical, canonical, toks, w))
        return Lexicon(name, entries, 0, where)

    def translate(self, path_tok: Token) -> None:
        """The characters a file maps before anything reads the input: one `from to` pair a line (two single
        characters, blank-separated; a line starting with `#` is a comment), one character to one, so every
        span of the input stays where it was."""
        shown, text = self.included(path_tok)
        mapping = self.gset.translate
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            pair = line.split()
            if len(pair) != 2 or len(pair[0]) != 1 or len(pair[1]) != 1:
                raise GrammarError("a translation line is two single characters, the one written and the one "
                                   "read instead", shown, lineno, 1, raw)
            old = mapping.get(pair[0])
            if old is not None and old != pair[1]:
                raise GrammarError(f"{pair[0]!r} is already translated to {old!r}", shown, lineno, 1, raw)
            mapping[pair[0]] = pair[1]

    def table(self, st: Tree) -> None:
        name_tok, *items = st.children
        table: dict[str, Any] = {}
        for it in items:
            k, v = it.children
            key = (self.string(k) if k.type == "STRING" else str(k)).casefold()
            if key in table:
                raise self.error(f"duplicate key {key!r} in table {name_tok}", k)
            table[key] = self.const(v)
        self.gset.tables.append(Table(str(name_tok), table, self.where(name_tok)))

    def rule(self, st: Tree) -> Rule:
        name_tok, *rest = st.children
        priority, rest = self._priority(rest)
        cost = 0
        if rest and isinstance(rest[0], Tree) and rest[0].data == "cost":
            cost_tok = rest[0].children[0]
            self.integer(cost_tok, "cost", MAX_PRIORITY)
            cost = round(float(cost_tok) * 1000)
            rest = rest[1:]
        after = []
        if isinstance(rest[0], Tree) and rest[0].data == "after":
            after = [Ref(str(t), None, t.line, t.column) for t in rest[0].children]
            rest = rest[1:]
        alts, *clauses = rest
        context: dict[str, list] = {"slot_clause": [], "requires_clause": [], "excludes_clause": []}
        rule = Rule(str(name_tok), self.template(alts), priority, self.where(name_tok), after=after, cost=cost)
        for c in clauses:
            if c.data == "value_clause":
                if rule.value is not None:
                    raise self.error(f"rule {rule.name} has two value clauses", c)
                rule.value, rule.value_where = self.expr(c.children[0]), self.where(c)
            elif c.data == "text_clause":
                if rule.text is not None:
                    raise self.error(f"rule {rule.name} has two text clauses", c)
                rule.text, rule.text_where = self.expr(c.children[0]), self.where(c)
            elif c.data == "intent_clause":
                if rule.intent is not None:
                    raise self.error(f"rule {rule.name} has two intent clauses", c)
                rule.intent = str(c.children[0])
            else:
                context[c.data].append(self.context_clause(rule, c, context[c.data]))
        if any(context.values()):
            if rule.intent is None:
                raise self.error(f"rule {rule.name} has slot, requires or excludes clauses but no intent", name_tok)
            rule.context = ContextRules(*(tuple(context[k]) for k in ("slot_clause", "requires_clause",
                                                                      "excludes_clause")))
        return rule

    def context_clause(self, rule: Rule, c: Tree, earlier: list) -> tuple:
        """One clause as ContextRules holds it: `slot k = v` (k, v), `slot k = v, w` (k, (v, w)), `requires k [= v | w] [slot s]`
        (k, (v, w) or None, s or None), `excludes k = v | w` (k, (v, w))."""
        key_tok, *rest = c.children
        key = str(key_tok)
        if any(item[0] == key for item in earlier):
            raise self.error(f"rule {rule.name} has two {c.data.split('_')[0]} clauses for {key}", key_tok)
        copy_to = str(rest.pop()) if rest and isinstance(rest[-1], Token) else None
        values = tuple(self.const(v) for v in rest)
        if c.data == "slot_clause":
            return key, values[0] if len(values) == 1 else values
        if c.data == "requires_clause":
            return key, values or None, copy_to
        return key, values

    # ---- templates ----------------------------------------------------------------------------
    def template(self, t: Tree) -> Template:
        d = t.data
        if d == "alternatives":
            alts = [self.template(s) for s in t.children]
            return alts[0] if len(alts) == 1 else Alt(tuple(alts))
        if d == "sequence":
            items = [self.template(i) for i in t.children]
            return items[0] if len(items) == 1 else Seq(tuple(items))
        if d == "item":
            node = self.template(t.children[0])
            if len(t.children) == 1:
                return node
            rep = t.children[1]
            if rep.data == "maybe":
                return Opt(node)
            if rep.data == "plus":
                return Rep(node, 1, None)
            if rep.data == "star":
                return Rep(node, 0, None)
            lo, hi = (int(float(b)) if len(b) <= 9 else MAX_REPEAT + 1 for b in (rep.children[0], rep.children[-1]))
            if hi < lo or hi == 0 or hi > MAX_REPEAT:
                raise self.error(f"repeat bounds {{{lo},{hi}}} must satisfy 0 <= min <= max, 1 <= max <= {MAX_REPEAT}",
                                 rep.children[0])
            return Rep(node, lo, hi)
        if d == "literal":
            tok = t.children[0]
            text = self.string(tok) if tok.type == "STRING" else str(tok)
            ws = words(text)
            if not ws:
                raise self.error(f"literal {text!r} has no tokens", tok)
            return Lit(ws[0]) if len(ws) == 1 else Seq(tuple(Lit(w) for w in ws))
        if d == "ref":
            name = t.children[0]
            cap = str(t.children[1]) if len(t.children) > 1 else None
            return Ref(str(name), cap, name.line, name.column)
        if d == "group":
            return self.template(t.children[0])
        if d == "permutation":
            if len(t.children) > MAX_PERMUTATION:
                raise self.error(f"a permutation of {len(t.children)} items (at most {MAX_PERMUTATION})", t)
            items = [self.template(c) for c in t.children]
            return Alt(tuple(Seq(order) for order in itertools.permutations(items)))
        if d == "optional":
            return Opt(self.template(t.children[0]))
        raise self.error(f"unexpected template element {d}", t)

    # ---- expressions --------------------------------------------------------------------------
    def expr(self, t: Any) -> Expr:
        if isinstance(t, Token):
            raise self.error(f"unexpected {t!r} in expression", t)
        d, ch = t.data, t.children
        if d in ("or_", "and_", "compare", "arith") and len(ch) == 1:
            return self.expr(ch[0])
        if d == "number":
            self.number_literal(ch[0])
            return Num(str(ch[0]))
        if d == "string":
            return Str(self.string(ch[0]))
        if d in ("none", "true", "false"):
            return Const({"none": None, "true": True, "false": False}[d])
        if d == "name":
            return Name(str(ch[0]))
        if d == "attr":
            return Attr(self.expr(ch[0]), str(ch[1]))
        if d == "index":
            return Index(self.expr(ch[0]), self.expr(ch[1]))
        if d == "call":
            fname = str(ch[0])
            args = tuple(self.expr(a) for a in ch[1:] if a is not None)
            if fname not in BUILTINS:
                raise self.error(f"unknown function {fname}() (known: {', '.join(sorted(BUILTINS))})", ch[0])
            _, lo, hi = BUILTINS[fname]
            if not lo <= len(args) <= hi:
                raise self.error(f"{fname}() takes {lo}..{hi} arguments, got {len(args)}", ch[0])
            return Call(fname, args)
        if d == "neg":
            return Neg(self.expr(ch[1]))
        if d == "not_":
            return Not(self.expr(ch[0]))
        if d in ("or_", "and_"):
            return Logic("or" if d == "or_" else "and", tuple(self.expr(c) for c in ch))
        if d == "compare":
            return Cmp(str(ch[1]), self.expr(ch[0]), self.expr(ch[2]))
        if d == "arith":
            node = self.expr(ch[0])
            for i in range(1, len(ch), 2):
                node = Bin(str(ch[i]), node, self.expr(ch[i + 1]))
            return node
        if d == "cond":
            return If(self.expr(ch[1]), self.expr(ch[0]), self.expr(ch[2]))
        raise self.error(f"unexpected expression element {d}", t)


def read_text(path: Path, error, gset: GrammarSet | None = None) -> str:
    """Read a grammar or list file as UTF-8 (a leading BOM dropped), refusing unreadable, non-UTF-8 or
    oversized files; the size is checked before reading, and every file read counts toward the set's
    MAX_GRAMMAR_BYTES (list files too, each time they are read); the file's hash is recorded in
    `gset.read` (the compile cache checks those files, and only those)."""
    used = gset.bytes_read if gset is not None else 0
    room = MAX_GRAMMAR_BYTES - used
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(room + 1) if size <= room else b""
    except OSError as exc:
        raise error(f"cannot read {display_path(path)}: {exc.strerror or exc}") from None
    if size > room or len(data) > room:
        if max(size, len(data)) > MAX_GRAMMAR_BYTES:
            raise error(f"{display_path(path)} is larger than {MAX_GRAMMAR_BYTES} bytes")
        raise error(f"grammar set is larger than {MAX_GRAMMAR_BYTES} bytes (reading {display_path(path)}, "
                    f"after {used} bytes of grammar and list files)")
    if gset is not None:
        gset.bytes_read += len(data)
        gset.read[os.path.realpath(path)] = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise GrammarError(f"invalid UTF-8 at byte {exc.start}", display_path(path), line, 1) from None
    return text[1:] if text.startswith("\ufeff") else text


def resolve_inside(gset: GrammarSet, base: Path, rel: str, error) -> Path:
    """Resolve an import/list path relative to `base`, refusing anything that leaves the grammar set."""
    if not rel or os.path.isabs(rel) or rel.startswith("~") or "\\" in rel or "\x00" in rel:
        raise error(f"import path {rel!r} must be a relative path inside the grammar set")
    target = Path(os.path.realpath(base / rel))
    root = Path(os.path.realpath(gset.root))
    if target != root and root not in target.parents:
        raise error(f"import path {rel!r} escapes the grammar set {display_path(root)}")
    try:
        exists = target.is_file()
    except OSError as exc:  # e.g. a file name longer than the file system allows
        raise error(f"cannot open imported file {rel[:80]!r}: {exc.strerror or exc}") from None
    if not exists:
        raise error(f"imported file {rel[:80]!r} does not exist")
    return target


def _syntax_error(exc: UnexpectedInput, shown: str, text: str) -> GrammarError:
    lines = text.splitlines()
    line, col = getattr(exc, "line", 0) or 0, getattr(exc, "column", 0) or 0
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            msg = "unexpected end of file"
            line, col = len(lines), len(lines[-1]) + 1 if lines else 1
        else:
            msg = f"unexpected {str(tok)!r}"
        expected = sorted({_expected_name(e) for e in (exc.accepts or exc.expected)})
        if expected:
            msg += "; expected " + ", ".join(expected[:8]) + (" ..." if len(expected) > 8 else "")
        src_line = lines[line - 1] if 0 < line <= len(lines) else ""
        template_part = src_line.partition(":")[2] if src_line.lstrip().startswith("rule") else ""
        for kw in _KEYWORDS:
            if re.search(rf"(?<![\w\"]){kw}(?![\w\"])", template_part):
                msg += f" (to use the word {kw!r} in a template, quote it: \"{kw}\")"
                break
    elif isinstance(exc, UnexpectedCharacters):
        msg = f"unexpected character {text[exc.pos_in_stream]!r}" if exc.pos_in_stream < len(text) else "unexpected character"
    elif isinstance(exc, UnexpectedEOF):
        msg = "unexpected end of file"
    else:
        msg = "syntax error"
    opener = _innermost_open_bracket(exc)
    if opener is not None:
        msg += f" (the {str(opener)!r} opened at line {opener.line}, column {opener.column} is still open)"
    src = lines[line - 1] if 0 < line <= len(lines) else None
    return GrammarError(f"syntax error: {msg}", shown, line, col, src)


def _expected_name(terminal: str) -> str:
    """A terminal as a grammar author knows it: its text ('{', 'rule') or what it stands for (a name)."""
    if terminal in _FRIENDLY:
        return _FRIENDLY[terminal]
    try:
        pattern = _parser().get_terminal(terminal).pattern
    except KeyError:
        return "a symbol"
    return repr(pattern.value) if pattern.type == "str" else "a symbol"


def _innermost_open_bracket(exc: UnexpectedInput) -> Token | None:
    """The innermost bracket the parser had shifted, and not yet seen closed, when the error happened."""
    state = getattr(exc, "state", None)
    open_: list[Token] = []
    for item in getattr(state, "value_stack", None) or []:
        if isinstance(item, Token) and item.type in _OPENERS:
            open_.append(item)
        elif isinstance(item, Token) and item.type in _CLOSERS and open_:
            open_.pop()
    return open_[-1] if open_ else None


def load_grammar_set(entry: str | os.PathLike) -> GrammarSet:
    """Parse an entry .forest file and everything it imports; the set's root is the entry's folder (the
    cycle collector paused meanwhile: a big lexicon makes many objects)."""
    with gc_paused():
        return _load_grammar_set(entry)


def _load_grammar_set(entry: str | os.PathLike) -> GrammarSet:
    entry_path = Path(os.path.realpath(entry))
    gset = GrammarSet(root=str(entry_path.parent), entry=str(entry_path))
    seen: set[Path] = set()

    def load_file(path: Path) -> None:
        if path in seen:
            return
        seen.add(path)
        shown = display_path(path)
        text = read_text(path, lambda m: GrammarError(m, shown, 1, 1), gset)
        gset.files.append(shown)
        gset.sources[shown] = text
        reader = _FileReader(gset, path, shown, text)
        for st in reader.parse().children:
            if st.data == "import_stmt":  # imported declarations come first, at the import's place
                tok = st.children[0]
                load_file(resolve_inside(gset, path.parent, _unquote(tok), lambda m, t=tok: reader.error(m, t)))
            else:
                reader.statement(st)

    load_file(entry_path)
    if gset.cut_before or gset.cut_after:
        _apply_cuts(gset)
    if not (gset.lexicons or gset.data or gset.rules):
        shown = display_path(entry_path)
        raise GrammarError("the grammar has nothing to match: no lexicon, data class or rule", shown, 1, 1,
                           gset.sources[shown].split("\n", 1)[0])
    return gset


def _apply_cuts(gset: GrammarSet) -> None:
    """Cut the words of every template literal, lexicon variant and skip phrase as input words are cut."""
    before, after = cut_parts(gset.cut_before, gset.cut_after)

    def template(t: Template) -> Template:
        if isinstance(t, Lit):
            pieces = cut_words([t.word], before, after)
            return t if pieces == [t.word] else Seq(tuple(Lit(w) for w in pieces))
        if isinstance(t, (Seq, Alt)):
            return type(t)(tuple(template(c) for c in t.items))
        if isinstance(t, Opt):
            return Opt(template(t.item))
        if isinstance(t, Rep):
            return Rep(template(t.item), t.lo, t.hi)
        return t

    for r in gset.rules:
        r.template = template(r.template)
    for lx in gset.lexicons:
        for e in lx.entries:
            e.variants[:] = [cut_words(v, before, after) for v in e.variants]
    gset.skip[:] = [" ".join(cut_words(p.split(" "), before, after)) for p in gset.skip]
