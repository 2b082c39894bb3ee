"""Hashed bag of words and word n-grams: text -> fixed-size feature vector with no vocabulary to store.

Text is optionally normalized first (a callable, or a forest grammar's `normalize`, so "switch on" and
"turn on" become the same words), case-folded, split into word tokens, and every n-gram in
`ngram_range` is hashed with blake2b (stable across processes and machines, unlike Python's salted
`hash()`) into one of `n_features` columns with a hash-derived sign (+1/-1, so collisions cancel on
average instead of piling up). Rows are l2-normalized.
"""
from __future__ import annotations

import functools
import hashlib
import re
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ModelFileError
from .validation import InputError

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TEXT_CHARS = 1_000_000


@functools.lru_cache(maxsize=1 << 16)
def _hash64(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


class HashingTextFeaturizer:
    """Turn texts into l2-normalized signed hashed n-gram counts of width `n_features`.

    `normalize` (Callable[[str], str]) is applied first; alternatively `grammar` names a forest grammar
    whose `normalize` is used (loaded lazily, on first use). Only `grammar` survives a save/load: a model
    saved with a custom `normalize` callable needs it set again (`featurizer.normalize = fn`) after loading.
    """

    def __init__(self, n_features: int = 1024, ngram_range: tuple[int, int] = (1, 2),
                 normalize: Callable[[str], str] | None = None, grammar: str | None = None) -> None:
        if not isinstance(n_features, (int, np.integer)) or n_features < 1:
            raise InputError(f"n_features must be a positive integer, got {n_features!r}")
        lo, hi = ngram_range
        if not (1 <= lo <= hi):
            raise InputError(f"ngram_range must satisfy 1 <= min <= max, got {ngram_range!r}")
        self.n_features = int(n_features)
        self.ngram_range = (int(lo), int(hi))
        self.normalize = normalize
        self.grammar = grammar
        self._forest_normalize: Callable[[str], str] | None = None
        self._needs_normalize = False

    def _normalizer(self) -> Callable[[str], str] | None:
        if self.normalize is not None:
            return self.normalize
        if self._needs_normalize:
            raise InputError("this featurizer was saved with a custom normalize function; set "
                             "`featurizer.normalize = your_function` before using it")
        if self.grammar is None:
            return None
        if self._forest_normalize is None:
            import edgekit

            self._forest_normalize = edgekit.load_forest(self.grammar).normalize
        return self._forest_normalize

    def tokens(self, text: str) -> list[str]:
        """The n-grams of one text, in order (what gets hashed)."""
        norm = self._normalizer()
        if norm is not None:
            text = norm(text)
        words = _WORD.findall(text.casefold())
        lo, hi = self.ngram_range
        grams = []
        for n in range(lo, hi + 1):
            grams.extend(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))
        return grams

    def transform(self, texts: Sequence[str]) -> np.ndarray:
        """Feature matrix (len(texts), n_features), float64, each non-empty row of unit l2 norm."""
        if isinstance(texts, str):
            raise InputError("transform expects a list of texts, got a single string")
        out = np.zeros((len(texts), self.n_features), dtype=np.float64)
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise InputError(f"text row {i} is {type(text).__name__}, not a string")
            if len(text) > MAX_TEXT_CHARS:
                raise InputError(f"text row {i} is {len(text)} characters long (limit {MAX_TEXT_CHARS})")
            row = out[i]
            for gram in self.tokens(text):
                h = _hash64(gram)
                row[h % self.n_features] += -1.0 if h >> 63 else 1.0
            norm = np.sqrt(row @ row)
            if norm > 0:
                row /= norm
        return out

    def get_config(self) -> dict[str, Any]:
        """The parameters that define the features (JSON-serializable)."""
        return {"type": "hashing", "n_features": self.n_features, "ngram_range": list(self.ngram_range),
                "grammar": self.grammar, "custom_normalize": self.normalize is not None or self._needs_normalize}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HashingTextFeaturizer) and self.get_config() == other.get_config()

    def __hash__(self) -> int:
        return hash((self.n_features, self.ngram_range, self.grammar))

    def __repr__(self) -> str:
        extra = f", grammar={self.grammar!r}" if self.grammar else ""
        return f"HashingTextFeaturizer(n_features={self.n_features}, ngram_range={self.ngram_range}{extra})"


def featurizer_to_meta(featurizer: HashingTextFeaturizer | None) -> dict[str, Any] | None:
    """A head's featurizer as JSON for its state file (None when the head takes feature vectors)."""
    return None if featurizer is None else featurizer.get_config()


def featurizer_from_meta(meta: dict[str, Any] | None) -> HashingTextFeaturizer | None:
    """Rebuild a featurizer from featurizer_to_meta's output."""
    if meta is None:
        return None
    if meta.get("type") != "hashing":
        raise ModelFileError(f"unknown featurizer type {meta.get('type')!r} in the model file")
    feat = HashingTextFeaturizer(n_features=int(meta["n_features"]), ngram_range=tuple(meta["ngram_range"]),
                                 grammar=meta.get("grammar"))
    feat._needs_normalize = bool(meta.get("custom_normalize"))
    return feat
