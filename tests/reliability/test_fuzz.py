"""Fuzzing (hypothesis): random and mutated grammar files, any text through the normalizers and the parser,
random bytes through the CLI's record readers and training-file reader, random and forged state files.
Only the documented outcome is allowed: a result, or GrammarError / DataError / ModelFileError — never
another exception, never a hang. benchmarks/fuzz.py runs the same targets with many more examples."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from edgekit.forest import load_forest, shipped_grammars

from . import fuzz_targets as ft
from .harness import trained_head

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                database=None)
NORMALIZERS = [name for name in ("home", "en-itn", "en-tn") if name in shipped_grammars()]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """One folder for this module's files, under pytest's temp root (which pytest prunes)."""
    return tmp_path_factory.mktemp("fuzz")


@settings(FAST, max_examples=60)
@given(ft.mutated_grammar_set())
def test_mutated_grammars_load_or_raise_grammar_error(scratch, files):
    ft.check_grammar_files(files, scratch / "mutated")


@settings(FAST, max_examples=150)
@given(ft.random_grammar_bytes)
def test_random_grammar_bytes_load_or_raise_grammar_error(scratch, data):
    ft.check_grammar_files({"main.forest": data}, scratch / "random")


@pytest.mark.parametrize("name", NORMALIZERS)
def test_normalizers_and_parser_accept_any_text(name):
    forest = load_forest(name)

    @settings(FAST, max_examples=150)
    @given(ft.texts)
    def run(text):
        ft.check_forest_text(forest, text)

    run()


@settings(FAST, max_examples=200)
@given(st.binary(max_size=300), st.booleans())
def test_cli_record_reader_keeps_every_line(data, jsonl):
    ft.check_line_reader(data, jsonl)


@settings(FAST, max_examples=200)
@given(st.one_of(st.binary(max_size=300),
                 st.lists(st.sampled_from(['{"text": "a", "label": 1}', '{"features": [1, 2e308], "label": "x"}',
                                           "text,label", "a,b", "1,2,3", '"', "nan", "{}", "[]", ",", "\t", "\ufeff",
                                           '{"features": [], "label": 1}', '{"label": true, "text": 3}']),
                          max_size=6).map(lambda ls: "\n".join(ls).encode())),
       st.sampled_from([".csv", ".tsv", ".jsonl", ".txt"]))
def test_training_file_reader_raises_only_data_error(scratch, data, suffix):
    ft.check_training_file(data, suffix, scratch / "train")


@settings(FAST, max_examples=200)
@given(st.one_of(st.text(max_size=60), st.lists(st.sampled_from(["1", "-2.5", "1e999", "nan", "inf", "[", "]", ",",
                                                                  " ", ";", "true", "null", '"3"', "0x10"]),
                                                 max_size=10).map("".join)))
def test_feature_vector_parser_raises_only_data_error(line):
    ft.check_vector_line(line)


@settings(FAST, max_examples=200)
@given(st.binary(max_size=200))
def test_random_state_bytes_raise_only_model_file_error(data):
    ft.check_state_bytes(data)


def _forged_model_test(kind: str, params: dict, scratch):
    src = scratch / f"valid-{kind}.state"
    trained_head(kind, d=4, **params).save(src)
    header, payload = ft.header_and_payload(src.read_bytes())

    @settings(FAST, max_examples=150)
    @given(st.data())
    def run(data):
        forged = ft.mutate_json(header, data.draw)
        blob = json.dumps(forged).encode()
        ft.check_forged_model(ft.sealed_state(blob, payload), scratch / "forged")

    return run


@pytest.mark.parametrize("kind,params", [("analytic", {}), ("kvb", {"n_codebooks": 4, "n_keys": 8})])
def test_forged_model_files_with_valid_checksums_raise_only_model_file_error(scratch, kind, params):
    _forged_model_test(kind, params, scratch)()
