"""Resource limits (edgekit/limits.py, SECURITY.md): the documented values are the enforced ones, and going
over each limit is a clear EdgekitError naming the input and the limit."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

from edgekit import limits
from edgekit.errors import DataError, GrammarError
from edgekit.forest import load_forest


def test_documented_limits_are_the_enforced_ones():
    from edgekit.forest import digest, loader
    from edgekit.learn import datafile, featurize

    assert loader.MAX_GRAMMAR_BYTES == limits.MAX_GRAMMAR_BYTES
    assert loader.MAX_REPEAT == limits.MAX_REPEAT
    assert loader.MAX_NESTING == limits.MAX_NESTING and loader.MAX_PRIORITY == limits.MAX_PRIORITY
    assert digest.MAX_SPAN == limits.MAX_SPAN
    assert datafile.MAX_LINE_BYTES == limits.MAX_LINE_BYTES
    assert featurize.MAX_TEXT_CHARS == limits.MAX_TEXT_CHARS


def test_oversized_grammar_file_is_refused(grammar):
    with pytest.raises(GrammarError, match=str(limits.MAX_GRAMMAR_BYTES)):
        grammar("# " + "x" * limits.MAX_GRAMMAR_BYTES + "\n")


def test_oversized_grammar_set_is_refused(grammar):
    third = "# " + "x" * (limits.MAX_GRAMMAR_BYTES // 3) + "\n"
    files = {"main.forest": 'import "a.forest"\nimport "b.forest"\n' + third,
             "a.forest": third, "b.forest": third + "lexicon ok { fine }\n"}
    with pytest.raises(GrammarError, match="grammar set is larger than"):
        grammar(files)


def test_repeat_bound_over_the_limit_is_refused(grammar):
    n = limits.MAX_REPEAT
    grammar(f"lexicon d {{ one }}\nrule r: <d>{{1,{n}}}\n  intent R\n")
    with pytest.raises(GrammarError, match=f"1 <= max <= {n}"):
        grammar(f"lexicon d {{ one }}\nrule r: <d>{{1,{n + 1}}}\n  intent R\n")


def test_rule_longer_than_the_span_limit_is_refused(grammar):
    words = " ".join("w" + chr(97 + i % 26) + chr(97 + i // 26) for i in range(limits.MAX_SPAN + 1))
    with pytest.raises(GrammarError, match=str(limits.MAX_SPAN)):
        grammar(f'rule long: "{words}"\n  intent Long\n')


def test_rule_at_the_span_limit_matches(grammar):
    words = " ".join("w" + chr(97 + i % 26) + chr(97 + i // 26) for i in range(limits.MAX_SPAN))
    assert grammar(f'rule long: "{words}"\n  intent Long\n').parse(words).intent == "Long"


def test_training_file_line_over_the_limit_is_a_data_error(tmp_path):
    from edgekit.learn.datafile import read_training_file

    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "a", "label": 1}) + "\n" +
                    json.dumps({"text": "x" * limits.MAX_LINE_BYTES, "label": 2}) + "\n")
    with pytest.raises(DataError, match=rf"big.jsonl:2: .*limit {limits.MAX_LINE_BYTES}"):
        read_training_file(path)


def test_empty_json_lines_file_is_a_data_error(tmp_path):
    from edgekit.learn.datafile import read_training_file

    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="no records"):
        read_training_file(path)


def test_featurizer_text_over_the_limit_is_a_data_error():
    from edgekit.learn.featurize import HashingTextFeaturizer

    with pytest.raises(DataError, match=str(limits.MAX_TEXT_CHARS)):
        HashingTextFeaturizer(n_features=8).transform(["ok", "x" * (limits.MAX_TEXT_CHARS + 1)])


def test_cli_record_reader_refuses_lines_over_the_limit():
    from edgekit.textio import read_records

    data = b"short line\n" + b"x" * (limits.MAX_LINE_BYTES + 1) + b"\nafter\n"
    records = list(read_records(stdin=io.BytesIO(data)))
    assert [r.lineno for r in records] == [1, 2, 3] and records[2].text == "after"
    assert records[1].error and str(limits.MAX_LINE_BYTES) in records[1].error


@pytest.mark.parametrize("kind,params", [("analytic", {}), ("kvb", {"n_codebooks": 2, "n_keys": 4})])
def test_more_classes_than_the_limit_is_a_data_error(kind, params):
    from edgekit.learn.heads import make_head

    n = limits.MAX_CLASSES + 1
    X = np.random.default_rng(0).normal(size=(n, 4))
    with pytest.raises(DataError, match=str(limits.MAX_CLASSES)):
        make_head(kind, **params).partial_fit(X, np.arange(n))


def test_one_megabyte_line_normalizes_without_error():
    forest = load_forest("home")
    out = forest.normalize("switch on the lamp " * (limits.MAX_LINE_BYTES // 19))
    assert out.startswith("turn on the light")
