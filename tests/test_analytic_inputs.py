"""Bad input to the analytic classifier: a clear error naming the problem, and the model unchanged."""
from __future__ import annotations

import numpy as np
import pytest

from edgekit.errors import DataError
from edgekit.learn import AnalyticClassifier
from edgekit.learn.validation import InputError, NotFittedError, check_X, check_y


@pytest.fixture
def model():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    y = np.array(["a", "b"] * 20)
    return AnalyticClassifier(buffer_size=8).fit(X, y)


def snapshot(m):
    return [m._gram.copy(), m._xty.copy(), m.class_count_.copy(), m.classes_.copy()]


BAD_X = [
    (np.zeros((2, 5)), "5 features, but AnalyticClassifier is expecting 4"),
    (np.array([[1.0, np.nan, 0, 0]]), "row 0 contains NaN"),
    (np.array([[0, 0, 0, 0], [1.0, np.inf, 0, 0]]), "row 1 contains NaN or infinity"),
    (np.zeros((0, 4)), "empty: 0 samples"),
    ([[1, 2, 3, "x"]], "row 0, column 3: 'x' is not a number"),
    ([["1", "2", "3", "4"], ["5", "six", "7", "8"]], "row 1, column 1: 'six'"),
    (np.zeros(4), "2-D array"),
    (np.zeros((2, 2, 2)), "2-D array"),
    ([[1, 2, 3, 4], [1, 2]], "different lengths"),
    (["some", "text"], "no text featurizer"),
    (None, "None"),
    (np.array([[1 + 2j, 0, 0, 0]]), "Complex"),
]


@pytest.mark.parametrize("X, message", BAD_X)
def test_bad_features_are_refused_everywhere(model, X, message):
    before = snapshot(model)
    n = max(len(X), 1) if isinstance(X, (list, np.ndarray)) and np.ndim(X[0] if len(X) else X) >= 1 else 1
    for call in (lambda: model.partial_fit(X, ["a"] * n), lambda: model.forget(X, ["a"] * n),
                 lambda: model.predict(X), lambda: model.predict_proba(X), lambda: model.decision_function(X)):
        with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call()
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("y, message", [
    (["a", "b", None], "row 2"),
    ([0.5, 1, 2], "continuous"),
    ([np.nan, 1, 2], "row 0"),
    (["a", 1, "b"], "mixes strings and integers"),
    (["a", "b"], "2 labels but X has 3 rows"),
    ([[0, 1], [1, 0], [0, 1]], "1-D"),
    (None, "requires y"),
])
def test_bad_labels_are_refused(y, message):
    with pytest.raises(InputError, match=message):
        AnalyticClassifier().fit(np.zeros((3, 2)), y)


def test_label_type_must_stay_the_same(model):
    before = snapshot(model)
    with pytest.raises(InputError, match="labels are strings"):
        model.partial_fit(np.zeros((1, 4)), [3])
    with pytest.raises(InputError, match="never learned"):
        model.forget(np.zeros((1, 4)), ["z"])
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("params, message", [
    ({"gamma": 0}, "gamma"), ({"gamma": -1}, "gamma"), ({"gamma": float("nan")}, "gamma"),
    ({"buffer_size": -3}, "buffer_size"), ({"buffer_size": 2.5}, "buffer_size"),
    ({"activation": "cube"}, "activation"), ({"export_dtype": "int8"}, "export_dtype"),
    ({"random_state": "x"}, "random_state"), ({"pseudo_max_per_class": 0}, "pseudo_max_per_class"),
])
def test_bad_parameters_are_refused_at_fit(params, message):
    with pytest.raises(InputError, match=message):
        AnalyticClassifier(**params).fit(np.eye(3), [0, 1, 2])


def test_unfitted_model_says_so():
    for call in ("predict", "predict_proba", "decision_function"):
        with pytest.raises(NotFittedError, match="not fitted"):
            getattr(AnalyticClassifier(), call)(np.zeros((1, 2)))
    with pytest.raises(NotFittedError):
        AnalyticClassifier().forget(np.zeros((1, 2)), [0])
    assert not hasattr(AnalyticClassifier(), "coef_")


def test_model_that_forgot_everything_says_so(model):
    X, y = np.random.default_rng(0).normal(size=(40, 4)), np.array(["a", "b"] * 20)
    model.forget(X, y)
    assert model.classes_.size == 0
    with pytest.raises(InputError, match="forgotten every class"):
        model.predict(X)
    model.partial_fit(X[:4], y[:4])
    assert list(model.classes_) == ["a", "b"]


def test_check_helpers_return_clean_arrays():
    X = check_X([[1, 2], [3, 4]])
    assert X.dtype == np.float64 and X.flags.c_contiguous
    assert check_X([["1.5", "2"]]).tolist() == [[1.5, 2.0]]
    assert check_y([1.0, 2.0], 2).dtype == np.int64
    assert check_y(np.array(["x", "y"]), 2).dtype.kind == "U"
    assert check_y([True, False], 2).tolist() == [1, 0]


def test_class_limit_is_enforced_before_anything_changes(model):
    from edgekit.limits import MAX_CLASSES

    before = snapshot(model)
    labels = np.array([f"c{i}" for i in range(MAX_CLASSES + 1)])
    X = np.zeros((labels.size, 4))
    with pytest.raises(InputError, match=str(MAX_CLASSES)):
        model.partial_fit(X, labels)
    for a, b in zip(before, snapshot(model)):
        np.testing.assert_array_equal(a, b)
    fresh = AnalyticClassifier()
    with pytest.raises(InputError, match=str(MAX_CLASSES)):
        fresh.partial_fit(X, labels)
    assert not hasattr(fresh, "classes_")
