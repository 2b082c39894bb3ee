"""A command the grammar rejects is learned on the device after two teachings, then forgotten exactly.

Run: python examples/teach_and_forget.py

The pipeline normalizes text with the shipped `en-itn` grammar, parses it with the `home` grammar, and
falls back to a learned head (seeded from the grammar's own phrasings) when the grammar finds no frame.
"""
from __future__ import annotations

import tempfile

import edgekit

COMMAND = "brew a coffee"
TEACHINGS = ["make me a coffee", "brew me a coffee please"]


def show(pipe: "edgekit.Pipeline", text: str) -> None:
    a = pipe.ask(text)
    if a.source == "grammar":
        print(f"  {text!r:40} -> {a.intent} (grammar rule {a.rule} at {a.where.rsplit('/', 1)[-1]})")
    elif a.understood:
        print(f"  {text!r:40} -> {a.intent} (learned head, score {a.score:.2f})")
    else:
        print(f"  {text!r:40} -> not understood (best guess {a.guess}, score {a.score:.2f} "
              f"< threshold {pipe.threshold})")


def main() -> None:
    pipe = edgekit.Pipeline("home", normalizer="en-itn")
    print("A fresh pipeline: the grammar understands its commands, the seeded head some paraphrases:")
    for text in ("switch on the kitchen lamp", "set a timer for twenty five minutes", "could you turn the lamp on",
                 COMMAND):
        show(pipe, text)
    print(f"\nThe grammar rejects {COMMAND!r}: {pipe.ask(COMMAND).trace.rejection}")

    for n, text in enumerate(TEACHINGS, 1):
        pipe.teach(text, "MakeCoffee")
        print(f"\nAfter teaching #{n} ({text!r} means MakeCoffee):")
        show(pipe, COMMAND)

    with tempfile.TemporaryDirectory() as tmp:
        pipe.save(tmp)
        pipe = edgekit.Pipeline.load(tmp)
        print("\nSaved and loaded again (one directory: compiled grammars + head state):")
        show(pipe, COMMAND)

    for text in TEACHINGS:
        pipe.forget(text)
    print("\nAfter forgetting both teachings (exactly: no samples were ever stored):")
    show(pipe, COMMAND)
    show(pipe, "switch on the kitchen lamp")


if __name__ == "__main__":
    main()
