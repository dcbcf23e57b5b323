"""The map: how the names in a team's logs correspond to the scenario's ids (a small YAML).

    steps:                          # the drill log's step names → runbook.step of the scenario
      Open the bridge: failover.open-bridge
      Check Chicago: failover.verify-chicago
    components:                     # status-page component names → customer groups / services
      Voice (Central): {groups: [smb-central]}
      Voice: {services: [voice]}    # a service: every group that uses it

A log name that is already a `runbook.step` of the scenario, or a step id found in exactly one
runbook, needs no entry. Every target is checked against the scenario, and every log name that
matches nothing is reported at its line with a did-you-mean.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drsim.calibrate.inputs import InputError, InputIssue, did_you_mean, issue
from drsim.calibrate.records import StepRun
from drsim.errors import Issue, ScenarioError, show

if TYPE_CHECKING:
    from drsim.scenario import Scenario

SECTIONS = ("steps", "components")
TARGET_KEYS = ("groups", "services")


@dataclass(frozen=True)
class NameMap:
    """Log step names → `runbook.step`; status-page component names → customer groups."""

    steps: dict[str, str] = field(default_factory=dict)
    components: dict[str, tuple[str, ...]] = field(default_factory=dict)
    file: str = ""
    # the scenario's steps, `runbook.step`, in file order
    known_steps: tuple[str, ...] = ()

    def step_id(self, name: str) -> str | None:
        """The scenario step a log name means, or None."""
        if name in self.steps:
            return self.steps[name]
        if name in self.known_steps:
            return name
        bare = [s for s in self.known_steps if s.split(".", 1)[1] == name]
        return bare[0] if len(bare) == 1 else None


def scenario_steps(scenario: Scenario) -> tuple[str, ...]:
    return tuple(f"{rb}.{step.id}" for rb, book in scenario.runbooks.items()
                 for step in book.steps)


def read_map(path: str | Path | None, scenario: Scenario) -> NameMap:
    """The map at `path` checked against `scenario` (no path: names must be the scenario's
    own); ScenarioError lists every problem at its line."""
    known = scenario_steps(scenario)
    if path is None:
        return NameMap(known_steps=known)
    from drsim.scenario.loader import load

    doc = load(path)
    data = doc.data
    problems: list[Issue] = []
    if not isinstance(data, dict):
        raise ScenarioError([doc.issue((), f"expected a mapping with {' and/or '.join(SECTIONS)}"
                                           f", got {type(data).__name__}")])
    for key in data:
        if key not in SECTIONS:
            problems.append(doc.issue((key,), f"unknown section {show(key)}"
                                              f"{did_you_mean(str(key), SECTIONS)}; sections: "
                                              f"{', '.join(SECTIONS)}", key=True))
    steps: dict[str, str] = {}
    for name, target in _section(doc, "steps", problems).items():
        if not isinstance(target, str) or target not in known:
            problems.append(doc.issue(("steps", name), f"{show(target)} is not a step of the "
                                      f"scenario{did_you_mean(str(target), known)}; write "
                                      f"runbook.step, one of {', '.join(known)}"))
        else:
            steps[str(name)] = target
    components: dict[str, tuple[str, ...]] = {}
    for name, target in _section(doc, "components", problems).items():
        groups = _groups(doc, ("components", name), target, scenario, problems)
        if groups is not None:
            components[str(name)] = groups
    if problems:
        raise ScenarioError(problems)
    return NameMap(steps, components, str(path), known)


def _section(doc: Any, key: str, problems: list[Issue]) -> dict[Any, Any]:
    value = doc.data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(doc.issue((key,), f"expected a mapping of names, got "
                                          f"{type(value).__name__}"))
        return {}
    return dict(value)


def _groups(doc: Any, path: tuple[str, ...], target: Any, scenario: Scenario,
            problems: list[Issue]) -> tuple[str, ...] | None:
    if not isinstance(target, dict) or not target or set(target) - set(TARGET_KEYS):
        bad = sorted(set(target) - set(TARGET_KEYS)) if isinstance(target, dict) else []
        problems.append(doc.issue(path, f"expected {{groups: [...]}} and/or {{services: [...]}}"
                                        f"{did_you_mean(str(bad[0]), TARGET_KEYS) if bad else ''}"
                                        f", got {show(target)}"))
        return None
    out: list[str] = []
    for key, known in (("groups", scenario.customers), ("services", scenario.services)):
        names = target.get(key) or []
        names = [names] if isinstance(names, str) else names
        for i, n in enumerate(names if isinstance(names, list) else [names]):
            if n not in known:
                problems.append(doc.issue((*path, key, i), f"unknown {key[:-1]} {show(n)}"
                                          f"{did_you_mean(str(n), known)}; known: "
                                          f"{', '.join(known)}"))
            elif key == "groups":
                out.append(n)
            else:
                out += [g for g, c in scenario.customers.items() if n in c.services]
    return tuple(dict.fromkeys(out))


def map_runs(runs: Iterable[StepRun], names: NameMap) -> list[StepRun]:
    """The runs with `step` replaced by the scenario's `runbook.step`; InputError listing every
    log name that matches nothing (at its first line, with a did-you-mean)."""
    out, problems, reported = [], [], set()
    for run in runs:
        target = names.step_id(run.step)
        if target is not None:
            out.append(replace(run, step=target))
            continue
        if run.step not in reported:
            reported.add(run.step)
            problems.append(_unknown_step(run, names))
    if problems:
        raise InputError(problems)
    return out


def _unknown_step(run: StepRun, names: NameMap) -> InputIssue:
    candidates = [*names.steps, *names.known_steps,
                  *(s.split(".", 1)[1] for s in names.known_steps)]
    where = f"map {names.file}" if names.file else "a map (--map)"
    line = int(run.source.rsplit(":", 1)[1]) if run.source.rsplit(":", 1)[-1].isdigit() else 0
    return issue(run.source, "step", f"{show(run.step)} is not a step of the scenario nor "
                                     f"named in {where}{did_you_mean(run.step, candidates)}; "
                                     "add it under `steps:` in the map as "
                                     f"'{run.step}: runbook.step'", line)
