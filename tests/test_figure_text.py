"""Every figure kind of every bundled drill draws with no two texts overlapping and every
title inside the figure (what a reader sees: tick labels in view, axis labels, titles, legends,
step and link labels; a text clipped to its axes counts only where it shows)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from drsim.bundled import bundled_scenarios
from drsim.report import plots
from drsim.scenario import load_scenario
from drsim.sim.engine import simulate

KINDS: dict[str, Callable[[Any, Any], Figure]] = {
    "timeline": lambda r, sc: plots.plot_timeline(r, sc),
    "status": lambda r, sc: plots.plot_status(r, sc),
    "status-by-site": lambda r, sc: plots.plot_status(r, sc, by_site=True),
    "topology": lambda r, sc: plots.plot_topology(sc, r),
}
_RUNS: dict[str, Any] = {}


def drill(path: Any) -> Any:
    if path.name not in _RUNS:
        sc = load_scenario(path)
        _RUNS[path.name] = (sc, simulate(sc))
    return _RUNS[path.name]


def drawn_texts(fig: Figure, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Text, Bbox]]:
    """(text, where it shows) for every non-empty text the renderer actually drew."""
    drawn: list[Text] = []
    original = Text.draw

    def draw(self: Text, renderer: Any) -> Any:
        drawn.append(self)
        return original(self, renderer)

    monkeypatch.setattr(Text, "draw", draw)
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    monkeypatch.undo()
    renderer = fig.canvas.get_renderer()
    for text in dict.fromkeys(drawn):
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        clip = text.get_clip_box()
        if text.get_clip_on() and clip is not None:
            box = Bbox.intersection(box, clip)
        if box is not None and box.width > 0 and box.height > 0:
            yield text, box


def overlapping(texts: list[tuple[Text, Bbox]], slack: float = 1.0) -> list[tuple[str, str]]:
    out = []
    for i, (a, p) in enumerate(texts):
        for b, q in texts[i + 1:]:
            if p.x0 < q.x1 - slack and q.x0 < p.x1 - slack and p.y0 < q.y1 - slack \
                    and q.y0 < p.y1 - slack:
                out.append((a.get_text(), b.get_text()))
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_no_two_texts_overlap_and_titles_are_whole(path, kind, monkeypatch):
    sc, r = drill(path)
    fig = KINDS[kind](r, sc)
    texts = list(drawn_texts(fig, monkeypatch))
    assert overlapping(texts) == []
    inside = fig.bbox.padded(0.5)
    assert any(t.axes is not None and t is t.axes.title for t, _ in texts), "no title"
    for t, box in texts:  # titles, legends, tick and axis labels: all inside the figure
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 \
            and box.y1 <= inside.y1, f"'{t.get_text()}' is cut off by the figure's edge"


def test_the_checker_sees_an_overlap_and_a_clipped_title(monkeypatch):
    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "first label")
    ax.text(0.5, 0.5, "second label")
    ax.set_title("a title far too long to fit in a figure three inches wide, so it is cut")
    texts = list(drawn_texts(fig, monkeypatch))
    assert ("first label", "second label") in overlapping(texts)
    title = next(b for t, b in texts if t is ax.title)
    assert title.x0 < fig.bbox.x0 or title.x1 > fig.bbox.x1
