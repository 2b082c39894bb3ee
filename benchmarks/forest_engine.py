"""The lattice engine's bounds (issue 11): the spelled-address line that used to take exponential time,
adversarial inputs from 1 KB to 1 MB, a nested-repeat grammar refused at compile time, a 100,000-entry
lexicon (compile, cached load, per-token cost against a 50-entry one), RSS after 10,000 and 2,000,000
distinct tokens. Writes the "forest-engine" section of RESULTS.md.

Usage: python benchmarks/forest_engine.py [--no-write] [--quick]
Memory and load figures come from fresh child processes (bytecode caches on, as installed)."""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import installed_env, machine_line, markdown_table, write_section  # noqa: E402

EMAIL = "b" + " dot b" * 17 + " dot com"
NESTED = "lexicon a { a }\nrule r: ((((a{1,64}){1,64}){1,64}){1,64})\n"
ADVERSARIAL = {  # (grammar, piece repeated to the size)
    "e-mail/URL shape": ("en-itn", "b dot b at "),
    "repeated separators": ("en-tn", "b - . , / "),
    "one keyword repeated": ("en-itn", "twenty "),
    "alternating rule prefixes": ("home", "turn on the set a timer for dim the "),
}

CHILD_LEXICON = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from edgekit.forest import load_forest
f = load_forest(sys.argv[1])
t1 = time.perf_counter()
text = sys.argv[2]
t2 = time.perf_counter(); f.normalize(text); t3 = time.perf_counter()
for _ in range(200): f.normalize(text)
best = min((lambda: (lambda t: (f.normalize(text), time.perf_counter() - t)[1])(time.perf_counter()))() for _ in range(50))
print(json.dumps({"load_s": t1 - t0, "first_s": t3 - t2, "steady_s": best,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

CHILD_RSS = r"""
import json, sys
from edgekit.forest import load_forest
def rss_mb():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
f = load_forest("home")
letters = "abcdefghijklmnopqrstuvwxyz"
def word(k):
    out = []
    for _ in range(5):
        k, r = divmod(k, 26)
        out.append(letters[r])
    return "q" + "".join(out)
out, done = {}, 0
for target in (10_000, int(sys.argv[1])):
    while done < target:
        n = min(1000, target - done)
        f.normalize(" ".join(word(k) for k in range(done, done + n)))
        done += n
    out[str(target)] = rss_mb()
print(json.dumps(out))
"""


def child(code: str, *args: str, cache: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], env=installed_env(EDGEKIT_CACHE=cache),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def lexicon_grammar(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    entries = "\n".join(f"  item{_alpha(k)} = {k}" for k in range(n))
    (folder / "main.forest").write_text(f"lexicon big {{\n{entries}\n}}\nrule pick: pick <big:b>\n  value b\n",
                                        encoding="utf-8")
    return folder / "main.forest"


def _alpha(k: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    out = []
    for _ in range(4):
        k, r = divmod(k, 26)
        out.append(letters[r])
    return "".join(out)


def best_of(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run, not for RESULTS.md)")
    args = ap.parse_args()

    from edgekit.errors import GrammarError
    from edgekit.forest import compile_forest, load_forest

    load_start = os.getloadavg()[0]
    rows = []
    itn = load_forest("en-itn")
    itn.normalize(EMAIL)
    ts = []
    for _ in range(50):
        t = time.perf_counter()
        itn.normalize(EMAIL)
        ts.append(time.perf_counter() - t)
    email_ms = statistics.median(ts) * 1000
    rows.append([f"the {len(EMAIL)}-character spelled address, en-itn (median)", f"{email_ms:.2f} ms", "< 10 ms",
                 "met" if email_ms < 10 else "NOT met"])

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "nested").mkdir()
        (tmp_path / "nested" / "main.forest").write_text(NESTED, encoding="utf-8")
        t = time.perf_counter()
        try:
            compile_forest(tmp_path / "nested")
            refused = "compiled (NOT refused)"
        except GrammarError as exc:
            refused = str(exc).splitlines()[0]
        nested_s = time.perf_counter() - t
        rows.append(["nested-repeat grammar refused", f"{nested_s * 1000:.1f} ms", "< 1 s",
                     "met" if nested_s < 1 and "too large" in refused else "NOT met"])
        rows.append([f"  its error: `{refused[-90:]}`", "", "", ""])

        big, small = lexicon_grammar(tmp_path / "big", 100_000), lexicon_grammar(tmp_path / "small", 50)
        compile_s = best_of(lambda: compile_forest(big), 1)
        rows.append(["100,000-entry lexicon: compile", f"{compile_s:.2f} s", "< 5 s", "met" if compile_s < 5 else "NOT met"])
        text = " ".join(f"pick item{_alpha(k * 7919 % 50)}" for k in range(100))
        figures = {}
        for label, path in (("100,000", big), ("50", small)):
            cache = str(tmp_path / f"cache-{label}")
            child(CHILD_LEXICON, str(path), text, cache=cache)  # compiles, fills the cache
            runs = [child(CHILD_LEXICON, str(path), text, cache=cache) for _ in range(3)]
            figures[label] = {"load_s": min(r["load_s"] for r in runs), "first_s": min(r["first_s"] for r in runs),
                              "steady_s": min(r["steady_s"] for r in runs),
                              "rss": max(r["peak_rss_mb"] for r in runs)}
        b, s = figures["100,000"], figures["50"]
        rows.append(["100,000-entry lexicon: cached load (fresh process, imports included)",
                     f"{b['load_s']:.3f} s (50 entries: {s['load_s']:.3f} s)", "< 0.5 s",
                     "met" if b["load_s"] < 0.5 else "NOT met"])
        per_b, per_s = b["steady_s"] / 200 * 1e6, s["steady_s"] / 200 * 1e6
        rows.append(["per token after load, 100,000 vs 50 entries (200-token text)",
                     f"{per_b:.1f} vs {per_s:.1f} µs ({per_b / per_s:.2f}x)", "no more", "met" if per_b <= per_s * 1.15
                     else "NOT met"])
        rows.append(["first text after load, 100,000 vs 50 entries", f"{b['first_s'] * 1000:.1f} vs "
                     f"{s['first_s'] * 1000:.1f} ms", "", ""])
        rows.append(["peak RSS, 100,000 vs 50 entries", f"{b['rss']:.0f} vs {s['rss']:.0f} MB", "", ""])

        distinct = 100_000 if args.quick else 2_000_000
        rss = child(CHILD_RSS, str(distinct), cache=str(tmp_path / "cache-rss"))
        r10, rbig = rss["10000"], rss[str(distinct)]
        rows.append([f"RSS after 10,000 / {distinct:,} distinct tokens (home)", f"{r10:.1f} / {rbig:.1f} MB "
                     f"(+{(rbig / r10 - 1) * 100:.1f}%)", "within 10%", "met" if rbig <= r10 * 1.10 else "NOT met"])

    adv = []
    sizes = (1_000, 32_000, 256_000) if args.quick else (1_000, 32_000, 1_000_000)
    for name, (grammar, piece) in ADVERSARIAL.items():
        forest = load_forest(grammar)
        per_kb = []
        for size in sizes:
            text = piece * (size // len(piece))
            per_kb.append(best_of(lambda: forest.normalize(text), 3 if size < 100_000 else 1) / (len(text) / 1000))
        adv.append([name, grammar] + [f"{x * 1000:.2f}" for x in per_kb] + [f"{per_kb[-1] / per_kb[0]:.2f}x"])

    body = "\n\n".join([
        "## Forest engine bounds (`benchmarks/forest_engine.py`)",
        machine_line() + f"; load average {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
        "Issue 11's figures for the lattice engine, checked against its targets (no peer runs these grammars).",
        markdown_table(["figure", "value", "target", ""], rows),
        "Adversarial inputs (ms per KB of input, best of 3, 1 MB once; the ratio is 1 MB against 1 KB):",
        markdown_table(["input class", "grammar"] + [f"{s // 1000} KB" for s in sizes] + ["ratio"], adv),
    ])
    print(body)
    if not args.no_write and not args.quick:
        write_section("forest-engine", body)


if __name__ == "__main__":
    main()
