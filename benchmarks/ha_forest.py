"""Home Assistant intents on the forest engine: a language written as .forest (edgekit hass to-forest) and
parsed by edgekit.forest, against hassil 3.13 on the repository's own test sentences.

Usage: python benchmarks/ha_forest.py --data DIR [--lang en ...] [--json OUT] [--no-write] [--rounds 2]

The procedure, fixtures, per-sentence context and verdict are benchmarks/ha_intents.py's (its functions are
used here). The parent writes each language's grammar and compiles it to a .forestc (the import time);
each engine then runs in its own child processes, in alternating rounds, and a sentence's time is its
fastest over all rounds. The figures say what the forest engine gives on HA's data, beside the token
automaton of edgekit.hass (ha_intents.py), which is the fast path."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from benchmarks.ha_intents import (DEFAULT_DATA, _score, load_tests, merge_rounds,  # noqa: E402
                                   read_fixtures, run_hassil)

ENGINES = ("hassil", "forest")


def run_forest(data: Path, lang: str, tests: list, compiled: Path, repeat: int) -> dict:
    from edgekit.forest import load_forest
    from edgekit.forest.frame import jsonable
    from edgekit.hass import home_lists

    t0 = time.perf_counter()
    forest = load_forest(compiled)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    lists = home_lists(read_fixtures(data, lang), "_fixtures.yaml")
    runtime = set(forest.runtime_classes)
    for name, entries in lists.items():
        if name in runtime:
            forest.set_list(name, entries)
    lists_s = time.perf_counter() - t0

    def parse(sentence: str, context: dict):
        frame = forest.parse(sentence, context=context)
        if frame is None:
            return None
        return frame.intent, {k: jsonable(s.value) for k, s in frame.slots.items()}, frame.context

    return _score(parse, tests, load_s, lists_s, [], repeat)


def export(data: Path, lang: str, folder: Path) -> tuple[float, dict]:
    """Write and compile a language's .forest grammar in a child; (seconds, what the export left out)."""
    code = ("import json, sys; from edgekit.hass.source import load_language; from edgekit.hass.to_forest import "
            "write_forest; from edgekit.forest import load_forest\n"
            "e = write_forest(load_language(sys.argv[1]), sys.argv[2])\n"
            "load_forest(sys.argv[2], cache=False).save(sys.argv[3])\n"
            "print(json.dumps({'templates': e.templates, 'exported': e.exported, 'left_out': e.left_out}))")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, str(data / "sentences" / lang), str(folder),
                           str(folder / "grammar.forestc")], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"to-forest {lang} failed:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t, json.loads(proc.stdout)


def render(results: dict, machine: str) -> str:
    rows = ["## Home Assistant intents on the forest engine (`benchmarks/ha_forest.py`, hassil 3.13.0 vs "
            "edgekit.forest)", "",
            f"{machine}; each language written by `edgekit hass to-forest` and compiled, then parsed by the forest "
            "engine; the test sentences, fixtures, context and verdict of benchmarks/ha_intents.py; each engine in "
            "its own process, a sentence's time its fastest over the alternating rounds.", "",
            "| language | templates written | hassil accuracy | forest accuracy | hassil median µs | forest median µs "
            "| median ratio | hassil p95 µs | forest p95 µs | p95 ratio | write+compile s | forest load s | forest RSS MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for lang, r in results.items():
        h, f, e = r["hassil"], r["forest"], r["export"]
        rows.append(f"| {lang} | {e['exported']}/{e['templates']} | {100 * h['passed'] / h['n']:.2f}% | "
                    f"{100 * f['passed'] / f['n']:.2f}% | {h['median_us']:.0f} | {f['median_us']:.0f} | "
                    f"{h['median_us'] / f['median_us']:.1f}x | {h['p95_us']:.0f} | {f['p95_us']:.0f} | "
                    f"{h['p95_us'] / f['p95_us']:.1f}x | {r['export_s']:.1f} | {f['load_s']:.2f} | {f['rss_mb']:.1f} |")
    n = sum(r["forest"]["n"] for r in results.values())
    passed = {e: sum(r[e]["passed"] for r in results.values()) for e in ENGINES}
    left = {}
    for r in results.values():
        for k, v in r["export"]["left_out"].items():
            left[k] = left.get(k, 0) + v
    rows += ["", f"Over the {len(results)} languages: hassil {100 * passed['hassil'] / n:.2f}%, forest "
                 f"{100 * passed['forest'] / n:.2f}% of {n} sentences. Left out by the export: "
             + ("; ".join(f"{k}: {v}" for k, v in sorted(left.items())) or "nothing") + "."]
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--lang", action="append", default=[])
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--show-failures", type=int, default=3)
    ap.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--compiled", help=argparse.SUPPRESS)
    args = ap.parse_args()
    data = Path(args.data).resolve()
    if args.child:
        tests = load_tests(data, args.lang[0])
        out = (run_hassil(data, args.lang[0], tests, args.repeat) if args.child == "hassil" else
               run_forest(data, args.lang[0], tests, Path(args.compiled), args.repeat))
        json.dump(out, sys.stdout)
        return
    if not (data / "tests").is_dir():
        raise SystemExit(f"no intents checkout at {data} (pass --data)")
    langs = args.lang or sorted(p.name for p in (data / "tests").iterdir()
                                if p.is_dir() and (p / "_fixtures.yaml").exists())
    tmp = Path(tempfile.mkdtemp(prefix="ha_forest_"))
    results: dict[str, dict] = {}
    loads = [os.getloadavg()[0]]
    for lang in langs:
        folder = tmp / lang
        export_s, exported = export(data, lang, folder)
        runs: dict[str, list] = {e: [] for e in ENGINES}
        for _round in range(max(args.rounds, 1)):
            for engine in ENGINES:
                cmd = [sys.executable, __file__, "--data", str(data), "--lang", lang, "--child", engine,
                       "--compiled", str(folder / "grammar.forestc"), "--repeat", str(args.repeat)]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise SystemExit(f"{engine} {lang} failed:\n{proc.stderr[-3000:]}")
                runs[engine].append(json.loads(proc.stdout))
                loads.append(os.getloadavg()[0])
        results[lang] = {e: merge_rounds(runs[e]) for e in ENGINES}
        results[lang].update(export=exported, export_s=export_s)
        for engine in ENGINES:
            r = results[lang][engine]
            r.pop("entries", None)
            print(f"{lang:6} {engine:7} {r['passed']}/{r['n']} = {100 * r['passed'] / max(r['n'], 1):.2f}%  "
                  f"median {r['median_us']:.0f} µs  p95 {r['p95_us']:.0f} µs", flush=True)
            for f in r["failures"][:args.show_failures]:
                print(f"    FAIL {f[0]}: {f[1]!r}: {f[2]}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    load = f"load average (1 min) {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores during the run"
    print(render(results, load))
    if not args.no_write:
        from benchmarks.results import machine_line, write_section
        write_section("ha-forest", render(results, f"{machine_line()}; {load}"))


if __name__ == "__main__":
    main()
