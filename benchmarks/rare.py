"""Plain DES against the rare-event estimator against the exact solution, for 1-of-n systems.

Each system: n identical units, MTTF 1000 h, MTTR 10 h (exponential), each unit its own
repair, one year per DES trial; long-run unavailability ≈ (10/1010)ⁿ: 1e-4, 1e-6, 1e-8 for
n = 2, 3, 4. For each method: CPU seconds, the estimate, and its relative error (half-width
of the 95% interval / estimate; the exact method's is its solver residual).

**Speed-up at equal relative error.** A Monte Carlo relative error scales as 1/√n, so the CPU
time a method needs for relative error r is t·(RE/r)², t and RE measured. The speed-up is
DES's time at the rare estimator's relative error over the rare estimator's time. When DES
sees too few outages (< 10 trials with one) its relative error is not measured; then the
time is a *lower bound*: a ±r interval on a mean needs at least (1.96/r)² outages (each
outage's length is at least as variable as an exponential one, cv ≥ 1), and the trials that
takes follow from the exact expected outages per trial.

    python benchmarks/rare.py [--trials 200] [--cycles 50000]

Measured (CPU seconds, a two-core machine under heavy load; 200 DES trials, 50,000 cycles):

    1-of-2  U 9.80e-5: exact 0.007 s; rare 0.06 s ±0.9%; DES 0.42 s ±40% (32 of 200 trials
            saw an outage) → DES at ±0.9% ≈ 836 s: speed-up ≈ 13,000×
    1-of-3  U 9.71e-7: exact 0.006 s; rare 0.08 s ±1.5%; DES 0.55 s, 2 of 200 saw an outage
            → DES at ±1.5% ≥ 18,900 s: speed-up ≥ 250,000×
    1-of-4  U 9.61e-9: exact 0.006 s; rare 0.09 s ±2.2%; DES 0.67 s, none saw an outage
            → DES at ±2.2% ≥ 770,000 s: speed-up ≥ 8.7 million×
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]  # this checkout's drsim, not an installed one

from drsim.methods import exact, markov, rare  # noqa: E402
from drsim.montecarlo import run_trials  # noqa: E402
from drsim.scenario import parse_scenario  # noqa: E402
from drsim.scenario.schema import Scenario  # noqa: E402

Z95 = 1.959963984540054


def system(n: int) -> Scenario:
    return parse_scenario(
        "drsim: 1\nname: 1-of-n\n"
        "simulation: {start: \"2026-01-05T00:00\", timezone: UTC, horizon: 1y, "
        "random_failures: true}\n"
        "sites:\n  a:\n    components:\n"
        f"      box: {{count: {n}, needed: 1, ttf: {{exponential: {{mean: 1000h}}}}, "
        "ttr: {exponential: {mean: 10h}}}\n"
        "services:\n  svc: {requires: [box], active: [a]}\n"
        "customers:\n  users: {count: 1, access: a, home: a, services: [svc]}\n")


def cpu(fn):  # type: ignore[no-untyped-def]
    started = time.process_time()
    out = fn()
    return out, time.process_time() - started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200, help="DES trials (one year each)")
    ap.add_argument("--cycles", type=int, default=50_000, help="rare-event cycles")
    args = ap.parse_args()
    print(f"{'system':8} {'method':6} {'CPU s':>8} {'estimate':>11} {'rel. err.':>10}  notes")
    for n in (2, 3, 4):
        sc = system(n)
        model = markov.build(sc)
        ex, t_exact = cpu(lambda: exact.solve(model))  # noqa: B023
        ra, t_rare = cpu(lambda: rare.estimate(model, seed=1, cycles_n=args.cycles))  # noqa: B023
        des, t_des = cpu(lambda: run_trials(sc, args.trials, seed=1, workers=1)  # noqa: B023
                         .frame["unavailability"].to_numpy())
        seen = int((des > 0).sum())
        name = f"1-of-{n}"
        print(f"{name:8} {'exact':6} {t_exact:8.3f} {ex.steady_unavailability:11.4g} "
              f"{ex.residual:10.1e}  solver residual (long run)")
        print(f"{name:8} {'rare':6} {t_rare:8.3f} {ra.unavailability:11.4g} "
              f"{ra.rel_error:10.2%}  {ra.cycles:,} cycles")
        if seen >= 10:
            re_des = Z95 * des.std(ddof=1) / math.sqrt(len(des)) / des.mean()
            t_equal = t_des * (re_des / ra.rel_error) ** 2
            print(f"{name:8} {'des':6} {t_des:8.3f} {des.mean():11.4g} {re_des:10.2%}  "
                  f"{seen} of {len(des)} trials saw an outage")
            bound = ""
        else:
            per_trial = ex.groups[0].expected_outages
            trials_needed = (Z95 / ra.rel_error) ** 2 / per_trial
            t_equal = t_des / len(des) * trials_needed
            print(f"{name:8} {'des':6} {t_des:8.3f} {des.mean():11.4g} {'—':>10}  "
                  f"{seen} of {len(des)} trials saw an outage (exact: {per_trial:.2g} "
                  "outages a trial)")
            bound = "at least "
        print(f"{'':8} DES at the rare estimator's ±{ra.rel_error:.1%}: {bound}"
              f"{t_equal:,.0f} s CPU; speed-up {bound}{t_equal / t_rare:,.0f}× "
              f"(extrapolated: relative error ∝ 1/√trials)")


if __name__ == "__main__":
    main()
