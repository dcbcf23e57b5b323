"""Scenario files: load (YAML with line marks) → validate → typed Scenario."""

from __future__ import annotations

from pathlib import Path

from drsim.scenario.loader import RawDoc, load, load_text
from drsim.scenario.schema import Scenario, json_schema
from drsim.scenario.validate import validate
from drsim.scenario.variants import load_resolved


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and validate a scenario file, or a variant file merged onto its base
    (scenario/variants.py); ScenarioError lists every problem."""
    return validate(load_resolved(path))


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Parse and validate scenario text (for tests and notebooks)."""
    return validate(load_text(text, file))


__all__ = ["RawDoc", "Scenario", "json_schema", "load", "load_resolved", "load_scenario",
           "load_text", "parse_scenario", "validate"]
