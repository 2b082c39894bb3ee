"""scikit-learn's estimator checks (sklearn is a test dependency only).

Every check runs. Four of them are run on a test-only adapter instead of the class itself, for the
reasons in ADAPTED below; the adapter changes nothing but the layout or type named there.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError as SkNotFittedError
from sklearn.utils.estimator_checks import check_estimator

from edgekit.learn import AnalyticClassifier
from edgekit.learn.validation import DataConversionWarning, NotFittedError

# check name -> why it cannot pass on AnalyticClassifier itself (it passes on the adapter below)
ADAPTED = {
    "check_classifiers_train": "two classes: decision_function returns one column per class (n, 2) so scores, "
                               "probabilities and the exported ONNX graph share one layout; sklearn expects a 1-D margin",
    "check_classifiers_classes": "same two-class decision_function layout",
    "check_decision_proba_consistency": "same two-class decision_function layout",
    "check_estimators_unfitted": "edgekit raises its own NotFittedError (an InputError that is also ValueError and "
                                 "AttributeError); sklearn wants sklearn.exceptions.NotFittedError, and the runtime "
                                 "must not import scikit-learn",
}
SKIPPED_BY_SKLEARN = {"check_array_api_input": "sklearn skips it unless SCIPY_ARRAY_API is set (array API not supported)"}


class SklearnLayout(AnalyticClassifier):
    """Test-only adapter: a 1-D margin for two classes, sklearn's NotFittedError type."""

    def decision_function(self, X):
        try:
            scores = super().decision_function(X)
        except NotFittedError as exc:
            raise SkNotFittedError(str(exc)) from None
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict_proba(self, X):
        try:
            return super().predict_proba(X)
        except NotFittedError as exc:
            raise SkNotFittedError(str(exc)) from None

    def predict(self, X):
        try:
            return super().predict(X)
        except NotFittedError as exc:
            raise SkNotFittedError(str(exc)) from None


def _run(estimator) -> dict[str, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("always", DataConversionWarning)  # check_supervised_y_2d looks for it
        results = check_estimator(estimator, on_fail=None)
    return {r["check_name"]: r["status"] for r in results} | {
        f"{r['check_name']}!": str(r["exception"])[:300] for r in results if r["status"] in ("failed", "skipped")}


@pytest.mark.parametrize("params", [{}, {"buffer_size": 16, "activation": "tanh", "per_class_stats": True,
                                        "pseudo_features": True}])
def test_check_estimator(params):
    status = _run(AnalyticClassifier(**params))
    failed = {k for k, v in status.items() if v == "failed"}
    assert failed == set(ADAPTED), {k: status.get(k + "!") for k in failed - set(ADAPTED)}
    skipped = {k for k, v in status.items() if v == "skipped"}
    # a check scikit-learn skips because an optional peer library (pandas) is absent is not ours to run
    environmental = {k for k in skipped if "is not installed" in status.get(k + "!", "")}
    assert skipped - environmental <= set(SKIPPED_BY_SKLEARN), {k: status.get(k + "!") for k in skipped}
    assert sum(v == "passed" for v in status.values()) >= 45  # distinct check names

    adapted = _run(SklearnLayout(**params))
    for name in ADAPTED:
        assert adapted[name] == "passed", adapted.get(name + "!")


def test_two_class_margin_agrees_with_scores():
    """What the adapter relies on: for two classes, score difference > 0 exactly when class 1 wins."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    model = AnalyticClassifier().fit(X, y)
    s = model.decision_function(X)
    np.testing.assert_array_equal((s[:, 1] - s[:, 0] > 0).astype(int), model.predict(X))
