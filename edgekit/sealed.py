"""Sealed JSON files: one header line (format, version, SHA-256 of the payload) and a compact JSON payload,
for compiled artifacts (forests, Home Assistant languages). Readers refuse a foreign, old or damaged file
with ModelFileError before parsing a byte of its payload."""
from __future__ import annotations

import hashlib
import json

from .valueclass import value_class
from .errors import ModelFileError


@value_class(frozen=True)
class SealedFormat:
    """What a sealed file is called in messages, and what to do with one of another version."""

    format: str
    version: int
    name: str     # "a compiled edgekit <name>" when the file is not one
    short: str    # "compiled <short> version N is not supported"
    remedy: str   # how to make a current one
    hint: str = ""  # appended to the not-one message


def seal(fmt: SealedFormat, payload: bytes) -> bytes:
    """The file bytes: header line, newline, payload."""
    header = json.dumps({"format": fmt.format, "version": fmt.version,
                         "sha256": hashlib.sha256(payload).hexdigest()}).encode("utf-8")
    return header + b"\n" + payload


def unseal(fmt: SealedFormat, data: bytes, source: str) -> bytes:
    """The payload of a sealed file, after checking its format, version and checksum."""
    head, sep, payload = data.partition(b"\n")
    try:
        header = json.loads(head.decode("utf-8")) if sep else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != fmt.format:
        raise ModelFileError(f"{source}: not a compiled edgekit {fmt.name}{fmt.hint}")
    if header.get("version") != fmt.version:
        raise ModelFileError(f"{source}: compiled {fmt.short} version {header.get('version')} is not supported "
                             f"(this edgekit reads version {fmt.version}); {fmt.remedy}")
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        raise ModelFileError(f"{source}: checksum mismatch (file truncated or corrupted)")
    return payload
