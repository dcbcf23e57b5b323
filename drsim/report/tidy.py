"""Long-format ("tidy") frames: one observation per row, beside the wide frames.

The wide trials frame (`Trials.frame`) has one row per trial and one column per number, its
per-group, per-service and per-objective columns named `<metric>.<group>`,
`data_lost_s.<service>` and `met.<objective>.<kind>` (ids never contain dots). Seaborn,
`groupby` and plotting libraries want the long form instead, as `DataFrame.melt` gives it:

- `kind="metrics"`:    trial, metric, value            (the scenario-wide numbers)
- `kind="groups"`:     trial, group, metric, value     (rto_basic_s, rto_full_s, downtime_s)
- `kind="services"`:   trial, service, metric, value   (data_lost_s)
- `kind="objectives"`: trial, objective, kind, met

Values keep the wide frame's conventions: +inf is a recovery never reached within the horizon
(censored), NaN is not applicable (no incident); yes/no metrics (all_restored...) become 1.0 /
0.0 in the float `value` column. Failed trials (a row with an error) have no numbers and are
left out (`Trials.failed` counts them). Rows are in trial order, then in the wide frame's
column order.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

import pandas as pd

if TYPE_CHECKING:
    from drsim.metrics import Metrics

TidyKind = Literal["metrics", "groups", "services", "objectives"]
KINDS: tuple[TidyKind, ...] = ("metrics", "groups", "services", "objectives")
GROUP_METRICS = ("rto_basic_s", "rto_full_s", "downtime_s")
_NOT_METRICS = ("trial", "error")


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    if "error" in frame.columns:
        frame = frame[frame["error"].isna()]
    return frame


def _melt(frame: pd.DataFrame, columns: list[str], split: list[str],
          value: str = "value") -> pd.DataFrame:
    """Melt `columns` of the trials that ran into trial, *split, value; each column name is
    split at its dots into the `split` columns (e.g. 'rto_basic_s.ent' → metric, group)."""
    ok = _ok(frame)
    if not columns or ok.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "trial" else object)
                             for c in ["trial", *split, value]})
    long = ok.melt(id_vars=["trial"], value_vars=columns, var_name="_column",
                   value_name=value)
    parts = long["_column"].str.split(".", n=len(split) - 1, expand=True)
    for k, name in enumerate(split):
        long.insert(1 + k, name, parts[k].astype(object))
    long = long.drop(columns="_column").sort_values("trial", kind="stable")
    long["trial"] = long["trial"].astype("int64")
    return long.reset_index(drop=True)


def tidy_trials(frame: pd.DataFrame, kind: TidyKind = "metrics") -> pd.DataFrame:
    """The wide trials frame in long format (see the module docstring for `kind`)."""
    cols = [c for c in frame.columns if c not in _NOT_METRICS]
    if kind == "metrics":
        long = _melt(frame, [c for c in cols if "." not in c], ["metric"])
    elif kind == "groups":
        long = _melt(frame, [c for c in cols if c.split(".")[0] in GROUP_METRICS
                             and "." in c], ["metric", "group"])
        long = long[["trial", "group", "metric", "value"]]
    elif kind == "services":
        long = _melt(frame, [c for c in cols if c.startswith("data_lost_s.")],
                     ["metric", "service"])
        long = long[["trial", "service", "metric", "value"]]
    elif kind == "objectives":
        long = _melt(frame, [c for c in cols if c.startswith("met.")],
                     ["_met", "objective", "kind"], value="met")
        long = long.drop(columns="_met")
        long["met"] = long["met"].astype(bool)
        return long
    else:
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    long["value"] = pd.to_numeric(long["value"].map(
        lambda v: float(v) if v is not None else math.nan), errors="coerce").astype(float)
    return long


def _recovery(value: float | None, reached: bool) -> float:
    """The trials frame's convention: +inf never reached, NaN not applicable."""
    if not reached:
        return math.inf
    return math.nan if value is None else float(value)


def tidy_groups(metrics: Metrics) -> pd.DataFrame:
    """One run's customer groups: group, metric, value (rto_basic_s, rto_full_s,
    downtime_s, availability), in sorted group order."""
    rows = []
    for gid in sorted(metrics.groups):
        g = metrics.groups[gid]
        for metric, value in (("rto_basic_s", _recovery(g.rto_basic_s, g.restored)),
                              ("rto_full_s", _recovery(g.rto_full_s, g.recovered)),
                              ("downtime_s", g.downtime_s),
                              ("availability", g.availability)):
            rows.append({"group": gid, "metric": metric, "value": float(value)})
    return pd.DataFrame(rows, columns=["group", "metric", "value"]).astype(
        {"group": object, "metric": object, "value": float})


def tidy_objectives(metrics: Metrics) -> pd.DataFrame:
    """One run's objectives: objective, kind, subject, target, achieved (NaN: not achieved
    within the horizon), met."""
    rows = [{"objective": o.id, "kind": o.kind, "subject": o.subject, "target": o.target,
             "achieved": math.nan if o.achieved is None else o.achieved, "met": o.met}
            for o in metrics.objectives]
    return pd.DataFrame(rows, columns=["objective", "kind", "subject", "target", "achieved",
                                       "met"]).astype(
        {"objective": object, "kind": object, "subject": object, "target": float,
         "achieved": float, "met": bool})
