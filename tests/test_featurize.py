"""The hashed text featurizer: stable hashing, signed n-gram counts, l2 rows, normalization first."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from edgekit.errors import DataError, ModelFileError
from edgekit.learn import AnalyticClassifier, HashingTextFeaturizer
from edgekit.learn.featurize import featurizer_from_meta, featurizer_to_meta


def expected_row(grams: list[str], n: int) -> np.ndarray:
    """The documented formula, recomputed: blake2b-64 little-endian, column h % n, sign from the top bit."""
    row = np.zeros(n)
    for g in grams:
        h = int.from_bytes(hashlib.blake2b(g.encode(), digest_size=8).digest(), "little")
        row[h % n] += -1.0 if h >> 63 else 1.0
    return row / np.linalg.norm(row)


def test_features_follow_the_documented_hash():
    f = HashingTextFeaturizer(n_features=64)
    assert f.tokens("Turn ON the light") == ["turn", "on", "the", "light", "turn on", "on the", "the light"]
    np.testing.assert_allclose(f.transform(["Turn ON the light"])[0], expected_row(f.tokens("turn on the light"), 64))
    assert HashingTextFeaturizer(ngram_range=(1, 1)).tokens("a b c") == ["a", "b", "c"]
    assert HashingTextFeaturizer(ngram_range=(2, 3)).tokens("a b c") == ["a b", "b c", "a b c"]


def test_rows_are_unit_length_and_empty_text_is_zero():
    X = HashingTextFeaturizer(n_features=32).transform(["hello world", "", "?!", "Grüße aus Köln", "你好"])
    np.testing.assert_allclose(np.linalg.norm(X[[0, 3, 4]], axis=1), 1.0)
    assert not X[1].any() and not X[2].any()
    assert X.shape == (5, 32) and X.dtype == np.float64


def test_hash_is_stable_across_processes():
    code = ("from edgekit.learn import HashingTextFeaturizer as H; import json; "
            "print(json.dumps(H(n_features=16).transform(['switch on the kitchen light']).tolist()))")
    outs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True).stdout)
    assert len(outs) == 1
    here = HashingTextFeaturizer(n_features=16).transform(["switch on the kitchen light"])
    np.testing.assert_allclose(json.loads(outs.pop()), here)


def test_normalize_callable_runs_first_and_makes_paraphrases_alike():
    f = HashingTextFeaturizer(n_features=128, normalize=lambda s: s.replace("switch", "turn"))
    a, b = f.transform(["switch on the light", "turn on the light"])
    np.testing.assert_array_equal(a, b)


def test_forest_grammar_normalization():
    import edgekit

    forest = edgekit.load_forest("home")   # shipped with edgekit: failing to load it is a failure
    texts = ["switch on the kitchen light", "turn the lights off", "set the heating to twenty degrees"]
    with_grammar = HashingTextFeaturizer(n_features=256, grammar="home").transform(texts)
    by_hand = HashingTextFeaturizer(n_features=256).transform([forest.normalize(t) for t in texts])
    np.testing.assert_array_equal(with_grammar, by_hand)


def test_config_round_trip_and_custom_normalize_must_be_set_again():
    f = HashingTextFeaturizer(n_features=100, ngram_range=(1, 3), grammar="home")
    g = featurizer_from_meta(featurizer_to_meta(f))
    assert g == f and g.grammar == "home" and g.ngram_range == (1, 3)
    assert featurizer_to_meta(None) is None and featurizer_from_meta(None) is None
    custom = featurizer_from_meta(featurizer_to_meta(HashingTextFeaturizer(n_features=8, normalize=str.upper)))
    with pytest.raises(DataError, match="custom normalize"):
        custom.transform(["x"])
    custom.normalize = str.upper
    assert custom.transform(["x"]).shape == (1, 8)
    with pytest.raises(ModelFileError, match="unknown featurizer"):
        featurizer_from_meta({"type": "tfidf"})


@pytest.mark.parametrize("call, message", [
    (lambda: HashingTextFeaturizer(n_features=0), "n_features"),
    (lambda: HashingTextFeaturizer(ngram_range=(2, 1)), "ngram_range"),
    (lambda: HashingTextFeaturizer().transform("just one string"), "list of texts"),
    (lambda: HashingTextFeaturizer().transform(["ok", 3]), "row 1 is int"),
    (lambda: HashingTextFeaturizer().transform(["x" * 1_000_001]), "row 0 is 1000001 characters"),
])
def test_bad_featurizer_input(call, message):
    with pytest.raises(DataError, match=message):
        call()


def test_a_text_head_learns_and_predicts_from_strings():
    texts = ["turn on the light", "lights on", "turn off the light", "lights off"] * 5
    labels = ["on", "on", "off", "off"] * 5
    head = AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=128)).fit(texts, labels)
    assert list(head.predict(["please turn the light on", "lights off now"])) == ["on", "off"]
    head.forget(texts[:4], labels[:4])
    assert head.n_samples_seen_ == 16
    with pytest.raises(DataError, match="128"):
        head.predict(np.zeros((1, 3)))


def test_model_files_may_only_name_shipped_grammars_or_grammars_in_their_folder(tmp_path):
    from edgekit.learn.featurize import featurizer_for_model

    model_path = tmp_path / "models" / "m.ek"
    model_path.parent.mkdir()
    grammar = model_path.parent / "g.forest"
    grammar.write_text("garbage that is not read before it is needed\n")
    feat = featurizer_for_model(model_path, 32, str(grammar))
    assert feat.grammar == "g.forest"  # stored relative to the model's folder
    (tmp_path / "elsewhere.forest").write_text("x\n")
    with pytest.raises(DataError, match="outside the model's folder"):
        featurizer_for_model(model_path, 32, str(tmp_path / "elsewhere.forest"))
    with pytest.raises(DataError, match="neither a shipped grammar"):
        featurizer_for_model(model_path, 32, str(tmp_path / "missing.forest"))
    base = str(model_path.parent)
    assert featurizer_from_meta({**feat.get_config(), "grammar": "g.forest"}, base)._grammar_path == str(grammar)
    for bad in ("/etc/passwd", "../secret.txt", str(tmp_path / "secret.txt")):
        with pytest.raises(ModelFileError, match="refusing"):
            featurizer_from_meta({**feat.get_config(), "grammar": bad}, base)
    with pytest.raises(ModelFileError, match="refusing"):
        featurizer_from_meta({**feat.get_config(), "grammar": "g.forest"})  # no folder known: names only


@pytest.mark.parametrize("meta", [[], "hashing", {"type": "hashing"}, {"type": "hashing", "n_features": "8",
                                                                          "ngram_range": [1, 2]},
                                  {"type": "hashing", "n_features": 8, "ngram_range": [2]},
                                  {"type": "hashing", "n_features": -1, "ngram_range": [1, 1]}])
def test_malformed_featurizer_entries_are_model_file_errors(meta):
    with pytest.raises(ModelFileError):
        featurizer_from_meta(meta)
