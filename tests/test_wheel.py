"""annbook as a pip user gets it: a wheel built from this checkout, installed into a fresh virtual environment.

Why a test of its own: everything else runs against the editable install of the checkout, which can hide a
file that the wheel lacks (the tutorials, the console script). Here the wheel is built with `pip wheel`,
installed with its dependencies into a new venv outside the checkout, and used from a folder of its own:
`annbook tutorials`, `annbook lab` without JupyterLab, `annbook train` on a CSV file, and the long
description as PyPI would render it (readme-renderer, what `twine check` runs).
"""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def sh(*cmd, cwd=None, timeout=600):
    r = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    "A fresh venv with the wheel installed: (its bin folder, the wheel, a work folder outside the checkout)."
    root = tmp_path_factory.mktemp("wheel")
    r = sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", REPO)
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next((root / "dist").glob("annbook-*.whl"))
    r = sh(sys.executable, "-m", "venv", root / "venv")
    assert r.returncode == 0, r.stderr
    bin_ = root / "venv" / "bin"
    r = sh(bin_ / "python", "-m", "pip", "install", "-q", wheel, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    work = root / "work"; work.mkdir()
    return bin_, wheel, work


def test_the_wheel_ships_the_tutorials_and_the_command(installed):
    bin_, wheel, work = installed
    names = zipfile.ZipFile(wheel).namelist()
    tutorials = sorted(n for n in names if n.startswith("annbook/tutorials/") and n.endswith(".ipynb"))
    assert [Path(n).name for n in tutorials] == sorted(p.name for p in (REPO / "nbs" / "tutorials").glob("*.ipynb"))
    r = sh(bin_ / "annbook", "--version", cwd=work)
    assert r.returncode == 0 and r.stdout.startswith("annbook ")
    r = sh(bin_ / "python", "-c", "import annbook, pathlib; print(pathlib.Path(annbook.__file__).parent)", cwd=work)
    assert str(REPO) not in r.stdout   # the installed copy, not the checkout


def test_tutorials_and_lab_from_the_installed_wheel(installed):
    bin_, _, work = installed
    r = sh(bin_ / "annbook", "tutorials", "course", cwd=work)
    assert r.returncode == 0, r.stderr
    copied = sorted(p.name for p in (work / "course").glob("*.ipynb"))
    assert copied == sorted(p.name for p in (REPO / "nbs" / "tutorials").glob("*.ipynb"))
    nb = json.loads((work / "course" / copied[0]).read_text(encoding="utf-8"))
    assert nb["cells"] and nb["nbformat"] == 4
    (work / "course" / copied[0]).write_text("changed", encoding="utf-8")
    r = sh(bin_ / "annbook", "tutorials", "course", cwd=work)
    assert r.returncode == 0 and "1 kept" in r.stdout and (work / "course" / copied[0]).read_text() == "changed"
    r = sh(bin_ / "annbook", "lab", "course", cwd=work)   # JupyterLab is not in this venv: the extra says how
    assert r.returncode == 1 and 'pip install "annbook[lab]"' in r.stderr and "Traceback" not in r.stderr


def test_train_on_a_csv_file_from_the_installed_wheel(installed):
    bin_, _, work = installed
    rows = ["x1,x2,label"] + [f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{'yes' if (i % 7) / 7 + (i % 5) / 5 > 0.9 else 'no'}" for i in range(120)]
    (work / "mine.csv").write_text("\n".join(rows) + "\n")
    r = sh(bin_ / "annbook", "train", "--data", "mine.csv", "--target", "label", "--no-progress", "--save", "mine.npz", cwd=work)
    assert r.returncode == 0, r.stderr
    assert "test accuracy" in r.stdout and (work / "mine.npz").exists()
    (work / "bad.csv").write_text("x1,x2,label\n1,2,yes\n3,oops,no\n")
    r = sh(bin_ / "annbook", "train", "--data", "bad.csv", "--target", "label", cwd=work)
    assert r.returncode == 2 and "line 3, column 'x2': 'oops' is not a number" in r.stderr and "Traceback" not in r.stderr


def test_the_long_description_renders():
    readme_renderer = pytest.importorskip("readme_renderer.markdown", reason="readme-renderer (the dev extra) is not installed")
    text = (REPO / "README.md").read_text(encoding="utf-8")
    html = readme_renderer.render(text)
    assert html and "Thirty seconds with annbook" in html
    assert "https://raw.githubusercontent.com/annbook/annbook/main/nbs/images/dashboard.png" in html
    assert "](nbs/" not in text and 'href="nbs/' not in html   # no links to bare notebooks: the site's pages
