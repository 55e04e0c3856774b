"""The band's sampling part for every accepted scenario: asymptotic pointwise intervals.

Inputs are made up (no row of evidence/). Expected values come from closed forms (an
exponential hazard without censoring: Var(log S) = (e^{lambda t} - 1) / n; with no censoring
an Aalen-Johansen incidence is a binomial proportion, Var = F (1 - F) / n) and from
simulation of the scenario's own model, not from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from thyroid_evidence.survival import scenario_set, summary_spec
from thyroid_evidence.survival.models import CensoringModel, HazardModel
from thyroid_evidence.survival.variance import (
    arcsine_interval,
    asymptotic_interval,
    incidence_variance,
    log_survival_variance,
)

NO_CENSORING = CensoringModel(math.inf, math.inf)


def test_km_variance_matches_the_exponential_closed_form():
    lam, n = 0.03, 200
    hz = HazardModel("exponential", rates=(lam,))
    times = np.array([1.0, 6.0, 12.0, 24.0, 48.0])
    var = log_survival_variance(times, hz, NO_CENSORING, n)
    np.testing.assert_allclose(var, np.expm1(lam * times) / n, rtol=1e-3)
    # deaths censored at a constant rate: at risk exp(-(lam + mu) u), by hand
    mu = 0.02
    var_d = log_survival_variance(times, hz, NO_CENSORING, n, competing_rate=mu)
    by_hand = lam / (lam + mu) * np.expm1((lam + mu) * times) / n
    np.testing.assert_allclose(var_d, by_hand, rtol=1e-3)


def test_incidence_variance_without_censoring_is_binomial():
    lam1, lam2, n = 0.01, 0.03, 150
    hz = HazardModel("exponential", rates=(lam1,))
    times = np.array([3.0, 12.0, 30.0, 60.0])
    f1, var = incidence_variance(times, hz, NO_CENSORING, n, lam2)
    by_hand = lam1 / (lam1 + lam2) * -np.expm1(-(lam1 + lam2) * times)
    np.testing.assert_allclose(f1, by_hand, rtol=1e-4)
    np.testing.assert_allclose(var, by_hand * (1 - by_hand) / n, rtol=1e-3)
    # lesions sharing deaths: only the death term grows
    _, var2 = incidence_variance(times, hz, NO_CENSORING, n, lam2, death_design_effect=2.0)
    assert np.all(var2 > var)
    _, var0 = incidence_variance(times, hz, NO_CENSORING, n, 0.0)
    f0 = -np.expm1(-lam1 * times)
    np.testing.assert_allclose(var0, f0 * (1 - f0) / n, rtol=1e-3)


def test_intervals_stay_in_the_unit_interval_and_are_nan_beyond_the_data():
    low, high = arcsine_interval(np.array([0.0, 0.02, 0.5, 0.99, 1.0]),
                                 np.array([0.01, 0.01, 0.01, 0.01, 0.01]), 0.05)
    assert np.all((low >= 0) & (high <= 1) & (low <= high))
    assert low[0] == high[0] == 0.0 and low[-1] == high[-1] == 1.0
    # plain normal interval on the arcsine-square-root scale, by hand at p = 0.5
    se = 0.1 / (2 * 0.5)
    assert low[2] == pytest.approx(math.sin(math.pi / 4 - 1.959963985 * se) ** 2, rel=1e-6)
    hz = HazardModel("exponential", rates=(0.05,))
    cens = CensoringModel(10.0, 20.0)  # nobody followed beyond 20 months
    lo, hi = asymptotic_interval(np.array([5.0, 15.0, 19.99, 25.0]), hz, cens,
                                 "kaplan-meier", 100, 0.0, 0.05)
    assert np.isfinite(lo[:2]).all() and np.isnan(lo[-1]) and np.isnan(hi[-1])
    with pytest.raises(ValueError, match="allowed"):
        asymptotic_interval(np.array([1.0]), hz, cens, "nelson-aalen", 100, 0.0, 0.05)


@pytest.fixture(scope="module")
def survival_set():
    """A median of 40 months in 300 patients, median follow-up 30 months."""
    return scenario_set(summary_spec(300, median=40, follow_up_median=30,
                                     precision={"median": 1, "follow_up_median": 1}),
                        n_draws=1000, seed=2)


@pytest.fixture(scope="module")
def incidence_set():
    """400 lesions in 100 patients (4 each), deaths competing, both readings."""
    spec = summary_spec(400, cumulative_incidence_at={12: 0.20, 24: 0.35},
                        competing_rate=math.log(2) / 15, follow_up_median=30,
                        precision={"milestones": 0.01, "follow_up_median": 1},
                        unit_of_analysis="lesion")
    return scenario_set(spec, n_patients=100, n_draws=1000, seed=3)


def _agrees_with_simulation(sset, estimator, times, tolerance):
    """Each accepted scenario of the estimator (up to three, spread over the grid):
    asymptotic 95% limits within ``tolerance`` of the simulated 2.5/97.5% percentiles where
    it expects at least 30 units at risk."""
    lows, highs = sset.asymptotic_intervals(times)
    picked = [j for j, i in enumerate(sset.accepted)
              if sset.scenarios["estimator"].iloc[i] == estimator]
    assert picked, estimator
    picked = picked[:: max(1, len(picked) // 3)][:3]
    for j in picked:
        i = sset.accepted[j]
        s = sset._items[i]
        alive = np.exp(-s.hazard.cumulative_hazard(times) - sset.competing_rate * times)
        ok = sset.n * alive * s.censoring.survival(times) >= 30
        assert ok.sum() >= 3
        q_lo, q_hi = np.quantile(sset._draw_curves(i, times), [0.025, 0.975], axis=0)
        assert np.abs(lows[j][ok] - q_lo[ok]).max() <= tolerance, (i, lows[j], q_lo)
        assert np.abs(highs[j][ok] - q_hi[ok]).max() <= tolerance, (i, highs[j], q_hi)


def test_km_intervals_agree_with_simulation(survival_set):
    _agrees_with_simulation(survival_set, "kaplan-meier", np.array([3, 6, 12, 24, 36.0]),
                            0.01)


def test_incidence_intervals_agree_with_simulation(incidence_set):
    """Four lesions per patient share one death: design effect 4 on the death term."""
    assert incidence_set.design_effect == pytest.approx(4.0)
    times = np.array([3, 6, 12, 18, 24, 30.0])
    _agrees_with_simulation(incidence_set, "aalen-johansen", times, 0.01)
    _agrees_with_simulation(incidence_set, "1 - kaplan-meier", times, 0.01)


def test_the_design_effect_counts_lesions_per_patient():
    spec = summary_spec(400, cumulative_incidence_at={12: 0.10}, competing_rate=0.01,
                        unit_of_analysis="lesion", precision=0.01)
    # 150 patients with 2 lesions and 100 with 1: (150 * 4 + 100) / 400
    assert scenario_set(spec, n_patients=250, n_draws=5).design_effect == pytest.approx(1.75)
    assert scenario_set(spec, n_draws=5).design_effect == 1.0


def _edge_scenarios(sset, times):
    curves = sset.model_curves(times)
    acc = sset.accepted
    return sorted({acc[j] for j in np.argmin(curves, axis=0)}
                  | {acc[j] for j in np.argmax(curves, axis=0)})


@pytest.mark.parametrize("which", ["survival_set", "incidence_set"])
def test_band_holds_every_accepted_scenario_and_the_simulated_edges(which, request):
    sset = request.getfixturevalue(which)
    times = np.linspace(0, sset.horizon_months * 1.5, 31)
    band = sset.band(times)
    low, high = band["low"].to_numpy(), band["high"].to_numpy()
    curves = sset.model_curves(times)
    a_low, a_high = sset.asymptotic_intervals(times)
    assert len(sset.accepted) >= 5
    assert np.all(low <= np.nanmin(np.fmin(curves, a_low), axis=0) + 1e-12)
    assert np.all(high >= np.nanmax(np.fmax(curves, a_high), axis=0) - 1e-12)
    # the simulated intervals of the scenarios at the envelope's edges stay in (the old band)
    for i in _edge_scenarios(sset, times):
        q_lo, q_hi = np.quantile(sset._draw_curves(i, times), [0.025, 0.975], axis=0)
        assert np.all(low <= q_lo + 1e-12) and np.all(high >= q_hi - 1e-12)
    # an inner scenario's own sampling reaches beyond the model envelope: the band has it
    assert (low < curves.min(axis=0) - 0.01).any()
    assert np.isfinite(low).all() and np.isfinite(high).all()
    assert ((low >= 0) & (high <= 1)).all()


def test_more_accepted_scenarios_give_no_narrower_asymptotic_envelope():
    """Milestones alone, rounded to 1 or to 2 points: the same fits (equal weights), so the
    looser rounding accepts a superset; its envelope of model curves and asymptotic
    intervals contains the other's."""
    def sset(step):
        return scenario_set(summary_spec(120, survival_at={12: 0.80, 24: 0.62},
                                         precision=step), n_draws=50, seed=4)

    tight, loose = sset(0.01), sset(0.02)
    assert set(tight.accepted) < set(loose.accepted)
    times = np.linspace(0, 40, 81)

    def envelope(s):
        c = s.model_curves(times)
        lo, hi = s.asymptotic_intervals(times)
        return np.nanmin(np.fmin(c, lo), axis=0), np.nanmax(np.fmax(c, hi), axis=0)

    (t_lo, t_hi), (l_lo, l_hi) = envelope(tight), envelope(loose)
    assert np.all(l_lo <= t_lo + 1e-12) and np.all(l_hi >= t_hi - 1e-12)
    band = loose.band(times)
    assert np.all(band["low"].to_numpy() <= t_lo + 1e-12)
    assert np.all(band["high"].to_numpy() >= t_hi - 1e-12)


def test_nothing_accepted_gives_empty_limits():
    sset = scenario_set(summary_spec(100, survival_at={12: 0.9}, events=99, precision=0.01),
                        n_draws=20)
    assert not sset.accepted
    low, high = sset.asymptotic_intervals([6.0, 12.0])
    assert low.shape == high.shape == (0, 2)
    band = sset.band([6.0, 12.0])
    assert band["low"].isna().all() and band["high"].isna().all()


def test_same_inputs_same_band_bytes():
    def build():
        return scenario_set(summary_spec(120, survival_at={12: 0.80, 24: 0.62},
                                         precision=0.01), n_draws=100, seed=4)

    times = np.linspace(0, 60, 121)
    assert build().band(times).to_csv().encode() == build().band(times).to_csv().encode()


def test_caption_states_what_the_per_lesion_sampling_assumes(incidence_set, survival_set):
    caption = incidence_set.for_estimator("aalen-johansen").caption()
    assert "400 lesions of 100 patients share each patient's death and follow-up" in caption
    assert "design effect of 4.00" in caption
    assert "progression is taken as independent between a patient's lesions" in caption
    assert "1 − Kaplan–Meier" not in caption
    one_minus_km = incidence_set.for_estimator("1 - kaplan-meier").caption()
    assert "shared deaths are censorings (no design effect)" in one_minus_km
    assert "design effect of" not in one_minus_km
    assert "lesions" not in survival_set.caption()


def test_a_shared_death_part_carries_the_design_effect_in_greenwoods_variance():
    """Event hazard lam, of which d is death shared by a patient's lesions: by hand,
    Var(log S) = (lam + (DE - 1) d) (e^{lam t} - 1) / (lam n); with DE = 1, Greenwood's."""
    lam, d, de, n = 0.03, 0.01, 1.6, 200
    hz = HazardModel("exponential", rates=(lam,))
    times = np.array([1.0, 6.0, 12.0, 24.0])
    var = log_survival_variance(times, hz, NO_CENSORING, n, shared_death_rate=d,
                                death_design_effect=de)
    by_hand = (lam + (de - 1) * d) * np.expm1(lam * times) / (lam * n)
    np.testing.assert_allclose(var, by_hand, rtol=1e-3)
    plain = log_survival_variance(times, hz, NO_CENSORING, n, shared_death_rate=d)
    np.testing.assert_allclose(plain, np.expm1(lam * times) / n, rtol=1e-3)
    # a death part larger than the event hazard is capped at it: the whole event is shared
    capped = log_survival_variance(times, hz, NO_CENSORING, n, shared_death_rate=1.0,
                                   death_design_effect=de)
    np.testing.assert_allclose(capped, de * np.expm1(lam * times) / n, rtol=1e-3)
