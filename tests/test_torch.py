"""annbook.torch against real PyTorch, on random networks: outputs, gradients of every loss, optimizer state.

Why here and not only in nbs/21_torch.ipynb: hypothesis draws the architectures (every activation, both dtypes,
frozen parameters). Skipped, with the reason, where PyTorch is not installed (`pip install annbook[torch]`).
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as hst

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install annbook[torch]")
from annbook.layers import Activation, Dense, Softmax  # noqa: E402
from annbook.losses import get_loss  # noqa: E402
from annbook.model import Sequential  # noqa: E402
from annbook.optim import SGD, Adam, RMSprop  # noqa: E402
from annbook.torch import from_torch, to_torch, to_torch_loss, to_torch_optimizer  # noqa: E402
from annbook.train import fit  # noqa: E402

ACTS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax"]


@hst.composite
def networks(draw):
    dtype = draw(hst.sampled_from([np.float64, np.float32]))
    widths = draw(hst.lists(hst.integers(1, 6), min_size=2, max_size=4))
    seed = draw(hst.integers(0, 10_000))
    layers = []
    for j, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Dense(a, b, bias=draw(hst.booleans()), rng=seed + j, dtype=dtype))
        act = draw(hst.sampled_from(ACTS))
        layers.append(Softmax() if act == "softmax" else Activation(act, alpha=0.1) if act == "leaky_relu" else Activation(act))
    model = Sequential(layers)
    names = [n for n, _ in model.named_parameters()]
    frozen = draw(hst.lists(hst.sampled_from(names), unique=True, max_size=2))
    if frozen: model.freeze(*frozen)
    X = np.random.default_rng(seed).normal(size=(draw(hst.integers(1, 7)), widths[0])).astype(dtype)
    return model, X


@settings(max_examples=60, deadline=None)
@given(net=networks())
def test_outputs_agree_and_round_trip(net):
    model, X = net
    tm = to_torch(model)
    out = tm(torch.from_numpy(X)).detach().numpy()
    tol = 1e-12 if model.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(out, model.forward(X), rtol=tol, atol=tol)
    assert [p.requires_grad for p in tm.parameters()] == [not f for f in model.frozen_mask()]
    back = from_torch(tm)
    assert back.frozen == model.frozen and back.dtype == model.dtype
    for (n1, a), (n2, b) in zip(back.named_parameters(), model.named_parameters()):
        assert n1 == n2 and np.array_equal(a, b)


@settings(max_examples=40, deadline=None)
@given(n=hst.integers(1, 8), k=hst.integers(1, 4), seed=hst.integers(0, 10_000),
       name=hst.sampled_from(["sse", "mse", "bce", "bce_logits", "softmax_ce"]))
def test_every_loss_and_its_gradient_agree(n, k, seed, name):
    rng = np.random.default_rng(seed)
    if name == "softmax_ce":
        pred, y = rng.normal(size=(n, k + 1)), rng.integers(0, k + 1, n)
        yt = torch.from_numpy(y)
    else:
        pred = rng.uniform(0.02, 0.98, (n, k)) if name == "bce" else rng.normal(size=(n, k))
        y = rng.integers(0, 2, (n, k)).astype(float) if name.startswith("bce") else rng.normal(size=(n, k))
        yt = torch.from_numpy(y)
    value, grad = get_loss(name)(pred, y)
    pt = torch.tensor(pred, requires_grad=True)
    v = to_torch_loss(name)(pt, yt)
    v.backward()
    assert abs(v.item() - value) <= 1e-10 * max(1.0, abs(value))
    np.testing.assert_allclose(pt.grad.numpy(), grad, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(net=networks(), opt=hst.sampled_from(["sgd", "momentum", "nesterov", "rmsprop", "adam", "adam_wd"]),
       steps=hst.integers(0, 4))
def test_one_more_step_agrees_after_carrying_the_optimizer_over(net, opt, steps):
    model, X = net
    if model.dtype != np.float64 or all(model.frozen_mask()): return   # float64; something left to train
    make = {"sgd": lambda: SGD(lr=0.1), "momentum": lambda: SGD(lr=0.1, momentum=0.9),
            "nesterov": lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
            "rmsprop": lambda: RMSprop(lr=0.01), "adam": lambda: Adam(lr=0.02), "adam_wd": lambda: Adam(lr=0.02, weight_decay=0.01)}
    y = np.random.default_rng(1).normal(size=(len(X), model.n_outputs))
    o = make[opt]()
    if steps: fit(model, X, y, loss="mse", optimizer=o, epochs=steps, metrics=())
    tm, to = to_torch(model), None
    to = to_torch_optimizer(o, tm)
    fit(model, X, y, loss="mse", optimizer=o, epochs=1, metrics=())
    to.zero_grad()
    to_torch_loss("mse")(tm(torch.from_numpy(X)), torch.from_numpy(y)).backward()
    to.step()
    for p, q in zip(tm.parameters(), model.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.T if q.ndim == 2 else q, rtol=0, atol=1e-12)


def test_unsupported_modules_and_layers_are_named():
    with pytest.raises(TypeError, match=r"module 2 \(Dropout\) has no annbook counterpart"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Dropout(0.1)))
    with pytest.raises(TypeError, match="optimizer Odd has no PyTorch counterpart"):
        from annbook.optim import Optimizer
        class Odd(Optimizer):
            def _update(self, p, g, s): p -= g
        to_torch_optimizer(Odd(lr=0.1), torch.nn.Linear(2, 2))
