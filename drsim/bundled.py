"""The example drills shipped with drsim (the repository's scenarios/ folder)."""

from __future__ import annotations

from pathlib import Path

BUNDLED_DIR = Path(__file__).resolve().parent / "bundled_scenarios"
DEFAULT_SCENARIO = "nyc-chicago-drill.yaml"


def bundled_scenarios() -> list[Path]:
    """The drills, then the public incidents (scenarios/incidents/)."""
    return sorted(BUNDLED_DIR.glob("*.yaml")) + sorted(BUNDLED_DIR.glob("incidents/*.yaml"))


def default_scenario() -> Path:
    """The drill `drsim run` runs when no scenario is given (nyc-chicago-drill.yaml)."""
    return BUNDLED_DIR / DEFAULT_SCENARIO
