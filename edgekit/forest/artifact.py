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

ARTIFACT_FORMAT = "edgekit-forest"
ARTIFACT_VERSION = 1
_ENGINE_FILES = ("forest_grammar.lark", "loader.py", "compiler.py", "expr.py", "tokenize.py")
_GRAMMAR_SUFFIXES = (".forest", ".txt", ".tsv")


def dumps(artifact: dict[str, Any]) -> bytes:
    """Serialize an artifact with its checksummed header."""
    payload = json.dumps(artifact, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    header = json.dumps({"format": ARTIFACT_FORMAT, "version": ARTIFACT_VERSION,
                         "sha256": hashlib.sha256(payload).hexdigest()}).encode("utf-8")
    return header + b"\n" + payload


def loads(data: bytes, source: str = "<bytes>") -> dict[str, Any]:
    """Parse and verify a compiled forest; ModelFileError on any defect."""
    head, sep, payload = data.partition(b"\n")
    try:
        header = json.loads(head.decode("utf-8")) if sep else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != ARTIFACT_FORMAT:
        raise ModelFileError(f"{source}: not a compiled edgekit forest")
    if header.get("version") != ARTIFACT_VERSION:
        raise ModelFileError(f"{source}: compiled forest version {header.get('version')} is not supported "
                             f"(this edgekit reads version {ARTIFACT_VERSION}); recompile the grammar")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ModelFileError(f"{source}: checksum mismatch (file truncated or corrupted)")
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{source}: malformed payload ({exc})") from None


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


def grammar_fingerprint(root: Path) -> str:
    """Hash of every grammar and list file in a grammar set (paths and contents)."""
    h = hashlib.sha256(engine_fingerprint().encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in _GRAMMAR_SUFFIXES and p.is_file()):
        h.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_dir() -> Path:
    """Where compiled grammars are cached: $EDGEKIT_CACHE, else ~/.cache/edgekit/forest."""
    env = os.environ.get("EDGEKIT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "edgekit" / "forest"
