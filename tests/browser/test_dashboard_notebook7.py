"""The step-through dashboard in Jupyter Notebook 7, not only in JupyterLab, driven by headless Chromium.

Notebook 7 is a different frontend (its own shell, page layout and URL scheme: /notebooks/<path>)
built from JupyterLab's plugins, and it renders ipywidgets through the same jupyterlab_widgets
extension. This opens the notebook that test_dashboard_browser.py drives in JupyterLab
(nbs/13_widgets.ipynb, first dashboard: XOR), runs it, clicks through one whole training iteration
(forward, loss, backward, update: the stage text and the network picture must change at every click),
goes Back once, and checks that no request left 127.0.0.1. Screenshots: $BW_ARTIFACTS/notebook7_*.png
(default artifacts/screenshots).
"""
from __future__ import annotations

import re
import statistics
import time

from playwright.sync_api import expect

from conftest import METRICS, open_notebook, run_all_cells
from test_dashboard_browser import NB, STAGES   # same notebook, same stage titles as in JupyterLab


def _state(dash):
    """(stage panel text, src of the network image): what must change at every click."""
    return dash.locator(".annbook-stage").inner_text(), dash.locator("img.annbook-network").get_attribute("src")


def test_notebook7_click_through_one_iteration_and_back(notebook7, page, artifacts):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_notebook(page, notebook7, NB)
    # really the Notebook 7 frontend, not JupyterLab served by the same server
    assert "/notebooks/" in page.url
    assert page.evaluate("window.jupyterapp.name") == "Jupyter Notebook"
    expect(page.locator("#jp-NotebookPanel, .jp-NotebookPanel").first).to_be_visible()
    errors = run_all_cells(page)
    # its last cell (nbdev_export) needs settings.ini, which the server's copy of nbs/ lacks
    assert [e for e in errors if "nbdev_export" not in e] == [], errors

    dash = page.locator(".annbook-dashboard").first
    dash.scroll_into_view_if_needed()
    marker, stage = dash.locator(".annbook-figure-marker"), dash.locator(".annbook-stage")
    expect(marker).to_have_text("figures for stage 0")
    expect(stage).to_contain_text("Ready")
    expect(dash.locator("img.annbook-network")).to_have_attribute("src", re.compile("^(blob:|data:)"))
    dash.screenshot(path=artifacts / "notebook7_dashboard_start.png")

    before, waits = _state(dash), []
    for i, title in enumerate(STAGES, start=1):
        t = time.perf_counter()
        dash.locator(".annbook-next-stage").click()
        expect(marker).to_have_text(f"figures for stage {i}")   # set after the new images were sent
        waits.append((time.perf_counter() - t) * 1000)
        expect(stage).to_contain_text(title)
        after = _state(dash)
        assert after[0] != before[0], f"stage text did not change at stage {i}"
        assert after[1] != before[1], f"network picture did not change at stage {i}"
        before = after
        if title.startswith("Loss"):
            dash.screenshot(path=artifacts / "notebook7_dashboard_loss.png")
    METRICS["notebook 7 dashboard: click Next stage -> new figures shown (Playwright round trip, 10 clicks)"] = \
        f"median {statistics.median(waits):.0f} ms, max {max(waits):.0f} ms"
    expect(dash.locator(".annbook-counter")).to_contain_text("iteration 1")
    expect(stage.locator("mjx-container").first).to_be_visible()   # Notebook 7's MathJax typeset the equations
    dash.screenshot(path=artifacts / "notebook7_dashboard_update.png")

    dash.locator(".annbook-back").click()                          # undo the update
    expect(marker).to_have_text("figures for stage 9")
    expect(stage).to_contain_text(STAGES[8])
    expect(dash.locator(".annbook-status")).to_contain_text("Went back one stage")
    assert _state(dash) != before
    page.screenshot(path=artifacts / "notebook7_page.png")
    assert page.external_requests == []
