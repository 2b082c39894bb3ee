"""ONNX graph builders for edgekit heads."""
