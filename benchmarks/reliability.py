"""Reliability benchmark (issue 8): SIGKILL campaigns against saves, concurrent writers with and without the
lock, corruption sweeps, and the time curve of adversarial inputs. The peer for the file figures is the
obvious way to save (write the same bytes straight to the file, or numpy's savez): same kills, same damage.

    python benchmarks/reliability.py            # full run (a few minutes), writes RESULTS.md "reliability"
    python benchmarks/reliability.py --quick    # smaller counts, no RESULTS.md
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.results import machine_line, markdown_table, write_section  # noqa: E402


def reliability_tests(module: str):
    """A module of tests/reliability, imported by path (a `tests` package elsewhere on sys.path would win)."""
    if "edgekit_reliability" not in sys.modules:
        folder = REPO / "tests" / "reliability"
        spec = importlib.util.spec_from_file_location("edgekit_reliability", folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        package = importlib.util.module_from_spec(spec)
        sys.modules["edgekit_reliability"] = package
        spec.loader.exec_module(package)
    return importlib.import_module(f"edgekit_reliability.{module}")


H = reliability_tests("harness")
EDGEKIT = str(Path(sys.executable).with_name("edgekit"))


def have_pipeline() -> bool:
    return importlib.util.find_spec("edgekit.pipeline") is not None


# ---- crash safety -------------------------------------------------------------------------------------
def naive_saver(data: bytes):
    """The peer: write the bytes straight over the file (no temp file, no rename)."""
    def save(path: Path) -> None:
        with open(path, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    return save


def crash_campaigns(tmp: Path, scale: float) -> tuple[list[list], dict]:
    from edgekit.forest import load_forest
    from edgekit.learn.heads import load_head
    from edgekit.storage import load_state

    rows, totals = [], {"kills": 0, "survived": 0}

    def record(what: str, report, peer: bool = False) -> None:
        rows.append([what, report.kills, report.survived, report.left_temp_files,
                     len(report.failures), ", ".join(f"{k}: {v}" for k, v in sorted(report.states_seen.items(), key=str))])
        if not peer:
            totals["kills"] += report.kills
            totals["survived"] += report.survived

    old = H.trained_head("analytic", d=256)
    new = H.trained_head("analytic", d=256)
    (X, y), = H.vector_batches(7, 1, 50, 256, 4)
    new.partial_fit(X, y)
    path = tmp / "crash" / "analytic.state"
    path.parent.mkdir(parents=True)
    record("analytic head save (0.5 MB), forked saver", H.kill_while_saving(
        path, [old.save, new.save], load_head, int(100 * scale), seed=1))

    kv_old = H.trained_head("kvb", d=16, n_codebooks=32, n_keys=64)
    kv_new = H.trained_head("kvb", d=16, n_codebooks=32, n_keys=64)
    kv_new.partial_fit(*H.vector_batches(8, 1, 100, 16, 4)[0])
    path = tmp / "crash-kv" / "kv.state"
    path.parent.mkdir()
    record("key-value head save, forked saver", H.kill_while_saving(
        path, [kv_old.save, kv_new.save], load_head, int(50 * scale), seed=2))

    f_old = load_forest("home", cache=False)
    f_new = load_forest("en-itn", cache=False)
    path = tmp / "crash-forest" / "g.forestc"
    path.parent.mkdir()
    record("compiled forest save, forked saver", H.kill_while_saving(
        path, [f_old.save, f_new.save], load_forest, int(30 * scale), seed=3))

    if have_pipeline():
        record(*pipeline_campaign(tmp, int(40 * scale)))

    record("`edgekit learn` process (whole command)", cli_campaign(tmp, int(30 * scale)))

    # the peer: the same two states written straight over the file
    path = tmp / "crash-naive" / "analytic.state"
    path.parent.mkdir()
    old.save(path)
    old_bytes = path.read_bytes()
    new.save(path)
    new_bytes = path.read_bytes()
    record("peer: same bytes written in place (open/write/fsync)", H.kill_while_saving(
        path, [naive_saver(old_bytes), naive_saver(new_bytes)], load_state, int(100 * scale), seed=5), peer=True)
    return rows, totals


PIPELINE_PROBES = ["switch on the lamp", "make it cosy in here", "set the fan to 50 %"]


def pipeline_campaign(tmp: Path, kills: int):
    from edgekit.pipeline import Pipeline

    old = Pipeline("home", normalizer=None, seed_per_intent=8)
    new = Pipeline("home", normalizer=None, seed_per_intent=8)
    new.teach("make it cosy in here", "Cosy")
    path = tmp / "crash-pipeline" / "pipe"
    path.parent.mkdir()
    old.save(path)

    def identify(p: Path) -> str:
        pipe = Pipeline.load(p)
        return json.dumps([pipe.info(), [a.to_dict() for a in pipe.ask_many(PIPELINE_PROBES)]], sort_keys=True)

    report = H.kill_while_saving(path, [old.save, new.save], Pipeline.load, kills, seed=6, identify=identify)
    return "pipeline directory save, forked saver", report


def cli_campaign(tmp: Path, kills: int):
    from edgekit.learn.heads import load_head

    work = tmp / "crash-cli"
    work.mkdir()
    model, data = work / "model.state", tmp / "cli-batch.jsonl"
    H.trained_head("analytic", d=64).save(model)
    (X, y), = H.vector_batches(5, 1, 2000, 64, 4)
    data.write_text("".join(json.dumps({"features": x.tolist(), "label": int(c)}) + "\n" for x, c in zip(X, y)))
    old = model.read_bytes()
    expected = tmp / "cli-expected.state"
    expected.write_bytes(old)
    t0 = time.perf_counter()
    subprocess.run([EDGEKIT, "learn", str(expected), "--data", str(data)], check=True, capture_output=True)
    run_time = time.perf_counter() - t0
    return H.kill_command_runs(model, [EDGEKIT, "learn", str(model), "--data", str(data)],
                               [old, expected.read_bytes()], load_head, kills, 0.9 * run_time, seed=4)


# ---- concurrent writers ---------------------------------------------------------------------------------
def concurrency(tmp: Path, batches: int, cli_batches: int) -> list[list]:
    from edgekit.learn.heads import load_head

    rows = []
    D, C, B = 8, 4, 4
    for lock in (True, False):
        path = tmp / f"concurrent-{lock}.state"
        H.trained_head("analytic", d=D, n_classes=C).save(path)
        base = load_head(path).info()["n_samples"]
        work = [H.vector_batches(100 + p, batches, B, D, C) for p in range(4)]
        t0 = time.perf_counter()
        H.teach_concurrently(path, work, lock=lock)
        seconds = time.perf_counter() - t0
        got = load_head(path).info()["n_samples"] - base
        want = 4 * batches * B
        rows.append([f"API, {'with' if lock else '**without**'} the lock", f"4 x {batches}", want, got,
                     f"{(want - got) // B} ({100 * (want - got) / want:.0f}%)", f"{seconds:.1f}"])
    # the real CLI, with its lock
    from concurrent.futures import ThreadPoolExecutor

    model = tmp / "concurrent-cli.state"
    H.trained_head("analytic", d=D, n_classes=C).save(model)
    base = load_head(model).info()["n_samples"]
    work = [H.vector_batches(300 + p, cli_batches, B, D, C) for p in range(4)]

    def teacher(p: int) -> int:
        bad = 0
        for b, (X, y) in enumerate(work[p]):
            data = tmp / f"cli-{p}-{b}.jsonl"
            data.write_text("".join(json.dumps({"features": x.tolist(), "label": int(c)}) + "\n" for x, c in zip(X, y)))
            bad += subprocess.run([EDGEKIT, "learn", str(model), "--data", str(data)], capture_output=True).returncode != 0
        return bad

    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        failed = sum(pool.map(teacher, range(4)))
    seconds = time.perf_counter() - t0
    got = load_head(model).info()["n_samples"] - base
    want = 4 * cli_batches * B
    rows.append([f"`edgekit learn` processes (lock){' - ' + str(failed) + ' failed' if failed else ''}",
                 f"4 x {cli_batches}", want, got, f"{(want - got) // B}", f"{seconds:.1f}"])
    return rows


# ---- concurrent readers ------------------------------------------------------------------------------------
def _obvious_save(pipe, directory: Path) -> None:
    """The peer writer: replace pipeline.json, then delete the members it no longer references right away."""
    from edgekit.pipeline_dir import PIPELINE_FILE

    pipe.save(directory)
    for name in json.loads((directory / PIPELINE_FILE).read_text()).get("retired", []):
        (directory / name).unlink(missing_ok=True)


def _obvious_load(directory: Path):
    """The peer reader: read pipeline.json once, then its members (no retry)."""
    from edgekit import pipeline_dir
    from edgekit.pipeline import Pipeline

    return Pipeline._from_files(directory, *pipeline_dir.read(directory))


def _readers_vs_teacher(directory: Path, save, load, teachings: int) -> tuple[int, int, str]:
    import multiprocessing

    from edgekit.pipeline import PIPELINE_FILE, Pipeline
    from edgekit.storage import file_lock

    def teacher(done) -> None:
        for k in range(teachings):
            with file_lock(directory / PIPELINE_FILE):
                pipe = Pipeline.load(directory)
                pipe.teach(f"brew me coffee number {k}", "MakeCoffee")
                save(pipe, directory)
        done.set()

    def reader(done, results) -> None:
        asks = failures = 0
        first = ""
        while not done.is_set():
            try:
                load(directory).ask("brew me a coffee")
                asks += 1
            except Exception as exc:  # noqa: BLE001  counted
                failures += 1
                first = first or f"{type(exc).__name__}: {str(exc)[:80]}"
        results.put((asks, failures, first))

    ctx = multiprocessing.get_context("fork")
    done, results = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=reader, args=(done, results)) for _ in range(4)]
    for p in procs:
        p.start()
    t = ctx.Process(target=teacher, args=(done,))
    t.start()
    t.join()
    done.set()
    outs = [results.get() for _ in procs]
    for p in procs:
        p.join()
    return sum(o[0] for o in outs) + sum(o[1] for o in outs), sum(o[1] for o in outs), next((o[2] for o in outs if o[2]), "")


def concurrent_readers(tmp: Path, teachings: int, cli_teachings: int) -> list[list]:
    """Four readers (load + ask in a loop) against one teacher (lock, load, teach, save in a loop)."""
    from edgekit.pipeline import Pipeline

    rows = []
    for name, save, load in (("edgekit (members retired one save, reads retried)", lambda p, d: p.save(d),
                              Pipeline.load),
                             ("peer: delete replaced members at once, read once", _obvious_save, _obvious_load)):
        directory = tmp / f"readers-{len(rows)}"
        Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64).save(directory)
        t0 = time.perf_counter()
        asks, failed, first = _readers_vs_teacher(directory, save, load, teachings)
        rows.append([f"API, 4 processes: {name}", teachings, asks, failed, f"{100 * failed / max(asks, 1):.1f}%",
                     f"{time.perf_counter() - t0:.1f}", first or "-"])
    # the real commands: `edgekit ask` processes started one after another while `edgekit teach` runs in a loop
    from concurrent.futures import ThreadPoolExecutor

    directory = tmp / "readers-cli"
    Pipeline("home", normalizer=None, seed_per_intent=4, n_features=64).save(directory)
    stop = [False]

    def asker(_: int) -> tuple[int, int, str]:
        asks = failed = 0
        first = ""
        while not stop[0]:
            out = subprocess.run([EDGEKIT, "ask", str(directory)], input=b"brew me a coffee\n", capture_output=True)
            asks += 1
            if out.returncode != 0 or b'"text": "brew me a coffee"' not in out.stdout:
                failed += 1
                first = first or out.stderr.decode(errors="replace")[:80]
        return asks, failed, first

    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(asker, i) for i in range(4)]
        for k in range(cli_teachings):
            subprocess.run([EDGEKIT, "teach", str(directory), f"brew me coffee number {k}", "-i", "MakeCoffee"],
                           capture_output=True, check=True)
        stop[0] = True
        outs = [f.result() for f in futures]
    asks, failed = sum(o[0] for o in outs), sum(o[1] for o in outs)
    rows.append(["`edgekit ask` x 4 against an `edgekit teach` loop", cli_teachings, asks, failed,
                 f"{100 * failed / max(asks, 1):.1f}%", f"{time.perf_counter() - t0:.1f}",
                 next((o[2] for o in outs if o[2]), "-")])
    return rows


# ---- CLI argument and stream faults, output-path overlaps -----------------------------------------------------
def cli_faults(tmp: Path) -> list[list]:
    """Scripted user mistakes and environment faults, each run as a real `edgekit` process: the outcome must
    be one `edgekit: ...` line (exit 2), or error records for the bad lines (exit 1), never a traceback."""
    from edgekit.pipeline import Pipeline

    work = tmp / "faults"
    work.mkdir()
    (work / "in.txt").write_text("switch on the lamp\n")
    (work / "folder").mkdir()
    (work / "existing").write_text("x")
    (work / "train.jsonl").write_text('{"text": "lights on", "label": "on"}\n{"text": "music", "label": "m"}\n')
    subprocess.run([EDGEKIT, "learn", str(work / "m.state"), "--data", str(work / "train.jsonl")], check=True,
                   capture_output=True)
    Pipeline("home", normalizer=None, seed_per_intent=2, n_features=32).save(work / "p")
    (work / "src").mkdir()
    (work / "src" / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"switch on the lamp\n\xff\n")
    deep, big, sur = "[" * 1100 + "\n", '{"text": ' + "1" * 5000 + "}\n", '{"text": "one \\ud800 two"}\n'
    w = str(work)
    cases = [
        ("missing input file", ["parse", f"{w}/missing.txt"], b"", {}),
        ("a folder as input file", ["ask", f"{w}/p", f"{w}/folder"], b"", {}),
        ("`-o` an existing file", ["normalize", f"{w}/in.txt", "-o", f"{w}/existing"], b"", {}),
        ("`-o` where nothing can be made", ["normalize", f"{w}/in.txt", "-o", "/proc/nope"], b"", {}),
        ("stdout on a full disk", ["parse", f"{w}/in.txt"], b"", {"stdout": "/dev/full"}),
        ("stdout closed", ["parse", f"{w}/in.txt"], b"", {"close": 1}),
        ("stdin closed", ["parse"], b"", {"close": 0}),
        ("JSON nested 1100 deep", ["parse", "--jsonl"], deep.encode(), {}),
        ("JSON 5000-digit integer, predict", ["predict", f"{w}/m.state", "--jsonl"], big.encode(), {}),
        ("JSON 5000-digit integer, ask", ["ask", f"{w}/p", "--jsonl"], big.encode(), {}),
        ("JSON lone surrogate, explain", ["explain", "--jsonl"], sur.encode(), {}),
        ("JSON lone surrogate, ask", ["ask", f"{w}/p", "--jsonl"], sur.encode(), {}),
        ("non-UTF-8 text to teach", ["teach", f"{w}/p", "caf\udcff", "-i", "X"], b"", {}),
        ("non-UTF-8 file name + bad record, job", ["normalize", f"{w}/src", "-o", f"{w}/out"], b"", {}),
        ("... and its --resume", ["normalize", f"{w}/src", "-o", f"{w}/out", "--resume"], b"", {}),
        ("`--jsonl true` (a flag given a value)", ["parse", "--jsonl", "true"], b"", {}),
        ("`-o /dev/null` (a device)", ["compile", "home", "-o", "/dev/null"], b"", {}),
    ]
    rows = []
    for what, args, stdin, how in cases:
        def pre(fd=how.get("close")):
            if fd is not None:
                os.close(fd)
        stdout = open(how["stdout"], "wb") if "stdout" in how else subprocess.PIPE
        try:
            out = subprocess.run([EDGEKIT, *args], input=stdin if how.get("close") != 0 else None,
                                 stdin=subprocess.DEVNULL if how.get("close") == 0 else None,
                                 stdout=stdout, stderr=subprocess.PIPE, preexec_fn=pre, timeout=120)
        finally:
            if "stdout" in how:
                stdout.close()
        err = out.stderr.decode(errors="replace")
        clean = "Traceback" not in err and (out.returncode in (0, 1) or err.startswith("edgekit: "))
        first = err.strip().splitlines()[0][:90] if err.strip() else "-"
        rows.append([what, out.returncode, "yes" if clean else "**no**", first.replace("|", "\\|")])
    return rows


def output_overlaps(tmp: Path) -> list[list]:
    """Outputs that would overwrite or delete inputs, each run as a real process: inputs changed or lost."""
    from edgekit.pipeline import Pipeline

    FT = reliability_tests("fuzz_targets")
    work = tmp / "overlaps"
    work.mkdir()
    rows = []
    for layout in FT.OVERLAP_LAYOUTS:
        for as_folder in (True, False):
            try:
                FT.check_output_overlap(work / "job", layout, as_folder, resume=True)
                lost = 0
            except AssertionError:
                lost = 1
            rows.append([f"normalize job, output: {layout} (input given as {'folder' if as_folder else 'files'}, "
                         f"then --resume)", lost])
    d = work / "pipe"
    d.mkdir()
    subprocess.run([EDGEKIT, "compile", "home", "-o", str(d / "my.forestc")], check=True, capture_output=True)
    (d / "other.forestc").write_bytes(b"mine")
    (d / "head.onnx").write_bytes(b"mine")
    subprocess.run([EDGEKIT, "pipeline", "init", str(d), "-g", str(d / "my.forestc"), "--normalizer", "none",
                    "--seed", "2"], capture_output=True)
    for k in range(3):
        subprocess.run([EDGEKIT, "teach", str(d), f"make it cosy {k}", "-i", "Cosy"], capture_output=True)
    lost = sum(not (d / n).exists() for n in ("my.forestc", "other.forestc", "head.onnx"))
    rows.append(["`pipeline init DIR -g DIR/my.forestc` (+ DIR/other.forestc, DIR/head.onnx), then 3 teaches", lost])
    before = sorted(p.name for p in d.iterdir())
    subprocess.run([EDGEKIT, "pipeline", "export", str(d), "-o", str(d)], capture_output=True)
    rows.append(["`pipeline export P -o P`", len(set(before) - {p.name for p in d.iterdir()})])
    out = subprocess.run([EDGEKIT, "pipeline", "init", str(work / "p2"), "-g", "nosuch"], capture_output=True)
    rows.append(["`pipeline init p2 -g nosuch` (files left behind)", int((work / "p2").exists())])
    return rows


# ---- corruption -------------------------------------------------------------------------------------------
def corruption(tmp: Path, flips: int, cuts: int) -> list[list]:
    from edgekit.forest import load_forest
    from edgekit.learn.heads import load_head

    T = reliability_tests("test_corruption")
    rng = np.random.default_rng(0)
    rows = []

    def sweep(what: str, data: bytes, name: str, load, fingerprint, region: int | None = None) -> None:
        region = region or len(data)
        report = H.corruption_sweep(data, tmp / "corrupt" / name, load, fingerprint,
                                    H.truncations(len(data), cuts, rng), H.bit_flips(region, flips, rng))
        rows.append([what, len(data), report.tried, report.detected, report.harmless, report.silent, report.crashed])

    (tmp / "corrupt").mkdir()
    src = tmp / "corrupt" / "src"
    H.trained_head("analytic", d=8).save(src)
    sweep("analytic state file", src.read_bytes(), "a.state", load_head, T.head_fingerprint)
    H.trained_head("kvb", d=8, n_codebooks=8, n_keys=16).save(src)
    sweep("key-value state file", src.read_bytes(), "k.state", load_head, T.head_fingerprint)
    load_forest("home", cache=False).save(src)
    sweep("compiled forest (.forestc)", src.read_bytes(), "g.forestc", load_forest, T.forest_fingerprint)
    onnx_bytes = T._exported("analytic")
    meta_at = T._metadata_start(onnx_bytes)
    sweep("ONNX model, all but the edgekit metadata", onnx_bytes, "m.onnx", T.load_onnx, T.onnx_fingerprint, meta_at)
    report = H.corruption_sweep(onnx_bytes, tmp / "corrupt" / "m2.onnx", T.load_onnx, T.onnx_fingerprint, [],
                                [(meta_at + int(rng.integers(0, len(onnx_bytes) - meta_at)), int(rng.integers(0, 8)))
                                 for _ in range(flips)])
    rows.append(["ONNX model, edgekit metadata part (flips only)", len(onnx_bytes), report.tried, report.detected,
                 report.harmless, report.silent, report.crashed])
    if have_pipeline():
        rows += pipeline_corruption(tmp, flips, cuts, rng)
    rows.append(npz_peer(tmp, flips, cuts, rng))
    return rows


def pipeline_corruption(tmp: Path, flips: int, cuts: int, rng) -> list[list]:
    from edgekit.pipeline import PIPELINE_FILE, Pipeline

    folder = tmp / "corrupt-pipeline"
    pipe = Pipeline("home", normalizer=None, seed_per_intent=8)
    pipe.teach("make it cosy in here", "Cosy")
    pipe.save(folder)
    def fingerprint(p) -> tuple:
        return tuple(json.dumps(a.to_dict(), sort_keys=True) for a in p.ask_many(PIPELINE_PROBES))

    rows = []
    for member in sorted(folder.iterdir()):
        if member.name.endswith(".lock"):
            continue
        original = member.read_bytes()

        def load(_path: Path, member=member) -> object:
            return Pipeline.load(folder)

        report = H.corruption_sweep(original, member, load, fingerprint, H.truncations(len(original), cuts, rng),
                                    H.bit_flips(len(original), flips, rng))
        member.write_bytes(original)
        kind = PIPELINE_FILE if member.name == PIPELINE_FILE else member.name.split("-")[0] + member.suffix
        rows.append([f"pipeline directory: {kind}", len(original), report.tried, report.detected, report.harmless,
                     report.silent, report.crashed])
    return rows


def npz_peer(tmp: Path, flips: int, cuts: int, rng) -> list:
    """The peer: the analytic head's arrays in numpy's .npz (zip with CRC-32), loaded with np.load."""
    head = H.trained_head("analytic", d=8)
    buf = io.BytesIO()
    np.savez(buf, gram=head._gram, xty=head._xty, counts=head.class_count_)
    data = buf.getvalue()

    def load(path: Path) -> dict:
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k].copy() for k in z.files}
        except Exception as exc:  # every refusal counts as detected for the peer
            from edgekit.errors import ModelFileError

            raise ModelFileError(f"{path}: {type(exc).__name__}") from None

    def fingerprint(d: dict) -> tuple:
        return tuple((k, v.tobytes()) for k, v in sorted(d.items()))

    report = H.corruption_sweep(data, tmp / "corrupt" / "peer.npz", load, fingerprint,
                                H.truncations(len(data), cuts, rng), H.bit_flips(len(data), flips, rng))
    return ["peer: same arrays as numpy .npz", len(data), report.tried, report.detected, report.harmless,
            report.silent, report.crashed]


# ---- linear time -------------------------------------------------------------------------------------------
PATTERNS = {
    "mixed command text": "please switch on the lamp in the kitchen and set the fan to 50 % for 20 minutes. ",
    "number words": "twenty one thousand three hundred and forty five ",
    "digits, spaced": "1234 ",
    "digits, one run": "7",
    "punctuation, spaced": "- , . ! ? % ",
    "punctuation, one run": "-,.!?%",
    "one keyword repeated": "lamp ",
    "letters, one word": "a",
}
SIZES_KB = [1, 10, 100, 1000]


def timed(fn, text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(text)
        best = min(best, time.perf_counter() - t0)
    return best


def linear_time(sizes: list[int], budget_s: float) -> list[list]:
    from edgekit.forest import load_forest, shipped_grammars

    rows = []
    targets = [("home normalize", load_forest("home").normalize), ("home parse", load_forest("home").parse)]
    for name in ("en-itn", "en-tn"):
        if name in shipped_grammars():
            targets.append((f"{name} normalize", load_forest(name).normalize))
    targets.append(("e-mail data class (grammars/README.md regex)", email_forest().normalize))
    for tname, fn in targets:
        for pname, piece in PATTERNS.items():
            if tname.startswith("e-mail") and pname not in ("letters, one word", "mixed command text"):
                continue
            cells, per_kb = [], []
            for kb in sizes:
                text = (piece * (kb * 1024 // len(piece) + 1))[: kb * 1024]
                if per_kb and per_kb[-1] * kb / 1e6 > budget_s:  # projected past the budget: not run
                    cells.append("skipped")
                    continue
                seconds = timed(fn, text, 3 if kb <= 10 else 1)
                per_kb.append(seconds * 1e6 / kb)
                cells.append(f"{per_kb[-1]:.0f}")
            ratio = f"{per_kb[-1] / per_kb[0]:.2f}" if len(per_kb) > 1 else "-"
            rows.append([tname, pname, *cells, ratio])
            print(rows[-1], flush=True)
    return rows


def email_forest():
    from edgekit.forest import load_forest

    root = Path(tempfile.mkdtemp(prefix="edgekit-email-"))
    (root / "main.forest").write_text("data email = /[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+/\n"
                                      "rule contact: mail <email:e>\n  intent Contact\n")
    return load_forest(root / "main.forest", cache=False)


# ---- main ------------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small counts, do not write RESULTS.md")
    args = ap.parse_args()
    scale = 0.2 if args.quick else 1.0
    tmp = Path(tempfile.mkdtemp(prefix="edgekit-reliability-"))
    os.environ.setdefault("EDGEKIT_CACHE", str(tmp / "cache"))

    crash_rows, totals = crash_campaigns(tmp, scale)
    crash_table = markdown_table(["what was killed", "kills", "old or new state, loads", "kills mid-write (temp "
                                  "file left)", "failures", "states found (0 old, 1 new)"], crash_rows)
    print(crash_table, flush=True)
    conc_rows = concurrency(tmp, 100, 5 if args.quick else 25)
    conc_table = markdown_table(["writers", "processes x batches", "samples taught", "samples in the final model",
                                 "batches lost", "seconds"], conc_rows)
    print(conc_table, flush=True)
    read_rows = concurrent_readers(tmp, 8 if args.quick else 30, 2 if args.quick else 6)
    read_table = markdown_table(["readers", "teachings", "asks", "failed asks", "failed", "seconds", "first failure"],
                                read_rows)
    print(read_table, flush=True)
    fault_rows = cli_faults(tmp)
    fault_table = markdown_table(["fault", "exit status", "one line, no traceback", "what the user sees"], fault_rows)
    print(fault_table, flush=True)
    overlap_rows = output_overlaps(tmp)
    overlap_table = markdown_table(["output overlapping an input", "input or user files changed or lost"],
                                   overlap_rows)
    print(overlap_table, flush=True)
    corr_rows = corruption(tmp, 300 if args.quick else 1500, 60 if args.quick else 300)
    corr_table = markdown_table(["file", "bytes", "damaged copies tried", "refused (ModelFileError naming the file)",
                                 "loaded, behaves identically", "loaded, behaves differently", "other exception"],
                                corr_rows)
    print(corr_table, flush=True)
    lin_rows = linear_time(SIZES_KB, 20.0 if not args.quick else 3.0)
    lin_table = markdown_table(["entry point", "input (one line)", *[f"µs/KB at {k} KB" for k in SIZES_KB],
                                "µs/KB ratio, largest / 1 KB"], lin_rows)
    print(lin_table, flush=True)
    if args.quick:
        return
    body = f"""## Reliability (`benchmarks/reliability.py`; fuzzing in `benchmarks/fuzz.py`)

{machine_line()}. Processes are real (forked, or the `edgekit` command) and are killed with SIGKILL at
random moments over the save; after each kill the file on disk must be the old or the new state byte for
byte, and must load. **Kills survived: {totals['survived']} / {totals['kills']}.** The peer writes the
same bytes straight over the file.

{crash_table}

Concurrent writers: four processes teach one model file at once (one load-learn-save cycle per batch of 4).

{conc_table}

Readers during a writer: four processes load the pipeline and ask in a loop (no lock) while one teaches it
(lock, load, teach, save) again and again. The peer is the obvious implementation: delete the replaced
members right after pipeline.json is replaced, read pipeline.json once. Then the real commands.

{read_table}

CLI argument and stream faults, each a real `edgekit` process. **Clean: {sum(r[2] == "yes" for r in fault_rows)}
/ {len(fault_rows)}.**

{fault_table}

Outputs that overlap inputs (every layout refused or harmless; the inputs' bytes are compared before and
after). **Inputs or user files changed or lost: {sum(r[1] for r in overlap_rows)}.**

{overlap_table}

Corruption: truncated and bit-flipped copies (the first 64 bytes bit by bit, then random positions).
"Behaves identically" means the damage fell where it changes nothing edgekit reads (ONNX doc fields).

{corr_table}

Linear time: adversarial one-line inputs, best of 3 (1 repeat at 100 KB and above); a constant µs/KB is
linear time. "skipped": projected past 20 s.

{lin_table}
"""
    write_section("reliability", body)
    print(f"kills survived {totals['survived']} / {totals['kills']}; RESULTS.md section 'reliability' written")


if __name__ == "__main__":
    main()
