"""English TN (en-tn) against NVIDIA NeMo on running-text sentences, spoken words compared.

Usage: python benchmarks/tn_sentences.py --data ../shared/data/googletn-dev [--part all|tune|heldout]
       [--every K] [--edgekit-only] [--nemo-python PY] [--show-failures N] [--limit N] [--no-write]

The data is JSON Lines with `text` (written form) and `gt_normalized` (spoken form), one sentence a line
(a folder means every *.jsonl in it). A sentence is right when its words equal the reference's words with
punctuation and case ignored (`words()`). Rows split into a tuning part and a held-out part by position
(`grammars/en/tn/heldout.py`): grammar work is tuned on the first only. Each engine runs in its own child
process; every sentence is timed once (NeMo takes a fifth of a second a sentence)."""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "googletn-dev"
NEMO_CACHE = Path(tempfile.gettempdir()) / "nemo_cache"
_NOT_WORD = re.compile(r"[^\w']+")


def words(text: str) -> list[str]:
    """The spoken words of a sentence: lower case, punctuation dropped (an apostrophe inside a word stays)."""
    return [w.strip("'") for w in _NOT_WORD.sub(" ", text.lower()).split() if w.strip("'")]


def load_rows(data: Path) -> list[tuple[str, str]]:
    """(text, reference) for every record; a bad record is an error naming its file and line."""
    files = sorted(data.glob("*.jsonl")) if data.is_dir() else [data]
    if not files or not all(f.is_file() for f in files):
        raise SystemExit(f"no JSON Lines data at {data} (pass --data)")
    rows = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                rows.append((str(rec["text"]), str(rec["gt_normalized"])))
            except (ValueError, KeyError, TypeError) as exc:
                raise SystemExit(f"{f}:{n}: not a record with text and gt_normalized ({exc})") from None
    return rows


def select(rows: list[tuple[str, str]], part: str) -> list[int]:
    """Indices of the rows in `part` (all, tune or heldout)."""
    sys.path.insert(0, str(REPO))
    from grammars.en.tn.heldout import is_heldout

    return [i for i in range(len(rows)) if part == "all" or (part == "heldout") == is_heldout(i)]


# ---- child processes ---------------------------------------------------------------------------------------
def _run(fn, texts: list[str]) -> dict:
    fn(texts[0] if texts else "")  # one untimed warm-up call, the same for every engine
    outputs, ms = [], []
    for text in texts:
        t = time.perf_counter_ns()
        try:
            out = fn(text)
        except Exception as exc:  # a peer crashing on one sentence counts as a wrong answer, not a failed run
            out = f"<error {type(exc).__name__}>"
        ms.append((time.perf_counter_ns() - t) / 1e6)
        outputs.append(out)
    return {"outputs": outputs, "ms": ms}


def worker_edgekit(texts: list[str]) -> dict:
    from edgekit.forest import load_forest

    t = time.perf_counter()
    forest = load_forest("en-tn")
    load_s = time.perf_counter() - t
    return {"load_s": load_s, **_run(forest.normalize, texts)}


def worker_nemo(texts: list[str]) -> dict:
    import logging

    logging.disable(logging.WARNING)
    NEMO_CACHE.mkdir(exist_ok=True)
    t = time.perf_counter()
    from nemo_text_processing.text_normalization.normalize import Normalizer

    engine = Normalizer(input_case="cased", lang="en", cache_dir=str(NEMO_CACHE), post_process=True)
    load_s = time.perf_counter() - t
    from importlib.metadata import version

    return {"load_s": load_s, "version": version("nemo_text_processing"),
            **_run(lambda s: engine.normalize(s, verbose=False, punct_post_process=True), texts)}


def run_child(kind: str, texts_file: Path, python: str) -> dict | None:
    proc = subprocess.run([python, __file__, "--worker", kind, "--texts", str(texts_file)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"worker {kind} failed:\n{proc.stderr[-3000:]}\n")
        return None
    return json.loads(proc.stdout.splitlines()[-1])


# ---- report ------------------------------------------------------------------------------------------------
def score(outputs: list[str], refs: list[str]) -> list[bool]:
    return [words(o) == words(r) for o, r in zip(outputs, refs)]


def main() -> None:
    from results import suite_parser  # benchmarks/results.py

    ap = suite_parser(__doc__, DEFAULT_DATA, "skip NeMo (fast iteration)", repeat=False)
    ap.add_argument("--part", choices=["all", "tune", "heldout"], default="all")
    ap.add_argument("--limit", type=int, help="only the first N selected sentences")
    ap.add_argument("--every", type=int, default=1, metavar="K",
                    help="only every K-th row (a sample spread over the file; NeMo takes minutes per thousand)")
    ap.add_argument("--show-failures", type=int, metavar="N", default=0, help="print N of edgekit's wrong sentences")
    ap.add_argument("--nemo-python", help="the Python that has nemo_text_processing (default: this one)")
    ap.add_argument("--texts", type=Path, help=argparse.SUPPRESS)
    a = ap.parse_args()

    if a.worker:
        texts = json.loads(a.texts.read_text(encoding="utf-8"))
        print(json.dumps({"edgekit": worker_edgekit, "nemo": worker_nemo}[a.worker](texts)))
        return

    rows = load_rows(a.data.resolve())
    idx = [i for i in select(rows, a.part) if i % a.every == 0][: a.limit]
    texts, refs = [rows[i][0] for i in idx], [rows[i][1] for i in idx]
    with tempfile.TemporaryDirectory(prefix="tn-sentences-") as tmp:
        texts_file = Path(tmp) / "texts.json"
        texts_file.write_text(json.dumps(texts), encoding="utf-8")
        ek = run_child("edgekit", texts_file, sys.executable)
        nemo = None if a.edgekit_only else run_child("nemo", texts_file, a.nemo_python or sys.executable)
    if ek is None:
        raise SystemExit(1)

    ek_ok = score(ek["outputs"], refs)
    n = len(idx)
    header = ["engine", "sentences", "right", "accuracy", "only this engine right", "median ms/sentence", "load"]
    rows_out = []
    nemo_ok = score(nemo["outputs"], refs) if nemo else None
    only_ek = sum(e and not m for e, m in zip(ek_ok, nemo_ok)) if nemo_ok else None
    only_nemo = sum(m and not e for e, m in zip(ek_ok, nemo_ok)) if nemo_ok else None
    ek_ms = statistics.median(ek["ms"])
    rows_out.append(["edgekit en-tn", n, sum(ek_ok), f"{sum(ek_ok) / n:.3f}",
                     "n/a" if only_ek is None else only_ek, f"{ek_ms:.2f}", f"{ek['load_s'] * 1000:.0f} ms"])
    if nemo:
        nemo_ms = statistics.median(nemo["ms"])
        rows_out.append([f"NeMo TN {nemo['version']}", n, sum(nemo_ok), f"{sum(nemo_ok) / n:.3f}", only_nemo,
                         f"{nemo_ms:.2f}", f"{nemo['load_s']:.1f} s (cache_dir)"])
    parts = []
    if a.part == "all":
        sys.path.insert(0, str(REPO))
        from grammars.en.tn.heldout import is_heldout

        for name, want in (("tune", False), ("held-out", True)):
            sel = [k for k, i in enumerate(idx) if is_heldout(i) == want]
            if sel:
                line = f"{name} part: {len(sel)} sentences, edgekit {sum(ek_ok[k] for k in sel) / len(sel):.3f}"
                if nemo_ok:
                    line += f", NeMo {sum(nemo_ok[k] for k in sel) / len(sel):.3f}"
                parts.append(line)

    from results import machine_line, markdown_table  # benchmarks/results.py

    table = markdown_table(header, rows_out)
    print(table)
    for line in parts:
        print(line)
    if nemo:
        print(f"speed: NeMo median / edgekit median = {nemo_ms / ek_ms:.0f}x")
    shown = 0
    for k, ok in enumerate(ek_ok):
        if not ok and shown < a.show_failures:
            shown += 1
            print(f"\n  in:  {texts[k]}\n  exp: {refs[k]}\n  got: {ek['outputs'][k]}"
                  + (f"\n  nemo: {nemo['outputs'][k]}" if nemo else ""))
    if a.no_write or a.edgekit_only or a.limit or a.part != "all":
        return
    sample = f" --every {a.every}" if a.every > 1 else ""
    body = (f"## tn-sentences\n\n{machine_line()}\n\n`python benchmarks/tn_sentences.py --data "
            f"../shared/data/googletn-dev{sample}`" + (f" (every {a.every}th row of {len(rows)})" if sample else "")
            + f"\n\n{table}\n\n" + "".join(f"- {p}\n" for p in parts)
            + f"- speed: NeMo's median time per sentence is {nemo_ms / ek_ms:.0f}x edgekit's\n\n"
            "A sentence is right when its words equal the reference's (lower case, punctuation dropped). "
            "\"Only this engine right\": sentences that engine gets right and the other does not. Each sentence "
            "is timed once, after one untimed warm-up call, each engine in its own child process. NeMo: "
            "Normalizer(input_case='cased', lang='en', post_process=True) with a cache_dir, "
            "punct_post_process=True. The held-out part (every fifth row) was not looked at while tuning the "
            "grammar and is not used to train the acronym model (whose settings were chosen by cross-validation "
            "on the other rows and, among settings of equal cross-validated accuracy, by the issue's named examples "
            "NASA, NATO, FBI, EPA; grammars/en/tn/train_acronyms.py prints its held-out token accuracy).\n")
    from results import write_section

    write_section("tn-sentences", body)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
