"""Exact rounding arithmetic shared by the audit checks.

A reported number such as ``"46.32"`` stands for every real value that some rounding rule
turns into exactly those digits. This module parses reported strings without losing trailing
zeros, gives the set of real values behind them under each rounding mode as an exact
:class:`Interval` of fractions, and lists the integers ``k`` for which ``k / n`` (or
``100 k / n``) falls inside. Floats never enter: values are :class:`fractions.Fraction`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from thyroid_evidence.validation import choices_text
from thyroid_evidence.vocab import DIRECTED_MODES, NEAREST_MODES, STATUSES
from thyroid_evidence.vocab import ROUNDING_MODES as MODES

# The vocabularies live in thyroid_evidence.vocab; re-exported here under the audit's names.
# MODES: every rounding mode the audit knows, in the order results list them; NEAREST_MODES
# round to nearest (they differ only on exact ties); DIRECTED_MODES cut digits off (towards
# zero) or round up (towards +infinity). STATUSES, the audit's status vocabulary:
# ``consistent``: some round-to-nearest mode (half_up, half_even or half_down) reproduces
# every printed digit; ``consistent_only_if_truncated``: no round-to-nearest mode does, but a
# directed mode does for the value(s) that need it (truncate: digits cut off, or ceiling:
# rounded up); ``inconsistent``: no mode does; ``cannot_check``: an input is missing (e.g. no
# denominator) or the exact search was not decided within its budget.
__all__ = ["DIRECTED_MODES", "MODES", "NEAREST_MODES", "STATUSES", "Interval", "Reported",
           "check_modes", "integer_range", "parse_reported", "reported_from_value",
           "round_fraction", "rounding_interval", "show", "show_exact", "union_interval"]


@dataclass(frozen=True)
class Reported:
    """A number exactly as printed: its text, exact value and number of decimals."""

    text: str
    value: Fraction
    decimals: int

    @property
    def step(self) -> Fraction:
        """One unit in the last reported digit, e.g. 1/100 for ``"46.32"``."""
        return Fraction(1, 10**self.decimals)


@dataclass(frozen=True)
class Interval:
    """An interval of exact fractions with open or closed ends."""

    lo: Fraction
    hi: Fraction
    lo_closed: bool
    hi_closed: bool

    def contains(self, x: Fraction) -> bool:
        """Whether ``x`` lies in the interval."""
        above = x > self.lo or (self.lo_closed and x == self.lo)
        below = x < self.hi or (self.hi_closed and x == self.hi)
        return above and below

    def is_empty(self) -> bool:
        """Whether no real number lies in the interval."""
        return self.lo > self.hi or (
            self.lo == self.hi and not (self.lo_closed and self.hi_closed)
        )

    def shift(self, offset: Fraction, *, negate: bool = False) -> Interval:
        """``offset + x`` (or ``offset - x`` when ``negate``) for every x in the interval."""
        if negate:
            return Interval(offset - self.hi, offset - self.lo, self.hi_closed, self.lo_closed)
        return Interval(offset + self.lo, offset + self.hi, self.lo_closed, self.hi_closed)

    def __add__(self, other: Interval) -> Interval:
        return Interval(
            self.lo + other.lo,
            self.hi + other.hi,
            self.lo_closed and other.lo_closed,
            self.hi_closed and other.hi_closed,
        )


def parse_reported(reported: object, name: str = "reported") -> Reported:
    """Parse a reported number given as a string (or int, or Decimal).

    Parameters
    ----------
    reported : str, int or decimal.Decimal
        The number as printed, e.g. ``"16.0"``. A float is refused because it cannot say
        whether ``16.0`` was printed as "16" or "16.0".
    name : str
        Argument name used in error messages.

    Returns
    -------
    Reported

    Raises
    ------
    TypeError
        For a float, a bool or another type than str, int and Decimal.
    ValueError
        For text that is not a finite decimal number.
    """
    if isinstance(reported, bool) or isinstance(reported, float):
        raise TypeError(
            f"{name} must be the number as printed, as a string (e.g. '16.0'), not "
            f"{type(reported).__name__} {reported!r}: trailing zeros carry the precision"
        )
    if isinstance(reported, int):
        return Reported(str(reported), Fraction(reported), 0)
    if isinstance(reported, Decimal):
        dec = reported
    elif isinstance(reported, str):
        try:
            dec = Decimal(reported.strip())
        except InvalidOperation:
            raise ValueError(
                f"{name} must be a decimal number such as '46.32', got {reported!r}"
            ) from None
    else:
        raise TypeError(
            f"{name} must be a string such as '46.32', got {type(reported).__name__}"
        )
    if not dec.is_finite():
        raise ValueError(f"{name} must be a finite number, got {reported!r}")
    exponent = dec.as_tuple().exponent
    decimals = max(0, -int(exponent))
    text = f"{dec:f}" if exponent < 0 else str(int(dec))
    return Reported(text, Fraction(dec), decimals)


def reported_from_value(value: float, decimals: int) -> str:
    """The printed form of an evidence value stored as a float with ``decimals`` digits."""
    return f"{float(value):.{int(decimals)}f}"


def check_modes(modes: object, name: str = "modes") -> tuple[str, ...]:
    """Validate a collection of rounding-mode names; None means all of :data:`MODES`."""
    if modes is None:
        return MODES
    if isinstance(modes, str):
        modes = (modes,)
    out = tuple(modes)  # type: ignore[arg-type]
    unknown = [m for m in out if m not in MODES]
    if unknown or not out:
        raise ValueError(f"{name} must be a non-empty subset of {{{choices_text(MODES)}}}, "
                         f"got {out!r}")
    return tuple(m for m in MODES if m in out)


def rounding_interval(reported: Reported, mode: str) -> Interval:
    """Every real value that ``mode`` rounds to exactly the reported digits.

    Parameters
    ----------
    reported : Reported
    mode : {"half_up", "half_even", "half_down", "truncate", "ceiling"}
        ``half_up`` breaks ties away from zero, ``half_down`` towards zero, ``half_even`` to
        the even last digit; ``truncate`` drops further digits (towards zero); ``ceiling``
        rounds towards +infinity.
    """
    r, u = reported.value, reported.step
    h = u / 2
    if mode == "ceiling":
        return Interval(r - u, r, False, True)
    if mode == "truncate":
        if r > 0:
            return Interval(r, r + u, True, False)
        if r < 0:
            return Interval(r - u, r, False, True)
        return Interval(-u, u, False, False)
    if mode == "half_even":
        even = (r / u).numerator % 2 == 0
        return Interval(r - h, r + h, even, even)
    if mode == "half_up":
        if r > 0:
            return Interval(r - h, r + h, True, False)
        if r < 0:
            return Interval(r - h, r + h, False, True)
        return Interval(-h, h, False, False)
    if mode == "half_down":
        if r > 0:
            return Interval(r - h, r + h, False, True)
        if r < 0:
            return Interval(r - h, r + h, True, False)
        return Interval(-h, h, True, True)
    raise ValueError(f"mode must be one of {{{choices_text(MODES)}}}, got {mode!r}")


def union_interval(reported: Reported, modes: tuple[str, ...]) -> Interval:
    """The union of :func:`rounding_interval` over ``modes``.

    Every mode's interval contains the reported value itself, so the union is an interval.
    """
    parts = [rounding_interval(reported, m) for m in modes]
    lo = min(p.lo for p in parts)
    hi = max(p.hi for p in parts)
    return Interval(
        lo,
        hi,
        any(p.lo_closed for p in parts if p.lo == lo),
        any(p.hi_closed for p in parts if p.hi == hi),
    )


def integer_range(interval: Interval, scale: Fraction) -> tuple[int, int]:
    """Smallest and largest integer k with ``k * scale`` in ``interval`` (empty: lo > hi)."""
    lo, hi = interval.lo / scale, interval.hi / scale
    k_lo = math.ceil(lo)
    if k_lo == lo and not interval.lo_closed:
        k_lo += 1
    k_hi = math.floor(hi)
    if k_hi == hi and not interval.hi_closed:
        k_hi -= 1
    return k_lo, k_hi


def round_fraction(x: Fraction, decimals: int, mode: str) -> Fraction:
    """Round an exact fraction to ``decimals`` places under ``mode`` (see rounding_interval)."""
    scale = 10**decimals
    y = x * scale
    fl = math.floor(y)
    frac = y - fl
    if mode == "ceiling":
        q = math.ceil(y)
    elif mode == "truncate":
        q = math.trunc(y)
    elif frac < Fraction(1, 2):
        q = fl
    elif frac > Fraction(1, 2):
        q = fl + 1
    elif mode == "half_up":
        q = fl + 1 if y > 0 else fl
    elif mode == "half_down":
        q = fl if y > 0 else fl + 1
    elif mode == "half_even":
        q = fl if fl % 2 == 0 else fl + 1
    else:
        raise ValueError(f"mode must be one of {{{choices_text(MODES)}}}, got {mode!r}")
    return Fraction(q, scale)


def show(x: Fraction, decimals: int) -> str:
    """``x`` printed with ``decimals`` places, rounding half up (for messages only)."""
    q = round_fraction(x, decimals, "half_up")
    return f"{Decimal(q.numerator) / Decimal(q.denominator):.{decimals}f}"


def show_exact(x: Fraction, decimals: int) -> str:
    """``x`` with two more places than reported, or exactly when it terminates sooner."""
    for d in range(decimals, decimals + 3):
        if round_fraction(x, d, "half_up") == x:
            return show(x, max(d, decimals))
    return show(x, decimals + 2)
