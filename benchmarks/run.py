"""annbook's speed, measured side by side with the reference implementations in one run.

    python benchmarks/run.py            # writes benchmarks/RESULTS.md (needs the `bench` extra: scikit-learn)
    python benchmarks/run.py --quick    # fewer repeats, prints only

1. Tiny nets, full batch, SSE, SGD, no biases, classic init: XOR 2-2-1 sigmoid (10,000 iterations, lr 1) and
   8-bit parity 8-16-1 tanh/sigmoid (5,000 iterations, lr 0.05): annbook's `fit` against the old tutorials' raw
   NumPy loop, same start, same updates (the weights are checked to agree); with PyTorch installed, also a
   PyTorch loop of the same steps (autograd, manual SGD) on XOR.
2. A 20,000 x 64, 10-class synthetic problem with a 64-256-256-10 ReLU net, softmax cross-entropy, Adam, batch
   128, 5 epochs: annbook against scikit-learn's MLPClassifier (same architecture, optimizer, epochs, batch), in
   float64 and float32, with test accuracy; and the "GEMM floor", the time of only the 8 matrix products per
   step at these shapes, as a share of each side's time.
Timings are the best of several repeats (the least disturbed by whatever else the machine is doing); the sides
of a comparison alternate inside one process, so the ratios are what to read (absolute times on a shared machine
are noisy).
"""
from __future__ import annotations
import argparse, os, platform, sys, time, warnings
from pathlib import Path
import numpy as np

from annbook.data import parity, xor
from annbook.model import MLP
from annbook.train import fit
from annbook.optim import SGD, Adam

HERE = Path(__file__).resolve().parent


def sigmoid(x): return 1 / (1 + np.exp(-x))


def raw_loop(X, y, hidden, iters, act="sigmoid", lr=1.0, seed=1):
    "The old tutorials' loop, verbatim apart from the sizes (and tanh in the hidden layer where asked)."
    np.random.seed(seed)
    w0 = 2 * np.random.random((X.shape[1], hidden)) - 1
    w1 = 2 * np.random.random((hidden, 1)) - 1
    for _ in range(iters):
        l1 = sigmoid(np.dot(X, w0)) if act == "sigmoid" else np.tanh(np.dot(X, w0))
        l2 = sigmoid(np.dot(l1, w1))
        l2_delta = (y - l2) * (l2 * (1 - l2))
        l1_delta = l2_delta.dot(w1.T) * ((l1 * (1 - l1)) if act == "sigmoid" else (1 - l1 * l1))
        if lr == 1.0:
            w1 += l1.T.dot(l2_delta)
            w0 += X.T.dot(l1_delta)
        else:
            w1 += lr * l1.T.dot(l2_delta)
            w0 += lr * X.T.dot(l1_delta)
    return w0, w1


def annbook_loop(X, y, hidden, iters, act="sigmoid", lr=1.0, seed=1):
    np.random.seed(seed)
    model = MLP([X.shape[1], hidden, 1], hidden=act, output="sigmoid", bias=False, init="classic")
    fit(model, X, y, loss="sse", optimizer=SGD(lr=lr), epochs=iters, batch_size=None, shuffle=False,
        metrics=(), progress=False)
    return model


def torch_loop(X, y, hidden, iters, act="sigmoid", lr=1.0, seed=1):
    "The same steps in PyTorch: autograd for the gradients, a manual SGD update."
    import torch
    np.random.seed(seed)
    w0 = torch.tensor(2 * np.random.random((X.shape[1], hidden)) - 1, requires_grad=True)
    w1 = torch.tensor(2 * np.random.random((hidden, 1)) - 1, requires_grad=True)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    f = torch.sigmoid if act == "sigmoid" else torch.tanh
    for _ in range(iters):
        out = torch.sigmoid(f(Xt @ w0) @ w1)
        loss = 0.5 * ((out - yt) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w0 -= lr * w0.grad; w1 -= lr * w1.grad
            w0.grad.zero_(); w1.grad.zero_()
    return w0.detach().numpy(), w1.detach().numpy()


def timed(f, *a):
    t = time.perf_counter(); r = f(*a); return time.perf_counter() - t, r


def side_by_side(fs, repeats):
    "Alternate the functions `repeats` times; the best time of each."
    ts = [[] for _ in fs]
    for _ in range(repeats):
        for t, f in zip(ts, fs): t.append(timed(f)[0])
    return [min(t) for t in ts]


def has_torch():
    try:
        import torch  # noqa: F401
        torch.set_num_threads(os.cpu_count() or 1)
        return True
    except ImportError:
        return False


def tiny_nets(repeats):
    rows = []
    for name, (X, y), hidden, iters, act, lr in [("XOR 2-2-1 sigmoid", xor(), 2, 10_000, "sigmoid", 1.0),
                                                ("8-bit parity 8-16-1 tanh/sigmoid", parity(8), 16, 5_000, "tanh", 0.05)]:
        w_raw = raw_loop(X, y.copy(), hidden, iters, act, lr)
        model = annbook_loop(X, y, hidden, iters, act, lr)
        same = all(np.array_equal(p, w) for p, w in zip(model.parameters(), w_raw))
        fs = [lambda: raw_loop(X, y, hidden, iters, act, lr), lambda: annbook_loop(X, y, hidden, iters, act, lr)]
        if name.startswith("XOR") and has_torch(): fs.append(lambda: torch_loop(X, y, hidden, iters, act, lr))
        times = side_by_side(fs, repeats)
        rows.append((name, iters, times, same))
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
        t_skl, t_ann, t_floor = side_by_side([skl(dtype), ann(dtype), gemm_floor(dtype, n_tr, epochs, batch)], repeats)
        acc_ann = float(np.mean(ann(dtype)().predict(Xte.astype(dtype)) == lte))
        acc_skl = float(np.mean(skl(dtype)().predict(Xte.astype(dtype)) == lte))
        rows.append((np.dtype(dtype).name, t_skl, t_ann, t_floor, acc_skl, acc_ann))
    return rows


def gemm_floor(dtype, n, epochs, batch, sizes=(64, 256, 256, 10)):
    "Only the matrix products of training: per step 3 forward, 3 weight-gradient and 2 input-gradient products."
    rng = np.random.default_rng(0)
    shapes = list(zip(sizes[:-1], sizes[1:]))
    xs = [rng.standard_normal((batch, i)).astype(dtype) for i, _ in shapes]
    Ws = [rng.standard_normal((i, o)).astype(dtype) for i, o in shapes]
    gs = [rng.standard_normal((batch, o)).astype(dtype) for _, o in shapes]
    steps = epochs * (n // batch)
    def run():
        for _ in range(steps):
            for x, W in zip(xs, Ws): x.dot(W)
            for x, g in zip(xs, gs): x.T.dot(g)
            for g, W in zip(gs[1:], Ws[1:]): g.dot(W.T)
    return run


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
    big = big_net(1 if args.quick else 5)
    m = machine()
    lines = ["# Benchmarks", "", f"Measured with `python benchmarks/run.py` on {time.strftime('%Y-%m-%d')}.", "",
             "| machine | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in m.items()] + ["",
             "## Tiny nets: annbook `fit` vs the old tutorials' raw NumPy loop", "",
             "Same start (`np.random.seed(1)`, classic init), same updates; targets: annbook at most 1.5x the raw loop's time "
             "on XOR and at most 1.25x on parity.", "", "", ""]
    torch_col = any(len(t) > 2 for _, _, t, _ in tiny)
    lines[-2:] = ["| problem | iterations | raw NumPy | annbook | annbook / raw | same weights |" + (" PyTorch | PyTorch / annbook |" if torch_col else ""),
                  "|---|---|---|---|---|---|" + ("---|---|" if torch_col else "")]
    for name, iters, times, same in tiny:
        t_raw, t_ann = times[:2]
        row = (f"| {name} | {iters:,} | {t_raw*1e3:.0f} ms ({t_raw/iters*1e6:.1f} us/step) | {t_ann*1e3:.0f} ms "
               f"({t_ann/iters*1e6:.1f} us/step) | **{t_ann/t_raw:.2f}x** | {'yes' if same else 'NO'} |")
        if torch_col:
            row += (f" {times[2]*1e3:.0f} ms ({times[2]/iters*1e6:.1f} us/step) | **{times[2]/t_ann:.1f}x** |" if len(times) > 2 else " | |")
        lines.append(row)
    lines += ["", "## 64-256-256-10 ReLU, Adam, batch 128, 5 epochs: annbook vs scikit-learn `MLPClassifier`", "",
              "20,000 x 64 synthetic, 10 classes (16,000 train / 4,000 test). Targets: annbook at most 0.75x scikit-learn's "
              "time at equal accuracy and at least 60% of the GEMM floor (the time of only the 8 matrix products per step); "
              "annbook float32 at least 1.6x faster than float64.", "",
              "| dtype | scikit-learn | annbook | annbook / sklearn | GEMM floor | floor / annbook | floor / sklearn | test acc. sklearn | test acc. annbook |",
              "|---|---|---|---|---|---|---|---|---|"]
    for dt, t_skl, t_ann, t_floor, a_skl, a_ann in big:
        lines.append(f"| {dt} | {t_skl:.2f} s | {t_ann:.2f} s | **{t_ann/t_skl:.2f}x** | {t_floor:.2f} s | **{t_floor/t_ann:.0%}** | "
                     f"{t_floor/t_skl:.0%} | {a_skl:.3f} | {a_ann:.3f} |")
    t64, t32 = big[0][2], big[1][2]
    lines += ["", f"annbook float32 vs float64: **{t64/t32:.2f}x** faster.", ""]
    text = "\n".join(lines)
    print(text)
    if not args.quick:
        extra = ""
        for name in ("PROFILE.md", "STEPPING.md"):
            part = HERE / name
            if part.exists(): extra += "\n" + part.read_text()
        notes = HERE / "NOTES.md"
        extra += ("\n" + notes.read_text()) if notes.exists() else ""
        (HERE / "RESULTS.md").write_text(text + extra)


if __name__ == "__main__":
    main()
