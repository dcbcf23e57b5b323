"""Cross-check the exact method against an independent model checker, Storm (stormpy).

Each model is written twice: as a drsim scenario (solved by drsim.methods) and by hand as a
PRISM CTMC (solved by Storm's steady-state `S=? ["down"]` and expected time `T=? [F "down"]`).
Not part of the test suite (stormpy is a 50 MB wheel); run it where stormpy is installed:

    pip install stormpy && python benchmarks/stormpy_crosscheck.py

Measured with stormpy 2.0.0 (cp311 manylinux wheel), rates per hour: every long-run
unavailability and MTTF agrees to ≤ 4.5e-16 relative (1-of-2 with one crew: 8/13 and 17.5 h;
2-of-4: 0.4752 and 13.98 h; cold standby with an exponential switchover: 4/15 and 10 h).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # this checkout's drsim, not an installed one

import stormpy  # noqa: E402

from drsim.methods import exact, markov  # noqa: E402
from drsim.scenario import parse_scenario  # noqa: E402

HOUR = 3600.0


def ex(hours: float) -> str:
    return f"{{exponential: {{mean: {hours:g}h}}}}"


# (drsim component, extra YAML, PRISM module body, PRISM down label)
MODELS = {
    "1-of-2, one crew": (
        f"{{count: 2, needed: 1, ttf: {ex(10)}, ttr: {ex(20)}, repair_role: crew}}",
        "staff:\n  crew: {count: 1}\n",
        "const double lam = 0.1; const double mu = 0.05;\nmodule m\n  d : [0..2] init 0;\n"
        "  [] d<2 -> (2-d)*lam : (d'=d+1);\n  [] d>0 -> mu : (d'=d-1);\nendmodule\n",
        "d=2"),
    "2-of-4": (
        f"{{count: 4, needed: 2, ttf: {ex(10)}, ttr: {ex(15)}}}", "",
        "const double lam = 0.1; const double mu = 1/15;\nmodule m\n  d : [0..4] init 0;\n"
        "  [] d<4 -> (4-d)*lam : (d'=d+1);\n  [] d>0 -> d*mu : (d'=d-1);\nendmodule\n",
        "d>=3"),
    "cold standby, exponential switchover": (
        f"{{count: 2, ttf: {ex(10)}, ttr: {ex(10)}, standby: {{units: 1, success: 0.8, "
        f"switchover: {ex(2)}}}}}", "",
        "const double lam = 0.1; const double mu = 0.1; const double c = 0.8;\n"
        "const double sigma = 0.5;\nmodule m\n  s : [0..3] init 0;\n"
        "  [] s=0 -> lam : (s'=1);\n"
        "  [] s=1 -> c*sigma : (s'=2) + (1-c)*sigma : (s'=3) + mu : (s'=0);\n"
        "  [] s=2 -> mu : (s'=0) + lam : (s'=3);\n  [] s=3 -> 2*mu : (s'=2);\nendmodule\n",
        "s=1 | s=3"),
}


def drsim_answer(component: str, extra: str) -> tuple[float, float]:
    sc = parse_scenario(
        "drsim: 1\nname: x\nsimulation: {start: \"2026-01-05T00:00\", timezone: UTC, "
        "horizon: 100h, random_failures: true}\n"
        f"sites:\n  a:\n    components:\n      box: {component}\n"
        "services:\n  svc: {requires: [box], active: [a]}\n"
        "customers:\n  users: {count: 1, access: a, home: a, services: [svc]}\n" + extra)
    g = exact.solve(markov.build(sc)).groups[0]
    return g.steady_unavailability, g.mttf_s / HOUR


def storm_answer(body: str, down: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.prism"
        path.write_text(f"ctmc\n{body}label \"down\" = {down};\n")
        prog = stormpy.parse_prism_program(str(path), prism_compatibility=True)
    props = stormpy.parse_properties('S=? ["down"]; T=? [F "down"]', prog)
    model = stormpy.build_model(prog, props)
    init = model.initial_states[0]
    env = stormpy.Environment()  # (without one, Storm's iterative default is good to ~1e-7)
    u, t = (stormpy.model_checking(model, p, environment=env).get_value(init) for p in props)
    return u, t


def main() -> None:
    print(f"{'model':38} {'U drsim':>20} {'U Storm':>20} {'MTTF drsim h':>14} "
          f"{'MTTF Storm h':>14} {'max rel. diff':>13}")
    for name, (component, extra, body, down) in MODELS.items():
        du, dt = drsim_answer(component, extra)
        su, st = storm_answer(body, down)
        diff = max(abs(du / su - 1), abs(dt / st - 1))
        print(f"{name:38} {du:20.16g} {su:20.16g} {dt:14.10g} {st:14.10g} {diff:13.1e}")


if __name__ == "__main__":
    main()
