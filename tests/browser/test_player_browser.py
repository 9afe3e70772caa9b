"""The kernel-free step player in headless Chromium, from file://, with no kernel and no network.

A page with two players (XOR with a jump to a trained state, and 3-bit parity) is written with
`Player.to_html` / `save_html` into a temporary folder and opened from disk:

* Next, Previous, the slider, the arrow keys and Play/Pause change the stage text and the pictures,
  and the two players on the page do not interfere;
* Play stops by itself at the last frame;
* without MathJax the equations show as LaTeX source; with MathJax 2 and with MathJax 3 (the
  copies the docs preview vendors in _preview/vendor, when they are there) they are typeset after
  every switch;
* no JavaScript error, no request outside file://.

Screenshots go to artifacts/screenshots/player/.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from annbook.player import player

REPO = Path(__file__).resolve().parents[2]
MATHJAX2 = REPO / "_preview" / "vendor" / "mathjax2" / "MathJax.js"
MATHJAX3 = REPO / "_preview" / "vendor" / "mathjax" / "es5" / "tex-chtml-full.js"   # what the docs site loads


@pytest.fixture(scope="module")
def players():
    return {"xor": player("xor", stages=10, jump=1000, speed=4),
            "parity": player("parity", bits=3, stages=4, pictures=("network", "data"))}


def _page_with(players, path: Path) -> Path:
    body = "\n".join(p.to_html() for p in players)
    path.write_text(f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>players</title></head>'
                    f'<body>\n{body}\n</body></html>\n', encoding="utf-8")
    return path


def _watch(page):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"failed request {r.url}"))
    return errors


def _set_slider(locator, value: int):
    locator.evaluate("(el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', {bubbles: true})); }", value)


def test_buttons_slider_keys_and_play(page, artifacts, tmp_path, players):
    xor, par = players["xor"], players["parity"]
    errors = _watch(page)
    page.goto(_page_with([xor, par], tmp_path / "two.html").as_uri())
    page.wait_for_load_state("load")
    first, second = page.locator(".annbook-player").nth(0), page.locator(".annbook-player").nth(1)
    expect(page.locator(".annbook-player")).to_have_count(2)
    stage, stage2 = first.locator(".annbook-player-stage"), second.locator(".annbook-player-stage")
    net, data = first.locator('img[data-name="network"]'), first.locator('img[data-name="data"]')
    prev, nxt, play = (first.locator(f".annbook-player-{c}") for c in ("prev", "next", "play"))

    expect(stage).to_have_text(xor.labels[0])
    expect(stage2).to_have_text(par.labels[0])
    expect(prev).to_be_disabled()
    net0, data0 = net.get_attribute("src"), data.get_attribute("src")
    assert net0.startswith("data:image/png;base64,")

    # Next: the caption, the title and the network picture change; the other player stays
    nxt.click()
    expect(stage).to_have_text(xor.labels[1])
    expect(first.locator(".annbook-player-title-text")).to_have_text(xor.titles[1])
    assert net.get_attribute("src") != net0
    assert data.get_attribute("src") == data0          # the weights have not changed yet
    expect(stage2).to_have_text(par.labels[0])
    # Previous: back to the start, the same picture
    prev.click()
    expect(stage).to_have_text(xor.labels[0])
    assert net.get_attribute("src") == net0

    # the slider and the arrow keys
    _set_slider(first.locator(".annbook-player-slider"), 5)
    expect(stage).to_have_text(xor.labels[5])
    first.focus()
    page.keyboard.press("ArrowRight")
    expect(stage).to_have_text(xor.labels[6])
    page.keyboard.press("ArrowLeft")
    expect(stage).to_have_text(xor.labels[5])

    # Play and Pause
    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(stage).not_to_have_text(xor.labels[5], timeout=5_000)
    play.click()
    expect(play).to_have_attribute("aria-pressed", "false")
    paused = stage.inner_text()
    page.wait_for_timeout(1_000)
    expect(stage).to_have_text(paused)

    # Play runs to the last frame (the jump to the trained state) and stops there
    _set_slider(first.locator(".annbook-player-slider"), len(xor) - 3)
    play.click()
    expect(stage).to_have_text(xor.labels[-1], timeout=10_000)
    expect(play).to_have_attribute("aria-pressed", "false")
    expect(nxt).to_be_disabled()
    assert data.get_attribute("src") != data0           # the decision boundary after training
    expect(first.locator(".annbook-player-summary")).to_contain_text("4 of 4 rows are right")

    # the second player works on its own
    second.locator(".annbook-player-next").click()
    expect(stage2).to_have_text(par.labels[1])
    expect(stage).to_have_text(xor.labels[-1])

    # no MathJax on this page: the equations are shown as LaTeX source
    expect(first.locator(".annbook-player-math pre code").first).to_contain_text("\\begin{bmatrix}")

    (artifacts / "player").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=artifacts / "player" / "two_players.png", full_page=True)
    assert errors == []
    assert page.external_requests == []


def test_save_html_page(page, artifacts, tmp_path, players):
    errors = _watch(page)
    out = players["parity"].save_html(tmp_path / "parity.html", title="3-bit parity")
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    stage = page.locator(".annbook-player-stage")
    for k in range(1, 5):
        page.locator(".annbook-player-next").click()
        expect(stage).to_have_text(players["parity"].labels[k])
    expect(page.locator(".annbook-player-next")).to_be_disabled()
    assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    (artifacts / "player").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=artifacts / "player" / "save_html.png", full_page=True)
    assert errors == [] and page.external_requests == []


# MathJax 2 (a notebook viewer, the old preview) and MathJax 3 (the docs site): its script, the config its URL takes,
# what it typesets into, and when it has finished (MathJax 3 typesets each frame as it is shown: the count tells)
MATHJAX = {2: (MATHJAX2, "?config=TeX-AMS_CHTML-full,Safe", ".MathJax_CHTML",
               "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"),
           3: (MATHJAX3, "", "mjx-container", "() => true")}


@pytest.mark.parametrize("version", [2, 3])
def test_mathjax_typesets_each_frame(page, artifacts, tmp_path, players, version):
    script, config, typeset, done = MATHJAX[version]
    if not script.exists():
        pytest.skip(f"no MathJax {version} in _preview/vendor (built by tools/preview.py)")
    errors = _watch(page)
    out = players["xor"].save_html(tmp_path / f"mathjax{version}.html", title=f"XOR with MathJax {version}",
                                   mathjax=script.as_uri() + config)
    page.goto(out.as_uri())
    page.wait_for_load_state("load")
    math = page.locator(".annbook-player-math")
    page.wait_for_function(done, timeout=30_000)
    expect(math.locator(typeset).first).to_be_visible()
    expect(math.locator("pre")).to_have_count(0)
    for k in (1, 5):          # a weighted sum, the loss
        page.locator(".annbook-player-next").click() if k == 1 else _set_slider(page.locator(".annbook-player-slider"), k)
        expect(page.locator(".annbook-player-stage")).to_have_text(players["xor"].labels[k])
        page.wait_for_function(done, timeout=30_000)
        expect(math.locator(typeset)).to_have_count(2)          # the equation and its numbers
        expect(math).to_have_css("visibility", "visible")
        expect(math.locator("pre")).to_have_count(0)
    (artifacts / "player").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=artifacts / "player" / f"mathjax{version}.png", full_page=True)
    assert errors == [] and page.external_requests == []


def test_in_jupyterlab(lab, page, artifacts):
    """In JupyterLab: the output's script runs, the buttons work, and the equations are typeset by
    JupyterLab's own MathJax (which it does not share with the page) through the player's hidden bank."""
    import nbformat
    from conftest import open_notebook, run_all_cells
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("from annbook.player import player"),
                                         nbformat.v4.new_code_cell('player("xor", stages=3, pictures=("network",))')])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / "player_check.ipynb")
    open_notebook(page, lab, "player_check.ipynb")
    assert run_all_cells(page) == []
    box = page.locator(".annbook-player")
    expect(box).to_have_count(1)
    stage, math = box.locator(".annbook-player-stage"), box.locator(".annbook-player-math")
    expect(stage).to_have_text("Start · the initial weights")
    expect(math.locator("mjx-container").first).to_be_visible(timeout=20_000)   # copied from the typeset bank
    net0 = box.locator('img[data-name="network"]').get_attribute("src")
    box.locator(".annbook-player-next").click()
    expect(stage).to_have_text("Stage 1 of 3 · forward, layer 1 (weighted sum)")
    expect(math.locator("mjx-container")).to_have_count(2)                     # the equation and its numbers
    expect(math.locator("pre")).to_have_count(0)
    assert box.locator('img[data-name="network"]').get_attribute("src") != net0
    box.locator(".annbook-player-play").click()
    expect(stage).to_have_text("Stage 3 of 3 · forward, layer 2 (weighted sum)", timeout=10_000)
    (artifacts / "player").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=artifacts / "player" / "jupyterlab.png")
    assert page.external_requests == []


def test_predict_first_right_wrong_and_show(page, artifacts, tmp_path, players):
    "Predict first: a right answer, a wrong one, text, Show me; the score; going back never asks again."
    xor = players["xor"]
    errors = _watch(page)
    page.goto(_page_with([xor], tmp_path / "predict.html").as_uri())
    page.wait_for_load_state("load")
    root = page.locator(".annbook-player")
    stage, title, verdict, score = (root.locator(f".annbook-player-{n}") for n in ("stage", "title-text", "verdict", "score"))
    quiz, answer = root.locator(".annbook-player-quiz"), root.locator(".annbook-player-answer")
    root.locator(".annbook-player-predict").check()
    q1 = xor.frames[1]["q"]
    root.locator(".annbook-player-next").click()
    expect(quiz).to_be_visible()
    expect(title).to_have_text("Predict first · " + xor.frames[1]["title"])
    expect(root.locator(".annbook-player-next")).to_be_disabled()
    assert q1["ask"] in root.locator(".annbook-player-math").inner_text()   # LaTeX source: no MathJax on this page
    (artifacts / "player").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "player" / "predict-question.png"), full_page=True)
    answer.fill(f"{q1['answer']:.3g}"); answer.press("Enter")               # right
    expect(quiz).to_be_hidden()
    expect(verdict).to_contain_text("Right")
    expect(score).to_have_text("score 1/1")
    expect(stage).to_have_text(xor.labels[1])
    q2 = xor.frames[2]["q"]
    root.locator(".annbook-player-next").click()
    answer.fill("two"); root.locator(".annbook-player-check").click()        # not a number: asked again
    expect(verdict).to_contain_text("Type a number"); expect(quiz).to_be_visible(); expect(score).to_have_text("score 1/1")
    answer.fill(str(q2["answer"] + 1)); root.locator(".annbook-player-check").click()   # wrong
    expect(verdict).to_contain_text("Not quite")
    expect(score).to_have_text("score 1/2")
    page.screenshot(path=str(artifacts / "player" / "predict-wrong.png"), full_page=True)
    root.locator(".annbook-player-next").click()
    root.locator(".annbook-player-show").click()                             # Show me: not counted
    expect(verdict).to_contain_text("not counted"); expect(score).to_have_text("score 1/2")
    root.locator(".annbook-player-prev").click(); root.locator(".annbook-player-next").click()   # answered: no question again
    expect(quiz).to_be_hidden(); expect(stage).to_have_text(xor.labels[3])
    root.locator(".annbook-player-play").click()                             # Play stops at the next question
    expect(quiz).to_be_visible()
    expect(stage).to_have_text(xor.labels[4])
    assert errors == []
