"""The documentation pages, as built by tools/preview.py, in headless Chromium with no kernel.

The preview executes every page listed in nbs/sidebar.yml, runs nbdev's docs processors on it
and converts it to HTML in _preview/ (see tools/preview.py). This is what a reader of the site
sees, so it is checked in a real browser, from file://:

* the page built, and shows no error or traceback output;
* every figure is there and loaded (at least one <img> per image output of the executed notebook);
* saved ipywidgets state is drawn by the vendored html-manager (no kernel);
* the kernel-free step players (annbook.player) step when their buttons are clicked, and show
  their equations typeset;
* the page requests nothing outside file:// (no CDN), every file it asks for loads (scripts,
  fonts, images), and it raises no JavaScript error;
* at 1400 px and at 700 px wide: no code block is cut off (each one fits or scrolls), text
  outputs do not break inside words, the page itself never scrolls sideways, and no code block
  shows a Markdown link as text (nbdev links names in backticks, also in show_doc's signatures);
* relative links between pages lead to files that exist.

Across pages: the preview loads what Quarto loads (MathJax 3), and the saved HTMLMath widgets are
typeset by the site's nbs/widget-math.html; with the dark theme (body.quarto-dark, `?theme=dark`)
widget text, inputs and players are light on dark; the saved dashboards show their note that
they need a kernel, and their controls take no clicks.

Screenshots of each page at both widths go to artifacts/screenshots/docs_preview/.
The preview is reused when _preview/manifest.json says it was built from the current sources.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from playwright.sync_api import expect

REPO = Path(__file__).resolve().parents[2]
PREVIEW = REPO / "_preview"
sys.path.insert(0, str(REPO / "tools"))
import preview as preview_tool  # noqa: E402

MAX_PAGE_SECONDS = 60   # execution time of one page in the preview build
MAX_PLAYERS = 6         # players clicked through per page (the rest are only checked to be drawn)
WIDTHS = (1400, 700)    # a desktop window, and one below Quarto's 992 px breakpoint (sidebar not a column)
WIDGETS_PAGE = "19_widgets.ipynb"


def _pages() -> list[str]:
    """Pages the preview builds, in sidebar order (collected before the build, for test ids)."""
    nbs = REPO / "nbs"
    on_disk = preview_tool.list_notebooks(nbs)
    listed = [src for _, src in preview_tool.read_sidebar(nbs)]
    return [s for s in listed if s in on_disk] + [s for s in on_disk if s not in listed]


@pytest.fixture(scope="session")
def site() -> dict:
    """Build _preview/ (or reuse it when it is up to date); return its manifest."""
    r = subprocess.run([sys.executable, str(REPO / "tools" / "preview.py"), "--if-stale"], cwd=REPO,
                       capture_output=True, text=True, timeout=3600)
    manifest_path = PREVIEW / "manifest.json"
    if not manifest_path.exists():
        pytest.fail(f"tools/preview.py wrote no manifest (exit {r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    manifest = json.loads(manifest_path.read_text())
    assert not manifest["partial"], "_preview/ holds a partial build (--only)"
    manifest["by_src"] = {p["src"]: p for p in manifest["pages"]}
    manifest["log"] = r.stdout + r.stderr
    return manifest


def _shot_name(html_name: str, width: int) -> str:
    return html_name.replace("/", "__").replace(".html", f"_{width}.png")


_BROKEN_IMAGES = """() => [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.getAttribute('src').slice(0, 80))"""

_TRACEBACKS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => /Traceback|Error in notebook/.test(o.innerText))
    .map(o => o.innerText.slice(0, 300))"""

# MathJax has finished with the page: MathJax 3 started (it typesets the page as it starts), the site
# script has typeset every saved widget it has seen, and (MathJax 2) nothing is left in the queue
_MATHS_DONE = """() => {
  const M = window.MathJax;
  if (M && M.Hub && M.Hub.queue && M.Hub.queue.pending) return false;
  if (M && M.startup && M.startup.promise && !window.__startupDone) {
    M.startup.promise.then(() => { window.__startupDone = true; });
    return false;
  }
  return !window.annbookWidgetMath || window.annbookWidgetMath.idle();
}"""


def _wait_for_maths(page, timeout: float = 60_000) -> None:
    page.wait_for_function(_MATHS_DONE, timeout=timeout)
    page.wait_for_timeout(300)   # widgets the manager draws a moment later
    page.wait_for_function(_MATHS_DONE, timeout=timeout)


# Code blocks that are cut off: wider than their box without scrolling, or running past an ancestor
# that hides what overflows it. Inline code wraps with its text; the players' hidden equation bank is off-screen.
_CLIPPED_CODE = """() => {
  const bad = [];
  const desc = el => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} "${el.textContent.trim().slice(0, 60)}"`;
  for (const el of document.querySelectorAll('pre, div.sourceCode, div.highlight')) {
    if (el.closest('.annbook-player-bank, mjx-container')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height) continue;
    const cs = getComputedStyle(el);
    const scrolls = ['auto', 'scroll'].includes(cs.overflowX);
    if (el.scrollWidth > el.clientWidth + 1 && !scrolls && !el.querySelector('pre')) {
      bad.push(`${desc(el)}: content ${el.scrollWidth} px in ${el.clientWidth} px, overflow-x ${cs.overflowX}`);
      continue;
    }
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'visible') continue;
      const ar = a.getBoundingClientRect();
      if (r.right > ar.right + 1 && ox !== 'auto' && ox !== 'scroll')
        bad.push(`${desc(el)}: ${Math.round(r.right - ar.right)} px cut off by ${a.tagName.toLowerCase()}.${[...a.classList].join('.')}`);
      break;
    }
  }
  return bad;
}"""

_LAYOUT = r"""() => ({
  page_width: document.scrollingElement.scrollWidth, viewport: document.scrollingElement.clientWidth,
  mid_word: [...document.querySelectorAll('.jp-OutputArea-output pre, .cell-output pre')]
      .filter(p => getComputedStyle(p).wordBreak === 'break-all').length,
  md_links: [...document.querySelectorAll('pre, code')]
      .filter(el => /\[`[^`\]]+`\]\([^)\s]+\)/.test(el.textContent))
      .map(el => el.textContent.match(/.*\[`[^`\]]+`\]\([^)\s]+\).*/)[0].trim().slice(0, 160)),
})"""


def _check_layout(page, src: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(300)   # the widget manager lays its views out again on resize
    layout = page.evaluate(_LAYOUT)
    assert layout["page_width"] <= layout["viewport"], \
        f"{src} at {width} px: the page scrolls sideways ({layout['page_width']} px wide)"
    assert layout["mid_word"] == 0, f"{src} at {width} px: text outputs that break inside words"
    assert layout["md_links"] == [], f"{src}: Markdown links shown as text in code blocks {layout['md_links']}"
    clipped = page.evaluate(_CLIPPED_CODE)
    assert clipped == [], f"{src} at {width} px: code blocks cut off:\n" + "\n".join(clipped)


def _open(page, info: dict, query: str = "") -> None:
    page.goto((PREVIEW / info["html"]).as_uri() + query)
    page.wait_for_load_state("load")
    views = page.locator("div.jupyter-widgets.jp-OutputArea-output")
    if info.get("widget_views"):
        expect(views).to_have_count(info["widget_views"])
        for i in range(info["widget_views"]):
            expect(views.nth(i).locator(".lm-Widget, .jupyter-widgets").first).to_be_attached()
    _wait_for_maths(page)


@pytest.mark.parametrize("src", _pages())
def test_page(site, page, artifacts, src):
    info = site["by_src"].get(src)
    assert info is not None, f"{src} is not in the preview; build log:\n{site['log'][-3000:]}"
    assert info["errors"] == [], f"{src}: errors while executing/processing:\n" + "\n".join(info["errors"])
    assert info["seconds"] is not None and info["seconds"] < MAX_PAGE_SECONDS, \
        f"{src} took {info['seconds']:.0f} s to execute (limit {MAX_PAGE_SECONDS} s)"

    js_errors, failed = [], []
    page.on("pageerror", lambda e: js_errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    # saved widget state: every widget view is drawn by the vendored html-manager; MathJax is done
    _open(page, info)
    expect(page.locator("nav.annbook-preview-nav a.active")).to_have_text(info["title"])

    assert page.evaluate(_TRACEBACKS) == []
    figures = page.locator(".jp-OutputArea-output img")
    assert figures.count() >= info["figures"], \
        f"{src}: {figures.count()} images on the page, {info['figures']} image outputs in the notebook"
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=20_000)
    assert page.evaluate(_BROKEN_IMAGES) == [], f"{src}: images that did not load"

    # kernel-free step players: next / prev / play change the stage text
    players = page.locator(".annbook-player")
    if players.count():   # the equations of a player's first stage are typeset by the page's MathJax
        expect(players.first.locator(".annbook-player-math mjx-container").first).to_be_attached()
    for i in range(min(players.count(), MAX_PLAYERS)):
        player = players.nth(i)
        player.scroll_into_view_if_needed()
        stage = player.locator(".annbook-player-stage")
        expect(stage).to_have_count(1)
        start = stage.inner_text()
        player.locator(".annbook-player-next").click()
        expect(stage).not_to_have_text(start)
        after_next = stage.inner_text()
        player.locator(".annbook-player-prev").click()
        expect(stage).to_have_text(start)
        player.locator(".annbook-player-play").click()
        expect(stage).not_to_have_text(start, timeout=15_000)
        player.locator(".annbook-player-play").click()  # pause again
        assert after_next != start

    for width in WIDTHS:
        _check_layout(page, src, width)
        page.screenshot(path=artifacts / "docs_preview" / _shot_name(info["html"], width), full_page=True)
    assert js_errors == [], f"{src}: JavaScript errors {js_errors}"
    assert failed == [], f"{src}: files the page asked for but could not load {failed}"
    assert page.external_requests == [], f"{src}: requests outside file:// {page.external_requests}"


def test_players_on_the_site(site):
    """Once annbook.player exists, its page (at least) shows a working player."""
    if "20_player.ipynb" not in site["by_src"]:
        pytest.skip("nbs/20_player.ipynb is not there yet")
    html = (PREVIEW / site["by_src"]["20_player.ipynb"]["html"]).read_text(encoding="utf-8")
    assert "annbook-player" in html


def test_internal_links_resolve(site):
    """Every relative link or image in the pages points to a file of the preview."""
    broken = []
    for p in site["pages"]:
        path = PREVIEW / p["html"]
        if not path.exists():
            continue
        body = path.read_text(encoding="utf-8")
        body = re.sub(r"<script\b.*?</script>", "", body, flags=re.DOTALL)  # code, not links
        for attr, target in re.findall(r"""\b(href|src)=["']([^"'#][^"']*)["']""", body):
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
                continue
            dest = (path.parent / unquote(urlparse(target).path)).resolve()
            if not dest.exists():
                broken.append(f"{p['html']}: {attr}={target}")
    assert broken == []


# ------------------------------------------------------------------ what Quarto loads: MathJax 3

_SAVED_MATHS = """() => {
  const s = document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]');
  if (!s) return 0;
  const st = JSON.parse(s.textContent).state;
  return Object.values(st).filter(m => m.model_name === 'HTMLMathModel' && /\\$|\\\\\\(|\\\\\\[/.test(m.state.value || '')).length;
}"""

_WIDGET_MATHS = """() => {
  const text = el => {   // the widget's text that is not typeset maths
    const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let n, out = '';
    while ((n = w.nextNode())) if (!n.parentElement.closest('mjx-container, script, style')) out += n.data;
    return out;
  };
  const all = [...document.querySelectorAll('.widget-htmlmath, .jupyter-widget-htmlmath')];
  return {widgets: all.length, typeset: all.filter(e => e.querySelector('mjx-container')).length,
          raw: all.map(text).filter(t => /\\$|\\\\\\(|\\\\\\[/.test(t)).map(t => t.trim().slice(0, 160))};
}"""


@pytest.mark.parametrize("src", [WIDGETS_PAGE, "tutorials/02_xor_step_by_step.ipynb"])
def test_saved_widget_maths_is_typeset(site, page, src):
    """The site has MathJax 3 (Quarto), with which html-manager typesets nothing (it calls MathJax 2's
    MathJax.Hub.Queue): nbs/widget-math.html typesets the saved HTMLMath widgets instead."""
    info = site["by_src"].get(src)
    if info is None:
        pytest.skip(f"{src} is not in the preview")
    js_errors = []
    page.on("pageerror", lambda e: js_errors.append(str(e)))
    _open(page, info)
    assert page.evaluate("() => typeof MathJax.typesetPromise === 'function' && MathJax.version") \
        .startswith("3."), "the preview should load MathJax 3, as Quarto does"
    saved = page.evaluate(_SAVED_MATHS)
    if not saved:
        assert src != WIDGETS_PAGE, f"{src}: no saved HTMLMath widget with maths (the dashboards' state?)"
        pytest.skip(f"{src} has no saved dashboard (its step_through cell is not run for the docs)")
    maths = page.evaluate(_WIDGET_MATHS)
    assert maths["raw"] == [], f"{src}: HTMLMath widgets showing LaTeX source: {maths['raw']}"
    assert maths["typeset"] >= 1, f"{src}: {saved} saved HTMLMath values with maths, none typeset ({maths})"
    assert js_errors == [], f"{src}: JavaScript errors {js_errors}"


# ------------------------------------------------------------------ the dark theme

def _luminance(css_color: str) -> float:
    """Relative luminance (0 black .. 1 white) of an rgb()/rgba() colour."""
    parts = [float(x) for x in re.findall(r"[\d.]+", css_color)[:3]]
    lin = [(c / 255 / 12.92) if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


_COLOURS = """(sel) => [...document.querySelectorAll(sel)]
    .filter(e => e.getClientRects().length && (e.textContent.trim() || ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName)))
    .slice(0, 40).map(e => ({what: e.tagName.toLowerCase() + '.' + [...e.classList].join('.'),
                              color: getComputedStyle(e).color, background: getComputedStyle(e).backgroundColor}))"""

_WIDGET_TEXT = ("div.annbook-dashboard .widget-label, div.annbook-dashboard .widget-html-content, "
                "div.annbook-dashboard .widget-htmlmath-content, div.annbook-dashboard .widget-readout")
_WIDGET_INPUTS = ("div.annbook-dashboard button.jupyter-button, div.annbook-dashboard input[type=text], "
                  "div.annbook-dashboard select")


def test_dark_theme_widgets_are_readable(site, page):
    """With Quarto's dark theme (body.quarto-dark), nbs/styles.css makes widget labels, HTML and
    HTMLMath text, inputs and buttons light on dark (the widgets' own CSS is black on white)."""
    css = (REPO / "nbs" / "styles.css").read_text(encoding="utf-8")
    assert "body.quarto-dark" in css and "--jp-widgets-color" in css
    info = site["by_src"][WIDGETS_PAGE]
    _open(page, info)
    assert page.evaluate("() => document.body.classList.contains('quarto-dark')") is False
    light = page.evaluate(_COLOURS, _WIDGET_TEXT)
    assert light and all(_luminance(c["color"]) < 0.2 for c in light), f"light theme: widget text not dark {light[:3]}"

    _open(page, info, "?theme=dark")   # the preview's stand-in for Quarto's dark mode toggle
    assert page.evaluate("() => document.body.classList.contains('quarto-dark')")
    text = page.evaluate(_COLOURS, _WIDGET_TEXT)
    assert text, "no widget text on the widgets page"
    dark_text = [c for c in text if _luminance(c["color"]) < 0.6]
    assert dark_text == [], f"dark theme: widget text that is not light: {dark_text[:5]}"
    inputs = page.evaluate(_COLOURS, _WIDGET_INPUTS)
    assert inputs, "no widget buttons or inputs on the widgets page"
    bad = [c for c in inputs if _luminance(c["color"]) < 0.6 or _luminance(c["background"]) > 0.2]
    assert bad == [], f"dark theme: buttons/inputs not light on dark: {bad[:5]}"

    # the nav's button switches back, as Quarto's toggle does
    page.locator(".annbook-theme-toggle").click()
    assert page.evaluate("() => document.body.classList.contains('quarto-light')")


def test_dark_theme_players_are_readable(site, page):
    info = site["by_src"].get("20_player.ipynb")
    if info is None:
        pytest.skip("nbs/20_player.ipynb is not in the preview")
    _open(page, info, "?theme=dark")
    players = page.evaluate(_COLOURS, ".annbook-player, .annbook-player-title, .annbook-player-summary, "
                                      ".annbook-player-stage")
    assert players, "no player on the player page"
    dark_text = [c for c in players if _luminance(c["color"]) < 0.6]
    assert dark_text == [], f"dark theme: player text that is not light: {dark_text[:5]}"
    scheme = page.evaluate("() => getComputedStyle(document.querySelector('.annbook-player')).colorScheme")
    assert "dark" in scheme, f"the players' native controls should be dark too (color-scheme {scheme!r})"


# ------------------------------------------------------------------ saved dashboards: no kernel on the site

_INERT = """(dash) => [...dash.querySelectorAll('button, input, select, textarea')]
    .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
    .map(e => {
      e.scrollIntoView({block: 'center'});
      const r = e.getBoundingClientRect(), hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
      return {what: e.tagName.toLowerCase() + ' ' + (e.textContent.trim() || e.value || e.type || '').slice(0, 30),
              pointer: getComputedStyle(e).pointerEvents, opacity: parseFloat(getComputedStyle(e).opacity),
              clickable: !!hit && (hit === e || e.contains(hit))};
    })"""


def test_saved_dashboards_say_they_need_a_kernel(site, page):
    """On the site the saved dashboards have no kernel: nbs/styles.css shows their note saying so
    (.annbook-static-note, hidden in JupyterLab) and makes their controls look disabled and take no clicks."""
    info = site["by_src"][WIDGETS_PAGE]
    _open(page, info)
    dashboards = page.locator(".annbook-dashboard")
    assert dashboards.count() >= 1, "no saved dashboard on the widgets page"
    for i in range(dashboards.count()):
        dash = dashboards.nth(i)
        dash.scroll_into_view_if_needed()
        note = dash.locator(".annbook-static-note")
        expect(note).to_be_visible()
        expect(note).to_contain_text("A saved view of the dashboard")
        controls = dash.evaluate(_INERT)
        assert controls, f"dashboard {i}: no buttons or inputs found"
        live = [c for c in controls if c["pointer"] != "none" or c["clickable"] or c["opacity"] > 0.6]
        assert live == [], f"dashboard {i}: controls that look or act live without a kernel: {live[:5]}"


# ------------------------------------------------------------------ nbs/widget-math.html on its own

_MATHJAX_PAGES = {
    # Quarto's MathJax 3: pandoc's script tag, no configuration (inline maths only as \(...\))
    "3": ("vendor/mathjax/es5/tex-chtml-full.js",
          '<script src="{url}" type="text/javascript"></script>', "mjx-container"),
    # MathJax 2 as Jupyter configures it ($...$ inline)
    "2": ("vendor/mathjax2/MathJax.js",
          '<script type="text/x-mathjax-config">MathJax.Hub.Config({{tex2jax: {{inlineMath: [["$", "$"], '
          '["\\\\(", "\\\\)"]], processEscapes: true}}, messageStyle: "none"}});</script>\n'
          '<script src="{url}?config=TeX-AMS_CHTML-full,Safe"></script>', ".MathJax_CHTML"),
}

# draws an HTMLMath view as html-manager does: the content set as HTML, then typeset through MathJax 2's API
_DRAW = """<script>
function draw(value) {
  const w = document.createElement('div');
  w.className = 'lm-Widget jupyter-widgets widget-inline-hbox widget-htmlmath';
  w.innerHTML = '<label class="widget-label" style="display: none;"></label><div class="widget-htmlmath-content"></div>';
  document.getElementById('out').appendChild(w);
  update(w, value);
}
function update(w, value) {
  const c = w.querySelector('.widget-htmlmath-content');
  c.innerHTML = value;
  if (window.MathJax !== undefined) MathJax.Hub.Queue(['Typeset', MathJax.Hub, c]);
}
</script>"""


@pytest.mark.parametrize("version", sorted(_MATHJAX_PAGES))
def test_widget_math_script(page, tmp_path, version):
    """The site script typesets HTMLMath views with MathJax 3 as Quarto loads it (display $$...$$ and
    inline $...$, again when a view's value changes), keeps html-manager's MathJax 2 call from failing
    there, and leaves MathJax 2 working as it does in Jupyter."""
    path, tag, typeset = _MATHJAX_PAGES[version]
    mathjax = PREVIEW / path
    if not mathjax.exists():
        pytest.skip(f"no {path} in _preview (built by tools/preview.py)")
    script = (REPO / "nbs" / preview_tool.SITE_SCRIPT).read_text(encoding="utf-8")
    html = tmp_path / f"mathjax{version}.html"
    html.write_text(f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{tag.format(url=mathjax.as_uri())}</head>\n'
                    f'<body><div id="out"></div>\n{_DRAW}\n{script}\n</body></html>\n', encoding="utf-8")
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    page.evaluate("() => draw('<p>The equation:</p>$$ a^{[2]} = \\\\sigma(z^{[2]}) $$<p>What is $L$? Type it.</p>')")
    _wait_for_maths(page)
    box = page.locator(".widget-htmlmath-content")
    expect(box.locator(typeset)).to_have_count(2)   # the display equation and the inline $L$
    expect(box).not_to_contain_text("$")
    page.evaluate("() => update(document.querySelector('.widget-htmlmath'), '$$ \\\\theta \\\\leftarrow \\\\theta - \\\\eta g $$')")
    _wait_for_maths(page)
    expect(box.locator(typeset)).to_have_count(1)
    expect(box).not_to_contain_text("$")
    assert errors == [], f"MathJax {version}: JavaScript errors {errors}"
    assert page.external_requests == []


# ------------------------------------------------------------------ the sidebar at both widths

def test_sidebar_is_a_column_only_on_wide_screens(site, page):
    """As on the Quarto site: a fixed column from 992 px; below, a bar whose button shows the pages,
    and the page's content takes the whole width."""
    info = site["by_src"]["index.ipynb"]
    nav, pages = page.locator("nav.annbook-preview-nav"), page.locator("nav.annbook-preview-nav > ul")
    page.set_viewport_size({"width": 1400, "height": 900})
    _open(page, info)
    expect(pages).to_be_visible()
    assert nav.evaluate("n => getComputedStyle(n).position") == "fixed"
    assert page.locator("main").evaluate("m => m.getBoundingClientRect().left") >= nav.evaluate(
        "n => n.getBoundingClientRect().right") - 1
    page.set_viewport_size({"width": 700, "height": 900})
    expect(pages).to_be_hidden()
    assert nav.evaluate("n => getComputedStyle(n).position") == "static"
    main = page.locator("main").evaluate("m => { const r = m.getBoundingClientRect(); return [r.left, r.width]; }")
    assert main[0] < 20 and main[1] > 650, f"at 700 px the content should take the width, it is at {main}"
    page.locator(".annbook-nav-button").click()
    expect(pages).to_be_visible()
    expect(pages.locator("a.active")).to_have_text(info["title"])
