"""Saving and loading models through real files: exact round trips, and clear errors for anything that is not
an annbook model file (truncated, corrupted, foreign, pickled). Loading never unpickles or runs code."""
import io
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

from annbook.data import parity
from annbook.layers import Activation, Dense, Softmax
from annbook.model import MLP, Sequential
from annbook.train import fit

ARCHS = [
    dict(sizes=[2, 4, 1], hidden="tanh"),
    dict(sizes=[2, 2, 1], bias=False, init="classic", seed=1),
    dict(sizes=[4, 16, 1], hidden="tanh", dtype="float32"),
    dict(sizes=[3, 8, 8, 3], hidden="relu", output="softmax", init="he"),
    dict(sizes=[2, 5, 4, 2], hidden="leaky_relu", output="identity", dtype="float32", init="zeros"),
    dict(sizes=[1, 1], output="identity"),
]


def same_model(a, b):
    assert type(a) is type(b)
    assert [repr(l) for l in a.layers] == [repr(l) for l in b.layers]
    assert a.summary() == b.summary()
    na, nb = a.named_parameters(), b.named_parameters()
    assert [n for n, _ in na] == [n for n, _ in nb]
    for (_, x), (_, y) in zip(na, nb):
        assert x.dtype == y.dtype and x.shape == y.shape
        assert x.tobytes() == y.tobytes()  # bit for bit, NaN-safe


@pytest.mark.parametrize("kw", ARCHS, ids=lambda kw: "-".join(map(str, kw["sizes"])) + "-" + kw.get("dtype", "float64"))
def test_round_trip_is_exact(tmp_path, kw):
    kw = dict(kw)
    seed = kw.pop("seed", 3)
    m = MLP(**kw, seed=seed)
    X = np.random.default_rng(0).normal(size=(5, m.n_inputs))
    path = m.save(tmp_path / "model.npz")
    assert path == tmp_path / "model.npz" and path.exists()
    back = Sequential.load(path)
    same_model(m, back)
    assert back.config() == m.config()
    assert back.forward(X).tobytes() == m.forward(X).tobytes()


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_trip_after_training(tmp_path, dtype):
    X, y = parity(4)
    m = MLP([4, 16, 1], hidden="tanh", seed=0, dtype=dtype)
    fit(m, X, y, lr=0.05, epochs=50)
    back = MLP.load(m.save(tmp_path / "trained.npz"))
    same_model(m, back)
    # the loaded model trains on exactly like the original
    fit(m, X, y, lr=0.05, epochs=3)
    fit(back, X, y, lr=0.05, epochs=3)
    same_model(m, back)


def test_round_trip_of_a_hand_built_sequential(tmp_path):
    seq = Sequential([Dense(3, 5, rng=0), Activation("leaky_relu", alpha=0.3), Dense(5, 4, bias=False, rng=1), Softmax()])
    back = Sequential.load(seq.save(tmp_path / "seq.npz"))
    same_model(seq, back)
    assert back.layers[1].alpha == 0.3


def test_the_file_is_written_at_exactly_the_path_given(tmp_path):
    m = MLP([2, 3, 1], seed=0)
    for name in ("model", "model.bin", "model.NPZ"):
        path = m.save(tmp_path / name)
        assert path.name == name and (tmp_path / name).exists()
        same_model(m, Sequential.load(tmp_path / name))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "model.NPZ", "model.bin"]


def test_the_file_is_a_plain_npz_with_a_json_architecture(tmp_path):
    m = MLP([2, 4, 1], hidden="tanh", seed=0)
    path = m.save(tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as f:
        assert sorted(f.files) == ["0.W", "0.b", "2.W", "2.b", "__annbook__"]
        arch = json.loads(str(f["__annbook__"]))
    assert arch["format"] == "annbook.model" and arch["version"] == 1 and arch["class"] == "MLP"
    assert [l["type"] for l in arch["layers"]] == ["Dense", "Activation", "Dense", "Activation"]
    assert arch["mlp"]["sizes"] == [2, 4, 1]


@pytest.fixture
def saved(tmp_path):
    m = MLP([4, 16, 1], hidden="tanh", seed=0)
    return m.save(tmp_path / "good.npz")


def refused(path, *fragments):
    with pytest.raises(ValueError) as info:
        Sequential.load(path)
    msg = str(info.value)
    assert str(path) in msg and "is not a valid annbook model file" in msg, msg
    for f in fragments:
        assert f in msg, msg
    return msg


@pytest.mark.parametrize("keep", [0, 1, 10, 100, 0.25, 0.5, 0.9, -1])
def test_truncated_files_are_refused(saved, tmp_path, keep):
    data = saved.read_bytes()
    n = keep if isinstance(keep, int) and keep >= 0 else (len(data) - 1 if keep == -1 else int(len(data) * keep))
    cut = tmp_path / f"cut{n}.npz"
    cut.write_bytes(data[:n])
    refused(cut)


def test_corrupted_array_data_is_refused(saved, tmp_path):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as z:
        info = z.getinfo("0.W.npy")
    # flip bytes inside the stored weights: the zip CRC check catches it
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 200
    data[start:start + 4] = bytes(b ^ 0xFF for b in data[start:start + 4])
    bad = tmp_path / "flipped.npz"
    bad.write_bytes(bytes(data))
    refused(bad, "CRC")


def test_corrupted_architecture_entry_is_refused(saved, tmp_path):
    data = saved.read_bytes()
    key = '"format"'.encode("utf-32-le")  # the JSON is stored as a NumPy unicode (UTF-32) string
    i = data.index(key)
    bad = tmp_path / "arch.npz"
    bad.write_bytes(data[:i] + '"formax"'.encode("utf-32-le") + data[i + len(key):])
    refused(bad, "CRC")


def test_garbage_is_refused(tmp_path):
    bad = tmp_path / "noise.npz"
    bad.write_bytes(np.random.default_rng(0).bytes(5000))
    refused(bad)


@pytest.mark.parametrize("content", [b"", b"hello, I am a text file\n", b"PK\x03\x04 not really a zip"])
def test_text_and_empty_files_are_refused(tmp_path, content):
    p = tmp_path / "notes.txt"
    p.write_bytes(content)
    refused(p)


def test_foreign_npz_without_annbook_entry_is_refused(tmp_path):
    p = tmp_path / "foreign.npz"
    np.savez(p, W=np.ones((2, 2)), b=np.zeros(2))
    refused(p, "no '__annbook__' architecture entry", "['W', 'b']")


def test_single_npy_array_is_refused(tmp_path):
    p = tmp_path / "array.npy"
    np.save(p, np.ones(3))
    refused(p, "not an .npz archive")


@pytest.mark.parametrize("change, fragment", [
    (lambda a: a.update(format="keras"), "wrong format tag"),
    (lambda a: a.update(version=2), "format version 2; this annbook reads version 1"),
    (lambda a: a["layers"][1].update(type="builtins.eval"), "unknown type 'builtins.eval'"),
    (lambda a: a["layers"][1].update(name="swish"), "activation must be one of"),
    (lambda a: a["layers"][0].update(n_in=3), "array '0.W' has shape (4, 16)"),
    (lambda a: a.update(dtype="int8"), "dtype must be one of"),
    (lambda a: a.update(layers=[]), "no layers"),
    (lambda a: a.pop("layers"), "KeyError"),
])
def test_bad_architecture_entries_are_refused(saved, tmp_path, change, fragment):
    with np.load(saved) as f:
        arrays = {k: f[k] for k in f.files}
    arch = json.loads(str(arrays.pop("__annbook__")))
    change(arch)
    p = tmp_path / "edited.npz"
    np.savez(p, __annbook__=np.array(json.dumps(arch)), **arrays)
    refused(p, fragment)


def test_arrays_that_do_not_fit_are_refused(saved, tmp_path):
    with np.load(saved) as f:
        arrays = {k: f[k] for k in f.files}
    for name, change, fragment in [("extra", lambda a: a.update(extra=np.ones(1)), "do not match"),
                                   ("missing", lambda a: a.pop("2.b"), "do not match"),
                                   ("shape", lambda a: a.update({"0.W": np.ones((4, 15))}), "array '0.W' has shape (4, 15)"),
                                   ("dtype", lambda a: a.update({"0.W": a["0.W"].astype(np.float32)}), "dtype float32")]:
        edited = dict(arrays)
        change(edited)
        p = tmp_path / f"{name}.npz"
        np.savez(p, **edited)
        refused(p, fragment)
    p = tmp_path / "notjson.npz"
    np.savez(p, **{**arrays, "__annbook__": np.array("{not json")})
    refused(p, "bad architecture entry")
    p = tmp_path / "notstring.npz"
    np.savez(p, **{**arrays, "__annbook__": np.ones(3)})
    refused(p, "is not a JSON string")


class Boom:
    """Unpickling this would create the marker file."""
    marker = None

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickles_are_never_loaded(tmp_path):
    marker = tmp_path / "pwned"
    Boom.marker = marker
    raw = tmp_path / "model.npz"
    raw.write_bytes(pickle.dumps(Boom()))
    refused(raw, "pickled")
    # an object array inside an otherwise valid-looking npz
    obj = tmp_path / "object.npz"
    np.savez(obj, __annbook__=np.array([Boom()], dtype=object), **{"0.W": np.ones((2, 2))})
    refused(obj, "pickled")
    inner = tmp_path / "inner.npz"
    np.savez(inner, __annbook__=np.array("{}"), **{"0.W": np.array([Boom()], dtype=object)})
    refused(inner, "pickled")
    assert not marker.exists()


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        Sequential.load(tmp_path / "nothing.npz")
    with pytest.raises(IsADirectoryError):
        Sequential.load(tmp_path)


def test_custom_layers_cannot_be_saved(tmp_path):
    class Scale:
        params, grads = {}, {}
        def forward(self, x): return 2 * x
        def backward(self, g): return 2 * g
    with pytest.raises(TypeError, match=r"layer 1 \(Scale\) cannot be saved"):
        Sequential([Dense(2, 2), Scale()]).save(tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


# ------------------------------------------------------------------ saving never loses the old file

def test_a_failed_save_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    good = MLP([2, 3, 1], seed=0)
    good.save(path)
    before = path.read_bytes()
    bad = Sequential([Dense(2, 2, rng=0), Activation("leaky_relu", alpha=np.float32(0.3))])
    with pytest.raises(TypeError, match="JSON serializable"):
        bad.save(path)                                   # the architecture cannot be written: refused first
    assert path.read_bytes() == before
    def boom(*a, **k): raise KeyboardInterrupt           # Ctrl-C half-way through writing the archive
    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        MLP([2, 5, 1], seed=1).save(path)
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    monkeypatch.undo()
    MLP([2, 5, 1], seed=1).save(path)                     # and a save that works replaces it, with the usual permissions
    assert Sequential.load(path).n_params == MLP([2, 5, 1]).n_params
    m = os.umask(0); os.umask(m)
    assert path.stat().st_mode & 0o777 == 0o666 & ~m


# ------------------------------------------------------------------ hostile files

def _archive(path, arrays: dict, arch):
    "An .npz written by hand: `arrays` plus the architecture entry `arch` (a dict, or JSON text)."
    np.savez(path, __annbook__=np.array(arch if isinstance(arch, str) else json.dumps(arch)), **arrays)
    return path


def test_hostile_files_are_refused_before_anything_is_allocated(tmp_path):
    good = MLP([2, 3, 1], seed=0); gp = good.save(tmp_path / "good.npz")
    arch = json.loads(str(np.load(gp)["__annbook__"]))
    arrays = dict(np.load(gp)); del arrays["__annbook__"]
    fifo = tmp_path / "fifo.npz"; os.mkfifo(fifo)
    (tmp_path / "link.npz").symlink_to(fifo)
    cases = {"fifo.npz": "not a regular file", "link.npz": "not a regular file"}
    (tmp_path / "notes.txt").write_text("hello"); cases["notes.txt"] = "not an .npz (zip) archive: it starts with b'hello'"
    (tmp_path / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(20)); cases["picture.png"] = "not an .npz (zip) archive"
    _archive(tmp_path / "deep.npz", arrays, json.dumps(arch)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    cases["deep.npz"] = "bad architecture entry (RecursionError"
    big = json.loads(json.dumps(arch)); big["layers"][0]["n_in"] = 10**12
    _archive(tmp_path / "big.npz", arrays, big); cases["big.npz"] = "layer 0 says Dense(1000000000000, 3) but its array '0.W' has shape (2, 3)"
    unchained = json.loads(json.dumps(arch)); unchained["layers"][2]["n_in"] = 4
    _archive(tmp_path / "unchained.npz", {**arrays, "2.W": np.zeros((4, 1))}, unchained)
    cases["unchained.npz"] = "layer 0 has 3 outputs but layer 2 takes 4 inputs: the layers do not chain"
    liar = json.loads(json.dumps(arch)); liar["mlp"]["sizes"] = [2, 5, 1]
    _archive(tmp_path / "liar.npz", arrays, liar); cases["liar.npz"] = "its MLP sizes [2, 5, 1] contradict its layers ([2, 3, 1])"
    # a tiny member whose header claims a huge array: refused from the header, nothing allocated
    import zipfile
    with zipfile.ZipFile(tmp_path / "bomb.npz", "w") as z:
        z.writestr("__annbook__.npy", _npy_bytes(np.array(json.dumps(arch))))
        header = {"descr": "<f8", "fortran_order": False, "shape": (20_000, 20_000)}
        buf = io.BytesIO(); np.lib.format.write_array_header_1_0(buf, header); z.writestr("0.W.npy", buf.getvalue())
    cases["bomb.npz"] = "array '0.W' claims 3,200,000,000 bytes"
    for name, msg in cases.items():
        with pytest.raises(ValueError) as e:
            Sequential.load(tmp_path / name)
        assert msg in str(e.value), (name, str(e.value)[:300])


def _npy_bytes(a):
    buf = io.BytesIO(); np.save(buf, a); return buf.getvalue()
