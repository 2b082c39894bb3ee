"""The edge pipeline: text -> normalization (e.g. en-itn) -> the domain grammar's parse -> when the grammar
finds no frame, a learned head predicts the intent with a confidence and a "not understood" threshold.

Every answer says where it came from: the grammar (rule, file:line, trace, typed slots) or the head
(intent and score). The head learns on the device without keeping exemplars: `teach` adds one text's
statistics, `forget` / `forget_intent` remove them exactly (analytic head with per-class statistics).
What the head reads is the *domain-normalized* text (synonyms, numbers ... in canonical form), so one
teaching covers the variants the grammar's lexicon knows.

To make `forget(text)` exact without storing texts, the pipeline keeps a table of 128-bit BLAKE2b hashes
of the texts it was taught, with their intents and counts: enough to find the label to subtract and to
refuse forgetting something never taught (which would corrupt the statistics), not enough to recover a
text (though, like any hash, it confirms a guessed one). `forget` removes the hash too.

A fresh pipeline is seeded from the grammar: phrasings sampled from each intent rule's templates (the
multiplication rule, as `expand` enumerates them), each part rendered as the grammar normalizes it,
teach the head that intent, so paraphrases the grammar does not cover exactly are still recognized.

On disk a pipeline is one directory: `pipeline.json` (settings, text hashes, the names and checksums of
the other files), the compiled forests (`*.forestc`) and the head state (`head-<token>.state`); a crash
during `save` leaves the old or the new pipeline, never a mix (format: edgekit.pipeline_dir). `export`
writes the runtime form: compiled forests + ONNX head (`head.onnx`), which `Pipeline.load` runs with
onnxruntime (asking only; teaching needs the trainable directory).
"""
from __future__ import annotations

import hashlib
import os
import random
import re
import secrets
from pathlib import Path
from typing import Any, Iterable

from .valueclass import field, value_class
from . import pipeline_dir
from .errors import DataError, EdgekitError, ModelFileError, check_text
from .forest.forest import NO_INTENT
from .forest.model import Alt, Lit, Opt, Ref, Rep, Seq
from .pipeline_dir import PIPELINE_FILE
from .pipeline_heads import NONE_CLASS, READ_ONLY, PipelineHead, RuntimeHead, TrainableHead

DEFAULT_NORMALIZER = "en-itn"


@value_class
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
    threshold: the head's score (see edgekit.pipeline_heads) below which an answer is "not understood".
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
        self.head: PipelineHead | None = None
        self.head_params = {"n_features": int(n_features), "gamma": float(gamma), "random_state": int(random_state)}
        self._taught: dict[str, dict[str, int]] = {}
        if seed_per_intent:
            self.seed(seed_per_intent, random_state)

    # ---- asking ----------------------------------------------------------------------------------
    def ask(self, text: str, trace: bool = True) -> Answer:
        """Understand one text (see Answer)."""
        return self.ask_many([text], trace)[0]

    def ask_many(self, texts: Iterable[str], trace: bool = True) -> list[Answer]:
        """Understand many texts; the head scores every grammar rejection in one batch. With trace=False
        the answers carry no digestion tree (it is built, once per text, only when asked for)."""
        answers = [self._grammar_answer(t, trace) for t in texts]
        pending = [a for a in answers if not a.understood]
        if pending and self._head_ready():
            labels, scores = self.head.scores([self._grammar_output(a) for a in pending])
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

    def _grammar_answer(self, text: str, trace: bool) -> Answer:
        """The grammar's answer: its frame for the normalized text, or for the text as given (the grammar
        may expect words the normalizer rewrote); the tree, when wanted, of the text the answer came from."""
        text = check_text(text)
        normalized = self.normalizer.normalize(text) if self.normalizer is not None else text
        frame, reason = self.grammar.parse_with_reason(normalized)
        chosen = normalized
        if frame is None and normalized != text:
            raw = self.grammar.parse(text)
            if raw is not None:
                frame, chosen = raw, text
        tree = self.grammar.explain(chosen) if trace else None
        if frame is None:
            return Answer(text, normalized, trace=tree, reason=reason or NO_INTENT)
        slots = {k: s.to_dict() for k, s in frame.slots.items()}
        if chosen != text:  # the grammar read the normalized text: give spans in the caller's text
            spans = _input_spans(self.normalizer.explain(text))
            for slot in slots.values():
                if "span" in slot:
                    slot["span"] = spans(*slot["span"])
        return Answer(text, normalized, frame.intent, "grammar", None, slots, frame.rule, frame.where, tree)

    def _grammar_output(self, answer: Answer) -> str:
        """What the head reads for a grammar rejection: the grammar's rewrite of the normalized text."""
        return answer.trace.output if answer.trace is not None else self.grammar.normalize(answer.normalized)

    def head_input(self, text: str) -> str:
        """What the head reads for a text: normalized, then rewritten by the grammar's lexicon and rules."""
        normalized = self.normalizer.normalize(text) if self.normalizer is not None else text
        return self.grammar.normalize(normalized)

    def _head_ready(self) -> bool:
        return self.head is not None and len(self.head.labels) > 0

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
        self._learn([self.head_input(_check_taught(t)) for t in texts], intents)

    def _learn(self, inputs: list[str], intents: list[str]) -> None:
        """Add head inputs to the head and their hashes to the table of taught texts."""
        self._trainable_head().learn(inputs, intents)
        for x, intent in zip(inputs, intents):
            counts = self._taught.setdefault(_text_hash(x), {})
            counts[intent] = counts.get(intent, 0) + 1

    def forget(self, text: str, intent: str | None = None) -> str:
        """Unlearn one teaching of `text` exactly; returns the intent it was taught as. `intent` is needed
        only when the same text was taught as several intents. A text never taught is refused."""
        x = self.head_input(_check_taught(text))
        key = _text_hash(x)
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
        if intent not in head.labels:
            raise DataError(f"the head has learned no intent {intent!r} (learned: {', '.join(head.labels) or 'none'})")
        count = head.forget_intent(intent)
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

    def _trainable_head(self) -> PipelineHead:
        if self.head is None:
            p = self.head_params
            self.head = TrainableHead.new(p["n_features"], p["gamma"], p["random_state"])
        if not self.head.can_learn:
            raise EdgekitError(READ_ONLY)
        return self.head

    @property
    def intents(self) -> dict[str, list[str]]:
        """Intents by source: the grammar's and the learned head's."""
        learned = self.head.labels if self._head_ready() else []
        return {"grammar": list(self.grammar.intents), "head": learned}

    def info(self) -> dict[str, Any]:
        """A JSON-ready summary: sources, threshold, intents, per-intent counts of the head."""
        head = None
        if self._head_ready():
            head = self.head.info()
            head = {k: head[k] for k in ("kind", "counts", "n_features_in", "state_bytes") if k in head}
        return {**self.sources, "threshold": self.threshold, "intents": self.intents, "head": head,
                "taught_texts": sum(sum(c.values()) for c in self._taught.values())}

    # ---- files -----------------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike) -> None:
        """Write the whole pipeline into one directory, atomically (see edgekit.pipeline_dir). For
        read-modify-write across processes, hold `edgekit.storage.file_lock(directory / "pipeline.json")`."""
        if self.head is not None and not self.head.can_learn:
            raise EdgekitError("an exported pipeline cannot be saved as a trainable one; export it instead")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        head = None
        if self.head is not None and self.head.fitted:
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
            self.head.export(directory / pipeline_dir.RUNTIME_HEAD)
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
            self.head = RuntimeHead.load(paths["head"])
        elif paths["head"] is not None:
            self.head = TrainableHead.load(paths["head"])
        return self

    def __repr__(self) -> str:
        return (f"Pipeline(grammar={self.sources['grammar']!r}, normalizer={self.sources['normalizer']!r}, "
                f"threshold={self.threshold:g}, head_intents={self.intents['head']})")


# ---- seeding ---------------------------------------------------------------------------------------
def seed_phrasings(forest: Any, per_intent: int, random_state: int = 0) -> dict[str, list[str]]:
    """Per grammar intent, up to `per_intent` distinct phrasings sampled from its rules' templates: an
    alternative or repeat count chosen uniformly, an optional part half the time, and every part a rule
    references rendered as the grammar normalizes it (so the texts look like what the head reads)."""
    from .forest.expand import Expander

    expander = Expander(forest.compiled)
    rng = random.Random(random_state)
    out: dict[str, list[str]] = {}
    rules = forest.intent_templates()
    for intent in sorted({i for i, _ in rules}):
        mine = [t for i, t in rules if i == intent]
        seen: dict[str, None] = {}
        for _ in range(per_intent * 8):
            if len(seen) >= per_intent:
                break
            m = rng.choice(mine)
            words = _sample(m, expander, rng, forest.normalize, top=True)
            text = " ".join(w for w in words if w)
            if text:
                seen.setdefault(text, None)
        out[intent] = list(seen)
    return out


def _sample(node: Any, ex: Any, rng: random.Random, render: Any, top: bool = False) -> list[str]:
    """One random phrasing of a template (forest.model nodes)."""
    match node:
        case Lit(word):
            return [word]
        case Ref(name):
            ms = ex.by_class.get(name)
            if not ms:
                return [str(rng.randint(2, 60)) if name in ("digits", "number") else name]
            words = _sample(rng.choice(ms).template, ex, rng, render)
            return [render(" ".join(words))] if top else words
        case Seq(items):
            return [w for c in items for w in _sample(c, ex, rng, render, top)]
        case Alt(items):
            return _sample(rng.choice(items), ex, rng, render, top)
        case Opt(item):
            return _sample(item, ex, rng, render, top) if rng.random() < 0.5 else []
        case Rep(item, lo, hi):
            hi = hi if hi is not None else lo + 1
            return [w for _ in range(rng.randint(lo, hi)) for w in _sample(item, ex, rng, render, top)]
    raise ValueError(f"unknown template node {node!r}")


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


def _text_hash(text: str) -> str:
    """The 128-bit BLAKE2b hash by which the table of taught texts knows a text (not the text itself);
    surrogatepass, so any str hashes, even one with a lone surrogate."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


_TEXT_HASH = re.compile(r"[0-9a-f]{32}")


def _taught_table(taught: Any) -> dict[str, dict[str, int]]:
    """The taught-texts table of a pipeline.json, refused (ValueError) unless every key is a text hash and
    every count a positive integer."""
    if not isinstance(taught, dict):
        raise ValueError("taught is not an object")
    table: dict[str, dict[str, int]] = {}
    for key, counts in taught.items():
        if not _TEXT_HASH.fullmatch(key) or not isinstance(counts, dict):
            raise ValueError(f"taught entry {str(key)[:40]!r} is malformed")
        for intent, n in counts.items():
            if type(n) is not int or n < 1:
                raise ValueError(f"taught count {str(n)[:40]} for {str(intent)[:40]!r} is not a positive integer")
        table[key] = {_check_intent(i): n for i, n in counts.items()}
    return table


def _check_taught(text: Any) -> str:
    if not isinstance(text, str) or not text.strip():
        raise DataError(f"expected a non-empty text, got {text!r}")
    return text


def _check_intent(intent: Any) -> str:
    if not isinstance(intent, str) or not intent.strip() or intent != intent.strip():
        raise DataError(f"an intent name must be a non-empty string without surrounding spaces, got {intent!r}")
    if intent == NONE_CLASS:
        raise DataError(f"{NONE_CLASS!r} is a reserved intent name")
    return intent


def _check_threshold(threshold: Any) -> None:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise DataError(f"threshold must be a number between 0 and 1, got {threshold!r}")
