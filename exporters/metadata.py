"""The metadata of an exported model: defined in `edgekit.runtime.metadata` (the runtime reads it, the
exporter writes it), re-exported here for the exporter's callers."""
from edgekit.runtime.metadata import (CHECKSUM, PREFIX, HeadMetadata, array_fingerprint,  # noqa: F401
                                      edgekit_props, graph_sha256)
