"""The documentation pages, as built by tools/preview.py, in headless Chromium with no kernel.

The preview executes every page listed in nbs/sidebar.yml, runs nbdev's docs processors on it
and converts it to HTML in _preview/ (see tools/preview.py). This is what a reader of the site
sees, so it is checked in a real browser, from file://:

* the page built, and shows no error or traceback output;
* every figure is there and loaded (at least one <img> per image output of the executed notebook);
* saved ipywidgets state is drawn by the vendored html-manager (no kernel);
* the kernel-free step players (annbook.player) step when their buttons are clicked;
* the page requests nothing outside file:// (no CDN), every file it asks for loads (scripts,
  fonts, images), and it raises no JavaScript error;
* relative links between pages lead to files that exist.

A screenshot of each page goes to artifacts/screenshots/docs_preview/.
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


def _shot_name(html_name: str) -> str:
    return html_name.replace("/", "__").replace(".html", ".png")


_BROKEN_IMAGES = """() => [...document.images]
    .filter(i => !(i.complete && i.naturalWidth > 0))
    .map(i => i.getAttribute('src').slice(0, 80))"""

_TRACEBACKS = """() => [...document.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => /Traceback|Error in notebook/.test(o.innerText))
    .map(o => o.innerText.slice(0, 300))"""


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
    page.goto((PREVIEW / info["html"]).as_uri())
    page.wait_for_load_state("load")
    expect(page.locator("nav.annbook-preview-nav a.active")).to_have_text(info["title"])

    # saved widget state: every widget view is drawn by the vendored html-manager
    views = page.locator("div.jupyter-widgets.jp-OutputArea-output")
    if info["widget_views"]:
        expect(views).to_have_count(info["widget_views"])
        for i in range(info["widget_views"]):
            expect(views.nth(i).locator(".lm-Widget, .jupyter-widgets").first).to_be_attached()

    # MathJax has finished with the page (or the page has no maths)
    page.wait_for_function("() => !window.MathJax || !MathJax.Hub || MathJax.Hub.queue.pending === 0",
                           timeout=60_000)   # the widgets page's saved dashboards take about 20 s to typeset on 2 cores

    assert page.evaluate(_TRACEBACKS) == []
    figures = page.locator(".jp-OutputArea-output img")
    assert figures.count() >= info["figures"], \
        f"{src}: {figures.count()} images on the page, {info['figures']} image outputs in the notebook"
    page.wait_for_function("() => [...document.images].every(i => i.complete)", timeout=20_000)
    assert page.evaluate(_BROKEN_IMAGES) == [], f"{src}: images that did not load"

    # kernel-free step players: next / prev / play change the stage text
    players = page.locator(".annbook-player")
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

    page.screenshot(path=artifacts / "docs_preview" / _shot_name(info["html"]), full_page=True)
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
