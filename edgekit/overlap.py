"""Refusing outputs that would overwrite or delete inputs: whether two paths are one file (through
symlinks or hard links) and whether a path lies inside a folder, decided in one place."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .errors import EdgekitError


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when both paths exist and are one file (same device and inode: symlinks and hard links too)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """True when `path` is `folder` or lies below it, after resolving symlinks (the path need not exist)."""
    path, folder = Path(os.path.realpath(path)), Path(os.path.realpath(folder))
    return path == folder or folder in path.parents


def hidden_below(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """True when `path` lies below `folder` under a name starting with "." or "_" (skipped when a folder
    is read as input, so an output there is never read back)."""
    rel = Path(os.path.realpath(path)).relative_to(os.path.realpath(folder))
    return any(part.startswith((".", "_")) for part in rel.parts)


def check_output_folder(out_dir: str | os.PathLike, input_files: Iterable[tuple[str, str]],
                        input_folders: Iterable[str]) -> None:
    """Refuse an output folder that is a file, that would be read back as input (it lies inside an input
    folder, not under a "_" or "." name), or where an output file (out_dir / name) would be an input file.
    input_files: (input path, relative output name) pairs."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise EdgekitError(f"{out_dir}: is a file; --output names a folder (one output file per input)")
    for folder in input_folders:
        if is_inside(out_dir, folder) and (same_file(out_dir, folder) or not hidden_below(out_dir, folder)):
            raise EdgekitError(f"the output folder {out_dir} is inside the input folder {folder}: its files would "
                               f"be read as input; choose a folder outside it (or one named _something inside)")
    for path, name in input_files:
        target = out_dir / name
        if same_file(target, path) or os.path.realpath(target) == os.path.realpath(path):
            raise EdgekitError(f"writing {target} would overwrite the input {path}; choose another output folder")
