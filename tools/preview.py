"""Build a local preview of the documentation site in _preview/, without Quarto.

    python tools/preview.py               # build _preview/ (open _preview/index.html)
    python tools/preview.py --if-stale    # do nothing if _preview/ is up to date with nbs/ and annbook/
    python tools/preview.py --only 00_core.ipynb tutorials/03_parity.ipynb   # a few pages, for a quick look
    python tools/preview.py --execute-inplace  # execute the notebooks in nbs/ in place (docs deploy, CI)

Every page in nbs/sidebar.yml (home page, tutorials, API notebooks) is built like this:

1. executed from a copy of nbs/ with nbclient, so outputs, figures and widget state are real;
   cells marked `#| eval: false` and the `nbdev_export()` cell are skipped, as nbdev_test does;
2. processed with nbdev's docs processors (`nbdev.processors.FilterDefaults`, the ones
   `nbdev_proc_nbs` applies before Quarto renders): hidden and exported cells go, show_doc
   tables appear, names in backticks link to their API page. (The order matters: nbdev's
   processed notebooks in _proc/ cannot be executed, exported and hidden cells are gone.)
3. converted to HTML by nbconvert (lab template) into _preview/<page>.html, page names as
   on the Quarto site (00_core.ipynb -> core.html), with a sidebar in the sidebar.yml order
   (a bar with a menu button below 992 px, as on the Quarto site), the site's nbs/styles.css and
   the site's nbs/widget-math.html (typesets saved HTMLMath widgets with MathJax 3), the two files
   _quarto.yml gives Quarto. `?theme=dark` (or the nav's button) shows a page with the
   dark theme's `body.quarto-dark` class, as Quarto's dark mode does.

Nothing comes from a CDN: require.js, @jupyter-widgets/html-manager@1 (draws the saved widget
state) and MathJax 3 (es5/tex-chtml-full.js, the component Quarto loads through pandoc) are
fetched once with `npm pack` into _preview/vendor/ and loaded by relative URL, so the pages work
from file:// and ask for nothing outside it. (MathJax 2 is fetched too, for the browser tests of
the MathJax 2 paths of the players and of nbs/widget-math.html; no page loads it.)
_preview/manifest.json lists the pages with their title, figure count, widget views, errors and
build time; tests/browser/test_docs_preview.py reads it.
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import html
import itertools
import json
import multiprocessing as mp
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from make_readme import process_notebook  # noqa: E402  (shared with the README)

OUT = REPO / "_preview"
RUN = "_run"          # copy of nbs/ the notebooks execute in (inside OUT)
STATE = ".state"      # Jupyter/IPython/npm scratch dirs (inside OUT), kept between builds
VENDOR = "vendor"     # npm-vendored JavaScript (inside OUT), kept between builds
VENDOR_PACKAGES = {   # folder -> npm spec. ipywidgets 8 needs html-manager 1.x; Quarto loads MathJax 3
    "html-manager": "@jupyter-widgets/html-manager@1",
    "requirejs": "requirejs@2",
    "mathjax": "mathjax@3",
    "mathjax2": "mathjax@2",   # no page loads it: the browser tests check the MathJax 2 paths with it
}
REQUIRE_JS = "vendor/requirejs/require.js"
WIDGET_RENDERER = "vendor/html-manager/dist/embed-amd.js"
# pandoc's default MathJax for HTML (defaultMathJaxURL), which Quarto keeps: mathjax@3 es5/tex-chtml-full.js
MATHJAX = "vendor/mathjax/es5/tex-chtml-full.js"
SITE_CSS = "styles.css"          # nbs/styles.css: _quarto.yml `format: html: css:`
SITE_SCRIPT = "widget-math.html"  # nbs/widget-math.html: _quarto.yml `format: html: include-after-body:`
CELL_TIMEOUT = 300    # seconds per cell
SKIP_TAG = "skip-execution"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# ------------------------------------------------------------------ the site's pages

def site_config():
    """(nbs path, doc URL prefix such as 'https://annbook.github.io/annbook/') from settings.ini."""
    from nbdev.config import get_config
    cfg = get_config(path=REPO)
    return Path(cfg.nbs_path), f"{cfg.doc_host.rstrip('/')}/{cfg.doc_baseurl.strip('/')}/"


def read_sidebar(nbs: Path) -> list[tuple[str | None, str]]:
    """[(section or None, notebook path relative to nbs/)] in the order of nbs/sidebar.yml."""
    import yaml
    doc = yaml.safe_load((nbs / "sidebar.yml").read_text(encoding="utf-8"))
    res = []

    def walk(items, section):
        for it in items:
            if isinstance(it, str):
                res.append((section, it))
            elif isinstance(it, dict) and "contents" in it:
                walk(it["contents"], it.get("section", section))
            elif isinstance(it, dict) and "href" in it:
                res.append((section, it["href"]))
    walk(doc["website"]["sidebar"]["contents"], None)
    return res


def list_notebooks(nbs: Path) -> list[str]:
    """Notebooks under nbs/ the way nbdev finds them (no folders or files starting with _ or .)."""
    found = []
    for p in sorted(nbs.rglob("*.ipynb")):
        rel = p.relative_to(nbs)
        if any(part.startswith(("_", ".")) for part in rel.parts):
            continue
        found.append(rel.as_posix())
    return found


def html_name(src: str) -> str:
    """The page's file name on the Quarto site: nbdev drops the number prefix (00_core.ipynb -> core.html)."""
    from nbdev.doclinks import _nbpath2html
    return _nbpath2html(Path(src)).as_posix()


def fingerprint(nbs: Path) -> str:
    """Hash of everything a page depends on: notebooks and assets, the package, these tools, settings."""
    h = hashlib.sha256()
    files = [p for p in nbs.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts]
    files += list((REPO / "annbook").rglob("*.py")) + [HERE / "preview.py", HERE / "make_readme.py",
                                                       REPO / "settings.ini"]
    for p in sorted(files):
        h.update(p.relative_to(REPO).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


# ------------------------------------------------------------------ vendored JavaScript

def vendor(out: Path) -> Path:
    """require.js, html-manager and MathJax under out/vendor, fetched once with `npm pack`."""
    dest = out / VENDOR
    if (dest / ".complete").exists() and json.loads((dest / ".complete").read_text()) == VENDOR_PACKAGES:
        return dest
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: it is needed once to fetch require.js, @jupyter-widgets/html-manager "
                         "and MathJax into _preview/vendor (apt-get install npm)")
    state = out / STATE
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tempfile.TemporaryDirectory(dir=out) as tmp:
        tmp = Path(tmp)
        print(f"vendoring {', '.join(VENDOR_PACKAGES.values())} with npm pack ...", flush=True)
        r = subprocess.run([npm, "pack", "--silent", "--cache", str(state / "npm-cache"),
                            "--logs-dir", str(state / "npm-logs"), *VENDOR_PACKAGES.values()],
                           cwd=tmp, capture_output=True, text=True, timeout=600)
        if r.returncode:
            raise SystemExit(f"npm pack failed:\n{r.stderr[-2000:]}")
        tarballs = r.stdout.split()
        if len(tarballs) != len(VENDOR_PACKAGES):
            raise SystemExit(f"npm pack: expected {len(VENDOR_PACKAGES)} tarballs, got {tarballs}")
        for folder, tgz in zip(VENDOR_PACKAGES, tarballs):
            with tarfile.open(tmp / tgz) as tf:
                try:
                    tf.extractall(tmp / folder, filter="data")
                except TypeError:  # Python without extraction filters (< 3.10.12 / 3.11.4)
                    tf.extractall(tmp / folder)
            (tmp / folder / "package").rename(dest / folder)
    (dest / ".complete").write_text(json.dumps(VENDOR_PACKAGES))
    return dest


# ------------------------------------------------------------------ executing and converting one page

def _isolate(out: Path) -> None:
    """Keep Jupyter/IPython scratch files out of $HOME (kernels inherit this environment)."""
    for var, sub in [("JUPYTER_RUNTIME_DIR", "jupyter-runtime"), ("IPYTHONDIR", "ipython")]:
        d = out / STATE / sub
        d.mkdir(parents=True, exist_ok=True)
        os.environ[var] = str(d)
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def _skipped(cell) -> bool:
    """Cells nbdev_test does not run: `#| eval: false` and the `nbdev_export()` cell."""
    if cell.cell_type != "code":
        return False
    if "nbdev_export" + "()" in cell.source:
        return True
    lines = [ln.strip() for ln in cell.source.splitlines() if ln.strip()]
    for ln in lines:
        if not ln.startswith("#|"):
            break
        if re.match(r"#\|\s*eval\s*:\s*false\s*$", ln, flags=re.IGNORECASE):
            return True
    return False


def execute(path: Path, timeout: int = CELL_TIMEOUT):
    """Execute the notebook at `path` (working directory: its folder), skipping the cells
    nbdev_test skips. Returns (executed notebook, seconds)."""
    import nbformat
    from nbclient import NotebookClient
    from traitlets.config import Config
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if _skipped(cell):
            cell.metadata.setdefault("tags", []).append(SKIP_TAG)
    # IPC sockets instead of TCP (ipykernel warns about unencrypted TCP); a short path in /tmp,
    # since a socket path may not exceed ~100 characters. The kernel manager removes them.
    c = Config()
    c.KernelManager.transport = "ipc"
    c.KernelManager.ip = str(Path(tempfile.gettempdir()) / f"annbook-kernel-{os.getpid()}-{time.monotonic_ns()}")
    t0 = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True, config=c,
                   skip_cells_with_tag=SKIP_TAG,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - t0
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if SKIP_TAG in tags:
            tags.remove(SKIP_TAG)
            if not tags:
                del cell.metadata["tags"]
    return nb, seconds


def _errors(nb) -> list[str]:
    return [f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
            for i, c in enumerate(nb.cells) if c.cell_type == "code"
            for o in c.get("outputs", []) if o.get("output_type") == "error"]


# nbconvert's HTML display priority: an output shows the first of these it has
_PRIORITY = ["application/vnd.jupyter.widget-view+json", "application/javascript", "text/html",
             "text/markdown", "image/svg+xml", "text/vnd.mermaid", "text/latex", "image/png",
             "image/jpeg", "text/plain"]


def _shown(output) -> str | None:
    data = output.get("data", {})
    return next((m for m in _PRIORITY if m in data), None)


def _count(nb, mime: str) -> int:
    """How many outputs of the (processed) notebook the HTML page shows as `mime`."""
    return sum(_shown(o) == mime for c in nb.cells if c.cell_type == "code"
               for o in c.get("outputs", []))


def build_page(src: str, out: str) -> dict:
    """Execute, process and convert one page (runs in a worker process)."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    out = Path(out)
    _isolate(out)
    os.chdir(REPO)  # nbdev's processors read settings.ini from here
    run_path = out / RUN / src
    res = {"src": src, "html": html_name(src), "errors": [], "seconds": None}
    try:
        nb, res["seconds"] = execute(run_path)
        res["errors"] = _errors(nb)
        executed = run_path.with_name(run_path.stem + ".executed.ipynb")
        nbformat.write(nb, executed)
        page, fm = process_notebook(executed, src_name=run_path.name)
        executed.unlink()
        res["title"], res["description"] = fm.get("title"), fm.get("description", "")
        res["figures"] = _count(page, "image/png")
        res["widget_views"] = _count(page, WIDGET_VIEW)
        page.metadata["title"] = res["title"]
        rel = posixpath.relpath(".", posixpath.dirname(res["html"]) or ".")
        rel = "" if rel == "." else rel + "/"
        c = Config()
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.HTMLExporter.require_js_url = rel + REQUIRE_JS
        c.HTMLExporter.widget_renderer_url = rel + WIDGET_RENDERER
        c.HTMLExporter.mathjax_url = rel + MATHJAX
        exporter = HTMLExporter(config=c, template_name="lab", template_file=_TEMPLATE_NAME,
                                extra_loaders=[_template_loader()])
        exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={"remove_input"}), enabled=True)
        body, _ = exporter.from_notebook_node(page)
        res["body"] = body
    except Exception as e:  # report, keep building the other pages
        import traceback
        res["errors"].append(f"build failed: {type(e).__name__}: {e}")
        res["traceback"] = traceback.format_exc()
        res.setdefault("title", Path(src).stem)
    return res


# nbconvert's lab template configures MathJax 2; the site has MathJax 3 with pandoc's settings.
# One difference: pandoc turns the Markdown's $...$ into \(...\) before MathJax sees the page, nbconvert
# leaves $...$ in the page, so here MathJax 3 also reads $...$ - but not inside saved widget views
# (ignoreHtmlClass), which on the site only nbs/widget-math.html typesets, and so here too.
_TEMPLATE_NAME = "annbook-preview.html.j2"
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mathjax -%}
<script>
window.MathJax = {
  tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']], displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
        processEscapes: true, processEnvironments: true},
  options: {ignoreHtmlClass: 'tex2jax_ignore|jupyter-widgets'}
};
</script>
<script src="{{ resources.mathjax_url }}" type="text/javascript"></script>
{%- endblock html_head_js_mathjax -%}
"""


def _template_loader():
    import jinja2
    return jinja2.DictLoader({_TEMPLATE_NAME: _TEMPLATE})


# ------------------------------------------------------------------ site chrome: sidebar, links

# The preview's own chrome: a sidebar like the Quarto site's (a fixed column from 992 px, Bootstrap's
# lg breakpoint where Quarto's sidebar stops being a column; below it a bar whose button shows the
# page list above the page), and what nbconvert's JupyterLab markup needs to behave like the site's
# (code that scrolls instead of being cut off, the dark theme's page colours). What the site needs
# as well is in nbs/styles.css, which every page loads after this.
_CSS = """
body.jp-Notebook { margin: 0; }
nav.annbook-preview-nav { position: fixed; top: 0; left: 0; bottom: 0; width: 250px; overflow-y: auto;
  box-sizing: border-box; padding: 1rem 0.75rem; background: #f7f7f9; border-right: 1px solid #e3e3e8;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; z-index: 10; }
nav.annbook-preview-nav .brand { font-size: 1.3rem; font-weight: 600; margin-bottom: 0.2rem; }
nav.annbook-preview-nav .brand a { color: #2780e3; text-decoration: none; }
nav.annbook-preview-nav .note { color: #777; font-size: 0.8rem; margin-bottom: 1rem; }
nav.annbook-preview-nav .annbook-theme-toggle { font: inherit; font-size: 0.75rem; margin-left: 0.4rem;
  padding: 0 0.4rem; border: 1px solid #bbb; border-radius: 3px; background: transparent; color: inherit;
  cursor: pointer; }
nav.annbook-preview-nav .annbook-nav-toggle { position: absolute; opacity: 0; pointer-events: none; }
nav.annbook-preview-nav .annbook-nav-button { display: none; cursor: pointer; user-select: none;
  padding: 0.2rem 0.6rem; border: 1px solid #bbb; border-radius: 4px; }
nav.annbook-preview-nav .annbook-nav-toggle:focus-visible + .annbook-nav-button { outline: 2px solid #2780e3; }
nav.annbook-preview-nav ul { list-style: none; margin: 0; padding: 0; }
nav.annbook-preview-nav li.section { margin-top: 0.9rem; font-weight: 600; color: #444; }
nav.annbook-preview-nav li.section ul { font-weight: normal; margin-top: 0.2rem; }
nav.annbook-preview-nav a { display: block; padding: 0.15rem 0.4rem; border-radius: 4px; color: #333;
  text-decoration: none; }
nav.annbook-preview-nav a:hover { background: #e8eef7; }
nav.annbook-preview-nav a.active { background: #2780e3; color: #fff; }
body.jp-Notebook > main { margin-left: 250px; max-width: 1100px; padding: 1rem 2rem 4rem 2rem;
  box-sizing: border-box; min-width: 0; }
@media (max-width: 991.98px) {
  nav.annbook-preview-nav { position: static; width: auto; bottom: auto; overflow: visible; display: flex;
    flex-wrap: wrap; align-items: center; gap: 0.25rem 1rem; padding: 0.5rem 1rem; border-right: none;
    border-bottom: 1px solid #e3e3e8; }
  nav.annbook-preview-nav .brand, nav.annbook-preview-nav .note { margin: 0; }
  nav.annbook-preview-nav .annbook-nav-button { display: inline-block; margin-left: auto; }
  nav.annbook-preview-nav > ul { display: none; flex-basis: 100%; padding-bottom: 0.5rem; }
  nav.annbook-preview-nav .annbook-nav-toggle:checked ~ ul { display: block; }
  body.jp-Notebook > main { margin-left: 0; padding: 1rem 1rem 3rem 1rem; }
}
/* JupyterLab's input areas hide what overflows them: the code itself scrolls instead */
.jp-InputArea-editor, .jp-InputArea-editor .cm-editor, .jp-InputArea-editor .highlight { min-width: 0; max-width: 100%; }
.jp-InputArea-editor pre { overflow-x: auto; }
.jp-Cell, .jp-Cell-inputWrapper, .jp-Cell-outputWrapper, .jp-InputArea, .jp-OutputArea, .jp-OutputArea-child,
.jp-OutputArea-output { min-width: 0; max-width: 100%; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jupyter-widgets { font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1); }
/* the dark theme: Quarto's darkly colours for the page (the widgets' are in nbs/styles.css) */
body.quarto-dark { background: #222; color: #fff; --jp-cell-editor-background: #2b2b2b;
  --jp-cell-editor-border-color: #444; --jp-rendermime-table-row-background: #2b2b2b;
  --jp-rendermime-table-row-hover-background: #375a7f; --jp-content-link-color: #6ea8fe;
  --jp-mirror-editor-variable-color: #f8f9fa; --jp-mirror-editor-punctuation-color: #adb5bd;
  --jp-mirror-editor-operator-color: #d2a8ff; --jp-mirror-editor-keyword-color: #ff7b72;
  --jp-mirror-editor-number-color: #7ee787; --jp-mirror-editor-string-color: #a5d6ff;
  --jp-mirror-editor-builtin-color: #79c0ff; --jp-mirror-editor-def-color: #d2a8ff;
  --jp-mirror-editor-comment-color: #8b949e; --jp-mirror-editor-meta-color: #d2a8ff; }
body.quarto-dark nav.annbook-preview-nav { background: #2b2b2b; border-color: #444; color: #dee2e6; }
body.quarto-dark nav.annbook-preview-nav a, body.quarto-dark nav.annbook-preview-nav li.section { color: #dee2e6; }
body.quarto-dark nav.annbook-preview-nav a:hover { background: #375a7f; }
body.quarto-dark nav.annbook-preview-nav a.active { background: #375a7f; color: #fff; }
body.quarto-dark nav.annbook-preview-nav .brand a { color: #6ea8fe; }
body.quarto-dark .jp-RenderedHTMLCommon code, body.quarto-dark .jp-RenderedHTMLCommon pre { background: #2b2b2b; color: #f8f9fa; }
body.quarto-dark .highlight { background: #2b2b2b; color: #f8f9fa; }
"""

# Before anything is drawn: the theme from ?theme=dark|light, else the one last chosen with the nav's
# button (localStorage), else light; on <body> as Quarto's dark mode marks it (quarto-dark / quarto-light).
_THEME_JS = """<script>
(function () {
  var KEY = "annbook-preview-theme", b = document.body, q = /[?&]theme=(dark|light)\\b/.exec(location.search), t;
  try { t = q ? q[1] : (localStorage.getItem(KEY) || "light"); } catch (e) { t = q ? q[1] : "light"; }
  function set(theme) {
    b.classList.toggle("quarto-dark", theme === "dark"); b.classList.toggle("quarto-light", theme !== "dark");
    var btn = document.querySelector(".annbook-theme-toggle");
    if (btn) btn.textContent = theme === "dark" ? "light" : "dark";
  }
  set(t);
  document.addEventListener("DOMContentLoaded", function () {
    set(t);
    var btn = document.querySelector(".annbook-theme-toggle");
    if (btn) btn.addEventListener("click", function () {
      t = b.classList.contains("quarto-dark") ? "light" : "dark"; set(t);
      try { localStorage.setItem(KEY, t); } catch (e) {}
    });
  });
})();
</script>"""


def nav_html(pages: list[dict], current: dict) -> str:
    """The sidebar, in sidebar.yml order, with links relative to `current`."""
    here = posixpath.dirname(current["html"]) or "."

    def link(p):
        cls = ' class="active"' if p is current else ""
        href = posixpath.relpath(p["html"], here)
        return f'<li><a href="{html.escape(href)}"{cls}>{html.escape(p["title"])}</a></li>'
    items = []
    for section, group in itertools.groupby(pages, key=lambda p: p["section"]):
        links = "".join(link(p) for p in group)
        items.append(links if section is None else
                     f'<li class="section">{html.escape(section)}<ul>{links}</ul></li>')
    home = posixpath.relpath("index.html", here)
    return (f'<nav class="annbook-preview-nav"><div class="brand"><a href="{home}">annbook</a></div>'
            f'<div class="note">documentation preview<button type="button" class="annbook-theme-toggle" '
            f'title="switch between the light and the dark theme">dark</button></div>'
            f'<input type="checkbox" id="annbook-nav-toggle" class="annbook-nav-toggle" aria-label="show the pages">'
            f'<label for="annbook-nav-toggle" class="annbook-nav-button">&#9776; Pages</label>'
            f'<ul>{"".join(items)}</ul></nav>')


def _fix_links(body: str, page: dict, doc_url: str) -> str:
    """Links as on the site: a.ipynb -> a.html (relative), and the site's absolute URLs -> relative."""
    here = posixpath.dirname(page["html"]) or "."

    def fix(m):
        target = m.group(2)
        if target.startswith(doc_url):
            path, sep, frag = target[len(doc_url):].partition("#")
            target = posixpath.relpath(path or "index.html", here) + sep + frag
        elif not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#|^/", target):
            path, sep, frag = target.partition("#")
            if path.endswith(".ipynb"):
                src = posixpath.normpath(posixpath.join(posixpath.dirname(page["src"]), path))
                target = posixpath.relpath(html_name(src), here) + sep + frag
        return m.group(1) + target + m.group(3)
    return re.sub(r"""(\bhref=["'])([^"']+)(["'])""", fix, body)


# Quarto link attributes (nbdev's show_doc writes `[source](url){target="_blank" ...}`): the preview's
# markdown renderer leaves them as text after the link; Quarto turns them into attributes.
_QUARTO_ATTRS = re.compile(r'(</a>)\{target="_blank"[^}]*\}')


def decorate(page: dict, pages: list[dict], doc_url: str, site_script: str = "") -> str:
    """The page as the preview shows it: links as on the site, the sidebar, the site's CSS and script."""
    body = _fix_links(page["body"], page, doc_url)
    body = _QUARTO_ATTRS.sub(r'\1', body)
    rel = posixpath.relpath(".", posixpath.dirname(page["html"]) or ".")
    rel = "" if rel == "." else rel + "/"
    # html-manager looks for its icon fonts next to its modules' require.js URLs: point those at
    # the vendored copy (the modules are defined by embed-amd.js itself, nothing else is fetched)
    dist = rel + posixpath.dirname(WIDGET_RENDERER)
    paths = json.dumps({"@jupyter-widgets/html-manager/dist": dist, "@jupyter-widgets": dist})
    assets = (f'<script>window.__jupyter_widgets_assets_path__ = "{dist}/";\n'
              f'if (window.require && window.require.config) {{ require.config({{paths: {paths}}}); }}</script>')
    css = f'<link rel="stylesheet" href="{rel}{SITE_CSS}">'
    body = body.replace("</head>", f"{assets}\n<style>{_CSS}</style>\n{css}\n</head>", 1)
    body = re.sub(r"(<body\b[^>]*>)", lambda m: m.group(1) + "\n" + _THEME_JS + "\n" + nav_html(pages, page),
                  body, count=1)
    head, sep, tail = body.rpartition("</body>")
    return head + site_script + "\n" + sep + tail if sep else body + site_script


# ------------------------------------------------------------------ main

def _copy_tree(nbs: Path, dest: Path) -> None:
    shutil.copytree(nbs, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))


def _copy_assets(nbs: Path, out: Path) -> None:
    """Images and other files the pages refer to by relative path (as nbdev_proc_nbs copies them)."""
    for p in nbs.rglob("*"):
        rel = p.relative_to(nbs)
        if (p.is_file() and p.suffix != ".ipynb"
                and not any(part.startswith(("_", ".")) for part in rel.parts)):
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, out / rel)


class _Lock:
    """One build of _preview/ at a time (a second one waits)."""
    def __enter__(self):
        (OUT / STATE).mkdir(parents=True, exist_ok=True)
        self.fh = open(OUT / STATE / "build.lock", "w")
        try:
            import fcntl
        except ImportError:  # Windows: no lock
            return self
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            print("waiting for another build of _preview/ to finish ...", flush=True)
            fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.fh.close()  # releases the lock


def build(only: list[str] | None = None, workers: int = 2, if_stale: bool = False) -> int:
    with _Lock():
        return _build(only, workers, if_stale)


def _build(only: list[str] | None, workers: int, if_stale: bool) -> int:
    os.chdir(REPO)
    nbs, doc_url = site_config()
    sidebar = read_sidebar(nbs)
    on_disk = list_notebooks(nbs)
    listed = [s for _, s in sidebar]
    fp = fingerprint(nbs)
    manifest_path = OUT / "manifest.json"
    if if_stale and not only and manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("fingerprint") == fp and not old.get("partial") and all(
                (OUT / p["html"]).exists() for p in old["pages"] if p.get("built")):
            print(f"{OUT.relative_to(REPO)}/ is up to date")
            return 1 if any(p["errors"] for p in old["pages"]) else 0
    pages = [{"src": s, "section": sec} for sec, s in sidebar if s in on_disk]
    pages += [{"src": s, "section": "Not in sidebar.yml"} for s in on_disk if s not in listed]
    if only:
        unknown = sorted(set(only) - {p["src"] for p in pages})
        if unknown:
            raise SystemExit(f"--only: no such page {unknown}; pages: {[p['src'] for p in pages]}")
        pages = [p for p in pages if p["src"] in only]

    OUT.mkdir(exist_ok=True)
    vendor(OUT)
    for p in OUT.iterdir():  # keep vendor/ and .state/ between builds
        if p.name not in (VENDOR, STATE):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    _copy_tree(nbs, OUT / RUN)
    _copy_assets(nbs, OUT)

    t0 = time.perf_counter()
    # the worker function by its module name: IPython (run by nbdev's processors) replaces the
    # workers' sys.modules['__main__'], so `__main__.build_page` could not be found again
    import preview
    ctx = mp.get_context("spawn")
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(preview.build_page, p["src"], str(OUT)): p for p in pages}
        for fut in cf.as_completed(futures):
            p = futures[fut]
            p.update(fut.result())
            status = "ok" if not p["errors"] else f"{len(p['errors'])} error(s)"
            secs = f"{p['seconds']:.1f} s" if p.get("seconds") is not None else "-"
            print(f"  {p['src']:<40} -> {p['html']:<32} {secs:>8}  {p.get('figures', 0)} figure(s)  {status}",
                  flush=True)
    site_script = (nbs / SITE_SCRIPT).read_text(encoding="utf-8")
    for p in pages:
        p["built"] = "body" in p
        if p["built"]:
            dest = OUT / p["html"]
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(decorate(p, pages, doc_url, site_script), encoding="utf-8")
            del p["body"]
    shutil.rmtree(OUT / RUN, ignore_errors=True)
    missing = [s for s in listed if s not in on_disk]
    manifest = {"fingerprint": fp, "partial": bool(only), "pages": pages,
                "missing_from_nbs": missing, "not_in_sidebar": [s for s in on_disk if s not in listed],
                "vendor": VENDOR_PACKAGES, "seconds": round(time.perf_counter() - t0, 1)}
    manifest_path.write_text(json.dumps(manifest, indent=1))

    print(f"built {len(pages)} page(s) in {manifest['seconds']} s: {OUT.relative_to(REPO)}/index.html")
    if missing:
        print(f"listed in sidebar.yml but not in {nbs.relative_to(REPO)}/: {', '.join(missing)}")
    if manifest["not_in_sidebar"]:
        print(f"not listed in sidebar.yml: {', '.join(manifest['not_in_sidebar'])}")
    bad = [p for p in pages if p["errors"]]
    for p in bad:
        print(f"ERRORS in {p['src']}:", *p["errors"], sep="\n  ", file=sys.stderr)
        if p.get("traceback"):
            print(p["traceback"], file=sys.stderr)
    return 1 if bad else 0


def execute_and_save(src: str) -> tuple[str, float, list[str]]:
    """Execute nbs/`src` in place (runs in a worker process)."""
    import nbformat
    nbs, _ = site_config()
    _isolate(OUT)
    nb, secs = execute(nbs / src)
    nbformat.write(nb, nbs / src)
    return src, secs, _errors(nb)


def execute_inplace(only: list[str] | None = None, workers: int = 2) -> int:
    """Execute the notebooks in nbs/ in place, as the pages are executed for the preview. For the
    docs deploy: Quarto renders the outputs saved in the notebooks and executes nothing itself."""
    os.chdir(REPO)
    nbs, _ = site_config()
    srcs = only or list_notebooks(nbs)
    import preview  # by module name, see _build
    bad = 0
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        for src, secs, errs in pool.map(preview.execute_and_save, srcs):
            print(f"  {src:<40} {secs:6.1f} s  {'ok' if not errs else errs}", flush=True)
            bad += bool(errs)
    return 1 if bad else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--if-stale", action="store_true", help="skip the build if _preview/ is up to date")
    ap.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="build only these pages (paths relative to nbs/)")
    ap.add_argument("--workers", type=int, default=2, help="pages built in parallel (default 2)")
    ap.add_argument("--execute-inplace", action="store_true",
                    help="execute the notebooks in nbs/ in place instead of building the preview")
    args = ap.parse_args(argv)
    if args.execute_inplace:
        return execute_inplace(args.only, args.workers)
    return build(args.only, args.workers, args.if_stale)


if __name__ == "__main__":
    sys.exit(main())
