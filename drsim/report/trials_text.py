"""A readable terminal summary of many trials (rich tables), from a stats.Summary."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from drsim.stats import Estimate, MetricSummary, Quantile, Summary
from drsim.units import format_duration

if TYPE_CHECKING:
    import pandas as pd

    from drsim.result import RunResult

_LABELS = {
    "incidents": "incidents",
    "first_incident_s": "first incident at",
    "ttd_s": "time to detect",
    "tta_s": "time to acknowledge",
    "declared_after_s": "time to declare",
    "rto_basic_s": "time to basic service (worst group)",
    "rto_full_s": "time to full recovery (worst group)",
    "customer_minutes_lost": "customer-minutes lost",
    "downtime_s": "downtime (worst group)",
    "unavailability": "unavailability (customer-weighted)",
    "all_restored": "every group's basic service back within the horizon",
    "all_recovered": "every group fully recovered within the horizon",
}
_PER_GROUP = {"rto_basic_s": "time to basic service", "rto_full_s": "time to full recovery",
              "downtime_s": "downtime", "data_lost_s": "data lost"}


def label(name: str) -> str:
    """A column name as people read it: 'rto_full_s.consumer' → 'time to full recovery:
    consumer'; 'met.voice-rto.rto' → 'voice-rto: rto met'."""
    if name in _LABELS:
        return _LABELS[name]
    if name.startswith("met."):
        objective, _, kind = name[4:].rpartition(".")
        return f"{objective}: {kind} met"
    base, _, subject = name.partition(".")
    return f"{_PER_GROUP.get(base, base)}: {subject}" if subject else name


def format_value(name: str, value: float) -> str:
    """One number of a metric column, in that column's unit."""
    if math.isnan(value):
        return "—"
    if value == math.inf:
        return "not reached"
    if value == -math.inf:
        return "—"
    base = name.partition(".")[0]
    if base.endswith("_s"):
        return format_duration(max(0.0, value)) if value >= 0 else "-" + format_duration(-value)
    if base == "unavailability":
        return f"{value * 100:.3g}%"
    if base == "customer_minutes_lost":
        return f"{value:,.0f}"
    if base == "incidents":
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,.4g}"


def _mean_cell(m: MetricSummary) -> str:
    e = m.mean
    if e.n == 0:
        return "—"
    text = format_value(m.name, e.value)
    if not math.isfinite(e.half_width):
        return f"{text} ± ?"
    half = e.half_width
    if m.name.partition(".")[0].endswith("_s"):
        return f"{text} ± {format_duration(half)}"
    return f"{text} ± {format_value(m.name, half)}"


def _quantile_cell(name: str, q: Quantile, interval: bool) -> str:
    if q.n == 0:
        return "—"
    if not interval:
        return format_value(name, q.value)
    low = "…" if q.low == -math.inf else format_value(name, q.low)
    high = ("not reached" if q.high_censored else "…") if q.high == math.inf \
        else format_value(name, q.high)
    return f"{format_value(name, q.value)}\n[dim]{low} – {high}[/dim]"


def _n_cell(m: MetricSummary) -> str:
    text = f"{m.n:,}"
    if m.censored:
        text += f" [yellow]+{m.censored:,} not reached[/yellow]"
    return text


def _metric_table(title: str, metrics: list[MetricSummary], level: float,
                  intervals: bool) -> Table:
    pct = f"{level * 100:g}%"
    table = Table(title=title)
    table.add_column("metric")
    table.add_column(f"mean ± {pct} CI", justify="right")
    for col in ("P50", "P90", "P95", "P99"):
        table.add_column(col, justify="right")
    table.add_column("n", justify="right")
    for m in metrics:
        table.add_row(label(m.name), _mean_cell(m),
                      *(_quantile_cell(m.name, q, intervals) for q in m.quantiles), _n_cell(m))
    return table


def _pct(x: float, digits: int = 1) -> str:
    return "—" if math.isnan(x) else f"{x * 100:.{digits}f}%"


def _interval(e: Estimate, fmt: Callable[[float], str]) -> str:
    if e.n == 0 or math.isnan(e.value):
        return "—"
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return "—"
    return f"{fmt(e.low)} – {fmt(e.high)}"


def render_summary(summary: Summary, console: Console, quantile_intervals: bool = False,
                   header: bool = True, labels: Mapping[str, str] | None = None) -> None:
    """Tables of the summary, then its notes. quantile_intervals adds each quantile's
    distribution-free interval under its value (always in the summary's JSON); header=False
    leaves out the scenario-name line for callers that print their own (failures still show);
    `labels` names columns its own way (report.objectives.proportion_labels: availability
    objectives with their period)."""
    s = summary
    pct = f"{s.level * 100:g}%"
    head = f"[bold]{escape(s.scenario)}[/bold]  {s.trials:,} trials" if header else ""
    if s.failed:
        head += f"{', ' if head else ''}[red]{s.failed:,} of {s.trials:,} trials failed[/red]"
    if head:
        console.print(head)
    for err in s.errors:
        console.print(f"  [red]{err.count:,}×[/red] {escape(err.message)}", highlight=False)
    if s.succeeded == 0:
        _print_notes(s, console)
        return
    if quantile_intervals:
        console.print(f"[dim]Under each quantile: its {pct} distribution-free interval; … means "
                      "no bound with this many trials.[/dim]")
    overall = [m for m in s.metrics if "." not in m.name]
    per_subject = [m for m in s.metrics if "." in m.name]
    console.print(_metric_table("Per trial", overall, s.level, quantile_intervals))
    if per_subject:
        console.print(_metric_table("Per customer group and service", per_subject, s.level,
                                    quantile_intervals))
    if s.proportions:
        table = Table(title="How often")
        table.add_column("")
        for col in ("probability", f"{pct} CI", "trials"):
            table.add_column(col, justify="right")
        for p in s.proportions:
            e = p.estimate
            name = (labels or {}).get(p.name) or label(p.name)
            table.add_row(name, _pct(e.value), _interval(e, _pct),
                          f"{p.successes:,} of {e.n:,}")
        console.print(table)
    if s.annual is not None:
        a = s.annual
        table = Table(title="Per year (365 days)")
        for col in ("", "expected", f"{pct} CI"):
            table.add_column(col, justify="left" if not col else "right")

        def dur(x: float) -> str:
            return format_duration(x)

        def cm(x: float) -> str:
            return f"{x:,.0f}"

        def inc(x: float) -> str:
            return f"{x:,.2f}"

        def avail(x: float) -> str:
            return _pct(x, 4)

        for name, e, fmt in (
                ("availability (customer-weighted)", a.availability, avail),
                ("downtime (customer-weighted)", a.weighted_downtime_s, dur),
                ("downtime (worst group)", a.downtime_s, dur),
                ("customer-minutes lost", a.customer_minutes_lost, cm),
                ("incidents", a.incidents, inc)):
            table.add_row(name, "—" if math.isnan(e.value) else fmt(e.value),
                          _interval(e, fmt))
        console.print(table)
    _print_notes(s, console)


def _print_notes(s: Summary, console: Console) -> None:
    if not s.notes:
        return
    console.print("[bold]Notes[/bold]")
    for note in s.notes:
        console.print(f"• {escape(note)}", highlight=False)


# ---- objectives breached, and the worst trials ----------------------------------------------


def objective_name(column: str) -> str:
    """'met.voice-rto.rto' → 'voice-rto (rto)' (the objective and which of its targets)."""
    objective, _, kind = column[4:].rpartition(".")
    return f"{objective} ({kind})"


def drill_breaches(result: RunResult) -> list[str]:
    """Every target one drill missed, as 'voice-rto (rto)'."""
    return [f"{o.id} ({o.kind})" for o in result.metrics.objectives if not o.met]


def trials_breaches(summary: Summary) -> list[str]:
    """Every objective target missed in at least one finished trial of a Monte Carlo run (its
    P(met) in the "How often" table is below 100%), as 'voice-rto (rto) in 37 of 500 trials'."""
    out = []
    for p in summary.proportions:
        missed = p.estimate.n - p.successes
        if p.name.startswith("met.") and missed > 0:
            out.append(f"{objective_name(p.name)} in {missed:,} of {p.estimate.n:,} trials")
    return out


def breached_in(row: Any, columns: list[str]) -> list[str]:
    """The objective targets a trial row missed ('voice-rto (rto)'), in column order."""
    return [objective_name(c) for c in columns if not bool(row[c])]


def worst_trials(frame: pd.DataFrame, n: int = 5) -> list[int]:
    """The n finished trials that lost the most customer-minutes (ties: lower trial first)."""
    if not len(frame) or "customer_minutes_lost" not in frame:
        return []
    ok = frame[frame["error"].isna()] if "error" in frame else frame
    top = ok.sort_values(["customer_minutes_lost", "trial"], ascending=[False, True]).head(n)
    return [int(t) for t in top["trial"]]


_WORST = {"customer_minutes_lost": "customer-minutes lost",
          "rto_basic_s": "basic service back", "rto_full_s": "fully recovered"}


def render_worst(frame: pd.DataFrame, console: Console,
                 replay: Callable[[int], str] | None = None, n: int = 5) -> None:
    """The worst trials by customer-minutes lost: their numbers, the objectives each missed,
    and the command that replays each one as a drill with its story."""
    worst = worst_trials(frame, n)
    if not worst:
        return
    met = [str(c) for c in frame.columns if str(c).startswith("met.")]
    rows = {int(r["trial"]): r for r in frame.to_dict("records")}
    table = Table(title=f"The {len(worst)} worst trials (by customer-minutes lost)")
    table.add_column("trial", justify="right")
    for head in _WORST.values():
        table.add_column(head, justify="right")
    if met:
        table.add_column("objectives breached")
    for t in worst:
        r = rows[t]
        table.add_row(str(t), *(format_value(c, float(r[c])) for c in _WORST),
                      *([", ".join(breached_in(r, met)) or "none"] if met else []))
    console.print(table)
    if replay is not None:
        console.print("Replay one as a drill, with its story and timeline:")
        for t in worst:
            console.print(f"  {escape(replay(t))}", highlight=False, soft_wrap=True)
