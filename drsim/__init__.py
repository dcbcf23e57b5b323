"""drsim: disaster-recovery drill simulator.

    import drsim
    scenario = drsim.load("scenarios/nyc-chicago-drill.yaml")
    result = drsim.simulate(scenario)            # one drill: timeline, outages, metrics
    trials = drsim.run_trials(scenario, 2000)    # many: trials.frame, trials.summary()
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from drsim.analysis.compare import compare
from drsim.analysis.sweep import sweep
from drsim.montecarlo import Trials, run_trials
from drsim.result import RunResult
from drsim.scenario import load_scenario as load
from drsim.scenario import parse_scenario
from drsim.sim.engine import simulate

try:
    __version__ = version("drsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["RunResult", "Trials", "__version__", "compare", "load", "parse_scenario",
           "run_trials", "simulate", "sweep"]
