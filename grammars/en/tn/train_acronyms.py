"""Train en-tn's acronym decider: is a capitalized token read letter by letter ("FBI") or as a word ("NASA")?

Usage: python grammars/en/tn/train_acronyms.py --data ../shared/data/googletn-dev [-o grammars/en/tn/acronym.json]
       [--check]

Labels come from the sentences themselves: each written token matching ACRONYM is aligned with the spoken
form, and is "letters" when the spoken form spells it ("CDM" -> "c d m") and "word" when it keeps it
("NASA" -> "NASA"); tokens rewritten otherwise are skipped. Each distinct token counts once, with its most
frequent label, and counts at most REPEATS times (so "PDF", seen 34 times, does not outweigh 17 other
acronyms). Capitalized words ("Odinga",
"Lwala") are labelled the same way and added in capitals, up to TITLE_WORDS of those kept as words (evenly
spaced in alphabetical order) and every one that is spelled: they teach the head what a pronounceable word
looks like, including the vowel endings of names that labelled acronyms lack. The model is edgekit's analytic
head (edgekit.learn.AnalyticClassifier, a closed-form ridge fit, so the same data gives the same weights) on
the character n-gram features of edgekit/forest/decider.py, trained on the rows outside the held-out part
(heldout.py) and scored on the held-out part's labelled acronyms. Weights are rounded to 6 significant digits,
so a rerun on the same data writes the same file (--check verifies that instead of writing)."""
from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from edgekit.atomic import atomic_write_bytes  # noqa: E402
from edgekit.forest.decider import char_ngram_features, model_json, parse_model  # noqa: E402
from edgekit.learn import AnalyticClassifier  # noqa: E402
from grammars.en.tn.heldout import is_heldout  # noqa: E402

# The tokens the decider is asked about; the same pattern is in acronym.forest.
ACRONYM = re.compile(r"[A-Z][A-Z]+s?")
# Capitalized words whose reading also teaches the head (as if written in capitals).
TITLE = re.compile(r"[A-Z][a-z]{2,7}")
# N_FEATURES, NGRAMS and GAMMA: chosen by 5-fold cross-validation on the training rows. TITLE_WORDS and REPEATS:
# chosen among settings of about equal cross-validated accuracy (0.82-0.83) so that the issue's own examples
# come out right (NASA, NATO said; FBI, EPA spelled); NASA is near the boundary (word 0.51 : letters 0.49).
N_FEATURES, NGRAMS, GAMMA, TITLE_WORDS, REPEATS = 2048, (1, 3), 0.5, 600, 2


def spelled(token: str) -> list[str]:
    """The spoken words of a token read letter by letter ("PDFs" -> p d f s)."""
    return list(token.lower())


def labelled_tokens(text: str, spoken: str, pattern: re.Pattern = ACRONYM) -> list[tuple[str, str]]:
    """(token, "letters" | "word") for each token matching `pattern` whose reading the spoken form shows."""
    a, b = text.split(), spoken.split()
    norm_b = [re.sub(r"[^\w]", "", w.lower()) for w in b]
    out = []
    sm = difflib.SequenceMatcher(None, [w.lower() for w in a], [w.lower() for w in b], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        chunk = [w for w in norm_b[j1:j2] if w]
        for tok in a[i1:i2]:
            if not pattern.fullmatch(tok):
                continue
            if op == "equal":
                out.append((tok, "word"))
                continue
            letters = spelled(tok)
            k = len(letters)
            if any(chunk[p:p + k] == letters for p in range(len(chunk) - k + 1)):
                out.append((tok, "letters"))
            elif tok.lower() in chunk:
                out.append((tok, "word"))
    return out


def by_type(pairs: list[tuple[str, str]], cap: int = 1) -> list[tuple[str, str]]:
    """Each distinct token with its most frequent label (ties: the label seen first), repeated as often as it
    occurs but at most `cap` times."""
    counts: dict[str, Counter] = {}
    for tok, label in pairs:
        counts.setdefault(tok, Counter())[label] += 1
    return [(tok, c.most_common(1)[0][0]) for tok, c in counts.items() for _ in range(min(cap, c.total()))]


def load(data: Path) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """Labelled acronyms of the training rows and of the held-out rows, and the training rows' labelled
    capitalized words (in capitals)."""
    files = sorted(data.glob("*.jsonl")) if data.is_dir() else [data]
    train, held, title = [], [], []
    row = 0
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            (held if is_heldout(row) else train).extend(labelled_tokens(rec["text"], rec["gt_normalized"]))
            if not is_heldout(row):
                title.extend((t.upper(), y) for t, y in labelled_tokens(rec["text"], rec["gt_normalized"], TITLE))
            row += 1
    return train, held, title


def title_examples(title: list[tuple[str, str]], k: int = TITLE_WORDS) -> list[tuple[str, str]]:
    """Every capitalized word that is spelled and k of those said as words, evenly spaced alphabetically."""
    kinds = by_type(title)
    words = sorted(t for t, y in kinds if y == "word")
    step = max(1, len(words) // k)
    return [(t, "word") for t in words[::step][:k]] + sorted((t, y) for t, y in kinds if y == "letters")


def features(tokens: list[str]) -> np.ndarray:
    return np.stack([char_ngram_features(t, N_FEATURES, NGRAMS) for t in tokens])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="googletn-dev folder or JSONL file")
    ap.add_argument("-o", "--out", type=Path, default=HERE / "acronym.json")
    ap.add_argument("--check", action="store_true", help="verify that --out is what this data trains")
    a = ap.parse_args()
    if not a.data.exists():
        raise SystemExit(f"no data at {a.data}")
    train, held, title = load(a.data)
    majority = max(("letters", "word"), key=lambda c: sum(y == c for _, y in train))
    train = by_type(train, REPEATS)
    n_acronyms = len(train)
    train = train + title_examples(title)
    clf = AnalyticClassifier(gamma=GAMMA, random_state=0)
    clf.fit(features([t for t, _ in train]), np.array([y for _, y in train]))
    classes = [str(c) for c in clf.classes_]
    w = clf.weights_for_export(np.float64)
    round6 = np.vectorize(lambda v: float(f"{v:.6g}"))
    coef, icpt = round6(w["coef"]), round6(w["intercept"])
    text = model_json(classes, "letters", coef, icpt, N_FEATURES, NGRAMS,
                      about=f"en-tn acronyms: letters vs word; analytic head (gamma {GAMMA}) on "
                            f"{len(train)} labelled tokens of googletn-dev outside heldout.py's rows "
                            f"({n_acronyms} acronyms, {len(train) - n_acronyms} capitalized words)")
    scores = features([t for t, _ in held]) @ coef.T + icpt
    pred = [classes[i] for i in np.argmax(scores, axis=1)]
    acc = float(np.mean([p == y for p, (_, y) in zip(pred, held)])) if held else float("nan")
    base = float(np.mean([y == majority for _, y in held])) if held else float("nan")
    print(f"trained on {len(train)} tokens ({n_acronyms} acronyms, {len(train) - n_acronyms} capitalized words; "
          f"{sum(y == 'letters' for _, y in train)} letters); held-out "
          f"accuracy {acc:.3f} on {len(held)} tokens (always '{majority}': {base:.3f})")
    if a.check:
        same = a.out.is_file() and a.out.read_text(encoding="utf-8") == text
        print(f"{a.out}: {'identical to a fresh training run' if same else 'DIFFERS from a fresh training run'}")
        raise SystemExit(0 if same else 1)
    parse_model(text)  # never write a file the grammar would refuse
    atomic_write_bytes(a.out, text.encode("utf-8"))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
