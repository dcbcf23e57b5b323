"""A drill over the model: per phase and per step, the simulated P5–P95 band and median, and
the drill's own value (the phases, measured from the fault, are the drill's timeline)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.figure import Figure

from drsim.calibrate.score import Score, is_step
from drsim.report.plots.common import set_title, unique_gids

HOUR = 3600.0


def plot_drill_bands(scores: Sequence[Score], drill: str) -> Figure:
    """Two panels: phases (hours from the fault) and steps (durations, hours). Each row: the
    simulated P5–P95 band (a bar), its median (a tick) and the observed value (a diamond,
    red when outside the band; an arrow → when it is only a lower bound)."""
    phases = [s for s in scores if not is_step(s.key) and not s.key.startswith("data_lost")]
    steps = [s for s in scores if is_step(s.key)]
    panels = [(rows, title) for rows, title in ((phases, "Phases, from the fault"),
                                                (steps, "Steps, their durations")) if rows]
    height = 1.2 + 0.32 * sum(len(rows) for rows, _ in panels) + 0.6 * len(panels)
    fig = Figure(figsize=(9.0, max(2.5, height)), layout="constrained")
    if not panels:
        set_title(fig.add_subplot(), f"Drill {drill}: no time to draw")
        return fig
    ratios = [max(1, len(rows)) for rows, _ in panels]
    axes = fig.subplots(len(panels), 1, gridspec_kw={"height_ratios": ratios}, squeeze=False)
    from drsim.report.score_text import label

    for ax, (rows, title) in zip(axes[:, 0], panels, strict=True):
        finite = [v for s in rows for v in (s.p5_s, s.p95_s, s.observed.value_s)
                  if math.isfinite(v)]
        right = max(finite, default=HOUR) / HOUR * 1.08 or 1.0
        for y, s in enumerate(reversed(rows)):
            lo, hi = s.p5_s / HOUR, min(s.p95_s / HOUR, right)
            ax.barh(y, hi - lo, left=lo, height=0.5, color="#c9d7ee", edgecolor="#7f9cc9",
                    label="simulated P5–P95" if y == 0 else None)
            ax.plot([min(s.median_s / HOUR, right)] * 2, [y - 0.25, y + 0.25], color="#1d2330",
                    lw=2, label="simulated median" if y == 0 else None)
            colour = "#d8363b" if s.outside else "#1d2330"
            x = s.observed.value_s / HOUR
            ax.plot([x], [y], marker=">" if s.observed.at_least else "D", color=colour,
                    markersize=8, linestyle="none")
        ax.plot([], [], marker="D", color="#1d2330", linestyle="none", label="this drill")
        ax.plot([], [], marker="D", color="#d8363b", linestyle="none",
                label="this drill, outside the band")
        ax.set_yticks(range(len(rows)), [label(s.key) for s in reversed(rows)])
        ax.set_xlim(0, right)
        ax.set_xlabel("hours")
        ax.set_title(title, loc="left", fontsize=11)
        ax.grid(axis="x", color="#dde2ea")
        unique_gids(ax)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    fig.suptitle(f"Drill {drill} over the model", x=0.02, ha="left")
    return fig
