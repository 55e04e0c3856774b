"""The Kaplan-Meier kernel: risk sets, the product-limit step function and its evaluation.

Every hand-written Kaplan-Meier (and Aalen-Johansen) computation of the survival package is
built on these functions: the estimators (risk table, Aalen-Johansen, RMST), the Guyot
reconstruction's checks, the summary reconstruction's incremental search and the ensemble's
vectorised estimates. :func:`~thyroid_evidence.survival.kaplan_meier` itself takes its
estimate and Greenwood limits from lifelines; the tests check that this kernel agrees with it.

Two equivalent forms of the same estimate:

- by distinct time: at each distinct time ``t_j`` with ``r_j`` at risk (time >= t_j) and
  ``d_j`` events, survival is multiplied by ``1 - d_j / r_j`` (:func:`risk_sets`,
  :func:`product_limit`, :func:`km_step`);
- by subject: subjects sorted by time with events before censorings at equal times
  (:func:`tie_order`), the risk set falls by one per subject (:func:`sequential_at_risk`) and
  each event multiplies survival by ``1 - 1 / r``. Over ``d`` tied events the factors
  telescope to ``1 - d / r``, so both forms give the same curve. Putting events first is the
  convention of Kaplan and Meier: a subject censored at ``t`` was at risk at ``t``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd


class RiskSets(NamedTuple):
    """Per distinct time (sorted): numbers at risk, events by cause and censorings."""

    time: np.ndarray
    n_at_risk: np.ndarray
    events: np.ndarray
    competing: np.ndarray
    censored: np.ndarray


def risk_sets(time: np.ndarray, event: np.ndarray) -> RiskSets:
    """Risk sets at the distinct times of ``time``.

    Parameters
    ----------
    time : ndarray
        Times (any unit), one per subject.
    event : ndarray of int
        0 censored, 1 event of interest, 2 competing event.

    Returns
    -------
    RiskSets
        ``n_at_risk`` counts the subjects with time >= t (events and censorings at t are at
        risk at t); ``events`` counts code 1, ``competing`` code 2, ``censored`` code 0.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event)
    if time.size == 0:
        empty = np.empty(0, dtype=int)
        return RiskSets(np.empty(0), empty, empty, empty, empty)
    order = np.argsort(time, kind="stable")
    t, e = time[order], event[order]
    uniq, first = np.unique(t, return_index=True)
    return RiskSets(
        time=uniq,
        n_at_risk=t.size - first,
        events=np.add.reduceat((e == 1).astype(int), first),
        competing=np.add.reduceat((e == 2).astype(int), first),
        censored=np.add.reduceat((e == 0).astype(int), first),
    )


def risk_table(time: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """:func:`risk_sets` as a DataFrame: ``time, n_at_risk, events, competing, censored``."""
    return pd.DataFrame(risk_sets(time, event)._asdict())


def km_factors(n_at_risk: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Product-limit factors ``1 - events / n_at_risk`` (element-wise).

    ``events`` is the count per distinct time, or a 0/1 indicator per subject in
    :func:`tie_order` with ``n_at_risk`` from :func:`sequential_at_risk`. Numbers at risk
    are >= 1 wherever they are used (a distinct time has its own subjects at risk).
    """
    return 1.0 - events / n_at_risk


def product_limit(n_at_risk: np.ndarray, events: np.ndarray, axis: int = -1) -> np.ndarray:
    """Survival just after each time: the running product of :func:`km_factors` along ``axis``."""
    return np.cumprod(km_factors(n_at_risk, events), axis=axis)


def km_step(time: np.ndarray, event: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier estimate at the distinct times (``event`` 1 is the event; no limits).

    Returns
    -------
    times, survival : ndarray
        The right-continuous step function: survival from ``times[j]`` on is
        ``survival[j]``; it is 1 before ``times[0]``.
    """
    risk = risk_sets(time, event)
    return risk.time, product_limit(risk.n_at_risk, risk.events)


def step_at(x: np.ndarray, y: np.ndarray, at: np.ndarray, start: float) -> np.ndarray:
    """Right-continuous step function through (x, y) at ``at``; value ``start`` before x[0]."""
    idx = np.searchsorted(x, np.asarray(at, dtype=float), side="right") - 1
    out = np.where(idx >= 0, y[np.clip(idx, 0, None)], start)
    return out.astype(float)


def survival_on(time: np.ndarray, event: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Kaplan-Meier survival of (time, event) evaluated on ``grid`` (1 before the first time)."""
    x, y = km_step(np.asarray(time, float), np.asarray(event, int))
    return step_at(x, y, grid, 1.0)


def tie_order(time: np.ndarray, is_event: np.ndarray, axis: int = -1) -> np.ndarray:
    """Indices that sort ``time`` along ``axis`` with events before censorings at equal times.

    ``is_event`` says which subjects count as events of the estimate (for a Kaplan-Meier of
    cause 1, competing events are censorings; for all-cause survival they are events). The
    sort is stable otherwise: subjects of the same kind at the same time keep their order.
    """
    return np.lexsort((~np.asarray(is_event, dtype=bool), time), axis=axis)


def sequential_at_risk(n_at_risk: int | np.ndarray, n: int) -> np.ndarray:
    """Numbers at risk of ``n`` subjects taken one by one in :func:`tie_order`.

    The first has ``n_at_risk`` at risk (an int, or an array broadcasting against the last
    axis), each following one one fewer.
    """
    return n_at_risk - np.arange(n)
