"""Milestones, a reported event count and the median follow-up, checked together.

:func:`~thyroid_evidence.audit.km_feasible` asks whether *some* Kaplan-Meier path of n
subjects prints the reported milestones; its example path need not have the reported number
of events (the path of a cohort with no censoring before the last milestone has about
``n (1 - S)`` events, e.g. 114 for 11.0% of 1,037). This module adds what the report says
about the same cohort:

* the **total number of events** ever observed (e.g. "86 local progressions"): the events by
  the last milestone can be at most that, and the rest must fit in the subjects still at risk;
* the **median follow-up** m: for the median of the n follow-up times to be m, at least
  ``n // 2 + 1`` of them are at least m (still under observation just before m) and at least
  ``n // 2 + 1`` are at most m (follow-up counts events and censorings alike);
* a **maximum follow-up** (e.g. the span of the database): no milestone after it.

The search works on paths of a simple form (a sufficient construction): censorings happen only
at the checkpoints (the milestones and m), and the events of an interval come after its
censorings, so between checkpoints survival falls by the telescoping factor ``(R - d) / R``
for d events among R at risk. A dynamic programme over the checkpoints keeps, for every number
still at risk, the path with the fewest (and the one with the most) events. A path it finds is
checked again in exact arithmetic and proves feasibility. The proof of impossibility is a
separate bound: before the median follow-up every event happens with at least ``n // 2 + 1``
at risk, so reaching survival ``S`` by then needs at least ``-ln S / -ln(1 - 1/(n // 2 + 1))``
events; and when :func:`km_feasible` proves that fewer than ``n // 2 + 1`` can be at risk
after the last milestone before m, no path exists. Between the two the answer is None (not decided).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral, Real

import numpy as np

from thyroid_evidence.audit.km_feasibility import _targets, km_feasible
from thyroid_evidence.audit.rounding import NEAREST_MODES, check_modes
from thyroid_evidence.validation import positive_int

__all__ = ["JointSegment", "KmJointFeasibility", "km_joint_feasible"]


@dataclass(frozen=True)
class JointSegment:
    """One interval of a witness path: ``censored`` leave at its start, then ``events`` occur
    among ``at_risk`` (the number at risk after the censorings), ending at ``time``."""

    time: float
    censored: int
    at_risk: int
    events: int


@dataclass(frozen=True)
class KmJointFeasibility:
    """Outcome of :func:`km_joint_feasible`.

    Attributes
    ----------
    n : int
        Subjects at the start.
    milestones : tuple of str
        Reported values in time order (cumulative incidences when ``complement``).
    times : tuple of float
        Their times.
    events : int or None
        Reported total number of events.
    median_follow_up, max_follow_up : float or None
        Reported median follow-up and the longest possible follow-up.
    feasible : bool or None
        True: ``witness`` reproduces everything; False: proved impossible (``reason``);
        None: not decided.
    min_events, max_events : int or None
        Fewest and most events by the last milestone among the paths found (paths of the
        simple form; the true extremes may lie beyond).
    events_lower_bound : int or None
        Proven minimum number of events by the last milestone (from the median follow-up).
    no_censoring_events : int or None
        Events by the last milestone of the path without censoring before it (what a reader
        computes as ``n x cumulative incidence``), when that path prints the milestones.
    witness : tuple of JointSegment or None
        A path with the reported total of events (the events after the last milestone are in
        ``events_after``).
    events_after : int or None
        Events of the witness after the last milestone.
    reason : str
        One plain sentence.
    """

    n: int
    milestones: tuple[str, ...]
    times: tuple[float, ...]
    complement: bool
    events: int | None
    median_follow_up: float | None
    max_follow_up: float | None
    feasible: bool | None
    min_events: int | None
    max_events: int | None
    events_lower_bound: int | None
    no_censoring_events: int | None
    witness: tuple[JointSegment, ...] | None
    events_after: int | None
    reason: str

    def witness_survival(self) -> tuple[Fraction, ...]:
        """Exact survival of the witness at each milestone."""
        if self.witness is None:
            return ()
        s = Fraction(1)
        out = []
        for seg in self.witness:
            if seg.at_risk:
                s *= Fraction(seg.at_risk - seg.events, seg.at_risk)
            if seg.time in self.times:
                out.append(s)
        return tuple(out)

    def at_risk_at_median(self) -> int | None:
        """Subjects of the witness still under observation just before the median follow-up."""
        if self.witness is None or self.median_follow_up is None:
            return None
        for seg in self.witness:
            if seg.time == self.median_follow_up and seg.time not in self.times:
                return seg.at_risk - seg.events
        return None


def _time(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number (a time in the milestones' unit), got "
                        f"{value!r}")
    if not math.isfinite(float(value)) or float(value) < 0:
        raise ValueError(f"{name} must be a finite time >= 0, got {value!r}")
    return float(value)


def km_joint_feasible(
    n: int,
    milestones: Sequence[str],
    times: Sequence[float],
    *,
    events: int | None = None,
    median_follow_up: float | None = None,
    max_follow_up: float | None = None,
    complement: bool = False,
    modes: Sequence[str] = NEAREST_MODES,
    at_risk_max_n: int = 200,
) -> KmJointFeasibility:
    """Can one Kaplan-Meier path of ``n`` subjects print the milestones *and* have the
    reported number of events and median follow-up?

    Parameters
    ----------
    n : int
        Subjects at time zero.
    milestones : sequence of str
        Reported survival (or, with ``complement``, cumulative incidence) in percent, as
        printed, in time order.
    times : sequence of float
        Times of the milestones, increasing, in the unit of the follow-up values.
    events : int, optional
        Reported total number of events (over the whole follow-up).
    median_follow_up : float, optional
        Reported median follow-up (same unit as ``times``).
    max_follow_up : float, optional
        Longest possible follow-up (e.g. the span of the database).
    complement : bool
        Milestones are cumulative incidences (survival = 100% - value).
    modes : subset of {"half_up", "half_even", "half_down", "truncate", "ceiling"}
        Rounding modes of the report.
    at_risk_max_n : int
        Largest n for which, when no path is found, :func:`km_feasible` is asked for the
        numbers at risk the milestones allow (a proof when they cannot reach half of n
        before the median follow-up).

    Returns
    -------
    KmJointFeasibility
    """
    n = positive_int(n, "n")
    allowed = check_modes(modes)
    texts, targets = _targets(list(milestones), None, allowed, complement, True)
    if isinstance(times, str) or not isinstance(times, Sequence):
        raise TypeError("times must be a sequence of numbers, one per milestone")
    if len(times) != len(texts):
        raise ValueError(f"times must have one entry per milestone ({len(texts)}), got "
                         f"{len(times)}")
    t = [_time(x, f"times[{i}]") for i, x in enumerate(times)]
    if any(b <= a for a, b in zip(t, t[1:], strict=False)):
        raise ValueError(f"times must increase, got {list(times)}")
    if events is not None:
        if isinstance(events, bool) or not isinstance(events, Integral) or events < 0:
            raise TypeError(f"events must be a non-negative int, got {events!r}")
        events = int(events)
        if events > n:
            raise ValueError(f"events ({events}) cannot exceed n ({n})")
    median = _time(median_follow_up, "median_follow_up")
    longest = _time(max_follow_up, "max_follow_up")
    base = dict(n=n, milestones=texts, times=tuple(t), complement=complement, events=events,
                median_follow_up=median, max_follow_up=longest)
    if longest is not None and (t[-1] > longest or (median is not None and median > longest)):
        late = t[-1] if t[-1] > longest else median
        return KmJointFeasibility(
            **base, feasible=False, min_events=None, max_events=None, events_lower_bound=None,
            no_censoring_events=None, witness=None, events_after=None,
            reason=f"A time of {late:g} lies beyond the longest possible follow-up of "
                   f"{longest:g}.")
    lower_bound = _events_lower_bound(n, targets, t, median)
    no_censoring = _no_censoring_events(n, targets)
    paths = _search(n, targets, t, median)
    common = dict(events_lower_bound=lower_bound, no_censoring_events=no_censoring)
    if events is not None and lower_bound is not None and events < lower_bound:
        found = [p[0] for p in paths]
        return KmJointFeasibility(
            **base, feasible=False, min_events=min(found, default=None),
            max_events=max(found, default=None), **common, witness=None, events_after=None,
            reason=f"At least {lower_bound} events are needed by {_last_before(t, median):g} "
                   f"while more than half of the {n} subjects remain under observation until "
                   f"the median follow-up; {events} were reported.")
    if median is not None and not paths and n <= at_risk_max_n:
        proof = _at_risk_proof(n, texts, t, median, complement, allowed)
        if proof:
            return KmJointFeasibility(
                **base, feasible=False, min_events=None, max_events=None, **common,
                witness=None, events_after=None, reason=proof)
    if not paths:
        return KmJointFeasibility(
            **base, feasible=None, min_events=None, max_events=None, **common, witness=None,
            events_after=None,
            reason="No path of the simple form (censoring at the checkpoints only) prints "
                   "the milestones with this median follow-up; other paths were not searched.")
    min_events = min(p[0] for p in paths)
    max_events = max(p[0] for p in paths)
    if events is None:
        best = min(paths, key=lambda p: p[0])
        return KmJointFeasibility(
            **base, feasible=True, min_events=min_events, max_events=max_events, **common,
            witness=best[2], events_after=0,
            reason="A path prints the milestones with this follow-up.")
    for by_last, at_risk_last, segments in sorted(paths, key=lambda p: p[0]):
        after = events - by_last
        if 0 <= after <= at_risk_last:
            return KmJointFeasibility(
                **base, feasible=True, min_events=min_events, max_events=max_events, **common,
                witness=segments, events_after=after,
                reason=f"A path prints the milestones with {by_last} events by the last "
                       f"milestone and {after} after it ({events} in all).")
    return KmJointFeasibility(
        **base, feasible=None, min_events=min_events, max_events=max_events, **common,
        witness=None, events_after=None,
        reason=f"The paths found have {min_events}-{max_events} events by the last milestone; "
               f"none totals {events}, and the search does not cover every path.")


def _at_risk_proof(n, texts, times, median, complement, allowed) -> str | None:
    """A sentence proving impossibility from the numbers at risk, or None."""
    before = [i for i, x in enumerate(times) if x <= median]
    if not before:
        return None
    k = before[-1]
    result = km_feasible(n, list(texts), complement=complement, modes=allowed,
                         at_risk_ranges=True)
    if result.feasible is False:
        return "No Kaplan-Meier path prints the milestones at all."
    if not result.feasible or result.at_risk_bounds is None:
        return None
    most = result.at_risk_bounds[k][1]
    need = _half(n)
    if most < need:
        return (f"The milestones allow at most {most} of the {n} subjects at risk just after "
                f"time {times[k]:g}, but a median follow-up of {median:g} needs at least {need} "
                f"still under observation then.")
    return None


def _half(n: int) -> int:
    """Fewest of n follow-up times that must be >= m (and <= m) for their median to be m."""
    return n // 2 + 1


def _last_before(times: list[float], median: float | None) -> float:
    if median is None:
        return times[-1]
    before = [x for x in times if x <= median]
    return before[-1] if before else times[0]


def _events_lower_bound(n, targets, times, median) -> int | None:
    if median is None:
        return None
    before = [i for i, x in enumerate(times) if x <= median]
    if not before:
        return None
    hi = float(targets[before[-1]].interval.hi)  # survival at the last milestone before m
    if hi >= 1.0:
        return 0
    floor_r = _half(n)
    per_event = -math.log1p(-1.0 / floor_r) if floor_r > 1 else math.inf
    # a float margin keeps the bound a true lower bound
    return max(0, math.ceil(-math.log(hi) / per_event * (1 - 1e-9)))


def _no_censoring_events(n, targets) -> int | None:
    last = targets[-1].interval
    ks = [d for d in range(n + 1) if last.contains(Fraction(n - d, n))]
    for d in ks:
        s_ok = all(
            any(t.interval.contains(Fraction(n - e, n)) for e in range(d + 1)) for t in targets
        )
        if s_ok:
            return d
    return None


def _search(n, targets, times, median):
    """Paths of the simple form: list of (events by last milestone, at risk after, segments).

    The interval (t_{j-1}, t_j] that holds the median follow-up m has its events either all
    before m (at least n // 2 + 1 remain at risk at m) or all after m (at least n // 2 + 1 at
    risk at m, then censored at m down to at most n - n // 2 - 1); censorings at m are
    follow-up times of exactly m, which count on both sides of the median.
    """
    half_up = _half(n)
    stay = n - half_up  # most that may remain under observation after m
    split = None  # index of the milestone whose interval holds m (len(times): after the last)
    if median is not None:
        split = next((j for j, x in enumerate(times) if median <= x), len(times))
    results = []
    for objective in ("min", "max"):
        better = (lambda a, b: a < b) if objective == "min" else (lambda a, b: a > b)
        # state: at_risk -> (events, survival float, exact (num, den), segments)
        states = {n: (0, 1.0, (1, 1), ())}
        for j, time in enumerate(times):
            target = targets[j]
            lo, hi = float(target.interval.lo), float(target.interval.hi)
            new: dict[int, tuple] = {}
            for a, (ev, s, exact, segs) in states.items():
                kinds = ["plain"] if split != j else ["after_m", "before_m"]
                for kind in kinds:
                    if kind == "after_m":
                        if a < half_up:
                            continue
                        top = min(a, stay)
                    else:
                        top = a
                    if top < 1:
                        continue
                    r = np.arange(1, top + 1)
                    # d events among r: survival s (r - d) / r must lie in [lo, hi]
                    d_lo = np.ceil(r * (1.0 - hi / s) - 1e-9).clip(min=0)
                    d_hi = np.floor(r * (1.0 - lo / s) + 1e-9).clip(max=r)
                    ok = d_lo <= d_hi
                    if kind == "before_m":
                        ok &= (r - d_lo) >= half_up
                    if not ok.any():
                        continue
                    rs, dls, dhs = r[ok].tolist(), d_lo[ok].astype(int), d_hi[ok].astype(int)
                    ds = (dls if objective == "min" else dhs).tolist()
                    for rr, dd in zip(rs, ds, strict=True):
                        if kind == "before_m" and rr - dd < half_up:
                            dd = rr - half_up  # the most events that keep half under observation
                            if dd < 0:
                                continue
                        left = rr - dd
                        key = min(left, stay) if kind == "before_m" else left
                        total = ev + dd
                        old = new.get(key)
                        if old is not None and not better(total, old[0]):
                            continue
                        num, den = exact
                        num2, den2 = num * (rr - dd), den * rr
                        if not target.contains(num2, den2):
                            continue  # the float pre-selection erred at an interval end
                        if kind == "after_m":
                            seg = (JointSegment(float(median), 0, a, 0),
                                   JointSegment(time, a - rr, rr, dd))
                        elif kind == "before_m":
                            seg = (JointSegment(float(median), a - rr, rr, dd),
                                   JointSegment(time, left - key, key, 0))
                        else:
                            seg = (JointSegment(time, a - rr, rr, dd),)
                        new[key] = (total, s * (rr - dd) / rr, (num2, den2), segs + seg)
            states = new
            if not states:
                break
        for a, (ev, _s, _exact, segs) in states.items():
            if split == len(times):
                if a < half_up:
                    continue  # half must still be under observation at m, after the milestones
                segs = segs + (JointSegment(float(median), 0, a, 0),)
                a_after = stay  # events after m happen among those kept past m
                results.append((ev, min(a, a_after), segs))
            else:
                results.append((ev, a, segs))
    seen: dict[tuple[int, int], tuple] = {}
    for ev, a, segs in results:
        seen.setdefault((ev, a), segs)
    return [(ev, a, segs) for (ev, a), segs in sorted(seen.items())]
