"""Fuzzing the public API: every call ends in a result or in a clear error.

For every function and class in the `__all__` of each module (and the public methods of a working
instance of each class), hypothesis draws arguments from a pool of valid and hostile values: wrong
types, NaN and infinities, huge and negative numbers, complex, date and text arrays, empty and
wrongly shaped arrays, typos of names. The rules, for every call:

- it returns, or raises ValueError or TypeError (or TrainingDiverged, a result of training) whose
  message names one of the arguments given;
- a value that is never valid (NaN where a number is meant, a complex or date array, an arbitrary
  object) is refused, not silently accepted;
- no warning escapes, and nothing runs longer than `LIMIT` seconds.

Crafted archives and the command line are fuzzed in the same way below.
"""
import contextlib
import datetime
import inspect
import io
import math
import os
import re
import signal
import subprocess
import sys
import warnings
import zipfile
from fractions import Fraction

import matplotlib
matplotlib.use("Agg")
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import annbook
from annbook import (classic, core, data, exercises, gradcheck, layers, losses, metrics, model, optim, panel, player, plots,
                     presets, snapshot, stages, step, stepping, tex, train, widgets)
from annbook.step import TrainingDiverged

LIMIT = 5   # seconds: a call that takes longer counts as a hang
MODULES = [core, data, layers, losses, metrics, optim, model, step, train, gradcheck, tex, snapshot, stages,
           stepping, presets, panel, classic, player, widgets, exercises]
# annbook.plots is left out: every picture is drawn from a Stepper that the dashboard or the player has built and checked
SKIP = {  # public names that are constants, or not calls a user makes with values of their own
    "FLOAT_DTYPES", "MAX_ELEMENTS", "ACTIVATIONS", "ACTIVATION_TEX", "INITS", "LOSSES", "METRICS", "OPTIMIZERS",
    "RECOMMENDED", "GROWTH", "DATASETS", "PRESETS", "OPTIMIZER_LR", "MODES", "MAX_ITERATIONS", "MAX_RUN", "PICTURES",
    # records the engine fills in with its own values (the stages, an edit, the run a callback sees, the error)
    "Stage", "ForwardStage", "BackwardStage", "LossStage", "UpdateStage", "Edit", "Trainer", "TrainingDiverged",
    "ClassicResult", "Question",
    # the engine's inner parts, documented as unchecked: their callers (fit, the stepper) check once, up front
    "TrainingStep", "save_state", "load_state",
    # the stage panel's helpers: they take a stepper's stage records and format them
    "stage_place", "next_place", "stage_math", "stage_html", "stage_label", "stage_question", "stage_position",
    "saturation", "EQUATION_BOX", "latex_number", "shown_indices", "latex_matrix", "gathered_lines",
    # the player's page builders: `player` and `Player` call them with the frames they recorded
    "compact_png", "data_uri", "record", "player_html",
}
HOOKS = re.compile(r"^(on_|check_logs$|tex_|explain_|stage_arrays$|append$)")   # called by fit and the stages, with their values
ALIASES = {  # a parameter known to users by the name of what it is
    "name": ["activation", "loss", "optimizer", "metric"], "name_or_obj": ["optimizer", "loss", "metric"],
    "method": ["init"], "x": ["inputs x"], "layers": ["layers[0]"], "text": ["hidden"],
    "dataset": ["stepper"], "stepper": ["dataset"],   # the player's first argument: a problem's name or a Stepper
}
NAN_OK = {"x", "z", "value", "a", "b", "pred", "y_pred", "y_true", "first"}   # numbers a computation takes: NaN in, NaN out

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([[0.0], [1.0], [1.0], [0.0]])


class Opaque:
    "An object no annbook function can use."
    def __repr__(self): return "Opaque()"


NEVER_VALID = [math.nan, complex(1, 2), Opaque(), np.array([[1 + 2j, 0j]]), np.array([np.datetime64("2020-01-01")] * 2),
               np.array([["a", "b"]]), np.array([[None, 1.0]], dtype=object), datetime.timedelta(seconds=3)]
HOSTILE = [None, True, False, 0, -1, 2, 3, 2**40, 2**64, 10**20, -10**20, 0.0, -0.5, 0.5, 1.5, 1e300, -1e300,
           math.inf, -math.inf, Fraction(1, 3), np.float32(0.3), np.int64(3), "", "x", "relu", "sgd", "flaot32", b"x",
           [], [1, 2], [[1.0, 2.0]], (), {}, {"a": 1}, print,
           np.zeros((0, 2)), X4, X4[:, :1], X4.ravel(), Y4, Y4 * 3, X4.astype(int), X4.astype(bool), X4 * 1e308,
           np.where(X4 == 1, np.nan, X4), np.where(X4 == 1, np.inf, X4), np.zeros((2, 2, 2)), np.array(5.0),
           *NEVER_VALID]
# valid values for arguments with these names, so that a call gets past its first check
VALID = dict(X=X4, y=Y4, X_val=X4, y_val=Y4, pred=np.array([[0.2], [0.7], [0.6], [0.1]]), x=X4, a=X4, b=X4,
             labels=np.array([0, 1, 1, 0]), n_bits=3, n=8, n_inputs=2, n_outputs=1, n_in=2, n_out=1, sizes=[2, 3, 1],
             name="tanh", loss="bce", optimizer="sgd", lr=0.1, epochs=2, seed=0, rng=0, dtype="float64",
             dataset="xor", hidden=[3], value=0.5, digits=3, batch_size=2)
PERMISSIVE = {  # arguments that take any object by design: names, labels, callbacks' own values
    "desc", "title", "label",
}


def _hostile_values():
    return st.sampled_from(HOSTILE)


def _model(): return model.MLP([2, 3, 1], hidden="tanh", seed=0)


def _stepper(): return stepping.Stepper(_model(), X4, Y4, loss="bce", optimizer="sgd", lr=0.5)


INSTANCES = {  # a working instance of each class whose methods are fuzzed too
    "MLP": _model, "Sequential": _model,
    "Dense": lambda: layers.Dense(2, 3, rng=0), "Activation": lambda: layers.Activation("tanh"),
    "SGD": lambda: optim.SGD(lr=0.1), "Adam": lambda: optim.Adam(lr=0.1), "RMSprop": lambda: optim.RMSprop(lr=0.1),
    "History": train.History, "EarlyStopping": train.EarlyStopping, "Stepper": _stepper,
}


class Hang(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    def alarm(*_): raise Hang(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try: yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _names_an_argument(msg, given):
    "Does the message name one of the arguments `given` (as a word, or as the start of a name such as X_val)?"
    for name, value in given.items():
        for word in [name, *ALIASES.get(name, [])]:
            if re.search(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9])", msg): return True
        if name in ("name", "what", "path") and isinstance(value, str) and value and value in msg: return True
    return False


TEXT_OK = {"y", "labels"}   # class labels may be text


def _never_valid(name, v):
    if name in TEXT_OK and isinstance(v, np.ndarray) and v.dtype.kind == "U": return False
    return any(v is w for w in NEVER_VALID if not (name in NAN_OK and w is math.nan)) or (
        isinstance(v, float) and math.isnan(v) and name not in NAN_OK)


PRIMITIVES = re.compile(r"^layers\.\w+\(\)\.(forward|backward|backward_params)$")   # a layer's own arithmetic (below)


def check_call(fn, args, what):
    "Call `fn(**args)` under the rules of this module; returns the result or None."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if PRIMITIVES.match(what):   # the hot loop's arithmetic warns on overflow as NumPy does; fit and the
            warnings.simplefilter("ignore", RuntimeWarning)   # stepper run it under np.errstate and report divergence
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        try:
            with time_limit(LIMIT), contextlib.redirect_stdout(io.StringIO()):
                out = fn(**args)
        except TrainingDiverged:
            return None
        except OSError as e:   # a file that is not there, or a folder: named in the message
            assert "path" in args and str(args["path"]) in str(e), f"{what}({args!r}) raised {e!r}"
            return None
        except RuntimeError as e:   # a layer asked for its backward pass before any forward pass
            assert "call forward before backward" in str(e), f"{what}({args!r}) raised {e!r}"
            return None
        except (ValueError, TypeError) as e:
            msg = str(e)
            assert msg, f"{what}({args!r}) raised {type(e).__name__} with no message"
            assert _names_an_argument(msg, args), f"{what}({args!r}): the message does not name an argument: {msg!r}"
            return None
    bad = [k for k, v in args.items() if _never_valid(k, v) and k not in PERMISSIVE]
    assert not bad, f"{what}({args!r}) accepted {bad} without complaint"
    return out


def _parameters(fn):
    try: sig = inspect.signature(fn)
    except (TypeError, ValueError): return []
    return [p for p in sig.parameters.values() if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _arguments(params):
    "A strategy for keyword arguments: each parameter left at its default, given a valid value, or a hostile one."
    choices = {}
    for p in params:
        options = [_hostile_values()]
        if p.name in VALID: options.append(st.just(VALID[p.name]))
        if p.default is not p.empty: options.append(st.just(inspect.Parameter.empty))
        choices[p.name] = st.one_of(*options)
    return st.fixed_dictionaries(choices).map(lambda d: {k: v for k, v in d.items() if v is not inspect.Parameter.empty})


def _targets():
    out = []
    for mod in MODULES:
        for name in mod.__all__:
            obj = getattr(mod, name)
            if name in SKIP or not callable(obj): continue
            out.append((f"{mod.__name__.split('.')[-1]}.{name}", obj))
            if inspect.isclass(obj) and name in INSTANCES:
                for mname, m in inspect.getmembers(obj, callable):
                    if mname.startswith("_") or HOOKS.match(mname): continue
                    out.append((f"{mod.__name__.split('.')[-1]}.{name}().{mname}", (INSTANCES[name], mname)))
    return out


TARGETS = _targets()
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))
SLOW = {"classic", "player", "widgets", "exercises"}   # each call trains, draws or builds a page: fewer examples
FUZZ_SLOW = settings(FUZZ, max_examples=25)


def test_every_public_callable_is_fuzzed():
    names = {t for t, _ in TARGETS}
    assert len(names) > 100, len(names)
    for expected in ["data.parity", "model.MLP", "train.fit", "model.MLP().save", "stepping.Stepper().step",
                     "gradcheck.gradcheck", "layers.Dense().forward", "optim.Adam().load_state_dict"]:
        assert expected in names


@pytest.mark.parametrize("what,target", TARGETS, ids=[t for t, _ in TARGETS])
def test_fuzz(what, target, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)   # a path argument such as "x" lands in a scratch folder
    if isinstance(target, tuple): make, mname = target; fn = lambda **kw: getattr(make(), mname)(**kw)
    else: fn = target
    params = _parameters(getattr(make(), mname) if isinstance(target, tuple) else target)

    @(FUZZ_SLOW if what.split(".")[0] in SLOW else FUZZ)
    @given(_arguments(params))
    def run(args): check_call(fn, args, what)
    run()


# ---- crafted archives

@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "m.npz"
    _model().save(path)
    return path.read_bytes()


@settings(max_examples=150, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_crafted_archives_load_or_are_refused(archive, tmp_path_factory, data):
    "Bytes flipped, cut, inserted; members replaced by other members or junk: a model or a ValueError naming the file."
    raw = bytearray(archive)
    kind = data.draw(st.sampled_from(["flip", "cut", "insert", "member"]))
    if kind == "flip":
        for i in data.draw(st.lists(st.integers(0, len(raw) - 1), min_size=1, max_size=8)): raw[i] ^= 0xFF
    elif kind == "cut": raw = raw[:data.draw(st.integers(0, len(raw) - 1))]
    elif kind == "insert":
        i = data.draw(st.integers(0, len(raw)))
        raw[i:i] = data.draw(st.binary(min_size=1, max_size=64))
    else:
        with zipfile.ZipFile(io.BytesIO(archive)) as z: members = {n: z.read(n) for n in z.namelist()}
        name = data.draw(st.sampled_from(sorted(members)))
        members[name] = data.draw(st.one_of(st.binary(max_size=200), st.sampled_from(list(members.values())),
                                            st.just(b'{"a": ' * 5000 + b'1' + b'}' * 5000),
                                            st.just(b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, "
                                                    b"'shape': (100000, 100000), }" + b" " * 58 + b"\n")))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, b in members.items(): z.writestr(n, b)
        raw = bytearray(buf.getvalue())
    path = tmp_path_factory.mktemp("crafted") / "m.npz"
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            with time_limit(LIMIT): m = model.Sequential.load(path)
        except ValueError as e:
            assert "m.npz" in str(e) or str(path) in str(e), str(e)
            return
    assert isinstance(m, model.Sequential)
    m.forward(X4[:, :m.n_inputs] if m.n_inputs <= 2 else np.zeros((1, m.n_inputs)))


@settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from([a for a in HOSTILE if isinstance(a, (float, int, np.floating, str))] + NEVER_VALID[:3]))
def test_a_failed_save_leaves_the_old_file_intact(tmp_path_factory, alpha):
    path = tmp_path_factory.mktemp("save") / "m.npz"
    _model().save(path)
    before = path.read_bytes()
    try: net = model.Sequential([layers.Dense(2, 2, rng=0), layers.Activation("leaky_relu", alpha=alpha)])
    except (ValueError, TypeError): return
    try: net.save(path)
    except (ValueError, TypeError): assert path.read_bytes() == before
    else: model.Sequential.load(path)   # saved: it loads back
    assert sorted(os.listdir(path.parent)) == ["m.npz"]   # no temporary file left behind


# ---- the command line, in a subprocess

FLAGS = ["--dataset", "--bits", "--hidden", "--epochs", "--lr", "--optimizer", "--loss", "--seed", "--batch-size",
         "--save", "--data", "--target", "--task", "--test-frac", "--no-progress", "--activation"]
WORDS = ["xor", "parity", "moons", "0", "-1", "3", "1e300", "nan", "inf", "x", "", "²", "100000", "0.5", "adam",
         "data.csv", "/dev/null", "--", "-", "99999999999999999999"]


@settings(max_examples=20, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(st.sampled_from(FLAGS), st.sampled_from(WORDS)), max_size=6))
def test_cli_exits_cleanly(tmp_path_factory, argv):
    "Exit 0, 1 (training failed, said why) or 2 (bad arguments); never a traceback; never a hang."
    cwd = tmp_path_factory.mktemp("cli")
    (cwd / "data.csv").write_text("a,b,t\n0,0,0\n0,1,1\n1,0,1\n1,1,0\n")
    argv = ["train", "--epochs", "3", "--no-progress", *argv]
    env = dict(os.environ, PYTHONWARNINGS="error::RuntimeWarning")
    exe = os.path.join(os.path.dirname(sys.executable), "annbook")   # the installed script, as users run it
    r = subprocess.run([exe, *argv], cwd=cwd, capture_output=True, text=True,
                       timeout=60, env=env, stdin=subprocess.DEVNULL)
    assert r.returncode in (0, 1, 2), (argv, r.returncode, r.stderr[-2000:])
    assert "Traceback" not in r.stderr, (argv, r.stderr[-2000:])
    if r.returncode: assert r.stderr.strip(), (argv, "failed without saying why")
