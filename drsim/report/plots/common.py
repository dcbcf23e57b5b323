"""What every figure shares: a fresh Figure or the caller's axes, unique gids, one legend
entry per label, the palette."""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

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

