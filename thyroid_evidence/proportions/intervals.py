"""Confidence intervals for one proportion.

From statsmodels, with Brown-Cai-DasGupta's end points for Jeffreys (and Wilson).
"""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_confint

from thyroid_evidence.proportions._checks import (
    _STATSMODELS_CI,
    CI_METHODS,
    _as_counts,
    _check_alpha,
    _check_choice,
)


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
