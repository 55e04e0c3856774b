"""Estimators for (pseudo-)individual data: Kaplan-Meier, Aalen-Johansen, RMST.

Data are DataFrames with ``time`` (months) and ``event`` (0 censored, 1 event of interest,
2 competing event). Every result is a frozen dataclass; estimates at given times are read off
the right-continuous step function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from thyroid_evidence.survival._checks import survival_arrays
from thyroid_evidence.survival.km import product_limit, risk_table, step_at
from thyroid_evidence.validation import check_alpha, check_choice


@dataclass(frozen=True)
class KaplanMeierResult:
    """Kaplan-Meier estimate with pointwise log-log confidence limits.

    Attributes
    ----------
    table : DataFrame
        One row per distinct time: ``time, n_at_risk, events, censored, survival, ci_low,
        ci_high`` (exponential-Greenwood, i.e. log(-log), limits).
    median : float
        Smallest time with survival <= 0.5 (``inf`` if not reached).
    alpha : float
        One minus the confidence level of the limits.
    """

    table: pd.DataFrame
    median: float
    alpha: float

    @property
    def level(self) -> float:
        """Confidence level of the limits, ``1 - alpha``."""
        return 1.0 - self.alpha

    def survival_at(self, times: np.ndarray | list[float]) -> np.ndarray:
        """Survival at ``times`` (1 before the first time)."""
        return step_at(self.table["time"].to_numpy(), self.table["survival"].to_numpy(),
                        np.asarray(times, dtype=float), 1.0)


def kaplan_meier(data: pd.DataFrame, *, alpha: float = 0.05) -> KaplanMeierResult:
    """Kaplan-Meier estimate with log(-log) confidence limits (lifelines).

    Parameters
    ----------
    data : DataFrame
        Columns ``time`` and ``event`` in {0, 1}; competing events (2) must be recoded by the
        caller (for the cause-specific curve, as censored).
    alpha : float in (0, 1)
        One minus the confidence level of the limits.

    Returns
    -------
    KaplanMeierResult

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame or ``alpha`` not a number.
    ValueError
        For a missing column, a negative or non-finite time, an event code other than 0 and 1
        or ``alpha`` outside (0, 1).

    Notes
    -----
    Point estimates, limits and median checked against R
    ``survfit(Surv(time, status) ~ 1, conf.type = "log-log")`` (tests/reference/).
    """
    from lifelines import KaplanMeierFitter

    alpha = check_alpha(alpha)
    time, event = survival_arrays(data, name="data")
    fitter = KaplanMeierFitter(alpha=alpha).fit(time, event, ci_labels=("ci_low", "ci_high"))
    risk = risk_table(time, event)
    sf = fitter.survival_function_.iloc[:, 0]
    ci = fitter.confidence_interval_
    table = risk.drop(columns="competing").assign(
        survival=sf.reindex(risk["time"]).to_numpy(),
        ci_low=ci["ci_low"].reindex(risk["time"]).to_numpy(),
        ci_high=ci["ci_high"].reindex(risk["time"]).to_numpy(),
    )
    below = table.loc[table["survival"] <= 0.5, "time"]
    median = float(below.iloc[0]) if len(below) else math.inf
    return KaplanMeierResult(table=table, median=median, alpha=alpha)


@dataclass(frozen=True)
class CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence of one cause in the presence of competing events.

    Attributes
    ----------
    table : DataFrame
        One row per distinct time: ``time, n_at_risk, events, competing, censored,
        cumulative_incidence, variance, ci_low, ci_high``. ``variance`` is Gray's delta-method
        variance exactly as R ``cmprsk::cuminc`` reports it (it changes only at times of the
        event of interest); limits use the log(-log) transform.
    event_of_interest : int
        The event code whose incidence is estimated (the other non-zero code competes).
    alpha : float
        One minus the confidence level of the limits.
    """

    table: pd.DataFrame
    event_of_interest: int
    alpha: float

    @property
    def level(self) -> float:
        """Confidence level of the limits, ``1 - alpha``."""
        return 1.0 - self.alpha

    def cumulative_incidence_at(self, times: np.ndarray | list[float]) -> np.ndarray:
        """Cumulative incidence at ``times`` (0 before the first time)."""
        return step_at(self.table["time"].to_numpy(),
                        self.table["cumulative_incidence"].to_numpy(),
                        np.asarray(times, dtype=float), 0.0)


def cumulative_incidence(
    data: pd.DataFrame, *, event_of_interest: int = 1, alpha: float = 0.05
) -> CumulativeIncidenceResult:
    """Aalen-Johansen cumulative incidence with competing risks (our own implementation).

    Written here rather than wrapping lifelines' ``AalenJohansenFitter``, which breaks ties by
    random jitter drawn from numpy's global seed, has swapped confidence-interval labels and
    mishandles custom timelines (lifelines issues #1541, #1549, PR #1699). Ties are handled
    exactly: at a time with events of both causes and censorings, events come first.

    Parameters
    ----------
    data : DataFrame
        Columns ``time`` and ``event`` in {0, 1, 2}.
    event_of_interest : {1, 2}
        The cause whose incidence is estimated; the other cause competes.
    alpha : float in (0, 1)
        One minus the confidence level of the limits.

    Returns
    -------
    CumulativeIncidenceResult

    Notes
    -----
    Estimate and variance checked against R ``cmprsk::cuminc`` and the estimate against
    ``survfit`` multi-state output (tests/reference/, data sets ``mgus2`` and a small tied set).
    """
    alpha = check_alpha(alpha)
    check_choice(event_of_interest, "event_of_interest", (1, 2))
    time, event = survival_arrays(data, competing=True, name="data")
    if event_of_interest == 2:
        event = np.where(event == 0, 0, 3 - event)
    risk = risk_table(time, event)
    r = risk["n_at_risk"].to_numpy(float)
    d1 = risk["events"].to_numpy(float)
    d2 = risk["competing"].to_numpy(float)
    surv = product_limit(r, d1 + d2)  # all-cause Kaplan-Meier
    surv_before = np.concatenate(([1.0], surv[:-1]))
    cif = np.cumsum(surv_before * d1 / r)

    # Gray's delta-method variance (as in cmprsk's cinc): three running sums.
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(surv > 0, 1.0 / surv, 0.0)

        def weight(d: np.ndarray) -> np.ndarray:
            tie = np.where(d > 1, 1.0 - (d - 1.0) / np.maximum(r - 1.0, 1.0), 1.0)
            return surv_before**2 * tie * d / r**2

        w2 = np.where((d2 > 0) & (surv > 0), weight(d2), 0.0)
        w1 = np.where(d1 > 0, weight(d1), 0.0)
    t4_2 = cif * inv_s
    t4_1 = 1.0 + inv_s * cif
    v1 = np.cumsum(t4_2**2 * w2 + t4_1**2 * w1)
    v2 = np.cumsum(inv_s * t4_2 * w2 + inv_s * t4_1 * w1)
    v3 = np.cumsum(inv_s**2 * w2 + inv_s**2 * w1)
    var_at_event = v1 + cif**2 * v3 - 2 * cif * v2
    # cuminc updates the variance only at times of the event of interest
    last = np.maximum.accumulate(np.where(d1 > 0, np.arange(len(r)), -1))
    variance = np.where(last >= 0, var_at_event[np.clip(last, 0, None)], 0.0)

    z = norm.ppf(1.0 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (cif > 0) & (cif < 1)
        k = np.where(ok, z * np.sqrt(variance) / (cif * np.log(cif)), 0.0)
        lower = np.where(ok, cif ** np.exp(-k), cif)
        upper = np.where(ok, cif ** np.exp(k), cif)
    table = risk.assign(cumulative_incidence=cif, variance=variance, ci_low=lower,
                        ci_high=upper)
    return CumulativeIncidenceResult(table=table, event_of_interest=event_of_interest,
                                     alpha=alpha)


@dataclass(frozen=True)
class RMSTResult:
    """Restricted mean survival time up to ``tau`` with its standard error and CI.

    ``extrapolated`` is True when ``tau`` lies beyond the last observed time, in which case the
    last survival value was carried forward (as R ``survival`` does).
    """

    tau: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    alpha: float
    extrapolated: bool

    @property
    def level(self) -> float:
        """Confidence level of the interval, ``1 - alpha``."""
        return 1.0 - self.alpha


def rmst(data: pd.DataFrame, tau: float, *, alpha: float = 0.05) -> RMSTResult:
    """Restricted mean survival time: the area under the Kaplan-Meier curve up to ``tau``.

    Parameters
    ----------
    data : DataFrame
        Columns ``time`` and ``event`` in {0, 1}.
    tau : float > 0
        Restriction time, months.
    alpha : float in (0, 1)
        One minus the confidence level (normal limits).

    Notes
    -----
    Variance: sum over event times t_i <= tau of A_i^2 d_i / (r_i (r_i - d_i)), A_i the area
    under the curve from t_i to tau; checked against R ``summary(survfit(...), rmean = tau)``.
    Written here because lifelines' ``restricted_mean_survival_time(..., return_variance=True)``
    returns the variance of the restricted time min(T, tau) itself, not the variance of its
    estimate, which is what a confidence interval needs.
    """
    alpha = check_alpha(alpha)
    if not (isinstance(tau, int | float) and math.isfinite(tau) and tau > 0):
        raise ValueError(f"tau must be a finite number of months > 0; got {tau!r}")
    time, event = survival_arrays(data, name="data")
    risk = risk_table(time, event)
    risk = risk[risk["time"] <= tau]
    t = risk["time"].to_numpy(float)
    d = risk["events"].to_numpy(float)
    r = risk["n_at_risk"].to_numpy(float)
    surv = product_limit(r, d)
    knots = np.concatenate(([0.0], t, [float(tau)]))
    levels = np.concatenate(([1.0], surv))
    areas = levels * np.diff(knots)
    estimate = float(areas.sum())
    # area from each time t_i to tau
    tail = np.cumsum(areas[::-1])[::-1][1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where((d > 0) & (r > d), tail**2 * d / (r * (r - d)), 0.0)
    se = float(math.sqrt(terms.sum()))
    z = float(norm.ppf(1.0 - alpha / 2))
    return RMSTResult(tau=float(tau), estimate=estimate, se=se, ci_low=estimate - z * se,
                      ci_high=estimate + z * se, alpha=alpha,
                      extrapolated=bool(tau > time.max()))
