"""The goodness-of-fit figure of `drsim calibrate`: for one step (or paging delay), the
Kaplan–Meier estimate of its duration's CDF from the observations (right-censored runs count as
censored; an interval-censored run as ending at its interval's midpoint), the fitted CDF over
it, and the expert's estimate it replaces, dashed. Artists carry gids `kaplan-meier`, `fitted`,
`expert`, `censored` (a tick at each right-censored observation)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from drsim.report.plots.common import legend, new_axes, set_title

if TYPE_CHECKING:
    from drsim.calibrate.fit import Fit


def kaplan_meier(fit: Fit) -> tuple[np.ndarray, np.ndarray]:
    """(times s, estimated CDF) of the Kaplan–Meier estimate, by scipy.stats.ecdf."""
    from scipy import stats

    t, ended = fit.sample.midpoints()
    data = stats.CensoredData(uncensored=t[ended], right=t[~ended])
    cdf = stats.ecdf(data).cdf
    return np.asarray(cdf.quantiles), np.asarray(cdf.probabilities)


def plot_fit(fit: Fit, ax: Axes | None = None) -> Figure:
    """The fitted CDF over the Kaplan–Meier estimate of one quantity (minutes on x)."""
    fig, ax = new_axes(ax, (6.0, 3.6))
    x, p = kaplan_meier(fit)
    top = max(float(x.max()) if len(x) else 0.0, fit.expert.quantile(0.95),
              fit.distribution.quantile(0.99) if fit.distribution else 0.0) * 1.1
    ax.step(np.concatenate([[0.0], x, [top]]) / 60, np.concatenate([[0.0], p, [p[-1]]]),
            where="post", color="black", lw=1.5, label=f"Kaplan–Meier (n = {fit.sample.n})",
            gid="kaplan-meier")
    grid = np.linspace(0, top, 300)
    if fit.distribution is not None:
        ax.plot(grid / 60, _cdf(fit.distribution, grid), color="tab:blue", lw=2,
                label=f"fitted {fit.family}", gid="fitted")
    ax.plot(grid / 60, _cdf(fit.expert, grid), color="tab:orange", lw=1.5, ls="--",
            label="expert's estimate" + (" (kept)" if fit.kept else ""), gid="expert")
    if len(fit.sample.right):
        ax.plot(fit.sample.right / 60, np.full(len(fit.sample.right), 0.02), "|",
                color="tab:red", ms=10, label="stopped / still running", gid="censored")
    ax.set_xlim(0, top / 60)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("duration (minutes)")
    ax.set_ylabel("P(done by then)")
    set_title(ax, fit.target)
    legend(ax, loc="lower right", bbox_to_anchor=None)
    return fig


def _cdf(dist: Any, grid: np.ndarray) -> np.ndarray:
    if dist.family == "fixed":
        return (grid >= dist.params[0]).astype(float)
    if dist.family == "empirical":
        values = np.sort(np.asarray(dist.params))
        return np.searchsorted(values, grid, side="right") / len(values)
    return np.asarray(dist._frozen().cdf(grid))


def plot_fits(fits: list[Fit], columns: int = 3) -> Figure:
    """plot_fit for every quantity, as small multiples on one figure (one drawing, however
    many quantities)."""
    rows = max(1, -(-len(fits) // columns))
    fig = Figure(figsize=(5.0 * columns, 3.4 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for fit, ax in zip(fits, axes, strict=False):
        plot_fit(fit, ax)
    for ax in axes[len(fits):]:
        ax.set_visible(False)
    return fig
