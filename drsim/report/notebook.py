"""How results show themselves in a REPL and in Jupyter: a one-line `repr` and an HTML summary.

`repr()` is one line that names the result and its headline numbers (never the timeline or
the frame). `_repr_html_()` is what Jupyter draws: small escaped tables of the headline
numbers; the full data stay in the frames (`.frame`, `.tidy()`, `*_frame()`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any, Protocol

from drsim.units import format_duration

if TYPE_CHECKING:
    import pandas as pd

    from drsim.metrics import Metrics
    from drsim.scenario.schema import Scenario


# What each renderer reads of its result: protocols, not imports, because the result classes
# import this module (lazily) for their reprs; importing them back would close a circle.


class RunResult(Protocol):
    @property
    def scenario(self) -> str: ...
    @property
    def seed(self) -> int: ...
    @property
    def trial(self) -> int: ...
    @property
    def horizon_s(self) -> float: ...
    @property
    def metrics(self) -> Metrics: ...


class Trials(Protocol):
    scenario: Scenario
    seed: int
    frame: pd.DataFrame
    requested: int
    complete: bool

    @property
    def failed(self) -> int: ...
    def summary(self) -> Any: ...


class Comparison(Protocol):
    names: list[str]
    seed: int
    trials: int
    frame: pd.DataFrame
    level: float
    notes: list[str]

    @property
    def baseline(self) -> str: ...


class Sweep(Protocol):
    parameters: list[str]
    cells: list[tuple[str, ...]]
    comparison: Any
    frame: pd.DataFrame

    @property
    def seed(self) -> int: ...
    @property
    def trials(self) -> int: ...


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def number(metric: str, value: float | None) -> str:
    """A metric's value for people: durations as '2h 05m', probabilities as %, counts with
    thousands separators; NaN/None '—', +inf 'never'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if value == math.inf:
        return "never"
    if metric.split(".")[0].endswith("_s"):
        return format_duration(value) if value >= 0 else "−" + format_duration(-value)
    if metric in ("unavailability", "availability") or metric.startswith(("met.", "all_")):
        return f"{value:.4%}" if metric.endswith("availability") else f"{value:.1%}"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.3g}"


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """An HTML table, every cell escaped."""
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _title(kind: str, text: str) -> str:
    return f"<p><strong>{escape(kind)}</strong> {escape(text)}</p>"


# ---- RunResult ------------------------------------------------------------------------------


def run_repr(r: RunResult) -> str:
    m = r.metrics
    met = sum(o.met for o in m.objectives)
    rto = "never" if not m.all_restored else number("rto_basic_s", m.rto_basic_s)
    return (f"<RunResult {r.scenario!r} seed={r.seed} trial={r.trial}: "
            f"{_plural(m.incidents, 'incident')}, rto_basic {rto}, "
            f"{m.customer_minutes_lost:,.0f} customer-minutes lost, "
            f"objectives met {met}/{len(m.objectives)}>")


def run_html(r: RunResult) -> str:
    m = r.metrics
    head = _title("RunResult", f"{r.scenario} · seed {r.seed} · trial {r.trial} · horizon "
                               f"{format_duration(r.horizon_s)}")
    rows = [("incidents", m.incidents), ("time to detect", number("ttd_s", m.ttd_s)),
            ("rto_basic", number("rto_basic_s", m.rto_basic_s if m.all_restored
                                 else math.inf)),
            ("rto_full", number("rto_full_s", m.rto_full_s if m.all_recovered else math.inf)),
            ("customer-minutes lost", f"{m.customer_minutes_lost:,.0f}"),
            ("worst group without basic service", number("downtime_s", m.downtime_s))]
    groups = [(g.group, f"{g.customers:,}",
               number("rto_basic_s", g.rto_basic_s if g.restored else math.inf),
               number("rto_full_s", g.rto_full_s if g.recovered else math.inf),
               number("downtime_s", g.downtime_s), number("availability", g.availability))
              for _, g in sorted(m.groups.items())]
    objectives = [(o.id, o.kind, o.subject, _target(o.kind, o.target),
                   "not within the horizon" if o.achieved is None
                   else _target(o.kind, o.achieved), "met" if o.met else "BREACHED")
                  for o in m.objectives]
    parts = [head, table(["metric", "value"], rows),
             table(["group", "customers", "rto_basic", "rto_full", "downtime", "availability"],
                   groups)]
    if objectives:
        parts.append(table(["objective", "kind", "subject", "target", "achieved", "status"],
                           objectives))
    return "<div>" + "".join(parts) + "</div>"


def _target(kind: str, value: float) -> str:
    return number("availability", value) if kind == "availability" else number("x_s", value)


# ---- Trials -------------------------------------------------------------------------------


def trials_repr(t: Trials) -> str:
    state = "" if t.complete else ", incomplete"
    failed = f", {t.failed} failed" if t.failed else ""
    return (f"<Trials {t.scenario.name!r} seed={t.seed}: {len(t.frame)}/{t.requested} "
            f"trials{state}{failed}>")


def trials_html(t: Trials) -> str:
    head = _title("Trials", f"{t.scenario.name} · seed {t.seed} · {len(t.frame)} of "
                            f"{t.requested} trials" + ("" if t.complete else " (incomplete)")
                  + (f" · {t.failed} failed" if t.failed else ""))
    if not len(t.frame) or t.failed == len(t.frame):
        return f"<div>{head}</div>"
    s = t.summary()
    pct = f"{s.level:.0%}"
    rows = []
    for m in s.metrics:
        if "." in m.name:
            continue
        rows.append((m.name, number(m.name, m.mean.value),
                     f"{number(m.name, m.mean.low)} – {number(m.name, m.mean.high)}",
                     number(m.name, m.quantile(0.5).value), number(m.name, m.quantile(0.95).value),
                     m.censored))
    props = [(p.name, number("met.", p.estimate.value),
              f"{number('met.', p.estimate.low)} – {number('met.', p.estimate.high)}")
             for p in s.proportions]
    return ("<div>" + head
            + table(["metric", "mean", f"{pct} CI of the mean", "P50", "P95", "censored"], rows)
            + table(["yes/no", "P(yes)", f"{pct} CI"], props) + "</div>")


# ---- Comparison and Sweep -------------------------------------------------------------------


def comparison_repr(c: Comparison) -> str:
    others = ", ".join(repr(n) for n in c.names[1:]) or "nothing"
    return (f"<Comparison baseline {c.baseline!r} vs {others}: {c.trials} paired trials, "
            f"seed={c.seed}, {_plural(c.frame['metric'].nunique(), 'metric')}>")


def _rows(frame: pd.DataFrame, label: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for r in records:
        metric = str(r["metric"])
        head = metric if r["kind"] != "probability" else f"P({metric})"
        diff = "baseline" if bool(r[label]) else (
            f"{number(metric, r['diff'])} [{number(metric, r['diff_low'])}, "
            f"{number(metric, r['diff_high'])}]" + (" *" if r["significant"] else ""))
        rows.append((head, number(metric, r["estimate"]),
                     f"{number(metric, r['low'])} – {number(metric, r['high'])}", diff,
                     number("met.", r["p_best"])))
    return rows


def comparison_html(c: Comparison) -> str:
    head = _title("Comparison", f"baseline {c.baseline} · {c.trials} paired trials · seed "
                                f"{c.seed}")
    rows = [(str(v), *rest) for v, rest in zip(c.frame["variant"], _rows(c.frame, "baseline"),
                                                strict=True)]
    return ("<div>" + head + table(["variant", "metric", "estimate", f"{c.level:.0%} CI",
                                    "difference vs baseline", "P(best)"], rows)
            + "".join(f"<p>{escape(n)}</p>" for n in c.notes) + "</div>")


def sweep_repr(s: Sweep) -> str:
    return (f"<Sweep {' × '.join(s.parameters)}: {_plural(len(s.cells), 'cell')}, "
            f"{s.trials} paired trials, seed={s.seed}>")


def sweep_html(s: Sweep) -> str:
    head = _title("Sweep", f"{' × '.join(s.parameters)} · {_plural(len(s.cells), 'cell')} · "
                           f"{s.trials} paired trials · seed {s.seed}")
    cells = [tuple(str(v) for v in vals) for vals in s.frame[s.parameters].itertuples(
        index=False)]
    rows = [(*cell, *rest) for cell, rest in zip(cells, _rows(s.frame, "first_cell"),
                                                 strict=True)]
    return ("<div>" + head + table([*s.parameters, "metric", "estimate",
                                    f"{s.comparison.level:.0%} CI",
                                    "difference vs first cell", "P(best)"], rows) + "</div>")
