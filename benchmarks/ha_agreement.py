"""Home Assistant intents in every language: edgekit against hassil on sentences sampled from the templates.

Usage: python benchmarks/ha_agreement.py --data DIR [--lang en --lang th ...] [--per-language 300] [--seed 0]
       [--repeat 3] [--unmatched N] [--merged DIR] [--show 3] [--json OUT] [--no-write]

ha_intents.py scores the languages whose tests are in DIR/tests; this one needs no test sentences, so it
reaches every language folder in DIR/sentences, including the ones never seen while edgekit was built. For
each language it draws sentences at random from the templates (a random template, then at each
alternative a random choice, permutations in a random order, list values at random, range numbers as
digits or as the number words hassil itself says; templates with wildcards are left out, as hassil's own
sampler leaves them out), then parses each with hassil 3.13 (recognize_best, best_slot_name="name") and
with edgekit, both in this process, with the home of tests/<lang>/_fixtures.yaml where the language has
one and tests/en/_fixtures.yaml elsewhere (the names and areas are then English words inside the
sentence). No caller context is given, so a sampled name may break its template's context rules:
both engines should then find another reading or none.

Reported per language: the sentences where the two agree (same intent and the same slot values, numbers
compared as numbers, or no intent for both), how many of those are "no intent" for both (a sampled name
that breaks its template's context rules: both rightly find nothing, but nothing was compared), the
agreement among the sentences at least one engine reads, and how often each returns the intent the
sentence was sampled from. Agreement is not accuracy (hassil is not always right: it misses CJK text glued
to a list value), but each disagreement is a place where edgekit and hassil read a template differently.

Each sentence is also parsed by both with a caller context, as a voice satellite gives it: {"area": one of
the home's areas, drawn at random}, which blocks with requires_context / excludes_context on the area (and
`slot: true` copies of it) read; reported as the agreement with a caller area.

With --merged DIR (a folder of <lang>.json, as the home-assistant-intents package ships them in its data/),
the templates are those files, read by hassil as Home Assistant reads them (Intents.from_dict) and imported by
edgekit from the same file; the homes are still the fixtures of --data.

With --unmatched N, per language up to N sentences are sampled with a device or area name the home does not
have (as "zorblax" or "quux room"), kept when neither engine reads them strictly, and parsed by both allowing
unmatched entities (hassil's allow_unmatched_entities, edgekit's allow_unmatched): reported is how often the
two name the same unknown value as Home Assistant's error response would (an area first, then a floor, then
a device; hassil's "<missing>" context entities left out, as Home Assistant leaves them out).

Also per language: the median time per sentence of each engine and their ratio, a sentence's time being its
fastest of `repeat` alternating runs of the two (hassil, edgekit, hassil ...), in this one process. This is
the speed check for the languages whose tests ha_intents.py does not have."""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from benchmarks.ha_intents import DEFAULT_DATA, edgekit_parser, hassil_language, hassil_parser, read_fixtures  # noqa: E402
from benchmarks.results import pct  # noqa: E402


def sampler(lang: str, rng: random.Random):
    """say(expression, lists, rules): one random sentence of a hassil expression (KeyError: a list it cannot
    fill)."""
    from hassil.expression import Alternative, ListReference, Permutation, RuleReference, Sequence, TextChunk
    from hassil.intents import RangeSlotList, TextSlotList
    from hassil.numbers import get_rbnf_engine
    from hassil.util import normalize_whitespace

    def say(expr, lists: dict, rules: dict) -> str:
        if isinstance(expr, TextChunk):
            return expr.original_text
        if isinstance(expr, Alternative):
            return say(rng.choice(expr.items), lists, rules) if expr.items else ""
        if isinstance(expr, Permutation):
            items = list(expr.items)
            rng.shuffle(items)
            return normalize_whitespace("".join(say(i, lists, rules) for i in items)).strip()
        if isinstance(expr, Sequence):
            return normalize_whitespace("".join(say(i, lists, rules) for i in expr.items))
        if isinstance(expr, RuleReference):
            return say(rules[expr.rule_name].expression, lists, rules)
        if isinstance(expr, ListReference):
            slot_list = lists.get(expr.list_name)
            if isinstance(slot_list, TextSlotList) and slot_list.values:
                return say(rng.choice(slot_list.values).text_in, lists, rules)
            if isinstance(slot_list, RangeSlotList):
                n = rng.choice(list(slot_list.get_numbers()))
                if slot_list.words and rng.random() < 0.4:
                    try:
                        said = get_rbnf_engine(slot_list.words_language or lang).format_number(n).text_by_ruleset
                    except ValueError:  # a language the RBNF data does not have: hassil reads digits only
                        return str(n)
                    return rng.choice(sorted(set(said.values())))
                return str(n)
        raise KeyError(getattr(expr, "list_name", type(expr).__name__))

    return say


def _fitting_names(lists: dict, required: dict | None) -> dict:
    """The home's `name` list cut to the entities a block's requires_context admits (hassil's own check, keys an
    entity lacks not counted), when any are left, so that most sampled sentences can be read."""
    from hassil.intents import TextSlotList
    from hassil.util import check_required_context

    names = lists.get("name")
    if not required or not isinstance(names, TextSlotList):
        return {}
    kept = [v for v in names.values if check_required_context(required, v.context or {}, allow_missing_keys=True)]
    return {"name": TextSlotList(name="name", values=kept)} if kept else {}


def _same(a, b) -> bool:
    """Two results agree: both none, or the same intent and slot values (numbers as numbers)."""
    if a is None or b is None:
        return a is b
    if a[0] != b[0] or set(a[1]) != set(b[1]):
        return False
    for k, x in a[1].items():
        y = b[1][k]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
        if not (float(x) == float(y) if numbers else str(x) == str(y)):
            return False
    return True


def _wildcards(block: Any, merged: Path | None) -> bool:
    """Whether a block is left out as using wildcards. Read from a merged file, every block names all the
    language's wildcard lists, so there the sampler's KeyError on a wildcard leaves such templates out."""
    return merged is None and bool(block.wildcard_list_names)


def language_source(data: Path, lang: str, merged: Path | None) -> tuple[Any, Path]:
    """hassil's Intents of one language and the file or folder edgekit imports: the checkout's sentences
    folder, or with `merged`, its <lang>.json."""
    if merged is None:
        return hassil_language(data, lang), data / "sentences" / lang
    from hassil import Intents

    path = merged / f"{lang}.json"
    return Intents.from_dict(json.loads(path.read_text(encoding="utf-8"))), path


def run_language(data: Path, lang: str, n: int, seed: int, tmp: Path, repeat: int = 3,
                 merged: Path | None = None) -> dict:
    """Sample up to n sentences of one language and parse each with both engines (see the docstring)."""
    from edgekit.hass import import_language, load_compiled

    intents, source = language_source(data, lang, merged)
    blocks = [(name, block) for name, intent in intents.intents.items() for block in intent.data
              if block.sentences and not _wildcards(block, merged)]
    if not blocks:
        return {"n": 0, "note": "no intents"}
    own = (data / "tests" / lang / "_fixtures.yaml").exists()
    fixtures = read_fixtures(data, lang if own else "en")
    hassil, slot_lists = hassil_parser(data, intents, fixtures)
    artifact = tmp / f"{lang}.hass.json"
    import_language(str(source), str(artifact))
    edgekit, _lists = edgekit_parser(load_compiled(artifact), fixtures)
    rng = random.Random(f"{seed}:{lang}")
    say = sampler(lang, rng)
    areas = [str(a["name"]) for a in fixtures.get("areas") or [] if a.get("name")]
    area_rng = random.Random(f"{seed}:{lang}:area")  # apart, so that the sentences drawn stay as without it
    lists = {**intents.slot_lists, **slot_lists}
    templates = []  # (intent, template, the lists it is said with, its expansion rules)
    for name, block in blocks:
        said_with = {**lists, **_fitting_names(lists, block.requires_context), **block.slot_lists}
        rules = {**intents.expansion_rules, **block.expansion_rules}
        templates += [(name, sentence, said_with, rules) for sentence in block.sentences]
    rows = []
    for _ in range(20 * n):
        if len(rows) >= n:
            break
        name, sentence, said_with, rules = rng.choice(templates)
        try:
            text = say(sentence.expression, said_with, rules).strip()
        except KeyError:
            continue
        if text:
            h_s = e_s = float("inf")
            for _ in range(max(repeat, 1)):
                t0 = time.perf_counter()
                h = hassil(text, {})
                t1 = time.perf_counter()
                e = edgekit(text, {})
                t2 = time.perf_counter()
                h_s, e_s = min(h_s, t1 - t0), min(e_s, t2 - t1)
            ctx = {"area": area_rng.choice(areas)} if areas else {}
            hc, ec = hassil(text, dict(ctx)), edgekit(text, dict(ctx))
            rows.append({"text": text, "sampled": name, "hassil": h and h[:2], "edgekit": e and e[:2],
                         "hassil_us": h_s * 1e6, "edgekit_us": e_s * 1e6, "context": ctx,
                         "hassil_ctx": hc and hc[:2], "edgekit_ctx": ec and ec[:2]})
    return {"n": len(rows), "fixtures": lang if own else "en",
            "agree": sum(_same(r["hassil"], r["edgekit"]) for r in rows),
            "agree_ctx": sum(_same(r["hassil_ctx"], r["edgekit_ctx"]) for r in rows),
            "both_none": sum(r["hassil"] is None and r["edgekit"] is None for r in rows),
            "hassil_sampled": sum(bool(r["hassil"]) and r["hassil"][0] == r["sampled"] for r in rows),
            "edgekit_sampled": sum(bool(r["edgekit"]) and r["edgekit"][0] == r["sampled"] for r in rows),
            "hassil_us": statistics.median(r["hassil_us"] for r in rows) if rows else None,
            "edgekit_us": statistics.median(r["edgekit_us"] for r in rows) if rows else None,
            "disagreements": [r for r in rows if not _same(r["hassil"], r["edgekit"])],
            "disagreements_ctx": [r for r in rows if not _same(r["hassil_ctx"], r["edgekit_ctx"])]}


FAKE_NAMES = {"name": ["zorblax", "grunt machine"], "area": ["quux room", "attic"]}


def _error_of(unmatched: dict) -> tuple:
    """The unknown value Home Assistant's error response names: an area, a floor, then a device."""
    found = {k: v.strip() for k, v in unmatched.items() if v.strip() != "<missing>"}
    for key in ("area", "floor", "name"):
        if key in found:
            return key, found[key]
    return "other", tuple(sorted(found.items()))


def run_unmatched(data: Path, lang: str, n: int, seed: int, tmp: Path, merged: Path | None = None) -> dict:
    """Sentences with a name or area the home lacks: does edgekit name the same unknown value as hassil?"""
    from hassil import TextSlotList, recognize_best
    from edgekit.hass import load_compiled

    intents, source = language_source(data, lang, merged)
    blocks = [block for intent in intents.intents.values() for block in intent.data
              if block.sentences and not _wildcards(block, merged)]
    own = (data / "tests" / lang / "_fixtures.yaml").exists()
    fixtures = read_fixtures(data, lang if own else "en")
    strict_hassil, slot_lists = hassil_parser(data, intents, fixtures)
    artifact = tmp / f"{lang}.hass.json"
    if not artifact.exists():
        from edgekit.hass import import_language
        import_language(str(source), str(artifact))
    rec = load_compiled(artifact)
    edgekit_parser(rec, fixtures)
    rng = random.Random(f"{seed}:{lang}:unmatched")
    say = sampler(lang, rng)
    fake = {k: TextSlotList.from_strings(v, name=k) for k, v in FAKE_NAMES.items()}
    rows = []
    for _ in range(40 * n) if blocks else ():
        if len(rows) >= n:
            break
        block = rng.choice(blocks)
        which = rng.choice(sorted(fake))
        lists = {**intents.slot_lists, **slot_lists, **block.slot_lists, which: fake[which]}
        try:
            text = say(rng.choice(block.sentences).expression, lists,
                       {**intents.expansion_rules, **block.expansion_rules}).strip()
        except KeyError:
            continue
        if not any(f in text for f in FAKE_NAMES[which]) or strict_hassil(text, {}) is not None or rec.parse(text):
            continue
        h = recognize_best(text, intents, slot_lists=slot_lists, best_slot_name="name", allow_unmatched_entities=True)
        e = rec.parse(text, allow_unmatched=True)
        rows.append({"text": text, "hassil": h and _error_of({k: v.text for k, v in h.unmatched_entities.items()}),
                     "edgekit": e and _error_of(e[0].unmatched or {})})
    return {"n": len(rows), "same": sum(r["hassil"] == r["edgekit"] for r in rows),
            "differ": [r for r in rows if r["hassil"] != r["edgekit"]]}


def render_unmatched(results: dict) -> str:
    from benchmarks.results import markdown_table

    rows = [[lang, r["n"], pct(r["same"], r["n"])] for lang, r in results.items() if r["n"]]
    total = sum(r["n"] for r in results.values())
    rows.append(["all", total, pct(sum(r["same"] for r in results.values()), total)])
    return ("\nSentences with a device or area name the home lacks, both engines allowing unmatched entities "
            "(`--unmatched`): how often they name the same unknown value.\n\n"
            + markdown_table(["language", "sentences", "same unknown value named"], rows) + "\n")


def render(results: dict, n: int, machine: str = "", source: str = "") -> str:
    """The RESULTS.md section: one row per language folder and a total."""
    from benchmarks.results import markdown_table

    lines = ["## Home Assistant intents in every language (`benchmarks/ha_agreement.py`, hassil 3.13.0 vs edgekit)"
             + (f", templates from {source}" if source else ""), ""]
    if machine:
        lines += [machine + f"; up to {n} sentences sampled per language from its templates, both engines on "
                  "each in one process, a sentence's time its fastest of alternating runs (see the script's "
                  "docstring; no caller context, the home of the language's own fixture or else of en's).", ""]
    rows, tot = [], {"n": 0, "agree": 0, "both_none": 0, "hassil_sampled": 0, "edgekit_sampled": 0, "agree_ctx": 0}
    ratios = {}
    for lang, r in results.items():
        if not r["n"]:
            rows.append([lang, 0, r.get("note", "")] + [""] * 9)
            continue
        for k in tot:
            tot[k] += r[k]
        ratios[lang] = r["hassil_us"] / r["edgekit_us"]
        rows.append(_row(lang, r) + [f"{r['hassil_us']:.0f}", f"{r['edgekit_us']:.0f}", f"{ratios[lang]:.1f}x",
                                     r["fixtures"]])
    rows.append(_row("all", tot) + ["", "", "", ""])
    lines.append(markdown_table(["language", "sentences", "edgekit = hassil", "of which no intent for both",
                                 "edgekit = hassil where one reads it", "hassil: sampled intent",
                                 "edgekit: sampled intent", "edgekit = hassil with a caller area", "hassil median µs", "edgekit median µs", "median ratio",
                                 "home from"], rows))
    if ratios:
        slow = sorted(ratios, key=ratios.get)[:3]
        lines += ["", f"Median ratio over the {len(ratios)} languages with sentences: lowest "
                  + ", ".join(f"{lang} {ratios[lang]:.1f}x" for lang in slow)
                  + f"; median of the languages {statistics.median(ratios.values()):.1f}x."]
    return "\n".join(lines) + "\n"


def _row(lang: str, r: dict) -> list:
    read = r["n"] - r["both_none"]
    return [lang, r["n"], pct(r["agree"], r["n"]), pct(r["both_none"], r["n"]), pct(r["agree"] - r["both_none"], read),
            pct(r["hassil_sampled"], r["n"]), pct(r["edgekit_sampled"], r["n"]), pct(r["agree_ctx"], r["n"])]


def _show(lang: str, r: dict, show: int) -> None:
    if not r["n"]:
        print(f"{lang:7} {r.get('note', 'nothing sampled')}", flush=True)
        return
    print(f"{lang:7} {r['n']:4} sentences  agree {pct(r['agree'], r['n'])} (no intent for both: "
          f"{pct(r['both_none'], r['n'])}; with a caller area {pct(r['agree_ctx'], r['n'])})  sampled intent: hassil {pct(r['hassil_sampled'], r['n'])}  "
          f"edgekit {pct(r['edgekit_sampled'], r['n'])}  median µs: hassil {r['hassil_us']:.0f}, edgekit "
          f"{r['edgekit_us']:.0f} ({r['hassil_us'] / r['edgekit_us']:.1f}x)", flush=True)
    for d in r["disagreements"][:show]:
        print(f"    {d['text']!r} ({d['sampled']}): hassil {d['hassil']}, edgekit {d['edgekit']}")
    for d in r["disagreements_ctx"][:show]:
        print(f"    {d['text']!r} ({d['sampled']}) with {d['context']}: hassil {d['hassil_ctx']}, "
              f"edgekit {d['edgekit_ctx']}")


def _package_of(folder: Path) -> str:
    """Which home-assistant-intents release a merged-data folder is, when it is that package's data/."""
    try:
        from importlib.metadata import version

        import home_assistant_intents

        if Path(home_assistant_intents.__file__).parent / "data" == folder.resolve():
            return f"home-assistant-intents {version('home-assistant-intents')} (its data/)"
    except ImportError:
        pass
    return f"`{folder}`"


def main() -> None:
    """Every language (or the --lang ones): sample, parse with both, print and write the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--lang", action="append", default=[])
    ap.add_argument("--per-language", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs per sentence; the fastest counts")
    ap.add_argument("--unmatched", type=int, default=0, help="sentences per language with names the home lacks")
    ap.add_argument("--merged", type=Path, help="folder of merged <lang>.json (home-assistant-intents' data/)")
    ap.add_argument("--show", type=int, default=3, help="disagreements printed per language")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    data = a.data.resolve()
    if not (data / "sentences").is_dir() or not (data / "tests" / "en" / "_fixtures.yaml").exists():
        raise SystemExit(f"no intents checkout at {data} with sentences/ and tests/en/_fixtures.yaml (pass --data)")
    if a.merged:
        langs = a.lang or sorted(p.stem for p in a.merged.glob("*.json"))
    else:
        langs = a.lang or sorted(p.name for p in (data / "sentences").iterdir()
                                 if p.is_dir() and not p.name.startswith("_"))
    results, unmatched = {}, {}
    with tempfile.TemporaryDirectory(prefix="ha_agreement_") as tmp:
        for lang in langs:
            results[lang] = run_language(data, lang, a.per_language, a.seed, Path(tmp), a.repeat, a.merged)
            _show(lang, results[lang], a.show)
            if a.unmatched:
                unmatched[lang] = u = run_unmatched(data, lang, a.unmatched, a.seed, Path(tmp), a.merged)
                print(f"{lang:7} {u['n']:4} sentences with an unknown name or area: the same one named "
                      f"{pct(u['same'], u['n'])}", flush=True)
                for d in u["differ"][:a.show]:
                    print(f"    {d['text']!r}: hassil {d['hassil']}, edgekit {d['edgekit']}")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps({"agreement": results, "unmatched": unmatched}, indent=1,
                                               ensure_ascii=False, default=str), encoding="utf-8")
    text = render(results, a.per_language) + (render_unmatched(unmatched) if unmatched else "")
    print(text)
    if not a.no_write:
        from benchmarks.results import machine_line, write_section
        source = "" if a.merged is None else f"the merged files of {_package_of(a.merged)}"
        write_section("ha-agreement" if a.merged is None else "ha-agreement-merged",
                      render(results, a.per_language, machine_line(), source)
                      + (render_unmatched(unmatched) if unmatched else ""))


if __name__ == "__main__":
    main()
