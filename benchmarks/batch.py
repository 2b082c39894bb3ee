"""Batch normalization throughput: `edgekit normalize` over a generated corpus of >= 1 million lines with
1 and 2 worker processes and on a local Dask cluster (2 worker processes), against NeMo ITN on a sample.

Usage: python benchmarks/batch.py [--data ../shared/data/nemo-en] [--lines 1000000] [--files 8] [--grammar en-itn] [--nemo-sample 400]
       [--rounds 3] [--peer-python PYTHON] [--baseline-python PYTHON --baseline-label TEXT [--engines-only]] [--no-write]

Run it with an interpreter that has edgekit installed (its `edgekit` command is the one timed); NeMo runs
in --peer-python (a venv with nemo-text-processing; default: the running interpreter).

The corpus (spoken-form English: NeMo's ITN fixture inputs in short carrier sentences) is generated in
the temp folder, never in the repository. Every edgekit run is the real CLI writing an output folder
(`-o`), timed from process start to exit; the three runs must produce identical output. The machine is
shared, so the 1-vs-2-process ratio is also measured in `--rounds` interleaved pairs on one partition,
and the CPU seconds the runs used are reported next to wall time. NeMo runs in a child process on a
sample; its corpus time is extrapolated from that sample's rate and labelled as such.

With --baseline-python (an interpreter with an earlier edgekit installed), both edgekits run one partition
with 1 process, in turns: the batch job with the grammar, the engine alone (`Forest.normalize` over the
same lines in one process), and the batch job with a grammar that rewrites nothing (what reading, records
and writing cost on their own); CPU time each, so a change of the engine and a change of the batch code
show apart.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
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
EDGEKIT = shutil.which("edgekit", path=str(Path(sys.executable).parent)) or "edgekit"
CARRIERS = ["{}", "{}", "the invoice says {}", "{} was the answer", "please call me at {}",
            "we met on {} at the station", "it costs {} in total", "i counted {} and then {}",
            "the meeting moved to {}", "she ran {} yesterday"]
FALLBACK_PHRASES = ["twenty five", "one hundred and three", "two thousand twenty", "five dollars and six cents",
                    "january first", "three point one four", "seven thirty p m", "the fifth of may"]


# ---- corpus ------------------------------------------------------------------------------------------------
def phrases(data: Path) -> list[str]:
    """Spoken-form phrases: NeMo's English ITN fixture inputs under `data` when present, else a small
    built-in list (the report says which)."""
    out = []
    for path in sorted((data / "itn").glob("test_cases_*.txt")):
        out += [line.split("~")[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [p for p in out if p] or FALLBACK_PHRASES


def make_corpus(pool: list[str], lines: int, files: int, seed: int = 0) -> Path:
    """Write (or reuse) `lines` lines of phrases from `pool` in `files` partitions under the temp folder."""
    key = hashlib.sha256("\n".join(pool).encode("utf-8")).hexdigest()[:12]
    root = Path(tempfile.gettempdir()) / f"edgekit-batch-corpus-{lines}-{files}-{seed}-{key}"
    stamp = root / "_complete"
    if stamp.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    rng = random.Random(seed)
    per = -(-lines // files)
    for k in range(files):
        n = min(per, lines - k * per)
        with open(root / f"part-{k:03d}.txt", "w", encoding="utf-8") as fh:
            for _ in range(n):
                carrier = rng.choice(CARRIERS)
                fh.write(carrier.format(*(rng.choice(pool) for _ in range(carrier.count("{}")))) + "\n")
    stamp.write_text("ok")
    return root


# ---- edgekit runs ------------------------------------------------------------------------------------------
def busy_cpu_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all processes, from /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def wait_for_quiet(max_wait: float, threshold: float = 0.3) -> float:
    """Wait (up to max_wait s) until other work uses under `threshold` cores over 3 s; returns that load.
    Linux gives each session an equal CPU share (autogroup), so while another session keeps a core busy,
    2 worker processes get 1 core between them: a fair 1-vs-2 comparison needs a quiet machine."""
    deadline = time.monotonic() + max_wait
    while True:
        busy = busy_cpu_seconds()
        time.sleep(3)
        load = (busy_cpu_seconds() - busy) / 3
        if load < threshold or time.monotonic() > deadline:
            return load
        time.sleep(5)


def run_job(corpus: Path | list[Path], grammar: str, extra: list[str], edgekit: str = EDGEKIT) -> dict:
    """Run `edgekit normalize CORPUS -o OUT ...`; wall time, children's CPU time, output digest."""
    out = Path(tempfile.mkdtemp(prefix="edgekit-batch-out-"))
    shutil.rmtree(out)
    inputs = [str(p) for p in (corpus if isinstance(corpus, list) else [corpus])]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_cpu_seconds()
    t = time.perf_counter()
    proc = subprocess.run([edgekit, "normalize", "--grammar", grammar, *inputs, "-o", str(out), *extra],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    busy = busy_cpu_seconds() - busy
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"edgekit failed: {proc.stderr[-2000:]}")
    manifest = json.loads((out / "_edgekit_job.json").read_text())
    digest = hashlib.sha256()
    for f in sorted(p for p in out.rglob("*") if p.is_file() and not p.name.startswith("_")):
        digest.update(f.read_bytes())
    shutil.rmtree(out)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "machine_busy": busy / wall, "lines": manifest["summary"]["lines"],
            "digest": digest.hexdigest()}


def run_dask(corpus: Path, grammar: str) -> dict:
    """The same job on a local Dask cluster of 2 single-threaded worker processes (started beforehand)."""
    import logging

    from distributed import LocalCluster

    t = time.perf_counter()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster:
        startup = time.perf_counter() - t
        result = run_job(corpus, grammar, ["--engine", "dask", "--scheduler", cluster.scheduler_address])
    result["startup"] = startup  # worker CPU is not a child of this process: not counted in result["cpu"]
    return result


ENGINE_ONLY = """
import sys, time
from edgekit.forest import load_forest
forest = load_forest(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as fh:
    lines = fh.read().splitlines()
t = time.process_time()
for line in lines:
    forest.normalize(line)
print(time.process_time() - t, len(lines))
"""


def engine_only(python: str, part: Path, grammar: str) -> tuple[float, int]:
    """CPU seconds of `Forest.normalize` over every line of `part` in one process of `python` (run from
    the temp folder, so a checkout's edgekit cannot shadow the interpreter's own), and the line count."""
    proc = subprocess.run([python, "-c", ENGINE_ONLY, grammar, str(part)], capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        raise SystemExit(f"engine-only run failed: {proc.stderr[-2000:]}")
    cpu, n = proc.stdout.split()
    return float(cpu), int(n)


NULL_GRAMMAR = "lexicon nothing {\n  zzzqqqxyz\n}\n"  # a grammar whose one word never occurs: nothing rewritten


def compare_engines(part: Path, grammar: str, baseline_python: str, rounds: int,
                    quiet_wait: float) -> dict[str, dict]:
    """Per edgekit (this one, the baseline), `rounds` times in turns on one partition with 1 process: the
    batch job, the engine alone over the same lines, and the batch job with a grammar that rewrites
    nothing; the fastest of each counts."""
    base_cli = shutil.which("edgekit", path=str(Path(baseline_python).parent))
    if base_cli is None:
        raise SystemExit(f"no edgekit command next to {baseline_python}")
    null = Path(tempfile.mkdtemp(prefix="edgekit-batch-null-grammar-"))
    (null / "main.forest").write_text(NULL_GRAMMAR, encoding="utf-8")
    who = {"this edgekit": (sys.executable, EDGEKIT), "baseline": (baseline_python, base_cli)}
    for _python, cli in who.values():
        for g in (grammar, str(null)):
            subprocess.run([cli, "normalize", "--grammar", g], input=b"warm the cache\n", capture_output=True)
    got: dict[str, dict] = {name: {"batch_cpu": [], "batch_wall": [], "engine_cpu": [], "null_cpu": [],
                                   "null_engine_cpu": []} for name in who}
    digests = set()
    for _ in range(rounds):
        for name, (python, cli) in who.items():
            wait_for_quiet(quiet_wait)
            r = run_job(part, grammar, ["-j", "1"], cli)
            digests.add(r["digest"])
            cpu, n = engine_only(python, part, grammar)
            plain = run_job(part, str(null), ["-j", "1"], cli)
            plain_engine, _n = engine_only(python, part, str(null))
            got[name]["batch_cpu"].append(r["cpu"])
            got[name]["batch_wall"].append(r["wall"])
            got[name]["engine_cpu"].append(cpu)
            got[name]["null_cpu"].append(plain["cpu"])
            got[name]["null_engine_cpu"].append(plain_engine)
            got[name]["lines"] = n
            print(f"{name}: batch {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU; engine alone {cpu:.1f} s CPU; "
                  f"with a grammar that rewrites nothing: batch {plain['cpu']:.1f} s, engine alone {plain_engine:.1f} s "
                  f"CPU ({n:,} lines)", flush=True)
    shutil.rmtree(null)
    if len(digests) != 1:
        print("note: the two edgekits wrote different output on this partition", flush=True)
    return got


def engine_rows(got: dict[str, dict]) -> list[list[str]]:
    """One row per edgekit: batch lines/s (wall, 1 process); CPU µs per line of the batch job and of the
    engine alone; and, with a grammar that rewrites nothing, of both and what the batch job adds."""
    rows = []
    for name, g in got.items():
        n = g["lines"]
        us = {k: min(g[k]) / n * 1e6 for k in ("batch_cpu", "engine_cpu", "null_cpu", "null_engine_cpu")}
        rows.append([name, f"{n / min(g['batch_wall']):,.0f}", f"{us['batch_cpu']:.0f}", f"{us['engine_cpu']:.0f}",
                     f"{us['null_cpu']:.0f}", f"{us['null_engine_cpu']:.0f}",
                     f"{us['null_cpu'] - us['null_engine_cpu']:.0f}"])
    return rows


# ---- NeMo --------------------------------------------------------------------------------------------------
def worker_nemo(sample_path: str) -> dict:
    import logging

    logging.disable(logging.WARNING)
    from nemo_text_processing.inverse_text_normalization.inverse_normalize import InverseNormalizer

    cache = Path(tempfile.gettempdir()) / "nemo_cache"
    cache.mkdir(exist_ok=True)
    t = time.perf_counter()
    engine = InverseNormalizer(lang="en", cache_dir=str(cache))
    load = time.perf_counter() - t
    lines = Path(sample_path).read_text(encoding="utf-8").splitlines()
    t = time.perf_counter()
    for line in lines:
        try:
            engine.inverse_normalize(line, verbose=False)
        except Exception:  # noqa: BLE001  a peer failing on one line still costs its time
            pass
    wall = time.perf_counter() - t
    from importlib.metadata import version

    return {"load": load, "wall": wall, "lines": len(lines), "version": version("nemo_text_processing")}


def run_nemo(corpus: Path, n: int, python: str) -> dict | None:
    """NeMo ITN on the first n lines of the corpus, in a child process of `python`; None when NeMo is not
    installed there."""
    probe = subprocess.run([python, "-c", "import nemo_text_processing"], capture_output=True)
    if probe.returncode != 0:
        return None
    with open(sorted(corpus.glob("part-*.txt"))[0], encoding="utf-8") as fh:
        sample = [next(fh) for _ in range(n)]
    path = Path(tempfile.gettempdir()) / "edgekit-batch-nemo-sample.txt"
    path.write_text("".join(sample), encoding="utf-8")
    proc = subprocess.run([python, __file__, "--worker-nemo", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"NeMo worker failed:\n{proc.stderr[-2000:]}\n")
        return None
    return json.loads(proc.stdout.splitlines()[-1])


# ---- measuring ---------------------------------------------------------------------------------------------
def measure_runs(corpus: Path, grammar: str, quiet_wait: float) -> dict[str, dict]:
    """The full corpus with 1 and 2 processes and on Dask, each after waiting for a quiet machine; the three
    outputs must be identical."""
    runs = {}
    for name, fn in [("1 process (-j 1)", lambda: run_job(corpus, grammar, ["-j", "1"])),
                     ("2 processes (-j 2)", lambda: run_job(corpus, grammar, ["-j", "2"])),
                     ("Dask, 2 worker processes", lambda: run_dask(corpus, grammar))]:
        quiet = wait_for_quiet(quiet_wait)
        runs[name] = fn()
        runs[name]["quiet_before"] = quiet
        r = runs[name]
        print(f"{name}: {r['wall']:.1f} s, {r['lines'] / r['wall']:,.0f} lines/s, CPU {r['cpu']:.1f} s, "
              f"machine busy {r['machine_busy']:.2f} cores", flush=True)
    if len({r["digest"] for r in runs.values()}) != 1:
        raise SystemExit("the three runs produced different output")
    return runs


def measure_pairs(part: Path, grammar: str, rounds: int, quiet_wait: float) -> list[tuple[float, dict, dict]]:
    """`rounds` interleaved 1-process / 2-process runs on one partition: (ratio, run 1, run 2) each."""
    pairs = []
    for _ in range(rounds):
        wait_for_quiet(quiet_wait)
        r1 = run_job(part, grammar, ["-j", "1"])
        r2 = run_job(part, grammar, ["-j", "2"])
        pairs.append((r1["wall"] / r2["wall"], r1, r2))
        print(f"interleaved pair on {part.name}: {r1['wall']:.1f} s vs {r2['wall']:.1f} s -> "
              f"{pairs[-1][0]:.2f}x (machine busy {r1['machine_busy']:.2f} / {r2['machine_busy']:.2f} cores)",
              flush=True)
    return pairs


# ---- report ------------------------------------------------------------------------------------------------
def table_rows(runs: dict[str, dict], nemo: dict | None, lines: int) -> list[list[str]]:
    """One table row per edgekit run, and NeMo's (extrapolated from its sample) when it ran."""
    base_rate = runs["1 process (-j 1)"]["lines"] / runs["1 process (-j 1)"]["wall"]
    rows = []
    for name, r in runs.items():
        rate = r["lines"] / r["wall"]
        if "startup" in r:  # the Dask workers are not this process's children: their CPU is not in r["cpu"]
            notes = f"cluster start {r['startup']:.1f} s (not timed); machine busy {r['machine_busy']:.2f} cores"
        else:
            notes = (f"edgekit used {r['cpu'] / r['wall']:.2f} cores; other work "
                     f"{max(r['machine_busy'] - r['cpu'] / r['wall'], 0):.2f} cores")
        rows.append([f"edgekit {name}", f"{r['lines']:,}", f"{r['wall']:.1f} s", f"{rate:,.0f}",
                     f"{rate / base_rate:.2f}x", notes])
    if nemo:
        nrate = nemo["lines"] / nemo["wall"]
        rows.append([f"NeMo ITN {nemo['version']}, 1 process", f"{nemo['lines']:,} (sample)",
                     f"{lines / nrate / 3600:.1f} h extrapolated to {lines:,} lines", f"{nrate:,.1f}",
                     f"{nrate / base_rate:.4f}x", f"grammar load {nemo['load']:.1f} s, not timed"])
    return rows


def report(a: argparse.Namespace, source: str, size_mb: float, runs: dict[str, dict], pairs: list, part: Path,
           nemo: dict | None, loads: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    """The RESULTS.md section: machine and load, the table, the 2-process target, NeMo's ratio."""
    from results import machine_line, markdown_table  # benchmarks/results.py

    base_rate = runs["1 process (-j 1)"]["lines"] / runs["1 process (-j 1)"]["wall"]
    table = markdown_table(["run", "lines", "wall time", "lines/s", "vs 1 process", "notes"],
                           table_rows(runs, nemo, a.lines))
    two = runs["2 processes (-j 2)"]["lines"] / runs["2 processes (-j 2)"]["wall"] / base_rate
    median_pair = statistics.median(p[0] for p in pairs) if pairs else float("nan")
    met = "met" if two >= 1.7 else "NOT met"
    load_text = " / ".join(" ".join(f"{v:.2f}" for v in la) for la in loads)
    lines = [f"## Batch normalization (`benchmarks/batch.py`, grammar `{a.grammar}`)", "", machine_line(), "",
             f"Load average (1, 5, 15 min) at the start / end of the run: {load_text}.", "",
             f"Corpus: {a.lines:,} generated lines ({size_mb:.1f} MB, {a.files} files) of {source} "
             f"in short carrier sentences. Each edgekit figure is one real `edgekit normalize DIR -o OUT` run, "
             f"process start to exit (grammar cache warm); all three runs wrote identical output. The 2 cores are "
             f"shared with other engineers' jobs, and Linux gives each session an equal CPU share (autogroup), so "
             f"each run waits for a quiet machine first (up to {a.quiet_wait:.0f} s); \"other work\" is the "
             f"machine's busy CPU (/proc/stat) minus edgekit's own during the run.", "", table, "",
             f"Target: 2 processes >= 1.7x the 1-process rate: **{met}** ({two:.2f}x on the full corpus; "
             f"median {median_pair:.2f}x over {len(pairs)} interleaved 1-vs-2 pairs on {part.name}: "
             f"{', '.join(f'{p[0]:.2f}x' for p in pairs)})."]
    if nemo:
        nrate = nemo["lines"] / nemo["wall"]
        lines += ["", f"NeMo's rate is measured on the first {nemo['lines']} corpus lines in its own process "
                      f"(InverseNormalizer(lang='en'), one line at a time) and **extrapolated** to the corpus; "
                      f"edgekit with 1 process is {base_rate / nrate:,.0f}x NeMo's rate."]
    else:
        lines += ["", "NeMo (nemo-text-processing) was not installed: no peer figure."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="NeMo's English fixtures (phrases of the corpus)")
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--grammar", default="en-itn")
    ap.add_argument("--nemo-sample", type=int, default=400)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved 1-vs-2-process pairs on one partition")
    ap.add_argument("--quiet-wait", type=float, default=900, help="seconds to wait for a quiet machine per run")
    ap.add_argument("--peer-python", default=sys.executable, help="interpreter with nemo-text-processing")
    ap.add_argument("--baseline-python", help="a Python with an earlier edgekit installed, timed beside this one")
    ap.add_argument("--baseline-label", default="", help="what the baseline is (e.g. its commit), for the report")
    ap.add_argument("--engines-only", action="store_true",
                    help="only the comparison with --baseline-python (its own RESULTS.md section)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--worker-nemo")
    a = ap.parse_args()
    if a.worker_nemo:
        print(json.dumps(worker_nemo(a.worker_nemo)))
        return
    if a.engines_only:
        if not a.baseline_python:
            raise SystemExit("--engines-only needs --baseline-python")
        engines_only(a)
        return

    load_start = os.getloadavg()
    pool = phrases(a.data.resolve())
    source = ("NeMo's English ITN fixture inputs" if pool is not FALLBACK_PHRASES else
                f"the {len(FALLBACK_PHRASES)} built-in spoken-form phrases (no NeMo fixtures at {a.data})")
    corpus = make_corpus(pool, a.lines, a.files)
    size_mb = sum(p.stat().st_size for p in corpus.glob("part-*.txt")) / 1e6
    print(f"corpus: {a.lines:,} lines, {a.files} files, {size_mb:.1f} MB in {corpus}", flush=True)
    subprocess.run([EDGEKIT, "normalize", "--grammar", a.grammar], input=b"warm the cache\n", capture_output=True)
    runs = measure_runs(corpus, a.grammar, a.quiet_wait)
    part = sorted(corpus.glob("part-*.txt"))[0]
    pairs = measure_pairs(part, a.grammar, a.rounds, a.quiet_wait)
    nemo = run_nemo(corpus, a.nemo_sample, a.peer_python) if a.nemo_sample else None
    engines = compare_engines(part, a.grammar, a.baseline_python, a.rounds, a.quiet_wait) if a.baseline_python else None
    body = report(a, source, size_mb, runs, pairs, part, nemo, (load_start, os.getloadavg()))
    if engines:
        body += "\n\n" + engines_report(a, part, engines)
    print(body)
    if not a.no_write:
        from results import write_section  # benchmarks/results.py

        write_section("batch", body)


def engines_report(a: argparse.Namespace, part: Path, engines: dict[str, dict]) -> str:
    """The table of compare_engines, with what it measured."""
    from results import markdown_table  # benchmarks/results.py

    return "\n".join([
        f"Engine and batch job apart, against the baseline ({a.baseline_label or a.baseline_python}): "
        f"{part.name} ({engines['baseline']['lines']:,} lines) with 1 process, for each edgekit in turns the batch "
        f"job and its engine alone (`Forest.normalize` over the same lines in one process), with the grammar and "
        f"with a grammar that rewrites nothing; the difference of the last two is the batch code's own cost "
        f"(reading, records, writing, process start); the fastest of {a.rounds} rounds, CPU µs per line:", "",
        markdown_table(["edgekit", "batch lines/s (wall)", "batch job", "engine alone", "batch job, null grammar",
                        "engine alone, null grammar", "added by the batch code"], engine_rows(engines))])


def engines_only(a: argparse.Namespace) -> None:
    """--engines-only: just the comparison with the baseline, on the first partition, in its own section."""
    from results import machine_line, write_section  # benchmarks/results.py

    load_start = os.getloadavg()
    corpus = make_corpus(phrases(a.data.resolve()), a.lines, a.files)
    part = sorted(corpus.glob("part-*.txt"))[0]
    engines = compare_engines(part, a.grammar, a.baseline_python, a.rounds, a.quiet_wait)
    load_text = " / ".join(" ".join(f"{v:.2f}" for v in la) for la in (load_start, os.getloadavg()))
    body = "\n".join([f"## Batch job and engine apart (`benchmarks/batch.py --engines-only`, grammar `{a.grammar}`)", "",
                      machine_line(), "", f"Load average (1, 5, 15 min) at the start / end of the run: {load_text}.",
                      "", engines_report(a, part, engines)])
    print(body)
    if not a.no_write:
        write_section("batch-engines", body)

if __name__ == "__main__":
    main()
