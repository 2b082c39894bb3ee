"""Key-value bottleneck head on class-incremental digits, beside its peers, in one run.

Protocol: scikit-learn's bundled digits (1,797 images, 64 features, no download), a stratified 75/25
split per seed, classes learned in 5 tasks of 2 ([0,1], [2,3], ...), no task id at test time.
Reported per learner (mean over seeds): last accuracy (all 10 classes after the last task), average
accuracy (mean over tasks of the accuracy on the classes seen so far), and the largest drop of a
task's accuracy between just after learning it and the end. The key-value head's keys are fitted on
the training inputs without labels (an unlabelled pool; one row fits them on task 1's inputs only).
Then: update and inference latency, state memory, and forgetting a class.

Run: python benchmarks/kv_digits.py   (writes the "kv-head" section of benchmarks/RESULTS.md)
"""
from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path
from typing import Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.results import machine_line, markdown_table, write_section  # noqa: E402
from edgekit.learn.kv_head import KeyValueHead  # noqa: E402

SEEDS = (0, 1, 2)
TASKS = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]


def digits_split(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=seed, stratify=y)


class NearestClassMean:
    """Exemplar-free prototype classifier: per-class feature sums and counts (order-invariant)."""

    def __init__(self) -> None:
        self.sums: dict[int, np.ndarray] = {}
        self.counts: dict[int, int] = {}

    def partial_fit(self, X, y):
        for label in np.unique(y):
            rows = X[y == label]
            self.sums[label] = self.sums.get(label, 0) + rows.sum(axis=0)
            self.counts[label] = self.counts.get(label, 0) + len(rows)
        return self

    def predict(self, X):
        labels = np.array(sorted(self.sums))
        means = np.stack([self.sums[c] / self.counts[c] for c in labels])
        return labels[((X[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)]


class SGDIncremental:
    """scikit-learn SGDClassifier (logistic loss) trained task by task with partial_fit."""

    def __init__(self, epochs: int = 5) -> None:
        from sklearn.linear_model import SGDClassifier

        self.model, self.epochs = SGDClassifier(loss="log_loss", random_state=0), epochs

    def partial_fit(self, X, y):
        for _ in range(self.epochs):
            self.model.partial_fit(X, y, classes=np.arange(10))
        return self

    def predict(self, X):
        return self.model.predict(X)


class RiverLogistic:
    """river's online logistic regression (one-vs-rest, standardized inputs), one sample at a time."""

    def __init__(self) -> None:
        from river import linear_model, multiclass, preprocessing

        self.model = preprocessing.StandardScaler() | multiclass.OneVsRestClassifier(
            linear_model.LogisticRegression())

    def partial_fit(self, X, y):
        for row, label in zip(X, y):
            self.model.learn_one(dict(enumerate(row)), int(label))
        return self

    def predict(self, X):
        return np.array([self.model.predict_one(dict(enumerate(row))) for row in X])


def river_available() -> bool:
    try:
        import river  # noqa: F401
    except ImportError:
        return False
    return True


def kv_factory(keys_from: str = "all", **params) -> Callable:
    def make(Xtr):
        head = KeyValueHead(**params)
        first = Xtr["task1"] if keys_from == "task1" else Xtr["all"]
        return head.fit_keys(first)
    return make


def incremental_run(make: Callable, seed: int) -> dict[str, float]:
    """Learn the 5 tasks in order; accuracy matrix -> last, average and worst drop."""
    Xtr, Xte, ytr, yte = digits_split(seed)
    task1 = np.isin(ytr, TASKS[0])
    model = make({"all": Xtr, "task1": Xtr[task1]})
    seen, after, just = [], [], []
    for t, classes in enumerate(TASKS):
        part = np.isin(ytr, classes)
        model.partial_fit(Xtr[part], ytr[part])
        seen += classes
        test = np.isin(yte, seen)
        after.append(np.mean(model.predict(Xte[test]) == yte[test]))
        own = np.isin(yte, classes)
        just.append(np.mean(model.predict(Xte[own]) == yte[own]))
    final = [np.mean(model.predict(Xte[np.isin(yte, c)]) == yte[np.isin(yte, c)]) for c in TASKS]
    return {"last": after[-1], "average": float(np.mean(after)),
            "drop": float(max(j - f for j, f in zip(just[:-1], final[:-1])))}


def joint_run(seed: int) -> dict[str, float]:
    from sklearn.linear_model import RidgeClassifier

    Xtr, Xte, ytr, yte = digits_split(seed)
    last = RidgeClassifier().fit(Xtr, ytr).score(Xte, yte)
    return {"last": last, "average": float("nan"), "drop": float("nan")}


def accuracy_table() -> tuple[list[list[object]], dict[str, dict[str, float]]]:
    learners: dict[str, Callable] = {}
    for C in (16, 64, 256):
        learners[f"edgekit kvb counts, C={C} J=256"] = kv_factory(n_codebooks=C, n_keys=256)
    for C in (16, 64, 256):
        learners[f"edgekit kvb sgd, C={C} J=256"] = kv_factory(n_codebooks=C, n_keys=256, value_learner="sgd")
    learners["edgekit kvb counts, C=64 J=64"] = kv_factory(n_codebooks=64, n_keys=64)
    learners["edgekit kvb counts, C=64 J=256, keys from task 1 only"] = kv_factory(
        "task1", n_codebooks=64, n_keys=256)
    learners["nearest class mean (numpy)"] = lambda _: NearestClassMean()
    learners["sklearn SGDClassifier partial_fit (5 epochs/task)"] = lambda _: SGDIncremental()
    if river_available():
        learners["river LogisticRegression (one-vs-rest, learn_one)"] = lambda _: RiverLogistic()
    results: dict[str, dict[str, float]] = {}
    for name, make in learners.items():
        runs = [incremental_run(make, seed) for seed in SEEDS]
        results[name] = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        print(f"{name}: {results[name]}", flush=True)
    joint = [joint_run(seed) for seed in SEEDS]
    results["joint RidgeClassifier (all data at once, upper bound)"] = {
        "last": float(np.mean([r["last"] for r in joint])), "average": float("nan"), "drop": float("nan")}
    reference = results["joint RidgeClassifier (all data at once, upper bound)"]["last"]
    rows = [[name, f"{r['last']:.3f}", "-" if np.isnan(r["average"]) else f"{r['average']:.3f}",
             "-" if np.isnan(r["drop"]) else f"{r['drop']:+.3f}", f"{r['last'] / reference:.2f}"]
            for name, r in results.items()]
    return rows, results


def median_us(fn: Callable, repeats: int) -> float:
    times = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e6)


def cost_table() -> list[list[object]]:
    from sklearn.linear_model import SGDClassifier

    Xtr, Xte, ytr, _ = digits_split(0)
    rows = []
    for C in (16, 64, 256):
        head = KeyValueHead(n_codebooks=C, n_keys=256).fit_keys(Xtr).partial_fit(Xtr, ytr)
        one = median_us(lambda i: head.partial_fit(Xtr[i:i + 1], ytr[i:i + 1]), 200)
        batch = median_us(lambda i: head.partial_fit(Xtr[64 * (i % 20):64 * (i % 20 + 1)],
                                                    ytr[64 * (i % 20):64 * (i % 20 + 1)]), 40)
        infer = median_us(lambda i: head.predict_proba(Xte[i % len(Xte):i % len(Xte) + 1]), 300)
        infer256 = median_us(lambda i: head.predict_proba(Xte[:256]), 20)
        tracemalloc.start()
        head.partial_fit(Xtr[:64], ytr[:64])
        head.predict_proba(Xte[:1])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append([f"edgekit kvb counts C={C} J=256", f"{one:.0f}", f"{batch:.0f}", f"{infer:.0f}",
                     f"{infer256 / 1000:.1f}", f"{head.info()['state_bytes'] / 1e6:.2f}", f"{peak / 1e6:.2f}"])
    sgd = SGDClassifier(loss="log_loss", random_state=0).fit(Xtr, ytr)
    one = median_us(lambda i: sgd.partial_fit(Xtr[i:i + 1], ytr[i:i + 1]), 200)
    batch = median_us(lambda i: sgd.partial_fit(Xtr[64 * (i % 20):64 * (i % 20 + 1)],
                                                ytr[64 * (i % 20):64 * (i % 20 + 1)]), 40)
    infer = median_us(lambda i: sgd.predict_proba(Xte[i % len(Xte):i % len(Xte) + 1]), 300)
    infer256 = median_us(lambda i: sgd.predict_proba(Xte[:256]), 20)
    state = sgd.coef_.nbytes + sgd.intercept_.nbytes
    rows.append(["sklearn SGDClassifier (linear, 64x10)", f"{one:.0f}", f"{batch:.0f}", f"{infer:.0f}",
                 f"{infer256 / 1000:.1f}", f"{state / 1e6:.4f}", "-"])
    if river_available():
        river = RiverLogistic().partial_fit(Xtr, ytr)
        one = median_us(lambda i: river.partial_fit(Xtr[i:i + 1], ytr[i:i + 1]), 200)
        infer = median_us(lambda i: river.model.predict_proba_one(dict(enumerate(Xte[i % len(Xte)]))), 300)
        rows.append(["river LogisticRegression (one-vs-rest)", f"{one:.0f}", "-", f"{infer:.0f}"] + ["-"] * 3)
    return rows


def forgetting_table() -> list[list[object]]:
    """Forget class 3 after learning all ten; compare with a head that never learned it."""
    Xtr, Xte, ytr, yte = digits_split(0)
    rows = []
    for learner in ("counts", "sgd"):
        params = dict(n_codebooks=64, n_keys=256, value_learner=learner)
        head = KeyValueHead(**params).fit_keys(Xtr)
        never = KeyValueHead(**params).fit_keys(Xtr)
        for classes in TASKS:
            part = np.isin(ytr, classes)
            head.partial_fit(Xtr[part], ytr[part])
            keep = part & (ytr != 3)
            never.partial_fit(Xtr[keep], ytr[keep])
        start = time.perf_counter()
        head.forget_class(3)
        took = (time.perf_counter() - start) * 1e3
        retained = yte != 3
        same = all(np.array_equal(getattr(head, a), getattr(never, a)) for a in ("counts_", "values_", "classes_"))
        pred, ref, truth = head.predict(Xte)[retained], never.predict(Xte)[retained], yte[retained]
        rows.append([learner, f"{took:.1f}", f"{np.mean(head.predict(Xte[~retained]) == 3):.3f}",
                     f"{np.mean(pred == truth):.3f}", f"{np.mean(ref == truth):.3f}",
                     f"{np.mean(pred == ref):.3f}", "yes" if same else "no"])
    return rows


def main() -> None:
    acc_rows, results = accuracy_table()
    cost_rows = cost_table()
    forget_rows = forgetting_table()
    target = results["edgekit kvb counts, C=64 J=256"]
    infer_64 = float(cost_rows[1][3])
    body = "\n\n".join([
        "## kv-head: discrete key-value bottleneck head, class-incremental digits",
        f"Machine: {machine_line()}. Run `python benchmarks/kv_digits.py`.",
        "Digits (sklearn, 64 features), stratified 75/25 split, 5 tasks of 2 classes, no task id at test; "
        f"means over seeds {list(SEEDS)}. *drop* = the largest fall of a task's accuracy from just after "
        "learning it to the end (positive = forgot). Keys fitted on the unlabelled training inputs unless "
        "said. Ratio = last accuracy / joint RidgeClassifier.",
        markdown_table(["learner", "last acc", "average acc", "max task drop", "ratio to joint"], acc_rows),
        "Targets (kvb counts, C=64 J=256, the default): last accuracy >= 0.85 -> "
        f"{target['last']:.3f} ({'met' if target['last'] >= 0.85 else 'NOT met'}); no task falls more than "
        f"5 points -> worst drop {target['drop'] * 100:+.1f} points "
        f"({'met' if target['drop'] <= 0.05 else 'NOT met'}); one-sample inference < 1 ms at 64 x 256 -> "
        f"{infer_64:.0f} us ({'met' if infer_64 < 1000 else 'NOT met'}).",
        "Cost (numpy, median; update = partial_fit, inference = predict_proba; state = projections, keys, "
        "values and hit counts; peak = tracemalloc peak of a 64-sample update plus a 1-sample inference):",
        markdown_table(["model", "update 1 (us)", "update 64 (us)", "infer 1 (us)", "infer 256 (ms)",
                        "state (MB)", "peak alloc (MB)"], cost_rows),
        "Forgetting class 3 after all ten (C=64, J=256), against a head that never learned class 3:",
        markdown_table(["learner", "forget_class (ms)", "acc. predicting 3 on class-3 samples",
                        "retained acc", "retained acc, never learned", "agreement on retained",
                        "state identical"], forget_rows),
    ])
    print(body)
    write_section("kv-head", body)


if __name__ == "__main__":
    main()
