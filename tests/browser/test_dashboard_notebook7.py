"""The step-through dashboard in Jupyter Notebook 7, not only in JupyterLab, driven by headless Chromium.

Notebook 7 is a different frontend (its own shell, page layout and URL scheme: /notebooks/<path>)
built from JupyterLab's plugins, and it renders ipywidgets through the same jupyterlab_widgets
extension. This opens the notebook that test_dashboard_browser.py drives in JupyterLab
(nbs/19_widgets.ipynb, first dashboard: XOR), runs it, clicks through one whole training iteration
(forward, loss, backward, update: the stage text and the network picture must change at every click),
goes Back once, and checks that no request left 127.0.0.1. Screenshots: $BW_ARTIFACTS/notebook7_*.png
(default artifacts/screenshots).
"""
from __future__ import annotations

from playwright.sync_api import expect

from conftest import open_notebook, run_all_cells
from test_dashboard_browser import NB, click_through_iteration_and_back   # the same notebook and clicks as in JupyterLab


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
    click_through_iteration_and_back(page, dash, artifacts, prefix="notebook7_", label="Notebook 7 dashboard")
