"""Benchmarks: edgekit measured beside its peers in the same run."""
