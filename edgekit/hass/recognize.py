"""Recognize intents: run a compiled language's token automaton over one input (walk), with the home's
lists set at run time (lists) and the caller's context, then check each reading's block (context rules,
required keywords) and build the result, best first as hassil ranks them."""
from __future__ import annotations

from collections.abc import Mapping
from operator import attrgetter, itemgetter
from typing import Any, Iterable

from ..valueclass import field, value_class
from ..errors import DataError
from .compile import CompiledLanguage
from .lists import ListEntry, ListTables
from .model import IntentBlock
from .respond import render, slot_variables
from .text import fold_case, prepare_input, prepare_patterns, remove_skip_words, skip_word_pattern, tokenize
from .walk import UNMATCHED, Walker

NO_MATCH = "no template matches the input"
# how readings are ordered: cost, intent, template, then, within one template, the order its slot references
# were written in (hassil's first alternative), then the variant
_RANK = itemgetter(0, 1, 2, 3, 4)
_VALUE = attrgetter("value")


@value_class(frozen=True)
class SlotValue:
    value: Any
    text: str
    wildcard: bool = False
    metadata: dict[str, Any] | None = None


@value_class(frozen=True)
class IntentResult:
    """A recognized intent: slots with HA's value types, the merged context, the template that
    matched (its file:line and text), the block's response key and metadata, and its rank cost. A reading
    found with allow_unmatched names in `unmatched` the home lists' slots it read words into that no value
    of the list says (slot -> the words), as hassil's unmatched entities."""
    intent: str
    slots: dict[str, SlotValue]
    context: dict[str, Any]
    template: str
    where: str
    block: str
    response: str | None = "default"
    metadata: dict[str, Any] | None = None
    cost: int = field(default=0, compare=False)
    unmatched: dict[str, str] | None = None

    def slot_values(self) -> dict[str, Any]:
        return dict(zip(self.slots, map(_VALUE, self.slots.values())))


class Recognizer:
    """Parses text against one compiled language; runtime lists are replaced with set_list."""

    def __init__(self, compiled: CompiledLanguage) -> None:
        self.c = compiled
        self.lists = ListTables(compiled)
        self.walker = Walker(compiled, self.lists)
        self._skip = skip_word_pattern(compiled.skip_words)
        prepare_patterns()
        # template id -> its block, the template, the block's fixed slots, response key and context rules
        self._ends = []
        rules = [_ContextRules.of(b) for b in compiled.blocks]
        for ref in compiled.sentences:
            b = compiled.blocks[ref.block]
            self._ends.append((b, ref, {k: SlotValue(v, "") for k, v in b.slots.items()},
                               b.response if b.response is not None else "default", rules[ref.block]))

    # ---- runtime lists ------------------------------------------------------------------------------
    @property
    def runtime_lists(self) -> list[str]:
        """Lists the templates use that the language does not define (name, area, floor ...)."""
        return sorted(self.c.runtime_lists)

    def set_list(self, name: str, entries: Iterable[ListEntry | str]) -> None:
        """Replace a runtime list (no recompilation): the entries' spoken texts go into a token trie."""
        if name not in self.c.runtime_lists:
            raise DataError(f"no runtime list {name!r} in language {self.c.language} "
                            f"(its templates use: {', '.join(self.runtime_lists) or 'none'})")
        self.lists.set(name, entries)

    # ---- responses -----------------------------------------------------------------------------------
    def response(self, result: IntentResult, variables: Mapping[str, Any] | None = None) -> str | None:
        """What to say back for a result: the template its block's response key names for its intent,
        rendered with `slots` and any further variables; None when the language has no such template."""
        template = self.c.responses.intents.get(result.intent, {}).get(result.response or "default")
        if template is None:
            return None
        return render(template, {**(variables or {}), "slots": slot_variables(result.slots)})

    def error_response(self, key: str, variables: Mapping[str, Any] | None = None) -> str | None:
        """The language's error response for `key` (no_intent, no_area ...), rendered with `variables`."""
        template = self.c.responses.errors.get(key)
        return None if template is None else render(template, dict(variables or {}))

    # ---- parsing --------------------------------------------------------------------------------------
    def parse(self, text: str, context: Mapping[str, Any] | None = None, n: int = 1,
              allow_unmatched: bool = False) -> list[IntentResult]:
        """The n best readings of text (best first); [] when no template matches. With allow_unmatched,
        when none does, the readings in which text lists (the home's names, areas, floors, the language's
        own) read words none of their values says, ranked as the others (IntentResult.unmatched names
        them), as hassil's allow_unmatched_entities gives them for error responses ("no device called")."""
        if not isinstance(text, str):
            raise TypeError(f"expected text (str), got {type(text).__name__}")
        results = self._parse(text, context, n, False)
        if not results and allow_unmatched:
            results = self._parse(text, context, n, True)
        return results

    def _parse(self, text: str, context: Mapping[str, Any] | None, n: int, unmatched: bool) -> list[IntentResult]:
        context = dict(context or {})
        prepared = prepare_input(text)
        variants = [prepared]
        stripped = remove_skip_words(prepared, self._skip)
        if stripped != prepared:
            variants.append(stripped)
        cands: list[tuple] = []
        for k, v in enumerate(variants):
            toks = tokenize(v)
            if toks.keys:
                self.walker.run(v, toks, k, cands, unmatched=unmatched)
        if len(cands) > 1:
            cands.sort(key=_RANK)
        results: dict[tuple, IntentResult] = {}
        words: list[set[str]] = []  # the input's words, computed when a block requires a keyword
        for cand in cands:
            r = self._finish(cand, context, stripped, words, unmatched)
            if r is not None:
                if n == 1:
                    return [r]
                key = (r.intent, r.where, tuple(sorted((k, repr(v.value)) for k, v in r.slots.items())))
                if key not in results:
                    results[key] = r
                    if len(results) >= n:
                        break
        return list(results.values())

    def parse_with_reason(self, text: str, context: Mapping[str, Any] | None = None
                          ) -> tuple[IntentResult | None, str | None]:
        """The best reading and None, or None and why there is none (see `rejection`)."""
        res = self.parse(text, context, 1)
        if res:
            return res[0], None
        return None, self.rejection(text, context)[0]

    def rejection(self, text: str, context: Mapping[str, Any] | None = None) -> tuple[str, IntentResult | None]:
        """Why no template reads text (for a text `parse` found nothing in): when a template reads it with
        words no value of a list says, from where the templates stopped on (a device or area the home
        lacks), that reading's unmatched values (and the reading, for the error response); else the first
        word no template accepts and what they expected there (and None)."""
        reason, rest = self._rejection(text)
        near = self._parse(text, context, 1, True)  # the strict pass has been run by the caller
        if near and near[0].unmatched and all(fold_case(v) in rest for v in near[0].unmatched.values()):
            return unmatched_reason(near[0]), near[0]
        return reason, None

    def unmatched_response(self, result: IntentResult) -> str | None:
        """What to say back for a reading with unmatched home list values, as Home Assistant says it: the
        language's error response for an unknown area, floor or device (in an area or floor it names)."""
        key, variables = error_key(result)
        return None if key is None else self.error_response(key, variables)

    def _rejection(self, text: str) -> tuple[str, str]:
        """How far the templates got: the first word none of them accepts and what they expected there; and
        the text from there on (casefolded)."""
        prepared = prepare_input(text)
        toks = tokenize(prepared)
        if not toks.keys:
            return "empty input", ""
        reach: list = []
        self.walker.run(prepared, toks, 0, [], reach)
        j, off, surface, toks, states = reach
        expected: set[str] = set()
        for st in states:
            expected.update(f"'{k}'" for k in self.c.tok[st])
            expected.update("{" + self.c.specs[sid].list_key.split(":")[-1] + "}" for sid, *_ in self.c.slot_edges[st]
                            if self.c.specs[sid].kind in ("text", "range", "wildcard"))
        shown = " or ".join(sorted(expected)[:8]) + (" ..." if len(expected) > 8 else "")
        if j >= len(toks.keys):
            return f"{NO_MATCH}: every word was read, but the templates need more: {shown or 'nothing'}", ""
        got = surface[toks.starts[j] + off:toks.ends[j]]
        rest = fold_case(surface[toks.starts[j] + off:])
        if j == 0 and not off:
            return f"{NO_MATCH}: no template starts with {got!r}", rest
        return (f"{NO_MATCH}: after {surface[:toks.starts[j] + off]!r}, found {got!r} where a template expected "
                f"{shown}", rest)

    def _finish(self, cand: tuple, caller: dict, stripped: str, words: list[set[str]],
                tolerant: bool = False) -> IntentResult | None:
        """The result of one reading, or None when its block's keywords or context rules reject it;
        `tolerant` (the pass for unmatched entities): a required context not met does not reject, as in
        hassil, where it is one more unmatched (missing) entity."""
        cost, _intent, sid, _order, _variant, slots, ctxs, surface = cand
        block, ref, fixed, response, rules = self._ends[sid]
        if block.required_keywords:
            if not words:
                words.append(set(fold_case(stripped).split()))
            if block.required_keywords.isdisjoint(words[0]):
                return None
        merged = dict(caller)
        for x in ctxs:
            merged.update(x)
        if rules.excluded and rules.excludes(merged):
            return None
        entries = []
        while slots:
            entries.append(slots[0])
            slots = slots[1]
        from_context: dict[str, SlotValue] = {}
        if rules.required and not rules.requires(merged, from_context,
                                                 _unmatched_texts(entries, surface) if tolerant else None):
            return None
        found: dict[str, SlotValue] = {}
        unmatched: dict[str, str] | None = None
        for name, value, vtext, is_wild, meta in reversed(entries):
            if name is None:  # where an inlined list value opened or closed
                continue
            if is_wild:
                value = vtext = surface[value[0]:value[1]]
                if is_wild is UNMATCHED:
                    unmatched = {**(unmatched or {}), name: vtext}
                    is_wild = False
            found[name] = SlotValue(value, vtext, is_wild, meta)
        if tolerant and not unmatched:  # the strict pass has judged it (its context rules rejected it)
            return None
        out = found
        if fixed or from_context:  # the block's fixed slots, then those copied from the context
            out = dict(found)
            for extra in (fixed, from_context):
                for name, sv in extra.items():
                    if name not in found:
                        out[name] = sv
        return IntentResult(block.intent, out, merged, ref.text, ref.where, block.where, response, block.metadata, cost,
                            unmatched)


def _unmatched_texts(entries: list, surface: str) -> dict[str, str]:
    """slot -> text of the unmatched entities among a reading's slot entries (the pass for them)."""
    return {name: surface[span[0]:span[1]] for name, span, _text, kind, _meta in entries if kind is UNMATCHED}


def error_key(result: IntentResult) -> tuple[str | None, dict[str, str]]:
    """Home Assistant's error response key for a reading with unmatched home list values, and its variables:
    no_area, no_floor, then for a device no_entity_in_area / no_entity_in_floor (when the area or floor it
    names is known) or no_entity; (None, {}) when nothing is unmatched."""
    missing = result.unmatched or {}
    said = {k: v.text.strip() or str(v.value) for k, v in result.slots.items()}
    if "area" in missing:
        return "no_area", {"area": missing["area"]}
    if "floor" in missing:
        return "no_floor", {"floor": missing["floor"]}
    if "name" in missing:
        for where in ("area", "floor"):
            if where in said:
                return f"no_entity_in_{where}", {"entity": missing["name"], where: said[where]}
        return "no_entity", {"entity": missing["name"]}
    return None, {}


def unmatched_reason(result: IntentResult) -> str:
    """The rejection reason of a reading with unmatched home list values: which the home does not have."""
    missing = ", ".join(f"no {slot} {text!r}" for slot, text in (result.unmatched or {}).items())
    return f"{NO_MATCH}: the home has {missing} (template {result.template!r} of {result.intent} at {result.where})"


# ---- context rules, as hassil applies them ----------------------------------------------------------------
def _unpack(v: Any) -> Any:
    return v.get("value") if isinstance(v, dict) else v


def _is_collection(v: Any) -> bool:
    return isinstance(v, (list, tuple, set, frozenset))


@value_class(frozen=True)
class _ContextRules:
    """A block's requires_context / excludes_context, read once: (key, value) pairs, and for each
    requirement the slot it is copied into (`slot: true` or a slot name), if any."""
    excluded: tuple[tuple[str, Any], ...]
    required: tuple[tuple[str, Any, str | None], ...]

    @classmethod
    def of(cls, block: IntentBlock) -> "_ContextRules":
        return cls(tuple((k, _unpack(v)) for k, v in block.excludes_context.items()), tuple(block.requirements()))

    def excludes(self, ctx: dict) -> bool:
        for k, ex in self.excluded:
            if k in ctx:
                act = _unpack(ctx[k])
                if (act in ex) if _is_collection(ex) else act == ex:
                    return True
        return False

    def requires(self, ctx: dict, slots: dict[str, SlotValue], unmatched: dict[str, str] | None = None) -> bool:
        """Whether ctx meets every requirement; copies the required values into `slots` as asked. With
        `unmatched` (slot -> text of the reading's unmatched entities; given in the pass for them), a key
        missing from ctx is read from there, and a requirement not met is passed over, as hassil does."""
        for k, req, copy_to in self.required:
            actual = ctx.get(k)
            text, meta = "", None
            if isinstance(actual, dict):
                text, meta, actual = actual.get("text", ""), actual.get("metadata"), actual.get("value")
            if actual is None and unmatched is not None:
                actual = unmatched.get(k)
            ok = (req is not None and actual == req) or (req is None and actual is not None) or \
                (_is_collection(req) and actual in req)
            if not ok:
                if unmatched is not None:
                    continue
                return False
            if copy_to:
                slots[copy_to] = SlotValue(actual, text, False, meta)
        return True
