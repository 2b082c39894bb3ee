"""What an exported edgekit model says about itself, stored as ONNX `metadata_props` (string key/values,
JSON where structured), and the checksum that lets a loader refuse a corrupted file.

Keys (all prefixed `edgekit.`):
    version         edgekit.__version__ that exported the model
    head            "analytic" or "kvb" (edgekit.learn.kinds; files exported before the names were unified
                    say "key_value", read as "kvb")
    classes         JSON list of class labels, in probability-column order
    feature_layout  JSON: {"kind": "vector", "n_features": d}
                          {"kind": "text", "n_features": d, "featurizer": {...its parameters...}}
                          {"kind": "backbone", "n_features": d, "inputs": [{"name", "shape", "dtype"}], "output": ...}
    params          JSON dict of the head's parameters (activation, top_k, ...)
    live_weights    JSON list of the graph names of the overridable (hot-swappable) weights
    frozen_fingerprint  JSON {name: hex} fingerprints of the frozen weights (`array_fingerprint`), so the
                    runtime refuses weights from another head (other seed, refitted keys) in a swap
    opset           the default-domain opset the graph was built at
    graph_sha256    SHA-256 of the serialized graph (every node and weight) and of every other edgekit.*
                    entry: a flipped bit in a weight or in a class label is detected (the name predates
                    the metadata being covered)

`HeadMetadata.read` also checks the structure of every entry (types, known kinds, int64-sized integer
labels), so a forged file with a valid checksum is still a ModelFileError at load, not a crash at run time.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import onnx

from ..valueclass import field, fields, value_class
from ..errors import ModelFileError
from ..learn.kinds import KINDS, canonical_kind
from ..learn.labels import labels_from_json
from ..limits import MAX_FEATURES

PREFIX = "edgekit."


FINGERPRINT_SAMPLES = 65536


def array_fingerprint(arr: np.ndarray) -> str:
    """SHA-256 of a numeric array's dtype, shape and up to FINGERPRINT_SAMPLES evenly spaced values.

    Cheap enough to run on every weight swap (a fraction of a millisecond for megabytes of weights), and
    enough to tell another head's random buffer, projections or keys from these: they differ
    everywhere. Corruption of the file itself is the graph checksum's job."""
    flat = np.asarray(arr).reshape(-1)
    step = max(1, flat.size // FINGERPRINT_SAMPLES)
    digest = hashlib.sha256(f"{flat.dtype.str}{np.shape(arr)}".encode())
    digest.update(np.ascontiguousarray(flat[::step]).tobytes())
    return digest.hexdigest()


CHECKSUM = "graph_sha256"
LAYOUTS = ("vector", "text", "backbone")


def edgekit_props(model: onnx.ModelProto, source: str = "<model>") -> dict[str, str]:
    """The model's edgekit.* metadata by short key (the last entry wins if a key repeats); ModelFileError
    if any metadata key or value is not valid UTF-8 (protobuf then hands back bytes)."""
    props = {}
    for prop in model.metadata_props:
        if not isinstance(prop.key, str) or not isinstance(prop.value, str):
            raise ModelFileError(f"{source}: corrupted model metadata (an entry is not valid UTF-8)")
        if prop.key.startswith(PREFIX):
            props[prop.key[len(PREFIX):]] = prop.value
    return props


def graph_sha256(model: onnx.ModelProto, source: str = "<model>") -> str:
    """SHA-256 of the model's serialized graph and of its edgekit metadata except the checksum entry
    (protobuf serialization is deterministic for ONNX graphs; the metadata is hashed as sorted JSON)."""
    digest = hashlib.sha256(model.graph.SerializeToString())
    covered = {k: v for k, v in edgekit_props(model, source).items() if k != CHECKSUM}
    digest.update(json.dumps(covered, sort_keys=True).encode())
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Turn numpy scalars/arrays inside metadata into plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


@value_class
class HeadMetadata:
    """The edgekit facts about one exported model (see the module docstring for the stored form)."""

    version: str
    head: str
    classes: list
    feature_layout: dict
    params: dict = field(default_factory=dict)
    live_weights: list = field(default_factory=list)
    frozen_fingerprint: dict = field(default_factory=dict)
    opset: int = 0
    graph_sha256: str = ""

    def props(self) -> dict[str, str]:
        """The metadata as ONNX string properties."""
        out = {}
        for key, value in ((f.name, getattr(self, f.name)) for f in fields(self)):
            out[PREFIX + key] = value if isinstance(value, str) else json.dumps(_jsonable(value), sort_keys=True)
        return out

    def write(self, model: onnx.ModelProto) -> None:
        """Store this metadata in `model`, with the checksum of the model's graph and this metadata."""
        self.opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        del model.metadata_props[:]
        onnx.helper.set_model_props(model, self.props())
        self.graph_sha256 = graph_sha256(model)
        next(p for p in model.metadata_props if p.key == PREFIX + CHECKSUM).value = self.graph_sha256

    @classmethod
    def read(cls, model: onnx.ModelProto, source: str = "<model>", verify: bool = True) -> "HeadMetadata":
        """Parse and check the metadata of an edgekit model; ModelFileError if absent, malformed, or (with
        `verify`) if the graph or the metadata no longer match the checksum stored at export."""
        props = edgekit_props(model, source)
        if "head" not in props or "version" not in props:
            raise ModelFileError(f"{source}: not an edgekit model (no edgekit metadata; "
                                 f"export it with `edgekit export`)")
        if verify and props.get(CHECKSUM) != graph_sha256(model, source):
            raise ModelFileError(f"{source}: checksum mismatch: the graph, its weights or its edgekit metadata "
                                 f"were corrupted or modified after export")
        try:
            known = {f.name for f in fields(cls)}
            meta = cls(**{k: _parse(k, v) for k, v in props.items() if k in known})
            meta._check()
        except (ValueError, TypeError) as exc:
            raise ModelFileError(f"{source}: malformed edgekit metadata ({exc})") from None
        return meta

    def _check(self) -> None:
        """ValueError naming the first entry whose structure is not what `export` writes."""
        self.head = canonical_kind(self.head)
        if self.head not in KINDS:
            raise ValueError(f"unknown head {self.head!r}")
        labels_from_json(self.classes)
        _check_layout(self.feature_layout)
        if not isinstance(self.params, dict):
            raise ValueError("params is not a JSON object")
        if not (isinstance(self.live_weights, list) and ("classes" in self.live_weights or not self.live_weights)
                and all(isinstance(n, str) for n in self.live_weights)):
            raise ValueError("live_weights is not a list of weight names including 'classes' (or empty)")
        if not (isinstance(self.frozen_fingerprint, dict)
                and all(isinstance(v, str) for v in self.frozen_fingerprint.values())):
            raise ValueError("frozen_fingerprint is not a JSON object of hex strings")
        if not _is_int(self.opset):
            raise ValueError("opset is not an integer")


def _parse(key: str, value: str) -> Any:
    """One stored entry: plain text for the version, head and checksum, JSON for the rest."""
    if key in ("version", "head", CHECKSUM):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{PREFIX}{key} is not JSON: {exc}") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_layout(layout: Any) -> None:
    """A feature layout as `export` writes it: a known kind, a positive integer width, and the featurizer
    (text) or the input descriptions (backbone) that kind needs."""
    if not isinstance(layout, dict) or layout.get("kind") not in LAYOUTS:
        raise ValueError("feature_layout has no known 'kind'")
    n = layout.get("n_features")
    if not _is_int(n) or not 1 <= n <= MAX_FEATURES:
        raise ValueError(f"feature_layout 'n_features' is not an integer from 1 to {MAX_FEATURES}")
    if layout["kind"] == "text" and not isinstance(layout.get("featurizer"), dict):
        raise ValueError("a text feature_layout has no 'featurizer' object")
    if layout["kind"] == "backbone":
        inputs = layout.get("inputs")
        if not (isinstance(inputs, list) and inputs and all(map(_is_input, inputs))):
            raise ValueError("a backbone feature_layout has no list of 'inputs' with a name and a shape")


def _is_input(value: Any) -> bool:
    """A backbone input description: {"name": str, "shape": [int >= 0 or None, ...] (batch first), ...}."""
    if not isinstance(value, dict):
        return False
    shape = value.get("shape")
    return (isinstance(value.get("name"), str) and isinstance(shape, list) and len(shape) >= 1
            and all(d is None or (_is_int(d) and d >= 0) for d in shape))
