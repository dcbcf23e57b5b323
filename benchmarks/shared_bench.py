"""Where the shared yardsticks live (reference_dr10.py, dr10.yaml, gen_mesh.py): outside the
project so that they do not move with it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def find_bench(given: str | None) -> Path:
    """--bench DIR, else ../shared/bench next to (or, from a worktree, above) the checkout."""
    for cand in ([Path(given)] if given else
                 [ROOT.parent / "shared" / "bench", ROOT.parent.parent / "shared" / "bench"]):
        if (cand / "reference_dr10.py").is_file():
            return cand
    sys.exit("the shared benchmark folder was not found; give --bench DIR (the folder holding "
             "reference_dr10.py, dr10.yaml and gen_mesh.py)")
