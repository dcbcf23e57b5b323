"""The incident story in plain words, built from a RunResult (never by simulating)."""

from __future__ import annotations

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
        for g in inc.groups:
            m = result.metrics.groups[g]
            if m.rto_basic_s is not None:
                lines.append(f"{g} ({m.customers} customers) had basic service back after "
                             f"{format_duration(m.rto_basic_s)}.")
            elif not m.restored:
                lines.append(f"{g} ({m.customers} customers) was still down at the horizon.")
        if inc.end_s is not None:
            lines.append(f"Everything was home with full redundancy at {clock(result, inc.end_s)}"
                         f" ({format_duration(inc.end_s - t0)} after the start).")
        else:
            lines.append("Full recovery was not reached within the horizon.")
        paragraphs.append(" ".join(lines))
    return paragraphs
