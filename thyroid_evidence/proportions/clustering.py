"""Cluster adjustment of a per-lesion proportion: a design effect over a range of ICCs.

A series that counts lesions (or procedures) counts several per patient, and the lesions of
one patient are not independent: a binomial interval over lesions is then too narrow. Where
the patients and their lesions are known one by one, a cluster bootstrap (resampling patients)
is the direct answer; a review gives only the totals (patients, lesions), so the kit uses the
design-effect route instead: with ``m`` lesions per patient on average and an intraclass
correlation ``ICC`` between the outcomes of lesions of one patient, Kish's design effect
``DE = 1 + (m - 1) * ICC`` shrinks the ``n`` lesions to ``n / DE`` effectively independent
ones, and the interval is recomputed at the effective counts ``k / DE`` of ``n / DE``. The
ICC is not reported, so it spans a stated range and the widest interval over that range is
shown, with the range.

Pure functions: no evidence, no plotting.

References
----------
Kish L. Survey Sampling. Wiley 1965 (the design effect). Donner A, Klar N. Design and Analysis
of Cluster Randomization Trials in Health Research. Arnold 2000, ch. 6 (the adjusted binomial
interval at the effective sample size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from thyroid_evidence.proportions.intervals import interval_at
from thyroid_evidence.validation import as_counts, check_alpha, check_choice, is_real
from thyroid_evidence.vocab import CI_METHODS

__all__ = [
    "DEFAULT_ICC_RANGE",
    "ClusterAdjustedInterval",
    "cluster_adjusted_ci",
    "design_effect",
    "effective_counts",
]

#: ICC range the kit assumes when none is given: from independence (0) to a strong
#: within-patient correlation (0.5). An assumption, stated wherever it is used.
DEFAULT_ICC_RANGE: tuple[float, float] = (0.0, 0.5)
#: Points of the ICC range at which the interval is evaluated (both ends included).
ICC_GRID_POINTS = 11


def _real(value: object, name: str) -> float:
    if not is_real(value):
        raise TypeError(f"{name} must be a number; got {value!r}")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite; got {value!r}")
    return number


def _check_icc(icc: object, name: str = "icc") -> float:
    value = _real(icc, name)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1]; got {icc!r}")
    return value


def _check_icc_range(icc_range: object) -> tuple[float, float]:
    if (isinstance(icc_range, str) or not hasattr(icc_range, "__len__")
            or len(icc_range) != 2):  # type: ignore[arg-type]
        raise TypeError(f"icc_range must be a pair (low, high) of ICCs in [0, 1]; "
                        f"got {icc_range!r}")
    low = _check_icc(icc_range[0], "icc_range[0]")  # type: ignore[index]
    high = _check_icc(icc_range[1], "icc_range[1]")  # type: ignore[index]
    if low > high:
        raise ValueError(f"icc_range must be (low, high) with low <= high; got {icc_range!r}")
    return low, high


def design_effect(mean_cluster_size: float, icc: float) -> float:
    """Kish's design effect ``DE = 1 + (m - 1) * ICC`` of clusters of mean size ``m``.

    Parameters
    ----------
    mean_cluster_size : float >= 1
        ``m``, the mean number of units (lesions) per cluster (patient), for example the
        series' lesions divided by its patients.
    icc : float in [0, 1]
        Intraclass correlation of the outcome between units of one cluster.

    Returns
    -------
    float
        ``DE >= 1``; 1 when the units are independent (``ICC = 0``) or every cluster holds one.

    Raises
    ------
    TypeError
        For arguments that are not numbers.
    ValueError
        For ``m < 1`` or an ICC outside [0, 1].
    """
    m = _real(mean_cluster_size, "mean_cluster_size")
    if m < 1.0:
        raise ValueError(f"mean_cluster_size must be >= 1 (units per cluster); got {m!r}")
    return 1.0 + (m - 1.0) * _check_icc(icc)


def effective_counts(events: int, total: int, design_effect: float) -> tuple[float, float]:
    """Effective events and total ``(k / DE, n / DE)``: the proportion stays ``k / n``.

    Parameters
    ----------
    events, total : int
        Observed counts, ``0 <= events <= total``, ``total >= 1``.
    design_effect : float >= 1
        From :func:`design_effect`.

    Returns
    -------
    tuple of float
        ``(events / DE, total / DE)``, fractional in general.

    Raises
    ------
    TypeError
        For counts given as text or booleans, or a design effect that is not a number.
    ValueError
        For invalid counts or a design effect below 1.
    """
    k, n = _pair(events, total)
    de = _real(design_effect, "design_effect")
    if de < 1.0:
        raise ValueError(f"design_effect must be >= 1; got {design_effect!r}")
    return k / de, n / de


def _pair(events: object, total: object) -> tuple[int, int]:
    kk, nn = as_counts(events, "events"), as_counts(total, "total")
    if kk.size != 1 or nn.size != 1:
        raise ValueError("events and total must be single counts")
    k, n = int(kk[0]), int(nn[0])
    if n == 0:
        raise ValueError("total must be a positive count (total >= 1); got 0")
    if k > n:
        raise ValueError(f"events must not exceed total; got events = {k}, total = {n}")
    return k, n


@dataclass(frozen=True)
class ClusterAdjustedInterval:
    """Result of :func:`cluster_adjusted_ci`.

    Attributes
    ----------
    events, total : int
        The observed counts (lesions).
    mean_cluster_size : float
        ``m``, lesions per patient.
    icc_low, icc_high : float
        The ICC range assumed.
    ci_low, ci_high : float
        The widest interval over the ICC range (the envelope of the intervals at
        :data:`ICC_GRID_POINTS` ICCs across it, both ends included).
    design_effect : float
        The design effect at ``icc_high`` (the largest over the range).
    effective_n : float
        ``total / design_effect`` at ``icc_high``.
    unadjusted_low, unadjusted_high : float
        The interval with the lesions taken as independent (ICC = 0).
    method : str
    alpha : float
    """

    events: int
    total: int
    mean_cluster_size: float
    icc_low: float
    icc_high: float
    ci_low: float
    ci_high: float
    design_effect: float
    effective_n: float
    unadjusted_low: float
    unadjusted_high: float
    method: str
    alpha: float

    @property
    def assumption(self) -> str:
        """The assumption in words, for a table cell or a figure note."""
        return (f"design effect 1 + (m - 1) x ICC with m = {self.mean_cluster_size:.2f} per "
                f"cluster, ICC {self.icc_low:g}-{self.icc_high:g} (assumed; not reported): "
                f"DE up to {self.design_effect:.2f}, effective n {self.effective_n:.1f} "
                f"of {self.total}")


def cluster_adjusted_ci(
    events: int,
    total: int,
    mean_cluster_size: float,
    *,
    icc_range: tuple[float, float] = DEFAULT_ICC_RANGE,
    method: str = "wilson",
    alpha: float = 0.05,
) -> ClusterAdjustedInterval:
    """Interval of a clustered proportion at the effective counts, widest over an ICC range.

    Parameters
    ----------
    events, total : int
        Observed counts of units (lesions), ``0 <= events <= total``, ``total >= 1``.
    mean_cluster_size : float >= 1
        Mean units per cluster (lesions per patient).
    icc_range : (float, float) in [0, 1], low <= high
        ICCs assumed; default :data:`DEFAULT_ICC_RANGE`.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        As :func:`~thyroid_evidence.proportions.proportion_ci`, evaluated at the fractional
        effective counts ``k / DE`` of ``n / DE``.
    alpha : float in (0, 1)

    Returns
    -------
    ClusterAdjustedInterval

    Raises
    ------
    TypeError
        For arguments of the wrong type.
    ValueError
        For invalid counts, ``m < 1``, ICCs outside [0, 1] or reversed, an unknown method or
        ``alpha`` outside (0, 1).

    Notes
    -----
    The interval widens as the effective n falls, so in practice the widest is the one
    at the top of the range; the envelope over a grid is taken so that no method's end-point
    behaviour can hide a wider one. With ``ICC = 0`` the interval is
    :func:`~thyroid_evidence.proportions.proportion_ci`'s. The point estimate ``k / n`` is
    unchanged. A cluster bootstrap needs the lesions of each patient, which a review does not
    give.
    """
    method = check_choice(method, "method", CI_METHODS)
    alpha = check_alpha(alpha)
    k, n = _pair(events, total)
    low_icc, high_icc = _check_icc_range(icc_range)
    design_effect(mean_cluster_size, low_icc)  # checks m
    m = float(mean_cluster_size)
    lows, highs = [], []
    for icc in np.linspace(low_icc, high_icc, ICC_GRID_POINTS):
        k_eff, n_eff = effective_counts(k, n, design_effect(m, float(icc)))
        lo, hi = interval_at(k_eff, n_eff, method, alpha)
        lows.append(lo)
        highs.append(hi)
    de_max = design_effect(m, high_icc)
    base_low, base_high = interval_at(k, n, method, alpha)
    return ClusterAdjustedInterval(
        events=k,
        total=n,
        mean_cluster_size=m,
        icc_low=low_icc,
        icc_high=high_icc,
        ci_low=min(lows),
        ci_high=max(highs),
        design_effect=de_max,
        effective_n=n / de_max,
        unadjusted_low=base_low,
        unadjusted_high=base_high,
        method=method,
        alpha=alpha,
    )
