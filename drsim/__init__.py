"""drsim: disaster-recovery drill simulator.

    import drsim
    scenario = drsim.load("scenarios/nyc-chicago-drill.yaml")
    result = drsim.simulate(scenario)            # one drill: timeline, outages, metrics
    trials = drsim.run_trials(scenario, 2000)    # many: trials.frame, trials.tidy(), .summary()

Everything in `__all__` is the public API (README "Python API"); the modules under drsim
are its implementation and may move. Names are imported on first use, so `import drsim`
stays cheap (pandas, scipy and matplotlib load only when something needs them).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drsim.analysis.compare import Comparison, compare
    from drsim.analysis.invest import Investment, invest
    from drsim.analysis.sweep import Sweep, sweep
    from drsim.bundled import bundled_scenarios, default_scenario
    from drsim.calibrate.drill import read_inputs as read_drills
    from drsim.calibrate.fit import fit_all as fit_durations
    from drsim.calibrate.variant import variant_text as fitted_variant
    from drsim.errors import DrsimError, ScenarioError
    from drsim.montecarlo import Trials, run_trials
    from drsim.report.plots import plot_distribution, plot_pareto, plot_status, plot_timeline
    from drsim.report.plots.calibration import plot_fits
    from drsim.report.story import incident_story
    from drsim.result import RunResult
    from drsim.scenario import load_scenario as load
    from drsim.scenario import parse_scenario
    from drsim.scenario.schema import Scenario
    from drsim.sim.engine import simulate

    __version__: str

# public name → (module, attribute): where it lives today
_PUBLIC: dict[str, tuple[str, str]] = {
    "load": ("drsim.scenario", "load_scenario"),
    "parse_scenario": ("drsim.scenario", "parse_scenario"),
    "simulate": ("drsim.sim.engine", "simulate"),
    "run_trials": ("drsim.montecarlo", "run_trials"),
    "compare": ("drsim.analysis.compare", "compare"),
    "sweep": ("drsim.analysis.sweep", "sweep"),
    "invest": ("drsim.analysis.invest", "invest"),
    "Scenario": ("drsim.scenario.schema", "Scenario"),
    "RunResult": ("drsim.result", "RunResult"),
    "Trials": ("drsim.montecarlo", "Trials"),
    "Comparison": ("drsim.analysis.compare", "Comparison"),
    "Sweep": ("drsim.analysis.sweep", "Sweep"),
    "Investment": ("drsim.analysis.invest", "Investment"),
    "DrsimError": ("drsim.errors", "DrsimError"),
    "ScenarioError": ("drsim.errors", "ScenarioError"),
    "bundled_scenarios": ("drsim.bundled", "bundled_scenarios"),
    "default_scenario": ("drsim.bundled", "default_scenario"),
    "incident_story": ("drsim.report.story", "incident_story"),
    "plot_timeline": ("drsim.report.plots", "plot_timeline"),
    "plot_status": ("drsim.report.plots", "plot_status"),
    "plot_distribution": ("drsim.report.plots", "plot_distribution"),
    "plot_pareto": ("drsim.report.plots", "plot_pareto"),
    "read_drills": ("drsim.calibrate.drill", "read_inputs"),
    "fit_durations": ("drsim.calibrate.fit", "fit_all"),
    "plot_fits": ("drsim.report.plots.calibration", "plot_fits"),
    "fitted_variant": ("drsim.calibrate.variant", "variant_text"),
}

# the keys of _PUBLIC (a literal list, so type checkers see what is exported)
__all__ = ["Comparison", "DrsimError", "Investment", "RunResult", "Scenario", "ScenarioError",
           "Sweep", "Trials", "bundled_scenarios", "compare", "default_scenario",
           "fit_durations", "fitted_variant", "incident_story", "invest", "load",
           "parse_scenario", "plot_distribution", "plot_fits", "plot_pareto", "plot_status",
           "plot_timeline", "read_drills", "run_trials", "simulate", "sweep"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("drsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":  # importlib.metadata alone takes longer than the rest of --help
        version: Any = _version()
        globals()[name] = version
        return version
    if name not in _PUBLIC:
        raise AttributeError(f"module 'drsim' has no attribute {name!r}")
    module, attr = _PUBLIC[name]
    value = getattr(import_module(module), attr)
    globals()[name] = value  # the next access is an ordinary attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
