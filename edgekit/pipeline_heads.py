"""The pipeline's two kinds of learned head behind one interface: a trainable head (an analytic
classifier the pipeline teaches and saves) and a runtime head (the exported ONNX model, answer only).
The pipeline picks the adapter once, when it makes or loads the head, and never asks a head what it is.

A score says how strongly an input belongs to an intent: the head's ridge estimate, about 1 for what
was taught and about 0 for text sharing nothing with it (softmax probabilities cannot say "none of
these": they sum to 1 over the known intents). The exported head's graph outputs these scores directly,
so both heads answer with the same numbers.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from . import learning
from .errors import EdgekitError, ModelFileError

NONE_CLASS = "__none__"  # a reserved intent name (exported heads of earlier versions used it)
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
        """The head as ONNX with a scores output, which RuntimeHead reads (probabilities too, so that
        `edgekit predict head.onnx` answers as for any exported head)."""
        from exporters import export

        export(self.model, path, scores=True)


class RuntimeHead(PipelineHead):
    """The exported head run by onnxruntime: it answers, it cannot learn."""

    @classmethod
    def load(cls, path: Path) -> "RuntimeHead":
        """The exported head, refused unless it is what the pipeline exports: a text head with scores."""
        from .runtime import OnnxModel

        model = OnnxModel(path)
        if model.feature_layout.get("kind") != "text" or not model.has_scores:
            raise ModelFileError(f"{path}: not a pipeline head (a text model with a scores output, as "
                                 f"Pipeline.export writes; export the trainable pipeline again)")
        return cls(model)

    @property
    def labels(self) -> list[str]:
        return [str(c) for c in self.model.classes_]

    def scores(self, inputs: list[str]) -> tuple[list[str], Any]:
        """The exported graph's scores output: the trainable head's ridge estimates."""
        import numpy as np

        return self.labels, np.asarray(self.model.scores(inputs), dtype=np.float64)

    def info(self) -> dict[str, Any]:
        return {"kind": "onnx (runtime)"}

    def export(self, path: Path) -> None:
        raise EdgekitError("an exported pipeline cannot be exported again; export the trainable pipeline")
