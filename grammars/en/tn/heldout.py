"""The held-out part of a sentence data set (googletn-dev): every fifth row, counting from 0 at row 4.

Grammar tuning and the acronym model's training use only the other rows; the held-out rows measure how well
that carries over (benchmarks/tn_sentences.py reports both parts, train_acronyms.py its held-out accuracy)."""
from __future__ import annotations


def is_heldout(row: int) -> bool:
    """True for the rows (0-based position in the file) kept out of tuning and training."""
    return row % 5 == 4
