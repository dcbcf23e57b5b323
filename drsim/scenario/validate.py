"""RawDoc → Scenario: field checks (pydantic) and cross-reference checks, all in one pass.

Every problem becomes an Issue at file:line:col with the path inside the scenario, what is
wrong and how to fix it. The two kinds of check live beside this entry point, one job each:
scenario/schema_issues.py turns pydantic's errors into Issues, scenario/references.py checks
that every id names something defined. Both always run, so one pass reports everything.
"""

from __future__ import annotations

from pydantic import ValidationError

from drsim.errors import Issue, ScenarioError
from drsim.scenario.loader import RawDoc, paused_gc
from drsim.scenario.names import case_clashes
from drsim.scenario.references import References
from drsim.scenario.schema import Scenario
from drsim.scenario.schema_issues import schema_issues
from drsim.scenario.sense import sense_warnings, unservable
from drsim.scenario.times import dst_issues


def validate(raw: RawDoc) -> Scenario:
    """Return the typed Scenario, or raise ScenarioError with every problem found."""
    with paused_gc():
        return _validate(raw)


def _validate(raw: RawDoc) -> Scenario:
    issues: list[Issue] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(raw.data)
    except ValidationError as e:
        issues.extend(schema_issues(raw, e))
    issues.extend(References(raw).check())
    issues.extend(case_clashes(raw))
    issues.extend(dst_issues(raw)[0])
    if scenario is not None and not issues:
        issues.extend(unservable(raw, scenario))
    if issues:
        raise ScenarioError(_dedupe(issues))
    assert scenario is not None
    return scenario


def validate_with_warnings(raw: RawDoc) -> tuple[Scenario, list[Issue]]:
    """validate(raw), and the warnings about a model that runs but may not mean what was
    meant (scenario/sense.py): each an Issue whose message starts 'warning: '."""
    scenario = validate(raw)
    return scenario, sense_warnings(raw, scenario)


def _dedupe(issues: list[Issue]) -> list[Issue]:
    seen, out = set(), []
    for i in issues:
        if (i.path, i.message) not in seen:
            seen.add((i.path, i.message))
            out.append(i)
    return out
