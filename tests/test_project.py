"""Project-level checks that no single notebook can make.

* settings.ini (read by nbdev) and pyproject.toml (read by pip) describe the same package;
* README.md is what tools/make_readme.py makes of nbs/index.ipynb, whose saved outputs are current;
* annbook/ is exactly what nbdev_export makes of nbs/, and the notebooks are nbdev-clean;
* every module imports in a fresh interpreter, and the computational modules stay free of
  matplotlib, ipywidgets and IPython;
* the docs configuration: one _quarto.yml, a sidebar that lists every notebook once, and no cell
  that nbdev's docs build would execute out of context.
"""
from __future__ import annotations

import ast
import configparser
import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

REPO = Path(__file__).resolve().parents[1]
NBS = REPO / "nbs"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO / "tools"))
import preview as preview_tool  # noqa: E402

CORE_MODULES = ["core", "data", "layers", "losses", "metrics", "optim", "model", "step", "train",
                "gradcheck", "classic", "tex", "snapshot", "stages", "stepping", "presets", "panel"]
UI_MODULES = ["matplotlib", "ipywidgets", "IPython"]


def settings() -> configparser.SectionProxy:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(REPO / "settings.ini", encoding="utf-8")
    return cp["DEFAULT"]


def pyproject() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _tool(name: str) -> str:
    """A console script of this environment (nbdev_export, nbdev_clean)."""
    path = BIN / name
    return str(path) if path.exists() else shutil.which(name) or pytest.fail(f"{name} not found")


# ------------------------------------------------------------------ metadata

def test_settings_and_pyproject_agree():
    s, p = settings(), pyproject()["project"]
    assert p["name"] == s["lib_name"] == s["repo"]
    assert p["requires-python"] == f">={s['min_python']}"
    assert p["description"] == s["description"]
    assert sorted(p["dependencies"]) == sorted(s["requirements"].split())
    assert p["keywords"] == s["keywords"].split()
    assert p["authors"] == [{"name": s["author"], "email": s["author_email"]}]
    assert p["urls"]["Repository"] == s["git_url"]
    assert p["urls"]["Homepage"] == s["doc_host"] + s["doc_baseurl"]
    scripts = dict(item.split("=", 1) for item in s["console_scripts"].split())
    assert p["scripts"] == scripts
    status = {"1": "Planning", "2": "Pre-Alpha", "3": "Alpha", "4": "Beta", "5": "Production/Stable"}[s["status"]]
    assert f"Development Status :: {s['status']} - {status}" in p["classifiers"]
    assert f"Intended Audience :: {s['audience']}" in p["classifiers"]


def test_version_comes_from_settings():
    """pyproject takes the version from annbook.__version__, which nbdev_export writes from settings.ini."""
    p = pyproject()
    assert "version" in p["project"]["dynamic"] and "version" not in p["project"]
    assert p["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "annbook.__version__"}
    init = (REPO / "annbook" / "__init__.py").read_text(encoding="utf-8")
    m = re.search(r'^__version__\s*=\s*"([^"]+)"', init, flags=re.MULTILINE)
    assert m, "annbook/__init__.py has no __version__"
    assert m.group(1) == settings()["version"]
    r = subprocess.run([sys.executable, "-c", "import annbook; print(annbook.__version__)"], cwd=REPO,
                       capture_output=True, text=True, check=True)
    assert r.stdout.strip() == settings()["version"]


def test_license():
    s, p = settings(), pyproject()["project"]
    assert s["license"] == "apache2"
    assert p["license"] == "Apache-2.0" and p["license-files"] == ["LICENSE"]  # SPDX expression (PEP 639)
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text


# ------------------------------------------------------------------ README

def test_readme_is_up_to_date():
    """README.md is generated from nbs/index.ipynb (`make readme`); it must not drift from it."""
    r = subprocess.run([sys.executable, str(REPO / "tools" / "make_readme.py"), "--check"], cwd=REPO,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]


def _visible_outputs(nb) -> list[list[tuple]]:
    """Per code cell, its outputs as text (streams, text/plain results; errors by name)."""
    res = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outs = []
        for o in cell.get("outputs", []):
            if o["output_type"] == "stream":
                outs.append((o["name"], o["text"]))
            elif o["output_type"] == "error":
                outs.append(("error", o["ename"], o["evalue"]))
            else:
                outs.append((o["output_type"], o.get("data", {}).get("text/plain", "")))
        res.append(outs)
    return res


def test_index_outputs_are_current(tmp_path):
    """The outputs saved in nbs/index.ipynb (shown in README.md and on the site) are what it prints now."""
    import nbformat
    shutil.copy(NBS / "index.ipynb", tmp_path / "index.ipynb")
    saved = nbformat.read(NBS / "index.ipynb", as_version=4)
    fresh, _ = preview_tool.execute(tmp_path / "index.ipynb")
    assert _visible_outputs(fresh) == _visible_outputs(saved), \
        "nbs/index.ipynb has stale outputs: run `make readme`"
    assert any(_visible_outputs(saved)), "nbs/index.ipynb should show the output of its example"


# ------------------------------------------------------------------ notebooks and package

def _copy_project(dest: Path) -> None:
    shutil.copytree(NBS, dest / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    shutil.copytree(REPO / "annbook", dest / "annbook", ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("settings.ini", "pyproject.toml"):
        shutil.copy(REPO / f, dest / f)


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_package_is_in_sync_with_notebooks(tmp_path):
    """annbook/ is exactly what `nbdev_export` writes from nbs/ (run `make export`)."""
    _copy_project(tmp_path)
    subprocess.run([_tool("nbdev_export")], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    committed, exported = _tree(REPO / "annbook"), _tree(tmp_path / "annbook")
    assert sorted(committed) == sorted(exported), "files differ: run `make export`"
    stale = [name for name in committed if committed[name] != exported[name]]
    assert stale == [], f"annbook/ differs from nbs/ in {stale}: run `make export`"


def test_notebooks_are_clean(tmp_path):
    """`nbdev_clean` changes nothing (run `make clean`)."""
    _copy_project(tmp_path)
    subprocess.run([_tool("nbdev_clean")], cwd=tmp_path, check=True, capture_output=True, timeout=300)
    dirty = [p.relative_to(NBS).as_posix() for p in sorted(NBS.rglob("*.ipynb"))
             if ".ipynb_checkpoints" not in p.parts
             and not filecmp.cmp(p, tmp_path / "nbs" / p.relative_to(NBS), shallow=False)]
    assert dirty == [], f"not nbdev-clean: {dirty}: run `make clean`"


MODULES = sorted(p.stem for p in (REPO / "annbook").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("mod", MODULES)
def test_module_imports_in_fresh_interpreter(mod):
    """Catches a notebook cell that a module needs but that was never exported."""
    r = subprocess.run([sys.executable, "-c", f"import annbook.{mod}"], cwd=REPO,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]


@pytest.mark.parametrize("mod", CORE_MODULES)
def test_core_module_is_ui_free(mod):
    """The computation never imports the presentation layer (matplotlib, ipywidgets, IPython)."""
    assert (REPO / "annbook" / f"{mod}.py").exists(), f"annbook/{mod}.py is missing (not exported yet?)"
    code = f"import sys, annbook.{mod}; print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(UI_MODULES)!r}))"
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "[]", f"importing annbook.{mod} imports {r.stdout.strip()}"


# ------------------------------------------------------------------ docs configuration

def test_quarto_yml_has_one_source():
    """nbdev renders from nbs/, so nbs/_quarto.yml must be the top-level _quarto.yml (a symlink)."""
    top, nbs = REPO / "_quarto.yml", NBS / "_quarto.yml"
    assert nbs.exists(), "nbs/_quarto.yml is missing (it should be a symlink to ../_quarto.yml)"
    if nbs.is_symlink():
        assert Path(nbs.readlink()).as_posix() == "../_quarto.yml", "nbs/_quarto.yml must link to ../_quarto.yml"
    assert nbs.read_bytes() == top.read_bytes(), "nbs/_quarto.yml and _quarto.yml differ"


def test_quarto_config():
    q = yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))
    assert q["project"]["type"] == "website"
    assert q["metadata-files"] == ["nbdev.yml", "sidebar.yml"]
    assert (NBS / q["format"]["html"]["css"]).exists()
    # the script that typesets saved HTMLMath widgets with MathJax 3 (tools/preview.py loads it too)
    assert q["format"]["html"]["include-after-body"] == preview_tool.SITE_SCRIPT
    assert (NBS / preview_tool.SITE_SCRIPT).exists()
    nav = q["website"]["navbar"]
    links = {item.get("text"): item["href"] for item in nav["left"] + nav["right"]}
    assert links["GitHub"] == settings()["git_url"]
    missing = [h for t, h in links.items() if t != "GitHub" and not (NBS / h).exists()]
    assert missing == [], f"navbar links to missing pages {missing}"


def test_sidebar_lists_every_notebook_once():
    listed = [src for _, src in preview_tool.read_sidebar(NBS)]
    on_disk = preview_tool.list_notebooks(NBS)
    assert len(listed) == len(set(listed)), "a page is listed twice in nbs/sidebar.yml"
    assert listed[0] == "index.ipynb"
    assert sorted(set(on_disk) - set(listed)) == [], "notebooks missing from nbs/sidebar.yml"
    assert sorted(set(listed) - set(on_disk)) == [], "nbs/sidebar.yml lists notebooks that do not exist"


_EXPORT_DIRS = {"export", "exports", "exporti", "exec_doc"}


def _directives(src: str) -> set[str]:
    names = set()
    for line in src.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^\s*#\s*\|\s*([\w-]+)", line)
        if not m:
            break
        names.add(m.group(1))
    return names


def test_no_cell_mixes_imports_with_other_code():
    """nbdev's docs build (nbdev_docs, nbdev_proc_nbs; tools/preview.py) re-runs every cell with an
    import in a fresh shell to render show_doc; a cell that also computes with names from other
    cells then fails the build ("Found cells containing imports and other code", nbdev FAQ).
    Keep imports in cells of their own."""
    import nbformat
    offending = []
    for src in preview_tool.list_notebooks(NBS):
        nb = nbformat.read(NBS / src, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        if not any(_directives(c.source) & _EXPORT_DIRS or "show_doc(" in c.source for c in code):
            continue  # nbdev runs nothing for pages without API docs
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or "nbdev_export" + "()" in cell.source:
                continue
            dirs = _directives(cell.source)
            if dirs & _EXPORT_DIRS or re.search(r"#\s*\|\s*eval\s*:\s*false", cell.source):
                continue
            try:
                tree = ast.parse(cell.source)
            except SyntaxError:
                continue
            nodes = list(ast.walk(tree))
            if any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in nodes) and \
                    any(isinstance(n, (ast.Expr, ast.Assign)) for n in nodes):
                first = next(ln for ln in cell.source.splitlines() if ln.strip() and not ln.lstrip().startswith("#"))
                offending.append(f"{src} cell {i}: {first[:70]}")
    assert offending == [], "cells that mix imports with other code:\n" + "\n".join(offending)


def test_workflows_run_the_make_targets():
    test = yaml.safe_load((REPO / ".github" / "workflows" / "test.yaml").read_text(encoding="utf-8"))
    steps = [s.get("run", "") for job in test["jobs"].values() for s in job["steps"]]
    assert any(re.search(r"\bmake test\b", s) for s in steps)
    deploy = (REPO / ".github" / "workflows" / "deploy.yaml").read_text(encoding="utf-8")
    assert "nbdev_docs" in deploy
    # the Quarto that renders the site is pinned, in one place (the newest one is not what was checked)
    assert re.search(r'^\s*QUARTO_VERSION:\s*"\d+\.\d+\.\d+"', deploy, flags=re.MULTILINE), \
        "deploy.yaml should pin Quarto: QUARTO_VERSION: \"X.Y.Z\""
    assert re.findall(r"quarto-dev/quarto-actions/setup@\S+\s+with:\s+version:[ \t]*(.+?)[ \t]*$", deploy,
                      flags=re.MULTILINE) == \
        ["${{ env.QUARTO_VERSION }}"]


def test_generated_paths_are_ignored():
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").split()
    for path in ["_docs/", "_proc/", "_preview/", "nbs/nbdev.yml"]:
        assert path in ignored, f"{path} should be in .gitignore"


# ------------------------------------------------------------------ components own what is known about them

def test_no_module_switches_on_another_modules_components():
    """Only a component's own module may test for its class: elsewhere annbook asks the object (the protocol in
    annbook.step), so a user-written layer, loss or optimizer is treated like annbook's own. Nothing tests __module__."""
    import ast
    pkg = REPO / "annbook"
    defined = {}   # class name -> module that defines it
    for f in pkg.glob("*.py"):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef): defined.setdefault(node.name, f.stem)
    bases = {"Loss", "Optimizer"}   # the protocol's base classes: checking for them is checking the protocol, not switching
    components = {n for n, m in defined.items() if m in ("layers", "losses", "optim")} - bases
    found = []
    for f in sorted(pkg.glob("*.py")):
        src = f.read_text(encoding="utf-8")
        if "__module__" in src and f.stem != "_modidx": found.append(f"{f.name}: tests __module__")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance" and len(node.args) == 2:
                names = {n.id for n in ast.walk(node.args[1]) if isinstance(n, ast.Name)}
                for n in names & components:
                    if defined[n] != f.stem: found.append(f"{f.name}:{node.lineno}: isinstance(..., {n})")
    assert found == []


# ------------------------------------------------------------------ API signatures as nbdev's docs show them

def _module_of_line(src_lines: list[str], lineno: int) -> str:
    """The notebook a line of a generated module comes from (its `# %% ../nbs/NB.ipynb` marker)."""
    for ln in reversed(src_lines[:lineno]):
        m = re.match(r"^# %% \.\./nbs/(\S+)", ln)
        if m:
            return m.group(1)
    return "?"


def _signature_comments():
    """For every function in annbook/ (methods too) and every dataclass: (where, comment line, comment
    text, parameter lines {line: [names]}, line of the return annotation or None), for each comment in
    the signature (or on a field's line)."""
    import io
    import tokenize
    for path in sorted((REPO / "annbook").glob("*.py")):
        if path.stem == "_modidx":
            continue
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        comments = {t.start[0]: t.string for t in tokenize.generate_tokens(io.StringIO(src).readline)
                    if t.type == tokenize.COMMENT}
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, ast.ClassDef) and any(
                    "dataclass" in ast.unparse(d) for d in node.decorator_list):
                # a dataclass's fields are its parameters: docments reads the comment on each field's line
                where = f"annbook/{path.name}:{node.lineno} {node.name} (nbs/{_module_of_line(lines, node.lineno)})"
                for field in node.body:
                    if isinstance(field, ast.AnnAssign) and field.lineno in comments:
                        yield where, field.lineno, comments[field.lineno], {field.lineno: [ast.unparse(field.target)]}, None
                continue
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            a = node.args
            params: dict[int, list[str]] = {}
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None:
                    params.setdefault(arg.lineno, []).append(arg.arg)
            ret = node.returns.lineno if node.returns is not None else None
            end = node.body[0].lineno  # the signature ends on this line or before it
            if node.body[0].lineno > node.lineno and isinstance(node.body[0], ast.Expr):
                end -= 1
            where = f"annbook/{path.name}:{node.lineno} {node.name} (nbs/{_module_of_line(lines, node.lineno)})"
            for ln in range(node.lineno, end + 1):
                if ln in comments:
                    yield where, ln, comments[ln], params, ret


def test_signature_comments_have_no_backticks():
    """nbdev's docs processors turn a name in backticks into a Markdown link, also inside the signature
    code block that show_doc renders from the parameter comments, where it shows as literal text
    ([`name`](https://...)). Parameter comments say it in plain words."""
    found = [f"{where}: line {ln}: {text}" for where, ln, text, _, _ in _signature_comments() if "`" in text]
    assert found == [], "parameter comments with backticks:\n" + "\n".join(found)


def test_signature_comments_belong_to_their_parameter():
    """fastcore's docments (show_doc) gives a comment to the return value when the return annotation
    shares its line (`x) -> T: # ...`), and the parameter on that line loses it. The last parameter's
    comment goes on its own line, the closing `) -> T:` on the next."""
    found = [f"{where}: line {ln}: {', '.join(params[ln])}{') -> ...:'} {text}"
             for where, ln, text, params, ret in _signature_comments() if ln == ret and ln in params]
    assert found == [], "comments that show_doc attaches to the return value, not to their parameter:\n" + "\n".join(found)


def _public_symbols():
    import importlib
    import inspect
    for mod in MODULES:
        m = importlib.import_module(f"annbook.{mod}")
        for name in getattr(m, "__all__", []):
            obj = getattr(m, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"annbook.{mod}.{name}", obj
                if inspect.isclass(obj):
                    for meth_name, meth in vars(obj).items():
                        if inspect.isfunction(meth) and not meth_name.startswith("_") and meth.__doc__:
                            yield f"annbook.{mod}.{name}.{meth_name}", meth


_MD_LINK_TEXT = re.compile(r"\[`[^`\]]+`\]\([^)\s]+\)")


def test_show_doc_signatures_have_no_links():
    """show_doc's Markdown of every public function, class and method, run through nbdev's `add_links`
    processor (as nbdev_docs and tools/preview.py do): its signature code block holds no Markdown link."""
    from execnb.nbio import dict2nb
    from nbdev.processors import add_links
    from nbdev.showdoc import BasicMarkdownRenderer
    found = []
    for name, obj in _public_symbols():
        md = BasicMarkdownRenderer(obj)._repr_markdown_()
        nb = dict2nb({"cells": [{"cell_type": "code", "source": f"show_doc({name})", "metadata": {},
                                 "outputs": [{"output_type": "display_data", "metadata": {},
                                              "data": {"text/markdown": md.splitlines(keepends=True)}}]}],
                      "metadata": {}})
        cell = nb.cells[0]
        add_links(cell)
        text = "".join(cell.outputs[0].data["text/markdown"])
        for block in re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL):
            found += [f"{name}: {ln.strip()}" for ln in block.splitlines() if _MD_LINK_TEXT.search(ln)]
    assert found == [], "Markdown links inside show_doc signature blocks:\n" + "\n".join(found)
