"""What an exported edgekit model says about itself, stored as ONNX `metadata_props` (string key/values,
JSON where structured), and the checksum that lets a loader refuse a corrupted file.

Keys (all prefixed `edgekit.`):
    version         edgekit.__version__ that exported the model
    head            "analytic" or "key_value"
    classes         JSON list of class labels, in probability-column order
    feature_layout  JSON: {"kind": "vector", "n_features": d}
                          {"kind": "text", "n_features": d, "featurizer": {...its parameters...}}
                          {"kind": "backbone", "n_features": d, "inputs": [{"name", "shape", "dtype"}], "output": ...}
    params          JSON dict of the head's parameters (activation, top_k, ...)
    live_weights    JSON list of the graph names of the overridable (hot-swappable) weights
    frozen_fingerprint  JSON {name: hex} fingerprints of the frozen weights (`array_fingerprint`), so the
                    runtime refuses weights from another head (other seed, refitted keys) in a swap
    opset           the default-domain opset the graph was built at
    graph_sha256    SHA-256 of the serialized graph (every node and weight): a flipped bit is detected
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import onnx

from edgekit.errors import ModelFileError

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


def graph_sha256(model: onnx.ModelProto) -> str:
    """SHA-256 of the model's serialized graph (protobuf serialization is deterministic for ONNX graphs)."""
    return hashlib.sha256(model.graph.SerializeToString()).hexdigest()


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


@dataclass
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
        for key, value in self.__dict__.items():
            out[PREFIX + key] = value if isinstance(value, str) else json.dumps(_jsonable(value), sort_keys=True)
        return out

    def write(self, model: onnx.ModelProto) -> None:
        """Store this metadata in `model`, computing the graph checksum from the model as it is now."""
        self.opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        self.graph_sha256 = graph_sha256(model)
        del model.metadata_props[:]
        onnx.helper.set_model_props(model, self.props())

    @classmethod
    def read(cls, model: onnx.ModelProto, source: str = "<model>", verify: bool = True) -> "HeadMetadata":
        """Parse the metadata of an edgekit model; ModelFileError if absent, malformed, or (with `verify`)
        if the graph no longer matches its checksum."""
        props = {p.key[len(PREFIX):]: p.value for p in model.metadata_props if p.key.startswith(PREFIX)}
        if "head" not in props or "version" not in props:
            raise ModelFileError(f"{source}: not an edgekit model (no edgekit metadata; "
                                 f"export it with `edgekit export`)")
        try:
            values = {k: (v if k in ("version", "head", "graph_sha256") else json.loads(v))
                      for k, v in props.items() if k in cls.__dataclass_fields__}
            meta = cls(**values)
        except (ValueError, TypeError) as exc:
            raise ModelFileError(f"{source}: malformed edgekit metadata ({exc})") from None
        if verify and meta.graph_sha256 != graph_sha256(model):
            raise ModelFileError(f"{source}: checksum mismatch: the graph or its weights were corrupted "
                                 f"or modified after export")
        return meta
