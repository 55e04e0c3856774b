"""GRIM for percentages and means, and inference of the denominators a set of percentages imply.

GRIM (granularity-related inconsistency of means; Brown & Heathers 2016/2017) asks whether a
reported mean of integer data, or a reported percentage of a count, can come from *some*
integer numerator over the stated sample size. Here the question is asked exactly (fractions,
no floating point) and separately for five rounding modes, because papers truncate as well as
round.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from thyroid_evidence.audit.rounding import (
    DIRECTED_MODES,
    MODES,
    NEAREST_MODES,
    Reported,
    check_modes,
    integer_range,
    parse_reported,
    round_fraction,
    rounding_interval,
    show,
    show_exact,
    union_interval,
)
from thyroid_evidence.validation import positive_int


def status_from_modes(modes: Sequence[str]) -> str:
    """Audit status of a check that some rounding mode in ``modes`` reproduces.

    ``consistent`` when a round-to-nearest mode (half_up, half_even or half_down) works;
    ``consistent_only_if_truncated`` when only a directed mode works (digits cut off, or
    rounded up to the ceiling); ``inconsistent`` when no mode works.
    """
    if any(m in NEAREST_MODES for m in modes):
        return "consistent"
    if any(m in DIRECTED_MODES for m in modes):
        return "consistent_only_if_truncated"
    return "inconsistent"


@dataclass(frozen=True)
class GrimResult:
    """Outcome of :func:`grim`.

    Attributes
    ----------
    reported : str
        The value as printed.
    n : int
        Sample size (denominator).
    percent : bool
        Whether ``reported`` is a percentage of ``n`` (else a mean of ``n`` integers).
    items : int
        Items per person for a mean (granularity is ``1 / (n * items)``); 1 for percentages.
    decimals : int
        Decimal places of ``reported``.
    modes : tuple of str
        Modes under which some integer k gives exactly the reported digits.
    numerators : tuple of (str, tuple of int)
        For every mode, the integers k that reproduce the value (k of n for a percentage, the
        integer total for a mean).
    closest : tuple of int
        The k whose value lies nearest below and above the reported value (one or two).
    """

    reported: str
    n: int
    percent: bool
    items: int
    decimals: int
    modes: tuple[str, ...]
    numerators: tuple[tuple[str, tuple[int, ...]], ...]
    closest: tuple[int, ...]

    @property
    def consistent(self) -> bool:
        """True when at least one rounding mode reproduces the reported value."""
        return bool(self.modes)

    @property
    def status(self) -> str:
        """``consistent``, ``consistent_only_if_truncated`` or ``inconsistent``.

        See :func:`status_from_modes`.
        """
        return status_from_modes(self.modes)

    def numerators_for(self, mode: str) -> tuple[int, ...]:
        """The k that reproduce the value under ``mode``."""
        check_modes((mode,), "mode")
        return dict(self.numerators)[mode]

    def best(self, mode: str) -> int | None:
        """The k reproducing the value under ``mode`` whose exact value is nearest to it."""
        ks = self.numerators_for(mode)
        if not ks:
            return None
        target = parse_reported(self.reported).value
        return min(ks, key=lambda k: (abs(self.value_of(k) - target), k))

    def value_of(self, k: int) -> Fraction:
        """Exact value of numerator ``k`` on the reported scale (percent or mean)."""
        return Fraction(100 * k, self.n) if self.percent else Fraction(k, self.n * self.items)

    def ratio(self, k: int) -> str:
        """``"k/n = value"`` as text, with two more decimals than reported."""
        unit = "%" if self.percent else ""
        denom = self.n if self.percent else self.n * self.items
        return f"{k}/{denom} = {show_exact(self.value_of(k), self.decimals)}{unit}"

    def describe(self, counted: str = "") -> str:
        """One plain sentence saying what the check found, with the numbers.

        ``counted`` names what ``n`` counts (e.g. "lesions") for percentages.
        """
        unit = "%" if self.percent else ""
        of = f"{self.n} {counted}".strip()
        subject = (
            f"{self.reported}% of {of}"
            if self.percent
            else f"A mean of {self.reported} over {self.n} integer values"
        )
        if not self.percent and self.items > 1:
            subject = f"A mean of {self.reported} over {self.n} x {self.items} integer items"
        nearest = [m for m in self.modes if m in NEAREST_MODES]
        if nearest:
            k = self.best(nearest[0])
            return f"{subject} is consistent: {self.ratio(k)} rounds to {self.reported}{unit}."
        rounded = {
            k: show(round_fraction(self.value_of(k), self.decimals, "half_up"), self.decimals)
            for k in self.closest
        }
        if "truncate" in self.modes:
            k = self.best("truncate")
            return (
                f"{subject} fits only if the digits were cut off: {self.ratio(k)} "
                f"truncates to {self.reported}{unit} but rounds to "
                f"{show(round_fraction(self.value_of(k), self.decimals, 'half_up'), self.decimals)}"
                f"{unit}."
            )
        if "ceiling" in self.modes:
            k = self.best("ceiling")
            return (
                f"{subject} fits only if rounded up: {self.ratio(k)} rounds up to "
                f"{self.reported}{unit} but rounds to "
                f"{show(round_fraction(self.value_of(k), self.decimals, 'half_up'), self.decimals)}"
                f"{unit}."
            )
        if self.percent:
            head = f"{self.reported}% fits no k/{self.n} under any rounding"
        else:
            head = f"{subject} is impossible under any rounding"
        parts = [f"{self.ratio(k)} (rounds to {rounded[k]}{unit})" for k in self.closest]
        return f"{head}: the closest are {' and '.join(parts)}."


def grim(reported: str, n: int, *, percent: bool = True, items: int = 1) -> GrimResult:
    """GRIM test of a reported percentage (or mean) against a sample size, exactly.

    Parameters
    ----------
    reported : str
        The value as printed, as a string so that trailing zeros keep their meaning
        ("16" allows 15.5-16.5 when rounded, "16.0" only 15.95-16.05).
    n : int
        Sample size, >= 1.
    percent : bool
        True: ``reported`` is a percentage, candidates are ``100 k / n`` for k in 0..n.
        False: ``reported`` is a mean of ``n`` integer-valued observations (each the sum of
        ``items`` integer items), candidates are ``k / (n * items)`` for any integer k.
    items : int
        Items per observation for means; must be 1 for percentages.

    Returns
    -------
    GrimResult
        ``modes`` lists the rounding modes (``half_up``, ``half_even``, ``half_down``,
        ``truncate``, ``ceiling``) under which some k reproduces the reported digits exactly.

    Notes
    -----
    Exact: the reported string becomes a :class:`fractions.Fraction`, each mode's set of
    real values that print as the reported digits becomes an exact interval, and the test is
    whether a multiple of the granularity lies in it. Checked against published examples of
    Brown & Heathers (see tests/test_audit_grim.py).

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test: a simple technique detects numerous anomalies in
    the reporting of results in psychology. Soc Psychol Personal Sci 2017;8:363-369
    (preprint PeerJ 2016). doi:10.1177/1948550616673876
    """
    rep = parse_reported(reported)
    n = positive_int(n, "n")
    items = positive_int(items, "items")
    if percent and items != 1:
        raise ValueError(f"items must be 1 when percent=True, got {items}")
    return _grim(rep, n, percent=percent, items=items)


def _scale(n: int, percent: bool, items: int) -> Fraction:
    return Fraction(100, n) if percent else Fraction(1, n * items)


def _grim(rep: Reported, n: int, *, percent: bool, items: int) -> GrimResult:
    scale = _scale(n, percent, items)
    per_mode = []
    for mode in MODES:
        k_lo, k_hi = integer_range(rounding_interval(rep, mode), scale)
        if percent:
            k_lo, k_hi = max(k_lo, 0), min(k_hi, n)
        per_mode.append((mode, tuple(range(k_lo, k_hi + 1)) if k_lo <= k_hi else ()))
    exact = rep.value / scale
    below, above = math.floor(exact), math.ceil(exact)
    closest = sorted({below, above})
    if percent:
        closest = sorted({min(max(k, 0), n) for k in closest})
    return GrimResult(
        reported=rep.text,
        n=n,
        percent=percent,
        items=items,
        decimals=rep.decimals,
        modes=tuple(m for m, ks in per_mode if ks),
        numerators=tuple(per_mode),
        closest=tuple(closest),
    )


def infer_denominators(
    reported: Sequence[str],
    *,
    n_max: int = 1000,
    percent: bool = True,
    modes: Sequence[str] | None = None,
    partition: bool = False,
) -> list[int]:
    """Every denominator n <= ``n_max`` consistent with all the reported values together.

    Parameters
    ----------
    reported : sequence of str
        Values as printed (percentages, or means when ``percent=False``).
    n_max : int
        Largest denominator tried.
    percent : bool
        Whether the values are percentages (see :func:`grim`).
    modes : sequence of {"half_up", "half_even", "half_down", "truncate", "ceiling"}, optional
        Rounding modes allowed; each value may use any of them. Default: all five.
    partition : bool
        Also require that the numerators can add up to n (the shares make up the whole).
        Only for percentages.

    Returns
    -------
    list of int
        Ascending. Each value has its own numerator k; ``partition`` ties them by their sum.
    """
    values = [parse_reported(r, "reported") for r in reported]
    if not values:
        raise ValueError("reported must hold at least one value")
    n_max = positive_int(n_max, "n_max")
    allowed = check_modes(modes)
    if partition and not percent:
        raise ValueError("partition=True needs percent=True")
    intervals = [union_interval(v, allowed) for v in values]
    found = []
    for n in range(1, n_max + 1):
        scale = _scale(n, percent, 1)
        lo_sum = hi_sum = 0
        for interval in intervals:
            k_lo, k_hi = integer_range(interval, scale)
            if percent:
                k_lo, k_hi = max(k_lo, 0), min(k_hi, n)
            if k_lo > k_hi:
                break
            lo_sum += k_lo
            hi_sum += k_hi
        else:
            if not partition or lo_sum <= n <= hi_sum:
                found.append(n)
    return found
