"""Bad input to public functions fails early with the right exception and a helpful message.

One table, CASES: (case id, a call that must fail, expected exception type, message fragment).
Add rows for new public functions at the end of the table.
"""
import numpy as np
import pytest

from annbook import data, layers, losses, metrics, gradcheck as gc
from annbook.model import MLP, Sequential
from annbook.optim import SGD, Adam, step_decay
from annbook.stepping import Stepper
from annbook.train import Callback, fit

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([[0.0], [1.0], [1.0], [0.0]])
P4 = np.array([[0.1], [0.8], [0.7], [0.2]])
LOGITS = np.array([[1.0, 2.0, 0.5], [0.1, 0.2, 3.0]])


def _dense_backward_first():
    return layers.Dense(2, 2).backward(np.ones((1, 2)))


CASES = [
    # ---- data ----
    ("parity zero", lambda: data.parity(0), ValueError, "n_bits must be > 0, got 0"),
    ("parity too big", lambda: data.parity(17), ValueError, "n_bits must be between 1 and 16, got 17"),
    ("parity float", lambda: data.parity(3.0), TypeError, "n_bits must be an integer, got 3.0"),
    ("parity bool", lambda: data.parity(True), TypeError, "n_bits must be an integer, got True"),
    ("parity str", lambda: data.parity("4"), TypeError, "n_bits must be an integer, got '4'"),
    ("circles n=1", lambda: data.circles(1), ValueError, "n must be >= 2"),
    ("circles negative noise", lambda: data.circles(noise=-0.1), ValueError, "noise must be >= 0, got -0.1"),
    ("circles factor 1", lambda: data.circles(factor=1.0), ValueError, "factor must be < 1, got 1.0"),
    ("circles bad seed", lambda: data.circles(seed="a"), TypeError, "seed must be None, an int or a np.random.Generator"),
    ("moons n float", lambda: data.moons(n=10.5), TypeError, "n must be an integer, got 10.5"),
    ("spiral one class", lambda: data.spiral(classes=1), ValueError, "classes must be >= 2, got 1"),
    ("spiral too few points", lambda: data.spiral(n=2, classes=3), ValueError, "n must be >= classes"),
    ("blobs zero centers", lambda: data.blobs(centers=0), ValueError, "centers must be > 0, got 0"),
    ("blobs centers 1-D", lambda: data.blobs(centers=[1.0, 2.0]), ValueError, "centers must be an int or an array of shape (k, 2), got shape (2,)"),
    ("blobs centers 3 cols", lambda: data.blobs(centers=np.zeros((2, 3))), ValueError, "got shape (2, 3)"),
    ("blobs centers float", lambda: data.blobs(centers=2.0), TypeError, "centers must be an int or an array of shape (k, 2), got 2.0"),
    ("blobs negative std", lambda: data.blobs(std=-1), ValueError, "std must be >= 0, got -1"),
    ("blobs fewer points than centers", lambda: data.blobs(n=2, centers=3), ValueError, "n must be >= the number of centers (3), got 2"),
    ("one_hot float labels", lambda: data.one_hot(np.array([0.0, 1.0])), TypeError, "labels must be integer class labels, got dtype float64"),
    ("one_hot column", lambda: data.one_hot(np.array([[0], [1]])), ValueError, "use labels.ravel()"),
    ("one_hot negative", lambda: data.one_hot([0, -2]), ValueError, "labels must be >= 0, got -2"),
    ("one_hot too few classes", lambda: data.one_hot([0, 4], n_classes=3), ValueError, "labels must be < n_classes=3, got a label 4"),
    ("one_hot empty", lambda: data.one_hot(np.array([], dtype=int)), ValueError, "labels must not be empty"),
    ("one_hot n_classes 0", lambda: data.one_hot([0], n_classes=0), ValueError, "n_classes must be > 0, got 0"),
    ("split rows mismatch", lambda: data.train_val_split(X4, Y4[:3]), ValueError, "X has 4 rows but y has 3"),
    ("split frac 0", lambda: data.train_val_split(X4, Y4, val_frac=0), ValueError, "val_frac must be > 0, got 0"),
    ("split frac 1", lambda: data.train_val_split(X4, Y4, val_frac=1), ValueError, "val_frac must be < 1, got 1"),
    ("split 1-D X", lambda: data.train_val_split(np.arange(4.0), Y4), ValueError, "X must be 2-D (rows, columns), got shape (4,)"),
    ("split one row", lambda: data.train_val_split(X4[:1], Y4[:1]), ValueError, "X must have at least 2 rows to split, got 1"),
    ("batches list X", lambda: data.batches(X4.tolist(), Y4), TypeError, "X must be a NumPy array with one row per example, got list"),
    ("batches rows mismatch", lambda: data.batches(X4, Y4[:2]), ValueError, "X has 4 rows but y has 2"),
    ("batches size 0", lambda: data.batches(X4, Y4, batch_size=0), ValueError, "batch_size must be > 0, got 0"),
    ("batches size float", lambda: data.batches(X4, Y4, batch_size=2.0), TypeError, "batch_size must be an integer, got 2.0"),
    ("batches shuffle without rng", lambda: data.batches(X4, Y4, batch_size=2, shuffle=True), TypeError, "shuffle=True needs one), got None"),
    ("batches shuffle int rng", lambda: data.batches(X4, Y4, batch_size=2, shuffle=True, rng=0), TypeError, "got 0"),
    ("batches shuffle not bool", lambda: data.batches(X4, Y4, batch_size=2, shuffle="yes"), TypeError, "shuffle must be True or False, got 'yes'"),
    # ---- layers ----
    ("activation unknown", lambda: layers.Activation("sigmod"), ValueError, "activation must be one of ['identity', 'leaky_relu', 'relu', 'sigmoid', 'tanh'], got 'sigmod'"),
    ("activation softmax", lambda: layers.Activation("softmax"), ValueError, "use Softmax()"),
    ("activation negative alpha", lambda: layers.Activation("leaky_relu", alpha=-1), ValueError, "alpha must be >= 0, got -1"),
    ("get_activation unknown", lambda: layers.get_activation("gelu"), ValueError, "activation must be one of ['identity', 'leaky_relu', 'relu', 'sigmoid', 'softmax', 'tanh'], got 'gelu'"),
    ("get_activation not str", lambda: layers.get_activation(None), ValueError, "got None"),
    ("activation backward first", lambda: layers.Activation("relu").backward(np.ones((1, 1))), RuntimeError, "call forward before backward"),
    ("softmax 1-D", lambda: layers.Softmax().forward(np.ones(3)), ValueError, "Softmax expects a 2-D input (rows, classes), got shape (3,)"),
    ("softmax backward first", lambda: layers.Softmax().backward(np.ones((1, 2))), RuntimeError, "call forward before backward"),
    ("init unknown", lambda: layers.init_weights((2, 2), "xavier"), ValueError, "init must be one of ['classic', 'glorot', 'he', 'zeros'], got 'xavier'"),
    ("init shape int", lambda: layers.init_weights(4), ValueError, "shape must be a tuple (fan_in, fan_out), got 4"),
    ("init shape 3-D", lambda: layers.init_weights((2, 2, 2)), ValueError, "shape must be a tuple (fan_in, fan_out)"),
    ("init shape zero", lambda: layers.init_weights((0, 2)), ValueError, "shape entries must be > 0, got 0"),
    ("init int dtype", lambda: layers.init_weights((2, 2), dtype=np.int32), ValueError, "dtype must be one of ['float32', 'float64'], got <class 'numpy.int32'>"),
    ("init float16", lambda: layers.init_weights((2, 2), dtype="float16"), ValueError, "dtype must be one of ['float32', 'float64'], got 'float16'"),
    ("init bad rng", lambda: layers.init_weights((2, 2), rng="x"), TypeError, "rng must be None, an int or a np.random.Generator"),
    ("dense bad rng", lambda: layers.Dense(2, 2, rng="x"), TypeError, "rng must be None, an int or a np.random.Generator, got 'x'"),
    ("sgd state momentum 5", lambda: SGD().load_state_dict(dict(SGD(momentum=0.5).state_dict(), momentum=5)), ValueError, "momentum must be < 1, got 5"),
    ("sgd state nesterov str", lambda: SGD().load_state_dict(dict(SGD(momentum=0.5).state_dict(), nesterov="yes")), TypeError, "nesterov must be True or False, got 'yes'"),
    ("dense n_in 0", lambda: layers.Dense(0, 2), ValueError, "n_in must be > 0, got 0"),
    ("dense n_out float", lambda: layers.Dense(2, 1.5), TypeError, "n_out must be an integer, got 1.5"),
    ("dense bias str", lambda: layers.Dense(2, 2, bias="no"), TypeError, "bias must be True or False, got 'no'"),
    ("dense bad init", lambda: layers.Dense(2, 2, init="normal"), ValueError, "init must be one of"),
    ("dense bad dtype", lambda: layers.Dense(2, 2, dtype="int64"), ValueError, "dtype must be one of ['float32', 'float64'], got 'int64'"),
    ("dense dtype typo", lambda: layers.Dense(2, 2, dtype="flaot32"), ValueError, "dtype must be one of ['float32', 'float64'], got 'flaot32'"),
    ("mlp dtype typo", lambda: MLP([2, 3, 1], dtype="flaot32"), ValueError, "dtype must be one of ['float32', 'float64'], got 'flaot32'"),
    ("mlp dtype None", lambda: MLP([2, 3, 1], dtype=None), ValueError, "dtype must be one of ['float32', 'float64'], got None"),
    ("parity huge", lambda: data.parity(10**20), ValueError, "n_bits must be"),
    ("dense wrong width", lambda: layers.Dense(2, 3).forward(np.ones((4, 5))), ValueError, "Dense(2, 3) expects inputs x of shape (rows, 2), got shape (4, 5)"),
    ("dense 1-D input", lambda: layers.Dense(2, 3).forward(np.ones(2)), ValueError, "got shape (2,)"),
    ("dense backward first", _dense_backward_first, RuntimeError, "call forward before backward"),
    # ---- losses ----
    ("sse 1-D y", lambda: losses.SSE()(P4, Y4.ravel()), ValueError, "y has shape (4,) but pred has shape (4, 1): they must match for sse (use y.reshape(-1, 1))"),
    ("mse shape mismatch", lambda: losses.MSE()(P4, np.zeros((4, 2))), ValueError, "y has shape (4, 2) but pred has shape (4, 1)"),
    ("mse 1-D pred", lambda: losses.MSE()(P4.ravel(), Y4.ravel()), ValueError, "pred must be 2-D (rows, outputs), got shape (4,)"),
    ("sse string pred", lambda: losses.SSE()(np.array([["a"]]), Y4[:1]), TypeError, "pred must be an array of numbers"),
    ("sse nan y", lambda: losses.SSE()(P4, np.array([[np.nan], [0], [1], [0]])), ValueError, "y contains NaN or inf"),
    ("bce y outside", lambda: losses.BCE()(P4, Y4 * 2 - 1), ValueError, "y must be in [0, 1] for bce, got values from -1 to 1"),
    ("bce logits given", lambda: losses.BCE()(P4 * 10 - 5, Y4), ValueError, "for raw scores use 'bce_logits'"),
    ("bce eps", lambda: losses.BCE(eps=0.7), ValueError, "eps must be < 0.5, got 0.7"),
    ("bce_logits y outside", lambda: losses.BCEWithLogits()(P4, Y4 + 1), ValueError, "y must be in [0, 1] for bce_logits, got values from 1 to 2"),
    ("bce_logits shape", lambda: losses.BCEWithLogits()(P4, Y4.ravel()), ValueError, "they must match for bce_logits (use y.reshape(-1, 1))"),
    ("softmax_ce one column", lambda: losses.SoftmaxCrossEntropy()(P4, Y4), ValueError, "softmax_ce needs at least 2 output columns, got pred with shape (4, 1) (for a single output use 'bce' or 'bce_logits')"),
    ("softmax_ce label too big", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.array([0, 3])), ValueError, "class labels in y must be in 0..2 for pred with 3 columns, got labels from 0 to 3"),
    ("softmax_ce negative label", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.array([-1, 0])), ValueError, "got labels from -1 to 0"),
    ("softmax_ce float labels", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.array([0.0, 1.0])), TypeError, "y given as class labels must have an integer dtype, got float64"),
    ("softmax_ce label count", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.array([0, 1, 2])), ValueError, "y has 3 labels but pred has 2 rows"),
    ("softmax_ce label column", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.array([[0], [1]])), ValueError, "use y.ravel() for integer labels"),
    ("softmax_ce one-hot width", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.eye(2)), ValueError, "y has shape (2, 2) but pred has shape (2, 3)"),
    ("softmax_ce soft labels outside", lambda: losses.SoftmaxCrossEntropy()(LOGITS, np.full((2, 3), 2.0)), ValueError, "y must be in [0, 1] for softmax_ce"),
    ("get_loss unknown", lambda: losses.get_loss("crossentropy"), ValueError, "loss must be one of ['bce', 'bce_logits', 'mse', 'softmax_ce', 'sse'], got 'crossentropy'"),
    ("get_loss number", lambda: losses.get_loss(1), TypeError, "loss must be a name from ['bce', 'bce_logits', 'mse', 'softmax_ce', 'sse'] or a Loss object, got 1"),
    # ---- metrics ----
    ("accuracy 1-D pred", lambda: metrics.accuracy(Y4, P4.ravel()), ValueError, "y_pred must be 2-D (rows, outputs), got shape (4,) (use y_pred.reshape(-1, 1) for one output)"),
    ("accuracy rows mismatch", lambda: metrics.accuracy(Y4[:3], P4), ValueError, "y_true has 3 rows but y_pred has 4"),
    ("accuracy labels out of range", lambda: metrics.accuracy(np.array([0, 5]), LOGITS), ValueError, "y_true must hold class labels in 0..2, got values from 0 to 5"),
    ("accuracy non-binary target", lambda: metrics.accuracy(Y4 * 0.5, P4), ValueError, "y_true must hold class labels in 0..1"),
    ("accuracy one-hot width", lambda: metrics.accuracy(np.eye(2), LOGITS), ValueError, "y_true has shape (2, 2) but y_pred has shape (2, 3)"),
    ("accuracy strings", lambda: metrics.accuracy(Y4, np.array([["a"]] * 4)), TypeError, "y_pred must be an array of numbers"),
    ("mse metric shapes", lambda: metrics.mse(Y4.ravel(), P4), ValueError, "y_true has shape (4,) but y_pred has shape (4, 1): they must match"),
    ("get_metric unknown", lambda: metrics.get_metric("acc"), ValueError, "metric must be one of ['accuracy', 'mse'], got 'acc'"),
    ("get_metric number", lambda: metrics.get_metric(0), TypeError, "metric must be a name from ['accuracy', 'mse'] or a function, got 0"),
    # ---- gradcheck ----
    ("numeric_grad list", lambda: gc.numeric_grad(lambda x: 0.0, [1.0]), TypeError, "x must be a float NumPy array (it is perturbed in place), got list"),
    ("numeric_grad int array", lambda: gc.numeric_grad(lambda x: 0.0, np.array([1])), TypeError, "got ndarray of dtype int64"),
    ("numeric_grad not callable", lambda: gc.numeric_grad(3, np.zeros(2)), TypeError, "f must be a function of x returning a number, got 3"),
    ("numeric_grad eps", lambda: gc.numeric_grad(lambda x: 0.0, np.zeros(2), eps=-1e-6), ValueError, "eps must be > 0, got -1e-06"),
    ("rel_error shapes", lambda: gc.rel_error(np.zeros(2), np.zeros(3)), ValueError, "a has shape (2,) but b has shape (3,)"),
    ("max_rel_error list", lambda: gc.max_rel_error([1e-9]), TypeError, "errors must be a dict name -> relative error, got list"),
    ("gradcheck not a model", lambda: gc.gradcheck("net", "mse", X4, Y4), TypeError, "model must be a Sequential or a list of layers, got str"),
    ("gradcheck float32", lambda: gc.gradcheck([layers.Dense(2, 1, dtype="float32")], "mse", X4, Y4), ValueError, "gradient checks need float64 parameters"),
    ("gradcheck bad loss", lambda: gc.gradcheck([layers.Dense(2, 1)], "l1", X4, Y4), ValueError, "loss must be one of"),
    ("gradcheck_layer float32", lambda: gc.gradcheck_layer(layers.Dense(2, 1, dtype="float32"), X4), ValueError, "gradient checks need float64 parameters"),
    # ---- model ----
    ("MLP one size", lambda: MLP([2]), ValueError, "sizes must be a list of at least 2 layer widths (inputs first, e.g. [2, 4, 1]), got [2]"),
    ("MLP zero width", lambda: MLP([2, 0, 1]), ValueError, "sizes entries must be > 0, got 0"),
    ("MLP int dtype", lambda: MLP([2, 2, 1], dtype="int32"), ValueError, "dtype must be one of ['float32', 'float64'], got 'int32'"),
    ("MLP unknown init", lambda: MLP([2, 2, 1], init="xavier"), ValueError, "init must be one of ['classic', 'glorot', 'he', 'zeros'], got 'xavier'"),
    ("forward width", lambda: MLP([2, 2, 1]).forward(np.zeros((4, 3))), ValueError, "X has 3 columns but the first layer expects 2"),
    ("forward NaN", lambda: MLP([2, 2, 1]).forward(np.array([[np.nan, 0.0]])), ValueError, "X contains NaN or inf (at row 0)"),
    ("load missing file", lambda: Sequential.load("/nonexistent/model.npz"), FileNotFoundError, "no such model file: /nonexistent/model.npz"),
    # ---- optim ----
    ("SGD momentum 1.5", lambda: SGD(momentum=1.5), ValueError, "momentum must be < 1, got 1.5"),
    ("Adam beta1 1", lambda: Adam(beta1=1.0), ValueError, "beta1 must be < 1, got 1.0"),
    ("step_decay drop 0", lambda: step_decay(0.1, drop=0), ValueError, "drop must be > 0, got 0"),
    # ---- train ----
    ("fit negative lr", lambda: fit(MLP([2, 2, 1]), X4, Y4, lr=-1), ValueError, "lr must be > 0, got -1"),
    ("fit zero epochs", lambda: fit(MLP([2, 2, 1]), X4, Y4, epochs=0), ValueError, "epochs must be > 0, got 0"),
    ("fit float epochs", lambda: fit(MLP([2, 2, 1]), X4, Y4, epochs=2.5), TypeError, "epochs must be an integer, got 2.5 (float)"),
    ("fit zero batch", lambda: fit(MLP([2, 2, 1]), X4, Y4, batch_size=0), ValueError, "batch_size must be > 0, got 0"),
    ("fit row mismatch", lambda: fit(MLP([2, 2, 1]), X4, Y4[:3]), ValueError, "X has 4 rows but y has 3: they must match"),
    ("fit width mismatch", lambda: fit(MLP([3, 2, 1]), X4, Y4), ValueError, "X has 2 columns but the first layer expects 3"),
    ("fit empty", lambda: fit(MLP([2, 2, 1]), np.zeros((0, 2)), np.zeros((0, 1))), ValueError, "X must not be empty, got shape (0, 2)"),
    ("fit NaN target", lambda: fit(MLP([2, 2, 1]), X4, np.array([[0.0], [1], [np.nan], [0]])), ValueError, "y contains NaN or inf (at row 2)"),
    ("fit unknown optimizer", lambda: fit(MLP([2, 2, 1]), X4, Y4, optimizer="adamw"), ValueError, "optimizer must be one of ['adam', 'rmsprop', 'sgd'], got 'adamw'"),
    ("fit unknown loss", lambda: fit(MLP([2, 2, 1]), X4, Y4, loss="hinge"), ValueError, "loss must be one of ['bce', 'bce_logits', 'mse', 'softmax_ce', 'sse'], got 'hinge'"),
    ("fit bce labels 0..3", lambda: fit(MLP([2, 2, 1]), X4, Y4 * 3), ValueError, "y must be in [0, 1] for bce, got values from 0 to 3"),
    ("fit softmax_ce one output", lambda: fit(MLP([2, 2, 1], output="identity"), X4, np.array([0, 1, 1, 0]), loss="softmax_ce"), ValueError, "softmax_ce needs at least 2 output columns"),
    ("fit softmax_ce after softmax", lambda: fit(MLP([2, 2, 2], output="softmax"), X4, np.array([0, 1, 1, 0]), loss="softmax_ce"), ValueError, "softmax_ce applies the softmax itself and expects raw scores"),
    ("fit bce on raw scores", lambda: fit(MLP([2, 2, 1], output="identity"), X4, Y4), ValueError, "bce expects probabilities, but the model ends in output='identity'"),
    ("fit validation not a pair", lambda: fit(MLP([2, 2, 1]), X4, Y4, validation_data=X4), TypeError, "validation_data must be a pair (X_val, y_val), got ndarray"),
    ("fit callback not a Callback", lambda: fit(MLP([2, 2, 1]), X4, Y4, callbacks=[print]), TypeError, "callbacks must be Callback objects"),
    # ---- stepping ----
    ("Stepper unknown mode", lambda: Stepper(MLP([2, 2, 1]), X4, Y4, mode="online"), ValueError, "mode must be one of ['batch', 'example'], got 'online'"),
    ("Stepper example out of range", lambda: Stepper(MLP([2, 2, 1]), X4, Y4, mode="example", example=7), ValueError, "example must be a row index from 0 to 3, got 7"),
    ("Stepper width mismatch", lambda: Stepper(MLP([3, 2, 1]), X4, Y4), ValueError, "X has 2 columns but the first layer expects 3"),
]


@pytest.mark.parametrize("call,exc,fragment", [pytest.param(c, e, f, id=i) for i, c, e, f in CASES])
def test_bad_input(call, exc, fragment):
    with pytest.raises(exc) as info:
        call()
    assert fragment in str(info.value), f"message was: {info.value}"


def test_case_ids_are_unique():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
