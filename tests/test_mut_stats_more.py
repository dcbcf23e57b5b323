"""Mutation tests for drsim/stats.py, second batch: boundaries the first batch left open."""

from __future__ import annotations

import pandas as pd
import pytest

from drsim.stats import (
    Estimate,
    ProportionSummary,
    Summary,
    _notes,
    summarise_metric,
)


def _summary_with(estimate: Estimate) -> Summary:
    # 400 trials: enough for every quantile bound (P99 needs 368), so only P(p) can be noted
    return Summary(scenario="s", level=0.95, trials=400, failed=0, errors=(), metrics=(),
                   proportions=(ProportionSummary("p", 5, estimate),), annual=None, notes=())


def test_a_proportion_exactly_ten_points_wide_is_not_too_wide():
    # half-width (0.2 − 0.0) / 2 = 0.1 exactly: at the limit, not over it (MAX = 0.10)
    assert _notes(_summary_with(Estimate(0.1, 0.0, 0.2, 400))) == []
    # (0.25 − 0.0) / 2 = 0.125 > 0.10: too wide, and said so word for word
    assert _notes(_summary_with(Estimate(0.125, 0.0, 0.25, 400))) == [
        "P(p) = 12.5% from 400 trials, but its 95% interval is 0.0% to 25.0%: too wide to "
        "rely on; run more trials."]


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # numpy's, on the sum
def test_two_equal_huge_values_have_no_spread():
    # 1e308 twice: numpy's std overflows (1e308 + 1e308 = inf, so it says inf), but every
    # trial had the same value: the sd is exactly 0
    assert summarise_metric("x_s", pd.Series([1e308, 1e308])).sd == 0.0
