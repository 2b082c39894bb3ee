"""A Home Assistant language written as a .forest grammar set, for the forest engine (explain, the pipeline,
the learned-head fallback): text lists become lexicons (`in` -> `out`), range lists lexicons of their digits
and number words, the home's lists runtime classes, wildcards one `<token>+` rule, each intent block one
rule with its fixed slots and context rules, skip words (and HA's word-edge punctuation) a `skip` statement;
permutations stay permutations.

The forest reads whole tokens, so glue is resolved here: text glued to alternatives (`light[s]`,
`[die ]Helligkeit`) is spelled out word by word, and text glued to a list (`{area}temperatuur`, `l'{area}`)
becomes a `cut` of that piece of the word. What the forest cannot say is left out and counted: a list glued
to another list, names outside the .forest language's, list values whose `in` uses lists or whose `out` is
not text, a number or a list of them, or that carry a context."""
from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

from ..atomic import atomic_write_bytes
from ..errors import DataError
from ..unicode_ranges import UNSPACED
from ..valueclass import value_class
from .model import IntentBlock, Language, RangeList, TextList, WildcardList
from .numbers import range_words
from .template import Alt, ListRef, Node, Perm, RuleRef, Seq, Text

HEADER = "# written by edgekit hass to-forest"
# Home Assistant ignores punctuation at the edges of words; the forest reads a command also without these
# (the period and the dashes stay: they are parts of numbers and words)
EDGE_PUNCTUATION = tuple(",;:!?¿¡…。，、？！；：")
MAX_SPELLINGS = 256       # literal spellings of one glued word group
MAX_RANGE_DIGITS = 10_000  # numbers of a range list written out as digits; a longer range reads any digit run
WILDCARD = "wildcard"
# hassil ranks readings with fewer wildcards first, then with less text in them: a wildcard costs half an
# element, and each word in it a thousandth; its value is the text it covers, as written
WILDCARD_RULES = f"""rule {WILDCARD}_word cost 0.001: <token:t>
rule {WILDCARD} cost 0.5: <{WILDCARD}_word:w>+
  value w.span"""
_UNSPACED = re.compile(f"[{UNSPACED}]")
_SPACES = re.compile(r"\s+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # the .forest language's names


@value_class(frozen=True)
class ForestExport:
    """The grammar's text, and what it leaves out: reason -> count (templates, list values)."""
    language: str
    text: str
    templates: int
    exported: int
    left_out: dict[str, int]


class _Unsayable(Exception):
    """A template part the forest cannot say in whole tokens (the message is the reason, for the counts)."""


def to_forest(lang: Language) -> ForestExport:
    """The .forest grammar of a language (one file: main.forest)."""
    writer = _Writer(lang)
    rules = [writer.block(k, b) for k, b in enumerate(lang.blocks)]
    head = [f"{HEADER} ({lang.language}): {writer.exported} of {writer.templates} templates"]
    head.append("skip " + " ".join(_quote(w) for w in (*lang.skip_words, *EDGE_PUNCTUATION)))
    head += writer.declarations()
    text = "\n".join(head) + "\n\n" + "\n".join(r for r in rules if r) + "\n"
    return ForestExport(lang.language, text, writer.templates, writer.exported, dict(writer.left_out))


def write_forest(lang: Language, folder: str | os.PathLike) -> ForestExport:
    """Write the grammar as folder/main.forest; a main.forest this command did not write is never replaced."""
    out = Path(folder) / "main.forest"
    if out.exists():
        with out.open("rb") as fh:
            if not fh.read(len(HEADER)).decode("utf-8", "replace") == HEADER:
                raise DataError(f"{out} exists and was not written by edgekit hass to-forest; choose another folder")
    export = to_forest(lang)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(out, export.text.encode("utf-8"))
    return export


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _name(kind: str, name: str) -> str:
    return kind + "_" + "".join(c if c.isascii() and c.isalnum() else "_" for c in name)


class _Writer:
    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self.templates = self.exported = 0
        self.left_out: Counter[str] = Counter()
        self.used: dict[str, tuple[str, Any]] = {}  # forest class name -> (kind, list)
        self.cut_before: dict[str, None] = {}  # word ends glued after a list or rule (`{area}temperatuur`)
        self.cut_after: dict[str, None] = {}  # word starts glued before one (`l'{area}`)

    # ---- intent blocks -----------------------------------------------------------------------------
    def block(self, k: int, b: IntentBlock) -> str:
        if not _NAME.fullmatch(b.intent) or not all(_NAME.fullmatch(k) for k in (
                *b.slots, *b.requires_context, *b.excludes_context)):
            self.templates += len(b.sentences)
            self.left_out["template: an intent, slot or context name that is not a forest name"] += len(b.sentences)
            return ""
        scope_rules = {**self.lang.expansion_rules, **b.expansion_rules}
        scope_lists = {**self.lang.lists, **b.lists}
        alts = []
        for s in b.sentences:
            self.templates += 1
            try:
                alts.append(self.node(s.node, scope_rules, scope_lists, k, ())[0])
                self.exported += 1
            except _Unsayable as exc:
                self.left_out[f"template: {exc}"] += 1
        n_said = len(alts)
        alts = [a for a in dict.fromkeys(alts) if a]
        if not alts:
            return ""
        lines = [f"# {b.where} ({b.intent}, block {b.index})", f"rule {_name('B' + str(k), b.intent)}:",
                 "    " + "\n  | ".join(alts), f"  intent {b.intent}"]
        for key, value in b.slots.items():
            const = ", ".join(map(_const, value)) if isinstance(value, list) and value and all(
                _const(v) for v in value) else _const(value)
            if const is None:
                self.left_out["fixed slot that is not text or a number"] += 1
                continue
            lines.append(f"  slot {key} = {const}")
        try:
            for key, req, copy_to in b.requirements():
                values = "" if req is None else self.values(req)
                if copy_to is not None and not _NAME.fullmatch(copy_to):
                    raise _Unsayable(copy_to)
                lines.append(f"  requires {key}{values}" + (f" slot {copy_to}" if copy_to else ""))
            for key, ex in b.excludes_context.items():
                lines.append(f"  excludes {key}{self.values(ex)}")
        except _Unsayable:
            self.exported -= n_said
            self.left_out["template: a context value that is not text or a number"] += n_said
            return ""
        return "\n".join(lines) + "\n"

    def values(self, v: Any) -> str:
        consts = [_const(x.get("value") if isinstance(x, dict) else x) for x in (v if isinstance(v, list) else [v])]
        if None in consts:
            raise _Unsayable(f"context value {v!r}")
        return " = " + " | ".join(consts)

    # ---- templates ---------------------------------------------------------------------------------
    def node(self, node: Node, rules: dict, lists: dict, block: int, seen: tuple) -> tuple[str, bool, bool, bool]:
        """(forest template, glued at its start, glued at its end, only spaces): glued means a word character
        touches the edge, so that a neighbour without a space between would be part of the same word."""
        if isinstance(node, Text):
            return (_alternatives([node.text]),) + self.edges([node.text])
        if isinstance(node, ListRef):
            return self.list_ref(node, lists, block), True, True, False
        if isinstance(node, RuleRef):
            if node.name in seen or node.name not in rules:
                raise _Unsayable("an unknown or recursive expansion rule")
            return self.node(rules[node.name], rules, lists, block, seen + (node.name,))
        if isinstance(node, Alt):
            parts = [self.node(c, rules, lists, block, seen) for c in node.items]
            said = [p[0] for p in parts if p[0]]
            inner = " | ".join(dict.fromkeys(said))
            text = f"[{inner}]" if len(said) < len(parts) else f"({inner})"
            if not said:
                return "", False, False, any(p[3] for p in parts)
            return text, any(p[1] for p in parts), any(p[2] for p in parts), False
        if isinstance(node, Perm):
            parts = [self.node(c, rules, lists, block, seen)[0] for c in node.items]
            return "(" + "; ".join(p for p in parts if p) + ")", False, False, False
        if isinstance(node, Seq):
            return self.sequence(node, rules, lists, block, seen)
        raise TypeError(node)

    def sequence(self, node: Seq, rules: dict, lists: dict, block: int, seen: tuple) -> tuple[str, bool, bool, bool]:
        """Items glued to each other are joined: literal ones spelled out together (`light[s]`); a literal
        glued to a list or rule gives a `cut` of its piece of the word; a list glued to another is unsayable."""
        groups: list[tuple[list[Node], tuple[str, bool, bool, bool]]] = []
        for item in node.items:
            part = self.node(item, rules, lists, block, seen)
            saying = [k for k, g in enumerate(groups) if g[1][0] or g[1][3]]  # the groups that say or space
            prev = groups[saying[-1]] if saying else None
            b_lit = _literal(item, rules)
            touching = prev is not None and bool(part[0]) and prev[1][2] and part[1]
            if not touching and part[0] and part[1]:
                # text parts that may say nothing (`Kohlen[-]sensor`, `{area}[ ]temperatuur`) let what is on
                # either side of them touch
                for k in reversed(saying):
                    g = groups[k]
                    if g[1][2] and k != saying[-1] and (b_lit or all(_literal(n, rules) for n in g[0])):
                        prev, touching = g, True
                        break
                    if not all(_literal(n, rules) for n in g[0]) or not self.may_vanish(g[0], rules):
                        break
            a_lit = prev is not None and all(_literal(n, rules) for n in prev[0])
            if not touching:
                groups.append(([item], part))
                continue
            if a_lit and b_lit:
                k = groups.index(prev)
                joined = [n for g in groups[k:] for n in g[0]] + [item]
                spellings = _spellings(Seq(tuple(joined)), rules)
                groups[k:] = [(joined, (_alternatives(spellings),) + self.edges(spellings))]
            elif a_lit or b_lit:  # text glued to a list or rule: its piece of the word is cut off input words
                target = prev[0] if a_lit else [item]
                spellings = _spellings(Seq(tuple(target)), rules)
                ranges_only = _ranges_only(Seq(tuple(prev[0] if b_lit else [item])), rules, lists)
                for sp in spellings:  # digits need no cut: a digit run is a token of its own ("5min")
                    if sp.strip() and self.glues(sp[-1] if a_lit else sp[0]) and not ranges_only:
                        piece = sp.split()[-1] if a_lit else sp.split()[0]
                        (self.cut_after if a_lit else self.cut_before).setdefault(piece.casefold(), None)
                left, right, spaces = self.edges(spellings)
                if a_lit:
                    groups[groups.index(prev)] = (prev[0], (_alternatives(spellings), left, False, spaces))
                    groups.append(([item], part))
                else:
                    groups.append(([item], (_alternatives(spellings), False, right, spaces)))
            else:
                raise _Unsayable("a list or rule glued to another")
        said: list[str] = []
        first = last = None  # glue at the edges: None until a part that says or spaces is seen
        for _nodes, (text, left, right, spaces) in groups:
            if not text:
                if spaces:
                    last = False
                    first = False if first is None else first
                continue
            said.append(text)
            first = left if first is None else first
            last = right
        return " ".join(said), bool(first), bool(last), not said and first is False

    @staticmethod
    def may_vanish(items: list[Node], rules: dict) -> bool:
        """Whether text parts may say nothing (an optional glued piece, `[-]`: what follows it may then
        touch what is before it)."""
        return any(not s for s in _spellings(Seq(tuple(items)), rules))

    def edges(self, spellings: list[str]) -> tuple[bool, bool, bool]:
        """(glued at the start, glued at the end, only spaces) of a literal part's spellings."""
        said = [s for s in spellings if s.strip()]
        return (any(self.glues(s[0]) for s in said), any(self.glues(s[-1]) for s in said),
                not said and any(spellings))

    def glues(self, ch: str) -> bool:
        return not (self.lang.ignore_whitespace or ch.isspace() or not (ch.isalnum() or ch in "'’")
                    or _UNSPACED.match(ch) is not None)

    def list_ref(self, ref: ListRef, lists: dict, block: int) -> str:
        lst = lists.get(ref.list_name)
        if lst is None and ref.inline_range is not None:
            a, b, step = ref.inline_range
            lst = RangeList(ref.list_name, a, b, step)
        local = lst is not None and ref.list_name in self.lang.blocks[block].lists
        if isinstance(lst, WildcardList):
            name = WILDCARD
        else:
            kind = "runtime" if lst is None else "L"
            name = ref.list_name if lst is None else _name("L" + (str(block) if local else ""), ref.list_name)
            if lst is None and not _NAME.fullmatch(name):
                raise _Unsayable("an intent, slot or context name that is not a forest name")
            self.used.setdefault(name, (kind, lst))
        if lst is not None and isinstance(lst, WildcardList):
            self.used.setdefault(WILDCARD, ("wildcard", lst))
        if not ref.capture and not _NAME.fullmatch(ref.slot_name):
            raise _Unsayable("an intent, slot or context name that is not a forest name")
        return f"<{name}>" if ref.capture else f"<{name}:{ref.slot_name}>"

    # ---- lists -------------------------------------------------------------------------------------
    def declarations(self) -> list[str]:
        out = [f"cut {side} " + " ".join(map(_quote, parts))
               for side, parts in (("before", self.cut_before), ("after", self.cut_after)) if parts]
        for name, (kind, lst) in sorted(self.used.items()):
            if kind == "runtime":
                out.append(f"class {name} runtime")
            elif kind == "wildcard":
                out.append(WILDCARD_RULES)
            else:
                out.append(self.lexicon(name, lst))
        return out

    def lexicon(self, name: str, lst: TextList | RangeList) -> str:
        entries: dict[str, tuple[str, list[str]]] = {}  # value -> (canonical, variants)
        taken: set[str] = set()

        def add(said: str, value: str) -> None:
            said = " ".join(said.split())
            if not said or said.casefold() in taken:
                return
            taken.add(said.casefold())
            if value in entries:
                entries[value][1].append(said)
            else:
                entries[value] = (said, [])

        if isinstance(lst, TextList):
            for v in lst.values:
                value = _const(v.value_out)
                if isinstance(v.value_out, list) and v.value_out and all(_const(x) for x in v.value_out):
                    value = "[" + ", ".join(map(_const, v.value_out)) + "]"
                if value is None or v.context:
                    self.left_out["list value with an `out` the forest cannot hold or a context"] += 1
                    continue
                try:
                    if not _literal(v.text_in, self.lang.expansion_rules):
                        raise DataError("an `in` with lists")
                    for said in _spellings(v.text_in, self.lang.expansion_rules):
                        add(said, value)
                except (DataError, _Unsayable):
                    self.left_out["list value whose `in` uses lists or says too many things"] += 1
        else:
            numbers = lst.numbers()
            if lst.digits and len(numbers) > MAX_RANGE_DIGITS:
                self.left_out["range list too long to write out (its digits are left out)"] += 1
            elif lst.digits:
                for n in numbers:
                    add(str(n), _const(lst.value_of(n)))
                for n in numbers:  # a digit run is read as a number: "02" is 2 ("02h16")
                    if isinstance(n, int) and 0 <= n < 10:
                        add(f"0{n}", _const(lst.value_of(n)))
            for said, value in range_words(lst, self.lang.language):
                add(said, _const(value))
        body = "\n".join(f"  {_quote(c)} = {v}" + (": " + " | ".join(map(_quote, more)) if more else "")
                         for v, (c, more) in entries.items())
        return f"lexicon {name} {{\n{body}\n}}" if body else f"class {name} runtime"  # nothing said: the caller may fill it


def _const(v: Any) -> str | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return str(v) if v >= 0 else f"-{-v}"
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return None
        text = repr(abs(v)) if "e" not in repr(v) else f"{abs(v):.15f}".rstrip("0").rstrip(".")
        return text if v >= 0 else f"-{text}"
    if isinstance(v, str):
        return _quote(v)
    return None


def _ranges_only(node: Node, rules: dict, lists: dict, seen: tuple = ()) -> bool:
    """Whether every list a template part reads is a range list (said in digits, or number words)."""
    if isinstance(node, Text):
        return True
    if isinstance(node, ListRef):
        return isinstance(lists.get(node.list_name), RangeList) or (
            node.list_name not in lists and node.inline_range is not None)
    if isinstance(node, RuleRef):
        return node.name in rules and node.name not in seen and _ranges_only(rules[node.name], rules, lists,
                                                                             seen + (node.name,))
    return all(_ranges_only(c, rules, lists, seen) for c in node.items)


def _literal(node: Node, rules: dict, seen: tuple = ()) -> bool:
    """Whether a template part says only text (through expansion rules too)."""
    if isinstance(node, Text):
        return True
    if isinstance(node, ListRef):
        return False
    if isinstance(node, RuleRef):
        return node.name in rules and node.name not in seen and _literal(rules[node.name], rules, seen + (node.name,))
    return all(_literal(c, rules, seen) for c in node.items)


def _spellings(node: Node, rules: dict) -> list[str]:
    """Every text a literal template part says, spaces as written (the glue between its parts kept)."""
    if isinstance(node, Text):
        return [node.text]
    if isinstance(node, RuleRef):
        return _spellings(rules[node.name], rules)
    if isinstance(node, Seq):
        out = [""]
        for item in node.items:
            out = [a + b for a in out for b in _spellings(item, rules)]
            if len(out) > MAX_SPELLINGS:
                raise _Unsayable("a glued word with too many spellings")
        return out
    if isinstance(node, Alt):
        return [s for c in node.items for s in _spellings(c, rules)]
    if isinstance(node, Perm):
        return [s for order in itertools.permutations(node.items)
                for s in _spellings(Seq(tuple(Seq((Text(" "), x, Text(" "))) for x in order)), rules)]
    raise TypeError(node)


def _alternatives(spellings: list[str]) -> str:
    said = list(dict.fromkeys(" ".join(s.split()) for s in spellings))
    words = [s for s in said if s]
    if not words:
        return ""
    inner = " | ".join(map(_quote, words))
    if len(words) < len(said):
        return f"[{inner}]"
    return inner if len(words) == 1 else f"({inner})"
