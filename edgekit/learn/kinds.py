"""The one name of each learned head kind: in state files, ONNX metadata, `edgekit info` and `--head`."""
from __future__ import annotations

ANALYTIC = "analytic"
KEY_VALUE = "kvb"
KINDS = (ANALYTIC, KEY_VALUE)
OLD_NAMES = {"key_value": KEY_VALUE}
"""Names older files may carry (ONNX models exported before the names were unified)."""


def canonical_kind(name: str) -> str:
    """The current name of a head kind as read from a file (old names mapped, unknown ones returned as given)."""
    return OLD_NAMES.get(name, name)
