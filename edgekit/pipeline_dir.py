"""The pipeline directory on disk (see edgekit.pipeline): `pipeline.json` plus member files.

`pipeline.json` holds the settings, the name and SHA-256 of every member file (compiled grammars, head
state or ONNX head) and a SHA-256 of its own canonical content, so a damaged or edited file, a member
replaced by another file, or a member name pointing outside the directory is refused at load with a
ModelFileError. (Checksums catch corruption and mix-ups, not forgery: whoever can write the directory
can write consistent checksums.) Members are written first under fresh names and `pipeline.json` is
replaced last (atomically), so a crash leaves the old or the new pipeline.

Readers take no lock (a pipeline on read-only storage must load), so a save never deletes what the
pipeline it replaces references: those members are listed as `retired` in the new pipeline.json and
deleted by the save after it, and `read_consistently` retries a load that failed because pipeline.json
changed under it. A reader therefore sees a complete old or new pipeline. Only files a pipeline.json
named are ever deleted, never other files in the directory. A member must be a regular file with one
link (no symlink, no hard link to a file elsewhere).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Callable, TypeVar

from .atomic import atomic_write_bytes
from .errors import ModelFileError

T = TypeVar("T")

PIPELINE_FILE = "pipeline.json"
PIPELINE_FORMAT = "edgekit-pipeline"
PIPELINE_VERSION = 1
RUNTIME_HEAD = "head.onnx"
MEMBER_NAMES = {"grammar": re.compile(r"grammar-[0-9a-f]{16}\.forestc"),
                "normalizer": re.compile(r"normalizer-[0-9a-f]{16}\.forestc"),
                "head": re.compile(r"head-[0-9a-f]{12}\.state|head\.onnx")}


def sha256_file(path: Path) -> str:
    """SHA-256 of a member file, refused unless it is a regular file of this directory (see module doc)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if os.path.islink(path):
            raise ModelFileError(f"{path}: a pipeline member may not be a symbolic link") from None
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise ModelFileError(f"{path}: a pipeline member must be a regular file")
        if st.st_nlink != 1:
            raise ModelFileError(f"{path}: a pipeline member may not be a hard link ({st.st_nlink} names); "
                                 f"copy the directory instead of linking it")
        h = hashlib.sha256()
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def write_forest(directory: Path, role: str, forest: Any) -> tuple[str, str]:
    """Save a compiled forest under a content-addressed name (written once, shared by later saves);
    returns (name, sha256)."""
    from .forest.artifact import dumps

    data = dumps(forest.compiled)
    sha = hashlib.sha256(data).hexdigest()
    name = f"{role}-{sha[:16]}.forestc"
    if not (directory / name).exists():
        atomic_write_bytes(directory / name, data)
    return name, sha


def _canonical(meta: dict) -> bytes:
    return json.dumps(meta, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def commit(directory: Path, meta: dict, members: dict[str, tuple[str, str] | None]) -> None:
    """Write pipeline.json (meta + members {role: (name, sha256) or None} + its checksum) atomically.
    The members of the pipeline it replaces are retired (kept for readers still loading them); the
    ones the previous save retired are deleted now, unless referenced again."""
    from . import __version__

    keep = {m[0] for m in members.values() if m is not None}
    previous, retired = _previous_members(directory)
    body = {**meta, "format": PIPELINE_FORMAT, "version": PIPELINE_VERSION, "edgekit_version": __version__,
            "members": {role: (None if m is None else {"file": m[0], "sha256": m[1]}) for role, m in members.items()},
            "retired": sorted(previous - keep)}
    body["sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    atomic_write_bytes(directory / PIPELINE_FILE, json.dumps(body, indent=1, sort_keys=True).encode("utf-8"))
    for name in retired - keep - previous:
        with contextlib.suppress(OSError):
            os.unlink(directory / name)


def _member_name(name: Any) -> bool:
    return isinstance(name, str) and any(p.fullmatch(name) for p in MEMBER_NAMES.values())


def _previous_members(directory: Path) -> tuple[set[str], set[str]]:
    """The member names the current pipeline.json references, and those it retired (only names a
    pipeline can hold; nothing when there is no readable pipeline.json)."""
    try:
        meta = _load_json(directory / PIPELINE_FILE)
    except ModelFileError:
        return set(), set()
    members = meta.get("members") if isinstance(meta.get("members"), dict) else {}
    current = {m.get("file") for m in members.values() if isinstance(m, dict)}
    retired = meta.get("retired") if isinstance(meta.get("retired"), list) else []
    return {n for n in current if _member_name(n)}, {n for n in retired if _member_name(n)}


def _load_json(path: Path) -> dict:
    from .textio import parse_json

    try:
        with open(path, "rb") as fh:
            meta = parse_json(fh.read())
    except FileNotFoundError:
        raise ModelFileError(f"{path.parent}: not a pipeline directory (no {PIPELINE_FILE}); create one with "
                             f"`edgekit pipeline init`") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ModelFileError(f"{path}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != PIPELINE_FORMAT:
        raise ModelFileError(f"{path}: not an edgekit pipeline")
    return meta


def existing_kind(directory: Path) -> str | None:
    """The kind ("trainable" or "runtime") of the pipeline a directory holds, None if it holds none."""
    try:
        kind = _load_json(directory / PIPELINE_FILE).get("kind")
    except ModelFileError:
        return None
    return kind if isinstance(kind, str) else None


def read_consistently(directory: Path, load: Callable[[dict, dict[str, Path | None]], T], attempts: int = 20) -> T:
    """`load(*read(directory))`, retried while it fails because a writer replaced pipeline.json meanwhile."""
    for _ in range(attempts):
        before = _fingerprint(directory)
        try:
            return load(*read(directory))
        except ModelFileError:
            if _fingerprint(directory) == before:
                raise
    raise ModelFileError(f"{directory}: the pipeline changed {attempts} times while it was being read")


def _fingerprint(directory: Path) -> bytes | None:
    try:
        with open(directory / PIPELINE_FILE, "rb") as fh:
            return hashlib.sha256(fh.read()).digest()
    except OSError:
        return None


def read(directory: Path) -> tuple[dict, dict[str, Path | None]]:
    """Verify and read pipeline.json: (meta, {role: member path or None}); ModelFileError on any defect."""
    path = directory / PIPELINE_FILE
    meta = _load_json(path)
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
