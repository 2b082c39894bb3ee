"""Parse smart-home commands with the shipped `home` grammar and show where each answer came from.

Run: python examples/parse_home_commands.py [examples/home_commands.txt]"""
from __future__ import annotations

import sys
from pathlib import Path

import edgekit


def main(path: str) -> None:
    forest = edgekit.load_forest("home")
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        trace = forest.explain(line)
        if trace.frame is None:
            print(f"{line!r}\n  not understood: {trace.rejection}\n")
            continue
        slots = ", ".join(f"{name}={slot.value!r}" for name, slot in trace.frame.slots.items())
        print(f"{line!r}\n  {trace.frame.intent}({slots})  canonical: {trace.frame.text!r}\n"
              f"  rule {trace.frame.rule} at {trace.frame.where}\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).with_name("home_commands.txt")))
