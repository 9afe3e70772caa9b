"""The kernel-free step player (annbook.player): what its HTML contains, without a browser.

The browser half (buttons, slider, play, MathJax) is tests/browser/test_player_browser.py.
"""
from __future__ import annotations

import base64
import html.parser
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from annbook.data import xor
from annbook.model import MLP
from annbook.panel import stage_label
from annbook.player import PICTURES, Player, compact_png, data_uri, player, player_html
from annbook.presets import make_stepper
from annbook.stepping import Stepper


def xor_stepper(seed=0, **kw):
    X, y = xor()
    return Stepper(MLP([2, 2, 1], hidden="sigmoid", output="sigmoid", seed=seed), X, y,
                   loss="sse", optimizer="sgd", lr=kw.pop("lr", 1.0), **kw)


@pytest.fixture(scope="module")
def xor_player() -> Player:
    return player(xor_stepper(), stages=20, jump=2000)


class Elements(html.parser.HTMLParser):
    """Every start tag as (tag, attributes), and the text of <script> elements."""
    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "script":
            self._in_script = a
            self.scripts.append([a, ""])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self.scripts[-1][1] += data

    def with_class(self, cls):
        return [(t, a) for t, a in self.tags if cls in (a.get("class") or "").split()]


def parse(text: str) -> Elements:
    p = Elements()
    p.feed(text)
    p.close()
    return p


def frames_json(el: Elements) -> dict:
    (data,) = [s for a, s in el.scripts if a.get("type") == "application/json"]
    return json.loads(data)


# ------------------------------------------------------------------ structure

def test_controls_and_frames(xor_player):
    text = xor_player.to_html()
    el = parse(text)
    (root,) = el.with_class("annbook-player")
    assert root[0] == "div" and root[1]["id"].startswith("annbook-player-")
    for cls in ("annbook-player-prev", "annbook-player-next", "annbook-player-play"):
        assert [t for t, _ in el.with_class(cls)] == ["button"], cls
    (slider,) = el.with_class("annbook-player-slider")
    assert slider[1]["type"] == "range" and slider[1]["min"] == "0"
    assert int(slider[1]["max"]) == len(xor_player) - 1 == 21   # start + 20 stages + the jump
    assert len(el.with_class("annbook-player-stage")) == 1
    assert [t for t, _ in el.with_class("annbook-player-speed")] == ["select"]
    data = frames_json(el)
    assert len(data["frames"]) == 22
    assert [f["label"] for f in data["frames"]] == xor_player.labels
    assert data["frames"][3]["label"] == "Stage 3 of 20 · forward, layer 2 (weighted sum) · iteration 1"
    assert data["frames"][-1]["label"] == "After 2000 more iterations · iteration 2002"
    # the first frame is in the HTML itself (visible without JavaScript)
    assert f'>{xor_player.labels[0]}</div>' in text


def test_frames_are_the_stepper_stages(xor_player):
    """Titles, summaries, equations and numbers are those of the stepper's stage records."""
    ref = xor_stepper()
    stages = [ref.step() for _ in range(20)]
    frames = xor_player.frames[1:21]
    assert [f["title"] for f in frames] == [s.title for s in stages]
    assert [f["summary"] for f in frames] == [s.summary for s in stages]
    assert [f["math"][0][1] for f in frames] == [s.equation for s in stages]
    assert [f["math"][1][1] for f in frames] == [s.numbers for s in stages]
    assert [f["label"] for f in frames] == [stage_label(s, k, 20, True) for k, s in enumerate(stages, 1)]
    assert len({f["label"] for f in xor_player.frames}) == len(xor_player)   # every caption differs


def test_stepper_is_advanced_in_place():
    st = xor_stepper()
    p = player(st, stages=3)
    assert st.steps == 3 and p.stepper is st and len(p) == 4
    q = player(st)                        # default: the rest of the iteration
    assert len(q) == 1 + 7 and st.stage_index == 0 and st.iteration == 1
    assert q.labels[0] == "Start · after 3 stages (0 iterations)"


def test_jump_reaches_a_trained_state(xor_player):
    last = xor_player.frames[-1]
    assert last["title"] == "After 2000 more iterations"
    assert "4 of 4 rows are right" in last["summary"]
    assert r"\hat y^\top" in last["math"][0][1]
    # the picture of the data changed: the weights did
    assert last["images"]["data"] != xor_player.frames[0]["images"]["data"]


def test_images_are_inline_pngs(xor_player):
    data = frames_json(parse(xor_player.to_html()))
    images = data["images"]
    assert len(images) == len(set(images))                       # each distinct picture once
    for f in data["frames"]:
        assert sorted(f["images"]) == sorted(PICTURES)
        assert all(0 <= j < len(images) for j in f["images"].values())
    for uri in images:
        assert uri.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
        assert img.format == "PNG" and 100 < img.width < 800 and 80 < img.height < 400
    # the network picture changes at every stage of the recording
    net = [f["images"]["network"] for f in data["frames"][:21]]
    assert all(a != b for a, b in zip(net, net[1:]))
    # the data picture only when the weights change: at the updates (stages 10 and 20) and the jump
    changes = [k for k in range(1, 22) if data["frames"][k]["images"]["data"] != data["frames"][k - 1]["images"]["data"]]
    assert changes == [10, 20, 21]


def test_nothing_external(xor_player):
    text = xor_player.to_html()
    el = parse(text)
    assert not re.search(r"https?://", text)
    assert "require(" not in text and "define(" not in text
    srcs = [a.get("src") for t, a in el.tags if "src" in a]
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all("src" not in a for a, _ in el.scripts)            # inline scripts only
    assert [t for t, _ in el.tags if t in ("link", "iframe", "object", "embed")] == []


def test_ids_are_unique_on_a_page(xor_player):
    a, b = xor_player.to_html(), xor_player.to_html()
    el = parse(a + b + player("xor", stages=1, pictures=()).to_html())
    ids = [attrs["id"] for _, attrs in el.tags if "id" in attrs]
    assert len(ids) == 3 and len(set(ids)) == 3
    scripts = [s for attrs, s in el.scripts if "type" not in attrs]
    assert [re.search(r'getElementById\("([^"]+)"\)', s).group(1) for s in scripts] == ids


def test_json_cannot_close_its_script():
    frames = [dict(label="</script><script>alert(1)</script>", title="<b>t</b>", summary="a < b & c",
                   math=[["c", r"x < y \\ </script>"]], images={})]
    text = player_html(frames, [])
    el = parse(text)
    assert len(el.scripts) == 2                                   # the data and the code, nothing injected
    assert frames_json(el)["frames"][0]["label"] == frames[0]["label"]
    assert "<script>alert" not in text and "&lt;b&gt;t&lt;/b&gt;" in text


def test_javascript_parses(xor_player, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (code,) = [s for a, s in parse(xor_player.to_html()).scripts if "type" not in a]
    js = tmp_path / "player.js"
    js.write_text(code, encoding="utf-8")
    r = subprocess.run([node, "--check", str(js)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------ page weight

def test_page_weight():
    one = player("xor")                                   # one iteration, three pictures
    assert len(one) == 11 and one.nbytes < 150_000
    par = player("parity", bits=4, pictures=("network", "data"))
    assert len(par) == 11 and par.nbytes < 400_000   # readable pictures: 378x400 network with its values in the nodes
    print(f"xor, 1 iteration: {one.nbytes / 1000:.0f} kB; parity-4, 1 iteration: {par.nbytes / 1000:.0f} kB")


def test_compact_png_is_smaller_and_faithful():
    from annbook.plots import StepperPictures, png_bytes
    st = xor_stepper()
    pics = StepperPictures(st, dpi=72)
    rgb = np.asarray(pics.render("network").buffer_rgba())[..., :3]
    small, plain = compact_png(rgb), png_bytes(rgb)
    assert len(small) < len(plain) / 2
    back = np.asarray(Image.open(io.BytesIO(small)).convert("RGB")).astype(int)
    assert np.abs(back - rgb).mean() < 2
    assert data_uri(small).startswith("data:image/png;base64,iVBORw0KGgo")


# ------------------------------------------------------------------ settings and errors

def test_divergence_ends_the_recording():
    X, y = xor()
    st = Stepper(MLP([2, 4, 1], hidden="relu", output="identity", seed=0), X, y, loss="mse", optimizer="sgd", lr=1e100)
    with np.errstate(all="ignore"):
        p = player(st, stages=40, jump=10, pictures=("network",))
    assert "diverged" in p.note.lower() or "lower" in p.note.lower()
    assert 1 < len(p) < 41
    n = len(p) - 1
    assert p.labels[-1].startswith(f"Stage {n} of {n} ·")          # no jump frame after a divergence


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(stages=41), ValueError, "stages must be at most max_stages=40"),
    (dict(stages=0), ValueError, "stages must be > 0, got 0"),
    (dict(stages=2.5), TypeError, "stages must be an integer"),
    (dict(jump=-3), ValueError, "jump must be >= 0, got -3"),
    (dict(pictures=["nework"]), ValueError, "pictures must be one of ['curves', 'data', 'network'], got 'nework'"),
    (dict(pictures="network"), TypeError, "pictures must be a list of names"),
    (dict(dpi=0), ValueError, "dpi must be > 0, got 0"),
    (dict(speed=-1), ValueError, "speed must be > 0, got -1"),
    (dict(max_stages=0), ValueError, "max_stages must be > 0, got 0"),
])
def test_bad_settings(kwargs, exc, msg):
    with pytest.raises(exc) as info:
        player("xor", **kwargs)
    assert msg in str(info.value)


def test_bad_stepper():
    with pytest.raises(ValueError, match=r"dataset must be one of \['blobs', 'circles', 'moons', 'parity', 'sine', 'spiral', 'xor'\], got 'iris'"):
        player("iris")
    with pytest.raises(TypeError, match="stepper must be a Stepper, a name from"):
        player(MLP([2, 2, 1]))
    with pytest.raises(ValueError, match="bits must be an int from 2 to 8, got 0"):
        player("parity", bits=0)


def test_a_named_problem_gets_the_dashboards_starting_network():
    """player('parity', ...) builds its stepper with make_stepper, as the dashboard does."""
    p = player("parity", bits=3, seed=7, stages=10, pictures=())
    st, _ = make_stepper("parity", bits=3, seed=7)
    assert [s.title for s in p.records] == [st.step().title for _ in range(10)]
    assert all(np.array_equal(a, b) for a, b in zip(p.stepper.model.parameters(), st.model.parameters()))
    assert p.stepper.model.sizes == [3, 6, 1] and p.stepper.lr == 1.0


def test_max_stages_can_be_raised():
    p = player("xor", stages=45, max_stages=50, pictures=())
    assert len(p) == 46


def test_speed_and_heading():
    p = player("xor", stages=2, pictures=(), speed=3, heading="XOR <one> step")
    text = p.to_html()
    assert '<option value="3" selected>3</option>' in text
    assert "XOR &lt;one&gt; step" in text


# ------------------------------------------------------------------ save_html

def test_save_html(tmp_path):
    p = player("xor", stages=2, pictures=("network",))
    out = p.save_html(tmp_path / "page.html", title="A <title>")
    text = out.read_text(encoding="utf-8")
    assert out == tmp_path / "page.html"
    assert text.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in text
    assert "<title>A &lt;title&gt;</title>" in text
    assert "<script src" not in text
    el = parse(text)
    assert len(el.with_class("annbook-player")) == 1
    out2 = p.save_html(tmp_path / "mj.html", mathjax="mathjax/tex-chtml.js?x=1&y=2")
    assert '<script src="mathjax/tex-chtml.js?x=1&amp;y=2"></script>' in out2.read_text(encoding="utf-8")
