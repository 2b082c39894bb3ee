"""The pipeline's two kinds of learned head behind one interface: a trainable head (an analytic
classifier the pipeline teaches and saves) and a runtime head (the exported ONNX model, answer only).
The pipeline picks the adapter once, when it makes or loads the head, and never asks a head what it is.

A score says how strongly an input belongs to an intent: the head's ridge estimate, about 1 for what
was taught and about 0 for text sharing nothing with it (softmax probabilities cannot say "none of
these": they sum to 1 over the known intents).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import learning
from .errors import EdgekitError, ModelFileError

NONE_CLASS = "__none__"
READ_ONLY = ("this is an exported (runtime) pipeline: it can answer but not learn; teach the trainable "
             "pipeline and export it again")


class PipelineHead:
    """What the pipeline asks of a head: its intents (`labels`), `scores`, and whether it `can_learn`."""

    can_learn = False
    fitted = True

    def __init__(self, model: Any) -> None:
        self.model = model

    @property
    def labels(self) -> list[str]:
        raise NotImplementedError

    def scores(self, inputs: list[str]) -> tuple[list[str], Any]:
        """(intents, scores of shape (n_inputs, n_intents))."""
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        raise NotImplementedError

    def learn(self, inputs: list[str], intents: list[str]) -> None:
        raise EdgekitError(READ_ONLY)

    def forget(self, inputs: list[str], intents: list[str]) -> None:
        raise EdgekitError(READ_ONLY)

    def forget_intent(self, intent: str) -> int:
        raise EdgekitError(READ_ONLY)


class TrainableHead(PipelineHead):
    """An AnalyticClassifier with per-class statistics, taught and forgotten through edgekit.learning."""

    can_learn = True

    @classmethod
    def new(cls, n_features: int, gamma: float, random_state: int) -> "TrainableHead":
        """No intercept, so text sharing nothing with what was taught scores near zero for every intent."""
        params = {"gamma": gamma, "per_class_stats": True, "fit_intercept": False, "random_state": random_state}
        return cls(learning.new_head(None, learning.NewModel("analytic", params, n_features), text=True))

    @classmethod
    def load(cls, path: Path) -> "TrainableHead":
        from .learn import load_head

        return cls(load_head(path))

    @property
    def fitted(self) -> bool:
        """Whether the head has learned anything yet (an unfitted head is not saved)."""
        return hasattr(self.model, "classes_")

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.model.classes_] if self.fitted else []

    def scores(self, inputs: list[str]) -> tuple[list[str], Any]:
        """The ridge estimates."""
        return self.labels, self.model.decision_function(inputs)

    def learn(self, inputs: list[str], intents: list[str]) -> None:
        learning.learn(self.model, inputs, intents)

    def forget(self, inputs: list[str], intents: list[str]) -> None:
        learning.forget(self.model, inputs, intents)

    def forget_intent(self, intent: str) -> int:
        """Forget a whole intent exactly; returns how many texts it had."""
        count = int(self.model.class_count_[self.labels.index(intent)])
        learning.forget_classes(self.model, [intent])
        return count

    def info(self) -> dict[str, Any]:
        return self.model.info()

    def save(self, path: Path) -> None:
        self.model.save(path)

    def export(self, path: Path) -> None:
        from exporters import export

        export(_ScoresView(self.model), path)


class RuntimeHead(PipelineHead):
    """The exported head run by onnxruntime: it answers, it cannot learn."""

    @classmethod
    def load(cls, path: Path) -> "RuntimeHead":
        """The exported head, refused unless it is what the pipeline exports: a text head with the
        reference class."""
        from .runtime import OnnxModel

        model = OnnxModel(path)
        if model.feature_layout.get("kind") != "text" or NONE_CLASS not in [str(c) for c in model.classes_]:
            raise ModelFileError(f"{path}: not a pipeline head (a text model with the {NONE_CLASS!r} reference "
                                 f"class, as Pipeline.export writes)")
        return cls(model)

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.model.classes_ if str(c) != NONE_CLASS]

    def scores(self, inputs: list[str]) -> tuple[list[str], Any]:
        """The trainable head's scores, recovered from the exported probabilities softmax([s, 0]) (see
        _ScoresView): s_j = log p_j - log p_none."""
        import numpy as np

        proba = np.asarray(self.model.predict_proba(inputs), dtype=np.float64)
        labels = [str(c) for c in self.model.classes_]
        ref = labels.index(NONE_CLASS)
        with np.errstate(divide="ignore"):
            scores = np.log(proba) - np.log(proba[:, ref:ref + 1])
        keep = [j for j in range(len(labels)) if j != ref]
        return [labels[j] for j in keep], scores[:, keep]

    def info(self) -> dict[str, Any]:
        return {"kind": "onnx (runtime)"}

    def export(self, path: Path) -> None:
        raise EdgekitError("an exported pipeline cannot be exported again; export the trainable pipeline")


class _ScoresView:
    """The trainable head as the runtime export sees it: its ridge scores, unscaled (softmax_scale 1), plus
    a reference class NONE_CLASS whose score is always 0, so the runtime can recover every score."""

    def __init__(self, head: Any) -> None:
        import numpy as np

        self._head = head
        self.classes_ = np.array([str(c) for c in head.classes_] + [NONE_CLASS])
        self.featurizer = head.featurizer
        self.n_features_in_ = head.n_features_in_
        self.activation = head.activation

    def weights_for_export(self, dtype: Any = None) -> dict[str, Any]:
        import numpy as np

        w = self._head.weights_for_export(dtype)
        zero_row = np.zeros((1, w["coef"].shape[1]), dtype=w["coef"].dtype)
        return {**w, "coef": np.vstack([w["coef"], zero_row]), "intercept": np.append(w["intercept"], 0),
                "softmax_scale": np.asarray(1, dtype=w["softmax_scale"].dtype)}

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {**self._head.get_params(deep), "pipeline_scores": True}
