"""pool_proportions: random-effects pooling of single proportions, as R metafor.

Written here rather than on statsmodels' ``combine_effects``, which lacks REML, ML, the
prediction interval and the single-proportion measures (see
:mod:`thyroid_evidence.proportions.estimators`, "Why not a library"); the GLMM is
:mod:`thyroid_evidence.proportions.glmm`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from thyroid_evidence.exceptions import PoolingWarning
from thyroid_evidence.proportions._checks import FREEMAN_TUKEY_NAMES, check_pair
from thyroid_evidence.proportions.estimators import (
    back_transform,
    escalc,
    q_statistic,
    tau2_dl,
    tau2_fisher,
    tau2_pm,
    weighted_mean,
)
from thyroid_evidence.proportions.glmm import binomial_loglik, fit_glmm
from thyroid_evidence.validation import as_counts, check_alpha, check_choice, choices_text
from thyroid_evidence.vocab import POOLING_METHODS, TRANSFORMS

#: Fewest studies for which tau^2, I^2 and a prediction interval are claimed. With k = 2 the
#: between-study variance rests on one degree of freedom, and the prediction interval of
#: Higgins, Thompson & Spiegelhalter (2009) uses a t distribution with k - 2 = 0 of them.
MIN_STUDIES_FOR_HETEROGENEITY = 3


def heterogeneity_note(k: int) -> str:
    """Why no heterogeneity or prediction-interval claim is made for ``k`` studies.

    Empty for ``k >= 3`` (:data:`MIN_STUDIES_FOR_HETEROGENEITY`).
    """
    if k >= MIN_STUDIES_FOR_HETEROGENEITY:
        return ""
    if k == 1:
        return "k = 1: nothing pooled; heterogeneity undefined, no prediction interval"
    return (f"k = {k}: heterogeneity not estimable (\u03c4\u00b2, I\u00b2 and a prediction "
            f"interval need k \u2265 {MIN_STUDIES_FOR_HETEROGENEITY} studies)")


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
    heterogeneity_note : str
        Empty for k >= 3; otherwise why no tau^2, I^2 or prediction-interval claim is made
        (:func:`heterogeneity_note`). The numeric fields keep metafor's values (for k = 2:
        tau^2 and I^2 from one degree of freedom, a prediction interval with z or t
        quantiles), but :meth:`summary_frame`, the ``repr`` and
        :func:`~thyroid_evidence.plotting.plot_forest` do not report them.
    heterogeneity_estimable : bool
        Property: ``k >= 3``.
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
    heterogeneity_note: str = ""

    @property
    def heterogeneity_estimable(self) -> bool:
        """Whether tau^2, I^2 and the prediction interval are claimed (k >= 3)."""
        return self.k >= MIN_STUDIES_FOR_HETEROGENEITY

    def summary_frame(self) -> pd.DataFrame:
        """Studies and the pooled estimate in one table, proportions on the [0, 1] scale.

        Returns
        -------
        pandas.DataFrame
            Indexed by study label plus a final row ``"pooled (<method>)"``; columns
            ``events``, ``total``, ``proportion``, ``ci_low``, ``ci_high``, ``weight``
            (percent), ``pi_low``, ``pi_high`` (pooled row only, and only for k >= 3: NaN
            otherwise), ``note`` (pooled row: :attr:`heterogeneity_note`).
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
                "note": "",
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
                "pi_low": [self.pi_low if self.heterogeneity_estimable else math.nan],
                "pi_high": [self.pi_high if self.heterogeneity_estimable else math.nan],
                "note": [self.heterogeneity_note],
            },
            index=pd.Index([f"pooled ({self.method})"], name="study"),
        )
        return pd.concat([frame, pooled])

    def __repr__(self) -> str:
        level = round(100 * (1 - self.alpha))
        heterogeneity = (
            f"PI {self.pi_low:.4f}-{self.pi_high:.4f}, tau2={self.tau2:.4g}, I2={self.i2:.1f}%"
            if self.heterogeneity_estimable else self.heterogeneity_note
        )
        return (
            f"PooledProportion(method={self.method!r}, transform={self.transform!r}, k={self.k}, "
            f"estimate={self.estimate:.4f}, {level}% CI {self.ci_low:.4f}-{self.ci_high:.4f}, "
            f"{heterogeneity})"
        )


def pool_proportions(
    events: Sequence[int] | np.ndarray,
    totals: Sequence[int] | np.ndarray,
    *,
    method: str = "REML",
    transform: str = "logit",
    hakn: bool = False,
    alpha: float = 0.05,
    labels: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
    units: Sequence[str] | None = None,
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
    endpoints, units : sequence of str, optional
        What each study measures and on which unit of analysis (one entry per study). When
        given, they must all be the same: a pooled proportion of different endpoints, or of
        patients with lesions, answers no question, and is refused.

    Returns
    -------
    PooledProportion

    Raises
    ------
    ValueError
        For different ``endpoints`` or ``units`` (the message names each one and its
        studies), negative or non-integer counts, events > totals, mismatched lengths, k = 0,
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
    ``(k - 1) / tr(P)``; for ``"FE"`` they come from Q. With k < 3 (see
    :data:`MIN_STUDIES_FOR_HETEROGENEITY`) they are still computed as metafor does, but not
    claimed: ``heterogeneity_note`` says why. For ``"GLMM"``, ``se`` is lme4's
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
    if isinstance(transform, str) and transform.lower().replace(" ", "-") in FREEMAN_TUKEY_NAMES:
        raise ValueError(
            "transform 'freeman-tukey' is deliberately not offered: back-transforming a pooled "
            "Freeman-Tukey value needs one sample size for all studies and can give seriously "
            "misleading proportions (Schwarzer et al. 2019). Use one of "
            f"{choices_text(TRANSFORMS)} or method='GLMM'."
        )
    method = check_choice(method, "method", POOLING_METHODS)
    transform = check_choice(transform, "transform", tuple(TRANSFORMS))
    if not isinstance(hakn, bool | np.bool_):
        raise TypeError(f"hakn must be True or False; got {hakn!r}")
    hakn = bool(hakn)
    alpha = check_alpha(alpha)
    ev = as_counts(events, "events")
    tot = as_counts(totals, "totals")
    check_pair(ev, tot)
    k = int(ev.size)
    if labels is None:
        label_list = [f"Study {i + 1}" for i in range(k)]
    else:
        label_list = [str(label) for label in labels]
        if len(label_list) != k:
            raise ValueError(f"labels must have one entry per study ({k}); got {len(label_list)}")
    _check_one_kind(endpoints, "endpoints", "endpoint", label_list)
    _check_one_kind(units, "units", "unit of analysis", label_list)
    if method == "GLMM" and transform != "logit":
        raise ValueError(
            f"method 'GLMM' is the logistic model (metafor rma.glmm measure='PLO') and needs "
            f"transform='logit'; got transform={transform!r}"
        )

    yi, vi = escalc(ev, tot, transform)
    z = float(stats.norm.isf(alpha / 2.0))

    if k == 1:
        return _single_study(ev, tot, yi, vi, z, label_list, method, transform, hakn, alpha)
    if method == "FE" and hakn:
        warnings.warn(
            "The Knapp & Hartung method is not meant to be used with fixed-effect (FE) models "
            "(as metafor warns).",
            PoolingWarning,
            stacklevel=2,
        )

    # heterogeneity statistics from the fixed-effect weights (metafor rma.uni)
    w0 = 1.0 / vi
    sw0 = w0.sum()
    q_iv = max(0.0, q_statistic(yi, vi, 0.0))
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
        yl, vl = escalc(ev, tot, "logit")
        tau2_start = tau2_dl(yl, vl)
        mu0, _ = weighted_mean(yl, 1.0 / (vl + tau2_start))
        mu, tau, var_mu = fit_glmm(ev, tot, mu0, math.sqrt(tau2_start))
        tau2 = tau * tau
        se = math.sqrt(var_mu)
        crit = float(stats.t.isf(alpha / 2.0, k - 1)) if hakn else z
        x = ev.astype(float)
        n = tot.astype(float)
        inner = (ev > 0) & (ev < tot)
        if inner.sum() >= 2:
            x_in, m_in = x[inner], (n - x)[inner]
            q = q_statistic(np.log(x_in / m_in), 1.0 / x_in + 1.0 / m_in, 0)
        else:
            q = 0.0
        ll_fe = binomial_loglik(x, n, np.full(k, x.sum() / n.sum()))
        ll_sat = binomial_loglik(x, n, x / n)
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
            tau2 = tau2_dl(yi, vi)
        elif method == "PM":
            tau2 = tau2_pm(yi, vi)
        else:
            tau2 = tau2_fisher(yi, vi, reml=(method == "REML"))
        weights = 1.0 / (vi + tau2)
        mu, sw = weighted_mean(yi, weights)
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
    lo, hi, plo, phi, est = back_transform(np.array([ci[0], ci[1], pi[0], pi[1], mu]), transform)
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
        heterogeneity_note=heterogeneity_note(k),
    )


def _check_one_kind(
    values: Sequence[str] | None, name: str, what: str, labels: list[str]
) -> None:
    """Refuse to pool studies that measure different things (named, with their studies)."""
    if values is None:
        return
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray | pd.Series):
        raise TypeError(f"{name} must be a sequence of str, one per study; got {values!r}")
    found = [str(v) for v in values]
    if len(found) != len(labels):
        raise ValueError(f"{name} must have one entry per study ({len(labels)}); "
                         f"got {len(found)}")
    kinds = list(dict.fromkeys(found))
    if len(kinds) > 1:
        pairs = list(zip(labels, found, strict=True))
        listed = "; ".join(
            f"{kind!r} ({', '.join(lab for lab, v in pairs if v == kind)})" for kind in kinds
        )
        raise ValueError(
            f"pooling refused: the studies measure {len(kinds)} different {name} ({listed}); "
            f"a pooled proportion needs one {what} for every study"
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
            "ci_low": back_transform(yi - half, transform),
            "ci_high": back_transform(yi + half, transform),
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
        PoolingWarning,
        stacklevel=3,
    )
    studies = _studies_frame(ev, tot, yi, vi, np.ones(1), z, labels, transform)
    mu, se = float(yi[0]), float(math.sqrt(vi[0]))
    est = float(back_transform(mu, transform))
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
        heterogeneity_note=heterogeneity_note(1),
    )
