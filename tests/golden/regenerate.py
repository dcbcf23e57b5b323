"""Golden per-trial rows of every bundled scenario: compute, compare, and (only on request) store.

    python tests/golden/regenerate.py            # print what changed; exit 1 if anything did
    python tests/golden/regenerate.py --write    # the same, then store the new rows
    python tests/golden/regenerate.py --write scenarios/warm-standby.yaml   # just one

For each scenario under scenarios/ (drills, incidents, variants, costed, options), the rows of
trials 0..TRIALS-1 for each root seed in SEEDS, every column of the Monte Carlo row
(drsim.trial.columns), exactly as drsim.run_trials gives them with one worker. A scenario
whose 15 rows are all the same (no randomness reaches its metrics) is stored once, as
`"deterministic": true` and one `row`; tests/test_golden.py then requires every seed and trial
to give that row. Files live next to this script, mirroring the scenarios/ folders
(tests/golden/incidents/aws-2021-us-east-1.json, ...); one row a line, so a git diff of a
regenerated file reads row by row. Review the printed diff before committing a --write.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout: use this checkout's drsim
    sys.path.insert(0, str(ROOT))

SCENARIOS = ROOT / "scenarios"
SEEDS = (1, 42, 20260310)
TRIALS = 5
# Stored floats are Python's shortest round-trip repr, so a value read back is the same double.
# The comparison still allows 1e-9 relative (and 1e-12 absolute, for values that should be 0):
# numpy's log/exp/pow used when sampling lognormal, Weibull, ... durations may differ in the
# last bit or two between CPUs (SIMD code paths) and builds, and a few ulps (~1e-16 relative)
# can grow through later arithmetic; any change of behaviour moves a value by at least a
# fraction of a simulated second or one customer's share, i.e. >1e-8 relative for every
# value these scenarios produce (the largest, customer-minutes, is below 1e8).
REL_TOL = 1e-9
ABS_TOL = 1e-12
HOW = ("If the change is intended, review it with `python tests/golden/regenerate.py` and "
       "store it with `python tests/golden/regenerate.py --write`.")


def scenario_paths() -> list[Path]:
    """Every runnable scenario file: scenarios/*.yaml and its sub-folders, sorted."""
    return sorted(SCENARIOS.rglob("*.yaml"))


def golden_path(scenario: Path) -> Path:
    return HERE / scenario.relative_to(SCENARIOS).with_suffix(".json")


def golden_paths() -> list[Path]:
    return sorted(HERE.rglob("*.json"))


def encode(value: Any) -> Any:
    """A cell → JSON: inf and nan as strings, numpy scalars as Python numbers."""
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, bool | int):
        return value
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def decode(value: Any) -> Any:
    return float(value) if value in ("nan", "inf", "-inf") else value


def rows_of(path: Path, seed: int, workers: int = 1, trials: int = TRIALS) -> list[dict]:
    """The encoded rows of trials 0..trials-1 of one scenario and root seed."""
    import drsim

    sc = drsim.load(path)
    frame = drsim.run_trials(sc, trials, seed=seed, workers=workers).frame
    return [{k: encode(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def compute(path: Path) -> dict[str, Any]:
    """The golden content of one scenario: rows per seed, or one row if they never differ."""
    rows = {str(seed): rows_of(path, seed) for seed in SEEDS}
    bodies = [{k: v for k, v in r.items() if k != "trial"} for rs in rows.values() for r in rs]
    doc: dict[str, Any] = {"scenario": path.relative_to(ROOT).as_posix(),
                           "seeds": list(SEEDS), "trials": TRIALS}
    if all(same_row(b, bodies[0]) == [] for b in bodies):
        doc.update(deterministic=True, row=bodies[0])
    else:
        doc.update(deterministic=False, rows=rows)
    return doc


def expected_rows(doc: dict[str, Any]) -> dict[str, list[dict]]:
    """Stored content → the rows every seed must give, whichever form it was stored in."""
    if doc["deterministic"]:
        return {str(s): [{"trial": t, **doc["row"]} for t in range(doc["trials"])]
                for s in doc["seeds"]}
    return doc["rows"]


def same_value(a: Any, b: Any) -> bool:
    a, b = decode(a), decode(b)
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None \
            or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def same_row(got: dict, want: dict) -> list[tuple[str, Any, Any]]:
    """(column, stored, now) for every column that differs, including added or removed ones."""
    missing = object()
    out = []
    for col in list(want) + [c for c in got if c not in want]:
        w, g = want.get(col, missing), got.get(col, missing)
        if w is missing or g is missing or not same_value(g, w):
            out.append((col, "(absent)" if w is missing else w,
                        "(absent)" if g is missing else g))
    return out


def differences(name: str, want: dict[str, list[dict]],
                got: dict[str, list[dict]]) -> list[str]:
    """One readable line per changed cell: scenario, seed, trial, column, stored → now."""
    lines = []
    for seed in sorted(set(want) | set(got), key=int):
        w_rows, g_rows = want.get(seed, []), got.get(seed, [])
        for t in range(max(len(w_rows), len(g_rows))):
            if t >= len(w_rows) or t >= len(g_rows):
                lines.append(f"{name}: seed {seed} trial {t}: row "
                             f"{'added' if t >= len(w_rows) else 'removed'}")
                continue
            for col, old, new in same_row(g_rows[t], w_rows[t]):
                lines.append(f"{name}: seed {seed} trial {t} column {col}: "
                             f"stored {old!r}, now {new!r}")
    return lines


def dump(doc: dict[str, Any]) -> str:
    """JSON with one row a line (strict JSON: inf and nan are strings)."""
    head = {k: v for k, v in doc.items() if k not in ("row", "rows")}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    if doc["deterministic"]:
        lines.append(f'  "row": {json.dumps(doc["row"], allow_nan=False)}')
    else:
        lines.append('  "rows": {')
        seeds = list(doc["rows"])
        for i, seed in enumerate(seeds):
            rows = doc["rows"][seed]
            lines.append(f"    {json.dumps(seed)}: [")
            lines += [f"      {json.dumps(r, allow_nan=False)}{',' if j < len(rows) - 1 else ''}"
                      for j, r in enumerate(rows)]
            lines.append(f"    ]{',' if i < len(seeds) - 1 else ''}")
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--write", action="store_true", help="store the new rows")
    ap.add_argument("scenarios", nargs="*", type=Path, help="only these scenario files")
    args = ap.parse_args(argv)
    paths = [p.resolve() for p in args.scenarios] or scenario_paths()
    changed = 0
    for path in paths:
        target = golden_path(path)
        name = path.relative_to(ROOT).as_posix()
        doc = compute(path)
        if not target.exists():
            print(f"{name}: new golden file {target.relative_to(ROOT)}")
            lines = ["(new)"]
        else:
            old = json.loads(target.read_text(encoding="utf-8"))
            lines = differences(name, expected_rows(old), expected_rows(doc))
            if old["deterministic"] != doc["deterministic"]:
                lines.insert(0, f"{name}: deterministic {old['deterministic']} → "
                                f"{doc['deterministic']}")
            for line in lines:
                print(line)
        if lines:
            changed += 1
            if args.write:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(dump(doc), encoding="utf-8")
    if not args.scenarios:
        known = {golden_path(p) for p in paths}
        for stale in golden_paths():
            if stale not in known:
                changed += 1
                print(f"{stale.relative_to(ROOT)}: no such scenario any more")
                if args.write:
                    stale.unlink()
    verb = "written" if args.write else "differ (run with --write to store them)"
    print(f"{changed} of {len(paths)} golden files {verb}" if changed
          else f"all {len(paths)} golden files match")
    return 1 if changed and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
