"""Write README.md from nbs/index.ipynb, without Quarto.

    python tools/make_readme.py               # run nbs/index.ipynb, save its outputs, write README.md
    python tools/make_readme.py --no-execute  # write README.md from the outputs saved in the notebook
    python tools/make_readme.py --check       # exit 1 and show a diff if README.md is out of date

`nbdev_readme` needs Quarto. This script does the same two steps without it:

1. nbdev's own notebook processors (`nbdev.processors.FilterDefaults`, the ones `nbdev_proc_nbs`
   applies before Quarto renders a page): `#| hide` and exported cells are dropped, nbdev
   directives are removed, the H1 and `> summary` become the title, names in backticks link to
   the API pages.
2. nbconvert's `MarkdownExporter` writes GitHub markdown from the outputs saved in the notebook
   (as nbdev_readme does; the documentation site shows the same outputs). Image outputs are
   refused: the README keeps pictures as committed files under nbs/images/, referenced by a
   relative path.

Before that, unless `--no-execute`, nbs/index.ipynb is executed (as tools/preview.py executes
pages: `#| eval: false` cells are skipped) and saved with its new outputs, cleaned as
`nbdev_clean` cleans it. tests/test_project.py checks that the saved outputs are current and
that README.md matches them.

Links to notebooks become links to their pages on the documentation site, and images absolute URLs of\nthe files in the repository, so that the README reads the same on GitHub and on PyPI.
The helpers here (`process_notebook`, `rewrite_links`) are shared with tools/preview.py.
"""
from __future__ import annotations

import argparse
import difflib
import os
import posixpath
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tools/preview.py

# Quarto cell options that nbdev leaves in a cell after removing its own directives.
_QUARTO_OPT = re.compile(r"^\s*#\s*\|\s*([\w-]+)\s*:\s*(.*?)\s*$")
_FENCED_DIV = re.compile(r"^\s*:::.*$", re.MULTILINE)
_FRONTMATTER = re.compile(r"^---\s*\n(.*?)\n---\s*$", re.DOTALL)
# markdown links/images `](target)` and HTML `src="target"` / `href="target"`
_MD_LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
_HTML_LINK = re.compile(r"""((?:src|href)=["'])([^"']+)(["'])""")


def nbdev_config():
    """nbdev's configuration of this repository (settings.ini)."""
    from nbdev.config import get_config
    return get_config(path=REPO)


def _cell_options(source: str) -> tuple[dict, str]:
    """Split the leading Quarto `#| key: value` lines off a code cell; return (options, rest)."""
    import yaml
    lines = source.splitlines(keepends=True)
    opts, i = {}, 0
    while i < len(lines) and (m := _QUARTO_OPT.match(lines[i])):
        try:
            opts[m.group(1)] = yaml.safe_load(m.group(2)) if m.group(2) else None
        except yaml.YAMLError:
            opts[m.group(1)] = m.group(2)
        i += 1
    return opts, "".join(lines[i:])


def apply_cell_options(nb) -> None:
    """Do what Quarto would do with the cell options nbdev leaves in place (`echo`, `include`,
    `output`), and drop the fenced-div lines (`:::`) Quarto uses for layout."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            opts, cell.source = _cell_options(cell.source)
            if opts.get("include") is False:
                continue
            if opts.get("output") is False:
                cell.outputs = []
            if opts.get("echo") is False:
                cell.metadata.setdefault("tags", []).append("remove_input")
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        elif cell.cell_type == "markdown":
            cell.source = _FENCED_DIV.sub("", cell.source).strip("\n")
            if not cell.source.strip():
                continue
        cells.append(cell)
    nb.cells = cells


def process_notebook(path: Path, src_name: str | None = None):
    """Run nbdev's docs processors on the notebook at `path`, as `nbdev_proc_nbs` does.

    Returns (notebook as an nbformat node, frontmatter dict with at least 'title').
    The title block (H1 + `> summary`, turned into frontmatter by nbdev) comes back as the
    first markdown cell. `src_name` is the notebook's name in nbs/ when `path` is a copy."""
    import nbformat
    from execnb.nbio import nb2str, read_nb
    from nbdev.processors import FilterDefaults

    nb = read_nb(path)
    if src_name:
        nb["path_"] = str(Path(path).with_name(Path(src_name).name))
    old = os.environ.get("IN_TEST")
    os.environ["IN_TEST"] = "1"  # as nbdev.serve_drv does while processing
    try:
        FilterDefaults()(nb)
    finally:
        if old is None:
            os.environ.pop("IN_TEST", None)
        else:
            os.environ["IN_TEST"] = old
    fm = dict(getattr(nb, "frontmatter_", {}) or {})
    node = nbformat.reads(nb2str(nb), as_version=4)
    # nbdev puts the frontmatter into a raw cell for Quarto; turn it back into a title block
    node.cells = [c for c in node.cells
                  if not (c.cell_type == "raw" and _FRONTMATTER.match(c.source.strip()))]
    fm.setdefault("title", Path(src_name or path).stem)
    head = f"# {fm['title']}"
    if fm.get("description"):
        head += f"\n\n> {fm['description']}"
    node.cells.insert(0, nbformat.v4.new_markdown_cell(head))
    apply_cell_options(node)
    return node, fm


def rewrite_links(text: str, fix) -> str:
    """Apply `fix(target) -> target` to every relative link or image target in `text`."""
    def _relative(t: str) -> bool:
        return not (re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", t) or t.startswith(("#", "/")))

    def _sub(m):
        target = m.group(2)
        return m.group(1) + (fix(target) if _relative(target) else target) + m.group(3)
    return _HTML_LINK.sub(_sub, _MD_LINK.sub(_sub, text))


def _readme_target(target: str, nbs_rel: str, site: str, raw: str) -> str:
    """Where a link of the index points from README.md (the PyPI page too): a notebook to its page on the
    documentation site, an image to its file in the repository, anything else to the repository."""
    from preview import html_name  # tools/preview.py: the page names of the Quarto site
    path, sep, frag = target.partition("#")
    if path.endswith(".ipynb"):
        return f"{site}/{html_name(posixpath.normpath(path))}" + sep + frag
    if posixpath.splitext(path)[1].lower() in (".png", ".jpg", ".jpeg", ".gif", ".svg"):
        return f"{raw}/{posixpath.normpath(posixpath.join(nbs_rel, path))}"
    return posixpath.normpath(posixpath.join(nbs_rel, path)) + sep + frag


_TEMPLATE = r"""{%- extends 'index.md.j2' -%}
{% block input %}
``` python
{{ cell.source }}
```
{% endblock input %}
{% block stream %}
```
{{ output.text | trim('\n') }}
```
{% endblock stream %}
{% block data_text scoped %}
```
{{ output.data['text/plain'] | trim('\n') }}
```
{% endblock data_text %}
"""


def render_readme() -> str:
    """README.md's text, from nbs/index.ipynb."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import MarkdownExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    cfg = nbdev_config()
    nbs = Path(cfg.nbs_path)
    src = nbs / cfg.readme_nb
    nb, _ = process_notebook(src)
    images = [(i, k) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) for k in o.get("data", {}) if k.startswith("image/")]
    if images:
        raise SystemExit(f"{src.name}: cell outputs with images {images} - the README keeps no binary "
                         "images; save the picture under nbs/images/ and show it from a markdown cell")
    nbs_rel = nbs.relative_to(cfg.config_path).as_posix()
    site = cfg.doc_host.rstrip("/") + "/" + cfg.doc_baseurl.strip("/")
    raw = cfg.git_url.replace("https://github.com/", "https://raw.githubusercontent.com/").rstrip("/") + "/" + cfg.branch
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = rewrite_links(cell.source, lambda t: _readme_target(t, nbs_rel, site, raw))
    nbformat.validate(nb)
    exporter = MarkdownExporter(extra_loaders=[DictLoader({"annbook_readme.md.j2": _TEMPLATE})],
                                template_file="annbook_readme.md.j2")
    tags = TagRemovePreprocessor(remove_input_tags={"remove_input"}, enabled=True)
    exporter.register_preprocessor(tags, enabled=True)
    body, _ = exporter.from_notebook_node(nb)
    body = "\n".join(line.rstrip() for line in body.splitlines())
    body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
    return body


def execute_index() -> bool:
    """Execute nbs/index.ipynb and save it with its outputs, cleaned like nbdev_clean does.
    Returns whether the file changed."""
    import json
    import nbformat
    from execnb.nbio import write_nb
    from nbdev.clean import _nbdev_clean
    from preview import execute  # tools/preview.py

    cfg = nbdev_config()
    path = Path(cfg.nbs_path) / cfg.readme_nb
    before = path.read_bytes()
    nb, _ = execute(path)
    errors = [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        raise SystemExit(f"{path.name} raised while executing: {errors}")
    nb = json.loads(nbformat.writes(nb))
    _nbdev_clean(nb)
    write_nb(nb, path)
    return path.read_bytes() != before


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if README.md is out of date")
    ap.add_argument("--no-execute", action="store_true", help="use the outputs saved in nbs/index.ipynb")
    args = ap.parse_args(argv)
    os.chdir(REPO)  # nbdev finds settings.ini from the working directory
    if not (args.check or args.no_execute):
        print(f"executed nbs/index.ipynb: {'outputs updated' if execute_index() else 'outputs unchanged'}")
    new = render_readme()
    readme = REPO / "README.md"
    old = readme.read_text(encoding="utf-8") if readme.exists() else ""
    if args.check:
        if old == new:
            print("README.md is up to date")
            return 0
        sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), new.splitlines(True),
                                                   "README.md (committed)", "README.md (from nbs/index.ipynb)"))
        print("\nREADME.md is out of date: run `make readme` (python tools/make_readme.py)", file=sys.stderr)
        return 1
    if old != new:
        readme.write_text(new, encoding="utf-8")
        print("wrote README.md")
    else:
        print("README.md unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
