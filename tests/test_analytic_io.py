"""Saving and loading the analytic classifier: identical predictions, exact statistics, bad files refused."""
from __future__ import annotations

import json

import numpy as np
import pytest

from edgekit.errors import ModelFileError, NotFittedError
from edgekit.learn import AnalyticClassifier, HashingTextFeaturizer, load_head
from edgekit.storage import load_state, save_state


def data(n=120, d=7, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    return rng.normal(size=(n, d)) + y[:, None], y


@pytest.mark.parametrize("params", [{}, {"buffer_size": 20, "activation": "sigmoid", "per_class_stats": True},
                                    {"buffer_size": 10, "pseudo_features": True, "random_state": None}])
def test_round_trip_predicts_identically_and_keeps_learning_exactly(tmp_path, params):
    X, y = data()
    model = AnalyticClassifier(**params).fit(X[:80], y[:80])
    model.predict(X[:1])
    model.partial_fit(X[80:81], y[80:81])  # weights now come from a fast update
    path = tmp_path / "m.ek"
    model.save(path)
    loaded = AnalyticClassifier.load(path)
    assert type(load_head(path)) is AnalyticClassifier
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.decision_function(X), model.decision_function(X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert loaded.get_params() == model.get_params() | {"random_state": loaded.random_state}
    # learning more after loading equals learning more without the round trip
    loaded.partial_fit(X[81:], y[81:])
    model.partial_fit(X[81:], y[81:])
    np.testing.assert_allclose(loaded.coef_, model.coef_, rtol=1e-10, atol=1e-12)
    assert loaded.info()["n_samples"] == 120


def test_text_featurizer_is_saved_with_the_model(tmp_path):
    texts = ["turn on the light", "switch the lights on", "turn off the radio", "stop the music"] * 3
    labels = ["on", "on", "off", "off"] * 3
    model = AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=64)).fit(texts, labels)
    model.save(tmp_path / "t.ek")
    loaded = AnalyticClassifier.load(tmp_path / "t.ek")
    assert loaded.featurizer == model.featurizer
    assert list(loaded.predict(["please turn on the light"])) == list(model.predict(["please turn on the light"]))


def _saved(tmp_path):
    X, y = data()
    path = tmp_path / "m.ek"
    AnalyticClassifier(buffer_size=8).fit(X, y).save(path)
    return path


def test_truncated_corrupted_and_foreign_files_are_refused(tmp_path):
    path = _saved(tmp_path)
    raw = path.read_bytes()
    cases = {"truncated": raw[: len(raw) // 2], "flipped": raw[:100] + bytes([raw[100] ^ 1]) + raw[101:],
             "empty": b"", "text": b"hello world\n" * 10}
    for name, content in cases.items():
        bad = tmp_path / f"{name}.ek"
        bad.write_bytes(content)
        with pytest.raises(ModelFileError):
            AnalyticClassifier.load(bad)
        with pytest.raises(ModelFileError):
            load_head(bad)
    other = tmp_path / "other.ek"
    save_state(other, "something-else", {}, {})
    with pytest.raises(ModelFileError, match="something-else"):
        AnalyticClassifier.load(other)
    with pytest.raises(ModelFileError, match="not a learned head"):
        load_head(other)
    with pytest.raises(ModelFileError, match="cannot read"):
        AnalyticClassifier.load(tmp_path / "missing.ek")


def test_other_format_version_and_inconsistent_arrays_are_refused(tmp_path):
    path = _saved(tmp_path)
    kind, meta, arrays = load_state(path)
    newer = tmp_path / "v2.ek"
    save_state(newer, kind, meta | {"format_version": 2}, arrays)
    with pytest.raises(ModelFileError, match="version 2"):
        AnalyticClassifier.load(newer)
    shapes = tmp_path / "shapes.ek"
    save_state(shapes, kind, meta, arrays | {"xty": arrays["xty"][:, :2]})
    with pytest.raises(ModelFileError, match="xty"):
        AnalyticClassifier.load(shapes)
    params = tmp_path / "params.ek"
    save_state(params, kind, meta | {"params": {**meta["params"], "activation": "cube"}}, arrays)
    with pytest.raises(ModelFileError, match="activation"):
        AnalyticClassifier.load(params)


def test_failed_save_keeps_the_previous_file(tmp_path):
    path = _saved(tmp_path)
    before = path.read_bytes()
    unfitted = AnalyticClassifier()
    with pytest.raises(NotFittedError, match="not fitted"):
        unfitted.save(path)
    assert path.read_bytes() == before


def test_meta_is_documented_json(tmp_path):
    path = _saved(tmp_path)
    kind, meta, arrays = load_state(path)
    assert kind == "analytic" and meta["format_version"] == 1
    assert set(arrays) == {"gram", "xty", "class_count", "feat_sum", "feat_sqsum", "weights", "buffer", "buffer_bias"}
    json.dumps(meta)
    np.testing.assert_array_equal(arrays["gram"], arrays["gram"].T)
