"""The step-through dashboard in a real JupyterLab, driven by headless Chromium.

Opens nbs/19_widgets.ipynb (its first dashboard is XOR), runs it, and clicks through one whole
training iteration: at every click the stage panel and the network picture must change, in the
order forward, loss, backward, update. Then Back, the learning-rate control, and no request
leaving 127.0.0.1. Screenshots go to $BW_ARTIFACTS (default artifacts/screenshots).

Why a browser test: `button.click()` in tests/test_widgets.py runs the kernel side only; this
checks that the frontend renders the widgets, typesets the maths and shows the new images.
"""
from __future__ import annotations

import re
import statistics
import time

from playwright.sync_api import expect

from conftest import METRICS, open_notebook, run_all_cells

NB = "19_widgets.ipynb"
STAGES = ["Forward · layer 1 · weighted sum", "Forward · layer 1 · sigmoid", "Forward · layer 2 · weighted sum",
          "Forward · layer 2 · sigmoid", "Loss · SSE", "Backward · layer 2 · sigmoid′", "Backward · layer 2 · weights",
          "Backward · layer 1 · sigmoid′", "Backward · layer 1 · weights", "Update · SGD"]


def _run(page, lab):
    """Open the notebook with a fresh kernel and run it; its last cell (nbdev_export) needs settings.ini, which
    the server's copy of nbs/ lacks, so that one error is expected."""
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_notebook(page, lab, NB)
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")   # more room
    errors = run_all_cells(page)
    assert [e for e in errors if "nbdev_export" not in e] == [], errors


def _dashboard(page):
    dash = page.locator(".annbook-dashboard").first
    dash.scroll_into_view_if_needed()
    return dash


def _state(dash):
    """(stage panel text, src of the network image): what must change at every click."""
    return dash.locator(".annbook-stage").inner_text(), dash.locator("img.annbook-network").get_attribute("src")


def click_through_iteration_and_back(page, dash, artifacts, prefix:str, label:str):
    """Click Next stage through one whole iteration (the stage text and the network picture must change at
    every click, in the order of STAGES), then Back once; screenshots are named `prefix + ...`.
    Shared with the Notebook 7 test."""
    marker, stage, counter = dash.locator(".annbook-figure-marker"), dash.locator(".annbook-stage"), dash.locator(".annbook-counter")
    expect(marker).to_have_text("figures for stage 0")
    expect(stage).to_contain_text("Ready")
    expect(dash.locator("img.annbook-network")).to_have_attribute("src", re.compile("^(blob:|data:)"))
    dash.screenshot(path=artifacts / f"{prefix}dashboard_start.png")

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
            dash.screenshot(path=artifacts / f"{prefix}dashboard_loss.png")
        if i == 7:
            dash.screenshot(path=artifacts / f"{prefix}dashboard_backward.png")
    METRICS[f"{label}: click Next stage -> new figures shown (Playwright round trip, 10 clicks)"] = \
        f"median {statistics.median(waits):.0f} ms, max {max(waits):.0f} ms"
    expect(counter).to_contain_text("iteration 1 · stage 10/10")   # the update of iteration 1 is on the panel
    expect(stage.locator("mjx-container").first).to_be_visible()   # MathJax typeset the equations
    dash.screenshot(path=artifacts / f"{prefix}dashboard_update.png")

    dash.locator(".annbook-back").click()                          # undo the update
    expect(marker).to_have_text("figures for stage 9")
    expect(stage).to_contain_text(STAGES[8])
    expect(dash.locator(".annbook-status")).to_contain_text("Went back one stage")
    assert _state(dash) != before
    page.screenshot(path=artifacts / f"{prefix}page.png")
    assert page.external_requests == []


def test_click_through_one_iteration_and_back(lab, page, artifacts):
    _run(page, lab)
    click_through_iteration_and_back(page, _dashboard(page), artifacts, prefix="lab_", label="JupyterLab dashboard")


def test_iteration_button_loss_curve_and_errors(lab, page, artifacts):
    _run(page, lab)
    dash = _dashboard(page)
    marker = dash.locator(".annbook-figure-marker")
    expect(marker).to_have_text("figures for stage 0")
    curves = dash.locator("img.annbook-curves").get_attribute("src")
    for k in (1, 2, 3):
        dash.locator(".annbook-next-iteration").click()
        expect(marker).to_have_text(f"figures for stage {10 * k}")
    expect(dash.locator(".annbook-counter")).to_contain_text("iteration 3 · stage 10/10")
    assert dash.locator("img.annbook-curves").get_attribute("src") != curves

    for k in range(1, 6):                                            # train: XOR is learnt in ~500 iterations
        dash.locator(".annbook-run-100").click()
        expect(marker).to_have_text(f"figures for stage {30 + 1000 * k}")
    for i in range(1, 8):                                            # into the backward pass
        dash.locator(".annbook-next-stage").click()
        expect(marker).to_have_text(f"figures for stage {5030 + i}")
    expect(dash.locator(".annbook-stage")).to_contain_text("Backward · layer 2 · weights")
    expect(dash.locator(".annbook-stage mjx-container").first).to_be_visible()
    page.set_viewport_size({"width": 1400, "height": 2000})            # the whole dashboard in view
    dash.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    dash.screenshot(path=artifacts / "dashboard_trained.png")          # the picture in the README
    page.set_viewport_size({"width": 1400, "height": 1000})

    dash.locator(".annbook-settings .jupyter-widget-Collapse-header").click()   # the settings are folded: open them
    hidden = dash.locator(".annbook-hidden input")                  # a refused setting: explained, nothing lost
    hidden.fill("two"); hidden.press("Enter")
    expect(dash.locator(".annbook-error")).to_contain_text("hidden must be up to 4 layer widths")
    expect(hidden).to_have_value("2")
    expect(dash.locator(".annbook-counter")).to_contain_text("iteration 504 · stage 7/10")   # 503 done, 7 stages into the next

    hidden.fill("3"); hidden.press("Enter")                          # an accepted one restarts, and says so
    expect(dash.locator(".annbook-status")).to_contain_text("was discarded")
    expect(marker).to_have_text("figures for stage 0")
    expect(dash.locator(".annbook-error")).to_have_text("")
    dash.screenshot(path=artifacts / "dashboard_restarted.png")
    assert page.external_requests == []
