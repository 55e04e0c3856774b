"""Pseudo-IPD from summaries: milestones within rounding, honesty when impossible, errors."""

import numpy as np
import pytest

from tests.conftest import reported, series_size
from thyroid_evidence.survival import kaplan_meier, reconstruct_from_summary

# The review's numbers, from evidence/: bone (Cazzato et al.) and liver RFA overall survival.
BONE_N = series_size("bone_ir_cazzato")
BONE_OS = {t: reported(f"bone_os_{t}m") / 100 for t in (12, 24, 36)}
BONE_FOLLOW_UP = reported("bone_followup_median") * 12  # printed in years
LIVER_N = series_size("liver_rfa_crc")
LIVER_OS_60 = reported("liver_rfa_os_60m") / 100
LIVER_MEDIAN = reported("liver_rfa_os_median")


def test_milestones_reproduced_within_rounding_and_deterministic():
    kw = dict(survival_at=BONE_OS, follow_up_median=BONE_FOLLOW_UP,
              precision={"milestones": 0.001, "follow_up_median": 1.2})
    a = reconstruct_from_summary(BONE_N, **kw)
    b = reconstruct_from_summary(BONE_N, **kw)
    assert a.all_reproduced
    assert a.data.equals(b.data)
    km = kaplan_meier(a.data)
    got = km.survival_at([12, 24, 36])
    assert np.all(np.abs(got - np.array(list(BONE_OS.values()))) <= 0.0005 + 1e-12)
    assert len(a.data) == BONE_N and set(a.data["event"]) <= {0, 1}


def _lifelines_km(data):
    from lifelines import KaplanMeierFitter

    return KaplanMeierFitter().fit(data["time"], data["event"] == 1)


def test_median_and_milestone_reproduced():
    res = reconstruct_from_summary(LIVER_N, survival_at={60: LIVER_OS_60}, median=LIVER_MEDIAN)
    km = _lifelines_km(res.data)  # recomputed independently of the package
    assert LIVER_MEDIAN - 0.5 <= km.median_survival_time_ <= LIVER_MEDIAN + 0.5
    assert (LIVER_OS_60 - 0.005 <= float(km.survival_function_at_times([60]).iloc[0])
            <= LIVER_OS_60 + 0.005)
    table = res.reported_vs_reproduced.set_index("quantity")
    assert table.loc["median", "reproduced"] == pytest.approx(km.median_survival_time_)
    assert any("no median follow-up reported" in a for a in res.assumptions)


def test_incidence_with_competing_events_and_event_count():
    res = reconstruct_from_summary(
        400, cumulative_incidence_at={12: 0.05, 24: 0.08}, competing_rate=0.01,
        follow_up_median=30, precision=0.001, unit_of_analysis="lesion")
    assert res.all_reproduced
    assert set(res.data["event"]) == {0, 1, 2}
    assert res.unit_of_analysis == "lesion"
    # Aalen-Johansen recomputed by hand: CIF(t) = sum over event times of S(t-) * d1 / n
    data = res.data.sort_values("time")
    surv, cif, at_risk = 1.0, 0.0, len(data)
    values = {}
    for t, grp in data.groupby("time", sort=True):
        d1, d_all = int((grp["event"] == 1).sum()), int((grp["event"] != 0).sum())
        cif += surv * d1 / at_risk
        surv *= 1 - d_all / at_risk
        at_risk -= len(grp)
        values[t] = cif
    times = np.array(sorted(values))
    for t, printed in [(12, 0.05), (24, 0.08)]:
        got = values[times[times <= t].max()]
        assert abs(got - printed) <= 0.0005 + 1e-12, (t, got)


def test_impossible_milestone_is_reported_not_faked():
    # two patients and no censoring before 12 months: survival can only be 1, 0.5 or 0
    res = reconstruct_from_summary(2, survival_at={12: 0.4}, follow_up_median=100,
                                   precision=0.01)
    row = res.reported_vs_reproduced.iloc[0]
    assert not row["within_rounding"]
    assert row["status"] == "no integer solution without censoring"
    assert not res.all_reproduced


def test_weibull_model_through_two_constraints():
    res = reconstruct_from_summary(LIVER_N, survival_at={60: LIVER_OS_60}, median=LIVER_MEDIAN,
                                   model="weibull")
    assert res.all_reproduced
    km = _lifelines_km(res.data)
    assert LIVER_MEDIAN - 0.5 <= km.median_survival_time_ <= LIVER_MEDIAN + 0.5
    assert (LIVER_OS_60 - 0.005 <= float(km.survival_function_at_times([60]).iloc[0])
            <= LIVER_OS_60 + 0.005)
    assert "weibull" in res.assumptions[0].lower()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(n=0, survival_at={12: 0.5}), "n must be a whole number > 0"),
        (dict(n=10, survival_at={12: 0.5, 24: 0.6}), "rises: 0.6 at 24"),
        (dict(n=10, survival_at={12: 75.0}), "proportion in"),
        (dict(n=50, survival_at={12: 0.4}, median=24), "median=24.0 months is inconsistent"),
        (dict(n=10, cumulative_incidence_at={12: 0.2, 24: 0.1}), "falls"),
        (dict(n=10, survival_at={12: 0.5}, model="gompertz"), "allowed: piecewise"),
        (dict(n=10), "nothing to reproduce"),
        (dict(n=10, survival_at={12: 0.5}, events=11), "events must be"),
        (dict(n=10, median=12, model="weibull"), "needs at least two"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        reconstruct_from_summary(**kwargs)


def test_event_count_search_keeps_follow_up_reaching_the_last_reported_time():
    # made-up summary: median follow-up 35 months, last milestone at 48 months, 90 events
    pseudo = reconstruct_from_summary(200, survival_at={12: 0.85, 48: 0.5},
                                      follow_up_median=35, events=90)
    censoring = next(a for a in pseudo.assumptions if "spread widened" in a)
    assert "spread widened to +/-51%" in censoring
    assert "(at least +/-51%)" in censoring
    assert pseudo.data["time"].max() > 1.1 * 48
    assert pseudo.all_reproduced
