"""The stepping engine against `fit`, and `back()`/`reset()` exactness, beyond the notebook's examples.

Why here and not in nbs/15_stepping.ipynb: these run many configurations and random step/undo
sequences (hypothesis); the notebook keeps one readable example of each property.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as hst

from annbook.data import one_hot, parity, xor, blobs
from annbook.model import MLP
from annbook.optim import get_optimizer
from annbook.snapshot import load_state, save_state
from annbook.stages import Stage
from annbook.stepping import Stepper
from annbook.train import TrainingDiverged, fit


def same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b)) and len(a) == len(b)


def weights(model):
    return [p.copy() for p in model.parameters()]


def full_state(st):
    """Every array and number of the training state: parameters, gradients, layer caches, optimizer, history."""
    out = []
    def walk(x, path):
        if isinstance(x, np.ndarray): out.append((path, x.copy()))
        elif isinstance(x, dict):
            for k in sorted(x, key=str): walk(x[k], f"{path}.{k}")
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x): walk(v, f"{path}[{i}]")
        elif isinstance(x, (int, float, str, bool, type(None), np.number)): out.append((path, x))
        elif hasattr(x, "__dict__") and not callable(x):   # any component, annbook's or not; scratch space is not state
            for k, v in sorted(vars(x).items()):
                if k not in getattr(x, "snapshot_skip", ()): walk(v, f"{path}.{k}")
    for i, layer in enumerate(st.model.layers): walk(layer, f"layer{i}")
    walk(st.optimizer, "opt"); walk(st.loss, "loss")
    walk(st.history, "history")
    out.append(("counters", (st.iteration, st.stage_index, st.steps, st.diverged)))
    return out


def assert_same_state(a, b):
    assert [k for k, _ in a] == [k for k, _ in b]
    for (k, x), (_, y) in zip(a, b):
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True), k
        else:
            assert x == y or (x != x and y != y), k


# ------------------------------------------------------------------ the stepper is fit

CONFIGS = [  # data, sizes, MLP kwargs, loss, optimizer, lr
    (xor(), [2, 2, 1], {}, "sse", "sgd", 1.0),
    (xor(), [2, 3, 1], dict(hidden="tanh"), "bce", "adam", 0.05),
    (xor(), [2, 4, 3, 1], dict(hidden="relu", init="he"), "mse", "rmsprop", 0.01),
    (parity(3), [3, 6, 1], dict(hidden="leaky_relu", output="identity"), "bce_logits", "adam", 0.02),
    (parity(4), [4, 8, 1], dict(bias=False, init="classic"), "sse", "sgd", 2.0),
    (parity(3), [3, 5, 1], dict(dtype="float32"), "bce", "sgd", 0.5),
]


@pytest.mark.parametrize("data, sizes, kw, loss, opt, lr", CONFIGS)
@pytest.mark.parametrize("mode", ["batch", "example"])
def test_matches_fit_bit_for_bit(data, sizes, kw, loss, opt, lr, mode):
    X, y = data
    m1, m2 = MLP(sizes, seed=5, **kw), MLP(sizes, seed=5, **kw)   # 'classic' seeds the global RNG: same too
    assert same(m1.parameters(), m2.parameters())
    st = Stepper(m1, X, y, loss=loss, optimizer=opt, lr=lr, mode=mode)
    epochs = 7
    for _ in range(epochs): st.run_epoch()
    fit(m2, X, y, loss=loss, optimizer=opt, lr=lr, epochs=epochs, batch_size=None if mode == "batch" else 1,
        shuffle=False, metrics=())
    assert same(m1.parameters(), m2.parameters())
    assert st.iteration == epochs * (1 if mode == "batch" else len(X))


def test_momentum_and_softmax_labels_match_fit():
    X, labels = blobs(30, centers=3, seed=1)
    for y, loss, out in [(labels, "softmax_ce", "identity"), (one_hot(labels), "mse", "softmax")]:
        m1, m2 = MLP([2, 5, 3], output=out, seed=2), MLP([2, 5, 3], output=out, seed=2)
        st = Stepper(m1, X, y, loss=loss, optimizer=get_optimizer("sgd", lr=0.1, momentum=0.9, nesterov=True))
        st.run(12)
        fit(m2, X, y, loss=loss, optimizer=get_optimizer("sgd", lr=0.1, momentum=0.9, nesterov=True), epochs=12,
            shuffle=False, metrics=())
        assert same(m1.parameters(), m2.parameters())


def test_stage_arrays_are_what_train_step_passes_around():
    X, y = xor()
    st = Stepper(MLP([2, 3, 1], seed=0), X, y, loss="mse", optimizer="sgd", lr=0.5)
    st.run(2)
    recs = [st.step() for _ in range(st.stages_per_iteration)]
    pred = recs[3].out
    np.testing.assert_array_equal(recs[4].pred, pred)
    value, grad = st.loss(pred, y)
    assert recs[4].value == value
    np.testing.assert_array_equal(recs[4].grad, grad)
    np.testing.assert_array_equal(recs[5].grad, grad)          # the gradient flows on unchanged
    np.testing.assert_array_equal(recs[6].grad, recs[5].grad_x)
    np.testing.assert_array_equal(recs[6].x, recs[2].x)        # the backward stage shows the forward input it used
    upd = recs[-1]
    for name in upd.names:
        np.testing.assert_array_equal(upd.after[name], upd.before[name] - 0.5 * upd.grads[name])


# ------------------------------------------------------------------ back() and reset()

@settings(max_examples=25, deadline=None)
@given(n=hst.integers(0, 45), k=hst.integers(1, 45),
       opt=hst.sampled_from(["sgd", "adam", "rmsprop"]), mode=hst.sampled_from(["batch", "example"]))
def test_back_restores_the_exact_state(n, k, opt, mode):
    """n + k stages then k backs == n stages, for everything the training state holds."""
    def make():
        return Stepper(MLP([3, 4, 1], hidden="tanh", seed=11), *parity(3), loss="bce", optimizer=opt, lr=0.1,
                       mode=mode)
    ref = make()
    for _ in range(n): ref.step()
    st = make()
    for _ in range(n + k): st.step()
    undone = [st.back() for _ in range(k)]
    assert all(isinstance(s, Stage) for s in undone)
    assert_same_state(full_state(st), full_state(ref))
    assert (st.last is None) == (ref.last is None)
    if st.last is not None:
        assert st.last.title == ref.last.title and st.last.numbers == ref.last.numbers
    # and going forward again reproduces the same future
    for _ in range(k): st.step(); ref.step()
    assert_same_state(full_state(st), full_state(ref))


def test_back_at_the_start_is_a_no_op_that_says_so():
    st = Stepper(MLP([2, 2, 1], seed=0), *xor())
    before = full_state(st)
    assert st.back() is None
    assert "Already at the start" in st.message
    assert_same_state(full_state(st), before)
    st.step(); assert st.back().kind == "forward"; assert st.back() is None


def test_back_beyond_max_undo_refuses_clearly():
    st = Stepper(MLP([2, 2, 1], seed=0), *xor(), max_undo=2)
    st.run(5)
    per = st.stages_per_iteration
    for _ in range(2 * per): assert st.back() is not None
    w = weights(st.model)
    assert st.back() is None and "only the last 2 iterations" in st.message
    assert same(st.model.parameters(), w)


def test_reset_restores_initial_weights_and_optimizer():
    st = Stepper(MLP([2, 3, 1], seed=4), *xor(), loss="bce", optimizer="adam", lr=0.1)
    start = full_state(st)
    st.run(17); st.step(); st.step()
    st.reset()
    assert_same_state(full_state(st), start)
    assert st.last is None and st.records == []


def test_records_are_copies():
    st = Stepper(MLP([2, 2, 1], seed=0), *xor(), lr=1.0)
    s = st.step()
    W = s.params["W"].copy()
    st.run(3)
    np.testing.assert_array_equal(s.params["W"], W)
    assert not np.array_equal(st.model.layers[0].params["W"], W)


def test_save_and_load_state_keep_parameter_identity():
    st = Stepper(MLP([2, 2, 1], seed=0), *xor(), optimizer="adam", lr=0.1)
    params = st.model.parameters()
    snap = save_state({"model": st.model, "opt": st.optimizer}, params)
    st.run(3)
    load_state({"model": st.model, "opt": st.optimizer}, snap, params)
    assert all(p is q for p, q in zip(params, st.model.parameters()))
    assert st.optimizer.t == 0


# ------------------------------------------------------------------ boundaries, modes, predictions

def test_example_mode_cycles_and_wraps():
    st = Stepper(MLP([2, 2, 1], seed=0), *xor(), mode="example", example=3)
    st.run(6)
    assert st.history["row"] == [3, 0, 1, 2, 3, 0]
    assert [s.row for s in st.records] == [0] * st.stages_per_iteration
    st.run(0)
    assert st.iteration == 6


def test_run_epoch_from_mid_iteration_ends_on_an_epoch_boundary():
    st = Stepper(MLP([3, 3, 1], seed=0), *parity(3), mode="example")
    st.step(); st.step()
    st.run_epoch()
    assert st.iteration == 8 and st.stage_index == 0 and st.epoch == 1
    st.run_epoch(); assert st.iteration == 16


def test_predictions_leave_the_caches_alone():
    st = Stepper(MLP([2, 2, 1], seed=0), *xor(), lr=1.0)
    for _ in range(5): st.step()           # forward done, in the middle of backward
    before = full_state(st)
    st.predict_proba(np.random.default_rng(0).random((50, 2))); st.predict(st.X)
    assert_same_state(full_state(st), before)
    st.run(1)
    ref = Stepper(MLP([2, 2, 1], seed=0), *xor(), lr=1.0); ref.run(1)
    assert same(st.model.parameters(), ref.model.parameters())


def test_text_of_every_stage_kind():
    for loss, out in [("sse", "sigmoid"), ("bce_logits", "identity"), ("softmax_ce", "identity")]:
        y = xor()[1] if loss != "softmax_ce" else xor()[1].ravel().astype(int)
        st = Stepper(MLP([2, 2, 1 if loss != "softmax_ce" else 2], output=out, hidden="leaky_relu", seed=0),
                     xor()[0], y, loss=loss, optimizer="adam", lr=0.01, example=3)
        for s in (st.step() for _ in range(st.stages_per_iteration)):
            assert s.title and s.equation and s.summary and "\n" not in s.summary
            if s.kind != "update" and getattr(s, "grad_x", 0) is not None: assert "row 3" in s.numbers


def test_divergence_is_reported_and_recoverable():
    X, y = xor()
    with np.errstate(all="ignore"):
        st = Stepper(MLP([2, 2, 1], output="identity", seed=0), X, y, loss="sse", lr=1e3)
        while not st.diverged: st.step()
        assert st.last.kind == "loss" and "diverged" in st.last.summary
        with pytest.raises(TrainingDiverged, match="training diverged at epoch"):
            st.step()
        st.back(); assert not st.diverged
        st.reset(); assert st.steps == 0


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(X=np.zeros((4, 3))), ValueError, "X has 3 columns but the first layer expects 2"),
    (dict(X=[[0, 0], [0, np.nan], [1, 0], [1, 1]]), ValueError, "X contains NaN or inf"),
    (dict(y=np.zeros((3, 1))), ValueError, "X has 4 rows but y has 3"),
    (dict(y=np.zeros((4, 2))), ValueError, "y has 2 columns but the model has 1 output"),
    (dict(mode="stochastic"), ValueError, "mode must be one of ['batch', 'example'], got 'stochastic'"),
    (dict(example=-1), ValueError, "example must be a row index from 0 to 3, got -1"),
    (dict(example=1.5), TypeError, "example must be an int row index, got 1.5"),
    (dict(cycle="yes"), TypeError, "cycle must be True or False, got 'yes'"),
    (dict(max_undo=0), ValueError, "max_undo must be > 0, got 0"),
    (dict(loss="hinge"), ValueError, "loss must be one of"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer must be one of"),
    (dict(lr=0), ValueError, "lr must be > 0, got 0"),
    (dict(loss="bce", y=np.array([[0], [2], [1], [0]])), ValueError, "must be in [0, 1] for bce"),
])
def test_bad_input(kwargs, error, match):
    X, y = xor()
    args = dict(model=MLP([2, 2, 1], seed=0), X=X, y=y) | kwargs
    with pytest.raises(error, match=None) as e:
        Stepper(**args)
    assert match in str(e.value)


def test_bad_model_and_example_setter():
    with pytest.raises(TypeError, match="model must be a Sequential"):
        Stepper([1, 2], *xor())
    st = Stepper(MLP([2, 2, 1], seed=0), *xor())
    with pytest.raises(ValueError, match="example must be a row index from 0 to 3, got 9"):
        st.example = 9
    with pytest.raises(ValueError, match="row must be one of the batch's rows"):
        st.step().row = 7


def test_engine_imports_no_ui_library():
    code = ("import sys, annbook.stepping; "
            "print([m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets', 'IPython')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
