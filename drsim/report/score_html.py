"""`drsim score --report`: one self-contained HTML page (drsim/report/html.py's conventions:
autoescaped template, inline SVG figures, a Content-Security-Policy forbidding every fetch)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

from drsim.calibrate.score import BINS, Calibration
from drsim.report.html import CSP, _env, svg_markup
from drsim.report.score_text import DrillScore, label, percent, seconds
from drsim.scenario.schema import Scenario


def render_score_report(sc: Scenario, drills: Sequence[DrillScore], check: Calibration | None,
                        trials: int, seed: int) -> str:
    """The page: per drill that gave figures, its figure over the bands and its table; the
    calibration check when there are several drills."""
    from drsim.report.plots.score import plot_drill_bands

    rows = [{
        "drill": d.drill, "outside": d.outside,
        "figure": svg_markup(plot_drill_bands(d.scores, d.drill), f"drill{i}"),
        "rows": [{"key": s.key, "label": label(s.key),
                  "observed": ("≥ " if s.observed.at_least else "") + seconds(s.observed.value_s),
                  "p5": seconds(s.p5_s), "median": seconds(s.median_s), "p95": seconds(s.p95_s),
                  "percentile": f"{percent(s.percentile)} ({percent(s.ci[0])}–"
                                f"{percent(s.ci[1])})",
                  "p_worse": percent(s.p_worse), "flag": s.flag, "source": s.observed.source}
                 for s in d.scores]} for i, d in enumerate(drills) if d.scores]
    calibration = None if check is None or check.n < 2 else {
        "n": check.n, "mean": f"{check.mean:.2f}", "statistic": f"{check.statistic:.3f}",
        "p_value": f"{check.p_value:.3g}", "verdict": check.verdict,
        "histogram": check.histogram,
        "bins": [f"{i * 100 // BINS}–{(i + 1) * 100 // BINS}%" for i in range(BINS)]}
    return _env.get_template("score.html.j2").render(
        csp=CSP, version=version("drsim"), title=f"Drill score: {sc.name}", scenario=sc.name,
        trials=trials, seed=seed, drills=rows, calibration=calibration)
