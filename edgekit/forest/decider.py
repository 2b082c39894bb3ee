"""Deciders: a word class whose membership a small learned linear model answers (plain Python).

A grammar declares `data NAME = decide "model.json" /REGEX/`: a word token belongs to NAME when it matches
REGEX in full and the model's best class for it is the model's `accept` class. The model reads the token
through `char_ngram_counts` (hashed character n-grams) and scores it with `coef @ x + intercept`; it is
trained by a higher layer (edgekit.learn's analytic head, e.g. grammars/en/tn/train_acronyms.py) and
written by `model_json`. The forest never imports edgekit.learn: this module only reads the weights.

Model file: JSON with format, version, features {kind, ngram_range, n_features}, classes, accept, coef
(n_classes x n_features), intercept (n_classes) and sha256, the SHA-256 of the canonical JSON of all the
other fields (sorted keys, no spaces), so a damaged or edited file is refused."""
from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    import numpy as np

from ..limits import MAX_DECIDER_CACHE

FORMAT = "edgekit-decider"
VERSION = 1
MAX_FEATURES = 1 << 16
MAX_CLASSES = 16
MAX_NGRAM = 8


class DeciderError(ValueError):
    """A model file that is not a valid decider (the message says what is wrong)."""


@functools.lru_cache(maxsize=MAX_DECIDER_CACHE)
def _hash64(gram: str) -> int:
    return int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(), "little")


def char_ngram_counts(token: str, n_features: int, ngram_range: tuple[int, int]) -> dict[int, float]:
    """The signed hashed counts (feature index -> count, zeros left out) of the character n-grams of
    `<token>` (case kept), of the same n-grams of its vowel/consonant shape (`NASA` -> `<CVCV>`, which says
    whether it can be pronounced), and its length."""
    s = f"<{token}>"
    shape = "".join("V" if c in "AEIOUaeiou" else "C" if c.isalpha() else c for c in s)
    grams = [t[i:i + n] for t in (s, "#" + shape) for n in range(ngram_range[0], ngram_range[1] + 1)
             for i in range(len(t) - n + 1)]
    grams.append(f"#len{min(len(token), 9)}")
    counts: dict[int, float] = {}
    for g in grams:
        h = _hash64(g)
        k = h % n_features
        counts[k] = counts.get(k, 0.0) + (1.0 if h >> 63 else -1.0)
    return {k: v for k, v in counts.items() if v}


def char_ngram_features(token: str, n_features: int, ngram_range: tuple[int, int]) -> np.ndarray:
    """`char_ngram_counts` as a dense, l2-normalized vector (what a model is trained on)."""
    np = _np()
    x = np.zeros(n_features)
    for k, v in char_ngram_counts(token, n_features, ngram_range).items():
        x[k] = v
    norm = float(np.linalg.norm(x))
    return x / norm if norm else x


def _np():
    import numpy

    return numpy


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def model_json(classes: list[str], accept: str, coef: np.ndarray, intercept: np.ndarray,
               n_features: int, ngram_range: tuple[int, int], about: str) -> str:
    """The text of a model file (checksummed), from a trained linear scorer."""
    payload = {"format": FORMAT, "version": VERSION, "about": about,
               "features": {"kind": "char-ngrams", "ngram_range": list(ngram_range), "n_features": n_features},
               "classes": list(classes), "accept": accept,
               "coef": [[float(v) for v in row] for row in _np().asarray(coef, dtype=_np().float64)],
               "intercept": [float(v) for v in _np().asarray(intercept, dtype=_np().float64)]}
    payload["sha256"] = hashlib.sha256(_canonical(payload)).hexdigest()
    return json.dumps(payload, sort_keys=True, indent=0) + "\n"


def check_model(model: Any) -> dict[str, Any]:
    """The model (a parsed model file) if every field has its type, range and checksum; else DeciderError."""
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise DeciderError(f"not an {FORMAT} model file")
    if model.get("version") != VERSION:
        raise DeciderError(f"unsupported decider version {model.get('version')!r} (this edgekit reads {VERSION})")
    body = {k: v for k, v in model.items() if k != "sha256"}
    try:
        digest = hashlib.sha256(_canonical(body)).hexdigest()
    except (TypeError, ValueError):
        raise DeciderError("model file holds values that are not plain JSON numbers") from None
    if model.get("sha256") != digest:
        raise DeciderError("checksum mismatch (the model file is damaged or was edited)")
    feats = model.get("features")
    if not isinstance(feats, dict) or feats.get("kind") != "char-ngrams":
        raise DeciderError("features must be {kind: char-ngrams, ...}")
    n, rng = feats.get("n_features"), feats.get("ngram_range")
    if type(n) is not int or not 1 <= n <= MAX_FEATURES:
        raise DeciderError(f"n_features must be an integer in 1..{MAX_FEATURES}")
    if not (isinstance(rng, list) and len(rng) == 2 and all(type(v) is int for v in rng)
            and 1 <= rng[0] <= rng[1] <= MAX_NGRAM):
        raise DeciderError(f"ngram_range must be [lo, hi] with 1 <= lo <= hi <= {MAX_NGRAM}")
    classes = model.get("classes")
    if not (isinstance(classes, list) and 2 <= len(classes) <= MAX_CLASSES
            and all(isinstance(c, str) for c in classes) and len(set(classes)) == len(classes)):
        raise DeciderError(f"classes must be 2..{MAX_CLASSES} distinct strings")
    if model.get("accept") not in classes:
        raise DeciderError("accept must be one of the classes")
    coef, icpt = model.get("coef"), model.get("intercept")
    if not (isinstance(coef, list) and len(coef) == len(classes)
            and all(isinstance(r, list) and len(r) == n for r in coef)
            and isinstance(icpt, list) and len(icpt) == len(classes)):
        raise DeciderError("coef must be n_classes x n_features and intercept n_classes long")
    for v in (*icpt, *(v for r in coef for v in r)):
        if type(v) not in (int, float) or not math.isfinite(v):
            raise DeciderError("weights must be finite numbers")
    return model


class Decider:
    """Answers whether a token belongs to a decided class; scores() shows the evidence (for explain)."""

    def __init__(self, model: dict[str, Any]) -> None:
        model = check_model(model)
        self.classes: list[str] = model["classes"]
        self.accept = self.classes.index(model["accept"])
        self.n_features = model["features"]["n_features"]
        self.ngram_range = tuple(model["features"]["ngram_range"])
        self.coef: list[list[float]] = [[float(v) for v in row] for row in model["coef"]]
        self.intercept: list[float] = [float(v) for v in model["intercept"]]

    def scores(self, token: str) -> dict[str, float]:
        """Each class's score for the token: coef @ x + intercept over the normalized features x, summed over
        the token's few nonzero features only (plain Python: a grammar with a decided class loads without numpy)."""
        counts = char_ngram_counts(token, self.n_features, self.ngram_range)
        norm = math.sqrt(sum(v * v for v in counts.values()))
        x = [(k, v / norm) for k, v in counts.items()] if norm else []
        return {c: b + math.fsum(row[k] * v for k, v in x) for c, row, b in zip(self.classes, self.coef, self.intercept)}

    def accepts(self, token: str) -> bool:
        """True when the accept class scores highest (ties: the earlier class)."""
        s = list(self.scores(token).values())
        return s.index(max(s)) == self.accept


def parse_model(text: str) -> dict[str, Any]:
    """A checked model from a model file's text; DeciderError otherwise."""
    try:
        model = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(DeciderError(f"{c} in model")))
    except RecursionError:
        raise DeciderError("model file nests too deeply") from None
    except ValueError as exc:
        raise DeciderError(f"not JSON ({exc})") from None
    return check_model(model)


class DecidedClasses:
    """The decided word classes of a compiled forest: which of them a word token belongs to."""

    def __init__(self, classes: list[tuple[re.Pattern, int, str, Decider]]) -> None:
        self.classes = classes

    def classes_of(self, word: str) -> list[int]:
        """The type ids of the decided classes that take `word` (the digester caches this per word)."""
        return [tid for rx, tid, _name, d in self.classes if rx.fullmatch(word) and d.accepts(word)]

    def evidence(self, word: str) -> list[tuple[str, dict[str, float]]]:
        """(class name, scores) for each decided class whose pattern the word matches (for explain)."""
        return [(name, d.scores(word)) for rx, _tid, name, d in self.classes if rx.fullmatch(word)]


def decided_classes(data: Sequence[Any]) -> DecidedClasses:
    """The decided classes among a compiled forest's data classes (compiled.DataSpec; the others are span
    regexes)."""
    return DecidedClasses([(re.compile(d.pattern), d.type, d.name, Decider(d.decider))
                           for d in data if d.decider is not None])
