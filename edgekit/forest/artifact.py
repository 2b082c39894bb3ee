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
from .compiled import CompiledError, CompiledForest

ARTIFACT_FORMAT = "edgekit-forest"
ARTIFACT_VERSION = 5
# Every engine source that shapes a compiled artifact (edgekit/limits.py too): part of the cache key.
_ENGINE_FILES = ("forest_grammar.lark", "loader.py", "lexicon_body.py", "compiler.py", "expr.py", "tokenize.py", "automaton.py",
                 "model.py", "compiled.py", "artifact.py", "decider.py", "prefilter.py", "../limits.py",
                 "../valueclass.py", "../unicode_ranges.py")


_SEALED = SealedFormat(ARTIFACT_FORMAT, ARTIFACT_VERSION, "forest", "forest", "recompile the grammar")


def dumps(compiled: CompiledForest) -> bytes:
    """Serialize a compiled forest with its checksummed header."""
    return dumps_json({"format": ARTIFACT_FORMAT, "version": ARTIFACT_VERSION, **compiled.to_json()})


def dumps_json(payload: Any) -> bytes:
    """Seal a JSON payload as a compiled forest file, as it is (`dumps` passes a forest's JSON form)."""
    return seal(_SEALED, json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def loads(data: bytes, source: str = "<bytes>") -> CompiledForest:
    """Parse and verify a compiled forest; ModelFileError on any defect."""
    payload = unseal(_SEALED, data, source)
    try:
        art = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{source}: malformed payload ({type(exc).__name__})") from None
    try:
        return CompiledForest.from_json(art)
    except CompiledError as exc:
        raise ModelFileError(f"{source}: not a valid compiled forest ({exc})") from None


def save(path: str | os.PathLike, compiled: CompiledForest) -> None:
    """Write a compiled forest atomically."""
    atomic_write_bytes(path, dumps(compiled))


def load(path: str | os.PathLike) -> CompiledForest:
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
