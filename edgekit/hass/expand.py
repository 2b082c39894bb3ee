"""Every text a template says (for names given as templates in a home file, and for documentation)."""
from __future__ import annotations

import itertools
from typing import Iterator

from ..errors import DataError
from .template import Alt, ListRef, Node, Perm, RuleRef, Seq, Text

MAX_SAMPLES = 10_000


def sample(node: Node, limit: int = MAX_SAMPLES) -> list[str]:
    """The texts a template without lists or rules says, whitespace collapsed, in order."""
    out = []
    for text in _walk(node):
        out.append(" ".join(text.split()))
        if len(out) > limit:
            raise DataError(f"a template says more than {limit} things")
    return list(dict.fromkeys(out))


def _walk(node: Node) -> Iterator[str]:
    if isinstance(node, Text):
        yield node.text
    elif isinstance(node, Seq):
        parts: list[str] = [""]
        for item in node.items:
            parts = [p + s for p in parts for s in _walk(item)]
        yield from parts
    elif isinstance(node, Alt):
        for item in node.items:
            yield from _walk(item)
    elif isinstance(node, Perm):
        for order in itertools.permutations(node.items):
            yield from _walk(Seq(tuple(Seq((Text(" "), x, Text(" "))) for x in order)))
    elif isinstance(node, (ListRef, RuleRef)):
        raise DataError(f"cannot list the texts of a template with {node!r}")
