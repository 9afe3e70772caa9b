"""Finite-difference checks of every backward pass: layers, activations, losses and whole models.

Each analytic gradient is compared, in float64, with a central difference computed here
independently of annbook.gradcheck; relative errors must be below 1e-6.
"""
import numpy as np
import pytest

from annbook.layers import ACTIVATIONS, Activation, Dense, Softmax, activation_names, get_activation
from annbook.losses import LOSSES, get_loss
from annbook.data import one_hot, xor, parity
from annbook.gradcheck import gradcheck, gradcheck_layer, max_rel_error

TOL = 1e-6


def central_diff(f, x, eps=1e-6):
    "Central-difference gradient of f() w.r.t. the array x, perturbed in place and restored."
    g = np.zeros_like(x, dtype=np.float64)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps; fp = f()
        x[i] = old - eps; fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


def away_from_kink(x, margin=0.05):
    "Move entries near 0 (the ReLU / leaky ReLU kink) away from it."
    x = x.copy()
    x[np.abs(x) < margin] = margin * 3
    return x


def check_layer(layer, x, seed=0):
    "Input and parameter gradients of `layer` against central differences of sum(out * R)."
    rng = np.random.default_rng(seed)
    out = layer.forward(x)
    R = rng.normal(size=out.shape)
    dx = layer.backward(R)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    L = lambda: float(np.sum(layer.forward(x) * R))
    errors = {"x": rel(dx, central_diff(L, x))}
    for k, p in layer.params.items():
        errors[k] = rel(analytic[k], central_diff(L, p))
    return errors


@pytest.mark.parametrize("name", activation_names())
def test_activation_layer_gradients(name):
    x = away_from_kink(np.random.default_rng(1).normal(0, 2, size=(6, 5)))
    errors = check_layer(get_activation(name), x)
    assert errors["x"] < TOL, errors


@pytest.mark.parametrize("alpha", [0.01, 0.2, 1.5])
def test_leaky_relu_alpha_gradients(alpha):
    x = away_from_kink(np.random.default_rng(2).normal(size=(4, 6)))
    assert check_layer(Activation("leaky_relu", alpha=alpha), x)["x"] < TOL


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_table_derivatives(name):
    f, df = ACTIVATIONS[name]
    z = away_from_kink(np.linspace(-6, 6, 41))
    eps = 1e-6
    numeric = (f(z + eps) - f(z - eps)) / (2 * eps)
    assert rel(df(z, f(z)), numeric) < TOL


def test_softmax_large_inputs_gradient():
    x = np.array([[50.0, 49.0, 48.0, -10.0], [-30.0, -31.0, -29.5, -30.2]])
    assert check_layer(Softmax(), x)["x"] < TOL


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("init", ["glorot", "he", "classic"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 2), (5, 7)])
def test_dense_gradients(shape, init, bias):
    n_in, n_out = shape
    layer = Dense(n_in, n_out, bias=bias, init=init, rng=0)
    if bias: layer.params["b"][...] = np.random.default_rng(5).normal(size=n_out)   # non-zero bias
    x = np.random.default_rng(3).normal(size=(4, n_in))
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "W"} | ({"b"} if bias else set())
    assert max(errors.values()) < TOL, errors


def _loss_cases():
    rng = np.random.default_rng(0)
    n = 7
    return {
        "sse": (rng.normal(size=(n, 2)), rng.normal(size=(n, 2))),
        "mse": (rng.normal(size=(n, 3)), rng.normal(size=(n, 3))),
        "bce": (rng.uniform(0.02, 0.98, (n, 1)), rng.integers(0, 2, (n, 1)).astype(float)),
        "bce_soft": (rng.uniform(0.02, 0.98, (n, 2)), rng.uniform(0, 1, (n, 2))),
        "bce_logits": (rng.normal(0, 4, (n, 1)), rng.integers(0, 2, (n, 1)).astype(float)),
        "softmax_ce": (rng.normal(0, 3, (n, 4)), rng.integers(0, 4, n)),
        "softmax_ce_onehot": (rng.normal(0, 3, (n, 4)), one_hot(rng.integers(0, 4, n), 4)),
    }


@pytest.mark.parametrize("case", list(_loss_cases()))
def test_loss_gradients(case):
    pred, y = _loss_cases()[case]
    name = {"bce_soft": "bce", "softmax_ce_onehot": "softmax_ce"}.get(case, case)
    loss = get_loss(name)
    value, grad = loss(pred, y)
    assert isinstance(value, float) and grad.shape == pred.shape
    p = pred.copy()
    numeric = central_diff(lambda: loss(p, y)[0], p)
    assert rel(grad, numeric) < TOL


def test_every_loss_has_a_case():
    names = {{"bce_soft": "bce", "softmax_ce_onehot": "softmax_ce"}.get(c, c) for c in _loss_cases()}
    assert names == set(LOSSES)


def test_checker_catches_a_wrong_gradient():
    "The harness must be able to fail: a Dense layer that forgets a transpose is caught."
    class Broken(Dense):
        def backward(self, grad):
            super().backward(grad)
            return grad @ self.params["W"]     # should be W.T
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert check_layer(Broken(3, 3, rng=0), x)["x"] > 1e-2
    assert gradcheck_layer(Broken(3, 3, rng=0), x)["x"] > 1e-2


def test_gradcheck_layer_agrees():
    x = np.random.default_rng(4).normal(size=(5, 3))
    errors = gradcheck_layer(Dense(3, 4, rng=1), x)
    assert set(errors) == {"x", "W", "b"} and max(errors.values()) < TOL


def test_chain_of_layers_through_gradcheck():
    X, y = xor()
    layers = [Dense(2, 4, rng=0), Activation("tanh"), Dense(4, 1, rng=1), Activation("sigmoid")]
    errors = gradcheck(layers, "bce", X, y)
    assert list(errors) == ["0.W", "0.b", "2.W", "2.b"]
    assert max_rel_error(errors) < TOL


# Whole networks, through annbook.model (imported inside the tests).
MLP_CASES = [
    # sizes, hidden, output, loss, targets
    ([2, 3, 1], "sigmoid", "sigmoid", "sse", "xor"),
    ([2, 4, 1], "tanh", "sigmoid", "bce", "xor"),
    ([4, 6, 5, 1], "relu", "identity", "bce_logits", "parity"),
    ([4, 5, 1], "leaky_relu", "sigmoid", "mse", "parity"),
    ([4, 5, 3], "tanh", "identity", "softmax_ce", "labels"),
    ([4, 5, 3], "sigmoid", "softmax", "mse", "onehot"),
]


@pytest.mark.parametrize("sizes,hidden,output,loss,target", MLP_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_mlp_gradcheck(sizes, hidden, output, loss, target, bias):
    from annbook.model import MLP
    if target == "xor": X, y = xor()
    else:
        X, y = parity(4)
        X = X + np.random.default_rng(0).normal(0, 0.1, X.shape)     # off the grid: away from ReLU kinks
        labels = np.arange(16) % 3
        y = {"parity": y, "labels": labels, "onehot": one_hot(labels, 3)}[target]
    model = MLP(sizes, hidden=hidden, output=output, bias=bias, seed=3)
    before = [p.copy() for p in model.parameters()]
    errors = gradcheck(model, loss, X, y)
    assert list(errors) == [n for n, _ in model.named_parameters()]
    assert max_rel_error(errors) < TOL, errors
    for a, b in zip(before, model.parameters()):
        np.testing.assert_array_equal(a, b)          # parameters restored exactly


def test_mlp_classic_init_gradcheck():
    from annbook.model import MLP
    np.random.seed(1)
    model = MLP([2, 2, 1], hidden="sigmoid", output="sigmoid", bias=False, init="classic")
    X, y = xor()
    assert max_rel_error(gradcheck(model, "sse", X, y)) < TOL
