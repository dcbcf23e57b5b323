"""Mutation score per module, from mutmut's state, net of the listed equivalent mutants.

    python tests/mutation/score.py [--module drsim.stats ...] [--threshold 90]

Reads the state mutmut leaves under ``mutants/`` (one ``<source>.py.meta`` JSON file per
mutated source file: mutant name → exit code of its test run), groups the mutants by module,
subtracts the equivalent mutants listed in ``tests/mutation/equivalent/<module>.txt`` (one
line per mutant: ``<mutant name>  # <one-line reason>``), and prints per module: total,
killed, timeout, survived, no tests, not checked, other (suspicious, segfault, skipped),
equivalent, and the score = (killed + timeout) / (total - equivalent). Then it lists every
survivor that is not explained as equivalent (see one with ``mutmut show <name>``).

Exit status 1 when a module scores under the threshold, or when an equivalents list is stale:
it names a mutant that no longer exists, or one the tests now kill (mutmut numbers mutants per
function, so editing a function renumbers them: re-derive its entries). 2 on bad usage (no
mutmut state, an unknown module, an entry without a reason).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EQUIVALENT_DIR = Path(__file__).resolve().parent / "equivalent"
THRESHOLD = 90.0

# mutmut 3's exit-code → status table (mutmut/stats.py), folded into the columns we report.
# A mutant caught by the type checker never ran a test but is detected all the same: killed.
_STATUS = {1: "killed", 3: "killed", 37: "killed",
           36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
           0: "survived", 5: "no tests", 33: "no tests"}
DETECTED = ("killed", "timeout")


def status_of(exit_code: int | None) -> str:
    """The column a mutant's exit code falls in ("other": suspicious, segfault, skipped)."""
    return _STATUS.get(exit_code, "other") if exit_code is not None else "not checked"


@dataclass
class ModuleScore:
    module: str
    status: dict[str, str]                       # mutant name → column
    equivalent: dict[str, str] = field(default_factory=dict)  # name → reason (valid entries)
    stale: list[str] = field(default_factory=list)           # messages

    def count(self, column: str) -> int:
        return sum(1 for s in self.status.values() if s == column)

    @property
    def total(self) -> int:
        return len(self.status)

    @property
    def score(self) -> float:
        """Detected / (total − equivalent), in percent; 100 when nothing is left to detect."""
        denom = self.total - len(self.equivalent)
        detected = sum(1 for s in self.status.values() if s in DETECTED)
        return 100.0 if denom <= 0 else 100.0 * detected / denom

    @property
    def unexplained(self) -> list[tuple[str, str]]:
        """Undetected mutants not listed as equivalent, with their status."""
        return sorted((n, s) for n, s in self.status.items()
                      if s not in DETECTED and n not in self.equivalent)


def module_of_meta(meta: Path, mutants_dir: Path) -> str:
    """mutants/drsim/sim/world.py.meta → drsim.sim.world."""
    rel = meta.relative_to(mutants_dir).as_posix()
    return rel.removesuffix(".py.meta").replace("/", ".")


def load_results(mutants_dir: Path) -> dict[str, dict[str, int | None]]:
    """Module → {mutant name: exit code} from mutmut's .meta files."""
    out: dict[str, dict[str, int | None]] = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        out[module_of_meta(meta, mutants_dir)] = dict(data["exit_code_by_key"])
    return out


def load_equivalents(path: Path) -> dict[str, str]:
    """Mutant name → reason, from one equivalents file (blank and ``#`` lines are skipped)."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for lineno, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, reason = line.partition("#")
        name, reason = name.strip(), reason.strip()
        if not sep or not reason or " " in name:
            raise ValueError(f"{path}:{lineno}: expected '<mutant name>  # <reason>', "
                             f"got {raw!r}")
        if name in out:
            raise ValueError(f"{path}:{lineno}: {name} is listed twice")
        out[name] = reason
    return out


def score_module(module: str, codes: dict[str, int | None],
                 equivalents: dict[str, str]) -> ModuleScore:
    ms = ModuleScore(module, {n: status_of(c) for n, c in codes.items()})
    for name, reason in equivalents.items():
        if name not in ms.status:
            ms.stale.append(f"{name}: listed as equivalent but no such mutant exists")
        elif ms.status[name] in DETECTED:
            ms.stale.append(f"{name}: listed as equivalent but the tests {ms.status[name]} it")
        else:
            ms.equivalent[name] = reason
    return ms


def score_all(mutants_dir: Path, equivalent_dir: Path,
              modules: list[str] | None = None) -> list[ModuleScore]:
    """Scores of the chosen modules (a name also selects its submodules: drsim.sim)."""
    results = load_results(mutants_dir)
    chosen = sorted(results)
    if modules:
        chosen = [m for m in chosen if any(m == p or m.startswith(p + ".") for p in modules)]
        unknown = [p for p in modules
                   if not any(m == p or m.startswith(p + ".") for m in results)]
        if unknown:
            raise ValueError(f"no mutmut results for: {', '.join(unknown)}")
    scores = [score_module(m, results[m], load_equivalents(equivalent_dir / f"{m}.txt"))
              for m in chosen]
    # an equivalents file for a module that has no mutants at all is stale as a whole
    if not modules:
        for path in sorted(equivalent_dir.glob("*.txt")):
            if path.stem not in results:
                orphan = ModuleScore(path.stem, {})
                orphan.stale.append(f"{path.name}: no mutmut results for module {path.stem}")
                scores.append(orphan)
    return scores


COLUMNS = ("total", "killed", "timeout", "survived", "no tests", "not checked", "other",
           "equivalent", "score %")


def table(scores: list[ModuleScore]) -> str:
    counted = ("killed", "timeout", "survived", "no tests", "not checked", "other")
    rows = [[s.module, str(s.total), *(str(s.count(c)) for c in counted),
             str(len(s.equivalent)), f"{s.score:.1f}"] for s in scores]
    head = ["module", *COLUMNS]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    fmt = "  ".join([f"{{:<{widths[0]}}}"] + [f"{{:>{w}}}" for w in widths[1:]])
    lines = [fmt.format(*head), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*r) for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", action="append", default=[],
                    help="report only this module (and its submodules); repeatable")
    ap.add_argument("--threshold", type=float, default=THRESHOLD,
                    help="lowest acceptable score per module, in percent (default 90)")
    ap.add_argument("--mutants", type=Path, default=ROOT / "mutants",
                    help="mutmut's working directory (default: mutants/ at the repository root)")
    ap.add_argument("--equivalent", type=Path, default=EQUIVALENT_DIR,
                    help="directory of <module>.txt equivalents lists")
    args = ap.parse_args(argv)
    if not any(args.mutants.rglob("*.py.meta")):
        print(f"no mutmut results under {args.mutants}: run `mutmut run` first", file=sys.stderr)
        return 2
    try:
        scores = score_all(args.mutants, args.equivalent, args.module or None)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(table([s for s in scores if s.total]))
    failed = False
    for s in scores:
        if s.unexplained:
            print(f"\n{s.module}: {len(s.unexplained)} undetected, not listed as equivalent:")
            for name, status in s.unexplained:
                print(f"  {name}  ({status})")
        for msg in s.stale:
            print(f"\nstale equivalent in {s.module}: {msg}")
            failed = True
        if s.total and s.score < args.threshold:
            print(f"\n{s.module}: score {s.score:.1f}% is under {args.threshold:g}%")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
