"""Distribution figures: a log axis for data spanning more than a decade, CDFs with their DKW
confidence band, objectives named as the scenario names them."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from drsim.report.plots import plot_distribution
from drsim.report.plots.decisions import decision_label
from drsim.report.plots.distributions import dkw_half_width, spans_decades


def trials(values: list[float]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({"trial": range(n), "error": [None] * n, "rto_basic_s": values})


def by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_more_than_a_decade_goes_on_a_log_axis():
    # 10 min … 200 min (20×): log; 100 min … 900 min (9×): linear
    wide = plot_distribution(trials([600.0, 1200.0, 12_000.0]), "rto_basic_s", "hist").axes[0]
    assert wide.get_xscale() == "log"
    assert wide.get_xlabel().endswith("(hours, log scale)")
    narrow = plot_distribution(trials([6000.0, 54_000.0]), "rto_basic_s", "hist").axes[0]
    assert narrow.get_xscale() == "linear" and narrow.get_xlabel().endswith("(hours)")
    assert spans_decades(np.array([1.0, 10.5])) and not spans_decades(np.array([1.0, 10.0]))
    assert not spans_decades(np.array([0.0, 5.0]))  # one positive value: nothing to span


def test_log_histogram_bins_are_even_on_the_log_axis():
    ax = plot_distribution(trials([60.0, 600.0, 6000.0]), "rto_basic_s", "hist",
                           bins=2).axes[0]
    # 1, 10, 100 minutes in 2 bins: edges 1, 10, 100 (geometric), one and two values
    edges = sorted({round(p.get_x(), 6) for p in ax.patches})
    assert edges == pytest.approx([1.0, 10.0])
    assert sorted(p.get_height() for p in ax.patches) == [1, 2]


def test_zeros_are_counted_and_the_log_cdf_starts_at_their_share():
    # 4 trials: 0, 1 min, 10 min, 100 min → log axis; the CDF starts at 1/4
    ax = plot_distribution(trials([0.0, 60.0, 600.0, 6000.0]), "rto_basic_s", "cdf").axes[0]
    assert ax.get_xscale() == "log"
    cdf = by_gid(ax, "cdf")[0]
    assert list(cdf.get_ydata()) == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert "1 at 0, left of the log axis" in ax.get_title()


def test_the_cdf_has_a_dkw_band():
    # ε = √(ln(2/0.05) / (2·100)) = √(3.688879 / 200) = √0.0184444 = 0.135810
    assert dkw_half_width(100) == pytest.approx(0.135810, abs=1e-6)
    # 99%: √(ln(200) / 200) = √(5.298317 / 200) = 0.162762
    assert dkw_half_width(100, 0.99) == pytest.approx(0.162762, abs=1e-6)
    values = [60.0 * (k + 1) for k in range(100)]  # 1 … 100 minutes
    ax = plot_distribution(trials(values), "rto_basic_s", "cdf").axes[0]
    band = by_gid(ax, "cdf-band")[0]
    ys = band.get_paths()[0].vertices[:, 1]
    assert max(ys) == pytest.approx(1.0)  # clipped at 1
    assert min(ys) == pytest.approx(0.0)  # clipped at 0
    assert np.any(np.isclose(ys, 0.135810, atol=1e-6))  # upper edge of the first step
    assert np.any(np.isclose(ys, 0.5 - 0.135810, atol=1e-6))  # lower edge at the median
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "95% confidence band (DKW, ±0.136)" in legend


def test_objectives_are_named_as_the_scenario_names_them():
    ax = plot_distribution(trials([600.0, 1200.0]), "rto_basic_s", "cdf", objective=900.0,
                           objective_name="voice-rto").axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "objective 'voice-rto' 15m: P(met) = 50.0% (1 of 2 trials)" in legend
    assert ax.get_xlabel().startswith("Time to basic service")  # the metric, not the id
    assert decision_label("met.voice-rto.rto") == "P(voice-rto met: RTO target)"
    assert decision_label("met.enterprise-availability.availability") == \
        "P(enterprise-availability met: availability target)"
    assert math.isfinite(dkw_half_width(1))
