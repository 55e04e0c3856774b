"""Individual data from a digitised Kaplan-Meier curve (Guyot et al. 2012).

Guyot P, Ades AE, Ouwens MJNM, Welton NJ. Enhanced secondary analysis of survival data:
reconstructing the data from published Kaplan-Meier survival curves. BMC Med Res Methodol
2012;12:9.

Differences from the published R code, for robustness and accuracy: the digitised points are
cleaned first (clamped, ordered along the staircase, made monotone, the two clicked corners of
a step given one time, the two clicks on one flat level given one survival); a point is added
at every risk time, so that censorings between a risk time and the next click have a place;
censorings are placed evenly (Guyot's assumption) unless where the step heights say the
risk set shrank (1 - d/r) fits the clicks better by more than click noise explains (Akaike's
penalty, the noise estimated from the clicks); when the drops read from noisy clicks add up
to more events than the risk table leaves room for, the events of that interval are refit to
all its clicks by least squares (the published numbers at risk are exact, the clicks are
not); when the clicks stop before the risk table's last patients, those are censored at the
earlier intervals' censoring rate past the last risk time; a risk table may run past the
last click; every
adjustment loop is bounded and stops on a repeated state (the published loop can cycle
forever); counts are clipped so that no number is ever negative; when a published number at
risk cannot be met, the reconstruction carries on with its own consistent count and the
diagnostics say by how much it missed. Round trips on R's survival data sets, beside a plain
port of the published code: ``benchmarks/bench_guyot.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from thyroid_evidence.exceptions import ArgumentValueError
from thyroid_evidence.survival.ensemble import EnsembleResult
from thyroid_evidence.survival.km import km_factors, product_limit, survival_on, tie_order
from thyroid_evidence.survival.summary import PseudoIPD
from thyroid_evidence.validation import check_alpha, is_real, positive_int

#: Upper bound on the censoring adjustments per risk interval.
MAX_ITERATIONS = 100
#: Digitised survival this far outside [0, 1] is treated as noise and clipped; beyond, an error.
CLIP_TOLERANCE = 0.05
#: How far from a whole number the risk set implied by a clicked step may be (1 - d/r read
#: from noisy corners) for the step-height reading of censorings.
NOISY_STEP_TOLERANCE = 0.15
#: Akaike's penalty for one parameter: reading where censorings go from the step heights
#: (instead of Guyot's even spread) must lower the squared misfit to the clicks by more than
#: this many click variances (the variance estimated from the two clicks of each flat level,
#: each cleaned point counted as one click), so that click noise alone does not move
#: censorings; with exact corners the variance is 0 and the step heights always decide.
STEP_READING_PENALTY = 2.0
#: A click this far left of the origin, as a fraction of the time axis (the largest time), is
#: a click just beside the axis and is clamped to 0 with a note; further left, an error.
TIME_CLIP_TOLERANCE = 0.03


# eq=False: pandas compares .attrs with ==, which a dataclass holding DataFrames cannot answer
@dataclass(frozen=True, eq=False)
class KMReconstructionDiagnostics:
    """How well the rebuilt data reproduce the input curve and risk table.

    Attributes
    ----------
    max_abs_diff, mean_abs_diff : float
        Max and mean |S_input(t) - S_rebuilt(t)| over the cleaned digitised points.
    numbers_at_risk : DataFrame
        ``time, published, reconstructed`` (empty without a risk table).
    total_events_reported : int or None
    total_events_reconstructed : int
    n_points_input, n_points_used : int
        Digitised points given, and kept after cleaning.
    iterations : int
        Censoring adjustments made over all intervals (bounded by MAX_ITERATIONS each).
    warnings : tuple of str
        Plain-language notes (points clipped, risk numbers not met, ...).
    curve : DataFrame
        The cleaned input curve, ``time, survival``.
    """

    max_abs_diff: float
    mean_abs_diff: float
    numbers_at_risk: pd.DataFrame
    total_events_reported: int | None
    total_events_reconstructed: int
    n_points_input: int
    n_points_used: int
    iterations: int
    warnings: tuple[str, ...]
    curve: pd.DataFrame


def _numbers(values: object, name: str) -> np.ndarray:
    """``values`` as a flat float array; TypeError naming ``name`` when they are not numbers
    (text such as ``"5"`` and booleans included: numpy would convert them silently)."""
    if values is None or isinstance(values, str | bytes) or np.ndim(values) == 0:
        raise TypeError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    raw = np.asarray(values, dtype=object).ravel()
    bad = [v for v in raw if not is_real(v)]
    if bad:
        raise TypeError(f"{name} must hold numbers only; found {bad[0]!r}")
    return np.asarray(values, dtype=float).ravel()


def clean_curve(times: np.ndarray, survival: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """Sort, clip and make monotone digitised points; merge points at equal times.

    Returns the cleaned times and survival (starting at (0, 1)) and a list of notes (see
    :func:`_clean` for the errors raised).
    """
    t, s, notes, _ = _clean(times, survival)
    return t, s, notes


def _clean(times: np.ndarray, survival: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, list, float]:
    """Sort, clip and make monotone digitised points; merge points at equal times.

    Returns the cleaned times and survival (starting at (0, 1)), a list of notes and the
    click noise in survival (standard deviation) estimated from the pairs of clicks on one
    flat level (0 for exact corners; see :func:`_pair_corners`).

    Raises
    ------
    TypeError
        If ``times`` or ``survival`` is not a sequence of numbers (the message names which).
    ValueError
        For mismatched lengths, non-finite values, survival outside [0, 1] by more than the
        clipping tolerance (e.g. percentages) or times clearly below zero.
    """
    t = _numbers(times, "times")
    s = _numbers(survival, "survival")
    notes: list[str] = []
    if t.size != s.size:
        raise ValueError(f"times and survival must have the same length; got {t.size} and {s.size}")
    if t.size < 2:
        raise ValueError(f"at least 2 digitised points are needed; got {t.size}")
    for name, arr in (("times", t), ("survival", s)):
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(f"{name} must be finite; found {arr[bad][0]!r} at position "
                             f"{int(np.flatnonzero(bad)[0])}")
    if s.max() > 1 + CLIP_TOLERANCE or s.min() < -CLIP_TOLERANCE:
        worst = s.max() if s.max() > 1 + CLIP_TOLERANCE else s.min()
        raise ValueError(
            f"survival must be proportions in [0, 1]; found {worst!r}, which clipping cannot "
            "explain (percentages? divide by 100)"
        )
    span = float(max(t.max(), 0.0)) or 1.0
    if t.min() < -TIME_CLIP_TOLERANCE * span:
        raise ValueError(
            f"times must be >= 0 (a click up to {TIME_CLIP_TOLERANCE:.0%} of the axis left of "
            f"the origin is clamped to 0); found {t.min()!r} at position {int(t.argmin())}")
    n_clipped = int(((s < 0) | (s > 1)).sum() + (t < 0).sum())
    if n_clipped:
        notes.append(f"{n_clipped} digitised value(s) slightly outside range were clipped")
    s = np.clip(s, 0.0, 1.0)
    t = np.clip(t, 0.0, None)
    # Order the points along the staircase: u = t / span + (1 - S) grows on both the flat and
    # the vertical parts of a KM curve, so two clicked corners of one step stay in order even
    # when noise in t swaps their times (sorting by t alone would split the step in two).
    span_t = float(t.max()) or 1.0
    order = np.lexsort((t, t / span_t + (1.0 - s)))
    t, s = t[order], s[order]
    # Survival made non-increasing by a least-squares monotone fit (pool adjacent violators),
    # which unlike a running minimum does not drag a noisy curve down. Time made
    # non-decreasing by rearrangement: the clicked times, sorted, given to the points in their
    # staircase order. Rearranging never moves an estimate of a monotone function further
    # from it in any Lp norm (Chernozhukov, Fernandez-Val, Galichon 2009, Biometrika 96:559)
    # and, unlike pooling, keeps neighbouring steps at distinct times (pooling gives a run of
    # swapped clicks one time, lumping their events); R round trips, noisy clicks, when it
    # was introduced: worst mean |dS| 0.0064 -> 0.0063, all but two arms better
    # (benchmarks/bench_guyot.py).
    t_mono = np.sort(t)
    s_mono = isotonic_regression(s, increasing=False).x
    n_pooled = int(((np.abs(s_mono - s) > 1e-12) | (np.abs(t_mono - t) > 1e-12)).sum())
    if n_pooled:
        notes.append(f"{n_pooled} point(s) out of order were reordered or pooled with their "
                     "neighbours (time rearranged, survival by isotonic regression)")
    s_raw = s
    t, s = t_mono, s_mono
    t, s, noise_sd = _pair_corners(t, s, s_raw)
    # KM starts at (0, 1)
    keep_pos = t > 0
    t = np.concatenate(([0.0], t[keep_pos]))
    s = np.concatenate(([1.0], s[keep_pos]))
    # merge equal times: keep the lowest survival (the lower corner of a step)
    last_of_run = np.append(t[1:] != t[:-1], True)
    merged = int((~last_of_run).sum())
    t, s = t[last_of_run], s[last_of_run]
    if t[0] != 0.0:  # the t = 0 point was merged into a later one at t = 0; restore the start
        t, s = np.concatenate(([0.0], t)), np.concatenate(([1.0], s))
    s[0] = 1.0
    if merged:
        notes.append(f"{merged} point(s) sharing a time with another were merged")
    if t.size < 2:
        raise ValueError("after cleaning, fewer than 2 distinct time points remain")
    return t, s, notes, noise_sd


def _pair_corners(t: np.ndarray, s: np.ndarray, s_raw: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, float]:
    """Give the two clicked corners of one step their mean time.

    Along a Kaplan-Meier staircase a move between neighbouring clicks is either flat (time
    grows, survival stays) or vertical (survival drops, time stays). A move that drops more
    in survival than it advances in time (as a fraction of the axis) is read as vertical: its
    two clicks are the corners of one step, clicked at two noisy times for one event time,
    so both get their mean (halving the variance of the event time). Pairs do not overlap;
    they are the set with the largest total margin (squared drop minus squared time advance),
    found by a dynamic programme (a left-to-right pass can take a pair that blocks a better
    one beside it; for exact corners both give every step).
    When one step's lower corner is followed directly by the next step's upper corner, the
    two are clicks on one flat level: both get their mean survival too (halving the variance
    of that level; the monotone order is kept). Exact corners are unchanged.

    Returns the times, the survival and the click noise in survival: the standard deviation
    of one click, sqrt(mean(diff^2) / 2) over the differences between the two clicks of each
    flat level (0 when no level was clicked twice).
    """
    span = float(t.max() - t.min()) or 1.0
    out = t.copy()
    level = s.copy()
    raw = s if s_raw is None else s_raw
    # score of reading the move k-1 -> k as vertical rather than flat (> 0: vertical)
    score = np.zeros(t.size)
    score[1:] = np.diff(s) ** 2 - (np.diff(t) / span) ** 2
    # the non-overlapping pairs with the largest total score (the greedy left-to-right pass
    # can take a pair that blocks a better one next to it)
    best = np.zeros(t.size + 1)
    for k in range(1, t.size):
        best[k + 1] = max(best[k], best[k - 1] + score[k]) if score[k] > 0 else best[k]
    pairs = []
    k = t.size - 1
    while k >= 1:
        if score[k] > 0 and best[k + 1] == best[k - 1] + score[k] and best[k + 1] > best[k]:
            pairs.append(k)
            k -= 2
        else:
            k -= 1
    diffs: list[float] = []
    last_lower = -2  # index of the lower corner of the previous pair
    for k in reversed(pairs):
        out[k - 1] = out[k] = 0.5 * (t[k - 1] + t[k])
        if last_lower == k - 2:
            # the lower corner of the previous step and the upper corner of this one are
            # two clicks on one flat level: both get their mean
            level[k - 2] = level[k - 1] = 0.5 * (s[k - 2] + s[k - 1])
            diffs.append(raw[k - 2] - raw[k - 1])
        last_lower = k
    noise_sd = float(np.sqrt(np.mean(np.square(diffs)) / 2)) if diffs else 0.0
    return out, level, noise_sd


def _check_risk_table(
    risk_times: object, n_risk: object, n_total: int | None, t_max: float
) -> tuple[np.ndarray, np.ndarray]:
    if (risk_times is None) != (n_risk is None):
        raise ArgumentValueError(
            "risk_times and n_risk must be given together (or both omitted)", "risk_times")
    if risk_times is None:
        if n_total is None:
            raise ArgumentValueError("give either a risk table (risk_times, n_risk) or n_total",
                                     "risk_times")
        return np.array([0.0]), np.array([int(n_total)])
    rt = _numbers(risk_times, "risk_times")
    nr_raw = _numbers(n_risk, "n_risk")
    if rt.size != nr_raw.size or rt.size == 0:
        raise ArgumentValueError(
            f"risk_times and n_risk must have the same non-zero length; got {rt.size} and "
            f"{nr_raw.size}", "risk_times"
        )
    if not np.all(np.isfinite(rt)) or not np.all(np.isfinite(nr_raw)):
        raise ArgumentValueError("risk_times and n_risk must be finite", "risk_times")
    if np.any(nr_raw != np.round(nr_raw)) or np.any(nr_raw < 0):
        bad = nr_raw[(nr_raw != np.round(nr_raw)) | (nr_raw < 0)][0]
        raise ArgumentValueError(f"n_risk must hold whole numbers >= 0; found {bad!r}", "n_risk")
    nr = nr_raw.astype(int)
    if np.any(np.diff(rt) <= 0):
        i = int(np.flatnonzero(np.diff(rt) <= 0)[0])
        raise ArgumentValueError(
            f"risk_times must increase strictly; {rt[i + 1]!r} follows {rt[i]!r}", "risk_times")
    if np.any(np.diff(nr) > 0):
        i = int(np.flatnonzero(np.diff(nr) > 0)[0])
        raise ArgumentValueError(
            f"n_risk must not increase; {nr[i + 1]} at risk_times={rt[i + 1]!r} exceeds "
            f"{nr[i]} at {rt[i]!r}", "n_risk"
        )
    if rt[0] < 0:
        raise ArgumentValueError(f"risk_times must be >= 0; found {rt[0]!r}", "risk_times")
    if rt[0] > 0:
        if n_total is None:
            raise ArgumentValueError(
                f"risk_times starts at {rt[0]!r}; give the number at risk at time 0 or n_total",
                "risk_times",
            )
        rt, nr = np.concatenate(([0.0], rt)), np.concatenate(([int(n_total)], nr))
    if n_total is not None and nr[0] != n_total:
        raise ArgumentValueError(
            f"n_total={n_total} disagrees with n_risk at time 0 ({nr[0]})", "n_total")
    if nr[0] <= 0:
        raise ArgumentValueError(f"the number at risk at time 0 must be > 0; got {nr[0]}",
                                 "n_risk")
    return rt, nr


def _censor_counts(t: np.ndarray, k0: int, k1: int, t_start: float, t_end: float,
                   ncensor: int) -> np.ndarray:
    """Spread ``ncensor`` censorings evenly over (t_start, t_end); count them per point gap."""
    counts = np.zeros(k1 - k0 + 1, dtype=int)
    if ncensor <= 0:
        return counts
    cen_t = t_start + np.arange(1, ncensor + 1) * (t_end - t_start) / (ncensor + 1)
    idx = np.searchsorted(t[k0:k1 + 1], cen_t, side="right") - 1
    np.add.at(counts, np.clip(idx, 0, k1 - k0), 1)
    return counts


def _run_interval(s: list, k0: int, k1: int, n_start: int, cens: np.ndarray,
                  last_s: float) -> tuple[list, float, int, float]:
    """Events over points k0..k1 given censorings per gap (``cens`` is clipped in place).

    Returns the events per point, the squared distance between rebuilt and digitised curve,
    the number left at risk and the rebuilt survival at the end.
    """
    n_hat = n_start
    events = []
    sse = 0.0
    for j, k in enumerate(range(k0, k1 + 1)):
        d = round(n_hat * (1.0 - s[k] / last_s)) if last_s > 0 else 0
        d = min(max(d, 0), n_hat)
        c = min(int(cens[j]), n_hat - d)
        cens[j] = c
        events.append(d)
        if d > 0:
            # reference = the rebuilt KM (not the digitised value at the last event, as in the
            # published code): rounding errors then correct themselves at the next step
            last_s = last_s * km_factors(n_hat, d)
        n_hat -= d + c
        sse += (last_s - s[k]) ** 2
    return events, sse, n_hat, last_s


def _levels(events: list, cens: np.ndarray, n_start: int, last_s: float) -> np.ndarray:
    """The rebuilt Kaplan-Meier survival after each point, from the events and censorings
    per point, ``n_start`` at risk and survival ``last_s`` before the first.

    The kernel's :func:`~thyroid_evidence.survival.km.product_limit` over the points; a point
    with none left at risk (and so no event) gets the factor 1 - 0/1 = 1.
    """
    d = np.asarray(events, dtype=float)
    at_risk = n_start - np.concatenate(([0.0], np.cumsum(d + cens)[:-1]))
    left = at_risk > 0
    return last_s * product_limit(np.where(left, at_risk, 1.0), np.where(left, d, 0.0))


def _fit_events(s: list, k0: int, k1: int, n_start: int, cens: np.ndarray, last_s: float,
                n_events: int, max_tie: int) -> tuple[list, float, int, float]:
    """Events over points k0..k1 that total ``n_events`` and fit the clicks best.

    The published numbers at risk are exact and the clicks are not: when the drops read one
    by one from noisy clicks add up to more events than the risk table leaves room for, the
    events are instead the least-squares fit of the rebuilt Kaplan-Meier curve to all the
    clicks of the interval, with exactly ``n_events`` events and the censorings ``cens``
    (a dynamic programme over the events so far; per state the best path's survival is
    kept). ``max_tie`` bounds the events at one point. Returns what :func:`_run_interval`
    returns.
    """
    m = k1 - k0 + 1
    size = n_events + 1
    e = np.arange(size)
    d = np.arange(min(max_tie, n_events) + 1)[:, None]  # events at this point (rows)
    prev = e[None, :] - d  # events before this point, per (d, events after)
    valid = prev >= 0
    prev_c = np.clip(prev, 0, None)
    cost = np.full(size, np.inf)
    cost[0] = 0.0
    surv = np.full(size, float(last_s))
    choice = np.zeros((m, size), dtype=int)
    c_before = 0
    for j in range(m):
        n_prev = (n_start - c_before) - prev_c  # at risk before the events at point j
        ok = valid & (n_prev - d - int(cens[j]) >= 0) & ((d == 0) | (n_prev > 0))
        s_new = surv[prev_c] * km_factors(np.where(n_prev > 0, n_prev, 1), d)
        c = np.where(ok, cost[prev_c] + (s_new - s[k0 + j]) ** 2, np.inf)
        best = np.argmin(c, axis=0)
        cost = c[best, e]
        surv = s_new[best, e]
        choice[j] = best
        c_before += int(cens[j])
    events = [0] * m
    k = n_events
    for j in range(m - 1, -1, -1):
        events[j] = int(choice[j, k])
        k -= events[j]
    return events, float(cost[n_events]), n_start - n_events - int(cens.sum()), float(
        surv[n_events])


def _step_informed_counts(s: list, k0: int, k1: int, n_start: int, last_s: float,
                          budget: int, few_events: bool = False,
                          target: int | None = None, tolerance: float = 1e-6) -> np.ndarray:
    """Place censorings where the step heights say the risk set shrank.

    A drop of d events from a risk set of r changes the curve by the factor 1 - d/r, so exact
    corners reveal r at every step; the censorings between two steps are the difference.
    A factor such as 2/3 is ambiguous (1 of 3 or 3 of 9): by default the reading with the
    most patients at risk is taken, with ``few_events`` the one with the fewest events.
    Whatever the budget leaves is added to the last gap; with ``target`` (the published
    number at risk at the end of the interval) the budget is whatever keeps that many at
    risk, and the censorings still needed to reach it go in the last gap. Noisy steps make
    this guess poor: the caller keeps it only when it fits better than even spreading.
    ``tolerance`` is how far from a whole number an implied risk set may be (exact corners:
    1e-6; :data:`NOISY_STEP_TOLERANCE` for clicked ones).
    """
    if target is not None:
        budget = max(n_start - target, 0)
    cens = np.zeros(k1 - k0 + 1, dtype=int)
    n, ref = n_start, last_s
    for j, k in enumerate(range(k0, k1 + 1)):
        drop = 1.0 - s[k] / ref if ref > 0 else 0.0
        if drop > 1e-9 and n > 0:
            d = max(1, round(n * drop))
            if j > 0:
                tries = range(1, d + 1) if few_events else range(d, 0, -1)
                for d_try in tries:
                    implied = d_try / drop
                    if (abs(implied - round(implied)) < tolerance and round(implied) <= n
                            and n - round(implied) <= budget):
                        d = d_try
                        break
            implied = d / drop
            m = int(min(max(round(n - implied), 0), budget, n - d))
            if m and j > 0:
                cens[j - 1] += m
                n -= m
                budget -= m
            d = min(max(round(n * drop), 0), n)
            if d:
                ref *= km_factors(n, d)
                n -= d
    if target is not None:
        cens[-1] += max(min(n - target, budget), 0)
    elif budget > 0:
        cens[-1] += budget
    return cens


def reconstruct_km(
    times: np.ndarray | list[float],
    survival: np.ndarray | list[float],
    *,
    risk_times: np.ndarray | list[float] | None = None,
    n_risk: np.ndarray | list[int] | None = None,
    n_total: int | None = None,
    total_events: int | None = None,
    label: str = "",
) -> PseudoIPD:
    """Rebuild individual data from a digitised Kaplan-Meier curve (Guyot et al. 2012).

    Parameters
    ----------
    times, survival : array-like
        Digitised points: time (any unit; the output uses the same) and survival as a
        proportion. Noisy input is cleaned: sorted, clipped to [0, 1] (a value beyond 1.05 or
        below -0.05 is an error), made non-increasing, points at equal times merged.
    risk_times, n_risk : array-like, optional
        The published numbers-at-risk table. ``n_risk`` must not increase. Censoring per
        interval is adjusted until the published number at risk at the start of the next
        interval is met. The table may run past the last click, as printed under most
        figures: the curve is then carried on flat to the last time with patients at risk
        (a note says so).
    n_total : int, optional
        Patients at time 0; required without a risk table (no censoring is then assumed unless
        ``total_events`` says otherwise).
    total_events : int, optional
        Total events; used to set the censoring of the last interval.
    label : str, optional
        Shown as the title by the plotting helpers.

    Returns
    -------
    PseudoIPD
        The same result type as the reconstruction from summaries: ``data`` has columns
        ``time`` and ``event`` (1 event, 0 censored), one row per patient, sorted by time;
        ``assumptions`` in words; ``reported_vs_reproduced`` the published vs reconstructed
        numbers at risk (``quantity == "n_at_risk"``) and total events; ``diagnostics`` a
        :class:`KMReconstructionDiagnostics` (also in ``data.attrs["diagnostics"]``).

    Raises
    ------
    TypeError
        If an argument has the wrong type (``n_total="50"``, ``times=["a"]``, ...); the message
        names the argument.
    ValueError
        For impossible input (see :func:`clean_curve`), an increasing ``n_risk``, negative
        risk times, ``n_total <= 0`` or ``total_events`` outside [0, n].

    Notes
    -----
    Click where the curve stops (the last follow-up) as well as the corners of its steps:
    without that click the patients left after the last event are censored at the last click,
    or, when the risk table still has patients at risk after it, one by one at the earlier
    intervals' censoring rate past the last risk time (a guess: a hazard ratio against another
    arm whose events go on later needs them at risk; R round trips, arms of >= 100 patients:
    worst |log HR gap| 0.022 with the corners only, 0.019 with the end clicked;
    ``benchmarks/bench_guyot.py``).

    Every adjustment loop is bounded by :data:`MAX_ITERATIONS` and stops when it revisits a
    censoring count; counts are never negative. Round trips on lifelines data sets and on R's
    survival data sets are in ``tests/test_survival_guyot.py``.
    """
    if not isinstance(label, str):
        raise TypeError(f"label must be a str; got {type(label).__name__}")
    if n_total is not None:
        n_total = positive_int(n_total, "n_total")
    t, s, notes, noise_sd = _clean(times, survival)
    n_input = int(np.asarray(times).size)
    rt, nr = _check_risk_table(risk_times, n_risk, n_total, float(t[-1]))
    published_rt, published_nr = rt, nr
    t_clicks, s_clicks = t, s
    t, s, rt, nr = _past_last_click(t, s, rt, nr, notes)
    end_unknown = bool(t[-1] > t_clicks[-1])
    # a point at every risk time (the curve carried on flat from the click before): the
    # censorings between a risk time and the first click after it then have a gap to go in
    # (without it they could only be placed after that click's events)
    missing = rt[~np.isin(rt, t)]
    if missing.size:
        at = np.searchsorted(t, missing, side="right")
        t, s = np.insert(t, at, missing), np.insert(s, at, s[at - 1])
    n0 = int(nr[0])
    if total_events is not None:
        if not is_real(total_events):
            raise TypeError(f"total_events must be a whole number in [0, {n0}]; "
                            f"got {total_events!r}")
        if not float(total_events).is_integer() or not 0 <= total_events <= n0:
            raise ArgumentValueError(f"total_events must be a whole number in [0, {n0}]; "
                                     f"got {total_events!r}", "total_events")
        total_events = int(total_events)

    n_pts = t.size
    n_int = rt.size
    lower = np.searchsorted(t, rt, side="left")
    upper = np.append(lower[1:] - 1, n_pts - 1)
    # an interval with no digitised point borrows none: make it empty but consistent
    s_list = s.tolist()
    d_all = np.zeros(n_pts, dtype=int)
    c_all = np.zeros(n_pts, dtype=int)
    risk_rebuilt = np.zeros(n_int, dtype=int)
    iterations = 0
    last_s = 1.0
    n_here = n0
    sum_censor, sum_length = 0, 0.0
    # AIC: the step-height reading of censorings is one more parameter than the even spread
    step_penalty = STEP_READING_PENALTY * noise_sd ** 2
    for i in range(n_int):
        k0, k1 = int(lower[i]), int(upper[i])
        risk_rebuilt[i] = n_here
        if k0 > k1:  # no digitised point in this interval
            continue
        t_start = float(rt[i])
        is_last = i == n_int - 1
        t_end = float(rt[i + 1]) if not is_last else float(t[k1])
        if not is_last:
            target = int(nr[i + 1])
            ratio = s[lower[i + 1]] / last_s if last_s > 0 else 0.0
            guess = round(n_here * ratio - target) if lower[i + 1] < n_pts else 0
            ncensor = min(max(int(guess), 0), n_here)
        elif total_events is not None:
            ncensor = 0
        elif sum_length > 0:
            ncensor = min(round(sum_censor / sum_length * (t_end - t_start)), n_here)
        else:
            ncensor = 0
        seen: dict[int, tuple] = {}
        last_s_start = last_s
        best_key = None
        for _ in range(MAX_ITERATIONS):
            iterations += 1
            candidates = [_censor_counts(t, k0, k1, t_start, t_end, ncensor)]
            n_even = 1  # candidates that spread censorings evenly (Guyot's assumption)
            if not is_last:
                if ncensor > 0:
                    candidates.append(
                        _step_informed_counts(s_list, k0, k1, n_here, last_s, ncensor))
                # the risk set read from the step heights, whatever censoring that takes
                for tol in (1e-6, NOISY_STEP_TOLERANCE):
                    candidates.append(_step_informed_counts(s_list, k0, k1, n_here, last_s, 0,
                                                            target=target, tolerance=tol))
            elif is_last:
                # the tail has no risk number to meet: let the step heights place censorings
                # (what they leave stays at risk to the end of the curve)
                for few in (False, True):
                    tail_guess = _step_informed_counts(s_list, k0, k1, n_here, last_s, n_here,
                                                       few_events=few)
                    tail_guess[-1] = 0
                    candidates.append(tail_guess)
                ends_with_drop = k1 > k0 and s[k1] < s[k1 - 1]
                n_even = len(candidates)
                if ncensor > 0 and ends_with_drop:
                    # the curve ends with a drop: whoever is left then has the event, so
                    # censorings belong before the last level starts
                    higher = np.flatnonzero(s[k0:k1] > s[k1 - 1])
                    level_start = float(t[k0 + higher[-1] + 1]) if higher.size else t_start
                    if level_start > t_start:
                        candidates.append(
                            _censor_counts(t, k0, k1, t_start, level_start, ncensor))
            best_here = None
            for j, cens in enumerate(candidates):
                events, sse, n_end, new_last = _run_interval(s_list, k0, k1, n_here, cens,
                                                             last_s)
                if not is_last:
                    miss = n_end - target
                elif total_events is not None:
                    # too many events -> more censoring
                    miss = int(d_all[:k0].sum()) + sum(events) - total_events
                else:
                    miss = 0
                if j >= 1 and not (is_last and j >= n_even):
                    sse += step_penalty
                key = (abs(miss), sse)
                if best_here is None or key < best_here[0]:
                    best_here = (key, miss, events, cens.copy(), n_end, new_last)
            (_, sse), miss, events, cens, n_end, new_last = best_here
            seen[ncensor] = (abs(miss), sse, events, cens, n_end, new_last)
            if best_key is None or seen[ncensor][:2] < seen[best_key][:2]:
                best_key = ncensor
            if miss == 0:
                break
            nxt = min(max(ncensor + miss, 0), n_here)
            if nxt in seen:
                break
            ncensor = nxt
        _, _, events, cens, n_end, last_s = seen[best_key]
        if not is_last and n_end < target <= n_here:
            # the clicks' drops add up to more events than the risk table leaves room for:
            # refit the events to all clicks of the interval with exactly that many, kept
            # when it fits the clicks within click noise (3 standard deviations) or no worse
            # than the drops read one by one; otherwise the table cannot be met (a note)
            room = n_here - target
            fit_cens = cens if int(cens.sum()) <= room else np.zeros_like(cens)
            fit = _fit_events(s_list, k0, k1, n_here, fit_cens, last_s_start,
                              room - int(fit_cens.sum()), max(events) + 1)
            clicks = s[k0:k1 + 1]
            misfit_fit = np.abs(_levels(fit[0], fit_cens, n_here, last_s_start) - clicks).max()
            misfit_now = np.abs(_levels(events, cens, n_here, last_s_start) - clicks).max()
            if misfit_fit <= max(misfit_now, 3.0 * noise_sd):
                events, _, n_end, last_s = fit
                cens = fit_cens
        d_all[k0:k1 + 1] = events
        c_all[k0:k1 + 1] = cens
        n_here = n_end
        sum_censor += int(cens.sum())
        sum_length += t_end - t_start
        if not is_last and n_end != nr[i + 1]:
            notes.append(
                f"number at risk at {rt[i + 1]:g}: published {int(nr[i + 1])}, reconstructed "
                f"{n_end} (no censoring pattern met it within {MAX_ITERATIONS} adjustments)"
            )
    tail = None
    if end_unknown and sum_length > 0 and sum_censor > 0:
        # The clicks stop before a time the risk table still has patients at risk: the
        # curve's end was not clicked, and those left were followed past the last risk time
        # for a time the figure does not show. Guyot's rule for the last interval (censoring
        # goes on at the average rate of the earlier intervals) censors them one by one from
        # there, before any later published time with none at risk. Without this, they are
        # all censored at the last risk time and miss the other arm's later events (R round
        # trips: pbc log HR gap 0.030 -> 0.003 with exact corners).
        rate = sum_censor / sum_length
        tail = float(t[-1]) + np.arange(1, n_here + 1) / rate
        empty = published_rt[(published_rt > t[-1]) & (published_nr == 0)]
        if empty.size and n_here and tail[-1] >= empty[0]:
            tail = float(t[-1]) + np.arange(1, n_here + 1) * (empty[0] - t[-1]) / (n_here + 1)
    data = _assemble(t, d_all, c_all, rt, n_here, tail)
    if total_events is not None and int(d_all.sum()) != total_events:
        notes.append(f"total events: reported {total_events}, reconstructed {int(d_all.sum())}")
    diag = _diagnostics(t_clicks, s_clicks, data, published_rt, published_nr, risk_rebuilt,
                        total_events, n_input, iterations, notes)
    data.attrs["diagnostics"] = diag
    return PseudoIPD(data=data, assumptions=_assumptions(risk_times is not None, total_events),
                     reported_vs_reproduced=_check_table(diag), kind="survival",
                     unit_of_analysis="patient", label=label, diagnostics=diag)


def _past_last_click(t: np.ndarray, s: np.ndarray, rt: np.ndarray, nr: np.ndarray,
                     notes: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A risk table that runs past the last click, as printed under most figures.

    A number at risk > 0 at a time after the last click says the curve goes on at least that
    far; without a click there, the curve is carried on flat (no event) to the last such time,
    with a note. Later times with 0 at risk say only that everyone had left; they are kept in
    the published-vs-reconstructed table but need no interval of their own.
    """
    t_last = float(t[-1])
    beyond = rt > t_last
    if not beyond.any():
        return t, s, rt, nr
    alive = beyond & (nr > 0)
    if alive.any():
        extra = rt[alive]
        t = np.concatenate((t, extra))
        s = np.concatenate((s, np.full(extra.size, s[-1])))
        notes.append(
            f"the risk table runs past the last click ({t_last:g}) with patients at risk at "
            f"{', '.join(f'{x:g}' for x in extra)}: the curve is carried on flat (no event) "
            "to there")
    keep = ~beyond | alive
    return t, s, rt[keep], nr[keep]


def _assumptions(with_risk_table: bool, total_events: int | None) -> tuple[str, ...]:
    out = [
        "events read from the drops of the digitised curve (Guyot et al. 2012 algorithm; "
        "every drop rounded to whole patients)",
        "censorings spread evenly within each risk-table interval, or placed where the step "
        "heights say the risk set shrank when that fits the clicks better than click noise "
        "explains; where the clicks drop by more events than the risk table allows, the "
        "events refit to the clicks within what it allows"
        if with_risk_table else
        "no risk table: no censoring before the last click (everyone left is censored there)",
    ]
    out.append("the censorings of the last interval set by the reported total events"
               if total_events is not None else
               "no total events given: the censoring of the last interval follows the rate of "
               "the earlier intervals and the step heights; patients still at risk after the "
               "last click and the last risk time are censored one by one at that rate past it")
    return tuple(out)


def _check_table(diag: KMReconstructionDiagnostics) -> pd.DataFrame:
    """Published vs reconstructed numbers at risk (and total events), in the columns of
    :attr:`PseudoIPD.reported_vs_reproduced` (exact targets: lower = upper = reported)."""
    nar = diag.numbers_at_risk
    rows = [("n_at_risk", float(x), float(p), float(p), float(p), float(r))
            for x, p, r in zip(nar["time"], nar["published"], nar["reconstructed"],
                               strict=True)]
    if diag.total_events_reported is not None:
        e = float(diag.total_events_reported)
        rows.append(("events", np.nan, e, e, e, float(diag.total_events_reconstructed)))
    table = pd.DataFrame(rows, columns=["quantity", "time_months", "reported", "lower",
                                        "upper", "reproduced"])
    table["within_rounding"] = table["reproduced"] == table["reported"]
    table["status"] = np.where(table["within_rounding"], "reproduced", "not reproduced")
    return table


def _assemble(t: np.ndarray, d_all: np.ndarray, c_all: np.ndarray, rt: np.ndarray,
              n_left: int, tail: np.ndarray | None = None) -> pd.DataFrame:
    """Turn counts per point into one row per patient.

    Censorings counted at point k are spread evenly over the open gap from t[k] to the next
    point or the next risk time, whichever comes first, so the rebuilt data have exactly the
    numbers at risk used during the reconstruction.
    """
    ev_times = np.repeat(t, d_all)
    next_risk = np.append(rt, np.inf)[np.searchsorted(rt, t, side="right")]
    hi = np.minimum(np.append(t[1:], t[-1]), next_risk)
    k = np.repeat(np.arange(t.size), c_all)
    # rank of each censoring within its gap: 1..c
    rank = np.arange(k.size) - np.repeat(np.cumsum(c_all) - c_all, c_all) + 1
    cen = t[k] + rank * (hi[k] - t[k]) / (c_all[k] + 1)
    if tail is None:
        tail = np.full(n_left, float(t[-1]))
    time = np.concatenate((ev_times, cen, tail))
    event = np.concatenate((np.ones(ev_times.size, int), np.zeros(cen.size + tail.size, int)))
    order = tie_order(time, event == 1)
    return pd.DataFrame({"time": time[order], "event": event[order]})


def _diagnostics(t: np.ndarray, s: np.ndarray, data: pd.DataFrame, rt: np.ndarray,
                 nr: np.ndarray, risk_rebuilt: np.ndarray, total_events: int | None,
                 n_input: int, iterations: int, notes: list) -> KMReconstructionDiagnostics:
    rebuilt = survival_on(data["time"].to_numpy(), data["event"].to_numpy(), t)
    diff = np.abs(rebuilt - s)
    # numbers at risk of the rebuilt data at the published times (time >= t_i)
    times = data["time"].to_numpy()
    at_risk = np.array([(times >= x).sum() for x in rt]) if rt.size > 1 else risk_rebuilt
    table = pd.DataFrame({"time": rt, "published": nr, "reconstructed": at_risk})
    return KMReconstructionDiagnostics(
        max_abs_diff=float(diff.max()),
        mean_abs_diff=float(diff.mean()),
        numbers_at_risk=table,
        total_events_reported=total_events,
        total_events_reconstructed=int(data["event"].sum()),
        n_points_input=n_input,
        n_points_used=int(t.size),
        iterations=iterations,
        warnings=tuple(notes),
        curve=pd.DataFrame({"time": t, "survival": s}),
    )



def digitisation_band(
    result: PseudoIPD,
    *,
    n_draws: int = 200,
    sd_survival: float = 0.005,
    sd_time: float = 0.005,
    seed: int = 0,
    times: np.ndarray | list[float] | None = None,
    alpha: float = 0.05,
) -> EnsembleResult:
    """Pointwise band over digitisation noise: the clicks jittered and rebuilt ``n_draws``
    times with the same risk table and total events.

    Parameters
    ----------
    result : PseudoIPD
        A :func:`reconstruct_km` result (it carries the cleaned clicks and the published
        risk table in its diagnostics).
    n_draws : int > 0
    sd_survival : float >= 0
        Click noise in survival (proportion).
    sd_time : float >= 0
        Click noise in time, as a fraction of the time axis (the last click).
    seed : int
    times : array-like, optional
        Grid (default 200 points up to the last click).
    alpha : float in (0, 1)

    Returns
    -------
    EnsembleResult
        ``varied == ("digitisation",)``; the median (first grid time at or below 50%) and
        the restricted mean up to the grid's end are read on the grid.

    Raises
    ------
    TypeError
        If ``result`` is not a reconstruction from a digitised curve, or an argument is not
        a number.
    ValueError
        For ``n_draws`` < 1, negative noise, or ``alpha`` outside (0, 1).
    """
    if not isinstance(result, PseudoIPD) or result.diagnostics is None:
        raise TypeError("result must be the PseudoIPD of reconstruct_km; got "
                        f"{type(result).__name__}")
    n_draws = positive_int(n_draws, "n_draws")
    alpha = check_alpha(alpha)
    for name, value in (("sd_survival", sd_survival), ("sd_time", sd_time)):
        if not is_real(value):
            raise TypeError(f"{name} must be a number; got {value!r}")
        if not value >= 0:
            raise ValueError(f"{name} must be >= 0; got {value!r}")
    diag = result.diagnostics
    t0 = diag.curve["time"].to_numpy(float)
    s0 = diag.curve["survival"].to_numpy(float)
    nar = diag.numbers_at_risk
    kwargs: dict = {"total_events": diag.total_events_reported}
    if len(nar) > 1:
        kwargs.update(risk_times=nar["time"].to_numpy(float),
                      n_risk=nar["published"].to_numpy(int))
    else:
        kwargs["n_total"] = int(nar["published"].iloc[0])
    grid = (np.linspace(0.0, float(t0[-1]), 200) if times is None
            else _numbers(times, "times"))
    rng = np.random.default_rng(seed)
    axis = float(t0[-1]) or 1.0
    curves = np.empty((n_draws, grid.size))
    for i in range(n_draws):
        t = t0 + rng.normal(0.0, sd_time * axis, t0.size)
        s = s0 + rng.normal(0.0, sd_survival, s0.size)
        t[0], s[0] = 0.0, 1.0
        t = np.clip(t, 0.0, None)
        s = np.clip(s, 0.0, 1.0)
        draw = reconstruct_km(t, s, **kwargs).data
        curves[i] = survival_on(draw["time"].to_numpy(float), draw["event"].to_numpy(int),
                                grid)
    point = survival_on(result.data["time"].to_numpy(float),
                        result.data["event"].to_numpy(int), grid)

    def median(c: np.ndarray) -> np.ndarray:
        below = c <= 0.5
        return np.where(below.any(axis=-1), grid[np.argmax(below, axis=-1)], np.inf)

    def area(c: np.ndarray) -> np.ndarray:
        return np.sum(c[..., :-1] * np.diff(grid), axis=-1)

    a = alpha / 2
    lo, hi = np.quantile(curves, [a, 1 - a], axis=0)
    m_lo, m_hi = np.quantile(median(curves), [a, 1 - a], method="inverted_cdf")
    r_lo, r_hi = np.quantile(area(curves), [a, 1 - a])
    return EnsembleResult(times=grid, estimate=point, ci_low=lo, ci_high=hi,
                          quantity="survival", alpha=alpha,
                          median=(float(median(point)), float(m_lo), float(m_hi)),
                          restricted_mean=(float(grid[-1]), float(area(point)), float(r_lo),
                                           float(r_hi)),
                          n_draws=n_draws, seed=int(seed), varied=("digitisation",))
