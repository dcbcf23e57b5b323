"""Shared fixtures: a seeded rng, scenario text → Scenario, and a minimal scenario factory."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
import yaml

matplotlib.use("Agg")

from drsim.scenario import Scenario, validate  # noqa: E402
from drsim.scenario.loader import load_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

# The smallest useful scenario: one site, one service, one group, nothing fails.
MINIMAL: dict[str, Any] = {
    "drsim": 1,
    "name": "minimal",
    "simulation": {"start": "2026-03-10T09:00", "timezone": "UTC", "horizon": "1d", "seed": 1},
    "sites": {"a": {"components": {"box": {"count": 1, "ttr": "1h"}}}},
    "services": {"svc": {"requires": ["box"], "active": ["a"]}},
    "customers": {"users": {"count": 100, "access": "a", "home": "a", "services": ["svc"]}},
}


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge `patch` into a copy of `base` (None deletes a key)."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def scenario_factory():
    """scenario_factory(**sections) → validated Scenario built on MINIMAL."""

    def make(**overrides: Any) -> Scenario:
        data = merge(MINIMAL, overrides)
        return validate(load_text(yaml.safe_dump(data, sort_keys=False), "<factory>"))

    return make


@pytest.fixture
def write_scenario(tmp_path: Path):
    """write_scenario(text, name='s.yaml') → path of a file holding the dedented text."""

    def write(text: str, name: str = "s.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def parse(text: str) -> Scenario:
    """Scenario from (dedented) YAML text."""
    return validate(load_text(textwrap.dedent(text), "<test>"))


@pytest.fixture
def minimal_file(tmp_path: Path) -> Path:
    """MINIMAL written to tmp_path/min.yaml, for commands run on a file."""
    path = tmp_path / "min.yaml"
    path.write_text(yaml.safe_dump(MINIMAL, sort_keys=False))
    return path
