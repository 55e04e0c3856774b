"""One Kaplan-Meier tie convention (survival.km) under Guyot, the summary reconstruction and
kaplan_meier: at tied times events come before censorings (a subject censored at t was at
risk at t)."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from thyroid_evidence.survival import kaplan_meier, km, reconstruct_from_summary, reconstruct_km
from thyroid_evidence.survival.summary import PseudoIPD, assign_patients, summary_spec

# a censoring and an event tied at t = 1
TIME = np.array([1.0, 1.0, 2.0, 3.0, 4.0])
EVENT = np.array([0, 1, 1, 0, 1])
EXPECTED = {1.0: 0.8, 2.0: 0.8 * 2 / 3, 3.0: 0.8 * 2 / 3, 4.0: 0.0}


def _sequential(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """The kernel's subject-by-subject survival of rows taken in the order given."""
    return km.product_limit(km.sequential_at_risk(time.size, time.size), event == 1)


def _assert_rows_follow_the_kernel(data: pd.DataFrame) -> None:
    """Rows already in the kernel's tie order, and their subject-by-subject Kaplan-Meier
    equal to kaplan_meier's at every time (the last row of a time closes it)."""
    time = data["time"].to_numpy(float)
    event = data["event"].to_numpy(int)
    assert np.array_equal(km.tie_order(time, event != 0), np.arange(time.size))
    per_subject = _sequential(time, event)
    last_of_time = np.append(np.diff(time) > 0, True)
    fitted = kaplan_meier(data.assign(event=(data["event"] == 1).astype(int)))
    assert_allclose(per_subject[last_of_time], fitted.survival_at(time[last_of_time]),
                    rtol=1e-12, atol=1e-15)


def test_kernel_tie_order_gives_kaplan_meier_on_a_tied_example():
    times = list(EXPECTED)
    fitted = kaplan_meier(pd.DataFrame({"time": TIME, "event": EVENT}))
    assert_allclose(fitted.survival_at(times), list(EXPECTED.values()), atol=1e-12)
    x, s = km.km_step(TIME, EVENT)
    assert_allclose(km.step_at(x, s, times, 1.0), list(EXPECTED.values()), atol=1e-12)
    order = km.tie_order(TIME, EVENT == 1)
    assert order.tolist() == [1, 0, 2, 3, 4]  # the event at t = 1 first
    assert _sequential(TIME[order], EVENT[order])[1] == pytest.approx(0.8)
    # the other order would take the censored subject out of the risk set at t = 1
    assert _sequential(TIME, EVENT)[1] == pytest.approx(0.75)


def test_guyot_rows_put_events_before_censorings_at_tied_times():
    # everyone left after the drop at the last click is censored there, tied with its event
    res = reconstruct_km([0, 1, 1, 2, 2], [1, 1, 0.8, 0.8, 0.6], n_total=5)
    data = res.data
    assert data["time"].tolist() == [1, 2, 2, 2, 2]
    assert data["event"].tolist() == [1, 1, 0, 0, 0]
    _assert_rows_follow_the_kernel(data)
    assert_allclose(kaplan_meier(data).survival_at([1, 2]), [0.8, 0.6], atol=1e-12)
    assert res.diagnostics.max_abs_diff == pytest.approx(0.0, abs=1e-12)
    # with a risk table and total events: an event and a censoring tied at the end
    res = reconstruct_km([0, 1, 1, 2, 2, 4, 4], [1, 1, 0.8, 0.8, 0.6, 0.6, 0.3],
                         risk_times=[0, 2], n_risk=[5, 3], total_events=3)
    assert res.data[res.data["time"] == 4]["event"].tolist() == [1, 0]
    _assert_rows_follow_the_kernel(res.data)


def test_summary_rows_put_events_before_censorings_at_tied_times():
    spec = summary_spec(5, survival_at={1: 0.8, 2: 0.533}, precision=0.001)
    # the tied example with the censoring first at t = 1: the grouping re-sorts in tie order
    given = pd.DataFrame({"time": TIME, "event": EVENT})
    table = pd.DataFrame(columns=["quantity", "time_months", "reported", "lower", "upper",
                                  "reproduced", "within_rounding", "status"])
    result = PseudoIPD(data=given, assumptions=(), reported_vs_reproduced=table, spec=spec)
    grouped = assign_patients(result, 5)
    assert grouped.data["time"].tolist() == [1, 1, 2, 3, 4]
    assert grouped.data["event"].tolist() == [1, 0, 1, 0, 1]
    _assert_rows_follow_the_kernel(grouped.data)
    assert grouped.reported_vs_reproduced["within_rounding"].all()
    assert_allclose(grouped.reported_vs_reproduced["reproduced"], [0.8, 0.8 * 2 / 3])


@pytest.mark.parametrize("n, kwargs", [
    (25, {"survival_at": {12: 0.716, 24: 0.668}}),
    (200, {"survival_at": {12: 0.85, 48: 0.5}, "follow_up_median": 35, "events": 90}),
])
def test_summary_reconstruction_is_in_the_kernel_tie_order(n, kwargs):
    res = reconstruct_from_summary(n, **kwargs)
    assert res.all_reproduced
    _assert_rows_follow_the_kernel(res.data)
