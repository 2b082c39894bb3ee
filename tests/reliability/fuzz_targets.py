"""Fuzz targets and input strategies shared by the property tests and benchmarks/fuzz.py.

Each `check_*` function feeds one input to a real edgekit entry point and raises AssertionError (or Hang)
when the outcome is not a documented one: a result, or the documented EdgekitError subclass."""
from __future__ import annotations

import hashlib
import io
import json
import shutil
import struct
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from edgekit.errors import DataError, GrammarError, ModelFileError

from_root = Path(__file__).resolve().parents[2]
GRAMMAR_SETS = {name: {p.name: p.read_text(encoding="utf-8") for p in sorted((from_root / "grammars" / name).glob("*.forest"))}
                for name in ("home", "en/itn", "en/tn") if (from_root / "grammars" / name / "main.forest").is_file()}
HANG_SECONDS = 20.0

# ---- strategies ------------------------------------------------------------------------------------
PIECES = ["lexicon", "rule", "data", "table", "import", "value", "text", "intent", "priority", "list", "{", "}",
          "(", ")", "[", "]", "<", ">", ":", "|", "=", "+", "*", "?", "{2,3}", "{0,99}", "/", '"', "\\", "\n", " ",
          "#", ",", ".", "-", "1", "0.5", "-3", "x", "<number:n>", "<word>", "<any>", "/[a-z]+/", "/(a+)+$/",
          'import "../outside.forest"', 'import "/etc/passwd"', 'list "main.forest"', "value n + 1", "text str(n)",
          "value 1/0", "value t[n]", "\u00e9", "\u5173", "\x00", "\ufffd", "'"]


@st.composite
def mutated_grammar_set(draw) -> dict[str, bytes]:
    """A shipped grammar set with a few random edits (deletions, insertions, duplications) to one file."""
    files = dict(GRAMMAR_SETS[draw(st.sampled_from(sorted(GRAMMAR_SETS)))])
    name = draw(st.sampled_from(sorted(files)))
    text = files[name]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 40)))
        piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)))
        if op == "delete":
            text = text[:i] + text[j:]
        elif op == "insert":
            text = text[:i] + piece + text[i:]
        elif op == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + piece + text[j:]
    files[name] = text
    return {k: v.encode("utf-8", "surrogatepass") for k, v in files.items()}


random_grammar_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from(PIECES), max_size=60).map(" ".join).map(lambda s: s.encode("utf-8")),
)

texts = st.one_of(
    st.text(max_size=120),
    st.lists(st.sampled_from(["one", "twenty", "hundred", "thousand", "point", "minus", "and", "oh", "first",
                              "switch", "on", "the", "lamp", "%", "percent", "5", "12", "-", ".", ",", "$", "a",
                              "minutes", "for", "to", "kitchen", "\u5173", "\u00e9t\u00e9", " "]), max_size=30).map(" ".join),
)


# ---- targets ----------------------------------------------------------------------------------------
def check_grammar_files(files: dict[str, bytes], root: Path) -> None:
    """Load and compile a grammar set written to `root`: a Forest that works, or a GrammarError."""
    from edgekit.forest import load_forest

    from .harness import time_limit

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    for name, data in files.items():
        (root / name).write_bytes(data)
    with time_limit(HANG_SECONDS, "loading a grammar"):
        try:
            forest = load_forest(root / "main.forest", cache=False)
        except GrammarError as exc:
            assert str(exc).strip(), "a GrammarError without a message"
            return
        for text in ("one two three", "switch on the lamp", "x" * 50):
            assert isinstance(forest.normalize(text), str)


def check_forest_text(forest: Any, text: str) -> None:
    """normalize / parse / explain on any text: a string, a frame or None, a trace — never an exception."""
    from .harness import time_limit

    with time_limit(HANG_SECONDS, "digesting a text"):
        out = forest.normalize(text)
        frame = forest.parse(text)
        trace = forest.explain(text)
    assert isinstance(out, str)
    assert (frame is None) == (trace.frame is None)
    str(trace)


def check_line_reader(data: bytes, jsonl: bool) -> None:
    """The CLI's record reader: one record per input line, in order, each a str; bad lines carry an error."""
    from edgekit.textio import read_records

    records = list(read_records(jsonl=jsonl, stdin=io.BytesIO(data)))
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    assert len(records) == len(lines), (len(records), len(lines))
    for k, (rec, raw) in enumerate(zip(records, lines), 1):
        assert rec.lineno == k and isinstance(rec.text, str)
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            assert rec.error and "UTF-8" in rec.error


def check_training_file(data: bytes, suffix: str, root: Path) -> None:
    """`edgekit learn`'s training-file reader: records, or a DataError naming the file."""
    from edgekit.learn.datafile import read_training_file

    root.mkdir(parents=True, exist_ok=True)
    path = root / f"data{suffix}"
    path.write_bytes(data)
    try:
        batch = read_training_file(path)
    except DataError as exc:
        assert str(path) in str(exc), str(exc)
        return
    assert len(batch.labels) > 0
    if not batch.is_text:
        assert batch.X.shape[0] == len(batch.labels) and np.isfinite(batch.X).all()


def check_vector_line(line: str) -> None:
    """`edgekit predict`'s feature-vector parser: finite numbers, or a DataError."""
    from edgekit.learn.datafile import parse_vector

    try:
        vec = parse_vector(line)
    except DataError:
        return
    assert vec.ndim == 1 and np.isfinite(vec).all()


def check_state_bytes(data: bytes) -> None:
    """Any bytes as a state file: decoded, or a ModelFileError."""
    from edgekit.storage import decode_state

    try:
        decode_state(data, "fuzz.state")
    except ModelFileError:
        pass


def sealed_state(header: bytes, payload: bytes = b"") -> bytes:
    """A state container around an arbitrary header, with a *valid* checksum (what a forger can make)."""
    from edgekit.storage import CONTAINER_VERSION, MAGIC

    body = MAGIC + struct.pack("<IQ", CONTAINER_VERSION, len(header)) + header + payload
    return body + hashlib.sha256(body).digest()


def check_forged_model(data: bytes, root: Path) -> None:
    """A forged model file with a valid checksum: load_head gives a head or a ModelFileError."""
    from edgekit.learn.heads import load_head

    root.mkdir(parents=True, exist_ok=True)
    path = root / "forged.state"
    path.write_bytes(data)
    try:
        load_head(path)
    except ModelFileError:
        pass


# mutations of a valid model's JSON header: the values a forger would try
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False),
              st.text(max_size=8), st.sampled_from([0, 1, -1, 2**31, 2**63, 10**12, "float64", "int64", "object",
                                                    "analytic", "kvb", "hashing", "relu"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=8)


def mutate_json(obj: Any, draw) -> Any:
    """Replace one randomly chosen value somewhere inside obj (a JSON tree) with a drawn value."""
    if isinstance(obj, dict) and obj:
        key = draw(st.sampled_from(sorted(obj)))
        if draw(st.booleans()):
            return {**obj, key: draw(json_values)}
        return {**obj, key: mutate_json(obj[key], draw)}
    if isinstance(obj, list) and obj:
        i = draw(st.integers(0, len(obj) - 1))
        return obj[:i] + [mutate_json(obj[i], draw)] + obj[i + 1:]
    return draw(json_values)


def header_and_payload(data: bytes) -> tuple[dict, bytes]:
    """Split a state file into its JSON header and its array bytes."""
    from edgekit.storage import MAGIC

    fixed = len(MAGIC) + 12
    _, hlen = struct.unpack("<IQ", data[len(MAGIC):fixed])
    return json.loads(data[fixed:fixed + hlen]), data[fixed + hlen:-32]
