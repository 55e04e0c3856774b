"""Confidence intervals for one proportion.

From statsmodels, with Brown-Cai-DasGupta's end points for Jeffreys (and Wilson).
"""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_confint

from thyroid_evidence.proportions._checks import STATSMODELS_CI
from thyroid_evidence.validation import as_counts, check_alpha, check_choice
from thyroid_evidence.vocab import CI_METHODS


def proportion_ci(
    events: int, total: int, method: str = "wilson", alpha: float = 0.05
) -> tuple[float, float]:
    """Confidence interval for one binomial proportion ``events / total``.

    Parameters
    ----------
    events : int
        Number of events, ``0 <= events <= total``.
    total : int
        Number of trials, ``total >= 1``.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Interval method. Wilson (score) is the default recommended by Brown, Cai & DasGupta
        (2001) for small totals; Clopper-Pearson is the exact (conservative) interval.
    alpha : float in (0, 1)
        One minus the confidence level.

    Returns
    -------
    tuple of float
        ``(ci_low, ci_high)`` on the proportion scale, within [0, 1].

    Raises
    ------
    TypeError
        For counts given as text or booleans, or an ``alpha`` that is not a number.
    ValueError
        For negative or non-integer counts, ``events > total``, ``total = 0``, ``alpha``
        outside (0, 1) or an unknown method.

    Notes
    -----
    The intervals come from :func:`statsmodels.stats.proportion.proportion_confint`.
    The Jeffreys interval follows Brown, Cai & DasGupta (2001, section 4.1.2): its lower bound
    is set to 0 when ``events = 0`` and its upper bound to 1 when ``events = total``
    (statsmodels returns the raw beta quantiles). Verified against R's ``binom.test``
    (Clopper-Pearson), ``prop.test(correct = FALSE)`` (Wilson), ``qbeta`` (Jeffreys) and the
    Agresti-Coull formula in ``tests/reference/make_reference.R``.

    References
    ----------
    Brown LD, Cai TT, DasGupta A. Interval estimation for a binomial proportion. Statistical
    Science 2001;16:101-133.
    """
    method = check_choice(method, "method", CI_METHODS)
    alpha = check_alpha(alpha)
    kk = as_counts(events, "events")
    nn = as_counts(total, "total")
    if kk.size != 1 or nn.size != 1:
        raise ValueError("events and total must be single counts; use pool_proportions for "
                         "several")
    k_i, n_i = int(kk[0]), int(nn[0])
    if n_i == 0:
        raise ValueError("total must be a positive count (total >= 1); got 0")
    if k_i > n_i:
        raise ValueError(f"events must not exceed total; got events = {k_i}, total = {n_i}")
    return interval_at(k_i, n_i, method, alpha)


def interval_at(events: float, total: float, method: str, alpha: float) -> tuple[float, float]:
    """The interval of :func:`proportion_ci` at checked, possibly fractional, counts.

    For the package's own use (``proportion_ci`` checks whole counts; the cluster adjustment
    of :mod:`~thyroid_evidence.proportions.clustering` passes effective counts ``k / DE`` of
    ``n / DE``, which are fractional). The four methods' formulas (Wilson's score, the beta
    quantiles of Clopper-Pearson and Jeffreys, Agresti-Coull) are defined for real counts.
    """
    low, high = proportion_confint(events, total, alpha=alpha, method=STATSMODELS_CI[method])
    low, high = float(low), float(high)
    if method in ("jeffreys", "wilson"):
        # Jeffreys: Brown, Cai & DasGupta's end-point rule. Wilson: the score interval's end
        # points are exactly 0 and 1 here; statsmodels returns them with rounding error.
        if events == 0:
            low = 0.0
        if events == total:
            high = 1.0
    return min(max(low, 0.0), 1.0), min(max(high, 0.0), 1.0)

