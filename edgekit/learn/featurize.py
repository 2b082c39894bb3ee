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
import os
import re
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import InputError, ModelFileError
from ..limits import MAX_FEATURES, MAX_NGRAM, MAX_TEXT_CHARS

_WORD = re.compile(r"\w+", re.UNICODE)


@functools.lru_cache(maxsize=1 << 16)
def _hash64(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


class HashingTextFeaturizer:
    """Turn texts into l2-normalized signed hashed n-gram counts of width `n_features`.

    `normalize` (Callable[[str], str]) is applied first; alternatively `grammar` names a forest grammar
    whose `normalize` is used (loaded lazily, on first use). Only `grammar` survives a save/load: a model
    saved with a custom `normalize` callable needs it set again (`featurizer.normalize = fn`) after loading.
    A model file may only name a shipped grammar or a grammar path relative to the model's own folder
    (so a forged model file cannot make edgekit read other files).
    """

    def __init__(self, n_features: int = 1024, ngram_range: tuple[int, int] = (1, 2),
                 normalize: Callable[[str], str] | None = None, grammar: str | None = None) -> None:
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) \
                or not 1 <= n_features <= MAX_FEATURES:
            raise InputError(f"n_features must be an integer from 1 to {MAX_FEATURES} (edgekit.limits.MAX_FEATURES), "
                             f"got {str(n_features)[:40]!r}")
        lo, hi = ngram_range
        if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (lo, hi)) \
                or not 1 <= lo <= hi <= MAX_NGRAM:
            raise InputError(f"ngram_range must satisfy 1 <= min <= max <= {MAX_NGRAM} (edgekit.limits.MAX_NGRAM), "
                             f"got {str(ngram_range)[:40]!r}")
        self.n_features = int(n_features)
        self.ngram_range = (int(lo), int(hi))
        self.normalize = normalize
        self.grammar = grammar
        self._forest_normalize: Callable[[str], str] | None = None
        self._needs_normalize = False
        self._grammar_path: str | None = None   # where a model file's relative grammar path points

    def _normalizer(self) -> Callable[[str], str] | None:
        if self.normalize is not None:
            return self.normalize
        if self._needs_normalize:
            raise InputError("this featurizer was saved with a custom normalize function; set "
                             "`featurizer.normalize = your_function` before using it")
        if self.grammar is None:
            return None
        if self._forest_normalize is None:
            from ..forest import load_forest

            self._forest_normalize = load_forest(self._grammar_path or _grammar_location(self.grammar)).normalize
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


def featurizer_from_meta(meta: Any, base_dir: str | os.PathLike | None = None) -> HashingTextFeaturizer | None:
    """Rebuild a featurizer from featurizer_to_meta's output, as read from a model file in `base_dir`
    (None: only shipped grammar names are accepted). A malformed entry is a ModelFileError."""
    if meta is None:
        return None
    if not isinstance(meta, dict) or meta.get("type") != "hashing":
        kind = meta.get("type") if isinstance(meta, dict) else type(meta).__name__
        raise ModelFileError(f"unknown featurizer type {kind!r} in the model file")
    try:
        n_features, ngram_range = meta["n_features"], meta["ngram_range"]
        if isinstance(n_features, bool) or not isinstance(n_features, int) or not isinstance(ngram_range, list) \
                or len(ngram_range) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in ngram_range):
            raise ValueError(f"n_features {n_features!r}, ngram_range {ngram_range!r}")
        feat = HashingTextFeaturizer(n_features=n_features, ngram_range=tuple(ngram_range))
    except (KeyError, ValueError, InputError) as exc:
        raise ModelFileError(f"malformed featurizer entry in the model file ({exc})") from None
    grammar = meta.get("grammar")
    if grammar is not None:
        feat.grammar = grammar
        feat._grammar_path = _trusted_grammar(grammar, base_dir)
    feat._needs_normalize = bool(meta.get("custom_normalize"))
    return feat


def featurizer_for_model(model_path: str | os.PathLike, n_features: int = 1024,
                         grammar: str | None = None) -> HashingTextFeaturizer:
    """A featurizer for a new model file at model_path: `grammar` must be a shipped name or a path inside
    the model's folder (stored relative to it, so the saved model can name it and be moved with it)."""
    feat = HashingTextFeaturizer(n_features=n_features)
    if grammar is None:
        return feat
    from ..forest import shipped_grammars

    if grammar in shipped_grammars():
        feat.grammar, feat._grammar_path = grammar, _grammar_location(grammar)
        return feat
    root, full = Path(model_path).resolve().parent, Path(grammar).resolve()
    if not full.exists():
        raise InputError(f"grammar {grammar!r} is neither a shipped grammar ({', '.join(shipped_grammars())}) "
                         f"nor an existing path")
    if not full.is_relative_to(root):
        raise InputError(f"grammar {grammar!r} lies outside the model's folder {str(root)!r}; a model file may "
                         f"only name shipped grammars or grammars in its own folder (copy the grammar there)")
    feat.grammar, feat._grammar_path = os.path.relpath(full, root), str(full)
    return feat


def _trusted_grammar(grammar: Any, base_dir: str | os.PathLike | None) -> str | None:
    """Where a model file's grammar may be loaded from: a shipped name, or a path inside the model's folder."""
    from ..forest import shipped_grammars

    if isinstance(grammar, str) and grammar in shipped_grammars():
        return _grammar_location(grammar)
    if isinstance(grammar, str) and base_dir is not None and grammar and not Path(grammar).is_absolute():
        root = Path(base_dir).resolve()
        full = (root / grammar).resolve()
        if full.is_relative_to(root):
            return str(full)
    raise ModelFileError(f"the model file names grammar {str(grammar)[:80]!r}, which is neither a shipped grammar "
                         f"nor a path inside the model's folder; refusing to load it")


def _grammar_location(grammar: str) -> str:
    """A shipped grammar's own folder for a shipped name (never a same-named file or folder in the working
    directory); any other grammar as given."""
    from ..forest import shipped_grammars
    from ..forest.forest import shipped_grammars_dir

    if grammar in shipped_grammars():
        return str(shipped_grammars_dir().joinpath(*grammar.split("-")))
    return grammar
