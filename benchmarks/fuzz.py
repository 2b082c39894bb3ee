"""Long fuzz run (issue 8): the targets of tests/reliability/fuzz_targets.py with many hypothesis examples.
Failures are counted, not raised, so one run reports inputs tried and failures for every target.

    python benchmarks/fuzz.py             # full run, writes RESULTS.md section "fuzz"
    python benchmarks/fuzz.py --scale 0.1 # short run, no RESULTS.md
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.reliability import reliability_tests  # noqa: E402
from benchmarks.results import machine_line, markdown_table, write_section  # noqa: E402

FT = reliability_tests("fuzz_targets")
H = reliability_tests("harness")


def run_target(name: str, strategy, check, examples: int) -> list:
    """Feed `examples` generated inputs to check(*args); returns a table row."""
    tried, failures, first = 0, 0, ""

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=[p for p in settings.default.phases if p.name != "shrink"])
    @given(strategy)
    def body(args) -> None:
        nonlocal tried, failures, first
        tried += 1
        try:
            check(*args)
        except Exception as exc:  # every failure is counted and the first one kept for the report
            failures += 1
            if not first:
                first = f"{type(exc).__name__}: {str(exc)[:120]} <- {repr(args)[:120]}"
                traceback.print_exc()

    t0 = time.perf_counter()
    body()
    seconds = time.perf_counter() - t0
    row = [name, tried, failures, f"{seconds:.0f}", first.replace("|", "\\|") or "-"]
    print(row, flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every example count (below 1: no RESULTS.md)")
    args = ap.parse_args()
    n = lambda k: max(10, int(k * args.scale))  # noqa: E731
    scratch = Path(tempfile.mkdtemp(prefix="edgekit-fuzz-"))
    from edgekit.forest import load_forest, shipped_grammars

    rows = [
        run_target("grammar files: mutated shipped grammars (load + compile)",
                   st.tuples(FT.mutated_grammar_set()), lambda f: FT.check_grammar_files(f, scratch / "m"), n(2000)),
        run_target("grammar files: random bytes and token soup",
                   st.tuples(FT.random_grammar_bytes), lambda b: FT.check_grammar_files({"main.forest": b}, scratch / "r"),
                   n(3000)),
    ]
    for name in ("home", "en-itn", "en-tn"):
        if name in shipped_grammars():
            forest = load_forest(name)
            rows.append(run_target(f"normalize / parse / explain, grammar {name}", st.tuples(FT.texts),
                                   lambda t, f=forest: FT.check_forest_text(f, t), n(4000)))
    rows += [
        run_target("CLI record reader (plain and JSON Lines)", st.tuples(st.binary(max_size=2000), st.booleans()),
                   FT.check_line_reader, n(5000)),
        run_target("training-file reader (CSV, TSV, JSON Lines)",
                   st.tuples(st.binary(max_size=600), st.sampled_from([".csv", ".tsv", ".jsonl", ".txt"])),
                   lambda b, s: FT.check_training_file(b, s, scratch / "t"), n(4000)),
        run_target("feature-vector parser (`edgekit predict`)", st.tuples(st.text(max_size=100)), FT.check_vector_line,
                   n(5000)),
        run_target("state container: random bytes", st.tuples(st.binary(max_size=400)), FT.check_state_bytes, n(5000)),
    ]
    for kind, params in (("analytic", {}), ("kvb", {"n_codebooks": 4, "n_keys": 8})):
        src = scratch / f"valid-{kind}.state"
        H.trained_head(kind, d=4, **params).save(src)
        header, payload = FT.header_and_payload(src.read_bytes())

        def forged(data, header=header, payload=payload) -> None:
            blob = json.dumps(FT.mutate_json(header, data.draw)).encode()
            FT.check_forged_model(FT.sealed_state(blob, payload), scratch / "f")

        rows.append(run_target(f"forged {kind} model files (valid checksum, mutated header)", st.tuples(st.data()),
                               forged, n(2000)))
    table = markdown_table(["target", "inputs tried", "failures", "seconds", "first failure"], rows)
    print(table)
    total = sum(r[1] for r in rows)
    failed = sum(r[2] for r in rows)
    if args.scale < 1:
        return
    write_section("fuzz", f"""## Fuzzing (`benchmarks/fuzz.py`, hypothesis, no shrinking)

{machine_line()}. Allowed outcomes: a result, or the documented error (GrammarError for grammar files,
DataError for records and training files, ModelFileError for model files); anything else, or a hang
(> {FT.HANG_SECONDS:.0f} s), is a failure. **Inputs tried: {total}; failures: {failed}.**

{table}
""")


if __name__ == "__main__":
    main()
