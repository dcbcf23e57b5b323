"""Text of the exact and rare methods' answers (`drsim run --method exact|rare`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from drsim.units import SECONDS_PER_YEAR, format_duration

if TYPE_CHECKING:
    from rich.console import Console

    from drsim.methods.exact import ExactResult
    from drsim.methods.rare import RareResult
    from drsim.methods.result import MethodResult


def nines(u: float) -> str:
    """Availability 1 − u as a percentage with enough digits to show u (99.99990%)."""
    if u <= 0:
        return "100%"
    digits = max(2, min(12, math.ceil(-math.log10(u)) + 1))
    return f"{100 * (1 - u):.{digits}f}%"


def mttf(seconds: float) -> str:
    """'never', '17h 30m', or beyond a year '1,185 y'."""
    if math.isinf(seconds):
        return "never"
    if seconds > SECONDS_PER_YEAR:
        return f"{seconds / SECONDS_PER_YEAR:,.4g} y"
    return format_duration(seconds)


def render_method(r: MethodResult, console: Console, name: str) -> None:
    """The first line: the method and how exact it is; then, on its own line, what was
    approximated (an approximate answer always says so and of what)."""
    console.print(f"[bold]{escape(name)}[/bold]  method {r.method}"
                  + (" (approximate)" if r.approximation else "") + f": {escape(r.how_exact)}")
    if r.approximation:
        console.print(f"approximation: {escape(r.approximation)}")


def render_exact(r: ExactResult, console: Console, name: str) -> None:
    render_method(r, console, name)
    table = Table(title=f"Per customer group (horizon {format_duration(r.horizon_s)} from "
                        "all up; long run: steady state)")
    for col in ("group", "customers", "availability (horizon)", "unavailability (long run)",
                "downtime / year", "outages / year", "MTTF from all up"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for g in r.groups:
        table.add_row(escape(g.group), f"{g.customers:,}", nines(g.unavailability),
                      f"{g.steady_unavailability:.4g}", format_duration(g.downtime_per_year_s),
                      f"{g.outages_per_year:.4g}",
                      mttf(g.mttf_s))
    console.print(table)
    console.print(f"Customer-weighted availability over the horizon {nines(r.unavailability)}; "
                  f"long-run unavailability {r.steady_unavailability:.4g}")


def render_rare(r: RareResult, console: Console, name: str) -> None:
    render_method(r, console, name)
    table = Table(title="Long-run unavailability, 95% CI")
    for col in ("group", "unavailability", "±"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for g, u, re in r.groups:
        table.add_row(escape(g), f"{u:.4g}", f"{100 * re:.1f}%")
    console.print(table)
    console.print(f"Customer-weighted long-run unavailability {r.unavailability:.4g} "
                  f"(95% CI {r.low:.4g} – {r.high:.4g}); availability {nines(r.unavailability)}")
