"""annbook's speed, measured side by side with the reference implementations in one run.

    python benchmarks/run.py            # writes benchmarks/RESULTS.md (needs the `bench` extra: scikit-learn)
    python benchmarks/run.py --quick    # fewer repeats, prints only

1. XOR 2-2-1 and 8-bit parity 8-8-1 (sigmoid, no biases, SSE, SGD lr 1, full batch): annbook's `fit`
   against the old tutorials' raw NumPy loop, same iterations, same start.
2. A 20,000 x 64, 10-class synthetic problem with a 64-256-256-10 ReLU net, Adam, batch 128, 5 epochs:
   annbook against scikit-learn's MLPClassifier (same architecture, optimizer, epochs, batch), in float64
   and float32, with test accuracy.
Timings are medians over repeats; the two sides of a comparison alternate inside one process, so the
ratios are what to read (absolute times on a shared machine are noisy).
"""
from __future__ import annotations
import argparse, os, platform, statistics, sys, time, warnings
from pathlib import Path
import numpy as np

from annbook.data import parity, xor
from annbook.model import MLP
from annbook.train import fit
from annbook.optim import SGD, Adam

HERE = Path(__file__).resolve().parent


def sigmoid(x): return 1 / (1 + np.exp(-x))


def raw_loop(X, y, hidden, iters, seed=1):
    "The old tutorials' loop, verbatim apart from the sizes."
    np.random.seed(seed)
    w0 = 2 * np.random.random((X.shape[1], hidden)) - 1
    w1 = 2 * np.random.random((hidden, 1)) - 1
    for _ in range(iters):
        l1 = sigmoid(np.dot(X, w0))
        l2 = sigmoid(np.dot(l1, w1))
        l2_delta = (y - l2) * (l2 * (1 - l2))
        l1_delta = l2_delta.dot(w1.T) * (l1 * (1 - l1))
        w1 += l1.T.dot(l2_delta)
        w0 += X.T.dot(l1_delta)
    return w0, w1


def annbook_loop(X, y, hidden, iters, seed=1):
    np.random.seed(seed)
    model = MLP([X.shape[1], hidden, 1], hidden="sigmoid", output="sigmoid", bias=False, init="classic")
    fit(model, X, y, loss="sse", optimizer=SGD(lr=1.0), epochs=iters, batch_size=None, shuffle=False,
        metrics=(), progress=False)
    return model


def timed(f, *a):
    t = time.perf_counter(); r = f(*a); return time.perf_counter() - t, r


def side_by_side(fa, fb, repeats):
    "Alternate a and b `repeats` times; medians of each."
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(timed(fa)[0]); tb.append(timed(fb)[0])
    return statistics.median(ta), statistics.median(tb)


def tiny_nets(repeats):
    rows = []
    for name, (X, y), hidden, iters in [("XOR 2-2-1", xor(), 2, 10_000), ("8-bit parity 8-8-1", parity(8), 8, 2_000)]:
        w_raw = raw_loop(X, y.copy(), hidden, iters)
        model = annbook_loop(X, y, hidden, iters)
        same = np.allclose(model.parameters()[0], w_raw[0], atol=1e-10) and np.allclose(model.parameters()[1], w_raw[1], atol=1e-10)
        t_raw, t_ann = side_by_side(lambda: raw_loop(X, y, hidden, iters), lambda: annbook_loop(X, y, hidden, iters), repeats)
        rows.append((name, iters, t_raw, t_ann, same))
    return rows


def synthetic(n=20_000, d=64, k=10, seed=0):
    "A 10-class problem with a nonlinear boundary: labels from a random 2-layer teacher net."
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W1 = rng.standard_normal((d, 32)); W2 = rng.standard_normal((32, k))
    labels = np.argmax(np.tanh(X @ W1) @ W2, axis=1)
    return X, labels


def big_net(repeats, epochs=5, batch=128):
    from sklearn.neural_network import MLPClassifier
    from sklearn.exceptions import ConvergenceWarning
    X, labels = synthetic()
    n_tr = 16_000
    Xtr, Xte, ltr, lte = X[:n_tr], X[n_tr:], labels[:n_tr], labels[n_tr:]

    def ann(dtype):
        Xd = Xtr.astype(dtype)
        def run():
            model = MLP([64, 256, 256, 10], hidden="relu", output="identity", init="he", seed=0, dtype=dtype)
            fit(model, Xd, ltr, loss="softmax_ce", optimizer=Adam(lr=1e-3), epochs=epochs, batch_size=batch,
                shuffle=True, seed=0, metrics=(), progress=False)
            return model
        return run

    def skl(dtype):
        Xd = Xtr.astype(dtype)
        def run():
            clf = MLPClassifier(hidden_layer_sizes=(256, 256), activation="relu", solver="adam", alpha=0.0,
                                batch_size=batch, learning_rate_init=1e-3, max_iter=epochs, shuffle=True,
                                random_state=0, tol=0.0, n_iter_no_change=10**9, early_stopping=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf.fit(Xd, ltr)
            return clf
        return run

    rows = []
    for dtype in (np.float64, np.float32):
        t_skl, t_ann = side_by_side(skl(dtype), ann(dtype), repeats)
        acc_ann = float(np.mean(ann(dtype)().predict(Xte.astype(dtype)) == lte))
        acc_skl = float(np.mean(skl(dtype)().predict(Xte.astype(dtype)) == lte))
        rows.append((np.dtype(dtype).name, t_skl, t_ann, acc_skl, acc_ann))
    return rows


def machine():
    info = {"python": platform.python_version(), "numpy": np.__version__, "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count()}
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = "; ".join(f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)"
                                 for p in threadpool_info() if p.get("user_api") == "blas")
    except ImportError:
        cfg = np.show_config(mode="dicts")
        info["blas"] = str(cfg.get("Build Dependencies", {}).get("blas", {}).get("name", "?"))
    try:
        import sklearn; info["scikit-learn"] = sklearn.__version__
    except ImportError: pass
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"): info["cpu"] = line.split(":", 1)[1].strip(); break
    except OSError: pass
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; print only, write nothing")
    args = ap.parse_args(argv)
    reps = 3 if args.quick else 7
    tiny = tiny_nets(reps)
    big = big_net(1 if args.quick else 3)
    m = machine()
    lines = ["# Benchmarks", "", f"Measured with `python benchmarks/run.py` on {time.strftime('%Y-%m-%d')}.", "",
             "| machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in m.items()] + ["",
             "## Tiny nets: annbook `fit` vs the old tutorials' raw NumPy loop", "",
             "Same start (`np.random.seed(1)`, classic init), same updates; target: annbook at most 1.5x the raw loop's time.", "",
             "| problem | iterations | raw NumPy | annbook | annbook / raw | same weights |", "|---|---|---|---|---|---|"]
    for name, iters, t_raw, t_ann, same in tiny:
        lines.append(f"| {name} | {iters:,} | {t_raw*1e3:.0f} ms ({t_raw/iters*1e6:.1f} us/step) | {t_ann*1e3:.0f} ms "
                     f"({t_ann/iters*1e6:.1f} us/step) | **{t_ann/t_raw:.2f}x** | {'yes' if same else 'NO'} |")
    lines += ["", "## 64-256-256-10 ReLU, Adam, batch 128, 5 epochs: annbook vs scikit-learn `MLPClassifier`", "",
              "20,000 x 64 synthetic, 10 classes (16,000 train / 4,000 test). Targets: annbook at most 0.75x scikit-learn's "
              "time at equal accuracy; annbook float32 at least 1.6x faster than float64.", "",
              "| dtype | scikit-learn | annbook | annbook / sklearn | test acc. sklearn | test acc. annbook |", "|---|---|---|---|---|---|"]
    for dt, t_skl, t_ann, a_skl, a_ann in big:
        lines.append(f"| {dt} | {t_skl:.2f} s | {t_ann:.2f} s | **{t_ann/t_skl:.2f}x** | {a_skl:.3f} | {a_ann:.3f} |")
    t64, t32 = big[0][2], big[1][2]
    lines += ["", f"annbook float32 vs float64: **{t64/t32:.2f}x** faster.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        stepping = HERE / "STEPPING.md"
        extra = ("\n" + stepping.read_text()) if stepping.exists() else ""
        notes = HERE / "NOTES.md"
        extra += ("\n" + notes.read_text()) if notes.exists() else ""
        (HERE / "RESULTS.md").write_text(text + extra)


if __name__ == "__main__":
    main()
