"""Property tests (hypothesis) over shapes and sizes for data, layers and losses."""
import numpy as np
from hypothesis import given, settings, strategies as st, HealthCheck

from annbook.data import parity, batches, one_hot, train_val_split
from annbook.layers import Dense, Softmax, softmax, sigmoid, ACTIVATIONS
from annbook.losses import get_loss

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
dims = st.integers(1, 12)
floats = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


@FAST
@given(n_in=dims, n_out=dims, batch=dims, bias=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_dense_shapes_and_dtypes(n_in, n_out, batch, bias, dtype, seed):
    layer = Dense(n_in, n_out, bias=bias, rng=seed, dtype=dtype)
    x = np.random.default_rng(seed).normal(size=(batch, n_in))
    z = layer.forward(x)
    assert z.shape == (batch, n_out) and z.dtype == dtype
    dx = layer.backward(np.ones((batch, n_out)))
    assert dx.shape == (batch, n_in) and dx.dtype == dtype
    assert set(layer.grads) == set(layer.params) == ({"W", "b"} if bias else {"W"})
    for k, p in layer.params.items():
        assert layer.grads[k].shape == p.shape and layer.grads[k].dtype == dtype
    if bias: assert np.array_equal(layer.grads["b"], np.full(n_out, batch, dtype))


@FAST
@given(rows=st.lists(st.lists(floats, min_size=2, max_size=6), min_size=1, max_size=5).filter(
    lambda r: len({len(x) for x in r}) == 1))
def test_softmax_rows_sum_to_one(rows):
    z = np.array(rows)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = Softmax().forward(z)
    assert np.isfinite(p).all() and (p >= 0).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(p[np.arange(len(z)), z.argmax(1)], p.max(1))          # the largest score gets the largest probability


@FAST
@given(z=st.lists(floats, min_size=1, max_size=20))
def test_activations_finite_and_bounded(z):
    z = np.array(z)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(z)
        for name, (f, df) in ACTIVATIONS.items():
            a = f(z)
            assert np.isfinite(a).all() and np.isfinite(df(z, a)).all()
    assert ((s >= 0) & (s <= 1)).all()


@FAST
@given(n=st.integers(1, 20), k=st.integers(1, 6), scale=st.sampled_from([1.0, 1e2, 1e4]),
       seed=st.integers(0, 2**16), name=st.sampled_from(["sse", "mse", "bce_logits", "softmax_ce"]))
def test_losses_finite_for_large_inputs(n, k, scale, seed, name):
    rng = np.random.default_rng(seed)
    if name == "softmax_ce": k = max(k, 2)
    z = rng.normal(0, scale, (n, k))
    y = rng.integers(0, k, n) if name == "softmax_ce" else rng.integers(0, 2, (n, k)).astype(float)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = get_loss(name)(z, y)
    assert np.isfinite(value) and value >= 0 and np.isfinite(grad).all() and grad.shape == z.shape


@settings(max_examples=10, deadline=None)
@given(n_bits=st.integers(1, 10))
def test_parity_table(n_bits):
    X, y = parity(n_bits)
    assert X.shape == (2**n_bits, n_bits) and y.shape == (2**n_bits, 1)
    assert y.sum() == 2**(n_bits - 1)                                    # balanced labels
    assert np.array_equal(y.ravel(), X.sum(1) % 2)                        # odd parity
    weights = 2 ** np.arange(n_bits - 1, -1, -1)
    assert np.array_equal(X @ weights, np.arange(2**n_bits))             # binary counting order, MSB first
    assert set(np.unique(X)) <= {0.0, 1.0}


@FAST
@given(n=st.integers(1, 60), d=st.integers(1, 4), batch_size=st.integers(1, 70), seed=st.integers(0, 2**16))
def test_shuffled_batches_cover_every_row_once(n, d, batch_size, seed):
    X = np.arange(n * d, dtype=float).reshape(n, d)
    y = np.arange(n)
    got = list(batches(X, y, batch_size=batch_size, shuffle=True, rng=np.random.default_rng(seed)))
    assert len(got) == -(-n // batch_size)
    assert all(len(xb) == len(yb) <= batch_size for xb, yb in got)
    ys = np.concatenate([yb for _, yb in got])
    assert sorted(ys) == list(range(n))                                   # each row exactly once
    for xb, yb in got: assert np.array_equal(xb, X[yb])                   # rows keep their targets


@FAST
@given(labels=st.lists(st.integers(0, 9), min_size=1, max_size=40), extra=st.integers(0, 3))
def test_one_hot_round_trip(labels, extra):
    labels = np.array(labels)
    k = labels.max() + 1 + extra
    Y = one_hot(labels, k)
    assert Y.shape == (len(labels), k) and Y.dtype == np.float64
    assert np.array_equal(Y.sum(1), np.ones(len(labels)))
    assert np.array_equal(Y.argmax(1), labels)


@FAST
@given(n=st.integers(2, 50), frac=st.floats(0.01, 0.99), seed=st.integers(0, 2**16))
def test_train_val_split_partitions_rows(n, frac, seed):
    X = np.arange(n, dtype=float).reshape(n, 1)
    y = np.arange(n)
    X_tr, X_val, y_tr, y_val = train_val_split(X, y, val_frac=frac, seed=seed)
    assert len(X_val) >= 1 and len(X_tr) >= 1 and len(X_tr) + len(X_val) == n
    assert sorted(np.concatenate([y_tr, y_val])) == list(range(n))
    assert np.array_equal(X_tr.ravel(), y_tr) and np.array_equal(X_val.ravel(), y_val)
