"""`edgekit export MODEL -o model.onnx [--backbone b.onnx]`: a saved head as an ONNX model."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .app import app, guarded


@app.command("export")
def export_command(
    model: Path = typer.Argument(..., help="A saved head (state file written by `edgekit learn` or head.save)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the .onnx model."),
    backbone: Optional[Path] = typer.Option(None, "--backbone", help="An .onnx backbone whose output feeds the head."),
    backbone_output: Optional[str] = typer.Option(None, "--backbone-output",
                                                  help="The backbone output to use, if it has several."),
) -> None:
    """Export a trained head to ONNX (label + probabilities outputs, class labels in the metadata)."""
    def body() -> None:
        from exporters import export
        from ..learn.heads import load_head

        onnx_model = export(load_head(model), output, backbone=backbone, backbone_output=backbone_output)
        size = output.stat().st_size
        inputs = ", ".join(i.name for i in onnx_model.graph.input if i.name not in
                           {t.name for t in onnx_model.graph.initializer})
        typer.echo(f"wrote {output} ({size} bytes, opset {onnx_model.opset_import[0].version}, input {inputs})",
                   err=True)

    guarded(body)
