"""The pipeline directory on disk (see edgekit.pipeline): `pipeline.json` plus member files.

`pipeline.json` holds the settings, the name and SHA-256 of every member file (compiled grammars, head
state or ONNX head) and a SHA-256 of its own canonical content, so a damaged or edited file, a member
replaced by another file, or a member name pointing outside the directory is refused at load with a
ModelFileError. (Checksums catch corruption and mix-ups, not forgery: whoever can write the directory
can write consistent checksums.) Members are written first under fresh names and `pipeline.json` is
replaced last (atomically), so a crash leaves the old or the new pipeline; members no longer
referenced are removed afterwards.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from .atomic import atomic_write_bytes, read_bytes
from .errors import ModelFileError

PIPELINE_FILE = "pipeline.json"
PIPELINE_FORMAT = "edgekit-pipeline"
PIPELINE_VERSION = 1
RUNTIME_HEAD = "head.onnx"
MEMBER_NAMES = {"grammar": re.compile(r"grammar-[0-9a-f]{16}\.forestc"),
                "normalizer": re.compile(r"normalizer-[0-9a-f]{16}\.forestc"),
                "head": re.compile(r"head-[0-9a-f]{12}\.state|head\.onnx")}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(read_bytes(path)).hexdigest()


def write_forest(directory: Path, role: str, forest: Any) -> tuple[str, str]:
    """Save a compiled forest under a content-addressed name (written once, shared by later saves);
    returns (name, sha256)."""
    from .forest.artifact import dumps

    data = dumps(forest.artifact)
    sha = hashlib.sha256(data).hexdigest()
    name = f"{role}-{sha[:16]}.forestc"
    if not (directory / name).exists():
        atomic_write_bytes(directory / name, data)
    return name, sha


def _canonical(meta: dict) -> bytes:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def commit(directory: Path, meta: dict, members: dict[str, tuple[str, str] | None]) -> None:
    """Write pipeline.json (meta + members {role: (name, sha256) or None} + its checksum) atomically, then
    delete member files it no longer references."""
    from . import __version__

    body = {**meta, "format": PIPELINE_FORMAT, "version": PIPELINE_VERSION, "edgekit_version": __version__,
            "members": {role: (None if m is None else {"file": m[0], "sha256": m[1]}) for role, m in members.items()}}
    body["sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    atomic_write_bytes(directory / PIPELINE_FILE, json.dumps(body, indent=1, sort_keys=True).encode("utf-8"))
    keep = {m[0] for m in members.values() if m is not None}
    for old in [*directory.glob("head-*.state"), *directory.glob("*.forestc"), *directory.glob(RUNTIME_HEAD)]:
        if old.name not in keep:
            old.unlink(missing_ok=True)


def read(directory: Path) -> tuple[dict, dict[str, Path | None]]:
    """Verify and read pipeline.json: (meta, {role: member path or None}); ModelFileError on any defect."""
    path = directory / PIPELINE_FILE
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"{directory}: not a pipeline directory (no {PIPELINE_FILE}); create one with "
                             f"`edgekit pipeline init`") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{path}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != PIPELINE_FORMAT:
        raise ModelFileError(f"{path}: not an edgekit pipeline")
    if meta.get("version") != PIPELINE_VERSION:
        raise ModelFileError(f"{path}: pipeline format version {meta.get('version')!r} is not supported "
                             f"(this edgekit reads version {PIPELINE_VERSION})")
    stored = meta.pop("sha256", None)
    if stored != hashlib.sha256(_canonical(meta)).hexdigest():
        raise ModelFileError(f"{path}: checksum mismatch (edited or corrupted)")
    paths: dict[str, Path | None] = {}
    members = meta.get("members")
    if not isinstance(members, dict) or members.get("grammar") is None:
        raise ModelFileError(f"{path}: malformed pipeline (no grammar member)")
    for role, pattern in MEMBER_NAMES.items():
        member = members.get(role)
        if member is None:
            paths[role] = None
            continue
        name = member.get("file") if isinstance(member, dict) else None
        if not isinstance(name, str) or not pattern.fullmatch(name):
            raise ModelFileError(f"{path}: {role} member {name!r} is not a file name this directory can hold")
        paths[role] = directory / name
        if sha256_file(paths[role]) != member.get("sha256"):
            raise ModelFileError(f"{paths[role]}: does not match the checksum in {PIPELINE_FILE} "
                                 f"(replaced, truncated or corrupted)")
    return meta, paths
