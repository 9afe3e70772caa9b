"""The step-through dashboard driven from code: `button.click()`, `control.value = ...`.

Why here and not in nbs/19_widgets.ipynb: these walk through whole iterations and every control
and failure path, which would bury the notebook's explanation. Clicking a Button in the kernel
runs exactly the callbacks a click in the browser does (tests/browser/ checks the frontend).
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

import annbook.widgets
from annbook.model import MLP
from annbook.panel import stage_html
from annbook.plots import network_state
from annbook.presets import make_stepper
from annbook.tex import gathered_lines, latex_number
from annbook.widgets import Dashboard, step_through

KINDS = ["forward"] * 4 + ["loss"] + ["backward"] * 4 + ["update"]


def png_size(data: bytes):
    return Image.open(io.BytesIO(data)).size


def test_one_iteration_click_by_click():
    d = step_through("xor", example=2)
    assert d.marker.value == "figures for stage 0" and "Ready" in d.stage.value
    seen = {k: d.images[k].value for k in d.images}
    for i, kind in enumerate(KINDS, start=1):
        d.next_stage.click()
        s = d.st.last
        assert (d.st.steps, s.kind, s.row) == (i, kind, 2)
        assert all(line in d.stage.value for line in gathered_lines(s.numbers)) and s.title in d.stage.value   # the live numbers of this stage
        assert d.marker.value == f"figures for stage {i}"
        assert d.images["network"].value != seen["network"]                  # the network picture changes every stage
        seen["network"] = d.images["network"].value
        assert f"iteration <b>1</b> · stage <b>{i}</b>/10" in d.counter.value   # counted from 1, as the player does
        assert d.error.value == ""
    assert d.images["data"].value != seen["data"] and d.images["curves"].value != seen["curves"]
    assert d.st.iteration == 1


def test_stage_panel_shows_the_numbers_of_the_chosen_row():
    d = step_through("xor", example=3)
    d.next_stage.click()
    z = d.st.last.out
    assert "row 3" in d.stage.value
    assert all(latex_number(v, 3) in d.stage.value for v in z[3])
    d.controls["example"].value = 1                                          # batch mode: only what is shown changes
    assert d.st.steps == 1 and "row 1" in d.stage.value and "Showing the numbers of row 1" in d.status.value
    assert all(latex_number(v, 3) in d.stage.value for v in z[1])


def test_figures_follow_the_stepper():
    d = step_through("xor")
    d.next_iteration.click(); d.next_iteration.click()
    np.testing.assert_array_equal(d.pics.loss.line.get_ydata(), d.st.history["loss"])
    np.testing.assert_array_equal(d.pics.grads.lines[0].get_ydata(), [g[0] for g in d.st.history["grad_norm"]])
    faces = d.pics.network.nodes.get_facecolors().copy()
    d.next_stage.click(); d.next_stage.click()                               # forward: hidden layer computed
    assert not np.allclose(faces, d.pics.network.nodes.get_facecolors())
    assert not np.isnan(network_state(d.st)["values"][1]).any()
    for name, img in d.images.items():                                       # the PNGs are the figures' size
        f = d.pics.figures[name]
        assert png_size(img.value) == (int(f.get_figwidth() * f.dpi), int(f.get_figheight() * f.dpi))


def test_back_reset_and_epoch_buttons():
    d = step_through("parity", bits=3, mode="cycle")
    d.next_epoch.click()
    assert (d.st.iteration, d.st.epoch) == (8, 1)
    w = [p.copy() for p in d.st.model.parameters()]
    d.back.click()
    assert d.st.last.kind == "backward" and "Went back one stage" in d.status.value
    d.next_stage.click()
    assert all(np.array_equal(a, b) for a, b in zip(d.st.model.parameters(), w))
    d.run_100.click(); assert d.st.iteration == 108
    d.reset.click()
    assert d.st.steps == 0 and "108 iterations done so far were discarded" in d.status.value
    d.back.click()
    assert "Already at the start" in d.status.value and d.error.value == ""


def test_play_steps_once_per_tick_and_speed_sets_the_interval():
    d = step_through("xor")
    d.play_button.click()                     # the browser's clock then sends a tick per interval
    for v in range(1, 6): d.play.value = v
    assert d.st.steps == 5
    d.stop_button.click(); d.play.value = 6   # after Stop a late tick does nothing
    assert d.st.steps == 5 and d.status.value.startswith("Stopped after 5 stages at ")
    d.speed.value = 20; assert d.play.interval == 50
    d.speed.value = 1; assert d.play.interval == 1000


def test_changing_the_network_restarts_and_says_what_was_lost():
    d = step_through("xor")
    d.next_iteration.click(); d.next_iteration.click(); d.next_stage.click()
    loss = d.st.history["loss"][-1]
    d.controls["activation"].value = "tanh"
    assert d.st.steps == 0 and d.st.model.hidden == "tanh"
    assert "2 iterations" in d.status.value and f"{loss:.4g}" in d.status.value and "discarded" in d.status.value
    d.controls["seed"].value = 3                                              # nothing trained: nothing lost to mention
    assert "discarded" not in d.status.value and "training starts again" in d.status.value


def test_dataset_and_bits_controls():
    d = step_through("xor")
    assert d.controls["bits"].disabled
    d.controls["dataset"].value = "parity"
    assert not d.controls["bits"].disabled and d.st.n_rows == 16
    assert d.controls["hidden"].value == "8" and d.controls["example"].tooltip == "the row whose numbers are shown: 0 to 15"   # default hidden follows the data
    d.controls["example"].value = 16                                          # a row the data does not have: refused, not clamped
    assert "from 0 to 15, got 16" in d.error.value and d.controls["example"].value == 0
    d.controls["bits"].value = 8
    assert d.st.X.shape == (256, 8) and d.st.model.sizes == [8, 16, 1] and d.controls["example"].tooltip.endswith("0 to 255")
    d.controls["example"].value = 255; assert d.st.example == 255 and d.error.value == ""
    d.controls["example"].value = 0
    d.controls["hidden"].value = "12"                                         # an edited value...
    d.next_stage.click()
    assert d.st.model.sizes == [8, 12, 1] and d.error.value == ""
    d.controls["dataset"].value = "xor"
    assert d.controls["hidden"].value == "12"                                 # ...is kept


def test_impossible_settings_are_adapted_or_explained():
    d = step_through("xor")
    d.controls["loss"].value = "softmax_ce"
    assert d.st.model.n_outputs == 2 and "2 output units" in d.status.value
    d.next_iteration.click(); assert d.error.value == ""
    d.controls["activation"].value = "identity"
    assert "linear" in d.status.value
    d.controls["hidden"].value = ""
    assert d.st.model.sizes == [2, 2] and "No hidden layer" in d.status.value
    d.controls["hidden"].value = "1, 2, 3, 4, 5"
    assert "hidden must be up to 4 layer widths" in d.error.value
    assert d.controls["hidden"].value == "" and d.st.model.sizes == [2, 2]


def test_learning_rate_and_optimizer_controls():
    d = step_through("xor")
    d.next_stage.click()
    d.controls["lr"].value = 0.1
    assert d.st.lr == 0.1 and d.st.steps == 1 and "training continues" in d.status.value
    d.next_iteration.click(); assert d.st.last.lr == 0.1
    d.controls["lr"].value = 2.0
    d.back.click()                                                            # back before the update: its lr
    assert d.controls["lr"].value == d.st.lr == 0.1
    d.controls["optimizer"].value = "adam"
    assert d.st.lr == d.controls["lr"].value == 0.05 and type(d.st.optimizer).__name__ == "Adam"
    d.controls["optimizer"].value = "momentum"
    assert d.st.optimizer.momentum == 0.9


def test_exceptions_in_callbacks_are_shown_and_the_dashboard_stays_usable():
    d = step_through("xor")
    d.play.playing = True
    real = d.st.step
    def boom(): raise RuntimeError("something broke")
    d.st.step = boom
    d.next_stage.click()                      # must not raise
    assert "RuntimeError" in d.error.value and "something broke" in d.error.value
    assert not d.play.playing and isinstance(d.last_error, RuntimeError)
    d.st.step = real
    d.next_stage.click()
    assert d.error.value == "" and d.st.steps == 1


def test_divergence_stops_play_and_explains():
    d = step_through("xor", loss="bce_logits", activation="identity", lr=10.0, optimizer="sgd")
    d.play.playing = True
    with np.errstate(all="ignore"):
        for _ in range(5):
            d.run_100.click()
            if d.error.value: break
    assert "TrainingDiverged" in d.error.value and "lower" in d.error.value
    assert not d.play.playing
    d.reset.click(); assert d.st.steps == 0
    d.controls["lr"].value = 0.01; d.next_iteration.click(); assert d.error.value == ""


def test_every_control_has_a_css_class_and_display_works():
    d = step_through("parity", bits=2)
    for name, w in d.controls.items(): assert f"annbook-{name}" in w._dom_classes
    for w, cls in [(d.next_stage, "next-stage"), (d.back, "back"), (d.next_iteration, "next-iteration"),
                   (d.next_epoch, "next-epoch"), (d.play, "play"), (d.speed, "speed"), (d.reset, "reset"),
                   (d.stage, "stage"), (d.status, "status"), (d.error, "error"), (d.marker, "figure-marker")]:
        assert f"annbook-{cls}" in w._dom_classes
    assert "annbook-dashboard" in d.widget._dom_classes
    assert callable(d._ipython_display_) and "Dashboard(" in repr(d)


def test_bad_arguments_fail_at_construction():
    with pytest.raises(ValueError, match="dataset must be one of"): step_through("and")
    with pytest.raises(ValueError, match="bits must be an int from 2 to 8, got 1"): step_through("parity", bits=1)
    with pytest.raises(ValueError, match="mode must be one of"): step_through("xor", mode="online")
    with pytest.raises(ValueError, match="optimizer must be one of"): Dashboard(optimizer="lbfgs")


def test_no_pyplot_figures_are_left_open():
    import matplotlib.pyplot as plt
    n = len(plt.get_fignums())
    d = step_through("xor"); d.next_iteration.click()
    assert len(plt.get_fignums()) == n


def test_stage_html_before_the_first_stage_and_after_an_update():
    st, _ = make_stepper("parity", bits=2)
    assert "Ready" in stage_html(st) and "the next stage is the forward, layer 1" in stage_html(st)
    st.next_iteration()
    h = stage_html(st)
    assert "Update · SGD" in h and "Next: forward, layer 1" in h


def test_the_dashboard_uses_the_shared_builder_and_panel():
    """make_stepper (annbook.presets) and stage_html (annbook.panel) are the dashboard's own, and still
    importable from annbook.widgets."""
    assert annbook.widgets.make_stepper is make_stepper and annbook.widgets.stage_html is stage_html
    d = step_through("parity", bits=3, loss="bce", optimizer="adam", seed=5)
    st, _ = make_stepper("parity", bits=3, loss="bce", optimizer="adam", seed=5)
    assert all(np.array_equal(a, b) for a, b in zip(d.st.model.parameters(), st.model.parameters()))
    assert d.controls["hidden"].value == "6" and d.stage.value == stage_html(d.st)
    d.next_stage.click(); st.step()
    assert d.stage.value == stage_html(st)


# ------------------------------------------------------------------ any data, your model, editing a weight

@pytest.mark.parametrize("dataset", ["xor", "parity", "circles", "moons", "spiral", "blobs", "sine"])
def test_every_built_in_problem_through_one_iteration_and_back(dataset):
    d = step_through(dataset)
    start = [p.copy() for p in d.st.model.parameters()]
    pictures = {k: v.value for k, v in d.images.items()}
    d.next_iteration.click()
    assert d.st.iteration == 1 and d.error.value == ""
    assert d.images["network"].value != pictures["network"] and d.images["data"].value != pictures["data"]
    for _ in range(d.st.stages_per_iteration): d.back.click()
    assert d.st.steps == 0 and all(np.array_equal(a, b) for a, b in zip(d.st.model.parameters(), start))
    assert d.error.value == ""


def test_your_arrays_and_your_model_multiclass_and_regression():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(40, 3))
    for y, loss, kind in [(np.arange(40) % 4, "softmax_ce", "RowTableView"), (X[:, :1] * 2 + 1, "mse", "PredTrueView"),
                          ((X[:, :1] > 0).astype(float), "bce", "RowTableView")]:
        d = step_through((X, y))
        assert d.controls["dataset"].value == "yours" and d.controls["loss"].value == loss
        assert type(d.pics.data).__name__ == kind and "Your data: 40 rows, 3 inputs" in d.status.value
        d.next_iteration.click(); d.back.click()
        assert d.st.last.kind == "backward" and d.error.value == ""
    mine = MLP([3, 5, 4], hidden="tanh", output="identity", seed=0)
    d = step_through((X, np.arange(40) % 4), model=mine)
    assert d.st.model is mine
    d.controls["hidden"].value = "9"   # your model's own: refused, nothing lost
    assert "belongs to your model" in d.error.value and d.controls["hidden"].value == "5" and d.st.model is mine


def test_an_edited_weight_goes_through_the_following_stages_and_back():
    d = step_through("parity", bits=3, example=5)
    for _ in range(2): d.next_stage.click()
    z_before = d.st.records[0].out.copy()
    d.edit_param.value = "W1"; d.edit_row.value = 2; d.edit_col.value = 3; d.edit_value.value = -4.0
    d.edit_button.click()
    assert d.st.records[0].params["W"][2, 3] == -4.0 and not np.array_equal(d.st.records[0].out, z_before)
    for _ in range(d.st.stages_per_iteration - 2): d.next_stage.click()   # the rest of the iteration uses it
    assert d.st.last.kind == "update" and d.st.last.before["W1"][2, 3] == -4.0
    while d.st.steps > 2: d.back.click()
    d.back.click()   # the edit
    assert "undid the edit" in d.status.value and np.array_equal(d.st.records[0].out, z_before)


@pytest.mark.parametrize("args, kw, msg", [
    ((np.array([[np.nan, 1.0]]), np.array([1])), {}, "X contains NaN or inf"),
    ((np.ones((3, 2)), np.array([0, 1])), {}, "X has 3 rows but y has 2"),
    ((np.ones((2, 2)), np.array([[0.0], [np.inf]])), {}, "y contains NaN or inf"),
    ((np.ones((4, 2)), np.array([0, 1, 2, 1])), dict(loss="bce"), "is for two classes, but the data has 3"),
    ((np.ones((4, 2)), np.array([0, 1, 1, 0])), dict(model=MLP([3, 2, 1])), "model expects 3 inputs but X has 2 columns"),
    ((np.ones((4, 2)), np.array([0.5, 1, 1, 0])), {}, "y of shape (n,) must hold class labels"),
])
def test_bad_data_is_refused_before_any_widget_is_built(args, kw, msg):
    with pytest.raises((ValueError, TypeError)) as e:
        step_through(args, **kw)
    assert msg in str(e.value)


@pytest.mark.parametrize("kw, msg", [(dict(speed=0), "speed must be > 0, got 0"), (dict(speed=-5), "speed must be > 0, got -5"),
                                     (dict(speed=50), "speed must be from 1 to 20"), (dict(init="zeros"), "init must be one of"),
                                     (dict(dpi=1), "dpi must be from 20 to 300, got 1"), (dict(activation="gelu"), "activation must be one of")])
def test_bad_dashboard_settings_are_named(kw, msg):
    with pytest.raises((ValueError, TypeError), match=None) as e:
        step_through("xor", **kw)
    assert msg in str(e.value)
