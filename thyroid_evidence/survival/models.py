"""Continuous models behind pseudo-IPD from summaries: event hazards and censoring.

Small pure functions; :mod:`summary` turns them into integer data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

#: Event-time models through the reported constraints.
MODELS = ("piecewise-exponential", "weibull", "exponential")
#: Two-parameter families with a shape and a scale (months): Weibull shape k, log-normal
#: sigma (of log time), log-logistic shape beta.
SHAPE_FAMILIES = ("weibull", "log-normal", "log-logistic")


@dataclass(frozen=True)
class HazardModel:
    """Cause-specific hazard of the event of interest, plus a constant competing hazard.

    ``knots`` are the times where the piecewise-constant hazard changes (the last rate is
    carried on beyond the last knot); a Weibull, log-normal or log-logistic model has
    ``shape``/``scale`` instead (:data:`SHAPE_FAMILIES`).
    """

    name: str
    knots: tuple[float, ...] = ()
    rates: tuple[float, ...] = ()
    shape: float | None = None
    scale: float | None = None
    competing_rate: float = 0.0

    def cumulative_hazard(self, t: np.ndarray) -> np.ndarray:
        """Cumulative hazard of the event of interest at ``t`` (months)."""
        t = np.asarray(t, dtype=float)
        if self.name in SHAPE_FAMILIES:
            return -self._log_survival(t)
        edges = np.concatenate(([0.0], self.knots))
        rates = np.asarray(self.rates)
        # time spent in each piece (the last piece is open-ended)
        lo = edges
        hi = np.append(edges[1:], np.inf)
        spent = np.clip(t[..., None] - lo, 0.0, hi - lo)
        return spent @ rates

    def _log_survival(self, t: np.ndarray) -> np.ndarray:
        u = np.maximum(t, 0.0)
        if self.name == "weibull":
            return -((u / self.scale) ** self.shape)
        if self.name == "log-normal":
            with np.errstate(divide="ignore"):
                z = (np.log(np.maximum(u, 1e-300)) - math.log(self.scale)) / self.shape
            return np.where(u > 0, norm.logsf(z), 0.0)
        return -np.log1p((u / self.scale) ** self.shape)  # log-logistic

    def time_at_cumulative_hazard(self, e: np.ndarray) -> np.ndarray:
        """The time at which the cumulative hazard reaches ``e`` (inverse of
        :meth:`cumulative_hazard`; ``inf`` where it is never reached)."""
        e = np.asarray(e, dtype=float)
        if self.name == "weibull":
            return self.scale * e ** (1.0 / self.shape)
        if self.name == "log-normal":
            return self.scale * np.exp(self.shape * norm.isf(np.exp(-e)))
        if self.name == "log-logistic":
            return self.scale * np.expm1(e) ** (1.0 / self.shape)
        edges = np.concatenate(([0.0], self.knots))
        cum = self.cumulative_hazard(edges)
        rates = np.asarray(self.rates, dtype=float)
        idx = np.clip(np.searchsorted(cum, e, side="right") - 1, 0, len(rates) - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = edges[idx] + (e - cum[idx]) / rates[idx]
        return np.where(rates[idx] > 0, out, np.inf)

    def hazard(self, t: np.ndarray) -> np.ndarray:
        """Hazard of the event of interest at ``t``."""
        t = np.asarray(t, dtype=float)
        if self.name == "weibull":
            return self.shape / self.scale * (np.maximum(t, 1e-9) / self.scale) ** (self.shape - 1)
        if self.name == "log-normal":
            u = np.maximum(t, 1e-9)
            z = (np.log(u) - math.log(self.scale)) / self.shape
            return np.exp(norm.logpdf(z) - norm.logsf(z)) / (self.shape * u)
        if self.name == "log-logistic":
            u = np.maximum(t, 1e-9)
            x = (u / self.scale) ** self.shape
            return self.shape / u * x / (1.0 + x)
        idx = np.searchsorted(np.asarray(self.knots), t, side="right")
        return np.asarray(self.rates)[np.clip(idx, 0, len(self.rates) - 1)]


def fit_survival_model(constraints: list[tuple[float, float]], model: str) -> HazardModel:
    """Hazard through survival constraints ``[(time, S), ...]`` (S in (0, 1)).

    piecewise-exponential: exact through every constraint; exponential: exact through one,
    least squares on log S for more; weibull: exact through two, least squares on
    log(-log S) for more (needs two).
    """
    pts = sorted(constraints)
    times = np.array([p[0] for p in pts], dtype=float)
    cumhaz = -np.log(np.array([p[1] for p in pts], dtype=float))
    if model == "piecewise-exponential":
        if len(pts) == 1:
            return HazardModel("exponential", knots=(), rates=(cumhaz[0] / times[0],))
        rates = np.diff(np.concatenate(([0.0], cumhaz))) / np.diff(np.concatenate(([0.0], times)))
        return HazardModel("piecewise-exponential", knots=tuple(times[:-1]),
                           rates=tuple(np.maximum(rates, 0.0)))
    if model == "exponential":
        rate = float(np.sum(cumhaz * times) / np.sum(times**2))
        return HazardModel("exponential", rates=(rate,))
    if model == "weibull":
        if len(pts) < 2:
            raise ValueError("model='weibull' needs at least two constraints (milestones or a "
                             "median plus a milestone); allowed with one: 'exponential', "
                             "'piecewise-exponential'")
        slope, intercept = np.polyfit(np.log(times), np.log(cumhaz), 1)
        if slope <= 0:
            raise ValueError("the constraints imply a Weibull shape <= 0; use "
                             "model='piecewise-exponential'")
        return HazardModel("weibull", shape=float(slope),
                           scale=float(math.exp(-intercept / slope)))
    raise ValueError(f"model={model!r} is not supported; allowed: {', '.join(MODELS)}")


def fit_incidence_model(constraints: list[tuple[float, float]], competing_rate: float
                        ) -> HazardModel:
    """Piecewise-constant cause-specific hazard whose cumulative incidence (with a constant
    competing hazard) passes through ``[(time, CIF), ...]``."""
    pts = sorted(constraints)
    knots, rates = [], []
    t_prev, f_prev, s_prev = 0.0, 0.0, 1.0
    for t, f in pts:
        dt = t - t_prev

        def gap(h: float, dt: float = dt, s_prev: float = s_prev, f_prev: float = f_prev,
                f: float = f) -> float:
            lam = h + competing_rate
            inc = s_prev * h / lam * (1 - math.exp(-lam * dt)) if lam > 0 else 0.0
            return f_prev + inc - f

        hi = 1.0
        while gap(hi) < 0 and hi < 1e6:
            hi *= 10
        if gap(hi) < 0:
            raise ValueError(
                f"cumulative incidence {f!r} at {t!r} months cannot be reached when the "
                f"competing hazard is {competing_rate!r} per month"
            )
        h = brentq(gap, 0.0, hi) if gap(0.0) < 0 else 0.0
        lam = h + competing_rate
        s_prev *= math.exp(-lam * dt)
        f_prev = f
        knots.append(t)
        rates.append(h)
        t_prev = t
    return HazardModel("piecewise-exponential", knots=tuple(knots[:-1]), rates=tuple(rates),
                       competing_rate=competing_rate)


@dataclass(frozen=True)
class CensoringModel:
    """Potential follow-up uniform on [low, high] months (administrative censoring).

    Uniform accrual over (high - low) months followed by ``low`` months of further
    follow-up gives exactly this; its median, (low + high) / 2, is what the reverse
    Kaplan-Meier estimates as the median follow-up.
    """

    low: float
    high: float

    def survival(self, t: np.ndarray) -> np.ndarray:
        """P(C > t)."""
        t = np.asarray(t, dtype=float)
        if self.high <= self.low:
            return (t < self.high).astype(float)
        return np.clip((self.high - t) / (self.high - self.low), 0.0, 1.0)

    @property
    def median(self) -> float:
        return 0.5 * (self.low + self.high)


def censoring_model(follow_up_median: float | None, follow_up_max: float | None,
                    spread: float, last_time: float) -> tuple[CensoringModel, str]:
    """The censoring model and a sentence stating the assumption made."""
    if follow_up_median is None:
        low, high = last_time, 2.0 * last_time
        if follow_up_max is not None:
            high = max(follow_up_max, last_time)
        return CensoringModel(low, high), (
            f"no median follow-up reported: every subject assumed followed beyond the last "
            f"reported time ({last_time:g} months), follow-up uniform on [{low:g}, {high:g}] "
            "months"
        )
    m = follow_up_median
    if follow_up_max is not None:
        high = follow_up_max
        low = 2 * m - high
        note = ""
        if low < 0:
            low, high = 0.0, 2 * m
            note = (f" (maximum {follow_up_max:g} exceeds twice the median; a uniform "
                    f"follow-up cannot have both, the maximum was lowered to {high:g})")
        return CensoringModel(low, high), (
            f"administrative censoring: follow-up uniform on [{low:g}, {high:g}] months, "
            f"median {m:g} as reported, maximum as reported" + note
        )
    low, high = m * (1 - spread), m * (1 + spread)
    return CensoringModel(low, high), (
        f"administrative censoring: follow-up uniform on [{low:g}, {high:g}] months "
        f"(median {m:g} as reported; spread +/-{spread:.0%} of the median assumed, i.e. "
        f"accrual over {high - low:g} months and at least {low:g} months of follow-up)"
    )
