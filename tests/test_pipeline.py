"""edgekit.Pipeline: grammar answers with traces, the seeded head for paraphrases, exact teach / forget /
forget_intent, one-directory save/load, the ONNX runtime export, and the pipeline CLI."""
from __future__ import annotations

import functools
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import edgekit
from edgekit.errors import DataError, EdgekitError, ModelFileError
from edgekit.pipeline import NONE_CLASS, PIPELINE_FILE, Pipeline, seed_phrasings

EDGEKIT = str(Path(sys.executable).with_name("edgekit"))
PROBES = ["could you turn the lamp on", "brew a coffee", "make me a coffee please", "tell me a joke",
          "timer twenty minutes please", "i want the fan off", "play some jazz"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A seeded home + en-itn pipeline, saved once; tests load their own copy."""
    directory = tmp_path_factory.mktemp("pipeline") / "home"
    Pipeline("home", "en-itn").save(directory)
    return directory


@pytest.fixture
def pipe(saved) -> Pipeline:
    return Pipeline.load(saved)


def scores(p: Pipeline, texts=PROBES) -> np.ndarray:
    labels, s = p.head.scores([p.head_input(t) for t in texts])
    return dict(zip(labels, s.T))


def same_head(a: Pipeline, b: Pipeline) -> None:
    sa, sb = scores(a), scores(b)
    assert sorted(sa) == sorted(sb)
    for label in sa:
        np.testing.assert_allclose(sa[label], sb[label], rtol=1e-9, atol=1e-9)
    assert a.head.info()["counts"] == b.head.info()["counts"]


def test_grammar_answers_after_normalization_with_rule_and_trace(pipe):
    a = pipe.ask("set a timer for twenty five minutes")
    assert (a.intent, a.source, a.rule) == ("StartTimer", "grammar", "timer_cmd")
    assert a.normalized == "set a timer for 25 min" and a.slots["duration"]["value"] == 1500
    assert a.where.endswith("main.forest:74") and a.score is None
    d = a.to_dict(trace=True)
    assert d["trace"][0]["label"] == "timer_cmd" and "trace" not in a.to_dict()


def test_seeded_head_recognizes_paraphrases_the_grammar_rejects(pipe):
    text = "could you turn the lamp on"
    assert edgekit.load_forest("home").parse(pipe.normalizer.normalize(text)) is None
    a = pipe.ask(text)
    assert (a.intent, a.source) == ("TurnOn", "head") and a.score >= pipe.threshold
    assert pipe.ask("timer twenty minutes please").intent == "StartTimer"
    assert pipe.ask("i want the fan off").intent == "TurnOff"


def test_text_sharing_nothing_with_any_intent_is_not_understood(pipe):
    a = pipe.ask("play some jazz")
    assert a.intent is None and a.source is None and a.score < 0.1
    assert "below the threshold" in a.reason and "closest rule" in a.reason


def test_seed_phrasings_are_distinct_and_rendered_by_the_grammar():
    forest = edgekit.load_forest("home")
    seeds = seed_phrasings(forest, 10, random_state=1)
    assert sorted(seeds) == sorted(forest.intents)
    for intent, texts in seeds.items():
        assert len(texts) == len(set(texts)) == 10
    assert any("25%" in t or "%" in t for t in seeds["SetBrightness"])  # numbers rendered as the grammar does
    assert not any("lamp" in t.split() for ts in seeds.values() for t in ts)  # lexicon variants canonical
    assert seed_phrasings(forest, 10, random_state=1) == seeds


def test_two_teachings_learn_a_new_intent_and_forgetting_restores_the_head_exactly(pipe, saved):
    before = Pipeline.load(saved)
    assert pipe.ask("brew a coffee").intent is None
    pipe.teach("make me a coffee", "MakeCoffee")
    assert pipe.ask("brew a coffee").intent is None  # one teaching is not enough for this paraphrase
    pipe.teach("brew me a coffee please", "MakeCoffee")
    a = pipe.ask("brew a coffee")
    assert (a.intent, a.source) == ("MakeCoffee", "head") and a.score >= 0.5
    assert pipe.forget("make me a coffee") == "MakeCoffee"
    pipe.forget("brew me a coffee please", "MakeCoffee")
    assert pipe.ask("brew a coffee").intent is None
    same_head(pipe, before)
    assert pipe._taught == before._taught


def test_forget_intent_is_exact_and_drops_its_texts(pipe, saved):
    before = Pipeline.load(saved)
    pipe.teach_many(["make me a coffee", "brew me a coffee please"], ["MakeCoffee"] * 2)
    assert pipe.forget_intent("MakeCoffee") == 2
    same_head(pipe, before)
    with pytest.raises(DataError, match="never taught"):
        pipe.forget("make me a coffee")
    assert pipe.forget_intent("TurnOn") == 48  # a seeded intent: the grammar still knows it
    assert "TurnOn" not in pipe.intents["head"] and "TurnOn" in pipe.intents["grammar"]
    assert pipe.ask("switch on the lamp").source == "grammar"
    assert pipe.ask("could you turn the lamp on").intent != "TurnOn"


def test_forget_and_teach_refuse_bad_requests(pipe):
    with pytest.raises(DataError, match="never taught"):
        pipe.forget("open the pod bay doors")
    pipe.teach("lights please", "A")
    pipe.teach("lights please", "B")
    with pytest.raises(DataError, match="taught as A, B; say which"):
        pipe.forget("lights please")
    with pytest.raises(DataError, match="never taught as 'C'"):
        pipe.forget("lights please", "C")
    assert pipe.forget("lights please", "B") == "B" and pipe.forget("lights please") == "A"
    with pytest.raises(DataError, match="no intent 'Nope'"):
        pipe.forget_intent("Nope")
    for bad in ("", "   ", None):
        with pytest.raises(DataError):
            pipe.teach(bad, "X")
    for bad in ("", " X", NONE_CLASS, 3):
        with pytest.raises(DataError):
            pipe.teach("hello", bad)
    with pytest.raises(DataError, match="threshold"):
        Pipeline(pipe.grammar, None, threshold=1.5, seed_per_intent=0)


@settings(max_examples=8, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["make a coffee", "brew tea", "open the door", "lights to 5%"]),
                          st.sampled_from(["Coffee", "Tea", "Door"])), min_size=1, max_size=6))
def test_any_teachings_then_forgetting_them_all_restores_the_head(pairs):
    forest = _home()
    p = Pipeline(forest, None, seed_per_intent=4)
    ref = Pipeline(forest, None, seed_per_intent=4)
    for text, intent in pairs:
        p.teach(text, intent)
    for text, intent in reversed(pairs):
        p.forget(text, intent)
    same_head(p, ref)
    assert p._taught == ref._taught


@functools.lru_cache(maxsize=1)
def _home():
    return edgekit.load_forest("home")


def member(directory: Path, role: str) -> str:
    return json.loads((directory / PIPELINE_FILE).read_text())["members"][role]["file"]


def test_save_and_load_round_trip_and_commit_point(pipe, tmp_path):
    pipe.teach("make me a coffee", "MakeCoffee")
    pipe.save(tmp_path / "p")
    first = {role: member(tmp_path / "p", role) for role in ("head", "grammar", "normalizer")}
    loaded = Pipeline.load(tmp_path / "p")
    assert [a.to_dict() for a in loaded.ask_many(PROBES)] == [a.to_dict() for a in pipe.ask_many(PROBES)]
    assert loaded.sources == {"grammar": "home", "normalizer": "en-itn"}
    pipe.teach("brew me a coffee please", "MakeCoffee")
    pipe.save(tmp_path / "p")
    second = {role: member(tmp_path / "p", role) for role in ("head", "grammar", "normalizer")}
    assert second["head"] != first["head"] and not (tmp_path / "p" / first["head"]).exists()
    assert second["grammar"] == first["grammar"]  # content-addressed forests are written once
    files = sorted(f.name for f in (tmp_path / "p").iterdir())
    assert files == sorted([PIPELINE_FILE, *second.values()])


def test_damaged_pipeline_directories_are_clean_errors(pipe, tmp_path):
    with pytest.raises(ModelFileError, match="not a pipeline directory"):
        Pipeline.load(tmp_path)
    out = cli(["ask", str(tmp_path)], "x\n")
    assert out.returncode == 2 and "not a pipeline directory" in out.stderr and "Traceback" not in out.stderr
    pipe.save(tmp_path / "p")
    meta_path = tmp_path / "p" / PIPELINE_FILE
    good = meta_path.read_text()
    meta_path.write_text(good.replace('"threshold": 0.5', '"threshold": 0.1'))
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        Pipeline.load(tmp_path / "p")
    meta_path.write_text(good)
    head = tmp_path / "p" / member(tmp_path / "p", "head")
    state = head.read_bytes()
    head.write_bytes(state[:1000])
    with pytest.raises(ModelFileError, match="does not match the checksum"):
        Pipeline.load(tmp_path / "p")
    head.write_bytes(state)
    for name in ("../outside.forestc", str(tmp_path / "p" / member(tmp_path / "p", "grammar")), "main.forest"):
        meta = json.loads(good)
        meta["members"]["grammar"]["file"] = name
        meta.pop("sha256")  # a consistent checksum, so only the member name is wrong
        meta["sha256"] = hashlib.sha256(json.dumps(meta, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
        meta_path.write_text(json.dumps(meta))
        with pytest.raises(ModelFileError, match="not a file name this directory can hold"):
            Pipeline.load(tmp_path / "p")
    meta_path.write_text('{"format": "something-else"}')
    with pytest.raises(ModelFileError, match="not an edgekit pipeline"):
        Pipeline.load(tmp_path / "p")


def test_runtime_export_answers_like_the_trainable_pipeline(pipe, tmp_path):
    pipe.teach_many(["make me a coffee", "brew me a coffee please"], ["MakeCoffee"] * 2)
    pipe.export(tmp_path / "rt")
    assert sorted(f.suffix for f in (tmp_path / "rt").iterdir()) == [".forestc", ".forestc", ".json", ".onnx"]
    runtime = Pipeline.load(tmp_path / "rt")
    assert runtime.intents == pipe.intents
    for a, b in zip(pipe.ask_many(PROBES), runtime.ask_many(PROBES)):
        assert (a.intent, a.source, a.guess) == (b.intent, b.source, b.guess)
        assert a.score == pytest.approx(b.score, abs=1e-5)
    with pytest.raises(EdgekitError, match="runtime"):
        runtime.teach("x", "Y")
    with pytest.raises(EdgekitError, match="exported"):
        runtime.save(tmp_path / "again")


def test_import_edgekit_stays_cheap_and_exports_pipeline():
    code = "import sys, edgekit; assert 'numpy' not in sys.modules; edgekit.Pipeline; print('ok')"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "ok"


def cli(args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([EDGEKIT, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_cli_init_ask_teach_forget_export(tmp_path):
    d = str(tmp_path / "p")
    out = cli(["pipeline", "init", d, "--grammar", "home", "--seed", "24"])
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["head"]["counts"]["TurnOn"] == 24
    assert cli(["pipeline", "init", d, "--grammar", "home"]).returncode == 2
    out = cli(["teach", d, "make me a coffee", "brew me a coffee please", "--intent", "MakeCoffee"])
    assert out.returncode == 0 and "now understood as MakeCoffee (head" in out.stderr
    assert cli(["teach", d], '{"text": "tea now", "intent": "Tea"}\n').returncode == 0
    answers = [json.loads(l) for l in cli(["ask", d], "switch on the lamp\nbrew a coffee\n").stdout.splitlines()]
    assert [(a["intent"], a["source"]) for a in answers] == [("TurnOn", "grammar"), ("MakeCoffee", "head")]
    out = cli(["pipeline", "export", d, "-o", str(tmp_path / "rt")])
    assert out.returncode == 0, out.stderr
    assert json.loads(cli(["pipeline", "ask", str(tmp_path / "rt")], "brew a coffee\n").stdout)["intent"] == "MakeCoffee"
    out = cli(["pipeline", "forget", d, "make me a coffee", "brew me a coffee please"])
    assert out.returncode == 0 and "was MakeCoffee" in out.stderr
    out = cli(["pipeline", "forget", d, "--intent", "Tea"])
    assert out.returncode == 0 and "intent Tea (1 teachings)" in out.stderr
    out = cli(["pipeline", "forget", d, "make me a coffee"])
    assert out.returncode == 2 and "never taught" in out.stderr and "Traceback" not in out.stderr
    assert json.loads(cli(["ask", d], "brew a coffee\n").stdout)["intent"] is None


def test_teach_and_forget_example_runs():
    from conftest import REPO

    out = subprocess.run([sys.executable, str(REPO / "examples" / "teach_and_forget.py")], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    steps = out.stdout.split("\n\n")
    assert "'brew a coffee'" in steps[0] and "not understood" in steps[0].splitlines()[-1]
    assert "not understood" in steps[2] and "MakeCoffee (learned head" in steps[3]
    assert "MakeCoffee (learned head" in steps[4] and "not understood" in steps[5]


def test_top_level_forget_accepts_a_pipeline_directory(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    exe = str(Path(sys.executable).with_name("edgekit"))
    d = str(tmp_path / "p")
    run = lambda *a, stdin=None: subprocess.run([exe, *a], input=stdin, capture_output=True, text=True, timeout=300)
    assert run("pipeline", "init", d, "--grammar", "home").returncode == 0
    assert run("teach", d, "brew a coffee", "make me a coffee", "-i", "MakeCoffee").returncode == 0
    assert json.loads(run("ask", d, stdin="brew me a coffee\n").stdout)["intent"] == "MakeCoffee"
    out = run("forget", d, "--intent", "MakeCoffee")
    assert out.returncode == 0, out.stderr
    assert json.loads(run("ask", d, stdin="brew me a coffee\n").stdout)["intent"] != "MakeCoffee"


def test_the_digestion_tree_is_built_once_per_text_and_only_when_asked(pipe):
    calls = []
    real = pipe.grammar.explain

    def counting(text):
        calls.append(text)
        return real(text)

    pipe.grammar.explain = counting  # the real Forest.explain, counted
    texts = PROBES + ["set a timer for twenty five minutes"]
    with_trace = pipe.ask_many(texts)
    assert len(calls) == len(texts) and all(a.trace is not None for a in with_trace)
    calls.clear()
    without = pipe.ask_many(texts, trace=False)
    assert calls == [] and all(a.trace is None for a in without)
    assert [a.to_dict() for a in without] == [a.to_dict() for a in with_trace]


def test_a_non_text_is_the_same_error_from_the_grammar_and_the_pipeline(pipe):
    from edgekit.errors import NotTextError

    for call in (lambda: pipe.ask(3), lambda: pipe.grammar.parse(3), lambda: pipe.grammar.normalize(b"x")):
        with pytest.raises(NotTextError, match="expected text \\(str\\), got"):
            call()
    assert issubclass(NotTextError, DataError) and issubclass(NotTextError, TypeError)
