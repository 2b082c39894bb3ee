"""Key-value bottleneck head on class-incremental digits: what benchmarks/continual.py does not show.

Same data, split and stream as benchmarks/continual.py (its helpers are reused; digits / 16, 70/30
stratified split, 5 tasks of 2 classes streamed in shuffled mini-batches of 32, no task id at test):
- forgetting per task: the largest fall of a task's accuracy from just after learning it to the end,
  for the key-value head's variants (codebooks 16/64/256, keys per codebook, keys fitted on task 1
  only) beside nearest-class-mean, SGDClassifier and river;
- update and inference latency, state memory; forgetting a class against never having learned it.
Keys are fitted on the training inputs without their labels unless a row says otherwise.

Run: python benchmarks/kv_digits.py   (writes the "kv-head" section of benchmarks/RESULTS.md)
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.continual import BATCH, TASKS, JointRidge, RiverStream, SGDStream, digits_split  # noqa: E402, I001
import time  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.results import machine_line, markdown_table, write_section  # noqa: E402
from edgekit.learn.kv_head import KeyValueHead  # noqa: E402


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


def kvb(keys_from: str = "all", **params: Any) -> Callable[[], KeyValueHead]:
    def make() -> KeyValueHead:
        Xtr, _, ytr, _ = digits_split()
        return KeyValueHead(**params).fit_keys(Xtr[np.isin(ytr, TASKS[0])] if keys_from == "task1" else Xtr)
    return make


LEARNERS: dict[str, Callable[[], Any]] = {
    **{f"edgekit kvb counts, C={C} J=256": kvb(n_codebooks=C) for C in (16, 64, 256)},
    **{f"edgekit kvb sgd, C={C} J=256": kvb(n_codebooks=C, value_learner="sgd") for C in (16, 64, 256)},
    "edgekit kvb counts, C=64 J=64": kvb(n_keys=64),
    "edgekit kvb counts, C=64 J=1024": kvb(n_keys=1024),
    "edgekit kvb counts, C=64 J=256, keys fitted on task 1 inputs only": kvb("task1"),
    "nearest class mean (numpy, exemplar-free)": NearestClassMean,
    "SGDClassifier.partial_fit (log loss, 5 passes)": lambda: SGDStream(np.arange(10)),
    "river OvR LogisticRegression": lambda: RiverStream(np.arange(10)),
    "joint RidgeClassifier, raw features (stores samples)": JointRidge,
}


def incremental_run(model: Any) -> dict[str, float]:
    """Stream the 5 tasks as continual.py does; last / average accuracy and the worst per-task drop."""
    Xtr, Xte, ytr, yte = digits_split()
    rng = np.random.default_rng(0)
    task_acc = lambda t: float(np.mean(model.predict(Xte[np.isin(yte, TASKS[t])]) == yte[np.isin(yte, TASKS[t])]))
    after, just = [], []
    for t, task in enumerate(TASKS):
        idx = rng.permutation(np.flatnonzero(np.isin(ytr, task)))
        for start in range(0, len(idx), BATCH):
            model.partial_fit(Xtr[idx[start:start + BATCH]], ytr[idx[start:start + BATCH]])
        seen = np.isin(yte, [c for done in TASKS[:t + 1] for c in done])
        after.append(float(np.mean(model.predict(Xte[seen]) == yte[seen])))
        just.append(task_acc(t))
    drops = [j - task_acc(t) for t, j in enumerate(just[:-1])]
    return {"last": after[-1], "average": float(np.mean(after)), "drop": max(drops), "just": just}


def accuracy_table() -> tuple[list[list[object]], dict[str, dict[str, Any]]]:
    results = {}
    for name, make in LEARNERS.items():
        results[name] = incremental_run(make())
        print(name, {k: v for k, v in results[name].items() if k != "just"}, flush=True)
    joint = results["joint RidgeClassifier, raw features (stores samples)"]["last"]
    rows = [[name, f"{r['last']:.3f}", f"{r['average']:.3f}", f"{r['drop'] * 100:+.1f}", f"{r['last'] / joint:.2f}"]
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

    Xtr, Xte, ytr, _ = digits_split()
    rows = []
    for C in (16, 64, 256):
        start = time.perf_counter()
        head = KeyValueHead(n_codebooks=C, n_keys=256).fit_keys(Xtr)
        keys_s = time.perf_counter() - start
        head.partial_fit(Xtr, ytr)
        tracemalloc.start()
        head.partial_fit(Xtr[:64], ytr[:64])
        head.predict_proba(Xte[:1])
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append([f"edgekit kvb counts C={C} J=256", *latencies(head.partial_fit, head.predict_proba),
                     f"{head.info()['state_bytes'] / 1e6:.2f}", f"{peak / 1e6:.2f}", f"{keys_s:.2f}"])
    sgd = SGDClassifier(loss="log_loss", random_state=0).fit(Xtr, ytr)
    state = (sgd.coef_.nbytes + sgd.intercept_.nbytes) / 1e6
    rows.append(["SGDClassifier (linear 64 x 10)", *latencies(sgd.partial_fit, sgd.predict_proba),
                 f"{state:.4f}", "-", "-"])
    river = RiverStream(np.arange(10))
    river.partial_fit(Xtr, ytr)
    update_1 = median_us(lambda i: river.partial_fit(Xtr[i:i + 1], ytr[i:i + 1]), 200)
    infer_1 = median_us(lambda i: river.model.predict_proba_one(dict(enumerate(Xte[i % len(Xte)]))), 300)
    rows.append(["river OvR LogisticRegression (learn_one / predict_proba_one)", f"{update_1:.0f}", "-",
                 f"{infer_1:.0f}", "-", "-", "-", "-"])
    return rows


def cost_ratios(rows: list[list[object]]) -> str:
    """The default head (C=64) against the peers, as ratios of median times (< 1: edgekit faster)."""
    kv, sgd, river = rows[1], rows[3], rows[4]
    ratio = lambda a, b: f"{float(a) / float(b):.2f}x"
    return (f"Ratios, kvb C=64 / peer: update 1 sample {ratio(kv[1], sgd[1])} of SGDClassifier, "
            f"{ratio(kv[1], river[1])} of river; inference 1 sample {ratio(kv[3], sgd[3])} of SGDClassifier, "
            f"{ratio(kv[3], river[3])} of river; batch of 256 {ratio(kv[4], sgd[4])} of SGDClassifier.")


def latencies(update: Callable, proba: Callable) -> list[str]:
    """Median update (1 and 64 samples) and inference (1 and 256 samples) times on digits."""
    Xtr, Xte, ytr, _ = digits_split()
    chunk = lambda i: slice(64 * (i % 15), 64 * (i % 15 + 1))
    return [f"{median_us(lambda i: update(Xtr[i:i + 1], ytr[i:i + 1]), 200):.0f}",
            f"{median_us(lambda i: update(Xtr[chunk(i)], ytr[chunk(i)]), 40):.0f}",
            f"{median_us(lambda i: proba(Xte[i % len(Xte)][None, :]), 300):.0f}",
            f"{median_us(lambda i: proba(Xte[:256]), 20) / 1000:.2f}"]


def forgetting_table() -> list[list[object]]:
    """Forget class 3 after learning all ten; compare with a head that never learned it."""
    Xtr, Xte, ytr, yte = digits_split()
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
        "## kv-head: discrete key-value bottleneck head (`benchmarks/kv_digits.py`, scikit-learn digits)",
        machine_line() + "; BLAS on 1 thread; the data, split and stream of benchmarks/continual.py (digits / 16, "
        f"70/30 stratified, 5 tasks x 2 classes in shuffled mini-batches of {BATCH}, no task id at test). "
        "Keys are fitted on the training inputs without labels unless a row says otherwise.",
        "### Targets\n\n" + markdown_table(["target (default head: counts, C=64, J=256)", "measured", ""], [
            ["class-incremental last accuracy >= 0.85", f"{target['last']:.3f}",
             "met" if target["last"] >= 0.85 else "NOT met"],
            ["no task's accuracy falls more than 5 points after later tasks",
             f"worst fall {target['drop'] * 100:+.1f} points", "met" if target["drop"] <= 0.05 else "NOT met"],
            ["one-sample inference < 1 ms at 64 codebooks x 256 keys (numpy predict_proba)", f"{infer_64:.0f} us",
             "met" if infer_64 < 1000 else "NOT met"]]),
        "### Class-incremental accuracy and forgetting per task\n\n*max task drop*: the largest fall of one task's "
        "accuracy between just after learning it and the end, in points (positive = forgot).\n\n"
        + markdown_table(["learner", "last", "average", "max task drop", "last / joint ridge"], acc_rows),
        "### Cost (digits, 64 features, 10 classes; medians)\n\nupdate = partial_fit, inference = predict_proba; "
        "state = projections, keys, values and hit counts; peak = tracemalloc peak of a 64-sample update plus a "
        "1-sample inference; fit_keys = one-off key fitting on 1,257 unlabelled samples.\n\n"
        + markdown_table(["model", "update 1 (us)", "update 64 (us)", "infer 1 (us)", "infer 256 (ms)",
                          "state (MB)", "peak alloc (MB)", "fit_keys (s)"], cost_rows)
        + "\n\n" + cost_ratios(cost_rows),
        "### Forgetting class 3 after all ten (C=64, J=256), against a head that never learned it\n\n"
        + markdown_table(["value learner", "forget_class (ms)", "class-3 samples predicted 3",
                          "retained accuracy", "retained accuracy, never learned", "agreement on retained",
                          "state identical"], forget_rows),
    ])
    print(body)
    write_section("kv-head", body)


if __name__ == "__main__":
    main()
