"""The `annbook` console script, run as a real subprocess through the installed entry point."""
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import annbook
from annbook import cli
from annbook.model import Sequential

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def annbook_exe():
    """The installed `annbook` script next to this Python (installed with `pip install -e .` if missing)."""
    exe = Path(sys.executable).parent / "annbook"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(ROOT)],
                       check=True)
    assert exe.exists(), f"{exe} is missing: run {sys.executable} -m pip install -e {ROOT}"
    return str(exe)


def run(exe, *args, cwd=None):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def table(stdout):
    """The final metrics table as a dict."""
    rows = {}
    for line in stdout.splitlines():
        m = re.match(r"^(loss|accuracy|epochs|time|parameters|saved)\s{2,}(.+)$", line)
        if m:
            rows[m.group(1)] = m.group(2)
    return rows


def test_train_parity_with_defaults(annbook_exe):
    p = run(annbook_exe, "train", "--dataset", "parity", "--bits", "4")
    assert p.returncode == 0, p.stderr
    # a real tqdm progress bar on stderr, counting epochs up to 300
    assert "0/300" in p.stderr and "300/300" in p.stderr and "100%|" in p.stderr and "epoch/s" in p.stderr
    assert "accuracy=1" in p.stderr  # the latest values beside the bar
    t = table(p.stdout)
    assert set(t) == {"loss", "accuracy", "epochs", "time", "parameters"}
    assert t["accuracy"] == "100.00% (16/16)"
    assert t["epochs"] == "300"
    assert t["parameters"] == "97"  # 4-16-1: 4*16 + 16 + 16*1 + 1
    assert float(t["loss"].split()[0]) < 0.05 and t["loss"].endswith("(bce)")
    assert re.fullmatch(r"\d+\.\d\d s", t["time"])
    assert p.stdout.startswith("annbook train: parity (4 bits), 16 examples; model 4 → 16 → 1 (tanh); bce, adam lr=0.05")


def test_the_makefile_run_command(annbook_exe):
    p = run(annbook_exe, "train", "--dataset", "parity", "--bits", "4", "--hidden", "8", "--epochs", "300")
    assert p.returncode == 0, p.stderr
    t = table(p.stdout)
    assert t["accuracy"] == "100.00% (16/16)" and t["parameters"] == "49"


def test_no_progress_and_save(annbook_exe, tmp_path):
    out = tmp_path / "xor.npz"
    p = run(annbook_exe, "train", "--dataset", "xor", "--no-progress", "--save", str(out))
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    t = table(p.stdout)
    assert t["accuracy"] == "100.00% (4/4)" and t["saved"] == str(out)
    model = Sequential.load(out)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    assert model.predict(X).ravel().tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("args, expected_params", [
    (["--dataset", "spiral", "--hidden", "16", "16"], 2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3),
    (["--dataset", "blobs", "--batch-size", "32", "--epochs", "20"], 2 * 8 + 8 + 8 * 3 + 3),
    (["--dataset", "circles", "--optimizer", "sgd", "--lr", "0.5", "--epochs", "50"], 2 * 8 + 8 + 8 + 1),
    (["--dataset", "moons", "--activation", "relu", "--loss", "bce_logits", "--epochs", "50"], 2 * 8 + 8 + 8 + 1),
])
def test_other_datasets(annbook_exe, args, expected_params):
    p = run(annbook_exe, "train", *args, "--no-progress")
    assert p.returncode == 0, p.stderr
    t = table(p.stdout)
    assert t["parameters"] == f"{expected_params:,}"
    assert re.fullmatch(r"\d+\.\d\d% \(\d+/\d+\)", t["accuracy"])


def test_same_seed_same_result_different_seed_different(annbook_exe, tmp_path):
    a, b, c = tmp_path / "a.npz", tmp_path / "b.npz", tmp_path / "c.npz"
    for path, seed in ((a, "3"), (b, "3"), (c, "4")):
        p = run(annbook_exe, "train", "--dataset", "moons", "--epochs", "20", "--batch-size", "16", "--seed", seed,
                "--no-progress", "--save", str(path))
        assert p.returncode == 0, p.stderr
    pa, pb, pc = (Sequential.load(x).parameters() for x in (a, b, c))
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb))
    assert not all(np.array_equal(x, y) for x, y in zip(pa, pc))


@pytest.mark.parametrize("args, message", [
    (["train", "--lr", "-1"], "argument --lr: must be > 0, got -1"),
    (["train", "--lr", "0"], "argument --lr: must be > 0, got 0"),
    (["train", "--epochs", "0"], "argument --epochs: must be > 0, got 0"),
    (["train", "--epochs", "1.5"], "argument --epochs: must be an integer, got '1.5'"),
    (["train", "--batch-size", "-4"], "argument --batch-size: must be > 0, got -4"),
    (["train", "--hidden"], "argument --hidden: expected at least one argument"),
    (["train", "--hidden", "8", "0"], "argument --hidden: must be > 0, got 0"),
    (["train", "--seed", "-1"], "argument --seed: must be an integer >= 0, got -1"),
    (["train", "--dataset", "mnist"], "argument --dataset: invalid choice: 'mnist'"),
    (["train", "--optimizer", "adamw"], "argument --optimizer: invalid choice: 'adamw'"),
    (["train", "--activation", "swish"], "argument --activation: invalid choice: 'swish'"),
    (["train", "--loss", "hinge"], "argument --loss: invalid choice: 'hinge'"),
    (["train", "--dataset", "blobs", "--loss", "bce"], "bce is for two classes, but blobs has 3"),
    (["train", "--dataset", "moons", "--bits", "4"], "argument --bits: only applies to --dataset parity"),
    (["train", "--dataset", "parity", "--bits", "20"], "argument --bits: must be between 1 and 16, got 20"),
    (["train", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["fly"], "invalid choice: 'fly'"),
    ([], "the following arguments are required"),
])
def test_bad_arguments_exit_2_with_a_message(annbook_exe, args, message):
    p = run(annbook_exe, *args)
    assert p.returncode == 2
    assert message in p.stderr, p.stderr
    assert "usage: annbook" in p.stderr
    assert p.stdout == ""


def test_divergence_exits_1_with_a_message(annbook_exe):
    p = run(annbook_exe, "train", "--optimizer", "sgd", "--loss", "bce_logits", "--activation", "relu", "--lr", "1e300",
            "--epochs", "5", "--no-progress")
    assert p.returncode == 1
    assert "annbook train: error: training diverged at epoch " in p.stderr and "try a lower one" in p.stderr


def test_version_and_help(annbook_exe):
    p = run(annbook_exe, "--version")
    assert p.returncode == 0 and p.stdout.strip() == f"annbook {annbook.__version__}"
    p = run(annbook_exe, "train", "--help")
    assert p.returncode == 0 and "--batch-size N" in p.stdout and "default: full batch" in p.stdout


def test_lab_missing_path_exits_2(annbook_exe, tmp_path):
    p = run(annbook_exe, "lab", str(tmp_path / "nowhere"))
    assert p.returncode == 2 and "no such folder or notebook" in p.stderr


def test_lab_runs_jupyterlab_on_the_notebooks(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd: calls.append(cmd) or 0)
    (tmp_path / "nbs").mkdir()
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab"]) == 0
    assert calls[-1] == [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={(tmp_path / 'nbs').resolve()}"]
    (tmp_path / "nbs").rmdir()
    assert cli.main(["lab"]) == 0
    assert calls[-1][-1] == f"--ServerApp.root_dir={tmp_path.resolve()}"
    nb = tmp_path / "x.ipynb"
    nb.write_text("{}")
    assert cli.main(["lab", str(nb)]) == 0
    assert calls[-1][-2:] == [f"--ServerApp.root_dir={tmp_path.resolve()}", "x.ipynb"]


def test_lab_without_jupyterlab_says_how_to_install_it(monkeypatch, tmp_path, capsys):
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name, *a: None if name == "jupyterlab" else real(name, *a))
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd: pytest.fail("must not start anything"))
    assert cli.main(["lab", str(tmp_path)]) == 1
    assert "JupyterLab is not installed" in capsys.readouterr().err


def test_no_traceback_on_a_closed_pipe_an_ascii_terminal_or_ctrl_c(annbook_exe, tmp_path):
    import os, signal, time
    p = subprocess.Popen([annbook_exe, "train", "--dataset", "spiral", "--no-progress", "--epochs", "50"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()                                            # the reader went away, as in `annbook train | head -c0`
    err = p.stderr.read().decode(); p.wait(timeout=120)
    assert "Traceback" not in err and p.returncode in (0, 1), err
    r = subprocess.run([annbook_exe, "train", "--no-progress"], capture_output=True, timeout=120,
                       env={**os.environ, "PYTHONIOENCODING": "ascii"})
    assert r.returncode == 0 and b"Traceback" not in r.stderr and b"2 ? 8 ? 1" in r.stdout
    p = subprocess.Popen([annbook_exe, "train", "--dataset", "spiral", "--hidden", "512", "512", "--epochs", "100000",
                          "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3); p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and b"interrupted" in err and b"Traceback" not in err, err[-2000:]
