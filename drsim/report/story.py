"""The incident story in plain words, built from a RunResult (never by simulating)."""

from __future__ import annotations

from drsim.metrics import IncidentRecord, index_intervals, recovery_in
from drsim.result import RunResult
from drsim.units import format_duration


def clock(result: RunResult, t_s: float | None) -> str:
    if t_s is None:
        return "never (within the horizon)"
    return result.wall(t_s).strftime("%a %d %b %H:%M")


def incident_story(result: RunResult) -> list[str]:
    """One paragraph per incident: start, detection, declaration, runbooks, recovery."""
    if not result.incidents:
        return ["No customer lost service during the drill."]
    paragraphs = []
    for inc in result.incidents:
        t0 = inc.start_s
        lines = [f"Incident {inc.number}: at {clock(result, t0)} customers lost service "
                 f"({', '.join(inc.groups)})."]
        if inc.detected_s is None:
            lines.append("Monitoring never raised an alert: service came back first.")
        else:
            lines.append(f"Monitoring raised the alert at {clock(result, inc.detected_s)} "
                         f"({format_duration(inc.detected_s - t0)} after the start).")
        if inc.acknowledged_s is not None and inc.acknowledged_s != inc.detected_s:
            lines.append(f"The page was acknowledged at {clock(result, inc.acknowledged_s)}.")
        if inc.declared_s is not None:
            lines.append(f"A disaster was declared at {clock(result, inc.declared_s)}.")
        end = inc.end_s if inc.end_s is not None else result.horizon_s
        for e in result.timeline:
            if t0 <= e.time_s <= end and e.kind in ("runbook_start", "runbook_end"):
                verb = "started" if e.kind == "runbook_start" else e.detail
                lines.append(f"Runbook '{e.subject}' {verb} at {clock(result, e.time_s)}.")
        lines.extend(_recoveries(result, inc))
        if inc.end_s is not None:
            lines.append(f"Everything was home with full redundancy at {clock(result, inc.end_s)}"
                         f" ({format_duration(inc.end_s - t0)} after the start).")
        else:
            lines.append("Full recovery was not reached within the horizon.")
        paragraphs.append(" ".join(lines))
    return paragraphs


def _recoveries(result: RunResult, inc: IncidentRecord) -> list[str]:
    """'a and b (4,500 customers) had basic service back after 2h 57m.' — groups that
    recovered together in this incident are told together, earliest first."""
    by_time: dict[float | None, list[str]] = {}
    spells = index_intervals(result.intervals)
    for g in inc.groups:
        hit, rto = recovery_in(spells, g, "basic", inc, result.horizon_s)
        if hit:
            by_time.setdefault(rto, []).append(g)
    lines = []
    for rto in sorted(by_time, key=lambda t: (t is None, t or 0.0)):
        names = by_time[rto]
        who = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        count = sum(result.metrics.groups[g].customers for g in names)
        if rto is None:
            lines.append(f"{who} ({count:,} customers) still had no basic service at the "
                         "horizon.")
        else:
            lines.append(f"{who} ({count:,} customers) had basic service back after "
                         f"{format_duration(rto)}.")
    return lines
