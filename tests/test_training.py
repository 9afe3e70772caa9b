"""Training with `fit` and `train_step`: the recommended settings, reproducibility, mini-batches, callbacks,
the divergence guard, History and dtypes, beyond the examples in nbs/08_train.ipynb."""
import math

import numpy as np
import pytest

from annbook.data import batches, parity, spiral, xor
from annbook.losses import get_loss
from annbook.model import MLP
from annbook.optim import SGD, Adam, get_optimizer, cosine
from annbook.train import (RECOMMENDED, Callback, EarlyStopping, LambdaCallback, TrainingDiverged, evaluate, fit,
                           recommended_sizes, train_step)


def recommended_run(X, y, seed):
    """Train the documented recommended network on (X, y); return (model, history)."""
    r = RECOMMENDED
    model = MLP(recommended_sizes(X.shape[1]), hidden=r["hidden"], output=r["output"], seed=seed)
    hist = fit(model, X, y, loss=r["loss"], optimizer=r["optimizer"], lr=r["lr"], epochs=r["epochs"])
    return model, hist


def test_recommended_settings_are_the_documented_ones():
    assert RECOMMENDED == dict(hidden="tanh", output="sigmoid", loss="bce", optimizer="adam", lr=0.05, epochs=300)
    assert recommended_sizes(2) == [2, 8, 1] and recommended_sizes(4) == [4, 16, 1]


@pytest.mark.parametrize("seed", range(12))
def test_xor_reaches_100_percent_with_the_recommended_settings(seed):
    X, y = xor()
    model, hist = recommended_run(X, y, seed)
    assert hist.last()["accuracy"] == 1.0
    np.testing.assert_array_equal(model.predict(X), y.astype(int))


@pytest.mark.parametrize("seed", range(12))
def test_parity4_reaches_100_percent_with_the_recommended_settings(seed):
    X, y = parity(4)
    model, hist = recommended_run(X, y, seed)
    assert hist.last()["accuracy"] == 1.0
    np.testing.assert_array_equal(model.predict(X), y.astype(int))


def test_the_brief_xor_example_2_4_1_trains_with_seed_0():
    X, y = xor()
    model = MLP([2, 4, 1], hidden="tanh", seed=0)
    hist = fit(model, X, y, loss="bce", optimizer="adam", lr=0.05, epochs=300)
    assert hist.last()["accuracy"] == 1.0


def params_after(model_seed=0, fit_seed=0, batch_size=4, epochs=6):
    X, y = parity(4)
    m = MLP([4, 6, 1], hidden="tanh", seed=model_seed)
    fit(m, X, y, lr=0.05, epochs=epochs, batch_size=batch_size, seed=fit_seed)
    return m.parameters()


def test_same_seeds_give_bit_identical_weights():
    for a, b in zip(params_after(), params_after()):
        np.testing.assert_array_equal(a, b)


def test_different_seeds_give_different_weights():
    base = params_after()
    assert not all(np.array_equal(a, b) for a, b in zip(base, params_after(fit_seed=1)))   # other shuffling
    assert not all(np.array_equal(a, b) for a, b in zip(base, params_after(model_seed=1)))  # other start
    # full batch: the shuffling seed is irrelevant
    for a, b in zip(params_after(batch_size=None), params_after(batch_size=None, fit_seed=5)):
        np.testing.assert_array_equal(a, b)


def test_fit_is_a_loop_of_train_step_bit_for_bit():
    """fit == batches(X, y, batch_size, shuffle, default_rng(seed)) fed to train_step, epoch after epoch."""
    X, y = parity(3)
    for batch_size in (None, 3):
        m1, m2 = MLP([3, 5, 1], hidden="tanh", seed=2), MLP([3, 5, 1], hidden="tanh", seed=2)
        fit(m1, X, y, loss="bce", optimizer="adam", lr=0.05, epochs=7, batch_size=batch_size, seed=9)
        opt, loss, rng = Adam(lr=0.05), get_loss("bce"), np.random.default_rng(9)
        for _ in range(7):
            for Xb, yb in batches(X, y, batch_size, True, rng):
                train_step(m2, loss, opt, Xb, yb)
        for a, b in zip(m1.parameters(), m2.parameters()):
            np.testing.assert_array_equal(a, b)


def test_train_step_is_forward_loss_backward_update():
    X, y = xor()
    m = MLP([2, 3, 1], hidden="tanh", seed=0)
    ref = m.copy()
    pred = ref.forward(X)
    value, grad = get_loss("bce")(pred, y)
    ref.backward(grad)
    expected = [p - 0.3 * g for p, g in zip(ref.parameters(), ref.gradients())]
    got = train_step(m, "bce", SGD(lr=0.3), X, y)
    assert got == value
    for a, b in zip(m.parameters(), expected):
        np.testing.assert_array_equal(a, b)


def test_mini_batches_cover_every_row_once_per_epoch():
    X, y = parity(4)
    seen = []

    class Spy(Callback):
        def on_epoch_begin(self, epoch):
            seen.append([])

    model = MLP([4, 4, 1], seed=0)
    first = model.layers[0]
    orig = first.forward

    def forward(Xb):
        if len(seen) and len(Xb) <= 3:  # training batches (evaluation uses all 16 rows)
            seen[-1].extend(int("".join(str(int(v)) for v in row), 2) for row in Xb)
        return orig(Xb)

    first.forward = forward  # every batch passes through the first layer
    opt = SGD(lr=0.1)
    fit(model, X, y, optimizer=opt, epochs=3, batch_size=3, callbacks=[Spy()])
    assert opt.t == 3 * 6  # ceil(16 / 3) steps per epoch
    assert [sorted(s) for s in seen] == [list(range(16))] * 3
    assert seen[0] != seen[1]  # reshuffled each epoch


def test_mini_batch_training_learns_xor():
    X, y = xor()
    hist = fit(MLP([2, 8, 1], hidden="tanh", seed=0), X, y, lr=0.05, epochs=150, batch_size=1)
    assert hist.last()["accuracy"] == 1.0


def test_history_contents_match_the_final_model():
    X, y = parity(3)
    Xv, yv = X[::2], y[::2]
    m = MLP([3, 6, 1], hidden="tanh", seed=0)
    starts = {}  # the weights each epoch starts from
    snap = LambdaCallback(on_epoch_begin=lambda e: starts.__setitem__(e, m.copy()))
    hist = fit(m, X, y, lr=0.05, epochs=40, validation_data=(Xv, yv), schedule=cosine(0.05, epochs=40), callbacks=[snap])
    assert hist.epochs == list(range(1, 41)) and len(hist) == 40
    assert hist.keys() == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert all(len(v) == 40 for v in hist.history.values())
    assert hist["lr"][0] == 0.05 and hist["lr"][-1] < hist["lr"][0]
    # full batch: an epoch's training values are those of the weights it started from ...
    for e in (1, 40):
        start = evaluate(starts[e], X, y)
        assert hist["loss"][e - 1] == start["loss"] and hist["accuracy"][e - 1] == start["accuracy"]
    # ... and the validation values those of the weights it ended with
    assert hist["val_loss"][-1] == evaluate(m, Xv, yv)["loss"]
    assert all(isinstance(v, float) for vs in hist.history.values() for v in vs)
    assert hist.last() == {k: v[-1] for k, v in hist.history.items()}
    with pytest.raises(KeyError, match="no 'mse' in the history"):
        hist["mse"]


def test_early_stopping_stops_and_restores_the_best_weights():
    X, y = parity(3)
    snapshots = {}
    record = LambdaCallback(on_epoch_end=lambda e, logs: snapshots.__setitem__(e, [p.copy() for p in m.parameters()]))
    m = MLP([3, 6, 1], hidden="tanh", seed=0)
    # lr far too large for SGD: the loss jumps around, so the best epoch is not the last
    stop = EarlyStopping(monitor="loss", patience=5, restore_best=True)
    hist = fit(m, X, y, optimizer="sgd", lr=40.0, epochs=200, callbacks=[record, stop])
    assert stop.stopped_epoch == len(hist) < 200
    assert stop.best_epoch == 1 + int(np.argmin(hist["loss"]))
    assert len(hist) - stop.best_epoch == 5
    for a, b in zip(m.parameters(), snapshots[stop.best_epoch]):
        np.testing.assert_array_equal(a, b)
    # full batch: the next epoch's logged loss is that of the weights the best epoch ended with
    assert evaluate(m, X, y)["loss"] == hist["loss"][stop.best_epoch]


def test_early_stopping_without_restore_keeps_the_last_weights():
    X, y = parity(3)
    m = MLP([3, 6, 1], hidden="tanh", seed=0)
    stop = EarlyStopping(patience=5, restore_best=False)
    hist = fit(m, X, y, optimizer="sgd", lr=40.0, epochs=200, callbacks=[stop])
    assert evaluate(m, X, y)["loss"] == hist["loss"][-1] != min(hist["loss"])


def test_early_stopping_on_accuracy_maximises():
    X, y = xor()
    stop = EarlyStopping(monitor="accuracy", patience=3)
    hist = fit(MLP([2, 8, 1], hidden="tanh", seed=0), X, y, lr=0.05, epochs=300, callbacks=[stop])
    assert stop.mode == "max" and stop.best == 1.0 and len(hist) == stop.best_epoch + 3


def test_a_callback_can_stop_by_setting_trainer_stop():
    X, y = xor()

    class StopAt(Callback):
        def on_epoch_end(self, epoch, logs):
            if epoch == 4:
                self.trainer.stop = True

    hist = fit(MLP([2, 2, 1], seed=0), X, y, epochs=50, callbacks=[StopAt()])
    assert hist.epochs == [1, 2, 3, 4]


def test_divergence_guard_names_epoch_loss_and_suggests_a_lower_lr():
    X = np.linspace(-3, 3, 30).reshape(-1, 1)
    y = 3 * X - 1
    m = MLP([1, 1], output="identity", seed=0)
    with pytest.raises(TrainingDiverged) as info:
        fit(m, X, y, loss="mse", optimizer="sgd", lr=2.0, epochs=500, metrics=())
    e = info.value
    assert isinstance(e, RuntimeError)
    assert 1 <= e.epoch < 500 and e.lr == 2.0
    assert math.isfinite(e.loss) and e.loss > 1e6   # caught as runaway growth, before it overflows
    msg = str(e)
    assert f"training diverged at epoch {e.epoch}" in msg and "the loss grew to" in msg
    assert "try a lower one, e.g. lr=0.2" in msg
    assert all(np.isfinite(p).all() and np.abs(p).max() < 1e6 for p in m.parameters())   # the last sound weights


def test_divergence_guard_reports_the_batch_for_mini_batches():
    X = np.linspace(-3, 3, 30).reshape(-1, 1)
    with pytest.raises(TrainingDiverged, match=r"at epoch \d+, batch \d+"):
        fit(MLP([1, 1], output="identity", seed=0), X, 3 * X, loss="mse", optimizer="sgd", lr=3.0,
            epochs=500, batch_size=10, shuffle=False, metrics=())


def test_float32_stays_float32():
    X, y = xor()
    m = MLP([2, 8, 1], hidden="tanh", seed=0, dtype="float32")
    opt = Adam(lr=0.05)
    hist = fit(m, X, y, optimizer=opt, epochs=200, batch_size=2)
    assert {p.dtype for p in m.parameters()} == {np.dtype(np.float32)}
    assert {g.dtype for g in m.gradients()} == {np.dtype(np.float32)}
    assert {a.dtype for s in opt.state for a in s.values()} == {np.dtype(np.float32)}
    assert m.forward(X).dtype == np.float32
    assert hist.last()["accuracy"] == 1.0


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(lr=-0.1), ValueError, "lr must be > 0, got -0.1"),
    (dict(lr=0), ValueError, "lr must be > 0, got 0"),
    (dict(epochs=0), ValueError, "epochs must be > 0, got 0"),
    (dict(epochs=2.5), TypeError, "epochs must be an integer, got 2.5"),
    (dict(batch_size=0), ValueError, "batch_size must be > 0, got 0"),
    (dict(loss="hinge"), ValueError, "loss must be one of ['bce', 'bce_logits', 'mse', 'softmax_ce', 'sse'], got 'hinge'"),
    (dict(optimizer="lbfgs"), ValueError, "optimizer must be one of ['adam', 'rmsprop', 'sgd'], got 'lbfgs'"),
    (dict(metrics=["f1"]), ValueError, "metric must be one of ['accuracy', 'mse'], got 'f1'"),
    (dict(callbacks=[lambda: None]), TypeError, "callbacks must be Callback objects"),
])
def test_bad_arguments_fail_before_training(kwargs, exc, msg):
    X, y = xor()
    m = MLP([2, 3, 1], seed=0)
    before = [p.copy() for p in m.parameters()]
    with pytest.raises(exc) as info:
        fit(m, X, y, **kwargs)
    assert msg in str(info.value)
    for a, b in zip(m.parameters(), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("X, y, loss, msg", [
    (xor()[0], xor()[1][:3], "bce", "X has 4 rows but y has 3"),
    (np.vstack([xor()[0]] * 2), xor()[1], "bce", "X has 8 rows but y has 4"),
    (parity(3)[0], parity(3)[1], "bce", "X has 3 columns but the first layer expects 2"),
    (np.array([[0, 0], [np.nan, 1]]), np.array([[0], [1]]), "bce", "X contains NaN or inf (at row 1)"),
    (xor()[0], np.array([[0], [1], [np.inf], [0]]), "bce", "y contains NaN or inf"),
    (xor()[0], np.array([[0], [1], [2], [0]]), "bce", "y must be in [0, 1] for bce"),
    (xor()[0], np.array([0, 1, 1, 0]), "bce", "y must be 2-D"),
    (xor()[0], np.array([[0, 1], [1, 0], [1, 0], [0, 1]]), "bce", "y has 2 columns but the model has 1 output"),
])
def test_bad_data_is_refused_with_a_clear_message(X, y, loss, msg):
    with pytest.raises(ValueError) as info:
        fit(MLP([2, 3, 1], seed=0), X, y, loss=loss)
    assert msg in str(info.value)


def test_labels_that_do_not_fit_softmax_ce():
    X, labels = spiral(n=30, classes=3, seed=0)
    with pytest.raises(ValueError, match=r"class labels in y must be in 0\.\.1"):
        fit(MLP([2, 4, 2], output="identity", seed=0), X, labels, loss="softmax_ce")
    with pytest.raises(ValueError, match="output='identity'"):
        fit(MLP([2, 4, 3], output="softmax", seed=0), X, labels, loss="softmax_ce")
    hist = fit(MLP([2, 8, 3], hidden="tanh", output="identity", seed=0), X, labels, loss="softmax_ce", lr=0.05, epochs=5)
    assert len(hist) == 5


def test_the_optimizer_instance_keeps_its_state_across_fits():
    X, y = xor()
    m1, m2 = MLP([2, 4, 1], seed=0), MLP([2, 4, 1], seed=0)
    opt = get_optimizer("adam", lr=0.05)
    fit(m1, X, y, optimizer=opt, epochs=3)
    fit(m1, X, y, optimizer=opt, epochs=3)
    fit(m2, X, y, optimizer="adam", lr=0.05, epochs=6)
    assert opt.t == 6
    for a, b in zip(m1.parameters(), m2.parameters()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ callbacks that fail

def test_callback_errors_are_reported_first_and_every_on_train_end_runs(tmp_path):
    from annbook.train import EarlyStopping, LambdaCallback, Logger
    X, y = xor()
    ended = []
    def boom(): raise RuntimeError("begin failed")
    with pytest.raises(RuntimeError, match="begin failed"):   # not masked by EarlyStopping's on_train_end
        fit(MLP([2, 2, 1], seed=0), X, y, epochs=3, callbacks=[LambdaCallback(on_train_begin=boom), EarlyStopping()])
    log = Logger(file=tmp_path / "log.txt")
    def end_boom(): raise RuntimeError("end failed")
    with pytest.raises(RuntimeError, match="end failed"):
        fit(MLP([2, 2, 1], seed=0), X, y, epochs=2, callbacks=[LambdaCallback(on_train_end=end_boom), log,
                                                                LambdaCallback(on_train_end=lambda: ended.append(1))])
    assert ended == [1] and log._f.closed                    # the later ones ran, the log file is closed
    calls = []
    with pytest.raises(ValueError, match=r"got 'val_loss' \(the val_ values need validation_data\)"):
        fit(MLP([2, 2, 1], seed=0), X, y, epochs=5, callbacks=[EarlyStopping("val_loss"),
                                                                LambdaCallback(on_epoch_end=lambda e, l: calls.append(e))])
    assert calls == []                                        # refused before the first epoch
