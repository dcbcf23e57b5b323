"""Scenario files: load (YAML with line marks) → validate → typed Scenario."""

from __future__ import annotations

from pathlib import Path

from drsim.errors import Issue
from drsim.scenario.loader import RawDoc, load, load_text
from drsim.scenario.schema import Scenario, json_schema
from drsim.scenario.validate import validate, validate_with_warnings
from drsim.scenario.variants import load_resolved


def load_scenario(path: str | Path) -> Scenario:
    """Read, parse and validate a scenario file, or a variant file merged onto its base
    (scenario/variants.py); ScenarioError lists every problem."""
    return validate(load_resolved(path))


def check_scenario(path: str | Path) -> tuple[Scenario, list[Issue]]:
    """load_scenario(path), and the warnings about it (scenario/sense.py): what the CLI
    prints before it runs anything."""
    return validate_with_warnings(load_resolved(path))


def parse_scenario(text: str, file: str = "<scenario>") -> Scenario:
    """Parse and validate scenario text (for tests and notebooks)."""
    return validate(load_text(text, file))


__all__ = ["RawDoc", "Scenario", "check_scenario", "json_schema", "load", "load_resolved",
           "load_scenario", "load_text", "parse_scenario", "validate"]
