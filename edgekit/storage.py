"""Model state files: a versioned, checksummed, non-pickle container of named numpy arrays plus JSON
metadata, written atomically (temp file, fsync, rename) and serialized between processes by a lock.

Layout of a state file (all integers little-endian):

    b"EDGEKIT\\x00"          8-byte magic
    u32 container version     (CONTAINER_VERSION)
    u64 header length H
    H bytes of UTF-8 JSON     {"kind": ..., "meta": {...}, "arrays": [{"name", "dtype", "shape", "offset", "nbytes"}]}
    array bytes               C-order, offsets relative to the start of this section
    32 bytes                  SHA-256 of everything above

Readers check magic, version, length and checksum before trusting a byte, so a truncated, bit-flipped
or foreign file is refused with ModelFileError and never half-loaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any, Mapping

import numpy as np

from .atomic import atomic_write_bytes, file_lock, read_bytes  # noqa: F401  (re-exported)
from .errors import ModelFileError

MAGIC = b"EDGEKIT\x00"
CONTAINER_VERSION = 1
_ALLOWED_DTYPES = {"float64", "float32", "int64", "int32", "uint8", "bool", "uint32", "uint64", "int8"}


def encode_state(kind: str, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> bytes:
    """Serialize metadata and arrays into the checksummed container format (see module docstring)."""
    entries, blobs, offset = [], [], 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        if arr.dtype.name not in _ALLOWED_DTYPES:
            raise TypeError(f"array {name!r}: dtype {arr.dtype} cannot be stored")
        data = arr.tobytes(order="C")
        entries.append({"name": name, "dtype": arr.dtype.name, "shape": list(arr.shape),
                        "offset": offset, "nbytes": len(data)})
        blobs.append(data)
        offset += len(data)
    header = json.dumps({"kind": kind, "meta": dict(meta), "arrays": entries},
                        sort_keys=True, allow_nan=False).encode("utf-8")
    body = MAGIC + struct.pack("<IQ", CONTAINER_VERSION, len(header)) + header + b"".join(blobs)
    return body + hashlib.sha256(body).digest()


def decode_state(data: bytes, source: str = "<bytes>",
                 expect_kind: str | None = None) -> tuple[str, dict, dict[str, np.ndarray]]:
    """Parse and verify a container; returns (kind, meta, arrays). Raises ModelFileError on any defect."""
    fixed = len(MAGIC) + 12
    if len(data) < fixed + 32:
        raise ModelFileError(f"{source}: not an edgekit state file (too short: {len(data)} bytes)")
    if data[:len(MAGIC)] != MAGIC:
        raise ModelFileError(f"{source}: not an edgekit state file (bad magic)")
    body, checksum = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != checksum:
        raise ModelFileError(f"{source}: checksum mismatch (file truncated or corrupted)")
    version, hlen = struct.unpack("<IQ", data[len(MAGIC):fixed])
    if version != CONTAINER_VERSION:
        raise ModelFileError(f"{source}: container version {version} is not supported "
                             f"(this edgekit reads version {CONTAINER_VERSION})")
    try:
        header = json.loads(body[fixed:fixed + hlen].decode("utf-8"))
        kind, meta, entries = header["kind"], header["meta"], header["arrays"]
        if not isinstance(kind, str) or not isinstance(meta, dict) or not isinstance(entries, list):
            raise ValueError("kind, meta or arrays has the wrong type")
        base = fixed + hlen
        arrays = {}
        for e in entries:
            arrays[e["name"]] = _array(e, body, base)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError, RecursionError) as exc:
        raise ModelFileError(f"{source}: malformed header ({str(exc)[:200]})") from None
    if expect_kind is not None and kind != expect_kind:
        raise ModelFileError(f"{source}: holds a {kind!r}, expected a {expect_kind!r}")
    return kind, meta, arrays


def _array(entry: dict, body: bytes, base: int) -> np.ndarray:
    """One array of a container, refusing entries whose dtype, shape, offset or size do not add up."""
    name, dtype, shape = entry["name"], entry["dtype"], entry["shape"]
    offset, nbytes = entry["offset"], entry["nbytes"]
    if not isinstance(name, str) or dtype not in _ALLOWED_DTYPES or not isinstance(shape, list):
        raise ValueError(f"array entry {str(name)[:40]!r} is malformed")
    if not all(type(v) is int and v >= 0 for v in (*shape, offset, nbytes)):
        raise ValueError(f"array {name!r}: shape, offset and size must be non-negative integers")
    if int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize != nbytes:
        raise ValueError(f"array {name!r}: {nbytes} bytes do not hold a {dtype} array of shape {shape}")
    start = base + offset
    if start + nbytes > len(body):
        raise ValueError(f"array {name!r} runs past the end")
    return np.frombuffer(body[start:start + nbytes], dtype=np.dtype(dtype)).reshape(shape).copy()


def save_state(path: str | os.PathLike, kind: str, meta: Mapping[str, Any],
               arrays: Mapping[str, np.ndarray]) -> None:
    """Encode and atomically write a state file."""
    atomic_write_bytes(path, encode_state(kind, meta, arrays))


def load_state(path: str | os.PathLike, expect_kind: str | None = None) -> tuple[str, dict, dict[str, np.ndarray]]:
    """Read and verify a state file written by save_state."""
    return decode_state(read_bytes(path), str(path), expect_kind)
