"""Uncertainty of a reconstruction: many pseudo-IPD sets drawn at once.

Each draw varies what the publication leaves unknown (the true values behind rounded
milestones, medians and median follow-up; the spread of follow-up; the event-time model) and
then draws a sample of the reported size from that scenario (parametric bootstrap), so the
bands hold reconstruction and sampling uncertainty together. For data without a summary
specification (e.g. rebuilt from a digitised curve) the draws are ordinary bootstrap
resamples. All draws come from one ``numpy.random.Generator`` seeded by ``seed``; the
estimation runs on (draws x subjects) arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from thyroid_evidence.survival._checks import survival_arrays
from thyroid_evidence.survival.km import product_limit, sequential_at_risk, tie_order
from thyroid_evidence.survival.models import censoring_model
from thyroid_evidence.survival.summary import (
    PseudoIPD,
    SummarySpec,
    constraint_knots,
    hazard_model,
)
from thyroid_evidence.validation import check_alpha, check_choice, positive_int

VARY = ("rounding", "censoring", "model")
#: An alternative event-time model must pass this close (absolute) to each reported value.
MODEL_TOLERANCE = 0.01


def _fits(spec: SummarySpec, hz) -> bool:
    ts = np.array([t for t, _, _ in spec.milestones] + (
        [spec.median[0]] if spec.median is not None else []))
    want = np.array([v for _, v, _ in spec.milestones] + (
        [0.5] if spec.median is not None else []))
    s = np.exp(-hz.cumulative_hazard(ts))
    got = s if spec.kind == "survival" else 1.0 - s
    return bool(np.all(np.abs(got - want) <= MODEL_TOLERANCE))


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """Pointwise bands and summary intervals from an ensemble of pseudo-IPD sets.

    Attributes
    ----------
    times : ndarray
        Grid (months).
    estimate, ci_low, ci_high : ndarray
        Point estimate (from the deterministic pseudo-IPD) and pointwise percentile band.
    quantity : {"survival", "cumulative_incidence"}
    alpha : float
        One minus the coverage of the band and intervals (``level`` is ``1 - alpha``).
    median : tuple (estimate, ci_low, ci_high)
        Median time (``inf`` when not reached; an upper limit of ``inf`` means more than
        alpha/2 of the draws never reach 50%).
    restricted_mean : tuple (tau, estimate, ci_low, ci_high)
        RMST up to tau for survival; restricted mean time lost to the event for incidence.
    n_draws, seed : int
    varied : tuple of str
        What was varied besides sampling.
    """

    times: np.ndarray
    estimate: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    quantity: str
    alpha: float
    median: tuple[float, float, float]
    restricted_mean: tuple[float, float, float, float]
    n_draws: int
    seed: int
    varied: tuple[str, ...]

    @property
    def level(self) -> float:
        """Coverage of the band and intervals, ``1 - alpha``."""
        return 1.0 - self.alpha

    def to_frame(self) -> pd.DataFrame:
        """The band: columns ``time, estimate, ci_low, ci_high``."""
        return pd.DataFrame({"time": self.times, "estimate": self.estimate,
                             "ci_low": self.ci_low, "ci_high": self.ci_high})

    def summary_frame(self) -> pd.DataFrame:
        """Median and restricted mean with their intervals, one row each (months).

        Columns ``quantity, estimate, ci_low, ci_high, level, n_draws, varied`` (``level``:
        the coverage ``1 - alpha``); the median row is left out for
        cumulative incidence (it has no median). ``inf`` means not reached.
        """
        tau, area, area_lo, area_hi = self.restricted_mean
        name = ("restricted mean survival time" if self.quantity == "survival"
                else "restricted mean time lost to the event")
        rows = [(f"{name} up to {tau:g} months", area, area_lo, area_hi)]
        if self.quantity == "survival":
            rows.insert(0, ("median survival time", *self.median))
        frame = pd.DataFrame(rows, columns=["quantity", "estimate", "ci_low", "ci_high"])
        frame["level"] = self.level
        frame["n_draws"] = self.n_draws
        frame["varied"] = ", ".join(self.varied)
        return frame


def batch_curves(times: np.ndarray, events: np.ndarray, grid: np.ndarray, mode: str
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row-wise estimates on (draws x subjects) arrays.

    Returns the curve on ``grid`` (draws x grid), the sorted times and the curve at them.
    ``mode``: "survival" (KM of event 1), "aalen-johansen" (CIF of event 1) or
    "kaplan-meier" (1 - KM of event 1, event 2 censored).
    """
    b, n = times.shape
    # the subject-by-subject form of the Kaplan-Meier kernel (survival.km): events first at
    # tied times; for Aalen-Johansen both causes are events, else only event 1 is
    is_event = events > 0 if mode == "aalen-johansen" else events == 1
    order = tie_order(times, is_event, axis=1)
    t = np.take_along_axis(times, order, axis=1)
    e = np.take_along_axis(events, order, axis=1)
    r = sequential_at_risk(n, n)
    if mode == "aalen-johansen":
        s_all = product_limit(r, e > 0, axis=1)
        before = np.concatenate((np.ones((b, 1)), s_all[:, :-1]), axis=1)
        curve = np.cumsum(before * (e == 1) / r, axis=1)
        start = 0.0
    else:
        curve = product_limit(r, e == 1, axis=1)
        start = 1.0
        if mode == "kaplan-meier":
            curve, start = 1.0 - curve, 0.0
    # evaluate all rows at once: offset each row's times so one searchsorted serves all
    span = float(max(t.max(), grid.max())) + 1.0
    offs = np.arange(b)[:, None] * span
    flat = (t + offs).ravel()
    idx = np.searchsorted(flat, (grid[None, :] + offs).ravel(), side="right") - 1
    idx = idx.reshape(b, grid.size) - np.arange(b)[:, None] * n
    vals = np.where(idx >= 0, np.take_along_axis(curve, np.clip(idx, 0, None), axis=1), start)
    return vals, t, curve


def batch_median_and_area(t: np.ndarray, curve: np.ndarray, mode: str, tau: float
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise median (survival only; ``inf`` when not reached) and restricted mean up to
    ``tau`` of the curves from :func:`batch_curves`."""
    b = t.shape[0]
    if mode == "survival":
        below = curve <= 0.5
        first = np.argmax(below, axis=1)
        med = np.where(below.any(axis=1), t[np.arange(b), first], np.inf)
        level0 = 1.0
    else:
        med = np.full(b, np.nan)
        level0 = 0.0
    # area under the step curve on [0, tau]
    knots = np.concatenate((np.zeros((b, 1)), np.minimum(t, tau), np.full((b, 1), tau)), axis=1)
    levels = np.concatenate((np.full((b, 1), level0), curve), axis=1)
    area = np.sum(levels * np.diff(knots, axis=1), axis=1)
    return med, area


def _scenario_times(spec: SummarySpec, rng: np.random.Generator, vary: tuple[str, ...],
                    n_draws: int) -> tuple[np.ndarray, np.ndarray]:
    """Simulated (draws x n) times and event codes, one scenario per draw."""
    n = spec.n
    times = np.empty((n_draws, n))
    events = np.empty((n_draws, n), dtype=int)
    last_time = constraint_knots(spec)[-1].time
    models = ["piecewise-exponential"]
    n_cons = len(spec.milestones) + (spec.median is not None)
    if "model" in vary:
        models = (["piecewise-exponential", "weibull"] if n_cons >= 2 and spec.kind == "survival"
                  else ["piecewise-exponential", "exponential"] if n_cons >= 2
                  else ["piecewise-exponential"])
    grid = np.linspace(0.0, 1.0, 801) ** 2  # denser early
    for i in range(n_draws):
        sp = spec
        if "rounding" in vary:
            vals = [v + rng.uniform(-s / 2, s / 2) for _, v, s in spec.milestones]
            vals = np.clip(vals, 1e-4, 1 - 1e-4)
            vals = np.sort(vals)[::-1] if spec.kind == "survival" else np.sort(vals)
            ms = tuple((t, float(v), s) for (t, _, s), v in zip(spec.milestones, vals,
                                                                strict=True))
            med = spec.median
            if med is not None:
                med = (med[0] + rng.uniform(-med[1] / 2, med[1] / 2), med[1])
            fu = spec.follow_up_median
            if fu is not None:
                fu = fu + rng.uniform(-spec.follow_up_median_step / 2,
                                      spec.follow_up_median_step / 2)
            sp = replace(spec, milestones=ms, median=med, follow_up_median=fu)
        spread = rng.uniform(0.1, 1.0) if "censoring" in vary else spec.follow_up_spread
        model = models[int(rng.integers(len(models)))]
        hz = hazard_model(sp, "piecewise-exponential")
        if model != "piecewise-exponential":
            # an alternative shape is used only where it passes within MODEL_TOLERANCE of
            # every reported value; otherwise it is not a reading of the publication
            try:
                alt = hazard_model(sp, model)
                if _fits(sp, alt):
                    hz = alt
            except ValueError:
                pass
        cens, _ = censoring_model(sp.follow_up_median, sp.follow_up_max, spread, last_time)
        if cens.high < 1.1 * last_time and sp.follow_up_median is not None:
            cens, _ = censoring_model(sp.follow_up_median, sp.follow_up_max, 1.0, last_time)
        horizon = max(cens.high, last_time) * 1.05 + 1.0
        u = grid * horizon
        h = hz.cumulative_hazard(u)
        e1 = rng.exponential(size=n)
        t1 = np.interp(e1, h, u, right=np.inf)
        t2 = (rng.exponential(size=n) / hz.competing_rate if hz.competing_rate > 0
              else np.full(n, np.inf))
        c = rng.uniform(cens.low, cens.high, size=n) if cens.high > cens.low else np.full(
            n, cens.high)
        obs = np.minimum(np.minimum(t1, t2), c)
        code = np.where(t1 <= np.minimum(t2, c), 1, np.where(t2 <= c, 2, 0))
        times[i], events[i] = obs, code
    return times, events


def ensemble(
    source: PseudoIPD | pd.DataFrame,
    *,
    n_draws: int = 1000,
    seed: int = 0,
    times: np.ndarray | list[float] | None = None,
    alpha: float = 0.05,
    tau: float | None = None,
    vary: tuple[str, ...] = VARY,
) -> EnsembleResult:
    """Pointwise bands for S(t) or cumulative incidence, and intervals for the median and
    the restricted mean, from ``n_draws`` pseudo-IPD sets.

    Parameters
    ----------
    source : PseudoIPD or DataFrame
        A reconstruction from summaries (its specification is perturbed and re-sampled) or
        data with ``time``/``event`` (bootstrap resampling only).
    n_draws : int > 0
    seed : int
        Seed of the ``numpy.random.Generator``; equal seeds give identical results.
    times : array-like, optional
        Grid in months (default 200 points up to the largest observed time).
    alpha : float in (0, 1)
        One minus the coverage of the band and of the intervals.
    tau : float, optional
        Restriction time for the restricted mean (default: last grid time).
    vary : subset of {"rounding", "censoring", "model"}
        Unknowns to vary besides sampling (summary reconstructions only).

    Returns
    -------
    EnsembleResult

    Raises
    ------
    TypeError
        For a ``source`` that is neither, or a non-numeric ``n_draws`` or ``alpha``.
    ValueError
        For ``n_draws`` < 1, ``alpha`` outside (0, 1), an unknown ``vary`` entry, a bad grid
        or ``tau`` <= 0.
    """
    n_draws = positive_int(n_draws, "n_draws")
    alpha = check_alpha(alpha)
    for v in vary:
        check_choice(v, "each entry of vary", VARY)
    rng = np.random.default_rng(seed)
    if isinstance(source, PseudoIPD):
        data = source.data
        mode = ("survival" if source.kind == "survival"
                else (source.spec.incidence_estimator if source.spec else "aalen-johansen"))
    elif isinstance(source, pd.DataFrame):
        data, mode = source, "survival"
        if (source.get("event") is not None) and (source["event"] == 2).any():
            mode = "aalen-johansen"
    else:
        raise TypeError("source must be a PseudoIPD or a DataFrame with 'time' and 'event'; "
                        f"got {type(source).__name__}")
    t_obs, e_obs = survival_arrays(data, competing=True, name="source data")
    grid = (np.linspace(0.0, float(t_obs.max()), 200) if times is None
            else np.asarray(times, dtype=float))
    if grid.ndim != 1 or grid.size == 0 or np.any(grid < 0) or not np.all(np.isfinite(grid)):
        raise ValueError("times must be a non-empty 1-D grid of finite months >= 0")
    tau = float(grid.max()) if tau is None else float(tau)
    if not tau > 0:
        raise ValueError(f"tau must be > 0 months; got {tau!r}")
    spec = source.spec if isinstance(source, PseudoIPD) else None
    if spec is not None:
        sim_t, sim_e = _scenario_times(spec, rng, tuple(vary), n_draws)
        varied = tuple(vary) + ("sampling",)
    else:
        idx = rng.integers(0, t_obs.size, size=(n_draws, t_obs.size))
        sim_t, sim_e = t_obs[idx], e_obs[idx]
        varied = ("sampling",)
    vals, t_sorted, curve = batch_curves(sim_t, sim_e, grid, mode)
    med, area = batch_median_and_area(t_sorted, curve, mode, tau)
    point_vals, pt, pc = batch_curves(t_obs[None, :], e_obs[None, :], grid, mode)
    p_med, p_area = batch_median_and_area(pt, pc, mode, tau)
    a = alpha / 2
    lower, upper = np.quantile(vals, [a, 1 - a], axis=0)
    if mode == "survival":
        # no interpolation, so that "not reached" (inf) survives as an upper limit
        med_lo, med_hi = np.quantile(med, [a, 1 - a], method="inverted_cdf")
        median = (float(p_med[0]), float(med_lo), float(med_hi))
    else:
        median = (float("nan"),) * 3
    ar_lo, ar_hi = np.quantile(area, [a, 1 - a])
    restricted = (tau, float(p_area[0]), float(ar_lo), float(ar_hi))
    return EnsembleResult(times=grid, estimate=point_vals[0], ci_low=lower, ci_high=upper,
                          quantity="survival" if mode == "survival" else "cumulative_incidence",
                          alpha=alpha, median=median, restricted_mean=restricted,
                          n_draws=n_draws, seed=int(seed), varied=varied)
