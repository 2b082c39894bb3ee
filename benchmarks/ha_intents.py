"""Home Assistant intents: hassil 3.13 and edgekit on the repository's own test sentences.

Usage: python benchmarks/ha_intents.py --data DIR [--lang en --lang de ...] [--json OUT] [--no-write]
       [--engine both|hassil|edgekit] [--rounds 3] [--repeat 2]

DIR is an intents checkout laid out like ../shared/data/ha-intents (sentences/, tests/, shared/). For
each language with tests, every engine runs in its own child process: it loads the language, builds the
home lists from tests/<lang>/_fixtures.yaml (hassil: the repository's shared.get_slot_lists; edgekit:
edgekit.hass.home, checked here to give the same entries), then parses every sentence of the files
directly in tests/<lang>/ (sentences listed in _test_failures.yaml are skipped) with the test's context,
and applies the verdict of tests/test_language_sentences.py: intent, every slot, and the context when the
test gives one. Response texts are not compared (the snapshot has no responses/ folder).

Timing on a shared machine: the engines' children run in alternating rounds (hassil, edgekit, hassil,
edgekit ...), each parsing every sentence `repeat` times; a sentence's time is its fastest run over all
rounds, the same rule for both engines, so that a burst of load on the machine during one child does not
decide the ratio. The load average is printed with the figures."""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO / ".." / "shared" / "data" / "ha-intents"
if str(REPO) not in sys.path:  # run as a script: benchmarks.results is imported from the checkout
    sys.path.insert(0, str(REPO))
ENGINES = ("hassil", "edgekit")


# ---- the repository's test procedure -------------------------------------------------------------------------
def load_tests(data: Path, lang: str) -> list[tuple[str, str, dict]]:
    """(test file, sentence, expected intent dict) for every scored sentence of a language."""
    import yaml

    folder = data / "tests" / lang
    failing: set[str] = set()
    fail_path = folder / "_test_failures.yaml"
    if fail_path.exists():
        failing.update((yaml.safe_load(fail_path.read_text(encoding="utf-8")) or {}).get("sentences", []))
    out = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name in ("_fixtures.yaml", "_test_failures.yaml"):
            continue
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for test in doc.get("tests", []):
            for sentence in test.get("sentences") or []:
                if sentence not in failing:
                    out.append((path.stem, sentence, test["intent"]))
    return out


def verdict(expected: dict, got: tuple[str, dict, dict] | None) -> str | None:
    """None when the result passes tests/test_language_sentences.py's checks, else why not."""
    if got is None:
        return "no result"
    name, slots, context = got
    if name != expected["name"]:
        return f"intent {name} (expected {expected['name']})"
    want = expected.get("slots") or {}
    for k, v in slots.items():
        w = want.get(k)
        if w is None:
            return f"extra slot {k}={v!r}"
        if isinstance(w, list):
            ok = set(w).issubset(v) if isinstance(v, list) else v in set(w)
        else:
            ok = (w in v) if isinstance(v, list) else (w == v)
        if not ok:
            return f"slot {k}={v!r} (expected {w!r})"
    for k in want:
        if k not in slots:
            return f"missing slot {k}"
    want_ctx = expected.get("context") or {}
    if want_ctx and context != want_ctx:
        return f"context {context!r} (expected {want_ctx!r})"
    return None


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- engines (each in its own process) ----------------------------------------------------------------------
def hassil_language(data: Path, lang: str) -> Any:
    """hassil's Intents for one language folder, merged over _common.yaml as Home Assistant merges them."""
    import dataclasses

    import yaml
    from hassil import Intents, merge_dict

    files = {p.name: yaml.safe_load(p.read_text(encoding="utf-8"))
             for p in sorted((data / "sentences" / lang).glob("*.yaml"))}
    files["_common.yaml"].setdefault("intents", {})
    common = Intents.from_dict(files["_common.yaml"])
    merged: dict = {}
    for name, d in files.items():
        if name != "_common.yaml":
            merge_dict(merged, d)
    return dataclasses.replace(common, intents=Intents.from_dict(merged).intents)


def hassil_parser(data: Path, intents: Any, fixtures: dict) -> tuple[Callable, dict]:
    """(parse(sentence, context) -> (intent, slots, context) or None, the home's slot lists) as Home
    Assistant runs hassil: the repository's shared.get_slot_lists, names found through a trie first."""
    from hassil import TextChunk, TextSlotList, Trie, recognize_best

    slot_lists = repository_shared(data).get_slot_lists(fixtures)  # the repository's own fixture -> slot lists
    name_trie = Trie()
    for v in slot_lists["name"].values:
        assert isinstance(v.text_in, TextChunk)
        name_trie.insert(v.text_in.text.strip().lower(), v)

    def parse(sentence: str, context: dict):
        lists = dict(slot_lists)
        lists["name"] = TextSlotList(name="name", values=[v[2] for v in name_trie.find(sentence.lower())])
        r = recognize_best(sentence, intents, slot_lists=lists, intent_context=context, best_slot_name="name")
        if r is None:
            return None
        return r.intent.name, {e.name: e.value for e in r.entities.values()}, r.context

    return parse, slot_lists


def edgekit_parser(rec: Any, fixtures: dict) -> tuple[Callable, dict]:
    """(parse(sentence, context) -> (intent, slots, context) or None, the home lists) for a loaded language
    (edgekit.hass.Recognizer), its runtime lists set from a fixture."""
    from edgekit.hass import home_lists

    lists = home_lists(fixtures, "_fixtures.yaml")
    for name, values in lists.items():
        if name in rec.runtime_lists:
            rec.set_list(name, values)

    def parse(sentence: str, context: dict):
        r = rec.parse(sentence, context)
        if not r:
            return None
        return r[0].intent, r[0].slot_values(), r[0].context

    return parse, lists


def read_fixtures(data: Path, lang: str) -> dict:
    """A language's test home (tests/<lang>/_fixtures.yaml): areas, floors and entities."""
    import yaml

    return yaml.safe_load((data / "tests" / lang / "_fixtures.yaml").read_text(encoding="utf-8"))


def repository_shared(data: Path) -> Any:
    """The intents checkout's own `shared` module (its test fixtures -> hassil slot lists)."""
    if str(data) not in sys.path:
        sys.path.insert(0, str(data))
    import shared

    return shared


def run_hassil(data: Path, lang: str, tests: list, repeat: int) -> dict:
    repository_shared(data)  # imported before the timing (it imports hassil and yaml)

    t0 = time.perf_counter()
    intents = hassil_language(data, lang)
    load_s = time.perf_counter() - t0
    fixtures = read_fixtures(data, lang)
    t0 = time.perf_counter()
    parse, slot_lists = hassil_parser(data, intents, fixtures)
    lists_s = time.perf_counter() - t0
    entries = sorted(json.dumps([k, v.text_in.text.strip(), v.value_out, v.context], sort_keys=True, default=str)
                     for k, lst in slot_lists.items() for v in lst.values)
    return _score(parse, tests, load_s, lists_s, entries, repeat)


def run_edgekit(data: Path, lang: str, tests: list, artifact: Path, repeat: int) -> dict:
    from edgekit.hass import home_lists, load_compiled  # noqa: F401  imported before the timing (edgekit_parser's import is then free)

    t0 = time.perf_counter()
    rec = load_compiled(artifact)
    load_s = time.perf_counter() - t0
    fixtures = read_fixtures(data, lang)
    t0 = time.perf_counter()
    parse, lists = edgekit_parser(rec, fixtures)
    lists_s = time.perf_counter() - t0
    entries = sorted(json.dumps([k, e.text.strip(), e.value, e.context], sort_keys=True, default=str)
                     for k, lst in lists.items() for e in lst)
    out = _score(parse, tests, load_s, lists_s, entries, repeat)
    out["replace_1000_ms"] = replace_big_list(rec, lists)
    return out


def replace_big_list(rec, lists: dict) -> float:
    """Time to replace the name list with 1,000 entities (area name + a word + a number), then put the
    fixture's list back; the fastest of 3."""
    from edgekit.hass import ListEntry

    areas = [e.text for e in lists.get("area", [])] or ["room"]
    big = [ListEntry(f"{areas[k % len(areas)]} device {k}", f"light.d{k}", {"domain": "light"}) for k in range(1000)]
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        rec.set_list("name", big)
        best = min(best, time.perf_counter() - t)
    rec.set_list("name", lists["name"])
    return best * 1000


def _score(parse, tests: list, load_s: float, lists_s: float, entries: list, repeat: int) -> dict:
    """Verdict and time of every sentence; a sentence's time is the fastest of `repeat` runs (the least
    disturbed by other load on a shared machine; the same rule for both engines). The very first call
    after load is timed on its own as the first parse."""
    times, failures, passed = [], [], 0
    first_ms = None
    for k, (fname, sentence, expected) in enumerate(tests):
        ctx = expected.get("context") or {}
        best = float("inf")
        for _ in range(repeat):
            t = time.perf_counter_ns()
            got = parse(sentence, dict(ctx))
            dt = (time.perf_counter_ns() - t) / 1000
            if first_ms is None:
                first_ms = dt / 1000
            best = min(best, dt)
        times.append(best)
        why = verdict(expected, got)
        if why is None:
            passed += 1
        else:
            failures.append([fname, sentence, why])
    return {"n": len(tests), "passed": passed, "times_us": times, "load_s": load_s, "lists_s": lists_s,
            "first_parse_ms": first_ms, "rss_mb": peak_rss_mb(), "failures": failures, "entries": entries}


def merge_rounds(runs: list[dict]) -> dict:
    """One engine's figures over its rounds: each sentence's fastest time, the fastest load, list build,
    first parse and list replacement, the largest RSS; verdicts from the first round (they are the same)."""
    out = dict(runs[0])
    times = sorted(min(ts) for ts in zip(*(r["times_us"] for r in runs)))
    out.pop("times_us")
    out["median_us"] = statistics.median(times) if times else 0
    out["p95_us"] = times[int(0.95 * (len(times) - 1))] if times else 0
    for key in ("load_s", "lists_s", "first_parse_ms", "replace_1000_ms"):
        if key in out:
            out[key] = min(r[key] for r in runs)
    out["rss_mb"] = max(r["rss_mb"] for r in runs)
    out["rounds"] = len(runs)
    return out


def child(args) -> None:
    data = Path(args.data)
    tests = load_tests(data, args.lang[0])
    if args.child == "hassil":
        out = run_hassil(data, args.lang[0], tests, args.repeat)
    else:
        out = run_edgekit(data, args.lang[0], tests, Path(args.artifact), args.repeat)
    json.dump(out, sys.stdout)


def import_language(data: Path, lang: str, out: Path) -> float:
    """Import (YAML -> compiled file) in a child of its own; its time is reported separately from load."""
    t = time.perf_counter()
    code = "import sys; from edgekit.hass import import_language; import_language(sys.argv[1], sys.argv[2])"
    subprocess.run([sys.executable, "-c", code, str(data / "sentences" / lang), str(out)], check=True)
    return time.perf_counter() - t


# ---- parent --------------------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(DEFAULT_DATA))
    ap.add_argument("--lang", action="append", default=[])
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--engine", default="both", choices=["both", *ENGINES])
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--show-failures", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=2, help="runs per sentence in each round; the fastest counts")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds of the engines' children")
    ap.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    ap.add_argument("--artifact", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    data = Path(args.data).resolve()
    if not (data / "tests").is_dir():
        raise SystemExit(f"no intents checkout at {data} (pass --data)")
    langs = args.lang or sorted(p.name for p in (data / "tests").iterdir()
                                if p.is_dir() and (p / "_fixtures.yaml").exists())
    engines = ENGINES if args.engine == "both" else (args.engine,)
    import tempfile
    tmp = Path(tempfile.mkdtemp(prefix="ha_intents_"))
    results: dict[str, dict] = {}
    loads = [os.getloadavg()[0]]
    for lang in langs:
        results[lang] = {}
        artifact = tmp / f"{lang}.hass.json"
        if "edgekit" in engines:
            results[lang]["import_s"] = import_language(data, lang, artifact)
        runs: dict[str, list] = {e: [] for e in engines}
        for _round in range(max(args.rounds, 1)):
            for engine in engines:
                cmd = [sys.executable, __file__, "--data", str(data), "--lang", lang, "--child", engine,
                       "--artifact", str(artifact), "--repeat", str(args.repeat)]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise SystemExit(f"{engine} {lang} failed:\n{proc.stderr[-3000:]}")
                runs[engine].append(json.loads(proc.stdout))
                loads.append(os.getloadavg()[0])
        for engine in engines:
            results[lang][engine] = merge_rounds(runs[engine])
            r = results[lang][engine]
            print(f"{lang:6} {engine:8} {r['passed']}/{r['n']} = {100 * r['passed'] / max(r['n'], 1):.2f}%  "
                  f"median {r['median_us']:.0f} µs  p95 {r['p95_us']:.0f} µs  load {r['load_s']:.2f} s  "
                  f"lists {r['lists_s'] * 1000:.1f} ms  first {r['first_parse_ms']:.1f} ms  "
                  f"RSS {r['rss_mb']:.1f} MB", flush=True)
            for f in r["failures"][:args.show_failures]:
                print(f"    FAIL {f[0]}: {f[1]!r}: {f[2]}")
        if len(engines) == 2:
            results[lang]["same_lists"] = results[lang]["hassil"]["entries"] == results[lang]["edgekit"]["entries"]
    for lang in results:
        for e in engines:
            results[lang][e].pop("entries", None)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    load = f"load average (1 min) {min(loads):.1f} to {max(loads):.1f} on {os.cpu_count()} cores during the run"
    print(render(results, engines, load))
    if not args.no_write and len(engines) == 2:
        from benchmarks.results import machine_line, write_section
        write_section("ha-intents", render(results, engines, f"{machine_line()}; {load}"))


def targets(results: dict) -> list[list[str]]:
    """The issue's "Done when" figures, each with met / NOT met."""
    def acc(r: dict) -> float:
        return r["passed"] / max(r["n"], 1)

    rows = []
    worse = [lang for lang, r in results.items() if acc(r["edgekit"]) < acc(r["hassil"])]
    rows.append(["accuracy >= hassil's in each language", "worse in: " + ", ".join(worse) if worse else "all languages",
                 "NOT met" if worse else "met"])
    p = sum(r["edgekit"]["passed"] for r in results.values())
    n = sum(r["edgekit"]["n"] for r in results.values())
    rows.append([f"accuracy >= 99.9% over {', '.join(results)}", f"{100 * p / max(n, 1):.2f}%",
                 "met" if p >= 0.999 * n else "NOT met"])
    if "zh-cn" in results:
        z = acc(results["zh-cn"]["edgekit"])
        rows.append(["zh-cn accuracy >= 99%", f"{100 * z:.2f}%", "met" if z >= 0.99 else "NOT met"])
    for key, label in (("median_us", "median"), ("p95_us", "p95")):
        ratios = {lang: r["hassil"][key] / max(r["edgekit"][key], 1e-9) for lang, r in results.items()}
        low = min(ratios.values())
        rows.append([f"{label} per sentence >= 20x faster than hassil (each language)",
                     f"lowest {low:.1f}x ({min(ratios, key=ratios.get)})", "met" if low >= 20 else "NOT met"])
    first = max(r["edgekit"]["first_parse_ms"] for r in results.values())
    rows.append(["first parse after load <= 5 ms", f"at most {first:.2f} ms", "met" if first <= 5 else "NOT met"])
    rep = max(r["edgekit"].get("replace_1000_ms", float("inf")) for r in results.values())
    rows.append(["1,000-entity list replaced <= 50 ms", f"at most {rep:.1f} ms", "met" if rep <= 50 else "NOT met"])
    rss = max(r["edgekit"]["rss_mb"] for r in results.values())
    rows.append(["RSS of a loaded language <= 60 MB (peak of the whole benchmark process)", f"at most {rss:.1f} MB",
                 "met" if rss <= 60 else "NOT met"])
    return rows


def render(results: dict, engines: tuple, machine: str = "") -> str:
    from benchmarks.results import markdown_table

    lines = ["## Home Assistant intents (`benchmarks/ha_intents.py`, hassil 3.13.0 vs edgekit)", ""]
    if machine:
        rounds = next(iter(results.values()))[engines[0]].get("rounds", 1)
        lines += [machine + "; the repository's own test sentences and verdict (intent, slots, context), "
                  "`_test_failures.yaml` skipped, each engine in its own process; a sentence's time is its "
                  f"fastest of {rounds} alternating rounds of both engines.", ""]
    header = ["language", "sentences"]
    for e in engines:
        header += [f"{e} accuracy", f"{e} median µs", f"{e} p95 µs"]
    if len(engines) == 2:
        header += ["median ratio", "p95 ratio"]
    rows = []
    tot = {e: [0, 0] for e in engines}
    for lang, r in results.items():
        row = [lang, r[engines[0]]["n"]]
        for e in engines:
            x = r[e]
            tot[e][0] += x["passed"]
            tot[e][1] += x["n"]
            row += [f"{100 * x['passed'] / max(x['n'], 1):.2f}%", f"{x['median_us']:.0f}", f"{x['p95_us']:.0f}"]
        if len(engines) == 2:
            h, k = r["hassil"], r["edgekit"]
            row += [f"{h['median_us'] / max(k['median_us'], 1e-9):.1f}x", f"{h['p95_us'] / max(k['p95_us'], 1e-9):.1f}x"]
        rows.append(row)
    total = ["all", sum(r[engines[0]]["n"] for r in results.values())]
    for e in engines:
        total += [f"{100 * tot[e][0] / max(tot[e][1], 1):.2f}%", "", ""]
    rows.append(total + ([""] * 2 if len(engines) == 2 else []))
    lines.append(markdown_table(header, rows))
    lines += ["", markdown_table(
        ["language", "engine", "load s", "home lists ms", "1,000-entity list replaced ms", "first parse ms",
         "peak RSS MB", "import s"],
        [[lang, e, f"{r[e]['load_s']:.3f}", f"{r[e]['lists_s'] * 1000:.1f}",
          f"{r[e]['replace_1000_ms']:.1f}" if "replace_1000_ms" in r[e] else "",
          f"{r[e]['first_parse_ms']:.2f}", f"{r[e]['rss_mb']:.1f}",
          f"{r['import_s']:.2f}" if e == "edgekit" and "import_s" in r else ""]
         for lang, r in results.items() for e in engines])]
    if len(engines) == 2:
        lines += ["", "### Targets (issue 12)", "", markdown_table(["target", "measured", ""], targets(results))]
        lines += ["", "Home lists identical to shared.get_slot_lists: " +
                  ", ".join(f"{lang} {'yes' if r.get('same_lists') else 'NO'}" for lang, r in results.items())]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
