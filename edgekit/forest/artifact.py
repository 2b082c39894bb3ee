"""Compiled forest files: JSON with a checksummed header, cached by content hash (never pickled).

File layout: one header line `{"format": "edgekit-forest", "version": N, "sha256": HEX}` then the
JSON payload; the checksum covers the payload bytes, so truncation and bit flips are detected."""
from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import ModelFileError
from ..atomic import atomic_write_bytes, read_bytes
from ..sealed import SealedFormat, seal, unseal
from .decider import DeciderError, check_model

ARTIFACT_FORMAT = "edgekit-forest"
ARTIFACT_VERSION = 3
# Every engine source that shapes a compiled artifact (edgekit/limits.py too): part of the cache key.
_ENGINE_FILES = ("forest_grammar.lark", "loader.py", "lexicon_body.py", "compiler.py", "expr.py", "tokenize.py", "automaton.py",
                 "model.py", "artifact.py", "decider.py", "../limits.py")


_SEALED = SealedFormat(ARTIFACT_FORMAT, ARTIFACT_VERSION, "forest", "forest", "recompile the grammar")


def dumps(artifact: dict[str, Any]) -> bytes:
    """Serialize an artifact with its checksummed header."""
    return seal(_SEALED, json.dumps(artifact, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def loads(data: bytes, source: str = "<bytes>") -> dict[str, Any]:
    """Parse and verify a compiled forest; ModelFileError on any defect."""
    payload = unseal(_SEALED, data, source)
    try:
        art = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{source}: malformed payload ({type(exc).__name__})") from None
    problem = structure_problem(art)
    if problem:
        raise ModelFileError(f"{source}: not a valid compiled forest ({problem})")
    return art


_TEMPLATE_ARITY = {"lit": 2, "ref": 3, "seq": 2, "alt": 2, "opt": 2, "rep": 4}


def _template_problem(node: Any, depth: int = 0) -> str | None:
    if depth > 200 or not isinstance(node, list) or not node or node[0] not in _TEMPLATE_ARITY \
            or len(node) != _TEMPLATE_ARITY[node[0]]:
        return "bad template"
    tag = node[0]
    if tag in ("lit", "ref"):
        return None if isinstance(node[1], str) else "bad template"
    if tag in ("seq", "alt"):
        if not isinstance(node[1], list) or not node[1]:
            return "bad template"
        return next((p for p in (_template_problem(c, depth + 1) for c in node[1]) if p), None)
    if tag == "rep" and not (isinstance(node[2], int) and (node[3] is None or isinstance(node[3], int))):
        return "bad template"
    return _template_problem(node[1], depth + 1)


_OPS = {"bin": {"+", "-", "*", "/", "//", "%"}, "cmp": {"==", "!=", "<", "<=", ">", ">="}}


def expr_problem(node: Any, depth: int = 0) -> str | None:
    """What is wrong with an expression tree (expr.py's node lists), or None: every tag, arity, operator,
    function name and argument count, so a forged artifact fails at load, not mid-parse."""
    from decimal import Decimal, InvalidOperation

    from .expr import BUILTINS

    if depth > 200 or not isinstance(node, list) or not node or not isinstance(node[0], str):
        return "bad expression"
    tag, args = node[0], node[1:]
    sub = [a for a in args if isinstance(a, list)]
    if tag == "num":
        if len(args) != 1 or not isinstance(args[0], str):
            return "bad expression"
        try:
            Decimal(args[0])
        except InvalidOperation:
            return "bad expression number"
        return None
    if tag in ("str", "name"):
        return None if len(args) == 1 and isinstance(args[0], str) else "bad expression"
    if tag == "const":
        return None if len(args) == 1 and (args[0] is None or isinstance(args[0], (bool, int, float, str))) \
            else "bad expression"
    if tag == "attr":
        ok = len(args) == 2 and isinstance(args[1], str)
        return expr_problem(args[0], depth + 1) if ok else "bad expression"
    if tag == "call":
        if len(args) != 2 or args[0] not in BUILTINS or not isinstance(args[1], list):
            return "bad expression call"
        _fn, lo, hi = BUILTINS[args[0]]
        if not lo <= len(args[1]) <= hi:
            return "bad expression call"
        sub = args[1]
    elif tag in ("and", "or"):
        if len(args) != 1 or not isinstance(args[0], list) or not args[0]:
            return "bad expression"
        sub = args[0]
    elif tag in ("bin", "cmp"):
        if len(args) != 3 or args[0] not in _OPS[tag]:
            return "bad expression operator"
        sub = args[1:]
    elif tag in ("neg", "not"):
        if len(args) != 1:
            return "bad expression"
    elif tag in ("index", "if"):
        if len(args) != (2 if tag == "index" else 3):
            return "bad expression"
        sub = list(args)
    else:
        return "bad expression"
    return next((p for p in (expr_problem(a, depth + 1) for a in sub) if p), None)


def structure_problem(art: Any) -> str | None:
    """What is wrong with a compiled forest's structure, or None. Checks every index the engine follows,
    so a forged file (valid checksum, wrong content) is refused at load instead of failing mid-parse."""
    if not isinstance(art, dict):
        return "payload is not an object"
    kinds = {"types": list, "vocab": dict, "data": list, "tables": dict, "lexicons": list, "matchers": list,
             "layers": list, "classes": dict, "files": list}
    for key, kind in kinds.items():
        if not isinstance(art.get(key), kind):
            return f"{key!r} missing or not a {kind.__name__}"
    types = art["types"]
    if not all(isinstance(t, str) for t in types) or not all(isinstance(v, int) and 0 <= v < len(types)
                                                               for v in art["vocab"].values()):
        return "bad types or vocabulary"
    for d in art["data"]:
        if not (isinstance(d, dict) and isinstance(d.get("pattern"), str) and isinstance(d.get("type"), int)
                and 0 <= d["type"] < len(types) and isinstance(d.get("name"), str)):
            return "bad data class"
        if d.get("decider") is not None:
            try:
                check_model(d["decider"])
            except DeciderError as exc:
                return f"bad decider of data class {d['name']}: {exc}"
    n_entries = 0
    for lx in art["lexicons"]:
        problem = _lexicon_problem(lx, art)
        if problem:
            return problem
        n_entries += len(lx["canonical"])
    needed = {"kind": str, "class": str, "name": str, "where": list, "priority": int, "layer": int,
              "captures": dict, "type": int}
    for m in art["matchers"]:
        if not isinstance(m, dict) or any(not isinstance(m.get(k), t) for k, t in needed.items()):
            return "bad matcher"
        if not 0 <= m["type"] < len(types) or m["class"] not in art["classes"] or len(m["where"]) != 2:
            return "bad matcher"
        if m["kind"] not in ("rule", "runtime") or _template_problem(m.get("template")):
            return "bad matcher template"
        if not isinstance(m.get("cost", 0), int) or isinstance(m.get("cost", 0), bool):
            return "bad matcher cost"
        if not all(isinstance(k, str) and isinstance(v, bool) for k, v in m["captures"].items()):
            return "bad matcher captures"
        if m["kind"] == "rule":
            if m.get("intent") is not None and not isinstance(m["intent"], str):
                return "bad matcher intent"
            for clause in ("value", "text"):
                if m.get(clause) is not None:
                    problem = expr_problem(m[clause])
                    if problem:
                        return f"{problem} in rule {m['name']!r}"
    n_matchers = n_entries + len(art["matchers"])
    for layer in art["layers"]:
        problem = _layer_problem(layer, len(types), n_matchers)
        if problem:
            return problem
    return None


_LEXICON_FIELDS = {"class": str, "type": int, "priority": int, "verbatim": bool, "file": str, "canonical": list,
                   "value": list, "line": list, "phrase": list, "more": list}


def _lexicon_problem(lx: Any, art: dict[str, Any]) -> str | None:
    """What is wrong with one compact lexicon record (matchers.py), or None: checked as a whole, the
    types of each parallel list in one pass."""
    if not isinstance(lx, dict) or any(type(lx.get(k)) is not t for k, t in _LEXICON_FIELDS.items()):
        return "bad lexicon"
    name = lx["class"]
    if art["classes"].get(name, {}).get("kind") != "lexicon" or not 0 <= lx["type"] < len(art["types"]) \
            or art["types"][lx["type"]] != name:
        return f"bad lexicon {name!r}"
    n = len(lx["canonical"])
    if any(len(lx[k]) != n for k in ("value", "line", "phrase")):
        return f"bad lexicon {name!r}: its lists differ in length"
    if not set(map(type, lx["canonical"])) <= {str} or not set(map(type, lx["value"])) <= {int, str} \
            or not set(map(type, lx["phrase"])) <= {str}:
        return f"bad lexicon {name!r}: bad canonical form, value or variant"
    if not set(map(type, lx["line"])) <= {int} or (n and min(lx["line"]) < 0):
        return f"bad lexicon {name!r}: bad line"
    if not all(type(row) is list and len(row) > 1 and type(row[0]) is int and 0 <= row[0] < n
               and set(map(type, row[1:])) == {str} for row in lx["more"]):
        return f"bad lexicon {name!r}: bad variants"
    return None


def _layer_problem(layer: Any, n_types: int, n_matchers: int) -> str | None:
    """What is wrong with one layer's position automaton (parallel lists indexed by position), or None."""
    if not isinstance(layer, dict) or not all(isinstance(layer.get(k), list) for k in
                                              ("types", "owner", "cap", "follow", "final")):
        return "bad layer"
    n = len(layer["types"])
    if not n or any(len(layer[k]) != n for k in ("owner", "cap", "follow")):
        return "bad layer"
    if not all(isinstance(t, int) and (p == 0 or 0 <= t < n_types) for p, t in enumerate(layer["types"])):
        return "bad automaton position"
    if not all(isinstance(o, int) and (p == 0 or 0 <= o < n_matchers) for p, o in enumerate(layer["owner"])):
        return "bad automaton position"
    if not all(c is None or isinstance(c, str) for c in layer["cap"]):
        return "bad automaton capture"
    for f in layer["follow"]:
        if not isinstance(f, list) or not all(isinstance(q, int) and 0 < q < n for q in f):
            return "bad automaton transition"
    if not all(isinstance(q, int) and 0 < q < n for q in layer["final"]):
        return "bad automaton accept"
    return None


def save(path: str | os.PathLike, artifact: dict[str, Any]) -> None:
    """Write a compiled forest atomically."""
    atomic_write_bytes(path, dumps(artifact))


def load(path: str | os.PathLike) -> dict[str, Any]:
    """Read and verify a compiled forest file."""
    return loads(read_bytes(path), str(path))


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """Hash of the compiler's own sources: a cached artifact from another engine is never reused."""
    h = hashlib.sha256(__version__.encode())
    here = Path(__file__).parent
    for name in _ENGINE_FILES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


def cache_key(entry: Path) -> str:
    """The compile-cache key of a grammar entry file: artifact format version, every engine source that
    shapes an artifact, the entry's real path (the files it read are checked by `read_files_changed`) and
    the working folder (an artifact names its files relative to it, as errors and `explain` show them)."""
    h = hashlib.sha256(f"{ARTIFACT_FORMAT}:{ARTIFACT_VERSION}:{engine_fingerprint()}:".encode())
    h.update(os.path.realpath(entry).encode("utf-8", "surrogateescape") + b"\0")
    h.update(os.getcwd().encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def read_files_changed(read: Any) -> bool:
    """Whether any file of a compile's "read" list ([path, sha256] pairs) is gone or different now; a list
    that is missing or malformed counts as changed."""
    if not isinstance(read, (list, tuple)):
        return True
    for item in read:
        if not (isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            return True
        try:
            if hashlib.sha256(Path(item[0]).read_bytes()).hexdigest() != item[1]:
                return True
        except OSError:
            return True
    return False


def cache_dir() -> Path:
    """Where compiled grammars are cached: $EDGEKIT_CACHE, else ~/.cache/edgekit/forest."""
    env = os.environ.get("EDGEKIT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edgekit" / "forest"
