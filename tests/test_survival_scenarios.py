"""Scenario sets: what made-up reported numbers identify, and what each assumption adds.

Every input here is made up (not a row of evidence/), so adding a study cannot break these
tests; expected values come from closed-form survival functions, not from the code under test.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from thyroid_evidence.survival import (
    ScenarioSet,
    reconstruct_from_summary,
    scenario_set,
    summary_spec,
)
from thyroid_evidence.survival.scenarios import SHAPE_RANGES


@pytest.fixture(scope="module")
def milestones_only():
    """Survival at 12, 24 and 36 months, 40 patients, no median, no follow-up."""
    return scenario_set(summary_spec(40, survival_at={12: 0.80, 24: 0.65, 36: 0.55},
                                     precision=0.01), n_draws=100, seed=1)


@pytest.fixture(scope="module")
def one_median():
    """A median of 40 months in 300 patients, median follow-up 30 months."""
    return scenario_set(summary_spec(300, median=40, follow_up_median=30,
                                     precision={"median": 1, "follow_up_median": 1}),
                        n_draws=100, seed=2)


@pytest.fixture(scope="module")
def incidence():
    """Per-lesion cumulative incidence, 400 lesions in 250 patients, deaths competing."""
    spec = summary_spec(400, cumulative_incidence_at={12: 0.10, 24: 0.15},
                        competing_rate=math.log(2) / 50, follow_up_median=30,
                        precision={"milestones": 0.01, "follow_up_median": 1},
                        unit_of_analysis="lesion")
    return scenario_set(spec, n_patients=250, competing_note="made-up death hazard",
                        n_draws=60, seed=3)


def test_milestones_without_a_median_do_not_identify_the_median(milestones_only):
    summary = milestones_only.summary(times=[12, 24, 36, 48])
    assert milestones_only.horizon_months == 36
    med = summary[summary["quantity"] == "median"].iloc[0]
    assert not med["identified"]
    # every accepted scenario keeps survival above 50% at the horizon: the median lies beyond
    assert med["high"] > 36
    surv = summary[summary["quantity"] == "survival"].set_index("time_months")
    assert surv["identified"].to_dict() == {12.0: True, 24.0: True, 36.0: True, 48.0: False}
    rmst = summary[summary["quantity"] == "rmst"].iloc[0]
    assert rmst["time_months"] == 36 and rmst["identified"]
    beyond = milestones_only.summary(tau=48)
    assert not beyond.loc[beyond["quantity"] == "rmst", "identified"].iloc[0]


def test_band_is_marked_extrapolated_beyond_the_horizon(milestones_only):
    band = milestones_only.band([0, 12, 36, 36.5, 60])
    assert list(band.columns) == ["time", "low", "high", "extrapolated"]
    assert band["extrapolated"].tolist() == [False, False, False, True, True]
    assert (band["low"] <= band["high"]).all()


def test_accepted_scenarios_pass_through_every_rounding_interval(milestones_only):
    table = milestones_only.scenarios
    assert {"model", "censoring", "estimator", "accepted", "misses"} <= set(table.columns)
    assert table["accepted"].any() and not table["accepted"].all()
    curves = milestones_only.model_curves([12, 24, 36])
    assert np.all(np.abs(curves - [0.80, 0.65, 0.55]) <= 0.005 + 1e-9)
    # a rejected scenario says which reported number it misses
    missed = table.loc[~table["accepted"], "misses"]
    assert missed.str.contains("months").all()


def test_one_median_lets_the_weibull_shape_span_its_range(one_median):
    """S(12) of Weibull curves through a 40-month median, by hand: exp(-log 2 (12/40)^k)."""
    lo_k, hi_k = SHAPE_RANGES["weibull"]
    by_hand = [math.exp(-math.log(2) * (12 / 40) ** k) for k in (lo_k, hi_k)]
    weibull = one_median.scenarios.query("model == 'weibull' and accepted")
    assert weibull["shape"].min() == pytest.approx(lo_k)
    assert weibull["shape"].max() == pytest.approx(hi_k)
    row = one_median.summary(times=[12]).iloc[0]
    assert row["low"] <= min(by_hand) and row["high"] >= max(by_hand)
    assert "shape" in one_median.varied and "hazard family" in one_median.varied
    med = one_median.summary().query("quantity == 'median'").iloc[0]
    assert med["identified"] and med["low"] <= 39.5 and med["high"] >= 40.5


def test_the_two_readings_of_an_incidence_have_their_own_texts(incidence):
    table = incidence.scenarios
    aj = table[table["estimator"] == "aalen-johansen"]["assumption"]
    km = table[table["estimator"] == "1 - kaplan-meier"]["assumption"]
    assert len(aj) and len(km)
    assert aj.str.contains("Aalen–Johansen").all() and not aj.str.contains("1 − Kaplan").any()
    assert km.str.contains("1 − Kaplan–Meier with deaths censored").all()
    assert not km.str.contains("Aalen").any()


def test_per_lesion_scenarios_share_one_death_and_follow_up_per_patient(incidence):
    i = incidence.accepted[0] if incidence.accepted else 0
    data = incidence.pseudo_data(i, seed=5)
    assert len(data) == 400 and data["patient"].nunique() == 250
    deaths = data[data["event"] == 2].groupby("patient")["time"].nunique()
    assert len(deaths) and (deaths == 1).all()
    censored = data[data["event"] == 0].groupby("patient")["time"].nunique()
    assert (censored == 1).all()
    # a patient's lesions that neither progressed nor were censored earlier die together
    text = incidence.scenarios["assumption"].iloc[i]
    assert "400 lesions in 250 patients" in text and "share its death" in text


def test_an_impossible_event_count_rejects_every_scenario_and_says_so():
    sset = scenario_set(summary_spec(100, survival_at={12: 0.9}, follow_up_median=24,
                                     events=99, precision={"milestones": 0.01,
                                                           "follow_up_median": 1}),
                        n_draws=20)
    assert not sset.scenarios["accepted"].any()
    assert sset.scenarios["misses"].str.contains("events").all()
    assert "None of the" in sset.caption()
    assert sset.summary(times=[12])["identified"].eq(False).all()


def test_censoring_readings_and_no_follow_up_patterns_are_both_tried(one_median,
                                                                      milestones_only):
    notes = one_median.scenarios["assumption"]
    assert notes.str.contains("reverse Kaplan-Meier median").any()
    assert notes.str.contains("crude median").any()
    windows = milestones_only.scenarios["censoring"].unique()
    assert len(windows) >= 3  # several patterns when no follow-up is reported


def test_same_inputs_same_set(milestones_only):
    again = scenario_set(summary_spec(40, survival_at={12: 0.80, 24: 0.65, 36: 0.55},
                                      precision=0.01), n_draws=100, seed=1)
    pd.testing.assert_frame_equal(again.scenarios, milestones_only.scenarios)
    pd.testing.assert_frame_equal(again.band([6, 30]), milestones_only.band([6, 30]))
    assert isinstance(again, ScenarioSet)


def test_bad_input():
    with pytest.raises(TypeError, match="SummarySpec"):
        scenario_set({"n": 3})
    spec = summary_spec(10, survival_at={12: 0.5}, unit_of_analysis="lesion")
    with pytest.raises(ValueError, match="n_patients=11 exceeds"):
        scenario_set(spec, n_patients=11)
    with pytest.raises(ValueError, match="tau must be"):
        scenario_set(spec).summary(tau=-1)


def test_the_single_reconstruction_states_censorings_outside_its_window():
    """Censorings placed outside the stated window are a stated assumption of the scenario."""
    res = reconstruct_from_summary(25, survival_at={12: 0.716, 24: 0.668},
                                   follow_up_median=60, precision=0.001)
    windows = re.findall(r"follow-up window used is \[([\d.]+), ([\d.]+)\]",
                         " ".join(res.assumptions))
    low, high = map(float, windows[-1])
    cens = res.data.loc[res.data["event"] == 0, "time"]
    outside = int(((cens < low - 0.01) | (cens > high + 0.01)).sum())
    fallback = [a for a in res.assumptions if a.startswith("fallback")]
    if outside:
        assert fallback and f"{outside} of {len(cens)} censorings" in fallback[0]
    else:
        assert not fallback


# --- read from the evidence (values taken from evidence/, never typed) -----------------------

from thyroid_evidence import load_evidence  # noqa: E402
from thyroid_evidence.study import complement_table, reconstruct_scenarios  # noqa: E402
from thyroid_evidence.vocab import TIME_TO_EVENT_ENDPOINTS  # noqa: E402


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def _time_to_event_cases(evidence):
    out = evidence.outcomes
    rows = out[out["statistic"].isin(["survival", "median", "cumulative_incidence"])
               & out["category"].isna() & out["subgroup"].isna()
               & out["endpoint"].isin(list(TIME_TO_EVENT_ENDPOINTS))]
    return sorted(set(zip(rows["series_id"], rows["endpoint"], strict=True)))


def test_every_series_set_has_the_horizon_and_units_of_its_evidence(evidence):
    from thyroid_evidence import survival

    assert survival.reconstruct_scenarios is reconstruct_scenarios
    cases = _time_to_event_cases(evidence)
    assert cases
    for series_id, endpoint in cases:
        sset = reconstruct_scenarios(evidence, series_id, endpoint, n_draws=20)
        rows = evidence.outcomes_for(series_id, endpoint)
        rows = rows[rows["category"].isna() & rows["subgroup"].isna()]
        timed = rows[rows["statistic"].isin(["survival", "cumulative_incidence"])]
        ends = list(timed["time_months"].astype(float))
        med = rows[rows["statistic"] == "median"]
        if len(med):  # months in the evidence here; the upper end of its rounding
            ends.append(float(med["value"].iloc[0]) + 0.5 * 10.0 ** -int(med["decimals"].iloc[0]))
        assert sset.horizon_months == pytest.approx(max(ends)), (series_id, endpoint)
        info = evidence.series_info(series_id)
        if sset.unit_of_analysis == "lesion" and not pd.isna(info["n_patients"]):
            assert sset.n_patients == int(info["n_patients"])
        # every accepted model curve passes through every reported rounding interval
        if sset.accepted and len(timed):
            curves = sset.model_curves(timed["time_months"].astype(float).to_numpy())
            half = 0.5 * 10.0 ** -timed["decimals"].astype(int).to_numpy()
            assert np.all(np.abs(100 * curves - timed["value"].to_numpy(float)) <= half + 1e-7)


def test_local_efficacy_against_each_reading_of_the_incidence(evidence):
    for series_id, endpoint in _time_to_event_cases(evidence):
        if endpoint != "local_tumor_progression":
            continue
        sset = reconstruct_scenarios(evidence, series_id, endpoint, n_draws=30)
        for est in sset.estimators:
            table = complement_table(evidence, series_id, sset.for_estimator(est))
            for row in table.itertuples():
                assert row.ci_low <= row.reconstructed_percent <= row.ci_high
                assert row.identified == (row.time_months <= sset.horizon_months)
        if len(sset.estimators) > 1:
            with pytest.raises(ValueError, match="for_estimator"):
                complement_table(evidence, series_id, sset)


def test_bounds_say_what_the_reported_numbers_alone_imply(milestones_only, one_median):
    """Monotonicity alone: between 12 (80%) and 24 months (65%), rounded to 1%."""
    row = milestones_only.summary(times=[18, 48]).set_index("time_months")
    assert row.loc[18.0, "bound_low"] == pytest.approx(0.645)
    assert row.loc[18.0, "bound_high"] == pytest.approx(0.805)
    assert row.loc[48.0, "bound_low"] == 0 and row.loc[48.0, "bound_high"] == pytest.approx(0.555)
    med = one_median.summary().query("quantity == 'median'").iloc[0]
    assert (med["bound_low"], med["bound_high"]) == (39.5, 40.5)
    no_median = milestones_only.summary().query("quantity == 'median'").iloc[0]
    assert no_median["bound_low"] == 36 and math.isinf(no_median["bound_high"])


def test_a_stated_maximum_follow_up_bounds_every_window():
    sset = scenario_set(summary_spec(200, survival_at={12: 0.8}, follow_up_median=20,
                                     follow_up_max=30, precision={"milestones": 0.01,
                                                                  "follow_up_median": 1}),
                        n_draws=20)
    highs = sset.scenarios["censoring"].str.extract(r", ([\d.]+)\]")[0].astype(float)
    assert (highs <= 30 + 1e-9).all()
    assert sset.scenarios["assumption"].str.contains("maximum as reported").any()
    assert "scenarios tried" in repr(sset)


def test_single_reconstruction_groups_lesions_into_patients():
    from thyroid_evidence.survival.summary import assign_patients

    res = reconstruct_from_summary(300, cumulative_incidence_at={12: 0.10, 24: 0.15},
                                   competing_rate=0.02, follow_up_median=30,
                                   precision={"milestones": 0.01, "follow_up_median": 1},
                                   unit_of_analysis="lesion")
    grouped = assign_patients(res, 200)
    d = grouped.data
    assert len(d) == 300 and d["patient"].nunique() == 200
    assert d.groupby("patient").size().max() == 2
    for code in (0, 2):  # one death time, one end of follow-up per patient
        assert (d[d["event"] == code].groupby("patient")["time"].nunique() == 1).all()
    # no patient both dies and is censored; a lesion progresses before its patient's end
    fates = d.groupby("patient")["event"].apply(set)
    assert not any({0, 2} <= f for f in fates)
    for _, g in d[d["patient"].isin(d.loc[d["event"] == 1, "patient"])].groupby("patient"):
        if len(g) == 2 and set(g["event"]) != {1}:
            assert g.loc[g["event"] == 1, "time"].max() <= g.loc[g["event"] != 1, "time"].min()
    assert grouped.reported_vs_reproduced["within_rounding"].all()
    assert "300 lesions grouped into 200 patients" in grouped.assumptions[-1]
    with pytest.raises(ValueError, match="at most two lesions per patient"):
        assign_patients(res, 100)


def test_identified_only_where_the_reported_numbers_alone_pin_the_quantity(one_median):
    """A 40-month median alone bounds survival at 12 months only by 50% and 100% (no model):
    the scenarios' narrower interval is theirs, so it is not identified; the median is."""
    table = one_median.summary(times=[12, 30]).set_index("quantity")
    surv = table.loc["survival"].set_index("time_months")
    assert (surv.loc[12.0, "bound_low"], surv.loc[12.0, "bound_high"]) == (0.5, 1.0)
    assert surv.loc[12.0, "high"] - surv.loc[12.0, "low"] < 0.5
    assert not surv["identified"].any()
    assert table.loc["median", "identified"]
    # the rule on every row: identified only within the horizon and with the no-model
    # bounds inside the interval shown
    for row in one_median.summary(times=[6, 12, 24, 39, 60]).itertuples():
        inside = row.bound_low >= row.low - 1e-9 and row.bound_high <= row.high + 1e-9
        if row.identified:
            assert inside
            assert math.isnan(row.time_months) or row.time_months <= one_median.horizon_months


def test_reported_milestones_are_identified_where_they_pin_the_curve(milestones_only):
    surv = milestones_only.summary(times=[12, 24, 36]).query("quantity == 'survival'")
    assert surv["identified"].all()
    assert (surv["bound_high"] - surv["bound_low"] <= 0.01 + 1e-9).all()


@pytest.mark.parametrize(("events", "shown", "rejected"), [
    (45, "1 - kaplan-meier", "aalen-johansen"), (60, "aalen-johansen", "1 - kaplan-meier")])
def test_a_reading_with_no_accepted_scenario_is_named_in_the_caption(events, shown, rejected):
    """Deaths at a high constant hazard: fewer events are observed when the reported
    incidence is 1 - Kaplan-Meier (deaths censored) than when it is Aalen-Johansen, so a
    reported event count selects one reading; the caption of the one shown names the other."""
    spec = summary_spec(400, cumulative_incidence_at={12: 0.10, 24: 0.15},
                        competing_rate=math.log(2) / 20, follow_up_median=30, events=events,
                        precision={"milestones": 0.01, "follow_up_median": 1})
    sset = scenario_set(spec, competing_note="made-up death hazard", n_draws=10, seed=3)
    assert set(sset.scenarios["estimator"]) == {"aalen-johansen", "1 - kaplan-meier"}
    assert sset.estimators == (shown,) and sset.rejected_readings == (rejected,)
    reading = sset.for_estimator(shown)
    assert reading.rejected_readings == (rejected,)
    words = {"aalen-johansen": "Aalen–Johansen", "1 - kaplan-meier": "1 − Kaplan–Meier"}
    for caption in (sset.caption(), reading.caption()):
        assert f"No scenario read as {words[rejected]}" in caption
        assert "that reading is not shown" in caption
    quiet = scenario_set(summary_spec(40, survival_at={12: 0.80}, precision=0.01), n_draws=20)
    assert quiet.rejected_readings == () and "No scenario read as" not in quiet.caption()


def test_a_per_lesion_set_states_its_unit_assumption(incidence, milestones_only):
    assert "400 lesions of 250 patients" in incidence.unit_assumption
    assert milestones_only.unit_assumption == ""


@pytest.fixture(scope="module")
def lesion_pfs():
    """Per-lesion progression-free survival, 600 lesions in 400 patients; deaths (part of
    the event) at 0.01 per month, shared by a patient's lesions."""
    spec = summary_spec(600, survival_at={12: 0.70, 24: 0.50}, follow_up_median=30,
                        precision={"milestones": 0.01, "follow_up_median": 1},
                        unit_of_analysis="lesion")
    return scenario_set(spec, n_patients=400, shared_death_rate=0.01,
                        competing_note="made-up death hazard", n_draws=40, seed=4)


def test_lesions_of_one_patient_share_the_death_part_of_a_survival_event(lesion_pfs):
    assert lesion_pfs.shared_death_rate == 0.01 and lesion_pfs.accepted
    i = lesion_pfs.accepted[0]
    data = lesion_pfs.pseudo_data(i, seed=11)
    assert set(data["event"]) <= {0, 1}
    two = data.groupby("patient").filter(lambda g: len(g) == 2)
    same = two[two["event"] == 1].groupby("patient")["time"].nunique()
    # without sharing, two continuous event times never coincide; deaths make some equal
    assert (same == 1).sum() >= 10
    assert "share its follow-up time and its death" in lesion_pfs.scenarios["assumption"][i]
    assert "share each patient's follow-up and death" in lesion_pfs.caption()


def test_the_shared_deaths_keep_each_scenarios_survival_and_widen_its_band(lesion_pfs):
    from dataclasses import replace

    from thyroid_evidence.survival.ensemble import batch_curves
    from thyroid_evidence.survival.scenarios import shared_death_split

    times = np.array([6.0, 12.0, 24.0])
    for i in lesion_pfs.accepted[:3]:
        t, e, _ = lesion_pfs._simulate(i, 300, 9)
        simulated = batch_curves(t, e, times, "survival")[0].mean(axis=0)
        np.testing.assert_allclose(simulated, lesion_pfs.curve(i, times), atol=0.01)
        s = lesion_pfs._items[i]
        u, death, progression = shared_death_split(s.hazard, 0.01, s.censoring.high)
        np.testing.assert_allclose(death + progression, s.hazard.cumulative_hazard(u),
                                   atol=1e-9)
        assert np.all(np.diff(death) <= 0.01 * np.diff(u) + 1e-12)
    independent = replace(lesion_pfs, shared_death_rate=0.0, _cache={})
    low, high = lesion_pfs.asymptotic_intervals(times)
    low0, high0 = independent.asymptotic_intervals(times)
    assert np.all(high - low >= high0 - low0 - 1e-12)
    assert np.any(high - low > high0 - low0 + 1e-4)


def test_a_shared_death_rate_is_checked_and_ignored_where_it_has_no_meaning(milestones_only):
    spec = summary_spec(40, survival_at={12: 0.80}, precision=0.01)
    with pytest.raises(ValueError, match="shared_death_rate"):
        scenario_set(spec, shared_death_rate=-1.0)
    with pytest.raises(TypeError, match="shared_death_rate"):
        scenario_set(spec, shared_death_rate="0.01")
    assert scenario_set(spec, shared_death_rate=0.01, n_draws=10).shared_death_rate == 0.0


def test_per_lesion_survival_that_counts_death_shares_the_series_death_hazard(evidence):
    """Every per-lesion survival endpoint whose event includes death, in a series with known
    patients and a reported overall survival, shares that death hazard between lesions."""
    from thyroid_evidence.study.series import competing_rate
    from thyroid_evidence.vocab import DEATH_IN_EVENT_ENDPOINTS

    for series_id, endpoint in _time_to_event_cases(evidence):
        if endpoint not in DEATH_IN_EVENT_ENDPOINTS:
            continue
        sset = reconstruct_scenarios(evidence, series_id, endpoint, n_draws=10)
        rate, _ = competing_rate(evidence, series_id)
        shared = sset.unit_of_analysis == "lesion" and sset.n_patients < sset.n and rate > 0
        assert sset.shared_death_rate == (rate if shared else 0.0)
        if shared:
            assert "death" in sset.unit_assumption


def test_the_shared_death_rate_survives_the_plain_data_round_trip(lesion_pfs):
    import json

    text = json.dumps(lesion_pfs.to_data(), allow_nan=False)
    back = ScenarioSet.from_data(json.loads(text), n_draws=40, seed=4)
    assert back.shared_death_rate == lesion_pfs.shared_death_rate == 0.01
    pd.testing.assert_frame_equal(back.band([6.0, 12.0, 24.0]),
                                  lesion_pfs.band([6.0, 12.0, 24.0]), check_exact=True)
