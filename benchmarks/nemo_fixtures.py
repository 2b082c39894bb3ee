"""English ITN/TN grammars (en-itn, en-tn) against NVIDIA NeMo text processing on NeMo's own fixtures.

Usage: python benchmarks/nemo_fixtures.py [--data ../shared/data/nemo-en] [--edgekit-only]
       [--show-failures CLASS] [--repeat N] [--no-write]

Every engine runs in its own child process (edgekit's never imports NeMo), so each one's peak RSS is its own.
Exact match compares whole output strings after collapsing whitespace runs (and trimming the ends)."""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "nemo-en"
GRAMMARS = {"itn": "en-itn", "tn": "en-tn"}
NEMO_CACHE = Path(tempfile.gettempdir()) / "nemo_cache"
# NeMo's own tests run the punctuation_match_input cases with its python punctuation post-processing.
NEMO_PUNCT_POST = {"punctuation_match_input"}


# ---- fixtures -------------------------------------------------------------------------------------------
def load_cases(data: Path, direction: str) -> dict[str, list[tuple[str, str]]]:
    """Per class, the (input, expected) pairs of test_cases_<class>.txt, read the way NeMo's tests read them."""
    folder = data / direction
    if not folder.is_dir():
        raise SystemExit(f"no fixtures at {folder} (pass --data)")
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(folder.glob("test_cases_*.txt")):
        pairs = []
        for line in path.read_text(encoding="utf-8").splitlines():
            parts = line.split("~")
            pairs.append((parts[0], parts[1] if len(parts) > 1 else ""))
        out[path.stem[len("test_cases_"):]] = pairs
    return out


def same(a: str, b: str) -> bool:
    """Exact match after collapsing whitespace runs."""
    return " ".join(a.split()) == " ".join(b.split())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _time_cases(fn, cases: dict[str, list[tuple[str, str]]], repeat: int) -> dict[str, dict]:
    """Run fn over every case; per case the output and the fastest of `repeat` timings (µs), which is the
    least disturbed by other load on a shared machine (the same rule for every engine)."""
    first = next((c[0][0] for c in cases.values() if c), "")
    fn(first)  # one untimed warm-up call, the same for every engine
    out = {}
    for cls, pairs in cases.items():
        outputs, times = [], []
        for text, _ in pairs:
            runs = []
            for _ in range(repeat):
                t = time.perf_counter_ns()
                pred = fn(text)
                runs.append((time.perf_counter_ns() - t) / 1000)
            outputs.append(pred)
            times.append(min(runs))
        out[cls] = {"outputs": outputs, "us": times}
    return out


# ---- child processes ---------------------------------------------------------------------------------------
def worker_edgekit_compile(direction: str) -> dict:
    """Compile the grammar from source (no cache) and store it in EDGEKIT_CACHE for the run worker."""
    from edgekit.forest import load_forest
    from edgekit.forest.forest import compile_forest

    t = time.perf_counter()
    compile_forest(GRAMMARS[direction])
    compile_s = time.perf_counter() - t
    load_forest(GRAMMARS[direction])  # populates the cache
    return {"compile_s": compile_s, "rss_mb": peak_rss_mb()}


def worker_edgekit(direction: str, data: Path, repeat: int) -> dict:
    t = time.perf_counter()
    from edgekit.forest import load_forest

    forest = load_forest(GRAMMARS[direction])
    load_s = time.perf_counter() - t
    res = _time_cases(forest.normalize, load_cases(data, direction), repeat)
    return {"load_s": load_s, "results": res, "rss_mb": peak_rss_mb(), "info": forest.info()}


def worker_nemo(direction: str, data: Path, repeat: int) -> dict:
    import logging

    logging.disable(logging.WARNING)
    NEMO_CACHE.mkdir(exist_ok=True)
    t = time.perf_counter()
    if direction == "itn":
        from nemo_text_processing.inverse_text_normalization.inverse_normalize import InverseNormalizer

        engine = InverseNormalizer(lang="en", cache_dir=str(NEMO_CACHE))
        fns = {None: lambda s: engine.inverse_normalize(s, verbose=False)}
    else:
        from nemo_text_processing.text_normalization.normalize import Normalizer

        engine = Normalizer(input_case="cased", lang="en", cache_dir=str(NEMO_CACHE), post_process=True)
        fns = {None: lambda s: engine.normalize(s, verbose=False, punct_post_process=False),
               "post": lambda s: engine.normalize(s, verbose=False, punct_post_process=True)}
    load_s = time.perf_counter() - t
    cases = load_cases(data, direction)
    res = {}
    for cls, pairs in cases.items():
        fn = fns["post"] if cls in NEMO_PUNCT_POST and "post" in fns else fns[None]
        res.update(_time_cases(_safe(fn), {cls: pairs}, repeat))
    from importlib.metadata import version

    return {"load_s": load_s, "results": res, "rss_mb": peak_rss_mb(), "version": version("nemo_text_processing")}


def _safe(fn):
    def call(s: str) -> str:
        try:
            return fn(s)
        except Exception as exc:  # a peer crashing on one case counts as a wrong answer, not a failed run
            return f"<error {type(exc).__name__}>"
    return call


def run_child(args: list[str], env: dict | None = None) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(f"worker {' '.join(args[:3])} failed:\n{proc.stderr[-3000:]}\n")
        return None
    return json.loads(proc.stdout.splitlines()[-1])


def cli_cold_start(env: dict, runs: int = 5) -> float | None:
    """Median wall time of `edgekit normalize --grammar en-itn` on one line, process start to exit."""
    exe = shutil.which("edgekit", path=str(Path(sys.executable).parent)) or shutil.which("edgekit")
    if exe is None:
        return None
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run([exe, "normalize", "--grammar", "en-itn"], input="twenty five dollars\n",
                              capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0:
            return None
    return statistics.median(times)


# ---- report ------------------------------------------------------------------------------------------------
def _acc(cls_res: dict, pairs: list) -> tuple[int, int]:
    ok = sum(same(p, e) for p, (_, e) in zip(cls_res["outputs"], pairs))
    return ok, len(pairs)


def report(direction: str, cases: dict, ek: dict, nemo: dict | None) -> tuple[list[list], dict]:
    from results import pct  # benchmarks/results.py

    rows, tot = [], {"ok": 0, "nok": 0, "n": 0, "us": [], "nus": []}
    for cls, pairs in cases.items():
        ok, n = _acc(ek["results"][cls], pairs)
        us = statistics.median(ek["results"][cls]["us"]) if pairs else 0
        tot["ok"] += ok
        tot["n"] += n
        tot["us"] += ek["results"][cls]["us"]
        row = [f"{direction}/{cls}", n, pct(ok, n)]
        if nemo:
            nok, _ = _acc(nemo["results"][cls], pairs)
            nus = statistics.median(nemo["results"][cls]["us"]) if pairs else 0
            tot["nok"] += nok
            tot["nus"] += nemo["results"][cls]["us"]
            row += [pct(nok, n), f"{us:.0f}", f"{nus:.0f}", f"{nus / us:.0f}x" if us else "-"]
        else:
            row += ["n/a", f"{us:.0f}", "n/a", "n/a"]
        rows.append(row)
    us = statistics.median(tot["us"])
    total = [f"**{direction} all**", tot["n"], f"**{pct(tot['ok'], tot['n'])}**"]
    if nemo:
        nus = statistics.median(tot["nus"])
        total += [pct(tot["nok"], tot["n"]), f"{us:.0f}", f"{nus:.0f}", f"**{nus / us:.0f}x**"]
    else:
        total += ["n/a", f"{us:.0f}", "n/a", "n/a"]
    rows.append(total)
    return rows, tot


def show_failures(which: str, cases_by_dir: dict, results: dict) -> None:
    for direction, cases in cases_by_dir.items():
        for cls, pairs in cases.items():
            if which not in (cls, f"{direction}/{cls}", direction, "all"):
                continue
            for engine, res in results[direction].items():
                if res is None:
                    continue
                outs = res["results"][cls]["outputs"]
                bad = [(i, e, o) for (i, e), o in zip(pairs, outs) if not same(o, e)]
                print(f"\n--- {engine} failures in {direction}/{cls}: {len(bad)} of {len(pairs)}")
                for i, e, o in bad:
                    print(f"  in:  {i!r}\n  exp: {e!r}\n  got: {o!r}")


def main() -> None:
    from results import suite_parser  # benchmarks/results.py

    ap = suite_parser(__doc__, DEFAULT_DATA, "skip NeMo (fast iteration)")
    ap.add_argument("--direction", choices=["itn", "tn", "both"], default="both")
    ap.add_argument("--show-failures", metavar="CLASS", help="class name (money, itn/money), itn, tn or all")
    a = ap.parse_args()
    data = a.data.resolve()

    if a.worker:
        kind, direction = a.worker.split(":")
        fn = {"edgekit-compile": lambda: worker_edgekit_compile(direction),
              "edgekit": lambda: worker_edgekit(direction, data, a.repeat),
              "nemo": lambda: worker_nemo(direction, data, a.repeat)}[kind]
        print(json.dumps(fn()))
        return

    directions = ["itn", "tn"] if a.direction == "both" else [a.direction]
    cache = tempfile.mkdtemp(prefix="edgekit-bench-cache-")
    from results import installed_env  # benchmarks/results.py
    env = installed_env(EDGEKIT_CACHE=cache)
    common = ["--data", str(data), "--repeat", str(a.repeat)]
    cases_by_dir = {d: load_cases(data, d) for d in directions}
    results: dict[str, dict] = {}
    builds: dict[str, dict] = {}
    for d in directions:
        comp = run_child(["--worker", f"edgekit-compile:{d}", *common], env)
        ek = run_child(["--worker", f"edgekit:{d}", *common], env)
        if comp is None or ek is None:
            raise SystemExit(1)
        nemo = None
        if not a.edgekit_only:
            nemo = run_child(["--worker", f"nemo:{d}", *common])
        results[d] = {"edgekit": ek, "nemo": nemo}
        builds[d] = {"compile": comp, "edgekit": ek, "nemo": nemo}
    cold = cli_cold_start(env) if "itn" in directions else None
    shutil.rmtree(cache, ignore_errors=True)

    have_nemo = any(r["nemo"] for r in results.values())
    header = ["class", "cases", "edgekit acc", "NeMo acc", "edgekit µs/case", "NeMo µs/case", "speed-up"]
    rows, totals = [], {}
    for d in directions:
        r, totals[d] = report(d, cases_by_dir[d], results[d]["edgekit"], results[d]["nemo"])
        rows += r
    brow = []
    for d in directions:
        b = builds[d]
        brow.append([f"edgekit {GRAMMARS[d]}", f"{b['compile']['compile_s']:.2f} s compile",
                     f"{b['edgekit']['load_s'] * 1000:.0f} ms cached load", f"{b['edgekit']['rss_mb']:.0f} MB"])
        if b["nemo"]:
            brow.append([f"NeMo {d.upper()} {b['nemo'].get('version', '')}", "-",
                         f"{b['nemo']['load_s']:.1f} s build/load (cache_dir)", f"{b['nemo']['rss_mb']:.0f} MB"])

    from results import machine_line, markdown_table  # benchmarks/results.py

    table = markdown_table(header, rows)
    btable = markdown_table(["engine", "grammar build", "load", "peak RSS"], brow)
    print(table)
    print()
    print(btable)
    print(f"\nedgekit normalize cold start (en-itn, one line): "
          f"{'n/a' if cold is None else f'{cold * 1000:.0f} ms'}")
    if a.show_failures:
        show_failures(a.show_failures, cases_by_dir, {d: results[d] for d in directions})
    if a.no_write or a.direction != "both":
        return
    notes = ("Exact match = whole output string after collapsing whitespace runs; nothing else forgiven. "
             f"Time per case is the fastest of {a.repeat} calls (after one untimed warm-up call), the same for both "
             "engines; a class's figure is the median over its cases, and the speed-up is NeMo's median over "
             "edgekit's median. Each engine runs in its own child process (edgekit's "
             "never imports NeMo); peak RSS is that process's ru_maxrss. NeMo: InverseNormalizer(lang='en') and "
             "Normalizer(input_case='cased', lang='en', post_process=True) with a cache_dir, "
             "punct_post_process only for the punctuation_match_input cases (as in NeMo's own tests).")
    if not have_nemo:
        notes += " **NeMo was not run in this measurement (edgekit alone).**"
    body = (f"## nemo-fixtures\n\n{machine_line()}\n\n`python benchmarks/nemo_fixtures.py --data "
            f"../shared/data/nemo-en`\n\n{table}\n\n{btable}\n\nedgekit normalize cold start (en-itn, one line, "
            f"process start to exit, median of 5): {'n/a' if cold is None else f'{cold * 1000:.0f} ms'}\n\n{notes}\n")
    from results import write_section

    write_section("nemo-fixtures", body)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
