"""What every figure shares: a fresh Figure or the caller's axes, unique gids, one legend
entry per label, the palette."""

from __future__ import annotations

import textwrap
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

STEP_COLOURS = ("#4c78a8", "#9c755f", "#54a24b", "#b279a2", "#72b7b2", "#e45756")


def new_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """The given axes and their figure, or a fresh Figure (not registered with pyplot)."""
    if ax is not None:
        return ax.get_figure(root=True), ax  # type: ignore[return-value]
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()



def unique_gids(ax: Axes) -> None:
    """Repeated gids (a state's second span, a step drawn in two lanes) get '#2', '#3'...
    so every element id in the SVG is unique; the first keeps its plain gid."""
    seen: dict[str, int] = {}
    for artist in ax.get_children():
        gid = artist.get_gid()
        if gid:
            seen[gid] = seen.get(gid, 0) + 1
            if seen[gid] > 1:
                artist.set_gid(f"{gid}#{seen[gid]}")


def legend(ax: Axes, extra: list[Any] | None = None, **kw: Any) -> None:
    """One legend entry per label (bars of one runbook share a label)."""
    handles, labels = ax.get_legend_handles_labels()
    seen: dict[str, Any] = {}
    for h, lab in zip(handles, labels, strict=True):
        seen.setdefault(lab, h)
    for h in extra or []:
        seen.setdefault(h.get_label(), h)
    if seen:
        ax.legend(list(seen.values()), list(seen), fontsize=7,
                  **({"loc": "upper left", "bbox_to_anchor": (1.01, 1.0)} | kw))



def text_box(text: Text) -> Bbox | None:
    """Where `text` shows on the canvas (display units), cut to its axes when it is clipped
    there; None when nothing of it shows. Needs a drawn figure (place_texts draws it)."""
    box = text.get_window_extent()
    clip = text.get_clip_box()
    if text.get_clip_on() and clip is not None:
        return Bbox.intersection(box, clip)
    return box


GAP = -3.0  # display units kept clear between placed labels (negative slack)
Spot = tuple[float, float, Literal["left", "center", "right"]]  # x, y (data), alignment


def place_texts(fig: Figure, texts: list[tuple[Text, list[Spot]]]) -> int:
    """Labels that never overlap: each text in turn (the order is the priority) takes the
    first of its candidate spots where it shows whole (a clipped text inside its axes) and
    overlaps no text placed before it and no other text of the figure; a text with no free
    spot is hidden. Returns how many were hidden. The figure's layout is settled first (the
    texts should be out of the layout: set_in_layout(False))."""
    fig.draw_without_rendering()
    movable = {id(t) for t, _ in texts}
    taken = [b for t in _all_texts(fig) if id(t) not in movable
             for b in [text_box(t)] if b is not None]
    hidden = 0
    for text, spots in texts:
        for x, y, ha in spots:
            text.set_position((x, y))
            text.set_horizontalalignment(ha)
            box = text_box(text)
            whole = box is not None and box.width >= text.get_window_extent().width - 0.5
            if whole and box is not None and not any(_overlap(box, b, GAP) for b in taken):
                break
        else:
            text.set_visible(False)
            hidden += 1
            continue
        if box is not None:
            taken.append(box)
    return hidden


def _all_texts(fig: Figure) -> list[Text]:
    """Every non-empty visible text of the figure that is drawn: tick labels of ticks in view,
    titles, axis labels, legends, texts and annotations."""
    out: list[Text] = []
    for ax in fig.axes:
        x0, x1 = sorted(ax.get_xlim())
        y0, y1 = sorted(ax.get_ylim())
        out += [t.label1 for t in ax.xaxis.get_major_ticks() if x0 <= t.get_loc() <= x1]
        out += [t.label1 for t in ax.yaxis.get_major_ticks() if y0 <= t.get_loc() <= y1]
        out += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            out += legend.get_texts()
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def _overlap(a: Bbox, b: Bbox, slack: float = 0.5) -> bool:
    return a.x0 < b.x1 - slack and b.x0 < a.x1 - slack and a.y0 < b.y1 - slack \
        and b.y0 < a.y1 - slack


def set_title(ax: Axes, text: str, fontsize: float = 12.0) -> None:
    """The axes' title, wrapped onto more lines when it would not fit the figure's width
    (an average character is taken as 0.6 of the font size, a little wide on purpose)."""
    fig = ax.get_figure(root=True)
    width_pt = (fig.get_figwidth() if fig is not None else 8.0) * 72.0
    ax.set_title(textwrap.fill(text, width=max(20, int(width_pt / (0.6 * fontsize)))),
                 fontsize=fontsize)
