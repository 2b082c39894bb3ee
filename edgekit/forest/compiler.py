"""Compile a GrammarSet into a CompiledForest: check names, assign layers from references (a rule sits
above everything it uses; cycles are errors), and build per layer one automaton over symbol types.

The compiled forest (compiled.py) is stored as plain JSON (no pickle); digest.py runs it."""
from __future__ import annotations

from ..errors import GrammarError
from ..limits import MAX_SPAN
from .automaton import BUILTIN_TYPES, AutomatonTooLarge, PositionsBuilder
from .compiled import ClassInfo, CompiledForest, DataSpec, LayerSpec, LexiconRecord, Matcher
from .expr import names_used
from .gcpause import gc_paused
from .model import Alt, Entry, Expr, GrammarSet, Lit, Opt, Ref, Rep, Seq, Template, Where, leaves
from .prefilter import required_types
from .tokenize import cut_parts


class _Compiler:
    def __init__(self, gset: GrammarSet) -> None:
        self.g = gset
        self.types: list[str] = list(BUILTIN_TYPES)          # type id -> name (classes; literals are "'w'")
        self.class_ids: dict[str, int] = {n: i for i, n in enumerate(BUILTIN_TYPES)}
        self.class_where: dict[str, Where] = {}
        self.class_kind: dict[str, str] = {n: "builtin" for n in BUILTIN_TYPES}
        self.vocab: dict[str, int] = {}
        self.layer: dict[str, int] = {n: 0 for n in BUILTIN_TYPES}

    def error(self, message: str, where: Where | None, col: int | None = None) -> GrammarError:
        if where is None:
            return GrammarError(message)
        w = Where(where.file, where.line, col if col is not None else where.col)
        return GrammarError(message, w.file, w.line, w.col, self.g.line_of(w))

    # ---- names and types -----------------------------------------------------------------------
    def declare(self, name: str, kind: str, where: Where) -> None:
        if name in self.class_ids or name in self.tables:
            if name in BUILTIN_TYPES:
                raise self.error(f"{name!r} is a builtin class and cannot be redefined", where)
            prev = self.class_where.get(name) or self.table_where.get(name)
            raise self.error(f"duplicate definition of {name!r} (first defined at {prev})", where)
        self.class_ids[name] = len(self.types)
        self.types.append(name)
        self.class_where[name] = where
        self.class_kind[name] = kind

    def type_of(self, node: Lit | Ref) -> int:
        return self.lit(node.word) if isinstance(node, Lit) else self.class_ids[node.name]

    def lit(self, word: str) -> int:
        tid = self.vocab.get(word)
        if tid is None:
            tid = self.vocab[word] = len(self.types)
            self.types.append(f"'{word}'")
        return tid

    # ---- layering ------------------------------------------------------------------------------
    def assign_layers(self) -> None:
        rules = {r.name: r for r in self.g.rules}
        state: dict[str, int] = {}  # 1 = visiting, 2 = done
        stack: list[str] = []

        def visit(name: str) -> int:
            if name in self.layer and state.get(name) != 1:
                return self.layer[name]
            rule = rules[name]
            state[name] = 1
            stack.append(name)
            top = 0
            for ref in [n for n in leaves(rule.template) if isinstance(n, Ref)] + rule.after:
                target = ref.name
                if target not in self.class_ids:
                    raise self.error(f"unknown reference <{target}>", Where(rule.where.file, ref.line, ref.col))
                if state.get(target) == 1:
                    cycle = stack[stack.index(target):] + [target]
                    raise self.error("rules form a cycle: " + " -> ".join(cycle),
                                     Where(rule.where.file, ref.line, ref.col))
                top = max(top, visit(target) if target in rules else self.layer[target])
            stack.pop()
            state[name] = 2
            self.layer[name] = top + 1
            return top + 1

        for r in self.g.rules:
            visit(r.name)

    # ---- captures and expressions ----------------------------------------------------------------
    def captures(self, node: Template, multi: bool = False, out: dict | None = None) -> dict[str, bool]:
        """Capture name -> whether it repeats (is captured under a repeat, so binds a list)."""
        out = {} if out is None else out
        match node:
            case Ref(_, capture) if capture:
                out[capture] = out.get(capture, False) or multi
            case Seq(items) | Alt(items):
                for c in items:
                    self.captures(c, multi, out)
            case Opt(item):
                self.captures(item, multi, out)
            case Rep(item):
                self.captures(item, True, out)
        return out

    def check_expr(self, expr: Expr, allowed: set[str], where: Where, rule: str) -> None:
        for name in names_used(expr):
            if name not in allowed and name not in self.tables:
                known = ", ".join(sorted(allowed)) or "none"
                raise self.error(f"rule {rule}: unknown name {name!r} in expression "
                                 f"(captures: {known}; tables: {', '.join(sorted(self.tables)) or 'none'})", where)

    # ---- main ---------------------------------------------------------------------------------------
    def compile(self) -> CompiledForest:
        g = self.g
        self.declare_all()
        lexicons = self.lexicon_records()
        n_entries = sum(len(lx.canonical) for lx in lexicons)
        matchers = self.runtime_matchers() + self.rule_matchers()
        layers = self.layer_automata(matchers, n_entries, bool(lexicons))
        return CompiledForest(
            files=g.files, types=self.types, vocab=self.vocab,
            data=[DataSpec(d.name, self.class_ids[d.name], d.pattern, d.where.file, d.where.line, d.decider or None)
                  for d in g.data],
            tables=self.tables, lexicons=lexicons, matchers=matchers, layers=layers,
            classes={n: ClassInfo(self.class_kind[n], self.layer.get(n, 0)) for n in self.class_ids},
            read=tuple(sorted(g.read.items())), translate=dict(g.translate), skip=tuple(g.skip),
            cuts=cut_parts(g.cut_before, g.cut_after))

    def declare_all(self) -> None:
        """Tables, then every class name (data classes, lexicons, rules) and the layer of each."""
        g = self.g
        self.tables = {t.name: t.items for t in g.tables}
        self.table_where = {t.name: t.where for t in g.tables}
        if len(self.tables) != len(g.tables):
            seen = set()
            for t in g.tables:
                if t.name in seen:
                    raise self.error(f"duplicate definition of table {t.name!r}", t.where)
                seen.add(t.name)
        for d in g.data:
            self.declare(d.name, "data", d.where)
            self.layer[d.name] = 0
        for lx in g.lexicons:
            self.declare(lx.name, "lexicon", lx.where)
            self.layer[lx.name] = 1
        for rc in g.runtime:
            self.declare(rc.name, "runtime", rc.where)
            self.layer[rc.name] = 1
        for r in g.rules:
            self.declare(r.name, "rule", r.where)
        self.assign_layers()

    def lexicon_records(self) -> list[LexiconRecord]:
        """One compact record per lexicon; duplicate and conflicting variants refused at the entry."""
        records = []
        for lx in self.g.lexicons:
            seen: dict[str, Entry] = {}
            canonical, values, lines, phrases, more = [], [], [], [], []
            for k, e in enumerate(lx.entries):
                own: list[str] = []
                for v in e.variants:
                    key = " ".join(v)
                    other = seen.get(key)
                    if other is not None and other is not e:
                        what = "duplicate" if other.canonical == e.canonical else "conflicting"
                        raise self.error(f"{what} entry: {key!r} is already a variant of "
                                         f"{other.canonical!r} in lexicon {lx.name} ({other.where})", e.where)
                    seen[key] = e
                    if key not in own:
                        own.append(key)
                canonical.append(e.canonical)
                values.append(e.value)
                lines.append(e.where.line)
                phrases.append(own[0])
                if len(own) > 1:
                    more.append([k] + own[1:])
            records.append(LexiconRecord(lx.name, self.class_ids[lx.name], lx.priority, lx.verbatim,
                                         lx.entries[0].where.file if lx.entries else lx.where.file,
                                         canonical, values, lines, phrases, more))
        return records

    def runtime_matchers(self) -> list[Matcher]:
        """One matcher per runtime class; its entries come at run time (Forest.set_list, the trie layer)."""
        return [Matcher("runtime", rc.name, rc.name, rc.where.file, rc.where.line, 0, 1, self.class_ids[rc.name],
                        Ref("any"), {}) for rc in self.g.runtime]

    def rule_matchers(self) -> list[Matcher]:
        """One matcher per rule, its expressions, span and template checked."""
        matchers: list[Matcher] = []
        seen_templates: dict[tuple, str] = {}  # equal templates read alike (Ref positions do not count)
        for r in self.g.rules:
            caps = self.captures(r.template)
            if r.value is not None:
                self.check_expr(r.value, set(caps), r.value_where or r.where, r.name)
            if r.text is not None:
                self.check_expr(r.text, set(caps) | {"value"}, r.text_where or r.where, r.name)
            shortest = _shortest(r.template)
            if shortest > MAX_SPAN:
                raise self.error(f"rule {r.name} needs at least {shortest} elements, more than a match may cover "
                                 f"(MAX_SPAN = {MAX_SPAN})", r.where)
            key = (r.template, r.context)  # intent rules that differ in their context rules are told apart by them
            if key in seen_templates:
                raise self.error(f"conflicting rule: {r.name} has the same template as {seen_templates[key]}",
                                 r.where)
            seen_templates[key] = r.name
            needs = sorted((tuple(sorted(c)) for c in required_types(r.template, self.type_of)), key=lambda c: (len(c), c))
            matchers.append(Matcher("rule", r.name, r.name, r.where.file, r.where.line, r.priority, self.layer[r.name],
                                    self.class_ids[r.name], r.template, caps, r.cost, r.value, r.text, r.intent,
                                    tuple(needs), r.context))
        return matchers

    def layer_automata(self, matchers: list[Matcher], first_id: int, lexicons: bool) -> list[LayerSpec]:
        """One position automaton per layer over the rules of that layer, refused past the limits (each
        rule's size is checked before its automaton is built). Matcher k of `matchers` has id first_id + k."""
        n_layers = max([m.layer for m in matchers] + [1] * lexicons, default=0)
        builders = [PositionsBuilder() for _ in range(n_layers)]
        rules = {r.name: r for r in self.g.rules}
        for k, m in enumerate(matchers):
            if m.kind != "rule":
                continue  # runtime classes (and lexicon entries) are matched through the trie (lexicon.py)
            try:
                builders[m.layer - 1].add(m.template, first_id + k, self.type_of)
            except AutomatonTooLarge as exc:
                raise self.error(f"rule {m.name}: automaton too large: {exc}", rules[m.name].where) from None
        return [b.spec() for b in builders]


def _shortest(node: Template) -> int:
    """How many elements the shortest match of a template covers (each literal or reference is one)."""
    match node:
        case Lit() | Ref():
            return 1
        case Seq(items):
            return sum(_shortest(c) for c in items)
        case Alt(items):
            return min(_shortest(c) for c in items)
        case Opt():
            return 0
        case Rep(item, lo):
            return lo * _shortest(item)
    raise TypeError(f"not a template node: {node!r}")


def compile_grammar_set(gset: GrammarSet) -> CompiledForest:
    """Check and compile a loaded grammar set into a CompiledForest."""
    with gc_paused():
        return _Compiler(gset).compile()
