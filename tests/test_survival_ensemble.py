"""Ensembles: seeded, reproducible, bands that contain the point estimate."""

import numpy as np
import pandas as pd
import pytest

from tests.conftest import reported, series_size
from thyroid_evidence.survival import (
    cumulative_incidence,
    ensemble,
    kaplan_meier,
    reconstruct_from_summary,
)

LIVER_MEDIAN = reported("liver_rfa_os_median")  # liver RFA overall survival, from evidence/

GRID = np.linspace(0, 60, 61)


@pytest.fixture(scope="module")
def liver_like():
    return reconstruct_from_summary(series_size("liver_rfa_crc"),
                                    survival_at={60: reported("liver_rfa_os_60m") / 100},
                                    median=LIVER_MEDIAN)


def test_seeded_and_reproducible(liver_like):
    a = ensemble(liver_like, n_draws=200, seed=3, times=GRID)
    b = ensemble(liver_like, n_draws=200, seed=3, times=GRID)
    c = ensemble(liver_like, n_draws=200, seed=4, times=GRID)
    assert np.array_equal(a.ci_low, b.ci_low) and a.median == b.median
    assert not np.array_equal(a.ci_low, c.ci_low)


def test_band_contains_estimate_and_intervals_are_sane(liver_like):
    res = ensemble(liver_like, n_draws=400, seed=1, times=GRID)
    assert np.all(res.ci_low <= res.estimate + 1e-12)
    assert np.all(res.estimate <= res.ci_high + 1e-12)
    est, lo, hi = res.median
    assert lo < LIVER_MEDIAN < hi and LIVER_MEDIAN - 0.5 <= est <= LIVER_MEDIAN + 0.5
    tau, r_est, r_lo, r_hi = res.restricted_mean
    assert tau == 60 and r_lo < r_est < r_hi < 60
    # some 160 patients: the band at 5 years is several points wide, not a sliver
    assert 0.05 < res.ci_high[-1] - res.ci_low[-1] < 0.4
    assert (res.alpha, res.level) == (0.05, 0.95)
    assert list(res.to_frame().columns) == ["time", "estimate", "ci_low", "ci_high"]


def test_reconstruction_uncertainty_widens_the_band(liver_like):
    only_sampling = ensemble(liver_like, n_draws=400, seed=1, times=GRID, vary=())
    everything = ensemble(liver_like, n_draws=400, seed=1, times=GRID)
    width = lambda r: float(np.mean(r.ci_high - r.ci_low))  # noqa: E731
    assert width(everything) > width(only_sampling)
    assert everything.varied == ("rounding", "censoring", "model", "sampling")


def test_incidence_ensemble_and_bootstrap_of_plain_data():
    res = reconstruct_from_summary(300, cumulative_incidence_at={12: 0.06, 24: 0.09},
                                   competing_rate=0.01, follow_up_median=30, precision=0.001)
    ens = ensemble(res, n_draws=100, seed=0, times=GRID)
    assert ens.quantity == "cumulative_incidence"
    assert ens.ci_low[12] < 0.06 < ens.ci_high[12]
    boot = ensemble(pd.DataFrame({"time": [1, 2, 3, 4, 5.0], "event": [1, 0, 1, 1, 0]}),
                    n_draws=50, seed=0, times=[0, 2, 4])
    assert boot.varied == ("sampling",) and boot.estimate[0] == 1.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_draws=0), "n_draws"), (dict(alpha=2), "alpha must lie"),
    (dict(vary=("weather",)), "vary must be one of {'rounding', 'censoring', 'model'}"),
])
def test_bad_arguments(liver_like, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ensemble(liver_like, **kwargs)


def test_wrong_types_raise_type_error(liver_like):
    with pytest.raises(TypeError, match="n_draws"):
        ensemble(liver_like, n_draws="many")
    with pytest.raises(TypeError, match="source must be a PseudoIPD"):
        ensemble([1, 2, 3])


def test_level_is_derived_from_alpha(liver_like):
    a = ensemble(liver_like, n_draws=50, seed=2, times=GRID, alpha=0.1)
    assert a.level == pytest.approx(0.9) and a.alpha == 0.1
    assert a.summary_frame()["level"].tolist() == [pytest.approx(0.9)] * 2
    with pytest.raises(TypeError, match="level"):  # one spelling: alpha
        ensemble(liver_like, n_draws=50, seed=2, times=GRID, level=0.9)


def test_tied_event_after_censoring_is_scored_against_the_full_risk_set():
    # at time 1 the censored subject was still at risk: S(1) = 1 - 1/5 = 0.80, not 1 - 1/4
    data = pd.DataFrame({"time": [1, 1, 2, 3, 4.0], "event": [0, 1, 1, 0, 1]})
    grid = np.array([0, 1, 2, 3, 4.0])
    res = ensemble(data, n_draws=20, seed=0, times=grid)
    assert res.estimate[1] == pytest.approx(0.80)
    np.testing.assert_allclose(res.estimate, kaplan_meier(data).survival_at(grid), rtol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ensemble_estimate_equals_lifelines_on_data_with_many_ties(seed):
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(seed)
    time = rng.integers(1, 12, size=150).astype(float)  # 11 distinct times: ties everywhere
    event = (rng.uniform(size=150) < 0.6).astype(int)
    grid = np.arange(0, 13.0)
    res = ensemble(pd.DataFrame({"time": time, "event": event}), n_draws=5, seed=0, times=grid)
    expected = KaplanMeierFitter().fit(time, event).survival_function_at_times(grid)
    np.testing.assert_allclose(res.estimate, expected.to_numpy(), rtol=1e-12)
    # with competing events (code 2) the estimate is Aalen-Johansen: compared with
    # cumulative_incidence (checked against R cmprsk; lifelines' fitter jitters tied times)
    competing = np.where(rng.uniform(size=150) < 0.2, 2, event)
    inc = ensemble(pd.DataFrame({"time": time, "event": competing}), n_draws=5, seed=0,
                   times=grid)
    ours = cumulative_incidence(pd.DataFrame({"time": time, "event": competing}))
    np.testing.assert_allclose(inc.estimate, ours.cumulative_incidence_at(grid), rtol=1e-12)
