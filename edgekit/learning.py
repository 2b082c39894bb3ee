"""The learn/forget service: how a model file is created or updated from labelled records, in one place
for `edgekit learn|forget`, the pipeline and the Dask engine.

Rules: a model file that exists keeps its head kind, parameters and featurizer (`--head` may only name
its own kind, `--param` is refused); a new text model gets its featurizer from
`featurizer_for_model`, so a grammar it names is a shipped one or lies in the model's folder (stored
relative to it) and the saved model can always be loaded; text records are refused for a vector model
and vice versa; labels read from a file take the model's label type. Every update of a file holds
the file's lock from load to save, so concurrent writers never lose an update.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

from .valueclass import field, value_class
from .errors import DataError

DEFAULT_HEAD = "analytic"
DEFAULT_FEATURES = 1024


@value_class(frozen=True)
class NewModel:
    """What a model file gets when it does not exist yet: head kind, its parameters, the text featurizer
    (n_features None: DEFAULT_FEATURES; given for an existing file, any of these is refused)."""

    head: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    n_features: int | None = None
    grammar: str | None = None


def head_kinds(model: Any) -> list[str]:
    """The registry names a loaded head answers to (its class's), or its class name."""
    from .learn.heads import HEADS

    return [name for name, cls in HEADS.items() if type(model) is cls] or [type(model).__name__]


def new_head(path: str | os.PathLike | None, new: NewModel, text: bool) -> Any:
    """A new, untrained head for the model file at `path` (None: not saved in a file, so no grammar)."""
    from .learn.featurize import featurizer_for_model
    from .learn.heads import make_head

    params = dict(new.params)
    if text:
        if path is None and new.grammar is not None:
            raise DataError("a grammar for the featurizer needs the model file's location")
        params["featurizer"] = featurizer_for_model(path or ".", new.n_features or DEFAULT_FEATURES, new.grammar)
    return make_head(new.head or DEFAULT_HEAD, **params)


def existing_head(path: str | os.PathLike, new: NewModel) -> Any | None:
    """The head saved at `path`, or None when there is no file; refuses settings meant for new models."""
    from .learn.heads import load_head

    if not Path(path).exists():
        return None
    current = load_head(path)
    kinds = head_kinds(current)
    if new.head is not None and new.head not in kinds:
        raise DataError(f"{path} is an existing {kinds[0]} model; --head {new.head} applies to new models only")
    given = [name for name, value in (("--param", new.params), ("--features", new.n_features),
                                      ("--grammar", new.grammar)) if value]
    if given:
        raise DataError(f"{' and '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to new models only "
                        f"({path} exists; its settings are kept)")
    return current


def check_kind(model: Any, where: Any, batch: Any) -> None:
    """Refuse text records for a vector model and vice versa, naming the data and the model."""
    text_model = getattr(model, "featurizer", None) is not None
    if hasattr(model, "classes_") and text_model != batch.is_text:
        have = "text" if batch.is_text else "feature vectors"
        want = "text" if text_model else "feature vectors"
        raise DataError(f"{batch.source} holds {have}, but {where} is a model of {want}")


def labels_for(model: Any, raw: list) -> list:
    """Labels read from a file in the model's label type: integers for a model with integer labels."""
    from .learn.validation import coerce_label

    classes = getattr(model, "classes_", None)
    if classes is not None and len(classes) and classes.dtype.kind != "U":
        return [coerce_label(str(v), classes) for v in raw]
    return [str(v) for v in raw]


def learn(model: Any, inputs: Any, labels: list) -> Any:
    """Add labelled records to a head (labels coerced to its label type); returns the head."""
    model.partial_fit(inputs, labels_for(model, labels))
    return model


def forget(model: Any, inputs: Any, labels: list) -> Any:
    """Remove labelled records from a head exactly; returns the head."""
    model.forget(inputs, labels_for(model, labels))
    return model


def forget_classes(model: Any, labels: list[str]) -> Any:
    """Remove whole classes from a head exactly (needs per-class statistics); returns the head."""
    from .learn.validation import coerce_label

    for name in labels:
        model.forget_class(coerce_label(name, model.classes_))
    return model


@contextlib.contextmanager
def updating(path: str | os.PathLike) -> Iterator[None]:
    """Hold the model file's lock for a load-change-save cycle."""
    from .atomic import file_lock

    with file_lock(path):
        yield


def learn_file(path: str | os.PathLike, batch: Any, new: NewModel = NewModel()) -> Any:
    """Learn a training file's records (edgekit.learn.datafile.TrainingData) into the model file at
    `path`, creating it when absent; the file is replaced atomically under its lock. Returns the head."""
    with updating(path):
        current = existing_head(path, new)
        if current is None:
            current = new_head(path, new, batch.is_text)
        check_kind(current, path, batch)
        learn(current, batch.inputs, batch.labels)
        current.save(path)
    return current


def forget_file(path: str | os.PathLike, batch: Any = None, classes: list[str] = ()) -> Any:
    """Forget a file's records, or whole classes, from the model file at `path` (which must exist); on
    any error the file is left as it was. Returns the head."""
    from .learn.heads import load_head

    with updating(path):
        current = load_head(path)
        if batch is not None:
            check_kind(current, path, batch)
            forget(current, batch.inputs, batch.labels)
        forget_classes(current, list(classes))
        current.save(path)
    return current
