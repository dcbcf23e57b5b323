"""drsim explain: why a group was down, why a step started late, for a drill or any trial of
a results folder (replayed: trial N of a run is the same drill, number for number)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from drsim.cli.common import (
    DEBUG,
    Applies,
    Mode,
    handle_errors,
    load,
    out_console,
    refuse_inapplicable,
    with_one_of,
)
from drsim.distributions import did_you_mean
from drsim.errors import DrsimError, FieldValueError
from drsim.units import parse_duration


def _folder(p: Any) -> bool:
    return p["target"] is not None and Path(p["target"]).is_dir()


FOLDER = Mode("for a results folder", "remove it (it names the folder's scenario)", _folder)
SCENARIO_FILE = Mode("for a scenario file (a results folder has its own seed)", "remove it",
                     lambda p: not _folder(p))
WITH_GROUP = with_one_of("with --group", "group", fix="add --group G or remove it")
# which options apply in which mode (every other option applies in every mode)
APPLIES: Applies = {"scenario_file": [FOLDER], "seed": [SCENARIO_FILE], "at": [WITH_GROUP]}


def explain(
    ctx: typer.Context,
    target: Path | None = typer.Argument(
        None, help="A scenario file (default: the bundled drill) or a results folder of "
                   "drsim run --out."),
    trial: int | None = typer.Option(None, "--trial", min=0,
                                     help="Trial number (required for a results folder)."),
    seed: int | None = typer.Option(None, "--seed", min=0,
                                    help="Root seed (default: the scenario's)."),
    scenario_file: Path | None = typer.Option(
        None, "--scenario", help="The scenario a results folder came from (default: the file "
                                 "its manifest names)."),
    group: str | None = typer.Option(None, "--group", help="Why this customer group was down."),
    at: str | None = typer.Option(None, "--at",
                                  help="When: 'HH:MM' (first time after the start), an ISO "
                                       "date-time, or '+6h' after the start."),
    step: str | None = typer.Option(None, "--step",
                                    help="Why this step ('runbook.step') started when it did."),
    debug: bool = DEBUG,
) -> None:
    """Say why: each outage phase by phase, steps unfinished at the horizon, or one group at
    one time (--group, --at) or one step (--step)."""
    from drsim.report.why import Explainer
    from drsim.sim.engine import simulate

    with handle_errors(debug):
        refuse_inapplicable(ctx, APPLIES)
        if target is not None and target.is_dir():
            sc, seed, trial = _from_folder(target, scenario_file, trial)
        else:
            sc = load(target)
        result = simulate(sc, seed=seed, trial=trial or 0)
        why = Explainer(result, sc)
        console = out_console(120)
        if step is not None:
            known = sorted(f"{r}.{s.id}" for r, b in sc.runbooks.items() for s in b.steps)
            if step not in known:
                raise DrsimError(f"--step {step}: no such step; steps are "
                                 f"'runbook.step'{did_you_mean(step, known)}")
            lines = why.step(step)
        elif group is not None:
            if group not in sc.customers:
                raise DrsimError(f"--group {group}: no such customer group; known: "
                                 f"{', '.join(sorted(sc.customers))}"
                                 f"{did_you_mean(group, sc.customers)}")
            lines = (why.group(group, parse_at(at, result.origin, result.horizon_s))
                     if at is not None else _group_outages(why, group))
        else:
            lines = why.outages() or ["No customer group lost basic service."]
            late = why.unfinished()
            if late:
                lines += ["", "Not finished at the horizon:", *late]
        for line in lines:
            console.print(line, markup=False, highlight=False, soft_wrap=True)


def _group_outages(why: Any, group: str) -> list[str]:
    lines: list[str] = []
    keep = False
    for line in why.outages():
        if not line.startswith("  "):
            keep = line.startswith(f"{group} ")
        if keep:
            lines.append(line)
    return lines or [f"{group} never lost basic service."]


def _from_folder(folder: Path, given: Path | None, trial: int | None) -> tuple[Any, int, int]:
    """The scenario, seed and trial of a results folder (checked against its manifest)."""
    from drsim.report.folder import read_folder
    from drsim.report.store import scenario_hash

    man_file = folder / "manifest.json"
    man = read_folder(folder).manifest  # every part checked: one line when it is damaged
    try:
        seed, wanted = int(man["seed"]), str(man["scenario_hash"])
    except (ValueError, KeyError, TypeError) as e:
        raise DrsimError(f"{man_file}: no seed or scenario_hash ({e}); pass a results folder "
                         "written by drsim run --out") from None
    if trial is None:
        raise DrsimError(f"{folder}: a results folder needs --trial N (drsim run lists its "
                         "worst trials)")
    if trial >= int(man.get("trials_requested", trial + 1)):
        raise DrsimError(f"--trial {trial}: the run in {folder} has trials 0–"
                         f"{int(man['trials_requested']) - 1}")
    source = given or (Path(man["scenario_file"]) if man.get("scenario_file") else None)
    if source is None:
        raise DrsimError(f"{man_file}: does not name its scenario; pass it with --scenario")
    sc = load(source)
    if scenario_hash(sc) != wanted:
        raise DrsimError(f"{source}: is not the scenario the run in {folder} came from (it "
                         "has changed since, or is another one); pass the right one with "
                         "--scenario")
    return sc, seed, trial


def parse_at(text: str, origin: datetime, horizon_s: float) -> float:
    """Seconds after the start for --at: '+6h', 'HH:MM' (first such time at or after the
    start) or an ISO date-time (in the scenario's time zone when it has none)."""
    try:
        if text.startswith("+"):
            t = parse_duration(text[1:])
        elif re.fullmatch(r"\d{1,2}:\d{2}", text):
            h, m = map(int, text.split(":"))
            when = origin.replace(hour=h, minute=m, second=0, microsecond=0)
            if when < origin:
                when += timedelta(days=1)
            t = (when - origin).total_seconds()
        else:
            when = datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=origin.tzinfo)
            t = (when - origin).total_seconds()
    except (ValueError, FieldValueError) as e:
        raise DrsimError(f"--at {text}: not a time ({e}); use HH:MM, an ISO date-time or "
                         "+DURATION such as +6h") from None
    if not 0 <= t <= horizon_s:
        raise DrsimError(f"--at {text}: outside the drill (it runs from the start for "
                         f"{horizon_s / 3600:g} h)")
    return t
