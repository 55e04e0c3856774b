"""Transforms and between-study variance estimators of the inverse-variance methods.

The same computations as metafor's ``escalc`` and ``rma.uni``.

Why not a library
-----------------
The kit claims metafor's numbers (``tests/reference/metafor_reference.json``, ``rtol`` 1e-6),
and the one meta-analysis routine among its dependencies, statsmodels'
``statsmodels.stats.meta_analysis.combine_effects`` (checked against statsmodels 0.15.0), does
not give them:

* its ``method_re`` offers Paule-Mandel (``"iterated"`` / ``"pm"``) and DerSimonian-Laird
  (``"chi2"`` / ``"dl"``) only: no REML and no ML, metafor's default and its alternative;
* its DerSimonian-Laird tau2 is ``(Q - df) / c`` without truncation at 0, so it is negative
  when Q < k - 1 (metafor: 0), and its I2 = 1 - 1 / H2 from Q is negative there too
  (metafor's is ``tau2 / (tau2 + s2)`` with the typical within-study variance
  ``s2 = (k - 1) / tr(P)``, never negative);
* it has no prediction interval (``predict.rma``) and no single-proportion measures: no
  logit, arcsine, log or raw proportion with escalc's 1/2 added to studies with 0 or n events
  (its ``effectsize_2proportions`` compares two groups).

Its Hartung-Knapp interval (``use_t=True`` with the WLS scale) would match ``test = "knha"``;
with the rest written here it is a few lines, and one code path keeps every method alike.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

# Convergence settings. metafor's defaults stop Fisher scoring when tau2 changes by less than
# 1e-5 and its uniroot at tol = eps^0.25; we iterate to the optimum itself, and the reference
# script runs metafor with the same tight settings so the two agree to rounding error.
_THRESHOLD = 1e-12
_MAXITER = 1000
_LL0_TOL = 1e-10


def escalc(events: np.ndarray, totals: np.ndarray, transform: str) -> tuple[np.ndarray, ...]:
    """Observed outcomes yi and sampling variances vi as metafor's ``escalc``."""
    x = events.astype(float)
    n = totals.astype(float)
    if transform == "arcsine":
        # escalc does not add 1/2 for PAS: the arcsine is finite at 0 and 1.
        return np.arcsin(np.sqrt(x / n)), 1.0 / (4.0 * n)
    extreme = (events == 0) | (events == totals)
    x = np.where(extreme, x + 0.5, x)
    n = np.where(extreme, n + 1.0, n)
    m = n - x
    p = x / n
    if transform == "logit":
        return np.log(p / (1.0 - p)), 1.0 / x + 1.0 / m
    if transform == "log":
        return np.log(p), 1.0 / x - 1.0 / n
    return p, p * (1.0 - p) / n  # raw


def back_transform(values: np.ndarray | float, transform: str) -> np.ndarray:
    """Back-transform to the proportion scale (metafor's transf.* functions), within [0, 1]."""
    z = np.asarray(values, dtype=float)
    if transform == "logit":
        out = special.expit(z)
    elif transform == "arcsine":
        out = np.sin(np.clip(z, 0.0, math.pi / 2.0)) ** 2
    elif transform == "log":
        out = np.exp(z)
    else:
        out = z.copy()
    # metafor leaves exp() and the raw scale unbounded; a proportion cannot leave [0, 1].
    return np.clip(out, 0.0, 1.0)


def weighted_mean(yi: np.ndarray, wi: np.ndarray) -> tuple[float, float]:
    """Weighted mean of ``yi`` and the sum of the weights."""
    sw = wi.sum()
    mu = float((wi * yi).sum() / sw)
    return mu, float(sw)


def q_statistic(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    """Generalised Q: weighted squared deviations with weights ``1 / (vi + tau2)``."""
    wi = 1.0 / (vi + tau2)
    mu, _ = weighted_mean(yi, wi)
    return float((wi * (yi - mu) ** 2).sum())


def tau2_dl(yi: np.ndarray, vi: np.ndarray) -> float:
    """DerSimonian-Laird tau2 (method of moments), truncated at 0."""
    wi = 1.0 / vi
    sw = wi.sum()
    q = q_statistic(yi, vi, 0.0)
    tr_p = sw - (wi**2).sum() / sw
    return max(0.0, (q - (yi.size - 1)) / tr_p)


def _loglik(yi: np.ndarray, vi: np.ndarray, tau2: float, reml: bool) -> float:
    wi = 1.0 / (vi + tau2)
    mu, sw = weighted_mean(yi, wi)
    rss = float((wi * (yi - mu) ** 2).sum())
    ll = -0.5 * np.log(vi + tau2).sum() - 0.5 * rss
    if reml:
        ll -= 0.5 * math.log(sw)
    return float(ll)


def tau2_fisher(yi: np.ndarray, vi: np.ndarray, reml: bool) -> float:
    """ML / REML tau2 by metafor's Fisher scoring (start: Hedges' estimator, step halving)."""
    k = yi.size
    rss = float(((yi - yi.mean()) ** 2).sum())
    tau2 = max(0.0, (rss - vi.sum() * (1.0 - 1.0 / k)) / (k - 1))
    for _ in range(_MAXITER):
        wi = 1.0 / (vi + tau2)
        sw = wi.sum()
        mu = (wi * yi).sum() / sw
        pyy = ((wi * (yi - mu)) ** 2).sum()  # Y'PPY
        sw2 = (wi**2).sum()
        if reml:
            tr_p = sw - sw2 / sw
            tr_pp = sw2 - 2.0 * (wi**3).sum() / sw + sw2**2 / sw**2
            adj = (pyy - tr_p) / tr_pp
        else:
            adj = (pyy - sw) / sw2
        while tau2 + adj < 0.0:
            adj /= 2.0
        tau2_new = tau2 + adj
        change = abs(tau2_new - tau2)
        tau2 = float(tau2_new)
        if change <= _THRESHOLD * max(1.0, tau2):
            break
    else:
        # Fisher scoring can oscillate (metafor then stops with "did not converge"); solve
        # the likelihood equation directly instead.
        tau2 = _tau2_score_root(yi, vi, reml)
    # metafor's ll0check: guard against a local maximum away from tau2 = 0
    if tau2 > _THRESHOLD and _loglik(yi, vi, 0.0, reml) - _loglik(yi, vi, tau2, reml) > _LL0_TOL:
        tau2 = 0.0
    return tau2


def _tau2_score_root(yi: np.ndarray, vi: np.ndarray, reml: bool) -> float:
    """Root of the ML / REML score in tau2 >= 0 by Brent's method (Fisher scoring fallback)."""

    def score(tau2: float) -> float:
        wi = 1.0 / (vi + tau2)
        sw = wi.sum()
        mu = (wi * yi).sum() / sw
        pyy = ((wi * (yi - mu)) ** 2).sum()
        return float(pyy - ((sw - (wi**2).sum() / sw) if reml else sw))

    if score(0.0) <= 0.0:
        return 0.0
    upper = max(1.0, 10.0 * float(np.var(yi)))
    while score(upper) > 0.0:
        upper *= 10.0
    return float(optimize.brentq(score, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def tau2_pm(yi: np.ndarray, vi: np.ndarray) -> float:
    """Paule-Mandel: the tau2 at which the generalised Q equals k - 1."""
    target = yi.size - 1.0
    if q_statistic(yi, vi, 0.0) < target:
        return 0.0
    # the bracket only has to contain the root: a multiple of the robust spread of yi
    mad = float(stats.median_abs_deviation(yi, scale="normal"))
    upper = max(100.0, 10.0 * mad**2)
    while q_statistic(yi, vi, upper) > target:
        upper *= 10.0
    root = optimize.brentq(lambda t: q_statistic(yi, vi, t) - target, 0.0, upper,
                           xtol=1e-15, rtol=4 * np.finfo(float).eps)
    return float(root)
