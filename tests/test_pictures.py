"""The step-through's pictures are readable at 100 % zoom, for every preset problem and at several resolutions.

Each picture is drawn from scratch while every piece of text the renderer draws is recorded; then
- every text is at least 10 px tall (font size in points × dpi / 72),
- its box lies inside the figure and overlaps no other text's box,
- the network's nodes do not overlap, a value written in a node fits inside its circle (inside the ring),
  and no other text touches a node,
- the figures stay within the sizes the dashboard has room for, at 80 dpi.
No overlap is intended anywhere, so none is allowed. This is checked at the start, after each stage of
one iteration and after a few iterations, for parity with 2 to 8 bits, XOR and the other data sets,
at 80 dpi, and (fewer states) at 60 and 120 dpi, at the dashboard's extremes 20 and 300, and for tables of your own data.
"""
from __future__ import annotations

import itertools
import time
from contextlib import contextmanager
from unittest import mock

import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.text import Text

from annbook.presets import make_stepper
from annbook.plots import StepperPictures

MIN_PX = 10
PROBLEMS = [("parity", b) for b in range(2, 9)] + [(name, 4) for name in ("xor", "circles", "moons", "spiral", "blobs", "sine")]
MAX_PX = {"network": (440, 400), "data": (340, 400)}   # at 80 dpi: beside the stage text on a 1280×800 screen


def stepper(name, bits, mode="batch", example=0):
    return make_stepper(name, bits, None, None, None, None, None, 0, "glorot", mode, example)[0]


@contextmanager
def recording():
    "Record the Text artists drawn with Agg that show something (tick labels, titles, legends and all; one entry per artist)."
    drawn, plain = {}, Text.draw
    def draw(self, renderer, *args, **kw):
        if isinstance(renderer, RendererAgg) and self.get_visible() and self.get_text().strip(): drawn[id(self)] = self
        return plain(self, renderer, *args, **kw)
    with mock.patch.object(Text, "draw", draw): yield drawn


def drawn_texts(pics, name):
    "Render figure `name` from scratch (background and all); the texts drawn, with their boxes in pixels."
    pics._bg[name] = None
    with recording() as drawn: canvas = pics.render(name)
    r = canvas.get_renderer()
    return [(t, t.get_window_extent(r)) for t in drawn.values()], canvas


def nodes_px(view):
    "Centres (n, 2), radii and ring widths of the network's nodes, in pixels."
    n, dpi = view.nodes, view.ax.figure.dpi
    xy = view.ax.transData.transform(n.get_offsets())
    k = len(xy)
    r = np.broadcast_to(np.sqrt(n.get_sizes()), (k,)) * dpi / 72 / 2
    lw = np.broadcast_to(n.get_linewidths(), (k,)) * dpi / 72
    return xy, np.asarray(r, float), np.asarray(lw, float)


def rect_circle_gap(bb, c, r):
    "How far the box `bb` is from the circle (centre c, radius r): negative when they intersect."
    dx = max(bb.x0 - c[0], 0, c[0] - bb.x1); dy = max(bb.y0 - c[1], 0, c[1] - bb.y1)
    return np.hypot(dx, dy) - r


def problems(pics, name):
    "Everything unreadable in figure `name` of `pics`, as a list of sentences (empty: all is well)."
    texts, canvas = drawn_texts(pics, name)
    fig = pics.figures[name]
    W, H = canvas.get_width_height()
    out = []
    if not texts: out.append("no text drawn at all")
    drawn = {id(t) for t, _ in texts}
    for t in fig.findobj(Text):   # texts that exist but were not drawn (ticks out of view, say) must not be small either
        if t.get_visible() and t.get_text().strip() and id(t) not in drawn and t.get_fontsize() * fig.dpi / 72 < MIN_PX - 1e-9:
            out.append(f"{t.get_text()!r} (not drawn now) is {t.get_fontsize() * fig.dpi / 72:.1f} px tall")
    for t, bb in texts:
        px = t.get_fontsize() * fig.dpi / 72
        if px < MIN_PX - 1e-9: out.append(f"{t.get_text()!r} is {px:.1f} px tall")
        if bb.x0 < -0.5 or bb.y0 < -0.5 or bb.x1 > W + 0.5 or bb.y1 > H + 0.5:
            out.append(f"{t.get_text()!r} sticks out of the {W}×{H} figure: {bb.bounds}")
    for (t, a), (u, b) in itertools.combinations(texts, 2):
        w = min(a.x1, b.x1) - max(a.x0, b.x0); h = min(a.y1, b.y1) - max(a.y0, b.y0)
        if w > 0.5 and h > 0.5: out.append(f"{t.get_text()!r} overlaps {u.get_text()!r} by {w:.1f}×{h:.1f} px")
    shown = [t.get_text() for t, _ in texts]
    must = {"network": ["inputs x", "output\n"], "curves": ["gradient norm per layer", "iteration"]}.get(name, [])
    out += [f"{m!r} was not drawn (or not seen)" for m in must if not any(x.startswith(m) for x in shown)]
    if name == "network":
        xy, r, lw = nodes_px(pics.network)
        for i, j in itertools.combinations(range(len(xy)), 2):
            gap = np.hypot(*(xy[i] - xy[j])) - (r[i] + lw[i] / 2) - (r[j] + lw[j] / 2)
            if gap < 0: out.append(f"nodes {i} and {j} overlap by {-gap:.1f} px")
        for i in range(len(xy)):
            R = r[i] + lw[i] / 2
            if xy[i, 0] - R < -0.5 or xy[i, 1] - R < -0.5 or xy[i, 0] + R > W + 0.5 or xy[i, 1] + R > H + 0.5:
                out.append(f"node {i} sticks out of the figure")
        for t, bb in texts:
            if t.axes is not pics.network.ax: continue
            centre = np.array([(bb.x0 + bb.x1) / 2, (bb.y0 + bb.y1) / 2])
            inside = [i for i in range(len(xy)) if np.hypot(*(centre - xy[i])) < r[i]]
            for i in inside:   # a value written in the node: its whole box within the ring
                corners = np.array([[bb.x0, bb.y0], [bb.x0, bb.y1], [bb.x1, bb.y0], [bb.x1, bb.y1]])
                far = np.hypot(*(corners - xy[i]).T).max()
                if far > r[i] - lw[i] / 2 + 0.5:
                    out.append(f"label {t.get_text()!r} does not fit in node {i} ({far:.1f} px from its centre, ring at {r[i] - lw[i] / 2:.1f})")
            for i in set(range(len(xy))) - set(inside):
                if rect_circle_gap(bb, xy[i], r[i] + lw[i] / 2) < 0: out.append(f"{t.get_text()!r} runs into node {i}")
    return out


def states(st, every_stage=True, iterations=3):
    "Yield a description after 0 stages, after each stage of one iteration, and after a few more iterations."
    yield "start"
    for _ in range(st.stages_per_iteration):
        s = st.step()
        if every_stage or s.kind in ("loss", "update") or (s.kind == "backward" and s.params):
            yield f"stage {st.steps} ({s.kind})"
    st.run(iterations)
    yield f"after {iterations} more iterations"


def check(st, dpi, every_stage=True):
    pics = StepperPictures(st, dpi=dpi)
    found, first = [], True
    for where in states(st, every_stage):
        changed = pics.update()
        for name in (pics.figures if first else changed):
            found += [f"{name} at {dpi} dpi, {where}: {p}" for p in problems(pics, name)]
            assert pics.png(name)[:8] == b"\x89PNG\r\n\x1a\n"
        first = False
    return pics, found


@pytest.mark.parametrize("name,bits", PROBLEMS, ids=[f"{n}{b}" if n == "parity" else n for n, b in PROBLEMS])
def test_readable_at_80_dpi(name, bits):
    pics, found = check(stepper(name, bits), 80)
    assert not found, "\n".join(found[:40])
    for fig, (w, h) in MAX_PX.items():
        W, H = pics.canvases[fig].get_width_height()
        assert W <= w and H <= h, f"{fig} is {W}×{H} px"


@pytest.mark.parametrize("bits,written", [(2, 7), (3, 10), (4, 13), (5, 6), (8, 9)])
def test_values_are_written_where_they_fit(bits, written):
    "Not a vacuous check: after a forward pass the nodes that have room show their values (all of them up to 4 bits)."
    st = stepper("parity", bits)
    pics = StepperPictures(st)
    while st.last is None or st.last.kind != "loss": st.step()
    pics.update()
    texts = [t for t, _ in drawn_texts(pics, "network")[0] if t in pics.network.labels]
    assert len(texts) == written and all(t.get_text() not in ("", "nan") for t in texts)
    assert not problems(pics, "network")


@pytest.mark.parametrize("dpi", [60, 120])
@pytest.mark.parametrize("name,bits", [("parity", 2), ("parity", 4), ("parity", 5), ("parity", 8), ("xor", 4),
                                       ("spiral", 4), ("sine", 4)])
def test_readable_at_other_dpi(name, bits, dpi):
    _, found = check(stepper(name, bits), dpi, every_stage=False)
    assert not found, "\n".join(found[:40])


@pytest.mark.parametrize("dpi", [20, 300])
def test_readable_at_the_extremes(dpi):
    "The dashboard takes 20 to 300 dpi: below 72.7 dpi (80 × 10/11) the pictures keep their size, so that text stays 10 px."
    pics, found = check(stepper("parity", 4), dpi, every_stage=False)
    assert not found, "\n".join(found[:40])
    if dpi == 20: assert pics.canvases["network"].get_width_height() == StepperPictures(stepper("parity", 4), dpi=72).canvases["network"].get_width_height()


def test_readable_for_your_data():
    "The table of rows and the predicted-against-true picture: classes, two classes and a regression with 3 inputs."
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 7))
    for y in (np.arange(40) % 3, np.arange(40) % 6, (X[:, :1] > 0).astype(float), X[:, :1] * 2 + 1):
        for dpi in (60, 80):
            regression = y.ndim == 2 and not np.isin(y, (0, 1)).all()
            st = make_stepper((X[:, :3] if regression else X, y))[0]
            pics, found = check(st, dpi, every_stage=False)
            assert type(pics.data).__name__ == ("PredTrueView" if regression else "RowTableView")
            assert not found, "\n".join(found[:40])
            W, H = pics.canvases["data"].get_width_height()
            assert dpi != 80 or (W <= 340 and H <= 400), (W, H)


@pytest.mark.parametrize("d", [9, 10, 12])
def test_bits_of_your_own_fit(d):
    "0/1 inputs of your own: a truth table up to 9 bits, the table of rows beyond; either way within 340 px at 80 dpi."
    X = np.random.default_rng(1).integers(0, 2, size=(64, d)).astype(float)
    st = make_stepper((X, X[:, :1].copy()))[0]
    pics, found = check(st, 80, every_stage=False)
    assert type(pics.data).__name__ == ("TruthTableView" if d <= 9 else "RowTableView")
    assert not found, "\n".join(found[:40])
    W, H = pics.canvases["data"].get_width_height()
    assert W <= 340 and H <= 400, (d, W, H)


def test_truth_table_window_follows_the_chosen_row():
    st = stepper("parity", 8, example=200)
    pics = StepperPictures(st)
    tt = pics.data
    shown = lambda: [t for t, _ in drawn_texts(pics, "data")[0]]
    texts = [t.get_text() for t in shown()]
    assert "200" in texts and "rows 192–207 of 256" in " ".join(texts)     # 16 rows around row 200, numbered
    st.example = 3
    assert pics.update() == ["network", "data"]
    texts = [t.get_text() for t in shown()]
    assert "3" in texts and "15" in texts and "16" not in texts and "rows 0–15 of 256" in " ".join(texts)
    assert not pics.update()                                                  # nothing changed, nothing to draw
    small = StepperPictures(stepper("parity", 4, example=5))
    texts = [t.get_text() for t, _ in drawn_texts(small, "data")[0]]
    assert all(str(i) in texts for i in range(16))                           # up to 16 rows: all of them


def test_a_moving_window_is_redrawn_in_full():
    "When the 8-bit table's window moves, the blitted picture is the one a full redraw gives (the background is renewed)."
    st = stepper("parity", 8, mode="cycle", example=100)
    pics = StepperPictures(st)
    for name in pics.figures: pics.png(name)
    for _ in range(2 * st.stages_per_iteration + 1):
        st.step()
        if "data" not in pics.update(): continue
        blit = np.asarray(pics.render("data").buffer_rgba()).astype(int)
        for a in pics.data.dynamic: a.set_animated(False)
        pics.canvases["data"].draw(); full = np.asarray(pics.canvases["data"].buffer_rgba()).astype(int)
        assert (np.abs(blit - full) > 2).mean() < 1e-3
        pics._bg["data"] = None
    assert pics.data.first == 102 - 8 and pics.data.cells[8][0].get_text() == "102"


def test_the_chosen_row_is_framed():
    for bits, row in ((3, 7), (4, 5), (8, 0), (8, 130), (8, 255)):
        st = stepper("parity", bits, example=row)
        pics = StepperPictures(st); pics.render("data")
        texts, _ = drawn_texts(pics, "data")
        label = min((bb for t, bb in texts if t.get_text() == str(row)), key=lambda bb: bb.x0)   # the row numbers come first
        frame = pics.data.frame.get_window_extent(pics.canvases["data"].get_renderer())
        assert frame.y0 <= (label.y0 + label.y1) / 2 <= frame.y1, (bits, row)


def test_iterations_are_numbered_from_1():
    st = stepper("xor", 4)
    pics = StepperPictures(st)
    st.next_iteration(); pics.update(); pics.png("curves")
    for line in [pics.loss.line, *pics.grads.lines]: assert list(line.get_xdata()) == [1]
    st.run(11); pics.update(); pics.png("curves")
    assert list(pics.loss.line.get_xdata()) == list(range(1, 13))
    for ax in (pics.loss.ax, pics.grads.ax):
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks[0] == 1 and all(float(t).is_integer() for t in ticks), ticks


def test_an_update_per_click_stays_fast():
    "Blitting: the network and the 8-bit truth table redraw without a full draw, and the texts drawn per click are few."
    st = stepper("parity", 8, mode="cycle")
    pics = StepperPictures(st)
    for name in pics.figures: pics.png(name)
    t, n = time.perf_counter(), 0
    for _ in range(2 * st.stages_per_iteration):
        st.step()
        for name in pics.update(): pics.png(name); n += 1
    per = (time.perf_counter() - t) / (2 * st.stages_per_iteration)
    assert per < 0.25, f"{per * 1e3:.0f} ms per stage"   # generous: a smoke test on a busy machine, not a benchmark
