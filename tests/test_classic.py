"""The classic XOR / 4-bit parity scripts: the published printed predictions, reproduced by the verbatim script,
by annbook.classic's raw loop, and by annbook's own classes (train_step and fit)."""
import contextlib
import io

import numpy as np
import pytest

from annbook.classic import (PARITY4_TEST, PARITY4_X, PARITY4_Y, XOR_TEST, XOR_X, XOR_Y, annbook_parity4, annbook_xor,
                             classic_parity4, classic_script, classic_xor)
from annbook.data import parity, xor
from annbook.model import MLP
from annbook.optim import SGD
from annbook.train import fit

XOR_PRINTED = "[[0.86002842]\n [0.86003543]]"
PARITY4_PRINTED = "[[0.99995361]\n [0.95753402]]"

# The script as published (XOR version); the parity version differs only in the data and shapes.
SCRIPT = '''
import numpy as np

# Sigmoid activation function
def sigmoid(x):
    return 1 / (1 + np.exp(-x))

# Derivative of the sigmoid function
def sigmoid_derivative(x):
    return x * (1 - x)

# Input dataset
X = np.array(%(X)s)

# Output dataset
y = np.array(%(y)s)

print(f"Training Data | X: {X}")
print(f"Output Data | y: {y}")
# Seed random numbers for reproducibility
np.random.seed(1)

# Initialize weights randomly with mean 0
weights0 = 2 * np.random.random(%(shape0)s) - 1
weights1 = 2 * np.random.random(%(shape1)s) - 1

# Training loop
for i in range(10000):
    # Forward pass: calculate predicted output
    layer0 = X
    layer1 = sigmoid(np.dot(layer0, weights0))
    layer2 = sigmoid(np.dot(layer1, weights1))

    # Calculate error
    layer2_error = y - layer2

    # Backward pass: calculate gradient
    layer2_delta = layer2_error * sigmoid_derivative(layer2)
    layer1_error = layer2_delta.dot(weights1.T)
    layer1_delta = layer1_error * sigmoid_derivative(layer1)

    # Update weights
    weights1 += layer1.T.dot(layer2_delta)
    weights0 += layer0.T.dot(layer1_delta)

# Final prediction
# print(layer2)

# Test dataset
X_test = np.array(%(X_test)s)
print(f"Test data: {X_test}")

# Forward pass for test data
layer0_test = X_test
layer1_test = sigmoid(np.dot(layer0_test, weights0))
layer2_test = sigmoid(np.dot(layer1_test, weights1))

# Prediction
print(f"Prediction for test data: {layer2_test}")
'''

XOR_ARGS = dict(X="[[0,0],[0,1],[1,0],[1,1]]", y="[[0],[1],[1],[0]]", shape0="(2,2)", shape1="(2,1)",
                X_test="[[0,1],[1,0]]")
PARITY4_ARGS = dict(X="[[0,0,0,0],[0,0,0,1],[0,0,1,0],[0,0,1,1],[0,1,0,0],[0,1,0,1],[0,1,1,0],[0,1,1,1],[1,0,0,0],[1,0,0,1],[1,0,1,0],[1,0,1,1],[1,1,0,0],[1,1,0,1],[1,1,1,0],[1,1,1,1]]",
                    y="[[0],[1],[1],[0],[1],[0],[0],[1],[1],[0],[0],[1],[0],[1],[1],[0]]",
                    shape0="(4,4)", shape1="(4,1)", X_test="[[1,0,1,1], [0,1,0,0]]")


@contextlib.contextmanager
def default_printoptions():
    with np.printoptions(precision=8, floatmode="maxprec", suppress=False, linewidth=75, threshold=1000,
                         edgeitems=3, sign="-", legacy=False):
        yield


def run_script(args):
    """Exec the published script; return its stdout and its namespace."""
    out, ns = io.StringIO(), {}
    state = np.random.get_state()
    try:
        with default_printoptions(), contextlib.redirect_stdout(out):
            exec(compile(SCRIPT % args, "<classic script>", "exec"), ns)
    finally:
        np.random.set_state(state)
    return out.getvalue(), ns


@pytest.fixture(scope="module")
def published():
    return {"xor": run_script(XOR_ARGS), "parity4": run_script(PARITY4_ARGS)}


def printed(a):
    with default_printoptions():
        return str(a)


def test_the_published_script_prints_the_published_numbers(published):
    assert published["xor"][0].endswith(f"Prediction for test data: {XOR_PRINTED}\n")
    assert published["parity4"][0].endswith(f"Prediction for test data: {PARITY4_PRINTED}\n")


def test_classic_functions_print_exactly_what_the_script_prints(published):
    out = io.StringIO()
    with default_printoptions(), contextlib.redirect_stdout(out):
        classic_xor(verbose=True)
    assert out.getvalue() == published["xor"][0]
    out = io.StringIO()
    with default_printoptions(), contextlib.redirect_stdout(out):
        classic_script(PARITY4_X, PARITY4_Y, PARITY4_TEST, verbose=True)
    assert out.getvalue() == published["parity4"][0]


@pytest.mark.parametrize("name, raw, rebuilt, expected", [
    ("xor", classic_xor, annbook_xor, XOR_PRINTED),
    ("parity4", classic_parity4, annbook_parity4, PARITY4_PRINTED),
])
def test_raw_and_annbook_versions_match_the_published_output(published, name, raw, rebuilt, expected):
    r, a = raw(), rebuilt()
    assert printed(r.prediction) == expected
    assert printed(a.prediction) == expected
    ns = published[name][1]
    for w_script, w_raw, w_annbook in zip([ns["weights0"], ns["weights1"]], r.weights, a.weights):
        assert w_script.shape == w_raw.shape == w_annbook.shape
        assert np.abs(w_script - w_raw).max() <= 1e-12
        assert np.abs(w_raw - w_annbook).max() <= 1e-12


def test_fit_reproduces_the_classic_run_too():
    """fit with full batches, SSE and SGD(lr=1) is the same computation as the script's loop."""
    X, y = xor()
    np.testing.assert_array_equal(X, XOR_X)
    np.testing.assert_array_equal(y, XOR_Y)
    state = np.random.get_state()
    np.random.seed(1)
    model = MLP([2, 2, 1], hidden="sigmoid", output="sigmoid", bias=False, init="classic")
    np.random.set_state(state)
    fit(model, X, y, loss="sse", optimizer=SGD(lr=1), epochs=10_000, metrics=())
    assert printed(model.forward(XOR_TEST)) == XOR_PRINTED
    for a, b in zip(classic_xor().weights, model.parameters()):
        assert np.abs(a - b).max() <= 1e-12


def test_annbook_parity_data_is_the_scripts_table():
    X, y = parity(4)
    np.testing.assert_array_equal(X, PARITY4_X)
    np.testing.assert_array_equal(y, PARITY4_Y)


def test_the_classic_functions_leave_the_global_random_state_alone():
    np.random.seed(42)
    expected = np.random.random(4)
    np.random.seed(42)
    classic_script(XOR_X, XOR_Y, XOR_TEST, iterations=2)
    from annbook.classic import annbook_script
    annbook_script(XOR_X, XOR_Y, XOR_TEST, iterations=2)
    np.testing.assert_array_equal(np.random.random(4), expected)
