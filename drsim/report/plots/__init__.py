"""Figures (matplotlib), one module per family: drill (timeline, status strips, topology),
distributions (histogram, CDF of a trial metric) and decisions (comparison, sweep, Pareto,
tornado). This package re-exports each family's public functions under their old names.

Every function draws on `ax` when given (and returns its Figure), or on a new Figure of its
own; none touches pyplot's global state or calls show(), so they work on any backend (Agg in
tests, inline in notebooks, SVG in the HTML report). Artists carry a `gid` naming what they
stand for ('step:failover.open-bridge', 'status:enterprise:down', 'site:nyc', 'link:nyc-chi',
'objective', ...), which the SVG output keeps as element ids and the tests use to count.
Reports never simulate: every function reads a RunResult (or a frame of trials) and the
Scenario it came from.
"""

from drsim.report.plots.decisions import plot_comparison, plot_pareto, plot_sweep, plot_tornado
from drsim.report.plots.distributions import plot_distribution
from drsim.report.plots.drill import (
    NO_ROLE,
    group_states,
    incident_span,
    plot_status,
    plot_timeline,
    plot_topology,
    window_spans,
)

__all__ = ["NO_ROLE", "group_states", "incident_span", "plot_comparison", "plot_distribution",
           "plot_pareto", "plot_status", "plot_sweep", "plot_timeline", "plot_topology",
           "plot_tornado", "window_spans"]
