"""The home's runtime lists (entity names with their domain and attributes as context, areas, floors)
from a home file in the shape of Home Assistant's test fixtures (`areas`, `floors`, `entities`, each
with a `name` that may be a template; entity `id` gives the domain), plus any other list by name."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import DataError
from .lists import ListEntry
from .template import is_template, parse_template, TemplateSyntaxError
from .expand import sample


def home_lists(home: dict[str, Any], where: str = "home") -> dict[str, list[ListEntry]]:
    """List name -> entries, as HA's get_slot_lists builds them from a fixture."""
    if not isinstance(home, dict):
        raise DataError(f"{where}: expected a mapping with areas, floors, entities")
    out: dict[str, list[ListEntry]] = {}
    for key, list_name in (("floors", "floor"), ("areas", "area")):
        entries = []
        for i, item in enumerate(_items(home, key, where)):
            for name in _names(item, f"{where}: {key}[{i}]"):
                entries.append(ListEntry(name, name))
        out[list_name] = entries
    entries = []
    for i, ent in enumerate(_items(home, "entities", where)):
        w = f"{where}: entities[{i}]"
        eid = ent.get("id")
        if not isinstance(eid, str) or "." not in eid:
            raise DataError(f"{w}: an entity needs an `id` like light.kitchen")
        attrs = ent.get("attributes", {}) or {}
        if not isinstance(attrs, dict):
            raise DataError(f"{w}: `attributes` must be a mapping")
        ctx = {"domain": eid.split(".", 1)[0], **attrs}
        for name in _names(ent, w):
            entries.append(ListEntry(name, name, ctx))
    out["name"] = entries
    for list_name, values in (home.get("lists") or {}).items():
        if not isinstance(values, list):
            raise DataError(f"{where}: lists.{list_name}: expected a list")
        out[str(list_name)] = [ListEntry(v, v) if isinstance(v, str) else
                               ListEntry(str(v.get("in", "")), v.get("out"), v.get("context"))
                               for v in values]
    return out


def _items(home: dict, key: str, where: str) -> list[dict]:
    items = home.get(key) or []
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise DataError(f"{where}: `{key}` must be a list of mappings")
    return items


def _names(item: dict, where: str) -> list[str]:
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise DataError(f"{where}: missing `name`")
    if not is_template(name):
        return [name.strip()]
    try:
        return [s.strip() for s in sample(parse_template(name))]
    except TemplateSyntaxError as exc:
        raise DataError(f"{where}: bad name template {name!r}: {exc} (column {exc.col})") from None


def load_home(path: str | os.PathLike) -> dict[str, list[ListEntry]]:
    """Runtime lists from a home file (.json, or .yaml with the `hass` extra)."""
    p = Path(path)
    if p.suffix.lower() in (".yaml", ".yml"):
        from .source import read_yaml
        data, _ = read_yaml(p)
    else:
        from .source import read_json
        data, _ = read_json(p)
    return home_lists(data, str(p))
