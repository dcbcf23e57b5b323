"""What every answer of the exact and rare methods states, whichever method gave it: the
method, the scenario, the customer-weighted unavailability (and availability), how exact it
is, what was approximated (if anything), and the CPU seconds it took."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class MethodResult:
    method: str
    scenario: str
    unavailability: float  # customer-weighted
    seconds: float  # CPU
    approximation: str = ""  # '' when the model is the scenario as written

    @property
    def availability(self) -> float:
        return 1.0 - self.unavailability

    @property
    def how_exact(self) -> str:
        """The method's own statement of its precision."""
        raise NotImplementedError

    @property
    def precision(self) -> str:
        """How exact, and of what: the approximation (when there is one) is part of it."""
        return self.how_exact + (f"; {self.approximation}" if self.approximation else "")

    def stated(self) -> dict[str, Any]:
        """The keys every method's JSON has."""
        return {"method": self.method, "scenario": self.scenario,
                "unavailability": self.unavailability, "availability": self.availability,
                "precision": self.precision, "approximation": self.approximation or None,
                "seconds": self.seconds}


__all__ = ["MethodResult"]
