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


@st.composite
def hostile_grammar_text(draw) -> bytes:
    """A small grammar with one hostile part: a huge number, deep nesting, a long chain, a long file name,
    a line-breaking escape, a BOM, an unclosed bracket or an accented bare word (issue 15)."""
    digits = "9" * draw(st.sampled_from([300, 401, 4301, 5000]))
    depth = draw(st.sampled_from([40, 65, 200, 400]))
    hostile = draw(st.sampled_from([
        f"rule r priority {digits}: a\n", f"rule r: a{{1,{digits}}}\n", f"rule r: a\n  value {digits}\n",
        f"lexicon n {{ big = {digits} }}\n", f"table t {{ k: {digits} }}\n",
        "rule r: a\n  value " + "(" * depth + "1" + ")" * depth + "\n",
        "rule r: a " + "(" * depth + "b" + ")" * depth + "\n", "rule r: a " + "[" * depth + "b" + "]" * depth + "\n",
        "rule r: a\n  value " + " + ".join(["1"] * depth * 3) + "\n", "rule r: a\n  value " + "-" * depth + "1\n",
        'import "' + "a" * depth + '.forest"\n', 'data d = list "' + "b" * depth + '.txt"\n',
        'lexicon x { "a\\nb": go }\n', 'rule r: go\n  text "x\\ry"\n', "\ufefflexicon x { a: b }\n",
        "lexicon x { a: b\nrule r: <x>\n", "lexicon drink { coffee: café tea }\n",
        'rule r: go\n  value dec("1e-' + digits + '")\n', 'rule r: go <word:w>\n  value 1 if w.text > 5 else 2\n',
        'data d = /(?i:\u24d0)/\nrule r: <d>\n', "",
    ]))
    prefix = draw(st.sampled_from(["", "lexicon base { one: won }\n"]))
    return (prefix + hostile).encode("utf-8")


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
        for text in ("one two three", "switch on the lamp", "x" * 50, "go nan", "\u24b6 café"):
            out = forest.normalize(text)
            assert isinstance(out, str) and len(out.splitlines()) <= 1, repr(out[:200])  # one line in, one out


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


# ---- the command line: arguments, streams, JSON Lines, output paths (issue 15) -------------------------------
class Scratch:
    """Files a CLI fuzz example may name: a text file, a JSON Lines file, a folder, a model, a pipeline (copies
    made once per scratch folder; examples may change them, which is fine: only the outcome is checked)."""

    def __init__(self, root: Path) -> None:
        from edgekit.pipeline import Pipeline

        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        (root / "in.txt").write_text("switch on the lamp\nset a timer for five minutes\n")
        (root / "in.jsonl").write_text('{"text": "switch on the lamp"}\n{"text": "brew a coffee"}\n')
        (root / "train.jsonl").write_text('{"text": "lights on", "label": "on"}\n{"text": "music", "label": "m"}\n')
        (root / "folder").mkdir(exist_ok=True)
        (root / "folder" / "a.txt").write_text("turn off the fan\n")
        from edgekit.cli import app
        from typer.testing import CliRunner

        self.runner, self.app = CliRunner(), app
        self.runner.invoke(app, ["learn", str(root / "m.state"), "--data", str(root / "train.jsonl"), "--features", "32"])
        if not (root / "p" / "pipeline.json").exists():
            Pipeline("home", normalizer=None, seed_per_intent=2, n_features=32).save(root / "p")
        self.names = {"{file}": root / "in.txt", "{jsonl}": root / "in.jsonl", "{folder}": root / "folder",
                      "{model}": root / "m.state", "{pipe}": root / "p", "{missing}": root / "missing.txt",
                      "{out}": root / "out", "{train}": root / "train.jsonl", "{inside}": root / "folder" / "out",
                      "{proc}": Path("/proc/nope")}

    def argv(self, words: list[str]) -> list[str]:
        return [str(self.names.get(w, w)) for w in words]


CLI_COMMANDS = [["normalize"], ["parse"], ["explain"], ["explain", "--json"], ["predict", "{model}"], ["ask", "{pipe}"],
                ["pipeline", "ask", "{pipe}"], ["pipeline", "info", "{pipe}"], ["info", "{model}"],
                ["teach", "{pipe}", "-i", "Cosy"], ["pipeline", "forget", "{pipe}"], ["learn", "{model}"],
                ["forget", "{model}"], ["compile"], ["pipeline", "init"], ["pipeline", "export", "{pipe}"]]
CLI_WORDS = ["{file}", "{jsonl}", "{folder}", "{model}", "{pipe}", "{missing}", "{out}", "{inside}", "{proc}", "{train}",
             "-", "--jsonl", "--field", "text", "label", "-o", "--resume", "-g", "home", "nosuch", "--data", "--intent",
             "Cosy", "--label", "on", "--normalizer", "none", "--seed", "0", "2", "--force", "--trace", "--help",
             "--version", "", "\udcff", "x", "brew a coffee", "--block-size", "1", "-j"]
cli_args = st.tuples(st.sampled_from(CLI_COMMANDS), st.lists(st.sampled_from(CLI_WORDS), max_size=6),
                     st.binary(max_size=300))


def check_cli(scratch: Scratch, command: list[str], words: list[str], stdin: bytes) -> None:
    """Any arguments and stdin for an edgekit command: exit 0, 1 or 2 with messages, never an exception."""
    from .harness import time_limit

    with time_limit(HANG_SECONDS, "running a command"):
        result = scratch.runner.invoke(scratch.app, scratch.argv(command + words), input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{type(result.exception).__name__}: {result.exception}"
    assert result.exit_code in (0, 1, 2), result.exit_code
    assert "Traceback" not in result.output


json_line_values = st.one_of(
    st.just("[" * 1100), st.just('{"text": ' + "9" * 4400 + "}"),
    st.text(max_size=40).map(lambda t: json.dumps({"text": t}, ensure_ascii=False)),
    st.text(max_size=40).map(lambda t: json.dumps({"text": t})),  # \u escapes, lone surrogates included
    st.sampled_from(['{"text": "a\u2028b"}', '{"text": "a\u0085b"}', '{"text": "\\ud800"}', '{"text": NaN}',
                     '{"text": "x", "v": Infinity}', '{"text": 1e999}', "null", "[]", '{"text": "a"}\r', "\ufeff{}"]),
    st.binary(max_size=40).map(lambda b: b.decode("utf-8", "replace")))


def check_cli_json_lines(scratch: Scratch, command: list[str], lines: list[str]) -> None:
    """JSON Lines through a record command: one output line per input line, exit 0 or 1; each a valid (strict)
    JSON line, or for normalize the bad input line passed through unchanged."""
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    result = scratch.runner.invoke(scratch.app, scratch.argv(command + ["--jsonl"]), input=data)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output[-300:]
    out = result.stdout_bytes.split(b"\n")[:-1]
    given = data.split(b"\n")[:-1]
    assert len(out) == len(given), (len(out), len(given))
    for line, source in zip(out, given):
        if command[0] == "normalize" and line == source.removesuffix(b"\r"):
            continue
        json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(f"{c} in the output")))


pipeline_meta_values = json_values


def check_forged_pipeline(folder: Path, meta: dict) -> None:
    """A forged pipeline.json (any field changed, checksum recomputed): Pipeline.load gives a pipeline that
    answers, or a ModelFileError."""
    from edgekit.pipeline import Pipeline

    meta = dict(meta)
    meta.pop("sha256", None)
    meta["sha256"] = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    (folder / "pipeline.json").write_text(json.dumps(meta))
    try:
        pipe = Pipeline.load(folder)
    except ModelFileError:
        return
    pipe.ask_many(["switch on the lamp", "make it cosy"])


OVERLAP_LAYOUTS = ["same folder", "inside the input folder", "input folder itself", "parent of the input",
                   "symlink to the input folder", "_hidden inside", "elsewhere"]


def check_output_overlap(root: Path, layout: str, given_as_folder: bool, resume: bool) -> None:
    """A normalization job whose output folder overlaps its input in some way: whatever the outcome, every
    input file keeps its bytes and no file edgekit did not write disappears."""
    from edgekit.cli import app
    from typer.testing import CliRunner

    from .harness import snapshot

    shutil.rmtree(root, ignore_errors=True)
    src = root / "src"
    src.mkdir(parents=True)
    (src / "a.txt").write_text("switch on the lamp\n")
    (src / "notes.md").write_text("mine\n")
    (root / "alias").symlink_to(src)
    out = {"same folder": src, "inside the input folder": src / "out", "input folder itself": src,
           "parent of the input": root, "symlink to the input folder": root / "alias",
           "_hidden inside": src / "_out", "elsewhere": root / "elsewhere"}[layout]
    before = {p: snapshot(p) for p in (src / "a.txt", src / "notes.md")}
    inputs = [str(src)] if given_as_folder else [str(src / "a.txt"), str(src / "notes.md")]
    runner = CliRunner()
    for attempt in range(2 if resume else 1):
        result = runner.invoke(app, ["normalize", *inputs, "-o", str(out), *(["--resume"] if attempt else [])])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 2), result.output
    for p, snap in before.items():
        assert snapshot(p) == snap, f"{p} changed ({layout})"
