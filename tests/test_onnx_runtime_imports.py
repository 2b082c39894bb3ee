"""Imports go one way (DESIGN.md section 8): the on-device runtime loads and runs a text .onnx model without
scipy, the learners or the exporter, and no module imports a layer above its own."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from edgekit.learn import AnalyticClassifier, HashingTextFeaturizer
from exporters import export

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [  # bottom first; a module may import its own layer and those below it
    ("edgekit.errors", "edgekit.limits", "edgekit.atomic", "edgekit.sealed", "edgekit.storage", "edgekit.textio",
     "edgekit.record_loop", "edgekit.list_entry"),
    ("edgekit.forest", "edgekit.hass"),
    ("edgekit.learn", "edgekit.learning"),
    ("edgekit.runtime",),
    ("exporters",),
    ("edgekit.pipeline", "edgekit.pipeline_dir", "edgekit.pipeline_heads"),
    ("edgekit.batch", "edgekit.batch_dask"),
    ("edgekit.cli",),
]


def layer_of(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def imports_of(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import statement in the file, including those inside functions."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            found += [(n if layer_of(n) is not None else target, node.lineno) for n in names]
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
    return found


def test_no_module_imports_upward():
    upward = []
    for path in sorted([*ROOT.glob("edgekit/**/*.py"), *ROOT.glob("exporters/**/*.py")]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        own = layer_of(module)
        for target, line in imports_of(path, module):
            other = layer_of(target)
            if own is not None and other is not None and other > own:
                upward.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {target}")
    assert not upward, "imports against the layer order of DESIGN.md section 8:\n" + "\n".join(upward)


def test_the_walk_sees_an_upward_import(tmp_path):
    """The checker itself: a runtime module importing exporters inside a function is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from exporters.heads import describe_head\n    from ..learn import labels\n")
    found = imports_of(bad, "edgekit.runtime.bad")
    assert ("exporters.heads.describe_head", 2) in found or ("exporters.heads", 2) in found
    assert layer_of("exporters.heads") > layer_of("edgekit.runtime.bad")
    assert any(t.startswith("edgekit.learn") for t, _ in found)


def _fresh_json(code: str, cwd) -> dict:
    """Run code in a fresh interpreter (nothing imported yet) and return the JSON it prints."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd, check=True)
    return json.loads(out.stdout)


def test_running_a_text_model_imports_no_scipy_and_no_exporter(tmp_path):
    head = AnalyticClassifier(featurizer=HashingTextFeaturizer(n_features=64)).fit(
        ["turn on the light", "turn off the light", "open the door"], ["on", "off", "open"])
    export(head, tmp_path / "text.onnx")
    code = (
        "import json, sys\n"
        "from edgekit.runtime import OnnxModel\n"
        f"model = OnnxModel({str(tmp_path / 'text.onnx')!r})\n"
        "labels, proba = model.run(['turn on the light'])\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('scipy', 'exporters', 'sklearn')\n"
        "          or m in ('edgekit.learn.analytic', 'edgekit.learn.kv_head', 'edgekit.learn.heads')]\n"
        "print(json.dumps({'label': str(labels[0]), 'loaded': loaded}))\n")
    result = _fresh_json(code, tmp_path)
    assert result["label"] == "on"
    assert result["loaded"] == []


def test_normalizing_imports_no_numpy_even_with_a_decided_class(tmp_path):
    # numpy alone takes a large part of a cold start; a decided class (en-tn's acronyms) scores in plain Python
    code = (
        "import json, sys\n"
        "from edgekit.forest import load_forest\n"
        "out = [load_forest(g).normalize(t) for g, t in (('zh-itn', '二零零八年八月八日'), ('en-itn', 'twenty one'))]\n"
        "before = 'numpy' in sys.modules\n"
        "tn = load_forest('en-tn').normalize('The FBI')\n"
        "print(json.dumps({'out': out, 'numpy_before': before, 'tn': tn, 'numpy_after': 'numpy' in sys.modules}))\n")
    result = _fresh_json(code, tmp_path)
    assert result["out"] == ["2008/08/08", "21"] and result["tn"] == "The F B I"
    assert result["numpy_before"] is False and result["numpy_after"] is False
