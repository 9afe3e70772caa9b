"""The dashboard on other data than XOR, in a real JupyterLab: three spiral arms and your own arrays and model.

Opens nbs/19_widgets.ipynb, runs it, and on its spiral dashboard (the third on the page) and its dashboard of your
own data and model (the fourth): one whole iteration, Back, then a weight set by hand, checking that the stage
panel and the pictures change at each. Then a kernel-free player of each on a static page. Screenshots in
$BW_ARTIFACTS (default artifacts/screenshots).
"""
from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import expect

from annbook.model import MLP
from annbook.panel import stage_question
from annbook.player import player
from annbook.presets import make_stepper
from conftest import open_notebook, run_all_cells

NB = "19_widgets.ipynb"
CASES = [  # (name, position on the page, stages per iteration)
    ("spiral", 2, 14),
    ("yours", 3, 10),
]


def _pictures(dash):
    return {k: dash.locator(f"img.annbook-{k}").get_attribute("src") for k in ("network", "data")}


def test_spiral_and_your_data_iteration_back_and_an_edited_weight(lab, page, artifacts):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_notebook(page, lab, NB)
    page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
    errors = run_all_cells(page)
    assert [e for e in errors if "nbdev_export" not in e] == [], errors
    for name, nth, per in CASES:
        dash = page.locator(".annbook-dashboard").nth(nth)
        dash.scroll_into_view_if_needed()
        marker, stage, status = (dash.locator(f".annbook-{k}") for k in ("figure-marker", "stage", "status"))
        expect(marker).to_have_text("figures for stage 0")
        expect(dash.locator("img.annbook-network")).to_have_attribute("src", re.compile("^(blob:|data:)"))
        before = _pictures(dash)
        dash.locator(".annbook-next-iteration").click()
        expect(marker).to_have_text(f"figures for stage {per}")
        expect(stage).to_contain_text("Update · Adam")
        after = _pictures(dash)
        assert after["network"] != before["network"] and after["data"] != before["data"], name
        dash.screenshot(path=artifacts / f"any_data_{name}_update.png")
        dash.locator(".annbook-back").click()
        expect(marker).to_have_text(f"figures for stage {per - 1}")
        expect(status).to_contain_text("Went back one stage")

        text, net = stage.inner_text(), dash.locator("img.annbook-network").get_attribute("src")
        dash.locator(".annbook-edit-param select").select_option("W1")
        value = dash.locator(".annbook-edit-value input")
        value.fill("3"); value.press("Enter")
        dash.locator(".annbook-edit-set").click()
        expect(status).to_contain_text("Set W1[0, 0]")
        expect(dash.locator(".annbook-error")).to_have_text("")
        expect(stage).not_to_have_text(text)                              # the numbers were recomputed with it
        expect(dash.locator("img.annbook-network")).not_to_have_attribute("src", net)   # and the picture (it may come a moment later)
        dash.screenshot(path=artifacts / f"any_data_{name}_edited.png")
        dash.locator(".annbook-back").click()
        expect(status).to_contain_text("undid the edit of W1[0, 0]")
    assert page.external_requests == []


def test_a_player_of_each_on_a_static_page(page, artifacts, tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 5)), np.arange(30) % 3
    players = [player("spiral", pictures=("network", "data")),
               player((X, y), model=MLP([5, 6, 3], hidden="relu", output="identity", seed=1), pictures=("network", "data"))]
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    path = tmp_path / "any.html"
    path.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
                    + "".join(p.to_html() for p in players) + "</body></html>", encoding="utf-8")
    page.goto(path.as_uri()); page.wait_for_load_state("load")
    for k, p in enumerate(players):
        root = page.locator(".annbook-player").nth(k)
        stage, net = root.locator(".annbook-player-stage"), root.locator('img[data-name="network"]')
        expect(stage).to_have_text(p.labels[0])
        src = net.get_attribute("src")
        root.locator(".annbook-player-next").click()
        expect(stage).to_have_text(p.labels[1])
        assert net.get_attribute("src") != src
        root.screenshot(path=artifacts / f"any_data_player_{k}.png")
    assert errors == []



def test_predict_first_in_jupyterlab(lab, page, artifacts):
    "The page's last dashboard (XOR, row 1): Predict first, a right answer, a wrong one, the score, the stage shown after each."
    ref, _ = make_stepper("xor", example=1)          # the same stepper, here: its questions' answers
    answers = [stage_question(ref.step()).answer for _ in range(2)]
    page.set_viewport_size({"width": 1280, "height": 800})
    open_notebook(page, lab, NB)
    errors = run_all_cells(page)
    assert [e for e in errors if "nbdev_export" not in e] == [], errors
    dash = page.locator(".annbook-dashboard").nth(4)
    dash.scroll_into_view_if_needed()
    marker, quiz, verdict, score, stage = (dash.locator(f".annbook-{k}") for k in ("figure-marker", "quiz", "verdict", "score", "stage"))
    dash.locator(".annbook-predict").click()
    for k, (value, right) in enumerate(zip(answers, (True, False)), 1):
        dash.locator(".annbook-next-stage").click()
        expect(quiz).to_contain_text("What is")
        expect(dash.locator(".annbook-next-stage")).to_be_disabled()
        expect(marker).to_have_text(f"figures for stage {k - 1}")          # the stage is not shown yet
        dash.screenshot(path=artifacts / f"predict_question_{k}.png")
        box = dash.locator(".annbook-answer input")
        if right: box.fill(f"{value:.3g}"); box.press("Enter")           # Enter checks
        else: box.fill(str(value + 10)); dash.locator(".annbook-check").click()
        expect(verdict).to_contain_text("Right" if right else "Not quite")
        expect(verdict).to_contain_text("Worked out, for row 1")
        expect(score).to_have_text(f"score {1}/{k}")
        expect(marker).to_have_text(f"figures for stage {k}")              # and now it is
        expect(stage).to_contain_text("Forward · layer 1")
        expect(dash.locator(".annbook-next-stage")).to_be_enabled()
        dash.screenshot(path=artifacts / f"predict_answer_{k}.png")
    assert page.external_requests == []
