"""Shared test fixtures: an isolated compile cache and a helper to write grammar sets to a temp folder."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("EDGEKIT_CACHE", str(tmp_path_factory.getbasetemp() / "forest-cache"))


@pytest.fixture
def grammar(tmp_path):
    """Write files {name: text} into a fresh grammar set folder and load it (uncached)."""
    from edgekit.forest import load_forest

    def make(files: dict[str, str] | str, cache: bool = False):
        if isinstance(files, str):
            files = {"main.forest": files}
        for name, text in files.items():
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        return load_forest(tmp_path / "main.forest", cache=cache)

    make.root = tmp_path
    return make


REPO = Path(__file__).resolve().parents[1]
