"""The summary's median and restricted-mean rows: every accepted scenario's own sampling.

Made-up inputs. Expected values come from closed forms without censoring (the restricted
mean of n exponential times has variance Var(min(T, tau)) / n; the restricted mean time lost
to cause 1 with two exponential causes has Var((tau - T)+ 1{cause 1}) / n, integrated by
scipy), from simulation of a scenario's own model, and from the definition of the
Brookmeyer-Crowley interval, not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from thyroid_evidence.survival import scenario_set, summary_spec
from thyroid_evidence.survival.models import CensoringModel, HazardModel
from thyroid_evidence.survival.variance import median_interval, restricted_mean_variance

NO_CENSORING = CensoringModel(math.inf, math.inf)


def test_restricted_mean_variance_matches_the_uncensored_exponential():
    lam, tau, n = 0.04, 24.0, 200
    hz = HazardModel("exponential", rates=(lam,))
    mean, var = restricted_mean_variance(tau, hz, NO_CENSORING, "kaplan-meier", n, 0.0)
    first = -math.expm1(-lam * tau) / lam
    second = 2 * (1 - math.exp(-lam * tau) * (1 + lam * tau)) / lam**2
    assert mean == pytest.approx(first, rel=1e-4)
    assert var == pytest.approx((second - first**2) / n, rel=1e-3)


def test_restricted_mean_time_lost_variance_matches_two_exponential_causes():
    l1, l2, tau, n = 0.03, 0.02, 24.0, 150
    hz = HazardModel("exponential", rates=(l1,))
    mean, var = restricted_mean_variance(tau, hz, NO_CENSORING, "aalen-johansen", n, l2)
    density = lambda t, k: (tau - t) ** k * l1 * math.exp(-(l1 + l2) * t)  # noqa: E731
    first = quad(density, 0, tau, args=(1,))[0]
    second = quad(density, 0, tau, args=(2,))[0]
    assert mean == pytest.approx(first, rel=1e-4)
    assert var == pytest.approx((second - first**2) / n, rel=1e-3)


def test_restricted_mean_variance_is_nan_where_the_data_do_not_reach_tau():
    hz = HazardModel("exponential", rates=(0.02,))
    _, var = restricted_mean_variance(30.0, hz, CensoringModel(5.0, 20.0), "kaplan-meier",
                                      100, 0.0)
    assert math.isnan(var)


def test_median_interval_is_where_the_pointwise_interval_holds_one_half():
    t = np.linspace(0, 10, 11)
    low = np.array([1, .9, .8, .7, .6, .5, .4, .3, .2, .1, 0])
    high = np.minimum(low + 0.25, 1.0)
    assert median_interval(t, low, high) == (5.0, 8.0)  # low <= .5 from 5; high <= .5 from 8
    # the upper limit never falls to 50% within the data (NaN beyond 6): not reached ...
    high_cut = np.where(t <= 6, 0.9, np.nan)
    assert median_interval(t, low, high_cut) == (5.0, math.inf)
    # ... unless the publication reports the median: then the last time with data
    assert median_interval(t, low, high_cut, reached=True) == (5.0, 6.0)
    assert all(math.isnan(v) for v in median_interval(t, low * np.nan, high))


@pytest.fixture(scope="module")
def survival_set():
    """A median of 40 months in 120 patients, median follow-up 30 months."""
    return scenario_set(summary_spec(120, median=40, follow_up_median=30,
                                     precision={"median": 1, "follow_up_median": 1}),
                        n_draws=400, seed=5)


def test_each_scenarios_median_interval_agrees_with_its_simulated_medians(survival_set):
    acc = survival_set.accepted
    intervals = survival_set._median_intervals(reported=True)
    assert len(intervals) == len(acc)
    for j in sorted({0, len(acc) // 2, len(acc) - 1}):
        medians = survival_set._draw_summaries(acc[j], survival_set.horizon_months)[0]
        medians = medians[np.isfinite(medians)]
        lo, hi = np.quantile(medians, [0.025, 0.975])
        assert intervals[j][0] == pytest.approx(lo, abs=2.5)  # months, 400 draws
        assert intervals[j][1] == pytest.approx(hi, abs=2.5)


def test_summary_rows_hold_every_accepted_scenarios_own_interval(survival_set):
    table = survival_set.summary(times=[]).set_index("quantity")
    for lo, hi in survival_set._median_intervals(reported=True):
        assert table.loc["median", "low"] <= lo + 1e-12
        assert table.loc["median", "high"] >= hi - 1e-12
    tau = survival_set.horizon_months
    grid = np.linspace(0.0, tau, 801)
    z = 1.959963984540054
    for i in survival_set.accepted:
        area = float(np.trapezoid(survival_set.curve(i, grid), grid))
        sd = math.sqrt(survival_set._restricted_mean_variance(i, tau))
        assert table.loc["rmst", "low"] <= max(0.0, area - z * sd) + 1e-9
        assert table.loc["rmst", "high"] >= min(tau, area + z * sd) - 1e-9


def test_the_caption_names_the_summary_rows_the_endpoint_has(survival_set):
    assert "Brookmeyer-Crowley for the median" in survival_set.caption()
    spec = summary_spec(200, cumulative_incidence_at={12: 0.10, 24: 0.18},
                        competing_rate=math.log(2) / 40, follow_up_median=24,
                        precision={"milestones": 0.01, "follow_up_median": 1})
    caption = scenario_set(spec, n_draws=50, seed=4).caption()
    assert "median" not in caption.split("Across them varied")[0].split("pointwise 95%)")[-1]
    assert "restricted-mean-time-lost interval holds every accepted scenario's own" in caption
