"""drsim: disaster-recovery drill simulator.

    import drsim
    scenario = drsim.load("scenarios/nyc-chicago-drill.yaml")
    result = drsim.simulate(scenario)            # one drill: timeline, outages, metrics
    trials = drsim.run_trials(scenario, 2000)    # many: trials.frame, trials.summary()
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drsim.analysis.compare import compare
    from drsim.analysis.sweep import sweep
    from drsim.montecarlo import Trials, run_trials
    from drsim.result import RunResult
    from drsim.scenario import load_scenario as load
    from drsim.scenario import parse_scenario
    from drsim.sim.engine import simulate

    __version__: str

__all__ = ["RunResult", "Trials", "__version__", "compare", "load", "parse_scenario",
           "run_trials", "simulate", "sweep"]

# public name → (module, attribute): imported on first use, so `import drsim` (and the
# command line, which imports this package first) does not pay for pandas, scipy or simpy
_LAZY = {
    "compare": ("drsim.analysis.compare", "compare"),
    "sweep": ("drsim.analysis.sweep", "sweep"),
    "Trials": ("drsim.montecarlo", "Trials"),
    "run_trials": ("drsim.montecarlo", "run_trials"),
    "RunResult": ("drsim.result", "RunResult"),
    "load": ("drsim.scenario", "load_scenario"),
    "parse_scenario": ("drsim.scenario", "parse_scenario"),
    "simulate": ("drsim.sim.engine", "simulate"),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("drsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata alone takes longer than the rest of --help
        value: Any = _version()
        globals()[name] = value
        return value
    if name not in _LAZY:
        raise AttributeError(f"module 'drsim' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
