"""Where an XOR training step's time goes: each part of annbook's step timed on its own, against the raw loop.

    python benchmarks/profile_tiny.py        # prints a Markdown table (make bench appends it to RESULTS.md)

XOR 2-2-1, sigmoid, no biases, SSE, SGD lr 1, full batch: the arrays have 2 to 8 numbers, so every cost here is
a fixed cost per call (Python method calls, argument checks, NumPy's dispatch), not arithmetic.
"""
from __future__ import annotations
import timeit
import numpy as np

from annbook.data import xor
from annbook.losses import get_loss
from annbook.model import MLP
from annbook.optim import SGD
from annbook.step import TrainingStep
from annbook.train import fit


def per_call(f, number=20_000, repeat=7):
    "Best time of one call of `f`, in microseconds."
    return min(timeit.repeat(f, number=number, repeat=repeat)) / number * 1e6


def main():
    X, y = xor()
    np.random.seed(1)
    model = MLP([2, 2, 1], hidden="sigmoid", output="sigmoid", bias=False, init="classic")
    step = TrainingStep(model, get_loss("sse"), SGD(lr=1.0))
    step.run(X, y)
    d1, a1, d2, a2 = model.layers
    z1 = d1.forward(X); h = a1.forward(z1); z2 = d2.forward(h); out = a2.forward(z2)
    loss = step.loss
    _, g = loss._compute(out, y)
    g2 = a2.backward(g); g1 = d2.backward(g2); g0 = a1.backward(g1)
    params, grads = model.parameters(), model.gradients()
    parts = [
        ("Dense.forward (x2)", 2 * per_call(lambda: d1.forward(X))),
        ("sigmoid Activation.forward (x2)", 2 * per_call(lambda: a1.forward(z1))),
        ("  of which the sigmoid's exponent cap", 2 * (per_call(lambda: np.minimum(-z1, 700.0)) - per_call(lambda: -z1))),
        ("SSE: value and gradient", per_call(lambda: loss._compute(out, y))),
        ("sigmoid Activation.backward (x2)", 2 * per_call(lambda: a1.backward(g1))),
        ("Dense.backward (layer 2: dW and dL/dx)", per_call(lambda: d2.backward(g2))),
        ("Dense.backward_params (layer 1: dW only)", per_call(lambda: d1.backward_params(g0))),
        ("model.gradients()", per_call(model.gradients)),
        ("SGD step over 2 arrays", per_call(lambda: step.optimizer._step(params, grads, None))),
    ]
    run = per_call(lambda: step.run(X, y))
    parts.append(("TrainingStep: calling the 10 stage methods, and the divergence check", run - sum(t for n, t in parts if not n.startswith("  "))))
    epochs = 2_000
    m2 = MLP([2, 2, 1], hidden="sigmoid", output="sigmoid", bias=False, init="classic", seed=1)
    t_fit = min(timeit.repeat(lambda: fit(m2, X, y, loss="sse", optimizer=SGD(lr=1.0), epochs=epochs, metrics=()),
                              number=1, repeat=5)) / epochs * 1e6
    parts.append(("fit: the epoch loop (history, callbacks, keeping a copy now and then)", t_fit - run))

    w0, w1 = np.random.random((2, 2)), np.random.random((2, 1))
    sig = lambda x: 1 / (1 + np.exp(-x))
    def raw():
        l1 = sig(np.dot(X, w0)); l2 = sig(np.dot(l1, w1))
        l2_delta = (y - l2) * (l2 * (1 - l2)); l1_delta = l2_delta.dot(w1.T) * (l1 * (1 - l1))
        w1 + l1.T.dot(l2_delta); w0 + X.T.dot(l1_delta)
    t_raw = per_call(raw)
    lines = ["## Where an XOR step's time goes", "",
             "`python benchmarks/profile_tiny.py`: each part of one annbook training step on XOR 2-2-1 timed on its own "
             "(best of 7 x 20,000 calls), and the raw loop's step (22 NumPy calls) for comparison.", "",
             "| part | us per step |", "|---|---:|"]
    lines += [f"| {n} | {t:.2f} |" for n, t in parts]
    lines += [f"| **annbook `fit`, per epoch (one step)** | **{t_fit:.2f}** |",
              f"| raw NumPy loop, per step | {t_raw:.2f} |", f"| ratio | {t_fit / t_raw:.2f}x |", ""]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
