"""The fitted scenario: a variant file (`base:` + a patch) of the scenario that was calibrated.

Only fitted quantities are patched; each is preceded by a comment with its evidence (n,
censored count, family, AIC, source files) and, where the expert's estimate was kept, a
comment says why. The file is plain YAML a person can read, edit and commit; `drsim validate`
and `drsim compare base fitted` take it as they take any variant.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from drsim.calibrate.fit import DETECTION, Fit, scenario_value
from drsim.units import format_duration


def flow(value: Any) -> str:
    """A scenario value as one line of flow YAML: duration strings stay plain (`8m 12s`)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, str):
        return value if all(c.isalnum() or c in " ._-/" for c in value) else json.dumps(value)
    return repr(value) if isinstance(value, float) else str(value)


def evidence(fit: Fit) -> str:
    """`n 24 (2 censored), lognormal, AIC 382.0, from drills.csv` or why the expert stayed."""
    s = fit.sample
    head = f"n {s.n} ({s.censored} censored)"
    if fit.kept:
        return f"{head}; {fit.note}"
    if fit.prior_weight:
        head += f" + {fit.prior_weight} pseudo-observations of the base's estimate"
    aic = f", AIC {fit.aic:.1f}" if fit.aic is not None else ""
    extra = f" ({fit.note})" if fit.family == "empirical" else ""
    return f"{head}, {fit.family}{aic}{extra}, from {fit.source}"


def variant_text(base: Path, out: Path, name: str, fits: Sequence[Fit],
                 sources: Sequence[str]) -> str:
    """The variant file's text. `base` is written relative to the folder of `out`."""
    rel = os.path.relpath(base.resolve(), out.resolve().parent)
    lines = [f"# Fitted by `drsim calibrate` from {', '.join(sources)}.",
             "# Each fitted entry says what it rests on: observations (how many censored: "
             "stopped at a",
             "# timebox, still running, or known only between two times), the family chosen "
             "by AIC and the",
             "# files. Entries not listed keep the base scenario's estimate. "
             "See docs/calibration.md.",
             f"base: {flow(rel.replace(os.sep, '/'))}",
             f"name: {flow(name + ' (calibrated)')}"]
    kept = [f for f in fits if f.kept]
    if kept:
        lines.append("# Kept the base's estimate (too few observations to fit):")
        lines += [f"#   {f.target}: {evidence(f)}" for f in kept]
    fitted = [f for f in fits if not f.kept]
    detection = [f for f in fitted if f.target in DETECTION]
    if detection:
        lines.append("detection:")
        for fit in detection:
            key = fit.target.split(".")[1]
            lines += [f"  # {evidence(fit)}", f"  {key}: {_value(fit)}{_quantiles(fit)}"]
    steps = [f for f in fitted if f.target not in DETECTION]
    books = list(dict.fromkeys(f.target.split(".", 1)[0] for f in steps))
    if books:
        lines.append("runbooks:")
    for book in books:
        lines += [f"  {book}:", "    steps:"]
        for fit in (f for f in steps if f.target.split(".", 1)[0] == book):
            step = fit.target.split(".", 1)[1]
            lines += [f"      # {evidence(fit)}",
                      f"      {step}: {{duration: {_value(fit)}}}{_quantiles(fit)}"]
    return "\n".join(lines) + "\n"


def _value(fit: Fit) -> str:
    assert fit.distribution is not None
    return flow(scenario_value(fit.distribution))


def _quantiles(fit: Fit) -> str:
    assert fit.distribution is not None
    p50, p90 = fit.distribution.quantile(0.5), fit.distribution.quantile(0.9)
    return f"   # P50 {format_duration(p50)}, P90 {format_duration(p90)}"
