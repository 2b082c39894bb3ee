"""Chinese ITN/TN grammars (zh-itn, zh-tn) against WeTextProcessing and NeMo (zh) on WeTextProcessing's fixtures.

Usage: python benchmarks/zh_fixtures.py [--data ../shared/data/wetext-zh] [--peer-python PYTHON]
       [--edgekit-only] [--no-nemo] [--show-failures] [--repeat N] [--no-write]

Run it with an interpreter that has edgekit installed; the peers run in --peer-python (a venv with
WeTextProcessing and nemo-text-processing; default: the running interpreter).

The suites are the runs of WeTextProcessing's own tests: its ITN normalizer test runs four option sets
(standalone numbers on/off x 0-9 as digits on/off), each over its list of files; its TN normalizer test runs one
list of files with tag_oov=True. edgekit runs the matching entry file of grammars/zh/itn (main.forest is the
shipped zh-itn) and zh-tn. The per-class TN files that WeTextProcessing tests through single rule classes
(number, measure, sport, postprocessor, preprocessor) are run through the whole normalizer, for every engine.
Every engine runs in its own child process, so each peak RSS is its own."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "wetext-zh"
ITN_ENTRIES = REPO / "grammars" / "zh" / "itn"
PEER_CACHE = Path(tempfile.gettempdir()) / "zh_fixtures_peer_cache"

# WeTextProcessing's itn/chinese/test/normalizer_test.py: option set -> files (in its order).
ITN_SUITES = {
    "standalone+0-9": ({"enable_standalone_number": True, "enable_0_to_9": True}, "main",
                       "cardinal char date fraction math measure money time whitelist number license_plate "
                       "train_number normalizer"),
    "no standalone, 0-9": ({"enable_standalone_number": False, "enable_0_to_9": True}, "no_standalone",
                           "char date fraction math measure money time whitelist license_plate "
                           "normalizer_disable_standalone_number_enable_0_to_9"),
    "standalone, no 0-9": ({"enable_standalone_number": True, "enable_0_to_9": False}, "no_zero_to_nine",
                           "char date fraction math money time whitelist license_plate "
                           "normalizer_enable_standalone_number_disable_0_to_9"),
    "no standalone, no 0-9": ({"enable_standalone_number": False, "enable_0_to_9": False},
                              "no_standalone_no_zero_to_nine",
                              "char date fraction math money time whitelist license_plate "
                              "normalizer_disable_standalone_number_disable_0_to_9"),
}
# tn/chinese/test/normalizer_test.py (Normalizer(tag_oov=True)), then the per-class files.
TN_SUITES = {
    "normalizer": "cardinal char date fraction math money time whitelist normalizer normalizer_tag_oov",
    "per-class": "number measure sport postprocessor preprocessor",
}
HEADLINE = {"itn": "standalone+0-9", "tn": "normalizer"}


# ---- fixtures -------------------------------------------------------------------------------------------
def read_file(data: Path, direction: str, name: str) -> list[tuple[str, str]]:
    """(input, expected) pairs of one fixture file, read the way WeTextProcessing's parse_test_case reads them."""
    pairs = []
    for line in (data / direction / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if "=>" not in line:
            continue
        parts = line.strip().split("=>")
        pairs.append((parts[0].strip(), parts[1].strip() if len(parts) > 1 else ""))
    return pairs


def suites(direction: str) -> dict[str, list[str]]:
    if direction == "itn":
        return {name: files.split() for name, (_, _, files) in ITN_SUITES.items()}
    return {name: files.split() for name, files in TN_SUITES.items()}


def suite_cases(data: Path, direction: str, suite: str) -> dict[str, list[tuple[str, str]]]:
    return {f: read_file(data, direction, f) for f in suites(direction)[suite]}


# ---- child processes ------------------------------------------------------------------------------------
def _engine_edgekit(direction: str, suite: str):
    from edgekit.forest import load_forest

    name = f"{ITN_ENTRIES / ITN_SUITES[suite][1]}.forest" if direction == "itn" else "zh-tn"
    if direction == "itn" and ITN_SUITES[suite][1] == "main":
        name = "zh-itn"
    forest = load_forest(name)
    return forest.normalize, {"info": forest.info()}


def _engine_wetext(direction: str, suite: str):
    import logging

    logging.disable(logging.WARNING)
    from importlib.metadata import version

    if direction == "itn":
        from itn.chinese.inverse_normalizer import InverseNormalizer

        opts = ITN_SUITES[suite][0]
        cache = PEER_CACHE / ("wetext-itn-" + "-".join(f"{k}={int(v)}" for k, v in opts.items()))
        cache.mkdir(parents=True, exist_ok=True)
        engine = InverseNormalizer(cache_dir=str(cache), enable_million=False, **opts)
    else:
        from tn.chinese.normalizer import Normalizer

        cache = PEER_CACHE / "wetext-tn-tag_oov"
        cache.mkdir(parents=True, exist_ok=True)
        engine = Normalizer(cache_dir=str(cache), tag_oov=True)
    return engine.normalize, {"version": version("WeTextProcessing")}


def _engine_nemo(direction: str, suite: str):
    import logging

    logging.disable(logging.WARNING)
    from importlib.metadata import version

    cache = PEER_CACHE / "nemo-zh"
    cache.mkdir(parents=True, exist_ok=True)
    if direction == "itn":
        from nemo_text_processing.inverse_text_normalization.inverse_normalize import InverseNormalizer

        engine = InverseNormalizer(lang="zh", cache_dir=str(cache))
        return (lambda s: engine.inverse_normalize(s, verbose=False)), {"version": version("nemo_text_processing")}
    from nemo_text_processing.text_normalization.normalize import Normalizer

    engine = Normalizer(input_case="cased", lang="zh", cache_dir=str(cache))
    return (lambda s: engine.normalize(s, verbose=False)), {"version": version("nemo_text_processing")}


ENGINES = {"edgekit": _engine_edgekit, "wetext": _engine_wetext, "nemo": _engine_nemo}


def worker(engine: str, direction: str, suite: str, data: Path, repeat: int) -> dict:
    from nemo_fixtures import _safe, _time_cases, peak_rss_mb  # benchmarks/nemo_fixtures.py

    t = time.perf_counter()
    fn, extra = ENGINES[engine](direction, suite)
    load_s = time.perf_counter() - t
    res = _time_cases(_safe(fn), suite_cases(data, direction, suite), repeat)
    return {"load_s": load_s, "results": res, "rss_mb": peak_rss_mb(), **extra}


def run_child(python: str, args: list[str], env: dict | None = None, timeout: float | None = None) -> dict | None:
    try:
        proc = subprocess.run([python, __file__, *args], capture_output=True, text=True, env=env,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        sys.stderr.write(f"worker {' '.join(args[:2])} timed out after {timeout:.0f} s\n")
        return {"error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode} (no message)"]
        sys.stderr.write(f"worker {' '.join(args[:2])} failed:\n{proc.stderr[-3000:]}\n")
        return {"error": tail[0][:300]}
    return json.loads(proc.stdout.splitlines()[-1])


def cli_cold_start(env: dict, grammar: str, text: str, want: str, runs: int = 5) -> float | None:
    """Median wall time of `edgekit normalize --grammar GRAMMAR` on one line, process start to exit (the first,
    untimed run compiles and caches the grammar)."""
    exe = shutil.which("edgekit", path=str(Path(sys.executable).parent)) or shutil.which("edgekit")
    cmd = [exe] if exe else [sys.executable, "-c", "from edgekit.cli import main; main()"]
    times = []
    for _ in range(runs + 1):
        t = time.perf_counter()
        proc = subprocess.run([*cmd, "normalize", "--grammar", grammar], input=text + "\n",
                              capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - t)
        if proc.returncode != 0 or proc.stdout.strip() != want:
            return None
    return statistics.median(times[1:])


# ---- report ---------------------------------------------------------------------------------------------
def score(res: dict | None, cases: dict) -> dict | None:
    """Per file (ok, n) and all per-case timings of one engine on one suite."""
    if not res or "results" not in res:
        return None
    files = {f: (sum(o == e for o, (_, e) in zip(res["results"][f]["outputs"], pairs)), len(pairs))
             for f, pairs in cases.items()}
    us = [u for f in cases for u in res["results"][f]["us"]]
    return {"files": files, "us": us}


def _score(ok: int, n: int) -> str:
    return f"{ok / n:.3f}" if n else "-"


def main() -> None:
    from results import installed_env, machine_line, markdown_table, suite_parser, write_section  # benchmarks/results.py

    ap = suite_parser(__doc__, DEFAULT_DATA, "skip both peers")
    ap.add_argument("--peer-python", default=sys.executable, help="interpreter with the peers installed")
    ap.add_argument("--no-nemo", action="store_true", help="skip NeMo")
    ap.add_argument("--nemo-timeout", type=float, default=1500, help="seconds NeMo may take to build and run")
    ap.add_argument("--show-failures", action="store_true", help="print edgekit's wrong outputs")
    a = ap.parse_args()
    data = a.data.resolve()
    if not (data / "itn").is_dir():
        raise SystemExit(f"no fixtures at {data} (pass --data)")

    if a.worker:
        engine, direction, suite = a.worker.split(":", 2)
        print(json.dumps(worker(engine, direction, suite, data, a.repeat)))
        return


    load_start = os.getloadavg()[0]
    cache = tempfile.mkdtemp(prefix="edgekit-zh-bench-cache-")
    env = installed_env(EDGEKIT_CACHE=cache)
    common = ["--data", str(data), "--repeat", str(a.repeat)]
    engines = ["edgekit"] + ([] if a.edgekit_only else ["wetext"] + ([] if a.no_nemo else ["nemo"]))
    rows_by_dir: dict[str, list] = {"itn": [], "tn": []}
    loads = []
    for direction in ("tn", "itn"):  # TN first: NeMo's ITN build is the slowest step
        rows = rows_by_dir[direction]
        for suite in suites(direction):
            cases = suite_cases(data, direction, suite)
            got = {}
            for engine in engines:
                if engine == "nemo" and direction == "itn" and suite != HEADLINE["itn"]:
                    got[engine] = (None, None)  # NeMo has no such options: it runs the main suite only
                    continue
                # edgekit twice: the first process compiles and caches the grammar, the second loads it
                if engine == "edgekit":
                    run_child(sys.executable, ["--worker", f"edgekit:{direction}:{suite}", *common], env)
                python = sys.executable if engine == "edgekit" else a.peer_python
                timeout = a.nemo_timeout if engine == "nemo" else None
                raw = run_child(python, ["--worker", f"{engine}:{direction}:{suite}", *common],
                                env if engine == "edgekit" else None, timeout)
                got[engine] = (raw, score(raw, cases))
                if raw and "load_s" in raw:
                    loads.append([engine, f"{direction} {suite}", f"{raw['load_s'] * 1000:.0f} ms",
                                  f"{raw['rss_mb']:.0f} MB"])
                elif raw:
                    loads.append([engine, f"{direction} {suite}", f"failed: {raw['error']}", "-"])
            if a.show_failures and got["edgekit"][0]:
                for f, pairs in cases.items():
                    for (i, e), o in zip(pairs, got["edgekit"][0]["results"][f]["outputs"]):
                        if o != e:
                            print(f"[{direction} {suite} {f}] {i!r}\n   want {e!r}\n   got  {o!r}")
            rows += suite_rows(direction, suite, cases, got, engines)
    cold = cli_cold_start(env, "zh-itn", "二零零八年八月八日", "2008/08/08")
    cold_en = cli_cold_start(env, "en-itn", "twenty five dollars", "$25")
    shutil.rmtree(cache, ignore_errors=True)

    rows = rows_by_dir["itn"] + rows_by_dir["tn"]
    header = ["suite / file", "cases"] + [f"{e} acc" for e in engines] + [f"{e} µs/case" for e in engines]
    header += [f"{e} / edgekit" for e in engines[1:]]
    table = markdown_table(header, rows)
    ltable = markdown_table(["engine", "suite", "load (cached)", "peak RSS"], loads)
    cold_line = (f"`edgekit normalize --grammar zh-itn` cold start (one line, process start to exit, median of 5): "
                 f"{'n/a' if cold is None else f'{cold * 1000:.0f} ms'}; en-itn in the same run: "
                 f"{'n/a' if cold_en is None else f'{cold_en * 1000:.0f} ms'}")
    load_line = (f"Load average (1 min) at the start / end of the run: {load_start:.2f} / {os.getloadavg()[0]:.2f} "
                 f"({os.cpu_count()} cores, shared).")
    print(table, "\n", ltable, "\n", cold_line, "\n", load_line, sep="\n")
    if a.no_write:
        return
    notes = ("Accuracy is exact match of the whole output string. Time per case is the fastest of "
             f"{a.repeat} calls after one untimed warm-up call, the same for every engine; a row's figure is the "
             "median over its cases and the ratio is the peer's median over edgekit's. Loads are from each "
             "engine's cache (edgekit's compiled forest, WeTextProcessing's FST files, NeMo's .far files), built "
             "by an earlier run. WeTextProcessing: InverseNormalizer(enable_standalone_number, enable_0_to_9 as "
             "in the suite, enable_million=False) and Normalizer(tag_oov=True), as in its own tests; NeMo: "
             "InverseNormalizer(lang='zh') and Normalizer(lang='zh', input_case='cased'), which have no such "
             "options (NeMo runs the main ITN suite only; n/a elsewhere). edgekit: the entry file of "
             "grammars/zh/itn for the option set (main.forest = zh-itn) and zh-tn.")
    body = (f"## zh-fixtures\n\n{machine_line()}\n\n`python benchmarks/zh_fixtures.py --data "
            f"../shared/data/wetext-zh`\n\n{table}\n\n{ltable}\n\n{cold_line}\n\n{load_line}\n\n{notes}\n")
    write_section("zh-fixtures", body)


def suite_rows(direction: str, suite: str, cases: dict, got: dict, engines: list[str]) -> list[list]:
    """One row per file and a bold total row for the suite."""
    scores = {e: got[e][1] for e in engines}
    rows = []
    for f, pairs in cases.items():
        row = [f"{direction} {suite}: {f}", len(pairs)]
        row += [_score(*scores[e]["files"][f]) if scores[e] else "n/a" for e in engines]
        row += [f"{statistics.median(got[e][0]['results'][f]['us']):.0f}" if scores[e] else "n/a" for e in engines]
        row += ["" for _ in engines[1:]]
        rows.append(row)
    n = sum(len(p) for p in cases.values())
    total = [f"**{direction} {suite}**", n]
    total += [f"**{_score(sum(ok for ok, _ in scores[e]['files'].values()), n)}**" if scores[e] else "n/a"
              for e in engines]
    med = {e: statistics.median(scores[e]["us"]) for e in engines if scores[e]}
    total += [f"{med[e]:.0f}" if e in med else "n/a" for e in engines]
    total += [f"**{med[e] / med['edgekit']:.0f}x**" if e in med and "edgekit" in med else "n/a"
              for e in engines[1:]]
    rows.append(total)
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
