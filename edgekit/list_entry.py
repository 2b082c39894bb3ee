"""One entry of a runtime list, the same for the forest's runtime classes and Home Assistant's lists: what is
said, what the slot gets, the context it brings."""
from __future__ import annotations

from typing import Any, Mapping

from .valueclass import value_class


@value_class(frozen=True)
class ListEntry:
    """One entry of a runtime list: the text matched (any case), its value (default: the text) and an
    optional context mapping (string keys), which the reading that used the entry carries."""

    text: str
    value: Any = None
    context: Mapping[str, Any] | None = None
