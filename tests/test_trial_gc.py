"""A trial's garbage: the collector is paused for the whole trial and run once over the
youngest generation after it (drsim.sim.engine.simulate, issue 13)."""

from __future__ import annotations

import gc
import weakref

import pytest

from drsim.bundled import bundled_scenarios
from drsim.scenario import load_scenario
from drsim.sim.engine import Drill, simulate


@pytest.fixture
def scenario():
    path = next(p for p in bundled_scenarios() if p.stem == "hot-standby")
    return load_scenario(path)


@pytest.fixture
def watched(monkeypatch):
    """Every Drill built: a weak reference to its simpy environment (the world, its actors
    and their processes hold one another in cycles, so only the collector frees them), and
    whether the collector was enabled when it was built and when it was measured."""
    seen: dict[str, list] = {"envs": [], "built": [], "measured": []}
    init, result = Drill.__init__, Drill.result

    def spy_init(self, *args, **kwargs):
        seen["built"].append(gc.isenabled())
        init(self, *args, **kwargs)
        seen["envs"].append(weakref.ref(self.env))

    def spy_result(self):
        seen["measured"].append(gc.isenabled())
        return result(self)

    monkeypatch.setattr(Drill, "__init__", spy_init)
    monkeypatch.setattr(Drill, "result", spy_result)
    return seen


def test_a_trial_runs_with_the_collector_paused_and_its_cycles_freed_after(scenario, watched):
    assert gc.isenabled()
    simulate(scenario, seed=3)
    assert watched["built"] == [False] and watched["measured"] == [False]
    assert gc.isenabled()
    # freed by the one pass after the trial, not left to whenever the collector runs next
    assert [ref() for ref in watched["envs"]] == [None]


def test_one_pass_of_the_youngest_generation_frees_the_drill(scenario, watched):
    """The collector runs once per trial, over generation 0, and that pass is what frees
    the drill: it is garbage by then (re-enabled while the drill was alive, the collector
    found nothing to free and moved the whole trial to older generations)."""
    passes: list[tuple[int, bool]] = []

    def spy(phase, info):
        if phase == "stop":
            passes.append((info["generation"], watched["envs"][-1]() is None))

    gc.callbacks.append(spy)
    try:
        simulate(scenario, seed=3)
    finally:
        gc.callbacks.remove(spy)
    assert passes[:1] == [(0, True)]


def test_a_caller_that_paused_the_collector_keeps_it_paused(scenario, watched):
    gc.disable()
    try:
        simulate(scenario, seed=3)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_result_is_the_same_as_a_drill_run_with_the_collector_on(scenario):
    assert simulate(scenario, seed=5, trial=2) == Drill(scenario, 5, 2).run()
