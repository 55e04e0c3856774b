"""Pseudo-individual data from reported summaries (milestones, medians, follow-up, counts).

The reconstruction has two layers:

1. a continuous model: a hazard that is piecewise constant between the reported milestones
   (or Weibull / exponential), a constant competing hazard for cumulative-incidence
   endpoints, and administrative censoring with follow-up uniform on an interval whose
   median is the reported median follow-up (:mod:`models`);
2. a deterministic integer allocation: between consecutive constraint times a bounded beam
   search picks whole numbers of events, competing events and censorings near the model's
   expectation, and an ordering of censorings among the events (a power warp of their
   quantile positions), such that the Kaplan-Meier (or Aalen-Johansen) estimate of the
   result lies inside every reported value's rounding interval. No random numbers are used.

When no allocation within the searched space meets a reported value, the table of reported
vs reproduced values says so; nothing is forced.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.integrate import cumulative_trapezoid, trapezoid

from thyroid_evidence.survival.estimators import cumulative_incidence, kaplan_meier
from thyroid_evidence.survival.km import (
    km_factors,
    product_limit,
    sequential_at_risk,
    tie_order,
)
from thyroid_evidence.survival.models import (
    MODELS,
    CensoringModel,
    HazardModel,
    censoring_model,
    fit_incidence_model,
    fit_survival_model,
)
from thyroid_evidence.validation import is_real, nonnegative_rate, positive_int
from thyroid_evidence.vocab import UNITS_OF_ANALYSIS

if TYPE_CHECKING:  # guyot imports this module for PseudoIPD
    from thyroid_evidence.survival.guyot import KMReconstructionDiagnostics

KINDS = ("survival", "cumulative_incidence")
#: Beam width and candidates kept per path and segment (bounded search).
BEAM_WIDTH = 8
KEEP_PER_PATH = 3
#: Bisection steps on the censoring-order warp; the warp exponent lies in exp([-6, 6]).
WARP_STEPS = 22
#: Outer adjustments of the censoring model to meet the reported median follow-up.
FOLLOW_UP_STEPS = 8
_EPS = 1e-9


@dataclass(frozen=True)
class SummarySpec:
    """Everything :func:`reconstruct_from_summary` was given, normalised (proportions,
    months, rounding steps). The ensemble perturbs a copy of it."""

    n: int
    kind: str
    milestones: tuple[tuple[float, float, float], ...]
    median: tuple[float, float] | None
    follow_up_median: float | None
    follow_up_median_step: float | None
    follow_up_max: float | None
    events: int | None
    model: str
    follow_up_spread: float
    competing_rate: float
    unit_of_analysis: str
    incidence_estimator: str = "aalen-johansen"


# eq=False: the fields hold DataFrames, which cannot answer ==
@dataclass(frozen=True, eq=False)
class PseudoIPD:
    """Pseudo-individual data with the assumptions made and a reproduction check.

    Attributes
    ----------
    data : DataFrame
        ``time`` (months) and ``event`` (0 censored, 1 event of interest, 2 competing event).
    assumptions : tuple of str
        Every assumption, in plain words.
    reported_vs_reproduced : DataFrame
        ``quantity, time_months, reported, lower, upper, reproduced, within_rounding,
        status`` with status in {"reproduced", "not reproduced", "no integer solution
        without censoring"} (the last: no k/n lies in the rounding interval, so only a path
        with censorings before that time could reproduce the value).
    spec : SummarySpec or None
        The normalised input (None for data rebuilt from a digitised curve).
    kind : {"survival", "cumulative_incidence"}
    unit_of_analysis : {"patient", "lesion", "procedure"}
    label : str
    diagnostics : KMReconstructionDiagnostics or None
        For data rebuilt from a digitised curve (:func:`~thyroid_evidence.survival.
        reconstruct_km`): the cleaned clicks, the gaps between them and the rebuilt curve,
        published vs reconstructed numbers at risk; None for a reconstruction from summaries.
    """

    data: pd.DataFrame
    assumptions: tuple[str, ...]
    reported_vs_reproduced: pd.DataFrame
    spec: SummarySpec | None = None
    kind: str = "survival"
    unit_of_analysis: str = "patient"
    label: str = ""
    diagnostics: KMReconstructionDiagnostics | None = None

    @property
    def all_reproduced(self) -> bool:
        """True when every reported value is reproduced within its rounding."""
        return bool(self.reported_vs_reproduced["within_rounding"].all())


def _decimal_step(value: float) -> float:
    """Rounding step implied by the shortest decimal form of ``value`` (0.716 -> 0.001)."""
    text = np.format_float_positional(float(value), trim="-")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return 10.0 ** (-decimals)


def _as_pairs(values: object, name: str) -> list[tuple[float, float]]:
    if values is None:
        return []
    items = values.items() if isinstance(values, Mapping) else values
    try:
        pairs = [(float(t), float(v)) for t, v in items]
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must map time in months to a proportion, e.g. "
                         "{12: 0.716}; got " + repr(values)) from err
    for t, v in pairs:
        if not (math.isfinite(t) and t > 0):
            raise ValueError(f"{name}: time {t!r} must be a number of months > 0")
        if not (math.isfinite(v) and 0 <= v <= 1):
            raise ValueError(f"{name}: value {v!r} at {t:g} months must be a proportion in "
                             "[0, 1] (71.6% is 0.716)")
    times = [t for t, _ in pairs]
    if len(set(times)) != len(times):
        raise ValueError(f"{name}: each time may appear once; got {sorted(times)}")
    return sorted(pairs)


def _precision(precision: object, key: str, value: float, time: float | None = None) -> float:
    """Rounding step for one reported value."""
    if precision is None:
        return _decimal_step(value)
    if isinstance(precision, int | float):
        # a bare number is the step of the milestones only (documented)
        return float(precision) if key == "milestones" else _decimal_step(value)
    if isinstance(precision, Mapping):
        entry = precision.get(key)
        if isinstance(entry, Mapping):
            entry = entry.get(time, entry.get(float(time) if time is not None else None))
        return float(entry) if entry is not None else _decimal_step(value)
    raise ValueError("precision must be None, a number (the rounding step of the milestones, "
                     "0.001 for 71.6%) or a dict with keys 'milestones', 'median', "
                     f"'follow_up_median'; got {precision!r}")


def _positive_months(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a number of months > 0; got {value!r}")
    return float(value)


def summary_spec(
    n: int,
    *,
    survival_at: Mapping[float, float] | None = None,
    median: float | None = None,
    follow_up_median: float | None = None,
    follow_up_max: float | None = None,
    events: int | None = None,
    precision: float | Mapping | None = None,
    model: str = "piecewise-exponential",
    cumulative_incidence_at: Mapping[float, float] | None = None,
    competing_rate: float = 0.0,
    follow_up_spread: float = 0.5,
    unit_of_analysis: str = "patient",
    incidence_estimator: str = "aalen-johansen",
) -> SummarySpec:
    """The normalised specification of a reconstruction from reported summaries.

    Parameters
    ----------
    n : int > 0
        Patients (or lesions) at time 0.
    survival_at : mapping {months: proportion}, optional
        Reported survival milestones, e.g. ``{12: 0.716, 24: 0.668}``. Must not rise.
    median : float, optional
        Reported median time to event, months (survival endpoints only).
    follow_up_median, follow_up_max : float, optional
        Reported median (reverse Kaplan-Meier) and maximum follow-up, months.
    events : int, optional
        Reported number of events of interest.
    precision : None, float or dict
        Rounding step of the reported values: None infers it from the digits given
        (0.716 -> 0.001, 62 -> 1 month); a number applies to the milestones; a dict may give
        ``"milestones"`` (number or {time: step}), ``"median"`` and ``"follow_up_median"``.
    model : {"piecewise-exponential", "weibull", "exponential"}
        Event-time model through the constraints (milestones and median): piecewise
        constant hazard (exponential with one constraint), Weibull (needs two), or one
        exponential rate.
    cumulative_incidence_at : mapping {months: proportion}, optional
        Reported cumulative incidence instead of survival (e.g. local progression per
        lesion). Must not fall. Competing events (``competing_rate``) are coded 2.
    competing_rate : float >= 0
        Constant hazard per month of the competing event (death before progression).
    follow_up_spread : float in (0, 1]
        Without ``follow_up_max``: follow-up is uniform on median * [1 - spread, 1 + spread].
    unit_of_analysis : {"patient", "lesion", "procedure"}
        Label carried into the result.
    incidence_estimator : {"aalen-johansen", "kaplan-meier"}
        How the reported incidence is read: Aalen-Johansen (competing events coded 2 lower
        the incidence) or 1 - Kaplan-Meier with competing events treated as censored (common
        in the ablation literature).

    Returns
    -------
    SummarySpec

    Raises
    ------
    ValueError
        For n <= 0, milestones that rise (survival) or fall (incidence), values outside
        [0, 1], a median inconsistent with the milestones, or unknown options.
    """
    n = positive_int(n, "n")
    if model not in MODELS:
        raise ValueError(f"model={model!r} is not supported; allowed: {', '.join(MODELS)}")
    if unit_of_analysis not in UNITS_OF_ANALYSIS:
        raise ValueError(f"unit_of_analysis={unit_of_analysis!r}; allowed: "
                         + ", ".join(UNITS_OF_ANALYSIS))
    if not is_real(follow_up_spread):
        raise TypeError(f"follow_up_spread must be a number in (0, 1]; got {follow_up_spread!r}")
    if not 0 < follow_up_spread <= 1:
        raise ValueError(f"follow_up_spread must be in (0, 1]; got {follow_up_spread!r}")
    nonnegative_rate(competing_rate, "competing_rate")
    if incidence_estimator not in ("aalen-johansen", "kaplan-meier"):
        raise ValueError(f"incidence_estimator={incidence_estimator!r}; allowed: "
                         "aalen-johansen, kaplan-meier")
    if survival_at is not None and cumulative_incidence_at is not None:
        raise ValueError("give survival_at or cumulative_incidence_at, not both")
    kind = "cumulative_incidence" if cumulative_incidence_at is not None else "survival"
    name = "cumulative_incidence_at" if kind != "survival" else "survival_at"
    pairs = _as_pairs(cumulative_incidence_at if kind != "survival" else survival_at, name)
    values = [v for _, v in pairs]
    if kind == "survival" and any(b > a for a, b in zip(values, values[1:], strict=False)):
        i = next(i for i in range(len(values) - 1) if values[i + 1] > values[i])
        raise ValueError(f"survival_at rises: {values[i + 1]!r} at {pairs[i + 1][0]:g} months "
                         f"exceeds {values[i]!r} at {pairs[i][0]:g} months")
    if kind != "survival" and any(b < a for a, b in zip(values, values[1:], strict=False)):
        i = next(i for i in range(len(values) - 1) if values[i + 1] < values[i])
        raise ValueError(f"cumulative_incidence_at falls: {values[i + 1]!r} at "
                         f"{pairs[i + 1][0]:g} months is below {values[i]!r} at "
                         f"{pairs[i][0]:g} months")
    median = _positive_months(median, "median")
    if median is not None and kind != "survival":
        raise ValueError("median is supported with survival_at (survival endpoints) only")
    follow_up_median = _positive_months(follow_up_median, "follow_up_median")
    follow_up_max = _positive_months(follow_up_max, "follow_up_max")
    if follow_up_median and follow_up_max and follow_up_max < follow_up_median:
        raise ValueError(f"follow_up_max={follow_up_max!r} is below follow_up_median="
                         f"{follow_up_median!r}")
    if events is not None:
        if not is_real(events):
            raise TypeError(f"events must be a whole number in [0, {n}]; got {events!r}")
        if not float(events).is_integer() or not 0 <= events <= n:
            raise ValueError(f"events must be a whole number in [0, {n}]; got {events!r}")
        events = int(events)
    if not pairs and median is None:
        raise ValueError("nothing to reproduce: give survival_at, cumulative_incidence_at or "
                         "median")
    milestones = tuple((t, v, _precision(precision, "milestones", v, t)) for t, v in pairs)
    med = None if median is None else (median, _precision(precision, "median", median))
    fu_step = (None if follow_up_median is None
               else _precision(precision, "follow_up_median", follow_up_median))
    spec = SummarySpec(n=n, kind=kind, milestones=milestones, median=med,
                       follow_up_median=follow_up_median, follow_up_median_step=fu_step,
                       follow_up_max=follow_up_max, events=events, model=model,
                       follow_up_spread=float(follow_up_spread),
                       competing_rate=float(competing_rate), unit_of_analysis=unit_of_analysis,
                       incidence_estimator=incidence_estimator)
    constraint_knots(spec)  # consistency checks before any work
    return spec


def reconstruct_from_summary(n: int, **kwargs: object) -> PseudoIPD:
    """Pseudo-IPD whose estimates reproduce reported milestones within their rounding.

    Takes the arguments of :func:`summary_spec` (which checks and normalises them) and
    reconstructs that one scenario (:func:`reconstruct_spec`); for the whole declared set of
    readings see :func:`thyroid_evidence.survival.scenario_set`.
    """
    return reconstruct_spec(summary_spec(n, **kwargs))


# ----------------------------------------------------------------------------------------
# constraints


@dataclass(frozen=True)
class Knot:
    """A constraint time and the interval ``[lo, hi]`` the estimate must lie in there."""

    time: float
    lo: float
    hi: float


def constraint_knots(spec: SummarySpec) -> list[Knot]:
    """Constraint times with the interval the estimate must lie in, sorted; checks consistency.

    Raises
    ------
    ValueError
        When the reported values cannot all hold (for example a median that would need
        survival to rise between two milestones).
    """
    knots = [Knot(t, max(0.0, v - s / 2), min(1.0, v + s / 2)) for t, v, s in spec.milestones]
    if spec.median is not None:
        m, step = spec.median
        a, b = m - step / 2, m + step / 2
        if a <= 0:
            raise ValueError(f"median={m!r} with rounding step {step!r} reaches time 0")
        knots.append(Knot(a, 0.5 + _EPS, 1.0))  # the median lies above a ...
        knots.append(Knot(b, 0.0, 0.5 - _EPS))  # ... and at most b
    knots.sort(key=lambda k: k.time)
    merged: list[Knot] = []
    for k in knots:
        if merged and abs(merged[-1].time - k.time) < 1e-12:
            prev = merged.pop()
            k = Knot(k.time, max(prev.lo, k.lo), min(prev.hi, k.hi))
        merged.append(k)
    for i, a in enumerate(merged):
        if a.lo > a.hi + 1e-12:
            raise ValueError(_inconsistent(spec, a.time))
        for b in merged[i + 1:]:
            bad = b.lo > a.hi + 1e-12 if spec.kind == "survival" else a.lo > b.hi + 1e-12
            if bad:
                raise ValueError(_inconsistent(spec, b.time, a.time))
    return merged


def _inconsistent(spec: SummarySpec, t1: float, t0: float | None = None) -> str:
    if spec.median is not None:
        shown = ", ".join(f"{v:g} at {t:g} months" for t, v, _ in spec.milestones)
        return (f"median={spec.median[0]!r} months is inconsistent with the milestones "
                f"({shown}): survival would have to rise between "
                f"{t0 if t0 is not None else t1:g} and {t1:g} months")
    return f"the reported values cannot all hold near {t1:g} months"


# ----------------------------------------------------------------------------------------
# the continuous model


def hazard_model(spec: SummarySpec, model: str | None = None) -> HazardModel:
    """The continuous event-time model through the reported values of ``spec``.

    ``model`` overrides ``spec.model`` (the ensemble tries alternative shapes).
    """
    model = model or spec.model
    if spec.kind == "survival":
        cons = [(t, v) for t, v, _ in spec.milestones if 0 < v < 1]
        if spec.median is not None:
            cons.append((spec.median[0], 0.5))
        cons = monotone_constraints(cons)
        if not cons:
            raise ValueError("the milestones are all 0 or 1; no hazard can be fitted")
        return replace(fit_survival_model(cons, model), competing_rate=0.0)
    cons = [(t, v) for t, v, _ in spec.milestones]
    if spec.incidence_estimator == "kaplan-meier":
        surv = monotone_constraints([(t, 1.0 - v) for t, v in cons if 0 < v < 1])
        return replace(fit_survival_model(surv, model), competing_rate=spec.competing_rate)
    # a cause-specific hazard through incidence milestones: only the piecewise form exists
    return fit_incidence_model(cons, spec.competing_rate)


def monotone_constraints(cons: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop constraints that would give a negative hazard (rounding can make a median and a
    milestone touch); keeps the first of each conflicting pair."""
    out: list[tuple[float, float]] = []
    for t, v in sorted(cons):
        if out and v >= out[-1][1]:
            continue
        out.append((t, v))
    return out


# ----------------------------------------------------------------------------------------
# integer allocation


@dataclass
class _State:
    r: int
    s: float
    f: float
    km: float
    cost: float
    pieces: list


def _segment_densities(hz: HazardModel, cens: CensoringModel, t0: float, t1: float,
                       n_grid: int = 65) -> dict:
    """Sub-densities (per subject at risk at t0) of each fate within (t0, t1]."""
    u = np.linspace(t0, t1, n_grid)
    dh = hz.cumulative_hazard(u) - hz.cumulative_hazard(np.array([t0]))[0]
    g0 = max(float(cens.survival(np.array([t0]))[0]), 1e-12)
    g = cens.survival(u) / g0
    ev_free = np.exp(-dh - hz.competing_rate * (u - t0))
    width = cens.high - cens.low
    g_density = np.where((u >= cens.low) & (u <= cens.high),
                         1.0 / width if width > 0 else 0.0, 0.0) / g0
    dens = {1: hz.hazard(u) * ev_free * g, 2: hz.competing_rate * ev_free * g,
            0: g_density * ev_free}
    out = {"u": u}
    for key, f in dens.items():
        out[key] = cumulative_trapezoid(f, u, initial=0.0)
    return out


def _quantile_times(dens: dict, key: int, k: int, t0: float, t1: float,
                    warp: float = 1.0) -> np.ndarray:
    if k <= 0:
        return np.empty(0)
    p = (np.arange(k) + 0.5) / k
    if warp != 1.0:
        p = p**warp
    cum = dens[key]
    u = dens["u"]
    if cum[-1] <= 1e-12:
        return t0 + p * (t1 - t0)
    x = np.interp(p * cum[-1], cum, u)
    # strictly inside the segment, so nothing lands exactly on a reported time
    # (np.minimum/np.maximum: what np.clip does, without its per-call overhead; this runs
    # tens of thousands of times per reconstruction)
    return np.minimum(np.maximum(x, t0 + 1e-6 * (t1 - t0)), t1 - 1e-6 * (t1 - t0))


def _evaluate(state: _State, t1: np.ndarray, t2: np.ndarray, tc: np.ndarray
              ) -> tuple[float, float, float]:
    """All-cause survival, Aalen-Johansen incidence of event 1 and the Kaplan-Meier of event 1
    (event 2 as censored) after a segment's fates, taken in time order."""
    n1 = t1.size
    n_events = n1 + t2.size
    n = n_events + tc.size
    if n == 0:
        return state.s, state.f, state.km
    # The subject-by-subject form of the Kaplan-Meier kernel (survival.km). A stable sort of
    # (t1, t2, tc) is its tie order: events before censorings at equal times, and an event 1
    # before an event 2 (a censoring for the Kaplan-Meier of event 1). The position in that
    # concatenation tells the fate.
    order = np.concatenate((t1, t2, tc)).argsort(kind="stable")
    r = sequential_at_risk(state.r, n)
    first = order < n1
    surv = state.s * product_limit(r, order < n_events)
    before = np.concatenate(([state.s], surv[:-1]))
    f = state.f + float(np.where(first, before / r, 0.0).sum())
    km = state.km * float(km_factors(r, first).prod())
    return float(surv[-1]), f, km


def _quantity(mode: str, s: float, f: float, km: float) -> float:
    """The reported quantity: survival, AJ incidence or 1 - KM incidence."""
    if mode == "survival":
        return km
    return f if mode == "aalen-johansen" else 1.0 - km


def _segment_options(state: _State, knot: Knot, t0: float, kind: str, hz: HazardModel,
                     cens: CensoringModel, target: float) -> list[tuple]:
    """Candidate (cost, d1, d2, c, warp, times..., s, f) meeting the knot, best first."""
    dens = _segment_densities(hz, cens, t0, knot.time)
    r = state.r
    e1, e2, ec = (r * dens[k][-1] for k in (1, 2, 0))
    d2 = int(min(round(e2), r))
    if r <= 60:
        c_values = range(0, int(min(r - d2, round(ec) + 8)) + 1)
    else:
        step = max(1, round(math.sqrt(ec + 1) / 2))
        c_values = sorted({min(max(0, round(ec) + j * step), r - d2) for j in range(-4, 5)})
    options = []
    t2 = _quantile_times(dens, 2, d2, t0, knot.time)
    event_times: dict[int, np.ndarray] = {}  # d1 -> its event times (the same for every c)

    def times_of(d1: int) -> np.ndarray:
        if d1 not in event_times:
            event_times[d1] = _quantile_times(dens, 1, d1, t0, knot.time)
        return event_times[d1]

    for c in c_values:
        tc_model = _quantile_times(dens, 0, c, t0, knot.time)

        def model_q(d1: int, tc: np.ndarray = tc_model) -> float:
            return _quantity(kind, *_evaluate(state, times_of(d1), t2, tc))

        # q is monotone in d1: bisect for the d1 nearest the target at the model ordering
        lo_d, hi_d = 0, r - d2 - c
        if hi_d < 0:
            continue
        sign = -1.0 if kind == "survival" else 1.0  # survival falls / incidence rises with d1
        while hi_d - lo_d > 1:
            mid = (lo_d + hi_d) // 2
            if sign * (model_q(mid) - target) < 0:
                lo_d = mid
            else:
                hi_d = mid
        for d1 in sorted({max(0, lo_d - 1), lo_d, hi_d, min(r - d2 - c, hi_d + 1)}):
            t1 = times_of(d1)

            def value(log_warp: float, t1: np.ndarray = t1, c: int = c
                      ) -> tuple[float, float, float, np.ndarray]:
                tc = _quantile_times(dens, 0, c, t0, knot.time, math.exp(log_warp))
                return (*_evaluate(state, t1, t2, tc), tc)

            s, f, km, tc = value(0.0)
            q = _quantity(kind, s, f, km)
            log_warp = 0.0
            if not knot.lo - 1e-12 <= q <= knot.hi + 1e-12:
                if c == 0:
                    continue
                # censorings earlier (log_warp < 0) lower survival / raise incidence
                q_lo = _quantity(kind, *value(-6.0)[:3])
                q_hi = _quantity(kind, *value(6.0)[:3])
                if (max(q_lo, q_hi) < knot.lo - 1e-12 or min(q_lo, q_hi) > knot.hi + 1e-12):
                    continue
                increasing = q_hi >= q_lo
                a, b = -6.0, 6.0
                found = None
                for _ in range(WARP_STEPS):
                    mid = 0.5 * (a + b)
                    s_m, f_m, km_m, tc_m = value(mid)
                    q_m = _quantity(kind, s_m, f_m, km_m)
                    if knot.lo - 1e-12 <= q_m <= knot.hi + 1e-12:
                        found = (mid, s_m, f_m, km_m, tc_m)
                        break
                    if (q_m < knot.lo) == increasing:
                        a = mid
                    else:
                        b = mid
                if found is None:
                    continue
                log_warp, s, f, km, tc = found
            cost = ((d1 - e1) ** 2 / (e1 + 1) + (c - ec) ** 2 / (ec + 1)
                    + 0.25 * log_warp**2)
            options.append((cost, d1, d2, c, log_warp, t1, t2, tc, s, f, km))
    options.sort(key=lambda o: o[0])
    return options


def _nearest_miss(state: _State, knot: Knot, t0: float, kind: str, hz: HazardModel,
                  cens: CensoringModel, target: float) -> tuple:
    """When nothing meets the knot: the model allocation closest to the reported value."""
    dens = _segment_densities(hz, cens, t0, knot.time)
    r = state.r
    e1, e2, ec = (r * dens[k][-1] for k in (1, 2, 0))
    d2 = int(min(round(e2), r))
    c = int(min(round(ec), r - d2))
    best = None
    for d1 in range(0, r - d2 - c + 1):
        t1 = _quantile_times(dens, 1, d1, t0, knot.time)
        t2 = _quantile_times(dens, 2, d2, t0, knot.time)
        tc = _quantile_times(dens, 0, c, t0, knot.time)
        s, f, km = _evaluate(state, t1, t2, tc)
        gap = abs(_quantity(kind, s, f, km) - target)
        if best is None or gap < best[0]:
            best = (gap, d1, d2, c, 0.0, t1, t2, tc, s, f, km)
    return (1e6,) + best[1:]


def _mode(spec: SummarySpec) -> str:
    return "survival" if spec.kind == "survival" else spec.incidence_estimator


def _allocate(spec: SummarySpec, hz: HazardModel, cens: CensoringModel
              ) -> pd.DataFrame:
    knots = constraint_knots(spec)
    mode = _mode(spec)
    t_end = max(cens.high, (knots[-1].time if knots else 0.0) * 1.5 + 1.0)
    target_of = {}
    for k in knots:
        t = np.array([k.time])
        if mode == "aalen-johansen":
            v = float(_model_cif(hz, k.time))
        else:
            v = float(np.exp(-hz.cumulative_hazard(t))[0])
            v = v if mode == "survival" else 1.0 - v
        target_of[k.time] = min(max(v, k.lo), k.hi)

    def events_gap(st: _State, t_from: float) -> float:
        """Lookahead: how far the reported event count would be missed (in SDs)."""
        if spec.events is None:
            return 0.0
        used = sum(p[0].size for p in st.pieces)
        ahead = st.r * _segment_densities(hz, cens, t_from, t_end)[1][-1]
        return (used + ahead - spec.events) ** 2 / (spec.events + 1)

    beam = [_State(r=spec.n, s=1.0, f=0.0, km=1.0, cost=0.0, pieces=[])]
    t0 = 0.0
    for knot in knots:
        target = target_of[knot.time]
        nxt: list[_State] = []
        for st in beam:
            for opt in _segment_options(st, knot, t0, mode, hz, cens, target)[:KEEP_PER_PATH]:
                cost, d1, d2, c, _, t1, t2, tc, s, f, km = opt
                nxt.append(_State(st.r - d1 - d2 - c, s, f, km, st.cost + cost,
                                  st.pieces + [(t1, t2, tc)]))
        if not nxt:
            st = beam[0]
            cost, d1, d2, c, _, t1, t2, tc, s, f, km = _nearest_miss(st, knot, t0, mode, hz,
                                                                       cens, target)
            nxt = [_State(st.r - d1 - d2 - c, s, f, km, st.cost + cost,
                          st.pieces + [(t1, t2, tc)])]
        nxt.sort(key=lambda x: x.cost + events_gap(x, knot.time))
        beam = nxt[:BEAM_WIDTH]
        t0 = knot.time
    # the tail: after the last constraint to the end of follow-up
    finals = []
    dens = _segment_densities(hz, cens, t0, t_end)
    for st in beam:
        p1, p2 = dens[1][-1], dens[2][-1]
        e1 = st.r * p1
        used = sum(p[0].size for p in st.pieces)
        d1 = round(e1) if spec.events is None else spec.events - used
        penalty = 0.0
        if not 0 <= d1 <= st.r:
            penalty = 1e5
            d1 = min(max(d1, 0), st.r)
        d2 = int(min(round(st.r * p2), st.r - d1))
        c = st.r - d1 - d2
        t1 = _quantile_times(dens, 1, d1, t0, t_end)
        t2 = _quantile_times(dens, 2, d2, t0, t_end)
        tc = _quantile_times(dens, 0, c, t0, t_end)
        if dens[0][-1] <= 1e-12 and c:
            tc = np.full(c, t_end)
        cost = st.cost + penalty + (d1 - e1) ** 2 / (e1 + 1)
        finals.append((cost, st.pieces + [(t1, t2, tc)]))
    finals.sort(key=lambda x: x[0])
    _, pieces = finals[0]
    time = np.concatenate([np.concatenate(p) for p in pieces])
    event = np.concatenate([np.concatenate((np.ones(p[0].size, int), np.full(p[1].size, 2),
                                            np.zeros(p[2].size, int))) for p in pieces])
    order = tie_order(time, event != 0)  # events (1 and 2) before censorings at equal times
    data = pd.DataFrame({"time": time[order], "event": event[order]})
    return data


def expected_events(spec: SummarySpec, hz: HazardModel, cens: CensoringModel) -> float:
    """Events of interest the continuous model expects to be observed."""
    return spec.n * float(_segment_densities(hz, cens, 0.0, cens.high, 400)[1][-1])


def _model_cif(hz: HazardModel, t: float, n_grid: int = 400) -> float:
    u = np.linspace(0.0, t, n_grid)
    surv = np.exp(-hz.cumulative_hazard(u) - hz.competing_rate * u)
    f = hz.hazard(u) * surv
    return float(trapezoid(f, u))


# ----------------------------------------------------------------------------------------
# checking what was reproduced


def reverse_km_median(data: pd.DataFrame) -> float:
    """Median follow-up by the reverse Kaplan-Meier method (censoring as the event)."""
    rev = pd.DataFrame({"time": data["time"], "event": (data["event"] == 0).astype(int)})
    return kaplan_meier(rev).median


def _reproduction_table(spec: SummarySpec, data: pd.DataFrame) -> pd.DataFrame:
    rows = []
    if spec.kind == "survival":
        km = kaplan_meier(data.assign(event=(data["event"] == 1).astype(int)))
        values = km.survival_at([t for t, _, _ in spec.milestones])
        med = km.median
    elif spec.incidence_estimator == "kaplan-meier":
        km = kaplan_meier(data.assign(event=(data["event"] == 1).astype(int)))
        values = 1.0 - km.survival_at([t for t, _, _ in spec.milestones])
        med = None
    else:
        ci = cumulative_incidence(data, event_of_interest=1)
        values = ci.cumulative_incidence_at([t for t, _, _ in spec.milestones])
        med = None
    for (t, v, step), got in zip(spec.milestones, values, strict=True):
        rows.append((spec.kind, t, v, max(0.0, v - step / 2), min(1.0, v + step / 2),
                     float(got)))
    if spec.median is not None:
        m, step = spec.median
        rows.append(("median", np.nan, m, m - step / 2, m + step / 2, float(med)))
    if spec.follow_up_median is not None:
        m, step = spec.follow_up_median, spec.follow_up_median_step
        rows.append(("follow_up_median", np.nan, m, m - step / 2, m + step / 2,
                     reverse_km_median(data)))
    if spec.events is not None:
        rows.append(("events", np.nan, float(spec.events), float(spec.events),
                     float(spec.events), float((data["event"] == 1).sum())))
    table = pd.DataFrame(rows, columns=["quantity", "time_months", "reported", "lower",
                                        "upper", "reproduced"])
    table["within_rounding"] = (table["reproduced"] >= table["lower"] - 1e-9) & (
        table["reproduced"] <= table["upper"] + 1e-9)
    table["status"] = np.where(table["within_rounding"], "reproduced", "not reproduced")
    return table


def reconstruct_spec(spec: SummarySpec, *, model: str | None = None) -> PseudoIPD:
    """Reconstruct from a normalised :class:`SummarySpec` (used by the ensemble too)."""
    hz = hazard_model(spec, model)
    knots = constraint_knots(spec)
    last_time = knots[-1].time if knots else 12.0
    assumptions = [
        f"{spec.kind.replace('_', ' ')} model: {hz.name} hazard through the reported values"
        + (f" (Weibull shape {hz.shape:.3g}, scale {hz.scale:.3g} months)"
           if hz.name == "weibull" else ""),
        "reported values are taken as rounded: each must be met within half a unit of its "
        "last digit",
        "events, competing events and censorings allocated deterministically (quantiles of "
        "the model within each interval; no random numbers)",
    ]
    if spec.kind == "cumulative_incidence":
        if spec.competing_rate <= 0:
            reading = ("no competing event modelled: the reported incidence is read as "
                       "1 - Kaplan-Meier")
        elif spec.incidence_estimator == "kaplan-meier":
            reading = (f"deaths (code 2) at a constant hazard {spec.competing_rate:.4g} per "
                       "month, censored: the reported incidence is read as 1 - Kaplan-Meier")
        else:
            reading = (f"competing event (code 2) hazard {spec.competing_rate:.4g} per month, "
                       "constant; the reported incidence is read as an Aalen-Johansen "
                       "cumulative incidence")
        assumptions.append(reading)
    cens, note = _choose_censoring(spec, hz, last_time)
    data = _allocate(spec, hz, cens)
    table = _reproduction_table(spec, data)
    # meet the reported median follow-up: rescale the censoring model (bounded secant steps)
    if spec.follow_up_median is not None:
        data, table, cens = _match_follow_up(spec, hz, cens, data, table)
        note = (note + f"; to meet the reported median follow-up the follow-up window used "
                f"is [{cens.low:.3g}, {cens.high:.3g}] months")
    assumptions.append(note)
    outside = _censorings_outside(data, cens)
    if outside:
        assumptions.append(outside)
    table = _label_impossible(spec, table)
    return PseudoIPD(data=data, assumptions=tuple(assumptions), reported_vs_reproduced=table,
                     spec=spec, kind=spec.kind, unit_of_analysis=spec.unit_of_analysis)


def _censorings_outside(data: pd.DataFrame, cens: CensoringModel) -> str:
    """The fallback, stated: censorings the search placed outside the censoring window.

    Where the window has no censoring in a segment but the reported values need some (a
    Kaplan-Meier value of n subjects is k/n without censoring), the search places them
    evenly within that segment; this says how many, where, and that this is an assumption
    added to the stated censoring model."""
    c = data.loc[data["event"] == 0, "time"].to_numpy(float)
    tol = 1e-6 * max(cens.high, 1.0)
    out = c[(c < cens.low - tol) | (c > cens.high + tol)]
    if out.size == 0:
        return ""
    return (f"fallback (an assumption added to the censoring model): {out.size} of {c.size} "
            f"censorings placed at {out.min():.3g}–{out.max():.3g} months, outside the "
            f"follow-up window [{cens.low:.3g}, {cens.high:.3g}], because the window alone "
            "cannot reproduce the reported values with whole numbers of subjects")


def _choose_censoring(spec: SummarySpec, hz: HazardModel, last_time: float
                      ) -> tuple[CensoringModel, str]:
    """The censoring model, widened when the reported values need it.

    The spread of follow-up around its median is widened (up to the whole [0, 2 x median])
    when follow-up would otherwise end before the last reported time, and, given a reported
    event count, set to the spread whose expected number of events is closest to it.
    """
    spread = spec.follow_up_spread
    cens, note = censoring_model(spec.follow_up_median, spec.follow_up_max, spread, last_time)
    if spec.follow_up_median is None or spec.follow_up_max is not None:
        return cens, note
    m = spec.follow_up_median
    extra = []
    narrowest = 0.0  # the event-count search below may not undo a widening
    if cens.high < 1.1 * last_time:
        spread = narrowest = min(1.0, 1.1 * last_time / m - 1.0)
        extra.append(f"spread widened to +/-{spread:.0%} so that follow-up reaches the last "
                     f"reported time ({last_time:g} months)")
    if spec.events is not None:
        grid = np.linspace(0.05, 1.0, 20)
        grid = grid[grid >= narrowest - 1e-12]
        gaps = [abs(expected_events(spec, hz, censoring_model(m, None, w, last_time)[0])
                    - spec.events) for w in grid]
        spread = float(grid[int(np.argmin(gaps))])
        extra.append(f"spread set to +/-{spread:.0%}"
                     + (f" (at least +/-{narrowest:.0%})" if narrowest else "")
                     + f", whose expected number of events is closest to the reported "
                       f"{spec.events}")
    cens, note = censoring_model(m, None, spread, last_time)
    return cens, "; ".join([note] + extra)


def _match_follow_up(spec: SummarySpec, hz: HazardModel, cens: CensoringModel,
                     data: pd.DataFrame, table: pd.DataFrame):
    row = table["quantity"] == "follow_up_median"
    best = (data, table, cens)

    def score(tab: pd.DataFrame) -> tuple[int, float]:
        fu = tab[row.to_numpy()].iloc[0]
        return (int((~tab["within_rounding"]).sum()), abs(fu["reproduced"] - fu["reported"]))

    best_score = score(table)
    target = spec.follow_up_median
    factor = 1.0
    for _ in range(FOLLOW_UP_STEPS):
        if best_score[0] == 0:
            break
        got = best[1][row.to_numpy()].iloc[0]["reproduced"]
        if not (math.isfinite(got) and got > 0):
            break
        factor *= target / got
        trial = CensoringModel(cens.low * factor, cens.high * factor)
        d = _allocate(spec, hz, trial)
        tab = _reproduction_table(spec, d)
        if score(tab) < best_score:
            best, best_score = (d, tab, trial), score(tab)
    return best


def _label_impossible(spec: SummarySpec, table: pd.DataFrame) -> pd.DataFrame:
    """Mark missed milestones that no uncensored path could reproduce.

    Without censoring before it, a Kaplan-Meier value is k/n; when no k/n lies in the
    rounding interval the status says so. (Whether a path with censorings exists is what
    :func:`thyroid_evidence.audit.km_feasible` decides exactly.)"""
    table = table.copy()
    for i, row in table.iterrows():
        if row["within_rounding"] or row["quantity"] not in KINDS:
            continue
        n = spec.n
        k_lo = math.ceil(row["lower"] * n - 1e-9)
        k_hi = math.floor(row["upper"] * n + 1e-9)
        if k_lo > k_hi:
            table.loc[i, "status"] = "no integer solution without censoring"
    return table


# ----------------------------------------------------------------------------------------
# lesions of one patient


def assign_patients(result: PseudoIPD, n_patients: int) -> PseudoIPD:
    """Group per-lesion pseudo-data into patients whose lesions share death and follow-up.

    The ``n - n_patients`` patients with two lesions (the others have one; at most two per
    patient) are formed without moving any time where possible: two progressed lesions (a
    patient's lesions may progress at different times), or a progressed lesion with a later
    death or censoring of the same patient. The remaining pairs join two deaths, or two
    censorings, adjacent in time, which then share the midpoint of their times (one death,
    one end of follow-up per patient). The reproduction check is rerun; when a moved time
    would break
    it, the data are returned unchanged with a ``patient`` column of one lesion each and an
    assumption saying so.

    Parameters
    ----------
    result : PseudoIPD
        Per-lesion pseudo-data (``unit_of_analysis == "lesion"``).
    n_patients : int
        Patients the lesions belong to; ``n / 2 <= n_patients <= n``.

    Returns
    -------
    PseudoIPD
        ``data`` gains a ``patient`` column; one assumption states the grouping.
    """
    if not isinstance(result, PseudoIPD) or result.spec is None:
        raise TypeError("result must be a PseudoIPD rebuilt from summaries")
    n = len(result.data)
    n_patients = positive_int(n_patients, "n_patients")
    if not n / 2 <= n_patients <= n:
        raise ValueError(f"n_patients={n_patients} must lie in [{math.ceil(n / 2)}, {n}] for "
                         f"{n} lesions (at most two lesions per patient)")
    data = result.data.reset_index(drop=True)
    t = data["time"].to_numpy(float).copy()
    e = data["event"].to_numpy(int)
    need = n - n_patients
    partner = np.full(n, -1)
    free = np.ones(n, dtype=bool)

    def pair(i: int, j: int) -> None:
        partner[i], partner[j] = j, i
        free[i] = free[j] = False

    made = 0
    prog = [i for i in np.argsort(t, kind="stable") if e[i] == 1]
    for a, b in zip(prog[0::2], prog[1::2], strict=False):
        if made == need:
            break
        pair(a, b)
        made += 1
    # a progressed lesion with a later death or censoring (no time moves)
    others = [i for i in np.argsort(t, kind="stable") if e[i] != 1]
    k = 0
    for i in [i for i in prog if free[i]]:
        while k < len(others) and (t[others[k]] < t[i] or not free[others[k]]):
            k += 1
        if made == need or k >= len(others):
            break
        pair(i, others[k])
        made += 1
        k += 1
    # adjacent deaths, adjacent censorings: the smallest gaps first
    moved = 0
    for code in (0, 2):
        if made == need:
            break
        idx = [i for i in np.argsort(t, kind="stable") if e[i] == code and free[i]]
        gaps = sorted(range(len(idx) - 1), key=lambda g: (t[idx[g + 1]] - t[idx[g]], g))
        for g in gaps:
            if made == need:
                break
            a, b = idx[g], idx[g + 1]
            if free[a] and free[b]:
                pair(a, b)
                t[a] = t[b] = 0.5 * (t[a] + t[b])
                moved += 1
                made += 1
    patient = np.full(n, -1)
    next_id = 0
    for i in np.argsort(t, kind="stable"):
        if patient[i] < 0:
            patient[i] = next_id
            if partner[i] >= 0:
                patient[partner[i]] = next_id
            next_id += 1
    grouped = pd.DataFrame({"time": t, "event": e, "patient": patient})
    order = tie_order(grouped["time"].to_numpy(), grouped["event"].to_numpy() != 0)
    grouped = grouped.iloc[order].reset_index(drop=True)
    table = _label_impossible(result.spec, _reproduction_table(result.spec, grouped))
    if made == need and table["within_rounding"].all():
        note = (f"{n} lesions grouped into {n_patients} patients ({need} with two lesions): "
                f"{moved} pairs of deaths or censorings adjacent in time share the midpoint "
                "of their times, so a patient's lesions share one death and one end of "
                "follow-up; progression independent between lesions")
        return replace(result, data=grouped, reported_vs_reproduced=table,
                       assumptions=result.assumptions + (note,))
    note = (f"lesions could not be grouped into {n_patients} patients without breaking a "
            "reproduced value: each lesion is its own patient here (deaths per lesion)")
    return replace(result, data=data.assign(patient=np.arange(n)),
                   assumptions=result.assumptions + (note,))
