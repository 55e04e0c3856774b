"""Single proportions: exact intervals, random-effects pooling as R metafor, forest plots.

Most numbers the review cites are proportions from small denominators (5 of 12 partial
responses, 4 of 54 asymptomatic lesions). :func:`proportion_ci` gives an honest interval for
one of them; :func:`pool_proportions` pools several the way R's ``metafor`` does
(``rma.uni`` for the inverse-variance methods, ``rma.glmm(measure="PLO")`` for the GLMM);
:func:`plot_forest` draws the result.

Research and teaching material, not clinical decision support: a pooled proportion of
series as heterogeneous as the review's is a description, not a treatment effect.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats
from statsmodels.stats.proportion import proportion_confint

__all__ = [
    "CI_METHODS",
    "POOLING_METHODS",
    "TRANSFORMS",
    "PooledProportion",
    "plot_forest",
    "pool_proportions",
    "proportion_ci",
]

#: Interval methods of :func:`proportion_ci`.
CI_METHODS = ("wilson", "clopper-pearson", "jeffreys", "agresti-coull")
#: Pooling methods of :func:`pool_proportions` (metafor's names).
POOLING_METHODS = ("FE", "DL", "REML", "PM", "ML", "GLMM")
#: Transforms of :func:`pool_proportions` and the metafor ``measure`` each one reproduces.
TRANSFORMS = {"logit": "PLO", "arcsine": "PAS", "log": "PLN", "raw": "PR"}

_STATSMODELS_CI = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
}
_FREEMAN_TUKEY = {"freeman-tukey", "freeman_tukey", "ft", "pft", "double-arcsine"}

# Convergence settings. metafor's defaults stop Fisher scoring when tau2 changes by less than
# 1e-5 and its uniroot at tol = eps^0.25; we iterate to the optimum itself, and the reference
# script runs metafor with the same tight settings so the two agree to rounding error.
_THRESHOLD = 1e-12
_MAXITER = 1000
_LL0_TOL = 1e-10
# lme4's default number of adaptive Gauss-Hermite points in rma.glmm (nAGQ = 7).
_N_AGQ = 7
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite_e.hermegauss(_N_AGQ)
_GH_LOG_WEIGHTS = np.log(_GH_WEIGHTS) + 0.5 * _GH_NODES**2 - 0.5 * math.log(2.0 * math.pi)


# --------------------------------------------------------------------------------------------
# input checks


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating | np.integer):
        raise ValueError(f"alpha must be a number in (0, 1); got {alpha!r}")
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in the open interval (0, 1); got {alpha!r}")
    return alpha


def _as_counts(values: Any, name: str) -> np.ndarray:
    """Return a 1-D int64 array of non-negative whole numbers or raise ValueError."""
    raw = np.asarray(values, dtype=object)
    if any(isinstance(v, str | bytes | bool | np.bool_) for v in raw.reshape(-1)):
        raise ValueError(f"{name} must be whole numbers (counts), not text or booleans; "
                         f"got {values!r}")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of whole numbers; got {values!r}") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    if np.any(arr != np.round(arr)):
        bad = arr[arr != np.round(arr)][0]
        raise ValueError(f"{name} must be whole numbers (counts); got {bad!r}")
    if np.any(arr < 0):
        bad = arr[arr < 0][0]
        raise ValueError(f"{name} must be non-negative counts; got {bad!r}")
    return arr.astype(np.int64)


def _check_pair(events: np.ndarray, totals: np.ndarray) -> None:
    if events.shape != totals.shape:
        raise ValueError(
            f"events and totals must have the same length; got {events.size} events and "
            f"{totals.size} totals"
        )
    if events.size == 0:
        raise ValueError("events and totals must hold at least one study (k >= 1); got k = 0")
    if np.any(totals == 0):
        raise ValueError("totals must be positive (a proportion needs a denominator of >= 1)")
    if np.any(events > totals):
        i = int(np.argmax(events > totals))
        raise ValueError(
            f"events must not exceed totals; study {i + 1} has {events[i]} events of {totals[i]}"
        )


def _check_choice(value: Any, name: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {set(allowed)}; got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# single proportions


def proportion_ci(
    k: int, n: int, method: str = "wilson", alpha: float = 0.05
) -> tuple[float, float]:
    """Confidence interval for one binomial proportion ``k / n``.

    Parameters
    ----------
    k : int
        Number of events, ``0 <= k <= n``.
    n : int
        Number of trials, ``n >= 1``.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Interval method. Wilson (score) is the default recommended by Brown, Cai & DasGupta
        (2001) for small n; Clopper-Pearson is the exact (conservative) interval.
    alpha : float in (0, 1)
        One minus the confidence level.

    Returns
    -------
    tuple of float
        ``(lower, upper)`` on the proportion scale, within [0, 1].

    Raises
    ------
    ValueError
        For negative or non-integer counts, ``k > n``, ``n = 0``, ``alpha`` outside (0, 1) or
        an unknown method.

    Notes
    -----
    The intervals come from :func:`statsmodels.stats.proportion.proportion_confint`.
    The Jeffreys interval follows Brown, Cai & DasGupta (2001, section 4.1.2): its lower bound
    is set to 0 when ``k = 0`` and its upper bound to 1 when ``k = n`` (statsmodels returns the
    raw beta quantiles). Verified against R's ``binom.test`` (Clopper-Pearson),
    ``prop.test(correct = FALSE)`` (Wilson), ``qbeta`` (Jeffreys) and the Agresti-Coull formula
    in ``tests/reference/make_reference.R``.

    References
    ----------
    Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Statistical
    Science 2001;16:101-133.
    """
    method = _check_choice(method, "method", CI_METHODS)
    alpha = _check_alpha(alpha)
    kk = _as_counts(k, "k")
    nn = _as_counts(n, "n")
    if kk.size != 1 or nn.size != 1:
        raise ValueError("k and n must be single counts; use pool_proportions for several")
    k_i, n_i = int(kk[0]), int(nn[0])
    if n_i == 0:
        raise ValueError("n must be a positive count (n >= 1); got 0")
    if k_i > n_i:
        raise ValueError(f"k must not exceed n; got k = {k_i}, n = {n_i}")
    low, high = proportion_confint(k_i, n_i, alpha=alpha, method=_STATSMODELS_CI[method])
    low, high = float(low), float(high)
    if method in ("jeffreys", "wilson"):
        # Jeffreys: Brown, Cai & DasGupta's end-point rule. Wilson: the score interval's end
        # points are exactly 0 and 1 here; statsmodels returns them with rounding error.
        if k_i == 0:
            low = 0.0
        if k_i == n_i:
            high = 1.0
    return min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)


# --------------------------------------------------------------------------------------------
# transforms (metafor escalc measures PLO, PAS, PLN, PR with its default add = 1/2, to = "only0")


def _escalc(events: np.ndarray, totals: np.ndarray, transform: str) -> tuple[np.ndarray, ...]:
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


def _back(values: np.ndarray | float, transform: str) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------
# inverse-variance random-effects (rma.uni)


def _weighted(yi: np.ndarray, wi: np.ndarray) -> tuple[float, float]:
    sw = wi.sum()
    mu = float((wi * yi).sum() / sw)
    return mu, float(sw)


def _q_stat(yi: np.ndarray, vi: np.ndarray, tau2: float) -> float:
    wi = 1.0 / (vi + tau2)
    mu, _ = _weighted(yi, wi)
    return float((wi * (yi - mu) ** 2).sum())


def _tau2_dl(yi: np.ndarray, vi: np.ndarray) -> float:
    wi = 1.0 / vi
    sw = wi.sum()
    q = _q_stat(yi, vi, 0.0)
    tr_p = sw - (wi**2).sum() / sw
    return max(0.0, (q - (yi.size - 1)) / tr_p)


def _loglik(yi: np.ndarray, vi: np.ndarray, tau2: float, reml: bool) -> float:
    wi = 1.0 / (vi + tau2)
    mu, sw = _weighted(yi, wi)
    rss = float((wi * (yi - mu) ** 2).sum())
    ll = -0.5 * np.log(vi + tau2).sum() - 0.5 * rss
    if reml:
        ll -= 0.5 * math.log(sw)
    return float(ll)


def _tau2_fisher(yi: np.ndarray, vi: np.ndarray, reml: bool) -> float:
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


def _tau2_pm(yi: np.ndarray, vi: np.ndarray) -> float:
    """Paule-Mandel: the tau2 at which the generalised Q equals k - 1."""
    target = yi.size - 1.0
    if _q_stat(yi, vi, 0.0) < target:
        return 0.0
    mad = 1.4826 * float(np.median(np.abs(yi - np.median(yi))))
    upper = max(100.0, 10.0 * mad**2)
    while _q_stat(yi, vi, upper) > target:
        upper *= 10.0
    root = optimize.brentq(
        lambda t: _q_stat(yi, vi, t) - target, 0.0, upper, xtol=1e-15, rtol=4 * np.finfo(float).eps
    )
    return float(root)


# --------------------------------------------------------------------------------------------
# GLMM: random-intercept logistic model by ML with adaptive Gauss-Hermite quadrature


def _conditional_modes(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-study mode of the integrand on the spherical scale u ~ N(0, 1), and its sd."""

    def h(uu: np.ndarray) -> np.ndarray:
        eta = mu + tau * uu
        return x * eta - n * np.logaddexp(0.0, eta) - 0.5 * uu**2

    cur = h(u)
    for _ in range(100):
        p = special.expit(mu + tau * u)
        grad = tau * (x - n * p) - u
        curv = tau * tau * n * p * (1.0 - p) + 1.0
        step = grad / curv
        new = u + step
        val = h(new)
        for _ in range(30):  # step halving where the objective did not improve
            worse = val < cur - 1e-12 * np.abs(cur)
            if not worse.any():
                break
            step = np.where(worse, step / 2.0, step)
            new = u + step
            val = h(new)
        u, cur = new, val
        if np.max(np.abs(step)) < 1e-10:
            break
    p = special.expit(mu + tau * u)
    sd = 1.0 / np.sqrt(tau * tau * n * p * (1.0 - p) + 1.0)
    return u, sd


def _agq_terms(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u: np.ndarray, sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Log marginal likelihood per study (without the binomial constant) and node quantities."""
    nodes = u[:, None] + sd[:, None] * _GH_NODES[None, :]
    eta = mu + tau * nodes
    logf = x[:, None] * eta - n[:, None] * np.logaddexp(0.0, eta) - 0.5 * nodes**2
    terms = logf + _GH_LOG_WEIGHTS[None, :]
    ll = special.logsumexp(terms, axis=1) + np.log(sd)
    return ll, terms, nodes, eta


def _glmm_negll(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u0: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    u, sd = _conditional_modes(mu, tau, x, n, u0)
    ll, _, _, _ = _agq_terms(mu, tau, x, n, u, sd)
    return -float(ll.sum()), u, sd


def _glmm_derivs(
    mu: float, tau: float, x: np.ndarray, n: np.ndarray, u: np.ndarray, sd: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and approximate Hessian of the negative log-likelihood in (mu, tau).

    The gradient is exact for the AGQ approximation, including how the adaptive centre and
    scale move with (mu, tau) (implicit differentiation of the mode equation); lme4
    optimises that same function. The Hessian holds the nodes fixed, which is accurate
    enough to steer Newton steps.
    """
    _, terms, nodes, eta = _agq_terms(mu, tau, x, n, u, sd)
    pi = special.softmax(terms, axis=1)  # normalised node weights per study
    p = special.expit(eta)
    r = x[:, None] - n[:, None] * p  # d logf / d eta at the nodes
    c = n[:, None] * p * (1.0 - p)
    # fixed-node derivatives
    g_mu = (pi * r).sum(axis=1)
    g_tau = (pi * r * nodes).sum(axis=1)
    h_mm = -(pi * c).sum(axis=1) + (pi * r * r).sum(axis=1) - g_mu**2
    h_mt = -(pi * c * nodes).sum(axis=1) + (pi * r * r * nodes).sum(axis=1) - g_mu * g_tau
    h_tt = -(pi * c * nodes**2).sum(axis=1) + (pi * (r * nodes) ** 2).sum(axis=1) - g_tau**2
    hess = -np.array([[h_mm.sum(), h_mt.sum()], [h_mt.sum(), h_tt.sum()]])
    # how the adaptive centre u and scale sd move with (mu, tau)
    p0 = special.expit(mu + tau * u)
    c0 = n * p0 * (1.0 - p0)
    var_u = sd * sd
    du_mu = var_u * (-tau * c0)
    du_tau = var_u * ((x - n * p0) - tau * c0 * u)
    dc = c0 * (1.0 - 2.0 * p0)
    deta_mu = 1.0 + tau * du_mu
    deta_tau = u + tau * du_tau
    dsd_mu = -0.5 * sd**3 * (tau * tau * dc * deta_mu)
    dsd_tau = -0.5 * sd**3 * (2.0 * tau * c0 + tau * tau * dc * deta_tau)
    a_u = (pi * (tau * r - nodes)).sum(axis=1)
    a_uz = (pi * (tau * r - nodes) * _GH_NODES[None, :]).sum(axis=1)
    d_mu = dsd_mu / sd + g_mu + a_u * du_mu + a_uz * dsd_mu
    d_tau = dsd_tau / sd + g_tau + a_u * du_tau + a_uz * dsd_tau
    grad = -np.array([d_mu.sum(), d_tau.sum()])
    return grad, hess


def _fit_glmm(
    events: np.ndarray, totals: np.ndarray, mu0: float, tau0: float
) -> tuple[float, float, float]:
    """Maximum-likelihood (mu, tau) and var(mu) of the random-intercept logistic model."""
    x = events.astype(float)
    n = totals.astype(float)
    theta = np.array([mu0, max(tau0, 0.3)])
    u = np.zeros_like(x)
    f, u, sd = _glmm_negll(theta[0], theta[1], x, n, u)
    restarted = False
    for _ in range(200):
        grad, hess = _glmm_derivs(theta[0], theta[1], x, n, u, sd)
        # Newton step, made a descent direction when the Hessian is not positive definite
        eig_min = float(np.linalg.eigvalsh(hess)[0])
        lam = 1e-6 - eig_min + 1e-3 * abs(eig_min) if eig_min <= 1e-10 else 0.0
        step = -np.linalg.solve(hess + lam * np.eye(2), grad)
        # trust region: far from the optimum the likelihood can be nearly flat in tau and a
        # full Newton step would leap into the tau -> infinity valley
        longest = float(np.max(np.abs(step)))
        if longest > 1.0:
            step /= longest
        slope = float(grad @ step)
        t = 1.0
        for _ in range(60):
            cand = theta + t * step
            f_new, u_new, sd_new = _glmm_negll(cand[0], cand[1], x, n, u)
            if f_new <= f + 1e-4 * t * slope or abs(f_new - f) <= 1e-13 * abs(f):
                break
            t /= 2.0
        converged = np.max(np.abs(cand - theta)) < 1e-10
        theta, f, u, sd = cand, f_new, u_new, sd_new
        if converged:
            # The likelihood is even in tau, so tau = 0 is always stationary; if it is a
            # saddle (the likelihood grows away from it), restart from a larger tau.
            if abs(theta[1]) < 1e-6 and not restarted:
                _, hess0 = _glmm_derivs(theta[0], 0.0, x, n, u, sd)
                restarted = True
                if hess0[1, 1] < 0.0:
                    theta = np.array([theta[0], 1.0])
                    f, u, sd = _glmm_negll(theta[0], theta[1], x, n, u)
                    continue
            break
    mu, tau = float(theta[0]), abs(float(theta[1]))
    if tau < 1e-6:
        tau = 0.0
    u, sd = _conditional_modes(mu, tau, x, n, u * (1.0 if theta[1] >= 0 else -1.0))
    var_mu = math.nan
    if tau > 0.0:
        # lme4: var(beta) from the inverse of the finite-difference Hessian of the deviance
        # in (theta, beta); here central differences of the exact gradient.
        delta = 1e-5
        hess = np.empty((2, 2))
        for j in range(2):
            e = np.zeros(2)
            e[j] = delta
            up = _glmm_derivs(
                *(np.array([mu, tau]) + e),
                x,
                n,
                *_conditional_modes(*(np.array([mu, tau]) + e), x, n, u),
            )[0]
            dn = _glmm_derivs(
                *(np.array([mu, tau]) - e),
                x,
                n,
                *_conditional_modes(*(np.array([mu, tau]) - e), x, n, u),
            )[0]
            hess[:, j] = (up - dn) / (2.0 * delta)
        hess = 0.5 * (hess + hess.T)
        try:
            inv = np.linalg.inv(hess)
            if np.all(np.linalg.eigvalsh(inv) > 0):
                var_mu = float(inv[0, 0])
        except np.linalg.LinAlgError:
            pass
    if not math.isfinite(var_mu):
        # lme4's fallback (RX): variance of beta given tau at the conditional modes
        p = special.expit(mu + tau * u)
        w = n * p * (1.0 - p)
        var_mu = 1.0 / float((w / (1.0 + tau * tau * w)).sum())
    return mu, tau, var_mu


def _binom_loglik(x: np.ndarray, n: np.ndarray, p: np.ndarray) -> float:
    return float(special.xlogy(x, p).sum() + special.xlog1py(n - x, -p).sum())


# --------------------------------------------------------------------------------------------
# result


@dataclass(frozen=True, eq=False)
class PooledProportion:
    """Result of :func:`pool_proportions`.

    Attributes
    ----------
    estimate, ci_low, ci_high : float
        Pooled proportion and its confidence interval, back-transformed to [0, 1].
    pi_low, pi_high : float
        Prediction interval for the proportion in a new series (``predict.rma``), [0, 1].
    tau2 : float
        Between-study variance on the transformed scale (0 for ``"FE"``, NaN when k = 1).
    i2 : float
        I^2 in percent; ``h2`` : H^2.
    q, q_df, q_pvalue : float
        Cochran's Q test of heterogeneity (GLMM: the Wald test of the saturated model,
        metafor's ``QE.Wld``; the likelihood-ratio version is ``q_lrt``, ``q_lrt_pvalue``).
    k : int
        Number of studies.
    method, transform : str
        As requested.
    hakn : bool
        Whether the Hartung-Knapp adjustment (GLMM: t distribution) was used.
    alpha : float
        One minus the confidence level.
    mu, se : float
        Pooled estimate and its standard error on the transformed scale (``b``, ``se``).
    crit : float
        The z or t quantile used for the intervals.
    studies : pandas.DataFrame
        One row per study: ``label``, ``events``, ``total``, ``proportion``, ``yi``, ``vi``
        (transformed scale, after metafor's 1/2 correction), ``weight`` (percent),
        ``ci_low``, ``ci_high`` (Wald interval yi +/- z sqrt(vi), back-transformed).
    """

    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    k: int
    method: str
    transform: str
    hakn: bool
    alpha: float
    mu: float
    se: float
    crit: float
    studies: pd.DataFrame
    q_lrt: float = math.nan
    q_lrt_pvalue: float = math.nan

    def summary_frame(self) -> pd.DataFrame:
        """Studies and the pooled estimate in one table, proportions on the [0, 1] scale.

        Returns
        -------
        pandas.DataFrame
            Indexed by study label plus a final row ``"pooled (<method>)"``; columns
            ``events``, ``total``, ``proportion``, ``ci_low``, ``ci_high``, ``weight``
            (percent), ``pi_low``, ``pi_high`` (pooled row only).
        """
        st = self.studies
        frame = pd.DataFrame(
            {
                "events": st["events"].astype(float),
                "total": st["total"].astype(float),
                "proportion": st["proportion"],
                "ci_low": st["ci_low"],
                "ci_high": st["ci_high"],
                "weight": st["weight"],
                "pi_low": math.nan,
                "pi_high": math.nan,
            }
        )
        frame.index = pd.Index(st["label"], name="study")
        pooled = pd.DataFrame(
            {
                "events": [float(st["events"].sum())],
                "total": [float(st["total"].sum())],
                "proportion": [self.estimate],
                "ci_low": [self.ci_low],
                "ci_high": [self.ci_high],
                "weight": [100.0],
                "pi_low": [self.pi_low],
                "pi_high": [self.pi_high],
            },
            index=pd.Index([f"pooled ({self.method})"], name="study"),
        )
        return pd.concat([frame, pooled])

    def __repr__(self) -> str:
        level = round(100 * (1 - self.alpha))
        return (
            f"PooledProportion(method={self.method!r}, transform={self.transform!r}, k={self.k}, "
            f"estimate={self.estimate:.4f}, {level}% CI {self.ci_low:.4f}-{self.ci_high:.4f}, "
            f"PI {self.pi_low:.4f}-{self.pi_high:.4f}, tau2={self.tau2:.4g}, "
            f"I2={self.i2:.1f}%)"
        )


# --------------------------------------------------------------------------------------------
# pooling


def pool_proportions(
    events: Sequence[int] | np.ndarray,
    totals: Sequence[int] | np.ndarray,
    *,
    method: str = "REML",
    transform: str = "logit",
    hakn: bool = False,
    alpha: float = 0.05,
    labels: Sequence[str] | None = None,
) -> PooledProportion:
    """Pool single proportions by fixed- or random-effects meta-analysis, as R's metafor.

    Parameters
    ----------
    events, totals : sequence of int
        Events and denominators per study, same length k >= 1, ``0 <= events <= totals``,
        ``totals >= 1``.
    method : {"FE", "DL", "REML", "PM", "ML", "GLMM"}
        ``"FE"`` fixed (common) effect; ``"DL"`` DerSimonian-Laird; ``"REML"`` restricted
        maximum likelihood (default, as metafor); ``"PM"`` Paule-Mandel; ``"ML"`` maximum
        likelihood; ``"GLMM"`` random-intercept logistic regression fitted by maximum
        likelihood with 7-point adaptive Gauss-Hermite quadrature and no continuity
        correction (``rma.glmm(measure = "PLO")``, which fits it with lme4's ``glmer``).
    transform : {"logit", "arcsine", "log", "raw"}
        Scale on which the inverse-variance methods pool (metafor measures PLO, PAS, PLN,
        PR). ``"GLMM"`` needs ``"logit"``. Freeman-Tukey is refused on purpose: its
        back-transformation needs a single sample size and can give misleading pooled
        proportions (Schwarzer et al. 2019).
    hakn : bool
        Hartung-Knapp(-Sidik-Jonkman) adjustment, metafor's ``test = "knha"``: standard error
        rescaled by the weighted residual variance, t quantiles with k - 1 df. For ``"GLMM"``
        metafor has no rescaling; ``hakn=True`` then gives its ``test = "t"`` (t quantiles).
    alpha : float in (0, 1)
        One minus the confidence level of the confidence and prediction intervals.
    labels : sequence of str, optional
        Study labels, default ``"Study 1"`` ... ``"Study k"``.

    Returns
    -------
    PooledProportion

    Raises
    ------
    ValueError
        For negative or non-integer counts, events > totals, mismatched lengths, k = 0,
        alpha outside (0, 1), an unknown method or transform, Freeman-Tukey, ``"GLMM"`` with
        another transform than ``"logit"``, or ``"GLMM"`` when every study has 0 events or
        every study has only events (no finite maximum-likelihood estimate).

    Warns
    -----
    UserWarning
        With k = 1: nothing is pooled; the study's own estimate and Wald interval are
        returned, tau2, I2 and H2 are NaN and the prediction interval equals the CI. With
        ``method="FE"`` and ``hakn=True``, as metafor.

    Notes
    -----
    Studies with 0 or n events get 1/2 added to events and non-events for the
    inverse-variance methods on the logit, log and raw scales, metafor's ``escalc`` default
    (``add = 1/2, to = "only0"``); the arcsine needs no correction. ML and REML use metafor's
    Fisher scoring (Hedges start, step halving, check against tau2 = 0) iterated to
    convergence; where it oscillates (metafor then stops with "did not converge") the score
    equation is solved with Brent's method, which reaches the optimum metafor finds with
    ``stepadj = 0.5``. Paule-Mandel solves the generalised Q equation with Brent's method. The
    prediction interval is ``predict.rma``'s: ``mu +/- crit * sqrt(se^2 + tau2)`` (equal to
    the CI for ``"FE"``). I2 and H2 use metafor's typical within-study variance
    ``(k - 1) / tr(P)``; for ``"FE"`` they come from Q. For ``"GLMM"``, ``se`` is lme4's
    (inverse Hessian of the deviance in (tau, mu)), Q is the Wald test of the saturated
    logistic model (studies with 0 or n events contribute nothing in its limit) and the study
    weights are the approximate inverse-variance weights ``1/(vi + tau2)``, shown for
    plotting only. Metafor leaves back-transformed bounds on the log and raw scales
    unbounded; here every bound is clipped to [0, 1].

    Every method x transform x hakn combination is compared with metafor (``rtol`` 1e-6,
    GLMM 1e-4) on the datasets in ``tests/reference/metafor_reference.json``.

    References
    ----------
    Viechtbauer W. Conducting meta-analyses in R with the metafor package. J Stat Softw
    2010;36(3). Schwarzer G, Chemaitelly H, Abu-Raddad LJ, Ruecker G. Seriously misleading
    results using inverse of Freeman-Tukey double arcsine transformation in meta-analysis of
    single proportions. Res Synth Methods 2019;10:476-483. Stijnen T, Hamza TH, Ozdemir P.
    Random effects meta-analysis of event outcome in the framework of the generalized linear
    mixed model. Stat Med 2010;29:3046-3067.
    """
    if isinstance(transform, str) and transform.lower().replace(" ", "-") in _FREEMAN_TUKEY:
        raise ValueError(
            "transform 'freeman-tukey' is deliberately not offered: back-transforming a pooled "
            "Freeman-Tukey value needs one sample size for all studies and can give seriously "
            "misleading proportions (Schwarzer et al. 2019). Use one of "
            f"{set(TRANSFORMS)} or method='GLMM'."
        )
    method = _check_choice(method, "method", POOLING_METHODS)
    transform = _check_choice(transform, "transform", tuple(TRANSFORMS))
    if not isinstance(hakn, bool | np.bool_):
        raise ValueError(f"hakn must be True or False; got {hakn!r}")
    hakn = bool(hakn)
    alpha = _check_alpha(alpha)
    ev = _as_counts(events, "events")
    tot = _as_counts(totals, "totals")
    _check_pair(ev, tot)
    k = int(ev.size)
    if labels is None:
        label_list = [f"Study {i + 1}" for i in range(k)]
    else:
        label_list = [str(label) for label in labels]
        if len(label_list) != k:
            raise ValueError(f"labels must have one entry per study ({k}); got {len(label_list)}")
    if method == "GLMM" and transform != "logit":
        raise ValueError(
            f"method 'GLMM' is the logistic model (metafor rma.glmm measure='PLO') and needs "
            f"transform='logit'; got transform={transform!r}"
        )

    yi, vi = _escalc(ev, tot, transform)
    z = float(stats.norm.isf(alpha / 2.0))

    if k == 1:
        return _single_study(ev, tot, yi, vi, z, label_list, method, transform, hakn, alpha)
    if method == "FE" and hakn:
        warnings.warn(
            "The Knapp & Hartung method is not meant to be used with fixed-effect (FE) models "
            "(as metafor warns).",
            UserWarning,
            stacklevel=2,
        )

    # heterogeneity statistics from the fixed-effect weights (metafor rma.uni)
    w0 = 1.0 / vi
    sw0 = w0.sum()
    q_iv = max(0.0, _q_stat(yi, vi, 0.0))
    tr_p = sw0 - (w0**2).sum() / sw0
    vt = (k - 1) / tr_p
    q_lrt = q_lrt_p = math.nan

    if method == "GLMM":
        if np.all(ev == 0) or np.all(ev == tot):
            raise ValueError(
                "method 'GLMM' has no finite maximum-likelihood estimate when every study has "
                "0 events or every study has only events; use an inverse-variance method "
                "(e.g. method='REML'), which adds 1/2 to such studies"
            )
        yl, vl = _escalc(ev, tot, "logit")
        tau2_start = _tau2_dl(yl, vl)
        mu0, _ = _weighted(yl, 1.0 / (vl + tau2_start))
        mu, tau, var_mu = _fit_glmm(ev, tot, mu0, math.sqrt(tau2_start))
        tau2 = tau * tau
        se = math.sqrt(var_mu)
        crit = float(stats.t.isf(alpha / 2.0, k - 1)) if hakn else z
        x = ev.astype(float)
        n = tot.astype(float)
        inner = (ev > 0) & (ev < tot)
        if inner.sum() >= 2:
            q = _q_stat(np.log(x[inner] / (n - x)[inner]), 1.0 / x[inner] + 1.0 / (n - x)[inner], 0)
        else:
            q = 0.0
        ll_fe = _binom_loglik(x, n, np.full(k, x.sum() / n.sum()))
        ll_sat = _binom_loglik(x, n, x / n)
        q_lrt = max(0.0, -2.0 * (ll_fe - ll_sat))
        q_lrt_p = float(stats.chi2.sf(q_lrt, k - 1))
        q_iv = q
        i2 = 100.0 * tau2 / (vt + tau2)
        h2 = tau2 / vt + 1.0
        weights = 1.0 / (vi + tau2)
    else:
        if method == "FE":
            tau2 = 0.0
        elif method == "DL":
            tau2 = _tau2_dl(yi, vi)
        elif method == "PM":
            tau2 = _tau2_pm(yi, vi)
        else:
            tau2 = _tau2_fisher(yi, vi, reml=(method == "REML"))
        weights = 1.0 / (vi + tau2)
        mu, sw = _weighted(yi, weights)
        var_mu = 1.0 / sw
        if hakn:
            rss = float((weights * (yi - mu) ** 2).sum())
            s2w = 0.0 if rss <= np.finfo(float).eps else rss / (k - 1)
            var_mu *= s2w
            crit = float(stats.t.isf(alpha / 2.0, k - 1))
        else:
            crit = z
        se = math.sqrt(var_mu)
        if method == "FE":
            i2 = max(0.0, 100.0 * (q_iv - (k - 1)) / q_iv) if q_iv > 0 else 0.0
            h2 = q_iv / (k - 1)
        else:
            i2 = 100.0 * tau2 / (vt + tau2)
            h2 = tau2 / vt + 1.0

    ci = (mu - crit * se, mu + crit * se)
    half_pi = crit * math.sqrt(se * se + tau2)
    pi = (mu - half_pi, mu + half_pi)
    studies = _studies_frame(ev, tot, yi, vi, weights, z, label_list, transform)
    lo, hi, plo, phi, est = _back(np.array([ci[0], ci[1], pi[0], pi[1], mu]), transform)
    return PooledProportion(
        estimate=float(est),
        ci_low=float(min(lo, hi)),
        ci_high=float(max(lo, hi)),
        pi_low=float(min(plo, phi)),
        pi_high=float(max(plo, phi)),
        tau2=float(tau2),
        i2=float(i2),
        h2=float(h2),
        q=float(q_iv),
        q_df=k - 1,
        q_pvalue=float(stats.chi2.sf(q_iv, k - 1)),
        k=k,
        method=method,
        transform=transform,
        hakn=hakn,
        alpha=alpha,
        mu=float(mu),
        se=float(se),
        crit=crit,
        studies=studies,
        q_lrt=float(q_lrt),
        q_lrt_pvalue=float(q_lrt_p),
    )


def _studies_frame(
    ev: np.ndarray,
    tot: np.ndarray,
    yi: np.ndarray,
    vi: np.ndarray,
    weights: np.ndarray,
    z: float,
    labels: list[str],
    transform: str,
) -> pd.DataFrame:
    half = z * np.sqrt(vi)
    return pd.DataFrame(
        {
            "label": labels,
            "events": ev,
            "total": tot,
            "proportion": ev / tot,
            "yi": yi,
            "vi": vi,
            "weight": 100.0 * weights / weights.sum(),
            "ci_low": _back(yi - half, transform),
            "ci_high": _back(yi + half, transform),
        }
    )


def _single_study(
    ev: np.ndarray,
    tot: np.ndarray,
    yi: np.ndarray,
    vi: np.ndarray,
    z: float,
    labels: list[str],
    method: str,
    transform: str,
    hakn: bool,
    alpha: float,
) -> PooledProportion:
    warnings.warn(
        "Only one study (k = 1): nothing to pool. Returning the study's own estimate and "
        f"Wald interval on the {transform} scale; tau2, I2 and H2 are undefined (NaN) and the "
        "prediction interval equals the confidence interval.",
        UserWarning,
        stacklevel=3,
    )
    studies = _studies_frame(ev, tot, yi, vi, np.ones(1), z, labels, transform)
    mu, se = float(yi[0]), float(math.sqrt(vi[0]))
    est = float(_back(mu, transform))
    lo, hi = float(studies["ci_low"].iloc[0]), float(studies["ci_high"].iloc[0])
    return PooledProportion(
        estimate=est,
        ci_low=lo,
        ci_high=hi,
        pi_low=lo,
        pi_high=hi,
        tau2=math.nan,
        i2=math.nan,
        h2=math.nan,
        q=0.0,
        q_df=0,
        q_pvalue=math.nan,
        k=1,
        method=method,
        transform=transform,
        hakn=hakn,
        alpha=alpha,
        mu=mu,
        se=se,
        crit=z,
        studies=studies,
    )


# --------------------------------------------------------------------------------------------
# forest plot


def plot_forest(
    result: PooledProportion,
    ax: Any = None,
    *,
    title: str | None = None,
    xlabel: str = "Proportion",
    percent: bool = True,
    show_counts: bool = True,
    study_ci: str = "clopper-pearson",
) -> Any:
    """Forest plot of a :class:`PooledProportion`.

    One row per study (square sized by its weight, horizontal line for its interval), the
    pooled estimate as a diamond spanning its confidence interval, the prediction interval as
    a bar beneath it, and a line with I^2, tau^2 and Q. Each row is annotated with
    ``events/total`` and ``estimate [CI]`` on the right.

    Parameters
    ----------
    result : PooledProportion
        Output of :func:`pool_proportions`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    title : str, optional
        Title; by default it names the method and transform.
    xlabel : str
        Label of the x axis.
    percent : bool
        Show the axis and annotations in percent (True) or as proportions.
    show_counts : bool
        Write ``events/total`` next to each study.
    study_ci : {"clopper-pearson", "wilson", "jeffreys", "agresti-coull", "model"}
        Interval drawn for each study around its observed proportion ``events/total``. The
        default exact interval suits small series; ``"model"`` draws the Wald interval on the
        pooling scale (``studies.ci_low``/``ci_high``, as metafor's forest plot), which is
        centred on the 1/2-corrected value for studies with 0 or n events.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Polygon
    from matplotlib.transforms import blended_transform_factory

    if not isinstance(result, PooledProportion):
        raise ValueError(f"result must be a PooledProportion; got {type(result).__name__}")
    _check_choice(study_ci, "study_ci", (*CI_METHODS, "model"))
    st = result.studies
    k = result.k
    if study_ci == "model":
        s_low, s_high = st["ci_low"].to_numpy(), st["ci_high"].to_numpy()
    else:
        bounds = [
            proportion_ci(int(e), int(n), method=study_ci, alpha=result.alpha)
            for e, n in zip(st["events"], st["total"], strict=True)
        ]
        s_low, s_high = np.array(bounds).T
    if ax is None:
        _, ax = plt.subplots(figsize=(9.0, 1.6 + 0.42 * (k + 3)))
    scale = 100.0 if percent else 1.0
    unit = "%" if percent else ""
    fmt = "{:.1f}" if percent else "{:.3f}"

    def label(p: float, lo: float, hi: float) -> str:
        return f"{fmt.format(p * scale)}{unit} [{fmt.format(lo * scale)}, {fmt.format(hi * scale)}]"

    ys = np.arange(k, 0, -1, dtype=float) + 2.0  # studies top-down, pooled rows below
    weights = st["weight"].to_numpy()
    sizes = 15.0 + 85.0 * weights / max(weights.max(), 1e-12)  # marker area ~ weight
    ax.hlines(ys, s_low * scale, s_high * scale, color="0.25", lw=1.2, zorder=2)
    ax.scatter(
        st["proportion"] * scale,
        ys,
        s=sizes,
        marker="s",
        color="0.25",
        zorder=3,
        label="study (size ~ weight)",
    )
    y_pool = 1.0
    diamond = Polygon(
        [
            (result.ci_low * scale, y_pool),
            (result.estimate * scale, y_pool + 0.3),
            (result.ci_high * scale, y_pool),
            (result.estimate * scale, y_pool - 0.3),
        ],
        closed=True,
        color="tab:blue",
        zorder=4,
        label=f"pooled estimate, {round(100 * (1 - result.alpha))}% CI",
    )
    ax.add_patch(diamond)
    y_pi = 0.25
    if k > 1:
        ax.hlines(
            y_pi,
            result.pi_low * scale,
            result.pi_high * scale,
            color="tab:red",
            lw=3.0,
            zorder=3,
            label="prediction interval",
        )
        ax.vlines(
            [result.pi_low * scale, result.pi_high * scale],
            y_pi - 0.15,
            y_pi + 0.15,
            color="tab:red",
            lw=1.5,
            zorder=3,
        )
    ax.axvline(result.estimate * scale, color="tab:blue", lw=0.8, ls=":", zorder=1)

    text_tf = blended_transform_factory(ax.transAxes, ax.transData)
    rows = [
        (
            y,
            st["events"].iloc[i],
            st["total"].iloc[i],
            label(st["proportion"].iloc[i], s_low[i], s_high[i]),
            f"{weights[i]:.1f}%",
        )
        for i, y in enumerate(ys)
    ]
    for y, e, n, est_text, w_text in rows:
        counts = f"{e}/{n}   " if show_counts else ""
        ax.text(
            1.02, y, f"{counts}{est_text}   {w_text}", transform=text_tf, va="center", fontsize=8.5
        )
    pooled_name = {"FE": "Fixed effect", "GLMM": "GLMM (random effects)"}.get(
        result.method, f"Random effects ({result.method})"
    )
    if k == 1:
        pooled_name = "Single study (not pooled)"
    level = f"{100 * (1 - result.alpha):g}%"
    ax.text(
        1.02,
        y_pool,
        label(result.estimate, result.ci_low, result.ci_high),
        transform=text_tf,
        va="center",
        fontsize=8.5,
        fontweight="bold",
    )
    if k > 1:
        ax.text(
            1.02,
            y_pi,
            "PI " + label(result.estimate, result.pi_low, result.pi_high).split(" ", 1)[1],
            transform=text_tf,
            va="center",
            fontsize=8.5,
            color="tab:red",
        )
    header = ("events/total   " if show_counts else "") + f"estimate [{level} CI]   weight"
    ax.text(1.02, k + 3.0, header, transform=text_tf, va="center", fontsize=8.5, fontweight="bold")

    ax.set_yticks(list(ys) + [y_pool] + ([y_pi] if k > 1 else []))
    ax.set_yticklabels(
        list(st["label"]) + [pooled_name] + (["Prediction interval"] if k > 1 else [])
    )
    ax.set_ylim(-1.3, k + 3.6)
    ax.set_xlim(-0.02 * scale, 1.02 * scale)
    ax.set_xlabel(f"{xlabel} ({unit or 'proportion'})" if percent else xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="0.9", lw=0.6, zorder=0)

    if k > 1:
        het = (
            f"Heterogeneity: I\u00b2 = {result.i2:.1f}%, \u03c4\u00b2 = {result.tau2:.3g} "
            f"({result.transform} scale), Q = {result.q:.2f} (df = {result.q_df}, "
            f"p = {result.q_pvalue:.3g})"
        )
    else:
        het = "Single study: nothing pooled, heterogeneity undefined"
    extra = ", Hartung-Knapp" if result.hakn and result.method != "GLMM" else ""
    ax.text(0.01, -0.45, het + extra, transform=text_tf, va="center", fontsize=8.5)
    ci_name = {
        "model": "Wald, model scale",
        "clopper-pearson": "Clopper-Pearson",
        "wilson": "Wilson",
        "jeffreys": "Jeffreys",
        "agresti-coull": "Agresti-Coull",
    }[study_ci]
    key = f"Squares: observed proportions (area ~ weight), lines: {level} CI ({ci_name}); " + (
        f"diamond: {level} CI of the pooled estimate; red bar: {level} prediction interval"
        if k > 1
        else f"diamond: {level} Wald CI on the {result.transform} scale"
    )
    ax.text(0.01, -0.95, key, transform=text_tf, va="center", fontsize=7.5, color="0.35")
    if title is None:
        title = f"{pooled_name}, {result.transform} transform, k = {k}"
    ax.set_title(title, fontsize=10, loc="left")
    return ax
