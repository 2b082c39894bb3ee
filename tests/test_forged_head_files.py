"""Forged state files: a file whose checksum was recomputed after editing a field is still refused with
ModelFileError (never a crash, a hang or a huge allocation), for every field of both heads' formats; and a
text model names its grammar safely (shipped names never resolve against the working directory)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from edgekit import storage
from edgekit.errors import InputError, ModelFileError
from edgekit.learn import AnalyticClassifier, HashingTextFeaturizer, KeyValueHead, load_head
from edgekit.storage import load_state, save_state

RNG = np.random.default_rng(0)
X = RNG.standard_normal((60, 6))
Y = (X[:, 0] > 0).astype(int) + 2 * (X[:, 1] > 0)


def analytic() -> AnalyticClassifier:
    return AnalyticClassifier(buffer_size=8).fit(X, Y)


def key_value() -> KeyValueHead:
    return KeyValueHead(n_codebooks=4, n_keys=8, key_dim=2).fit(X, Y)


def text_analytic() -> AnalyticClassifier:
    return AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=32)).fit(["on", "off", "up"], [0, 1, 2])


@pytest.fixture
def forge(tmp_path, monkeypatch):
    """Save a head, let `edit(meta, arrays)` change the decoded file, write it back with a valid checksum
    (allowing NaN/Infinity in the JSON header, as a forger's tool would) and return the path."""
    real = json.dumps
    monkeypatch.setattr(storage.json, "dumps", lambda *a, **k: real(*a, **{**k, "allow_nan": True}))

    def make(head, edit) -> str:
        path = tmp_path / "forged.state"
        head.save(path)
        kind, meta, arrays = load_state(path)
        edit(meta, arrays)
        save_state(path, kind, meta, arrays)
        return path
    return make


def set_meta(key, value):
    def edit(meta, arrays):
        meta[key] = value
    return edit


def set_array(name, fn):
    def edit(meta, arrays):
        arrays[name] = fn(arrays[name].copy())
    return edit


def nan_at_0(a):
    a.reshape(-1)[0] = np.nan
    return a


def negative_at_0(a):
    a.reshape(-1)[0] = -5
    return a


def many_classes(meta, arrays):
    meta["classes"] = list(range(200_000))


def set_featurizer(key, value, inside_params=False):
    def edit(meta, arrays):
        feat = meta["params"]["featurizer"] if inside_params else meta["featurizer"]
        feat[key] = value
    return edit


@pytest.mark.parametrize("make, edit, fragment", [
    (analytic, set_meta("softmax_scale", 10**400), "softmax_scale"),
    (analytic, set_meta("softmax_scale", float("nan")), "softmax_scale"),
    (analytic, set_meta("seed", float("inf")), "seed"),
    (analytic, set_meta("n_features_in", float("inf")), "n_features_in"),
    (analytic, set_meta("n_features_in", 10**13), "n_features_in"),
    (analytic, set_array("weights", nan_at_0), "NaN"),
    (analytic, set_array("gram", nan_at_0), "NaN"),
    (analytic, set_array("class_count", negative_at_0), "negative"),
    (analytic, set_array("feat_sqsum", negative_at_0), "negative"),
    (analytic, many_classes, "1024"),
    (analytic, set_meta("params", {"buffer_size": 10**8}), "buffer_size"),
    (analytic, set_meta("params", {"gamma": float("inf")}), "gamma"),
    (text_analytic, set_featurizer("n_features", 10**13), "n_features"),
    (text_analytic, set_featurizer("ngram_range", [1, 10**9]), "ngram_range"),
    (key_value, set_meta("n_features_in", float("inf")), "n_features_in"),
    (key_value, set_array("counts", negative_at_0), "negative"),
    (key_value, set_array("values", nan_at_0), "NaN"),
    (key_value, set_array("projections", nan_at_0), "NaN"),
    (key_value, many_classes, "1024"),
    (key_value, set_meta("params", {"n_keys": float("inf")}), "n_keys"),
    (key_value, set_meta("params", {"n_codebooks": 1 << 15, "n_keys": 1 << 15}), "MAX_STATE_BYTES"),
])
def test_forged_field_is_a_model_file_error(forge, make, edit, fragment):
    path = forge(make(), edit)
    with pytest.raises(ModelFileError, match=fragment):
        load_head(path)


def test_key_value_featurizer_inside_params_is_still_read_and_checked(forge):
    """Files written before the schema was unified keep a key-value head's featurizer inside its params."""
    head = KeyValueHead(n_codebooks=4, n_keys=8, key_dim=2, featurizer=HashingTextFeaturizer(n_features=16))
    head.fit(["on", "off", "up", "down"] * 3, ["a", "b", "c", "d"] * 3)

    def old_layout(meta, arrays):
        meta["params"]["featurizer"] = meta.pop("featurizer")
    old = load_head(forge(head, old_layout))
    assert old.featurizer == head.featurizer
    assert list(old.predict(["on", "up"])) == list(head.predict(["on", "up"]))

    def old_and_forged(meta, arrays):
        old_layout(meta, arrays)
        meta["params"]["featurizer"]["n_features"] = 10**13
    with pytest.raises(ModelFileError, match="n_features"):
        load_head(forge(head, old_and_forged))


@pytest.mark.parametrize("make", [AnalyticClassifier, lambda **kw: KeyValueHead(n_codebooks=4, n_keys=8, **kw)])
def test_text_model_with_its_grammar_in_its_folder_loads(tmp_path, make, monkeypatch):
    """The grammar path stored relative to the model's folder is found when loading (both heads)."""
    from edgekit.learn.featurize import featurizer_for_model

    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "main.forest").write_text("lexicon power { turn_on: switch on }\n")
    monkeypatch.chdir(tmp_path)
    feat = featurizer_for_model(tmp_path / "m.state", n_features=64, grammar=str(tmp_path / "g"))
    head = make(featurizer=feat).fit(["switch on", "off", "up", "down"] * 4, ["a", "b", "c", "d"] * 4)
    head.save(tmp_path / "m.state")
    monkeypatch.chdir("/")
    loaded = load_head(tmp_path / "m.state")
    assert "turn_on" in loaded.featurizer.tokens("switch on")
    assert list(loaded.predict(["switch on", "up"])) == list(head.predict(["switch on", "up"]))


def test_shipped_grammar_name_never_resolves_in_the_working_directory(tmp_path, monkeypatch):
    feat = HashingTextFeaturizer(n_features=64, grammar="home")
    head = AnalyticClassifier(featurizer=feat).fit(["switch on the lamp", "lights off"], ["on", "off"])
    head.save(tmp_path / "m.state")
    decoy = tmp_path / "cwd" / "home"
    decoy.mkdir(parents=True)
    (decoy / "main.forest").write_text("this is { not a grammar\n")
    monkeypatch.chdir(tmp_path / "cwd")
    loaded = load_head(tmp_path / "m.state")
    assert loaded.featurizer.tokens("switch on the lamp") == head.featurizer.tokens("switch on the lamp")
    fresh = HashingTextFeaturizer(n_features=64, grammar="home")      # also for a featurizer made in code
    assert fresh.tokens("switch on the lamp") == head.featurizer.tokens("switch on the lamp")


@pytest.mark.parametrize("make", [
    lambda: HashingTextFeaturizer(n_features=100_000_000),
    lambda: HashingTextFeaturizer(ngram_range=(1, 10**9)),
    lambda: AnalyticClassifier(buffer_size=100_000_000).fit(X, Y),
    lambda: AnalyticClassifier(buffer_size=20_000).fit(X, Y),
    lambda: KeyValueHead(n_codebooks=60_000, n_keys=60_000).fit(X, Y),
])
def test_sizes_over_the_limits_are_refused_before_allocating(make):
    with pytest.raises(InputError, match="edgekit.limits|buffer_size must be an integer in \\[0, 1048576\\]"):
        make()
