"""Test-only faults for drsim subprocesses (drsim itself has no hook).

Python imports `sitecustomize` at start-up from its path, so a drsim process started with this
folder on PYTHONPATH — and every worker process it starts, which inherits the environment —
gets these faults when the variables are set (tests/test_faults_*.py set them):

- DRSIM_TEST_RAISE=3,7: trials 3 and 7 raise RuntimeError("injected fault in trial N") inside
  the engine (drsim.sim.engine.Drill.run), in a Monte Carlo run on any backend and in a
  replay of the trial as one drill (drsim run --trial 3);
- DRSIM_TEST_HOLD=N:READY:GATE: before trial N runs, write "ready\\n" to file descriptor READY,
  then wait until file descriptor GATE gives a byte or is closed (the test holds the run
  there, e.g. while a second run tries the same folder; use --workers 1 so that the trial
  runs in the process that inherited the descriptors);
- DRSIM_TEST_HOLD_SWAP=N:READY:GATE: before the Nth folder swap of the process (a new run's
  1st puts its journal in place at its first batch, the 2nd the finished folder, written in
  full beside the real one), write "swap\n" to READY and wait on GATE as above (the test
  interrupts the clean-up there).
"""

import os


def _hold_swap() -> None:
    nth, ready, gate = (int(x) for x in os.environ["DRSIM_TEST_HOLD_SWAP"].split(":"))
    from drsim.report import store

    original, calls = store._swap, []

    def swap(new, path):  # type: ignore[no-untyped-def]
        calls.append(path)
        if len(calls) == nth:
            os.write(ready, b"swap\n")
            os.read(gate, 1)
        return original(new, path)

    store._swap = swap


def _install() -> None:
    if os.environ.get("DRSIM_TEST_HOLD_SWAP"):
        _hold_swap()
    raising = os.environ.get("DRSIM_TEST_RAISE", "")
    hold = os.environ.get("DRSIM_TEST_HOLD", "")
    if not (raising or hold):
        return
    from drsim.sim import engine

    bad = {int(n) for n in raising.split(",") if n}
    held, ready, gate = (int(x) for x in hold.split(":")) if hold else (-1, -1, -1)
    original = engine.Drill.run

    def run(self):  # type: ignore[no-untyped-def]
        if self.trial == held:
            os.write(ready, b"ready\n")
            os.read(gate, 1)
        if self.trial in bad:
            raise RuntimeError(f"injected fault in trial {self.trial}")
        return original(self)

    engine.Drill.run = run


_install()
