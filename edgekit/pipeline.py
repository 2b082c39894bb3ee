"""The edge pipeline: text -> normalization (e.g. en-itn) -> the domain grammar's parse -> when the grammar
finds no frame, a learned head predicts the intent with a confidence and a "not understood" threshold.

Every answer says where it came from: the grammar (rule, file:line, trace, typed slots) or the head
(intent and score). The head learns on the device without keeping exemplars: `teach` adds one text's
statistics, `forget` / `forget_intent` remove them exactly (analytic head with per-class statistics).
What the head reads is the *domain-normalized* text (synonyms, numbers ... in canonical form), so one
teaching covers the variants the grammar's lexicon knows.

To make `forget(text)` exact without storing texts, the pipeline keeps a table of 128-bit BLAKE2b digests
of the texts it was taught, with their intents and counts: enough to find the label to subtract and to
refuse forgetting something never taught (which would corrupt the statistics), not enough to recover a
text (though, like any hash, it confirms a guessed one). `forget` removes the digest too.

A fresh pipeline is seeded from the grammar: phrasings sampled from each intent rule's templates (the
multiplication rule, as `expand` enumerates them), each part rendered as the grammar normalizes it,
teach the head that intent, so paraphrases the grammar does not cover exactly are still recognized.

On disk a pipeline is one directory: `pipeline.json` (settings, digests, the names and checksums of
the other files), the compiled forests (`*.forestc`) and the head state (`head-<token>.state`); a crash
during `save` leaves the old or the new pipeline, never a mix (format: edgekit.pipeline_dir). `export`
writes the runtime form: compiled forests + ONNX head (`head.onnx`), which `Pipeline.load` runs with
onnxruntime (asking only; teaching needs the trainable directory).
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import pipeline_dir
from .errors import DataError, EdgekitError, ModelFileError
from .forest.forest import NO_INTENT
from .pipeline_dir import PIPELINE_FILE

DEFAULT_NORMALIZER = "en-itn"
NONE_CLASS = "__none__"


@dataclass
class Answer:
    """What the pipeline understood of one text, and where it came from.

    source is "grammar" (intent, slots, rule, where and trace from the grammar), "head" (intent and its
    `score` from the learned head: its ridge estimate, clipped to 0..1, about 1 for what it was taught and
    about 0 for text sharing nothing with any intent), or None: not understood (then `reason` says why
    and `guess` / `score` give the head's best intent below the threshold, if there is a head)."""

    text: str
    normalized: str
    intent: str | None = None
    source: str | None = None
    score: float | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    rule: str | None = None
    where: str | None = None
    trace: Any = None
    guess: str | None = None
    reason: str | None = None

    @property
    def understood(self) -> bool:
        return self.intent is not None

    def to_dict(self, trace: bool = False) -> dict[str, Any]:
        """JSON-ready record; the digestion tree is included only with trace=True (it is large)."""
        d: dict[str, Any] = {"text": self.text, "normalized": self.normalized, "intent": self.intent,
                             "source": self.source}
        if self.source == "grammar":
            d.update(slots=self.slots, rule=self.rule, where=self.where)
        if self.score is not None:
            d["score"] = round(self.score, 6)
        if self.guess is not None:
            d["guess"] = self.guess
        if self.reason is not None:
            d["reason"] = self.reason
        if trace and self.trace is not None:
            d["trace"] = [n.to_dict() for n in self.trace.nodes]
        return d


class Pipeline:
    """normalizer -> grammar -> learned head, with on-device teach / forget and one-directory save/load.

    grammar, normalizer: shipped names, paths or loaded Forests (normalizer=None skips that step).
    threshold: the head's score (see `_head_scores`) below which an answer is "not understood".
    seed_per_intent: phrasings sampled per grammar intent to seed the head (0: no seeding).
    n_features, gamma: the head's hashed feature size and ridge strength. The head is an
    AnalyticClassifier with per-class statistics (exact forget_intent; it costs n_features^2 floats
    per intent) and no intercept, so text sharing nothing with what was taught scores near zero for
    every intent and stays below the threshold instead of falling to the most frequent intent.
    """

    def __init__(self, grammar: Any, normalizer: Any = DEFAULT_NORMALIZER, *, threshold: float = 0.5,
                 seed_per_intent: int = 48, n_features: int = 512, gamma: float = 0.1,
                 random_state: int = 0) -> None:
        _check_threshold(threshold)
        self.grammar = _forest(grammar)
        self.normalizer = None if normalizer is None else _forest(normalizer)
        self.sources = {"grammar": _name(grammar, self.grammar),
                        "normalizer": None if normalizer is None else _name(normalizer, self.normalizer)}
        self.threshold = float(threshold)
        self.head: Any = None
        self.head_params = {"n_features": int(n_features), "gamma": float(gamma), "random_state": int(random_state)}
        self._taught: dict[str, dict[str, int]] = {}
        if seed_per_intent:
            self.seed(seed_per_intent, random_state)

    # ---- asking ----------------------------------------------------------------------------------
    def ask(self, text: str) -> Answer:
        """Understand one text (see Answer)."""
        return self.ask_many([text])[0]

    def ask_many(self, texts: Iterable[str]) -> list[Answer]:
        """Understand many texts; the head scores every grammar rejection in one batch."""
        answers = [self._grammar_answer(t) for t in texts]
        pending = [a for a in answers if not a.understood]
        if pending and self._head_ready():
            labels, scores = self._head_scores([a.trace.output for a in pending])
            for a, row in zip(pending, scores):
                best = int(row.argmax())
                a.score = min(max(float(row[best]), 0.0), 1.0)
                if a.score >= self.threshold:
                    a.intent, a.source, a.reason = labels[best], "head", None
                else:
                    a.guess = labels[best]
                    a.reason = (f"the learned head's best guess {labels[best]!r} scores {a.score:.2f}, below the "
                                f"threshold {self.threshold:g}; grammar: {a.reason}")
        return answers

    def _head_scores(self, inputs: list[str]) -> tuple[list[str], Any]:
        """The head's ridge score per intent (n_inputs, n_intents). A score estimates how strongly an input
        belongs to an intent: about 1 for what was taught, about 0 for text sharing nothing with it (the
        head's softmax probabilities cannot say "none of these": they sum to 1 over the known intents)."""
        if hasattr(self.head, "decision_function"):
            return [str(c) for c in self.head.classes_], self.head.decision_function(inputs)
        import numpy as np  # an exported head: scores recovered from its zero-score reference class

        proba = np.asarray(self.head.predict_proba(inputs), dtype=np.float64)
        labels = [str(c) for c in self.head.classes_]
        ref = labels.index(NONE_CLASS)
        with np.errstate(divide="ignore"):
            scores = np.log(proba) - np.log(proba[:, ref:ref + 1])
        keep = [j for j in range(len(labels)) if j != ref]
        return [labels[j] for j in keep], scores[:, keep]

    def _grammar_answer(self, text: str) -> Answer:
        if not isinstance(text, str):
            raise DataError(f"expected text (str), got {type(text).__name__}")
        normalized = self.normalizer.normalize(text) if self.normalizer is not None else text
        trace = self.grammar.explain(normalized)
        if trace.frame is None and normalized != text:
            raw = self.grammar.explain(text)  # the grammar may expect the words the normalizer rewrote
            if raw.frame is not None:
                trace = raw
        frame = trace.frame
        if frame is None:
            return Answer(text, normalized, trace=trace,
                          reason=trace.rejection or NO_INTENT)
        slots = {k: s.to_dict() for k, s in frame.slots.items()}
        if trace.input != text:  # the grammar read the normalized text: give spans in the caller's text
            spans = _input_spans(self.normalizer.explain(text))
            for slot in slots.values():
                if "span" in slot:
                    slot["span"] = spans(*slot["span"])
        return Answer(text, normalized, frame.intent, "grammar", None, slots, frame.rule, frame.where, trace)

    def head_input(self, text: str) -> str:
        """What the head reads for a text: normalized, then rewritten by the grammar's lexicon and rules."""
        normalized = self.normalizer.normalize(text) if self.normalizer is not None else text
        return self.grammar.normalize(normalized)

    def _head_ready(self) -> bool:
        return self.head is not None and len(self.head.classes_) > 0

    # ---- learning --------------------------------------------------------------------------------
    def teach(self, text: str, intent: str) -> None:
        """Learn that `text` means `intent` (new intents welcome); nothing of the text is stored."""
        self.teach_many([text], [intent])

    def teach_many(self, texts: list[str], intents: list[str]) -> None:
        """Learn several (text, intent) pairs in one update."""
        texts, intents = list(texts), [_check_intent(i) for i in intents]
        if len(texts) != len(intents):
            raise DataError(f"{len(texts)} texts but {len(intents)} intents")
        if not texts:
            return
        self._learn([self.head_input(_check_text(t)) for t in texts], intents)

    def _learn(self, inputs: list[str], intents: list[str]) -> None:
        """Add head inputs to the head and their digests to the table of taught texts."""
        self._trainable_head().partial_fit(inputs, intents)
        for x, intent in zip(inputs, intents):
            counts = self._taught.setdefault(_digest(x), {})
            counts[intent] = counts.get(intent, 0) + 1

    def forget(self, text: str, intent: str | None = None) -> str:
        """Unlearn one teaching of `text` exactly; returns the intent it was taught as. `intent` is needed
        only when the same text was taught as several intents. A text never taught is refused."""
        x = self.head_input(_check_text(text))
        key = _digest(x)
        counts = self._taught.get(key, {})
        if intent is None:
            if len(counts) > 1:
                raise DataError(f"{text!r} was taught as {', '.join(sorted(counts))}; say which intent to forget")
            intent = next(iter(counts), None)
        if intent is None or counts.get(intent, 0) == 0:
            raise DataError(f"{text!r} was never taught{f' as {intent!r}' if intent else ''}; nothing to forget")
        self._trainable_head().forget([x], [intent])
        counts[intent] -= 1
        if not counts[intent]:
            del counts[intent]
        if not counts:
            del self._taught[key]
        return intent

    def forget_intent(self, intent: str) -> int:
        """Unlearn every teaching of an intent exactly (seeded ones too); returns how many texts it had."""
        head = self._trainable_head()
        known = [str(c) for c in head.classes_] if hasattr(head, "classes_") else []
        if intent not in known:
            raise DataError(f"the head has learned no intent {intent!r} (learned: {', '.join(known) or 'none'})")
        count = int(head.class_count_[known.index(intent)])
        head.forget_class(intent)
        for key in list(self._taught):
            self._taught[key].pop(intent, None)
            if not self._taught[key]:
                del self._taught[key]
        return count

    def seed(self, per_intent: int = 48, random_state: int = 0) -> dict[str, int]:
        """Teach the head phrasings sampled from each grammar intent rule; returns how many per intent."""
        phrasings = seed_phrasings(self.grammar, per_intent, random_state)
        texts = [t for ts in phrasings.values() for t in ts]
        intents = [i for i, ts in phrasings.items() for _ in ts]
        if texts:  # already domain-normalized part by part: learned as they are, not rewritten as sentences
            self._learn(texts, intents)
        return {i: len(ts) for i, ts in phrasings.items()}

    def _trainable_head(self) -> Any:
        if self.head is None:
            from .learn import AnalyticClassifier, HashingTextFeaturizer

            p = self.head_params
            self.head = AnalyticClassifier(gamma=p["gamma"], per_class_stats=True, fit_intercept=False,
                                           random_state=p["random_state"],
                                           featurizer=HashingTextFeaturizer(n_features=p["n_features"]))
        if not hasattr(self.head, "partial_fit"):
            raise EdgekitError("this is an exported (runtime) pipeline: it can answer but not learn; teach "
                               "the trainable pipeline and export it again")
        return self.head

    @property
    def intents(self) -> dict[str, list[str]]:
        """Intents by source: the grammar's and the learned head's."""
        learned = [str(c) for c in self.head.classes_ if str(c) != NONE_CLASS] if self._head_ready() else []
        return {"grammar": list(self.grammar.intents), "head": learned}

    def info(self) -> dict[str, Any]:
        """A JSON-ready summary: sources, threshold, intents, per-intent counts of the head."""
        head = None
        if self._head_ready():
            head = self.head.info() if hasattr(self.head, "info") else {"kind": "onnx (runtime)"}
            head = {k: head[k] for k in ("kind", "counts", "n_features_in", "state_bytes") if k in head}
        return {**self.sources, "threshold": self.threshold, "intents": self.intents, "head": head,
                "taught_texts": sum(sum(c.values()) for c in self._taught.values())}

    # ---- files -----------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> None:
        """Write the whole pipeline into one directory, atomically (see edgekit.pipeline_dir). For
        read-modify-write across processes, hold `edgekit.storage.file_lock(directory / "pipeline.json")`."""
        if self.head is not None and not hasattr(self.head, "partial_fit"):
            raise EdgekitError("an exported pipeline cannot be saved as a trainable one; export it instead")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        head = None
        if self.head is not None and hasattr(self.head, "classes_"):
            name = f"head-{secrets.token_hex(6)}.state"
            self.head.save(directory / name)
            head = (name, pipeline_dir.sha256_file(directory / name))
        self._commit(directory, "trainable", head)

    def export(self, directory: str | os.PathLike) -> None:
        """Write the runtime form: compiled forests and the head as ONNX (`head.onnx`), for onnxruntime.
        A directory holding a trainable pipeline is refused (the export would replace it and delete its head)."""
        directory = Path(directory)
        if pipeline_dir.existing_kind(directory) == "trainable":
            raise EdgekitError(f"{directory} holds a trainable pipeline; exporting there would replace it and "
                               f"delete its learned head (export to another directory)")
        directory.mkdir(parents=True, exist_ok=True)
        head = None
        if self._head_ready():
            from exporters import export

            export(_ScoresView(self.head), directory / pipeline_dir.RUNTIME_HEAD)
            head = (pipeline_dir.RUNTIME_HEAD, pipeline_dir.sha256_file(directory / pipeline_dir.RUNTIME_HEAD))
        self._commit(directory, "runtime", head)

    def _commit(self, directory: Path, kind: str, head: tuple[str, str] | None) -> None:
        members = {"grammar": pipeline_dir.write_forest(directory, "grammar", self.grammar), "head": head,
                   "normalizer": None if self.normalizer is None else
                   pipeline_dir.write_forest(directory, "normalizer", self.normalizer)}
        meta = {"kind": kind, "threshold": self.threshold, "sources": self.sources, "head_params": self.head_params,
                "taught": self._taught if kind == "trainable" else {}}
        pipeline_dir.commit(directory, meta, members)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Pipeline":
        """Read a pipeline saved by `save` (trainable) or `export` (runtime); every file is checked. A save
        running meanwhile is no failure: the old or the new pipeline is read (see edgekit.pipeline_dir)."""
        directory = Path(directory)
        return pipeline_dir.read_consistently(directory, lambda meta, paths: cls._from_files(directory, meta, paths))

    @classmethod
    def _from_files(cls, directory: Path, meta: dict, paths: dict[str, Path | None]) -> "Pipeline":
        from .forest import load_forest

        where = directory / PIPELINE_FILE
        try:
            self = cls.__new__(cls)
            self.grammar = load_forest(paths["grammar"])
            self.normalizer = load_forest(paths["normalizer"]) if paths["normalizer"] else None
            self.sources = {"grammar": str(meta["sources"]["grammar"]),
                            "normalizer": meta["sources"]["normalizer"] and str(meta["sources"]["normalizer"])}
            _check_threshold(meta["threshold"])
            self.threshold = float(meta["threshold"])
            self.head_params = dict(meta["head_params"])
            self._taught = _taught_table(meta["taught"])
            self.head = None
        except (KeyError, TypeError, AttributeError, ValueError, DataError) as exc:
            raise ModelFileError(f"{where}: malformed pipeline ({type(exc).__name__}: {exc})") from None
        if paths["head"] is not None and paths["head"].name == pipeline_dir.RUNTIME_HEAD:
            self.head = _runtime_head(paths["head"])
        elif paths["head"] is not None:
            from .learn import load_head

            self.head = load_head(paths["head"])
        return self

    def __repr__(self) -> str:
        return (f"Pipeline(grammar={self.sources['grammar']!r}, normalizer={self.sources['normalizer']!r}, "
                f"threshold={self.threshold:g}, head_intents={self.intents['head']})")


class _ScoresView:
    """The trainable head as the runtime export sees it: its ridge scores, unscaled (softmax_scale 1), plus
    a reference class NONE_CLASS whose score is always 0. From the exported probabilities softmax([s, 0])
    the runtime recovers every score exactly: s_j = log p_j - log p_none (see Pipeline._head_scores)."""

    def __init__(self, head: Any) -> None:
        import numpy as np

        self._head = head
        self.classes_ = np.array([str(c) for c in head.classes_] + [NONE_CLASS])
        self.featurizer = head.featurizer
        self.n_features_in_ = head.n_features_in_
        self.activation = head.activation

    def weights_for_export(self, dtype: Any = None) -> dict[str, Any]:
        import numpy as np

        w = self._head.weights_for_export(dtype)
        zero_row = np.zeros((1, w["coef"].shape[1]), dtype=w["coef"].dtype)
        return {**w, "coef": np.vstack([w["coef"], zero_row]), "intercept": np.append(w["intercept"], 0),
                "softmax_scale": np.asarray(1, dtype=w["softmax_scale"].dtype)}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {**self._head.get_params(deep), "pipeline_scores": True}


def _runtime_head(path: Path) -> Any:
    """The exported head, refused unless it is what Pipeline.export writes: a text head with the reference class."""
    from .runtime import OnnxModel

    head = OnnxModel(path)
    if head.feature_layout.get("kind") != "text" or NONE_CLASS not in [str(c) for c in head.classes_]:
        raise ModelFileError(f"{path}: not a pipeline head (a text model with the {NONE_CLASS!r} reference class, "
                             f"as Pipeline.export writes)")
    return head


# ---- seeding ---------------------------------------------------------------------------------------
def seed_phrasings(forest: Any, per_intent: int, random_state: int = 0) -> dict[str, list[str]]:
    """Per grammar intent, up to `per_intent` distinct phrasings sampled from its rules' templates: an
    alternative or repeat count chosen uniformly, an optional part half the time, and every part a rule
    references rendered as the grammar normalizes it (so the texts look like what the head reads)."""
    from .forest.expand import Expander

    expander = Expander(forest.artifact)
    rng = random.Random(random_state)
    out: dict[str, list[str]] = {}
    rules = [m for m in forest.artifact["matchers"] if m.get("intent")]
    for intent in sorted({m["intent"] for m in rules}):
        mine = [m for m in rules if m["intent"] == intent]
        seen: dict[str, None] = {}
        for _ in range(per_intent * 8):
            if len(seen) >= per_intent:
                break
            m = rng.choice(mine)
            words = _sample(m["template"], expander, rng, forest.normalize, top=True)
            text = " ".join(w for w in words if w)
            if text:
                seen.setdefault(text, None)
        out[intent] = list(seen)
    return out


def _sample(node: list, ex: Any, rng: random.Random, render: Any, top: bool = False) -> list[str]:
    tag = node[0]
    if tag == "lit":
        return [node[1]]
    if tag == "ref":
        ms = ex.by_class.get(node[1])
        if not ms:
            return [str(rng.randint(2, 60)) if node[1] in ("digits", "number") else node[1]]
        words = _sample(rng.choice(ms)["template"], ex, rng, render)
        return [render(" ".join(words))] if top else words
    if tag == "seq":
        return [w for c in node[1] for w in _sample(c, ex, rng, render, top)]
    if tag == "alt":
        return _sample(rng.choice(node[1]), ex, rng, render, top)
    if tag == "opt":
        return _sample(node[1], ex, rng, render, top) if rng.random() < 0.5 else []
    if tag == "rep":
        hi = node[3] if node[3] is not None else node[2] + 1
        return [w for _ in range(rng.randint(node[2], hi)) for w in _sample(node[1], ex, rng, render, top)]
    raise ValueError(f"unknown template node {tag!r}")


# ---- helpers ---------------------------------------------------------------------------------------
def _input_spans(trace: Any) -> Any:
    """From a normalizer's trace, a function mapping a span of its output to the span of the input it
    came from (the input extent of every top-level element the output span touches)."""
    pieces, cursor = [], 0  # (output start, output end, input start, input end) per top-level element
    for node in trace.nodes:
        at = trace.output.find(node.text, cursor)
        if at < 0 or at > cursor + 1:
            at = cursor
        pieces.append((at, at + len(node.text), node.start, node.end))
        cursor = at + len(node.text)

    def to_input(start: int, end: int) -> list[int]:
        hit = [p for p in pieces if p[0] < end and p[1] > start] or [p for p in pieces if p[0] <= start <= p[1]]
        if not hit:
            return [start, end]
        return [min(p[2] for p in hit), max(p[3] for p in hit)]

    return to_input


def _forest(g: Any) -> Any:
    if hasattr(g, "normalize") and hasattr(g, "explain"):
        return g
    from .forest import load_forest

    return load_forest(g)


def _name(given: Any, forest: Any) -> str:
    """How a grammar was named by the caller (a shipped name or path), else the forest's own source."""
    return str(given) if isinstance(given, (str, os.PathLike)) else str(forest.source)


def _digest(text: str) -> str:
    """The taught-table key of a head input (surrogatepass: any str hashes, even a lone surrogate)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_DIGEST = re.compile(r"[0-9a-f]{32}")


def _taught_table(taught: Any) -> dict[str, dict[str, int]]:
    """The taught-texts table of a pipeline.json, refused (ValueError) unless every key is a digest and
    every count a positive integer."""
    if not isinstance(taught, dict):
        raise ValueError("taught is not an object")
    table: dict[str, dict[str, int]] = {}
    for key, counts in taught.items():
        if not _DIGEST.fullmatch(key) or not isinstance(counts, dict):
            raise ValueError(f"taught entry {str(key)[:40]!r} is malformed")
        for intent, n in counts.items():
            if type(n) is not int or n < 1:
                raise ValueError(f"taught count {str(n)[:40]} for {str(intent)[:40]!r} is not a positive integer")
        table[key] = {_check_intent(i): n for i, n in counts.items()}
    return table


def _check_text(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"expected a non-empty text, got {text!r}")
    return text


def _check_intent(intent: Any) -> str:
    if not isinstance(intent, str) or not intent.strip() or intent != intent.strip():
        raise DataError(f"an intent name must be a non-empty string without surrounding spaces, got {intent!r}")
    if intent == NONE_CLASS:
        raise DataError(f"{NONE_CLASS!r} is reserved (the exported head's reference class)")
    return intent


def _check_threshold(threshold: Any) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise DataError(f"threshold must be a number between 0 and 1, got {threshold!r}")
