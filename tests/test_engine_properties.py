"""The stepping engine on random networks that include a layer and optimizers annbook has never seen.

Why here and not in nbs/15_stepping.ipynb: hypothesis draws hundreds of architectures, optimizers, frozen sets,
dtypes and modes; the notebook shows one of each. For every draw:
- n + k stages then k backs is n stages, bit for bit (weights, optimizer state, layer caches, history, records);
- reset() is the initial state, bit for bit;
- k stepper epochs are k epochs of `fit`, bit for bit, and frozen parameters never move.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as hst

from annbook.data import parity, xor
from annbook.layers import Activation, Dense
from annbook.model import Sequential
from annbook.optim import SGD, Adam, Optimizer, RMSprop
from annbook.stepping import Stepper
from annbook.train import fit
from test_stepping import assert_same_state, full_state


class Scale:
    "A user-written layer with only what Sequential requires: y = x * s, s learnable."
    def __init__(self, n, dtype):
        self.params = {"s": np.linspace(0.5, 1.5, n).astype(dtype)}
        self.grads = {"s": np.zeros(n, dtype)}
    def forward(self, x): self.x = x; return x * self.params["s"]
    def backward(self, grad): self.grads["s"] = (grad * self.x).sum(0); return grad * self.params["s"]


class MyAdam(Adam):
    "A subclass that adds nothing: it must behave exactly like Adam."


class SignSGD(Optimizer):
    "A user-written optimizer with state of its own: steps by the sign of a running mean of the gradient."
    def __init__(self, lr=0.01): super().__init__(lr)
    def _update(self, p, g, s):
        m = s.setdefault("m", np.zeros_like(p))
        m *= 0.5; m += g
        p -= self.lr * np.sign(m)


OPTIMIZERS = {
    "sgd": lambda: SGD(lr=0.3), "momentum": lambda: SGD(lr=0.2, momentum=0.9), "nesterov": lambda: SGD(lr=0.2, momentum=0.9, nesterov=True),
    "rmsprop": lambda: RMSprop(lr=0.01), "adam": lambda: Adam(lr=0.05), "my_adam": lambda: MyAdam(lr=0.05),
    "sign_sgd": lambda: SignSGD(lr=0.02),
}
HEADS = [("sigmoid", "bce"), ("sigmoid", "sse"), ("sigmoid", "mse"), ("identity", "bce_logits")]


@hst.composite
def setups(draw):
    data = draw(hst.sampled_from(["xor", "parity3"]))
    X, y = xor() if data == "xor" else parity(3)
    dtype = draw(hst.sampled_from([np.float64, np.float32]))
    widths = draw(hst.lists(hst.integers(1, 4), min_size=1, max_size=2))
    acts = draw(hst.lists(hst.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "identity"]),
                          min_size=len(widths), max_size=len(widths)))
    out, loss = draw(hst.sampled_from(HEADS))
    scale_at = draw(hst.sampled_from([None, 0, 1]))   # where the user-written layer goes: first, after layer 1, nowhere
    seed = draw(hst.integers(0, 1000))

    def model():
        layers, n_in = [], X.shape[1]
        for j, (w, a) in enumerate(zip(widths + [1], acts + [out])):
            if scale_at == j: layers.append(Scale(n_in, dtype))
            layers += [Dense(n_in, w, rng=seed + j, dtype=dtype), Activation(a)]
            n_in = w
        return Sequential(layers)

    names = [n for n, _ in model().named_parameters()]
    frozen = draw(hst.lists(hst.sampled_from(names), unique=True, max_size=len(names) - 1))
    opt = draw(hst.sampled_from(sorted(OPTIMIZERS)))
    mode = draw(hst.sampled_from(["batch", "example"]))

    def stepper():
        return Stepper(model().freeze(*frozen) if frozen else model(), X, y, loss=loss, optimizer=OPTIMIZERS[opt](), mode=mode)
    return dict(stepper=stepper, model=model, frozen=frozen, X=X, y=y, loss=loss, opt=opt, mode=mode)


def same_records(a, b):
    assert len(a) == len(b)
    for r, s in zip(a, b):
        assert type(r) is type(s) and r.title == s.title and r.numbers == s.numbers and r.summary == s.summary
        for d1, d2 in ((r.arrays_in(), s.arrays_in()), (r.arrays_out(), s.arrays_out())):
            assert list(d1) == list(d2)
            for k in d1: assert np.array_equal(d1[k], d2[k], equal_nan=True), k


@settings(max_examples=60, deadline=None)
@given(setup=setups(), n=hst.integers(0, 40), k=hst.integers(1, 40))
def test_back_is_exact_for_any_network(setup, n, k):
    ref, st = setup["stepper"](), setup["stepper"]()
    for _ in range(n): ref.step()
    for _ in range(n + k): st.step()
    for _ in range(k): assert st.back() is not None
    assert_same_state(full_state(st), full_state(ref))
    same_records(st.records, ref.records)
    assert all(a is b for a, b in zip(st.model.layers, st.layers))   # the live layers, never copies


@settings(max_examples=40, deadline=None)
@given(setup=setups(), n=hst.integers(1, 40))
def test_reset_is_the_initial_state(setup, n):
    fresh, st = setup["stepper"](), setup["stepper"]()
    for _ in range(n): st.step()
    st.reset()
    assert_same_state(full_state(st), full_state(fresh))
    assert st.records == [] and st.last is None


@settings(max_examples=40, deadline=None)
@given(setup=setups(), k=hst.integers(1, 6))
def test_stepper_epochs_are_fit_epochs_and_frozen_stays(setup, k):
    st = setup["stepper"]()
    start = dict((n, p.copy()) for n, p in st.model.named_parameters())
    for _ in range(k): st.run_epoch()
    m = setup["model"]()
    if setup["frozen"]: m.freeze(*setup["frozen"])
    fit(m, setup["X"], setup["y"], loss=setup["loss"], optimizer=OPTIMIZERS[setup["opt"]](), epochs=k,
        batch_size=None if setup["mode"] == "batch" else 1, shuffle=False, metrics=())
    for p, q in zip(st.model.parameters(), m.parameters()): assert np.array_equal(p, q, equal_nan=True)
    for n, p in st.model.named_parameters():
        if n in setup["frozen"]: assert np.array_equal(p, start[n])


def test_a_layer_without_the_protocol_is_refused_when_built():
    class NoParams:
        def forward(self, x): return x
        def backward(self, g): return g
    net = Sequential([Dense(2, 1, rng=0), Activation("sigmoid")])
    net.layers.append(NoParams())
    with pytest.raises(TypeError, match=r"layer 2 \(NoParams\).params must be a dict of arrays"):
        Stepper(net, *xor())


@settings(max_examples=40, deadline=None)
@given(setup=setups(), actions=hst.lists(hst.one_of(hst.just("step"), hst.tuples(hst.integers(0, 99), hst.floats(-3, 3))),
                                         min_size=1, max_size=30))
def test_edits_and_stages_undo_in_order(setup, actions):
    """Any mix of stages and weight edits, then as many backs: the start again, bit for bit; and each back undoes
    exactly the last action."""
    st = setup["stepper"]()
    states = [full_state(st)]
    for a in actions:
        if a == "step": st.step()
        else:
            name = st.param_names[a[0] % len(st.param_names)]
            p = st.model.parameters()[st.param_names.index(name)]
            flat = a[0] % p.size
            st.edit(name, np.unravel_index(flat, p.shape), a[1])
        states.append(full_state(st))
    for expected in reversed(states[:-1]):
        assert st.back() is not None
        assert_same_state(full_state(st), expected)
    assert st.back() is None
