"""Continual learning on scikit-learn's bundled digits (no download): edgekit's analytic head against joint
training, SGDClassifier.partial_fit and river's online logistic regression, plus imbalance, update latency,
state memory and forgetting. Writes the "continual" section of RESULTS.md.

Usage: python benchmarks/continual.py [--quick]

To add a learner (e.g. the key-value head), append one (name, factory, stores_samples) entry to LEARNERS:
the factory takes the array of all labels and returns an object with partial_fit(X, y) and predict(X).
BLAS runs on one thread (set before numpy loads): a 2-core machine shared with other jobs makes threaded
level-2 BLAS calls stall, and an edge device runs one model per core anyway.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.results import machine_line, markdown_table, write_section  # noqa: E402
from edgekit.learn import AnalyticClassifier  # noqa: E402
from edgekit.learn.kv_head import KeyValueHead  # noqa: E402

BUFFER = 1024
GAMMA = 1.0
BATCH = 32
TASKS = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)]


# ---------------------------------------------------------------------------------------------------
# learners: (name, factory(classes) -> object with partial_fit(X, y) / predict(X), stores_samples)
# ---------------------------------------------------------------------------------------------------

def analytic(classes: np.ndarray, **params: Any) -> AnalyticClassifier:
    return AnalyticClassifier(buffer_size=BUFFER, gamma=GAMMA, random_state=0, **params)


def buffer_features(X: np.ndarray) -> np.ndarray:
    """The same random ReLU expansion the edgekit rows use (from its public buffer_ / buffer_bias_)."""
    ref = analytic(np.arange(10)).fit(np.zeros((1, X.shape[1])), [0])
    return np.maximum(X @ ref.buffer_ + ref.buffer_bias_, 0.0)


class JointRidge:
    """Joint training: keeps every sample and refits sklearn's RidgeClassifier on all of them."""

    def __init__(self, features: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        self.features = features or (lambda X: X)
        self.X: list[np.ndarray] = []
        self.y: list[np.ndarray] = []
        self.model = None

    def partial_fit(self, X: np.ndarray, y: np.ndarray) -> None:
        self.X.append(self.features(X))
        self.y.append(np.asarray(y))
        self.model = None

    def predict(self, X: np.ndarray) -> np.ndarray:
        from sklearn.linear_model import RidgeClassifier

        if self.model is None:
            self.model = RidgeClassifier(alpha=GAMMA).fit(np.vstack(self.X), np.concatenate(self.y))
        return self.model.predict(self.features(X))


class SGDStream:
    """sklearn SGDClassifier (logistic loss) with partial_fit; all classes declared up front, 5 passes per batch."""

    def __init__(self, classes: np.ndarray, passes: int = 5) -> None:
        from sklearn.linear_model import SGDClassifier

        self.model = SGDClassifier(loss="log_loss", random_state=0)
        self.classes = classes
        self.passes = passes

    def partial_fit(self, X: np.ndarray, y: np.ndarray) -> None:
        for _ in range(self.passes):
            self.model.partial_fit(X, y, classes=self.classes)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(X)


class RiverStream:
    """river's online logistic regression, one-vs-rest, learn_one per sample."""

    def __init__(self, classes: np.ndarray) -> None:
        from river import linear_model, multiclass

        self.model = multiclass.OneVsRestClassifier(linear_model.LogisticRegression())

    def partial_fit(self, X: np.ndarray, y: np.ndarray) -> None:
        for x, label in zip(X, y):
            self.model.learn_one(dict(enumerate(x)), int(label))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.array([self.model.predict_one(dict(enumerate(x))) for x in X])


LEARNERS: list[tuple[str, Callable[[np.ndarray], Any], bool]] = [
    (f"edgekit analytic (buffer {BUFFER})", analytic, False),
    (f"joint RidgeClassifier, same buffer features", lambda c: JointRidge(buffer_features), True),
    ("joint RidgeClassifier, raw features", lambda c: JointRidge(), True),
    ("SGDClassifier.partial_fit (log loss, 5 passes)", SGDStream, False),
    ("river OvR LogisticRegression", RiverStream, False),
    *[(f"edgekit kvb counts (C={C}, J=256; keys fitted on the unlabelled train inputs)",
       lambda c, C=C: KeyValueHead(n_codebooks=C).fit_keys(digits_split()[0]), False) for C in (16, 64, 256)],
    ("edgekit kvb sgd (C=64, J=256; same keys)", lambda c: KeyValueHead(value_learner="sgd").fit_keys(digits_split()[0]),
     False),
]


# ---------------------------------------------------------------------------------------------------
# data and timing helpers
# ---------------------------------------------------------------------------------------------------

def digits_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=0)


def timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3g} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.3g} µs"


def nbytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return ""


# ---------------------------------------------------------------------------------------------------
# 1. class-incremental digits
# ---------------------------------------------------------------------------------------------------

def class_incremental() -> tuple[list[list[Any]], dict[str, tuple[float, float]]]:
    """Every learner gets the same stream: the tasks in order, each task's samples in one fixed shuffled
    order, in batches of BATCH. Setup (the key-value head's fit_keys on the unlabelled inputs) is timed
    apart from the stream (learning and the evaluation after each task), and the total is both."""
    Xtr, Xte, ytr, yte = digits_split()
    classes = np.arange(10)
    rng = np.random.default_rng(0)
    stream = []
    for task in TASKS:
        idx = rng.permutation(np.flatnonzero(np.isin(ytr, task)))
        stream.append([idx[start:start + BATCH] for start in range(0, len(idx), BATCH)])
    rows, summary = [], {}
    for name, factory, stores in LEARNERS:
        t0 = time.perf_counter()
        learner = factory(classes)
        setup = time.perf_counter() - t0
        accs = []
        t1 = time.perf_counter()
        for k, batches in enumerate(stream):
            for b in batches:
                learner.partial_fit(Xtr[b], ytr[b])
            seen = np.isin(yte, [c for t in TASKS[:k + 1] for c in t])
            accs.append(float(np.mean(learner.predict(Xte[seen]) == yte[seen])))
        learning = time.perf_counter() - t1   # the joint ridge peers fit when asked to predict
        summary[name] = (accs[-1], float(np.mean(accs)))
        rows.append([name, " / ".join(f"{a:.3f}" for a in accs), f"{accs[-1]:.3f}", f"{np.mean(accs):.3f}",
                     "yes" if stores else "no", f"{setup:.2f} s", f"{learning:.2f} s", f"{setup + learning:.2f} s"])
        print(rows[-1], flush=True)
    return rows, summary


# ---------------------------------------------------------------------------------------------------
# 2. imbalanced stream, with and without pseudo-features
# ---------------------------------------------------------------------------------------------------

def imbalanced(seeds: int) -> list[list[Any]]:
    from sklearn.metrics import balanced_accuracy_score

    Xtr, Xte, ytr, yte = digits_split()
    results: dict[str, list[tuple[float, float, float]]] = {}
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        major = int(rng.integers(10))
        n_major = int(np.sum(ytr == major))
        keep = [np.flatnonzero(ytr == major)]
        for c in range(10):
            if c != major:
                keep.append(rng.choice(np.flatnonzero(ytr == c), n_major // 20, replace=False))
        idx = rng.permutation(np.concatenate(keep))
        for label, pseudo in (("without pseudo-features", False), ("with pseudo-features (AEF-OCL)", True)):
            model = analytic(np.arange(10), pseudo_features=pseudo)
            for start in range(0, len(idx), BATCH):
                b = idx[start:start + BATCH]
                model.partial_fit(Xtr[b], ytr[b])
            pred = model.predict(Xte)
            minority = yte != major
            results.setdefault(label, []).append((balanced_accuracy_score(yte, pred), float(np.mean(pred == yte)),
                                                  float(np.mean(pred[minority] == yte[minority]))))
    rows = []
    for label, vals in results.items():
        arr = np.array(vals)
        rows.append([f"edgekit analytic {label}", f"{arr[:, 0].mean():.3f} ± {arr[:, 0].std():.3f}",
                     f"{arr[:, 1].mean():.3f}", f"{arr[:, 2].mean():.3f}"])
        print(rows[-1], flush=True)
    return rows


# ---------------------------------------------------------------------------------------------------
# 3. update latency at several feature sizes
# ---------------------------------------------------------------------------------------------------

def latency(sizes: list[int], quick: bool) -> tuple[list[list[Any]], dict[int, float]]:
    from sklearn.linear_model import SGDClassifier

    rows, per_sample = [], {}
    for d in sizes:
        rng = np.random.default_rng(d)
        n_single = 30 if (quick or d >= 4096) else 200
        n_batches = 4 if (quick or d >= 4096) else 20
        X = rng.normal(size=(2000 + n_single + 64 * n_batches, d)) / np.sqrt(d)
        y = rng.integers(0, 10, len(X))
        model = AnalyticClassifier(gamma=GAMMA)
        fit_s = timed(lambda: model.fit(X[:2000], y[:2000]))
        solve_s = timed(lambda: model.predict(X[:1]))
        pos = 2000
        cold = timed(lambda: model.partial_fit(X[pos:pos + 1], y[pos:pos + 1]))  # builds the inverse cache
        singles = [timed(lambda i=i: model.partial_fit(X[i:i + 1], y[i:i + 1])) for i in range(pos + 1, pos + n_single)]
        pos += n_single
        batches = [timed(lambda i=i: model.partial_fit(X[i:i + 64], y[i:i + 64]))
                   for i in range(pos, pos + 64 * n_batches, 64)]
        stats_only = AnalyticClassifier(gamma=GAMMA, fast_updates=False).fit(X[:2000], y[:2000])
        raw = [timed(lambda i=i: stats_only.partial_fit(X[i:i + 1], y[i:i + 1])) for i in range(2000, 2000 + n_single)]
        per_sample[d] = statistics.median(singles)
        amortized = statistics.mean(singles) + (solve_s + cold) / 1000  # a full re-solve every 1000 updates
        rows.append([f"edgekit analytic, weights kept current (d={d})", ms(statistics.median(singles)),
                     ms(float(np.percentile(singles, 99))), ms(amortized), ms(statistics.median(batches)),
                     f"first update after a solve {ms(cold)}; solve {ms(solve_s)}; fit 2000 {ms(fit_s)}"])
        rows.append([f"edgekit analytic, statistics only (d={d})", ms(statistics.median(raw)),
                     ms(float(np.percentile(raw, 99))), "", "", f"+ {ms(solve_s)} solve before the next prediction"])
        sgd = SGDClassifier(loss="log_loss", random_state=0).partial_fit(X[:64], y[:64], classes=np.arange(10))
        s_single = [timed(lambda i=i: sgd.partial_fit(X[i:i + 1], y[i:i + 1])) for i in range(2000, 2000 + n_single)]
        s_batch = [timed(lambda i=i: sgd.partial_fit(X[i:i + 64], y[i:i + 64])) for i in range(2000, 2000 + 64 * n_batches, 64)]
        rows.append([f"SGDClassifier.partial_fit (d={d})", ms(statistics.median(s_single)),
                     ms(float(np.percentile(s_single, 99))), "", ms(statistics.median(s_batch)), ""])
        river = RiverStream(np.arange(10))
        river.partial_fit(X[:20], y[:20])
        r_single = [timed(lambda i=i: river.partial_fit(X[i:i + 1], y[i:i + 1]))
                    for i in range(2000, 2000 + min(n_single, 30))]
        rows.append([f"river OvR LogisticRegression.learn_one (d={d})", ms(statistics.median(r_single)),
                     ms(float(np.percentile(r_single, 99))), "", ms(64 * statistics.median(r_single)) + " (64 x learn_one)",
                     ""])
        for r in rows[-4:]:
            print(r, flush=True)
    return rows, per_sample


# ---------------------------------------------------------------------------------------------------
# 4. state memory after 1k vs 100k samples
# ---------------------------------------------------------------------------------------------------

def memory(big: int) -> tuple[list[list[Any]], tuple[int, int]]:
    Xtr, _, ytr, _ = digits_split()
    rng = np.random.default_rng(0)
    sizes = {}
    model = analytic(np.arange(10))
    seen = 0
    for target in (1000, big):
        while seen < target:
            n = min(1000, target - seen)
            idx = rng.integers(0, len(Xtr), n)
            model.partial_fit(Xtr[idx] + rng.normal(0, 0.05, (n, Xtr.shape[1])), ytr[idx])
            seen += n
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.ek"
            model.save(path)
            sizes[target] = (model.state_nbytes(), path.stat().st_size)
    small, large = sizes[1000], sizes[big]
    rows = [[f"edgekit analytic (buffer {BUFFER}): statistics", nbytes(small[0]), nbytes(large[0])],
            ["edgekit analytic: saved model file", nbytes(small[1]), nbytes(large[1])],
            ["joint retraining: samples it must keep (64 float64 features)", nbytes(1000 * 64 * 8), nbytes(big * 64 * 8)]]
    for r in rows:
        print(r, flush=True)
    return rows, (small[0], large[0])


# ---------------------------------------------------------------------------------------------------
# 5. forgetting one sample vs retraining
# ---------------------------------------------------------------------------------------------------

def forgetting(repeats: int) -> tuple[list[list[Any]], float, float]:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import RidgeClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = analytic(np.arange(10)).fit(X, y)
    model.predict(X[:1])
    cold = timed(lambda: (model.forget(X[:1], y[:1]), model.predict(X[:1])))
    warm = [timed(lambda i=i: (model.forget(X[i:i + 1], y[i:i + 1]), model.predict(X[:1])))
            for i in range(1, 1 + repeats)]
    gone = 1 + repeats
    retrained = analytic(np.arange(10))
    retrain = [timed(lambda: (retrained.fit(X[gone:], y[gone:]), retrained.predict(X[:1]))) for _ in range(5)]
    err = float(np.linalg.norm(model.coef_ - retrained.coef_) / np.linalg.norm(retrained.coef_))
    H = buffer_features(X[gone:])
    sk = [timed(lambda: RidgeClassifier(alpha=GAMMA).fit(H, y[gone:])) for _ in range(5)]
    # typical (median) forget against the fastest of the retrains: a conservative ratio on a shared machine
    f_warm, r_ek, r_sk = statistics.median(warm), min(retrain), min(sk)
    rows = [["edgekit forget(1 sample), weights current — typical", ms(f_warm), "1"],
            ["edgekit forget(1 sample) — first one after a full solve (builds the inverse cache)", ms(cold),
             f"{cold / f_warm:.3g}"],
            [f"edgekit retrain from scratch on {len(X) - gone} samples (fit + solve), fastest of 5", ms(r_ek),
             f"{r_ek / f_warm:.0f}"],
            [f"sklearn RidgeClassifier retrain on the same {len(X) - gone} buffer features, fastest of 5", ms(r_sk),
             f"{r_sk / f_warm:.0f}"]]
    for r in rows:
        print(r, flush=True)
    print(f"relative difference forget-vs-retrain weights: {err:.2e}")
    return rows, r_ek / f_warm, err


# ---------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, no d=4096, 10k instead of 100k samples")
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    ci_rows, ci = class_incremental()
    im_rows = imbalanced(3 if args.quick else 10)
    lat_rows, per_sample = latency([256, 1024] if args.quick else [256, 1024, 4096], args.quick)
    big = 10_000 if args.quick else 100_000
    mem_rows, (m_small, m_large) = memory(big)
    fg_rows, speedup, forget_err = forgetting(10 if args.quick else 50)

    ek = ci[LEARNERS[0][0]]
    joint = ci[LEARNERS[1][0]]
    joint_raw = ci[LEARNERS[2][0]]
    gap = (joint[0] - ek[0]) * 100
    targets = [
        ["class-incremental last accuracy within 0.5 points of joint training (same features)",
         f"edgekit {ek[0]:.3f} vs joint {joint[0]:.3f} ({gap:+.2f} points; raw-feature joint {joint_raw[0]:.3f})",
         "met" if gap <= 0.5 else "NOT met"],
        ["one-sample update at d=1024 under 5 ms (weights kept current)", ms(per_sample[1024]),
         "met" if per_sample[1024] < 5e-3 else "NOT met"],
        ["forgetting a sample >= 100x faster than retraining on 1,797 samples", f"{speedup:.0f}x (edgekit retrain)",
         "met" if speedup >= 100 else "NOT met"],
        [f"state memory independent of samples seen (1k vs {big // 1000}k)", f"{nbytes(m_small)} vs {nbytes(m_large)}",
         "met" if m_small == m_large else "NOT met"],
    ]
    body = "\n\n".join([
        "## Continual learning (`benchmarks/continual.py`, scikit-learn digits)",
        machine_line() + "; BLAS on 1 thread; digits split 70/30 stratified (seed 0), pixels / 16.",
        "### Targets\n\n" + markdown_table(["target", "measured", ""], targets),
        f"### Class-incremental, 5 tasks x 2 classes (mini-batches of {BATCH}, the same stream for every learner; "
        "accuracy on the classes seen so far; setup is the key-value head's fit_keys on the unlabelled inputs)\n\n"
        + markdown_table(["learner", "accuracy after each task", "last", "average", "stores samples",
                          "setup (kvb: fit_keys)", "stream (learn + evaluate)", "total"], ci_rows),
        "### Imbalanced stream (one class 20x each other class; balanced test set; mean over seeds)\n\n"
        + markdown_table(["learner", "balanced accuracy", "accuracy", "minority recall"], im_rows),
        "### Update latency (synthetic features, 10 classes, after 2,000 samples)\n\n"
        + markdown_table(["learner", "per sample (median)", "p99", "mean incl. periodic re-solve", "batch of 64", "notes"],
                         lat_rows),
        f"### State memory after 1,000 vs {big:,} samples\n\n"
        + markdown_table(["what", "1,000 samples", f"{big:,} samples"], mem_rows),
        "### Forgetting one sample vs retraining (digits, 1,797 samples, buffer 1024)\n\n"
        + markdown_table(["operation", "time", "x forget"], fg_rows)
        + f"\n\nWeights after the forgets vs a model retrained without those samples: relative difference {forget_err:.1e}.",
    ])
    print(body)
    write_section("continual", body)


if __name__ == "__main__":
    main()
