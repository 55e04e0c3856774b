"""km_joint_feasible: milestones, the reported event count and the median follow-up together.

Expected verdicts are derived by hand (comments); every witness is rebuilt as pseudo-patients
and checked with the package's Kaplan-Meier kernel (survival/km.py) and numpy's median.
"""

from __future__ import annotations

import numpy as np
import pytest

from thyroid_evidence.audit import km_joint_feasible
from thyroid_evidence.survival.km import km_step, step_at


def _pseudo_patients(result, end: float):
    """Times and event flags of the witness: censorings at the start of each segment, its
    events at the segment's midpoint, the rest censored at ``end`` (after ``events_after``
    more events just before it)."""
    times, events = [], []
    start = 0.0
    for seg in result.witness:
        times += [start] * seg.censored
        events += [0] * seg.censored
        times += [(start + seg.time) / 2] * seg.events
        events += [1] * seg.events
        start = seg.time
    left = result.n - len(times)
    after = result.events_after or 0
    times += [(start + end) / 2] * after + [end] * (left - after)
    events += [1] * after + [0] * (left - after)
    return np.array(times), np.array(events)


def _check_witness(result, end: float):
    time, event = _pseudo_patients(result, end)
    assert len(time) == result.n
    x, y = km_step(time, event)
    survival = step_at(x, y, np.array(result.times), 1.0)
    shown = [f"{100 * s:.{len(m.split('.')[1]) if '.' in m else 0}f}"
             if not result.complement else
             f"{100 * (1 - s):.{len(m.split('.')[1]) if '.' in m else 0}f}"
             for s, m in zip(survival, result.milestones, strict=True)]
    assert shown == list(result.milestones)
    if result.events is not None:
        assert int(event.sum()) == result.events
    if result.median_follow_up is not None:
        assert float(np.median(time)) == result.median_follow_up
    return time, event


def test_event_count_that_the_milestones_force():
    # 10 subjects, 90% at 12 and 80% at 24: the first event must leave 9/10, the second
    # 8/9 x 9/10 = 8/10, so exactly 2 events by 24 months
    two = km_joint_feasible(10, ["90", "80"], [12, 24], events=2)
    assert two.feasible is True and (two.min_events, two.max_events) == (2, 2)
    _check_witness(two, end=30)
    three = km_joint_feasible(10, ["90", "80"], [12, 24], events=3)
    assert three.feasible is True and three.events_after == 1
    _check_witness(three, end=30)
    one = km_joint_feasible(10, ["90", "80"], [12, 24], events=1)
    assert one.feasible is None and one.min_events == 2
    assert "none totals 1" in one.reason


def test_median_follow_up_with_events_before_it():
    # 20 subjects, 95% at 12 and 90% at 24, median follow-up 18: the second event can come
    # before 18 among 18 at risk (19/20 x 17/18 = 89.7%), with 11 or more followed to 18
    result = km_joint_feasible(20, ["95", "90"], [12, 24], median_follow_up=18)
    assert result.feasible is True
    assert result.at_risk_at_median() >= 11
    _check_witness(result, end=36)


def test_lung_like_series_needs_censoring_not_114_events():
    # 1,037 tumours, cumulative incidence 5.9-11.0% at 1-4 years: without censoring 11.0% is
    # 114 events by 48 months; with censoring 86 in all fit, the median follow-up 35.5 included
    result = km_joint_feasible(
        1037, ["5.9", "8.5", "10.2", "11.0"], [12, 24, 36, 48], events=86,
        median_follow_up=35.5, max_follow_up=96, complement=True,
    )
    assert result.feasible is True
    assert result.no_censoring_events == 114
    assert result.min_events <= 86
    _check_witness(result, end=96)


def test_too_few_events_for_the_median_follow_up():
    # 100 subjects, 10.0% cumulative incidence at 12 months, median follow-up 24: every event
    # before 24 happens with at least 51 at risk, each leaving at least 50/51, and
    # (50/51)^k <= 0.9005 needs k >= 5.25: 6 events at least, so 5 is impossible
    result = km_joint_feasible(100, ["10.0"], [12], events=5, median_follow_up=24,
                               complement=True)
    assert result.feasible is False and result.events_lower_bound == 6
    assert result.reason.startswith("At least 6 events are needed by 12")


def test_at_risk_bound_disproves_a_long_median_follow_up():
    # 5 subjects, 80% at 12 and 40% at 24: 4/5, then 4/5 x (r - d)/r = 2/5 needs r - d = r/2
    # (r = 4, d = 2 or r = 2, d = 1), so at most 2 remain at risk after 24, while a median
    # follow-up of 30 needs 3 of 5 still followed then
    result = km_joint_feasible(5, ["80", "40"], [12, 24], median_follow_up=30)
    assert result.feasible is False
    assert result.reason == (
        "The milestones allow at most 2 of the 5 subjects at risk just after time 24, but a "
        "median follow-up of 30 needs at least 3 still under observation then."
    )


def test_milestone_beyond_the_longest_follow_up():
    result = km_joint_feasible(20, ["90"], [48], max_follow_up=36)
    assert result.feasible is False
    assert result.reason == "A time of 48 lies beyond the longest possible follow-up of 36."


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((10, ["90", "80"], [12]), {}, ValueError, "one entry per milestone"),
        ((10, ["90", "80"], [24, 12]), {}, ValueError, "times must increase"),
        ((10, ["90"], [12]), {"events": 11}, ValueError, r"events \(11\) cannot exceed n"),
        ((10, ["90"], [12]), {"events": 2.0}, TypeError, "events must be a non-negative int"),
        ((10, ["90"], [12]), {"median_follow_up": "18"}, TypeError, "median_follow_up must"),
    ],
)
def test_bad_arguments_are_named(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        km_joint_feasible(*args, **kwargs)
