"""Compiled language files: a checksummed JSON header line, then the token automata, lists, number
words and the runtime part of every intent block as JSON (never pickled). Loading validates the
structure; a damaged or foreign file is a ModelFileError."""
from __future__ import annotations

import json
import os
from typing import Any

from ..valueclass import asdict
from ..atomic import atomic_write_bytes, read_bytes
from ..errors import ModelFileError
from ..sealed import SealedFormat, seal, unseal
from .compile import MAX_CHAR_STATES, CompiledLanguage, SentenceRef, SlotEdgeSpec
from .model import IntentBlock, RangeList, Responses

FORMAT = "edgekit-hass"
VERSION = 4  # 4: each slot edge carries where its template wrote it
_SEALED = SealedFormat(FORMAT, VERSION, "Home Assistant language", "language", "import the language again",
                       " (make one with `edgekit hass import`)")


def to_json(c: CompiledLanguage) -> dict[str, Any]:
    return {
        "language": c.language,
        "blocks": [{"intent": b.intent, "index": b.index, "where": b.where, "slots": b.slots,
                    "requires_context": b.requires_context, "excludes_context": b.excludes_context,
                    "response": b.response, "metadata": b.metadata,
                    "required_keywords": sorted(b.required_keywords) if b.required_keywords is not None else None}
                   for b in c.blocks],
        "tok": c.tok, "slot_edges": c.slot_edges, "final": c.final,
        "specs": [[s.kind, s.list_key, s.slot] for s in c.specs],
        "sentences": [[s.block, s.text, s.where] for s in c.sentences],
        "text_lists": c.text_lists, "runtime_lists": sorted(c.runtime_lists),
        "ranges": {k: asdict(r) for k, r in c.ranges.items()},
        "range_words": c.range_words, "skip_words": list(c.skip_words),
        "ignore_whitespace": c.ignore_whitespace, "stats": c.stats,
        "prefixed": {str(k): list(v) for k, v in c.prefixed.items()},
        "nested": {k: list(v) for k, v in c.nested.items()},
        "responses": {"intents": c.responses.intents, "errors": c.responses.errors},
    }


def from_json(d: dict[str, Any]) -> CompiledLanguage:
    blocks = tuple(IntentBlock(b["intent"], int(b["index"]), str(b["where"]), (), dict(b["slots"]),
                               dict(b["requires_context"]), dict(b["excludes_context"]), {}, {},
                               b["response"], b["metadata"],
                               frozenset(b["required_keywords"]) if b["required_keywords"] is not None else None)
                   for b in d["blocks"])
    n = len(d["tok"])
    tok = [{str(k): int(v) for k, v in m.items()} for m in d["tok"]]
    slot_edges = [tuple((int(a), int(b), int(c)) for a, b, c in e) for e in d["slot_edges"]]
    final = [tuple(int(x) for x in f) for f in d["final"]]
    specs = [SlotEdgeSpec(str(k), str(key), slot if slot is None else str(slot)) for k, key, slot in d["specs"]]
    sentences = [SentenceRef(int(b), str(t), str(w)) for b, t, w in d["sentences"]]
    if len(slot_edges) != n or len(final) != n:
        raise ValueError("automaton tables of different lengths")
    if any(not 0 <= v < n for m in tok for v in m.values()):
        raise ValueError("edge to a missing state")
    if any(not (0 <= a < len(specs) and 0 <= b < n and 0 <= c < MAX_CHAR_STATES)
           for e in slot_edges for a, b, c in e):
        raise ValueError("slot edge to a missing state or list")
    if any(not 0 <= x < len(sentences) for f in final for x in f):
        raise ValueError("final state of a missing template")
    if any(not 0 <= s.block < len(blocks) for s in sentences):
        raise ValueError("reference to a missing intent block")
    prefixed = {int(k): tuple(str(w) for w in v) for k, v in d["prefixed"].items()}
    if any(not 0 <= k < n or any(w not in tok[k] for w in v) for k, v in prefixed.items()):
        raise ValueError("glued word of a missing state")
    ranges = {k: RangeList(**r) for k, r in d["ranges"].items()}
    text_lists = {k: [(tuple(t), v, c, m) for t, v, c, m in vals] for k, vals in d["text_lists"].items()}
    range_words = {k: [(tuple(t), v, int(ch)) for t, v, ch in vals] for k, vals in d["range_words"].items()}
    nested = {str(k): (out, ctx, meta) for k, (out, ctx, meta) in d["nested"].items()}
    for s in specs:
        table = {"text": text_lists.keys() | set(d["runtime_lists"]), "range": ranges.keys(), "wildcard": None,
                 "open": None, "value": nested.keys()}
        if s.kind not in table or (table[s.kind] is not None and s.list_key not in table[s.kind]):
            raise ValueError(f"slot edge to an unknown {s.kind} list {s.list_key!r}")
    return CompiledLanguage(str(d["language"]), blocks, tok, slot_edges, final, specs, sentences,
                            text_lists, set(d["runtime_lists"]), ranges, range_words,
                            tuple(str(w) for w in d["skip_words"]), bool(d["ignore_whitespace"]), 0, prefixed,
                            nested, dict(d.get("stats") or {}), _responses(d["responses"]))


def _responses(d: dict[str, Any]) -> Responses:
    intents = {str(i): {str(k): str(t) for k, t in keys.items()} for i, keys in d["intents"].items()}
    return Responses(intents, {str(k): str(t) for k, t in d["errors"].items()})


def save(path: str | os.PathLike, c: CompiledLanguage) -> None:
    """Write a compiled language atomically."""
    payload = json.dumps(to_json(c), separators=(",", ":"), ensure_ascii=False, default=_default).encode("utf-8")
    atomic_write_bytes(path, seal(_SEALED, payload))


def _default(x: Any) -> Any:
    if isinstance(x, (set, frozenset, tuple)):
        return list(x)
    raise TypeError(f"cannot store {type(x).__name__} in a compiled language")


def load(path: str | os.PathLike) -> CompiledLanguage:
    """Read and validate a compiled language file."""
    data = read_bytes(path)
    payload = unseal(_SEALED, data, str(path))
    try:
        return from_json(json.loads(payload.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, KeyError, TypeError, ValueError,
            AttributeError) as exc:
        raise ModelFileError(f"{path}: not a valid compiled language ({type(exc).__name__}: {exc})") from None
