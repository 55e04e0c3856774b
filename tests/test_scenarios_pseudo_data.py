"""What a scenario set checks on its model and what on its integer pseudo-data; what each
summary row of an incidence means; what the caption says the band approximates.

Inputs are made up (summary specifications, not rows of evidence/). The pseudo-data check is
compared with the package's own estimators run on ``pseudo_data(i)`` (Kaplan-Meier checked
against R and lifelines, Aalen-Johansen against R cmprsk in their own tests), not with the
vectorised form the set uses.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import trapezoid

from thyroid_evidence.survival import (
    cumulative_incidence,
    kaplan_meier,
    scenario_set,
    summary_spec,
)


@pytest.fixture(scope="module")
def survival_set():
    """Loose rounding (10 points, a median to 10 months): some draws print it, some not."""
    spec = summary_spec(200, survival_at={12: 0.80, 24: 0.60}, median=36,
                        precision={"milestones": 0.1, "median": 10})
    return scenario_set(spec, n_draws=50, seed=11)


@pytest.fixture(scope="module")
def incidence_set():
    spec = summary_spec(300, cumulative_incidence_at={12: 0.10, 24: 0.16},
                        competing_rate=math.log(2) / 45, precision={"milestones": 0.05},
                        unit_of_analysis="lesion")
    return scenario_set(spec, n_patients=200, competing_note="made-up deaths", n_draws=40,
                        seed=4)


def _some(indices, k=5):
    """At most k of ``indices``, evenly spaced (the estimators are slow per call)."""
    return [indices[j] for j in np.unique(np.linspace(0, len(indices) - 1, k).round().astype(int))]


def _printed(sset, i):
    """Reported quantities as the package's estimators print them on pseudo_data(i)."""
    data = sset.pseudo_data(i)
    rep = sset.reported
    times = rep.loc[rep["quantity"] == sset.kind, "time_months"].to_numpy(float)
    estimator = sset.grid["estimator"].iloc[i]
    if estimator == "aalen-johansen":
        table = cumulative_incidence(data).table
        values = [float(table.loc[table["time"] <= t, "cumulative_incidence"].iloc[-1])
                  if (table["time"] <= t).any() else 0.0 for t in times]
        return values, None, int((data["event"] == 1).sum())
    km = kaplan_meier(data.assign(event=(data["event"] == 1).astype(int)))
    values = km.survival_at(times)
    if estimator == "1 - kaplan-meier":
        values = 1.0 - values
    return list(values), km.median, int((data["event"] == 1).sum())


@pytest.mark.parametrize("which", ["survival_set", "incidence_set"])
def test_pseudo_data_column_says_whether_the_drawn_data_print_the_reported_numbers(which,
                                                                                    request):
    sset = request.getfixturevalue(which)
    table = sset.scenarios
    rep = sset.reported
    points = rep[rep["quantity"] == sset.kind]
    median = rep[rep["quantity"] == "median"]
    events = rep[rep["quantity"] == "events"]
    assert sset.accepted
    column = table["pseudo_data_reproduces"]
    accepted = list(sset.accepted)
    assert column.iloc[accepted].any() and not column.iloc[accepted].all()  # both kinds
    chosen = (_some([i for i in accepted if column.iloc[i]], 3)
              + _some([i for i in accepted if not column.iloc[i]], 3))
    for i in chosen:
        values, km_median, count = _printed(sset, i)
        ok = all(lo - 1e-9 <= v <= hi + 1e-9
                 for v, lo, hi in zip(values, points["lower"], points["upper"], strict=True))
        if len(median):
            ok &= bool(median["lower"].iloc[0] - 1e-9 <= km_median
                       <= median["upper"].iloc[0] + 1e-9)
        if len(events):
            ok &= count == int(events["reported"].iloc[0])
        assert bool(table["pseudo_data_reproduces"].iloc[i]) is ok, i
        assert (table["pseudo_data_misses"].iloc[i] == "") is ok
    # scenarios whose model misses are not drawn: both columns empty
    rejected = [i for i in range(len(table)) if i not in sset.accepted]
    assert rejected
    assert table["pseudo_data_reproduces"].iloc[rejected].isna().all()
    assert table["pseudo_data_misses"].iloc[rejected].isna().all()


def test_a_subset_checks_the_pseudo_data_it_would_draw(incidence_set):
    points = incidence_set.reported[incidence_set.reported["quantity"] == "cumulative_incidence"]
    assert len(incidence_set.estimators) == 2
    for estimator in incidence_set.estimators:
        reading = incidence_set.for_estimator(estimator)
        for i in _some(list(reading.accepted), 3):
            values, _, _ = _printed(reading, i)  # seeded by its place in the subset
            misses = reading.scenarios["pseudo_data_misses"].iloc[i]
            assert (misses == "") is all(
                lo - 1e-9 <= v <= hi + 1e-9
                for v, lo, hi in zip(values, points["lower"], points["upper"], strict=True))


def test_a_reported_event_count_must_be_drawn_exactly(survival_set):
    i = survival_set.accepted[0]
    drawn = int((survival_set.pseudo_data(i)["event"] == 1).sum())
    for reported, missed in ((drawn, False), (drawn + 1, True)):
        extra = pd.DataFrame([("events", math.nan, float(reported), reported - 0.5,
                               reported + 0.5)], columns=survival_set.reported.columns)
        with_count = replace(survival_set, _cache={},
                             reported=pd.concat([survival_set.reported, extra],
                                                ignore_index=True))
        misses = with_count.scenarios["pseudo_data_misses"].iloc[i]
        assert (f"events ({drawn} drawn vs {reported} reported)" in misses) is missed


def test_incidence_summary_rows_name_what_they_estimate(incidence_set, survival_set):
    summary = incidence_set.summary(times=[12.0, 24.0], tau=24.0)
    assert list(summary["quantity"]) == ["cumulative_incidence", "cumulative_incidence", "rmtl"]
    rmtl = summary[summary["quantity"] == "rmtl"].iloc[0]
    grid = np.linspace(0.0, 24.0, 801)
    areas = [trapezoid(incidence_set.curve(i, grid), grid) for i in incidence_set.accepted]
    # the area under the incidence (time lost), between 0 and tau and covering every model
    assert 0.0 <= rmtl["low"] <= min(areas) <= max(areas) <= rmtl["high"] <= 24.0
    assert rmtl["high"] < 24.0 * 0.16  # below the area of the highest reported incidence
    assert list(survival_set.summary(times=[12.0])["quantity"]) == ["survival", "median", "rmst"]


def test_caption_says_which_scenarios_sampling_covers(survival_set):
    caption = survival_set.caption()
    assert "checked on its model" in caption
    assert "50 simulated data sets, pointwise 95%" in caption
    assert "every accepted scenario's model curve and its own pointwise 95% sampling" in caption
    assert "median and restricted-mean intervals hold every accepted scenario's own " \
        "sampling as well (Brookmeyer-Crowley for the median)" in caption
