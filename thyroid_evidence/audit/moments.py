"""Can any sample of n values within bounds print a reported mean, SD (and median)?

A reported "mean ± SD (median)" of n values that lie within known bounds (a dose or a hospital
stay is never negative) constrains the data in three ways, each checked exactly:

* **bounds**: with every value in [lower, upper] and mean m, the sample variance is at most
  ``n (m - lower)^2`` (one value takes the whole excess) and at most
  ``n / (n - 1) (upper - m)(m - lower)`` (the Bhatia-Davis bound); an SD above both is
  impossible for *any* data, continuous or not;
* **granularity** (values on a grid, e.g. whole days): GRIM for the mean (Brown & Heathers
  2017) and GRIMMER for the SD (Anaya 2016): the sum must be a whole number of grid steps
  and the sum of squares a whole number of squared steps of the same parity as the sum;
* **a witness** (SPRITE, Heathers et al. 2018): a deterministic, seeded random walk over
  samples with the right sum (hence mean) that moves units between values until the SD, and
  the median, print as reported. A found sample proves feasibility; not finding one proves
  nothing, so the answer is then ``None`` (cannot check), never False.

Exact fractions throughout; the walk runs on integer multiples of the grid step. Without a
step (continuous values) the walk uses a grid a hundred times finer than the reported
precision, and only the bounds can prove impossibility.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from numbers import Integral

from thyroid_evidence.audit.rounding import (
    MODES,
    NEAREST_MODES,
    Interval,
    check_modes,
    integer_range,
    parse_reported,
    union_interval,
)
from thyroid_evidence.validation import positive_int

__all__ = ["MeanSdFeasibility", "max_sample_sd", "max_sample_sd_squared", "mean_sd_feasible"]


@dataclass(frozen=True)
class MeanSdFeasibility:
    """Outcome of :func:`mean_sd_feasible`.

    Attributes
    ----------
    mean, sd : str
        The reported values.
    median : str or None
        The reported median, if any.
    n : int
        Number of values.
    lower, upper : fractions.Fraction or None
        Bounds every value respects (None: unbounded on that side).
    step : fractions.Fraction or None
        Grid of the values (e.g. 1 for whole days); None for continuous values.
    feasible : bool or None
        True: ``witness`` prints as reported; False: proved impossible (``reason`` says
        by which rule); None: no witness found within the budget (not a proof).
    status : str
        ``consistent`` (a witness under round-to-nearest), ``consistent_only_if_truncated``
        (a witness only if the values were truncated or rounded up), ``inconsistent``
        (proved impossible under every rounding mode) or ``cannot_check``.
    modes : tuple of str
        Single rounding modes under which every statistic of the witness prints as reported
        (may be empty when the statistics need different modes, or without a witness).
    witness : tuple of fractions.Fraction or None
        A sorted sample with the reported mean, SD and median.
    max_sd : fractions.Fraction or None
        Upper bound of the sample SD that the bounds allow at the largest compatible mean
        (None when unbounded), rounded down to 4 decimals.
    reason : str
        One plain sentence: the rule that decided, or why it is undecided.
    """

    mean: str
    sd: str
    median: str | None
    n: int
    lower: Fraction | None
    upper: Fraction | None
    step: Fraction | None
    feasible: bool | None
    status: str
    modes: tuple[str, ...]
    witness: tuple[Fraction, ...] | None
    max_sd: Fraction | None
    reason: str

    def witness_text(self, limit: int = 8) -> str:
        """The witness as ``value × count`` pairs, or its range when it has more than
        ``limit`` distinct values."""
        if self.witness is None:
            return ""
        counts: dict[Fraction, int] = {}
        for v in self.witness:
            counts[v] = counts.get(v, 0) + 1
        if len(counts) > limit:
            return (f"{len(self.witness)} values from {_plain(min(counts))} to "
                    f"{_plain(max(counts))}")
        return ", ".join(f"{_plain(v)} × {c}" for v, c in sorted(counts.items()))


def _plain(x: Fraction) -> str:
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{Decimal(x.numerator) / Decimal(x.denominator):.6f}".rstrip("0").rstrip(".")
    return text


def _fraction(value: object, name: str) -> Fraction | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number as a string, int or Fraction, not bool")
    if isinstance(value, Fraction | Integral):
        return Fraction(value)
    if isinstance(value, str | Decimal):
        return parse_reported(value, name).value
    raise TypeError(f"{name} must be a number as a string (e.g. '0'), int or Fraction, got "
                    f"{type(value).__name__}")


def max_sample_sd_squared(
    mean: Fraction, n: int, lower: Fraction | None, upper: Fraction | None
) -> Fraction | None:
    """Largest sample variance of n values within [lower, upper] with the given mean.

    ``None`` when neither bound is given (unbounded). The bound with only ``lower`` is exact
    (n - 1 values at the bound, one carrying the excess); with both bounds it is the
    Bhatia-Davis bound scaled to the sample variance (attained when the values can sit at
    the two bounds).
    """
    bounds = []
    if lower is not None:
        bounds.append(n * (mean - lower) ** 2)
    if upper is not None:
        bounds.append(n * (upper - mean) ** 2)
    if lower is not None and upper is not None:
        bounds.append(Fraction(n, n - 1) * (upper - mean) * (mean - lower))
    return min(bounds) if bounds else None


def max_sample_sd(
    mean: object, n: int, *, lower: object = None, upper: object = None
) -> Fraction | None:
    """Square root of :func:`max_sample_sd_squared`, rounded down to 4 decimals (or None)."""
    n = positive_int(n, "n")
    if n < 2:
        raise ValueError("n must be at least 2 for a sample SD")
    m = _fraction(mean, "mean")
    var = max_sample_sd_squared(m, n, _fraction(lower, "lower"), _fraction(upper, "upper"))
    if var is None:
        return None
    return Fraction(math.isqrt(int(var * 10**8)), 10**4)


def _candidate_means(mean_iv: Interval, lower: Fraction | None, upper: Fraction | None
                     ) -> list[Fraction]:
    points = [mean_iv.lo, mean_iv.hi]
    if lower is not None and upper is not None:
        points.append((lower + upper) / 2)
    lo = mean_iv.lo if lower is None else max(mean_iv.lo, lower)
    hi = mean_iv.hi if upper is None else min(mean_iv.hi, upper)
    return [p for p in points if lo <= p <= hi]


def mean_sd_feasible(
    mean: str,
    sd: str,
    n: int,
    *,
    median: str | None = None,
    lower: object = None,
    upper: object = None,
    step: object = None,
    modes: Sequence[str] = NEAREST_MODES,
    seed: int = 0,
    max_steps: int = 20_000,
) -> MeanSdFeasibility:
    """Is there a sample of ``n`` values within bounds that prints the reported mean ± SD?

    Parameters
    ----------
    mean, sd : str
        As printed (strings keep trailing zeros: "2.0" is 1.95-2.05).
    n : int
        Number of values, >= 2.
    median : str, optional
        Reported median, also to be reproduced.
    lower, upper : str, int or Fraction, optional
        Bounds every value respects (e.g. ``lower="0"`` for a dose).
    step : str, int or Fraction, optional
        Grid of the values (``1`` for whole days or whole mCi); None for continuous values.
    modes : subset of {"half_up", "half_even", "half_down", "truncate", "ceiling"}
        Rounding modes tried first (default: round-to-nearest); when they fail, every mode
        is tried to tell truncation from impossibility.
    seed : int
        Seed of the witness search (results are identical for identical inputs).
    max_steps : int
        Moves per attempt of the witness search.

    Returns
    -------
    MeanSdFeasibility

    Notes
    -----
    The median is reproduced by fixing the middle value(s) to one grid value that prints as
    the median and keeping the lower half below and the upper half above it; this finds
    witnesses, it does not exclude other configurations, so a median never makes the answer
    False.

    References
    ----------
    Brown NJL, Heathers JAJ. The GRIM test. Soc Psychol Personal Sci 2017;8:363-369.
    Anaya J. The GRIMMER test. PeerJ Preprints 2016;4:e2400v1.
    Heathers JA, Anaya J, van der Zee T, Brown NJL. Recovering data from summary statistics:
    Sample Parameter Reconstruction via Iterative TEchniques (SPRITE). PeerJ Preprints
    2018;6:e26968v1.
    """
    n = positive_int(n, "n")
    if n < 2:
        raise ValueError("n must be at least 2 for a sample SD")
    max_steps = positive_int(max_steps, "max_steps")
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed must be an int, got {seed!r}")
    rep_mean = parse_reported(mean, "mean")
    rep_sd = parse_reported(sd, "sd")
    rep_median = parse_reported(median, "median") if median is not None else None
    lo_b, hi_b = _fraction(lower, "lower"), _fraction(upper, "upper")
    grid = _fraction(step, "step")
    if grid is not None and grid <= 0:
        raise ValueError(f"step must be positive, got {step!r}")
    if lo_b is not None and hi_b is not None and lo_b > hi_b:
        raise ValueError(f"lower ({lower}) must not exceed upper ({upper})")
    if rep_sd.value < 0:
        raise ValueError(f"sd must not be negative, got {sd!r}")
    first = check_modes(modes)
    args = (rep_mean, rep_sd, rep_median, n, lo_b, hi_b, grid, seed, max_steps)
    result = _attempt(*args, first)
    if result.feasible or first == MODES:
        return result
    # impossible (or undecided) with round-to-nearest: truncation or rounding up decides
    # between a witness, a proof under every mode, and "cannot check"
    return _attempt(*args, MODES)


def _attempt(
    rep_mean, rep_sd, rep_median, n, lo_b, hi_b, grid, seed, max_steps, modes
) -> MeanSdFeasibility:
    mean_iv = union_interval(rep_mean, modes)
    sd_iv = union_interval(rep_sd, modes)
    med_iv = union_interval(rep_median, modes) if rep_median is not None else None
    texts = (rep_mean.text, rep_sd.text, rep_median.text if rep_median else None)

    def done(feasible, reason, witness=None, max_sd=None):
        if feasible:
            used = tuple(m for m in MODES if m in modes and _prints(
                witness, rep_mean, rep_sd, rep_median, (m,)))
            nearest = _prints(witness, rep_mean, rep_sd, rep_median, NEAREST_MODES)
            status = "consistent" if nearest else "consistent_only_if_truncated"
        else:
            used = ()
            status = "inconsistent" if feasible is False else "cannot_check"
        return MeanSdFeasibility(
            texts[0], texts[1], texts[2], n, lo_b, hi_b, grid, feasible, status, used,
            witness, max_sd, reason)

    # 1. bounds
    means = _candidate_means(mean_iv, lo_b, hi_b)
    if not means:
        return done(False, f"No value of the mean that prints as {rep_mean.text} lies within "
                           f"the bounds.")
    best = [max_sample_sd_squared(m, n, lo_b, hi_b) for m in means]
    max_var = None if best[0] is None else max(best)
    max_sd = None if max_var is None else Fraction(math.isqrt(int(max_var * 10**8)), 10**4)
    if max_var is not None:
        sd_lo_sq = sd_iv.lo ** 2
        if sd_lo_sq > max_var or (sd_lo_sq == max_var and not sd_iv.lo_closed):
            return done(False, (
                f"With every value {_bounds_text(lo_b, hi_b)} and a mean printing as "
                f"{rep_mean.text}, the SD of {n} values is at most {_plain(max_sd)}, below "
                f"{rep_sd.text}."), max_sd=max_sd)
    # 2. granularity
    unit = grid if grid is not None else Fraction(1, 10 ** (max(
        rep_mean.decimals, rep_sd.decimals, rep_median.decimals if rep_median else 0) + 2))
    k_min = None if lo_b is None else math.ceil(lo_b / unit)
    k_max = None if hi_b is None else math.floor(hi_b / unit)
    s_lo, s_hi = integer_range(mean_iv, unit / n)
    if k_min is not None:
        s_lo = max(s_lo, k_min * n)
    if k_max is not None:
        s_hi = min(s_hi, k_max * n)
    if s_lo > s_hi:
        if grid is None:
            return done(None, "No sum on the search grid gives the mean.", max_sd=max_sd)
        return done(False, (
            f"GRIM: no total of {n} values on a grid of {_plain(grid)} gives a mean printing "
            f"as {rep_mean.text}."), max_sd=max_sd)
    # the 25 sums nearest the reported mean (ties: the smaller first) form a run of
    # consecutive integers next to the one nearest the mean: sorting the 61 around that one
    # gives the same 25 as sorting the whole range (n x 10^3 sums and more)
    n_sums = s_hi - s_lo + 1
    centre = min(max(math.floor(rep_mean.value * n / unit), s_lo), s_hi)
    sums = sorted(range(max(s_lo, centre - 30), min(s_hi, centre + 30) + 1),
                  key=lambda s: (abs(Fraction(s, n) * unit - rep_mean.value), s))[:25]
    plans = []
    for total in sums[:25]:
        q_range = _square_sums(total, n, sd_iv, unit)
        if q_range is not None:
            plans.append((total, q_range))
    if not plans:
        if grid is None:
            return done(None, "No sum of squares on the search grid gives the SD.",
                        max_sd=max_sd)
        if n_sums <= 25:
            return done(False, (
                f"GRIMMER: no sum of squares of {n} values on a grid of {_plain(grid)} with a "
                f"mean printing as {rep_mean.text} gives an SD printing as {rep_sd.text}."),
                max_sd=max_sd)
        return done(None, "No sum of squares fits the 25 sums nearest the mean.",
                    max_sd=max_sd)
    # 3. witness
    medians = [None]
    if med_iv is not None:
        m_lo, m_hi = integer_range(med_iv, unit)
        if k_min is not None:
            m_lo = max(m_lo, k_min)
        if k_max is not None:
            m_hi = min(m_hi, k_max)
        medians = sorted(range(m_lo, m_hi + 1),
                         key=lambda k: (abs(k * unit - rep_median.value), k))[:5]
        if not medians:
            if grid is None:
                return done(None, "No grid value prints as the median.", max_sd=max_sd)
            return done(False, (
                f"No value on a grid of {_plain(grid)} within the bounds prints as the median "
                f"{rep_median.text}."), max_sd=max_sd)
    rng = random.Random(seed)
    for total, (q_lo, q_hi) in plans[:5]:
        for med in medians:
            found = _walk(n, total, q_lo, q_hi, k_min, k_max, med, rng, max_steps)
            if found is not None:
                witness = tuple(sorted(k * unit for k in found))
                if _prints(witness, rep_mean, rep_sd, rep_median, modes):
                    return done(True, "A sample with these statistics exists.", witness,
                                max_sd)
    return done(None, (
        f"No sample was found by the seeded search ({max_steps:,} moves per attempt); that "
        f"is not a proof that none exists."), max_sd=max_sd)


def _bounds_text(lo: Fraction | None, hi: Fraction | None) -> str:
    if lo is not None and hi is not None:
        return f"between {_plain(lo)} and {_plain(hi)}"
    if lo is not None:
        return f"at least {_plain(lo)}"
    return f"at most {_plain(hi)}"


def _square_sums(total: int, n: int, sd_iv: Interval, unit: Fraction
                 ) -> tuple[int, int] | None:
    """Integer sums of squares Q (of grid counts) giving an SD in ``sd_iv``; None if none."""
    # variance = unit^2 (Q - total^2 / n) / (n - 1) in [lo^2, hi^2]
    lo_sq = Interval(sd_iv.lo ** 2, sd_iv.hi ** 2, sd_iv.lo_closed, sd_iv.hi_closed)
    if sd_iv.lo < 0:
        lo_sq = Interval(Fraction(0), sd_iv.hi ** 2, True, sd_iv.hi_closed)
    scale = unit ** 2 / (n - 1)
    shift = Fraction(total**2, n)
    q_lo = math.ceil(lo_sq.lo / scale + shift)
    q_hi = math.floor(lo_sq.hi / scale + shift)
    while q_lo <= q_hi and not lo_sq.contains(scale * (q_lo - shift)):
        q_lo += 1
    while q_hi >= q_lo and not lo_sq.contains(scale * (q_hi - shift)):
        q_hi -= 1
    q_min = math.ceil(shift)  # the sum of squares of integers with this sum is at least this
    q_lo = max(q_lo, q_min)
    # x^2 has the parity of x, so Q has the parity of the sum
    if q_lo % 2 != total % 2:
        q_lo += 1
    if q_hi % 2 != total % 2:
        q_hi -= 1
    return (q_lo, q_hi) if q_lo <= q_hi else None


def _walk(n, total, q_lo, q_hi, k_min, k_max, median, rng, max_steps) -> list[int] | None:
    """SPRITE-style walk on integer grid counts with a fixed sum; None when not found."""
    lows, highs = [], []
    half = n // 2
    for i in range(n):
        lo = k_min
        hi = k_max
        if median is not None:
            if n % 2 == 1:
                if i < half:
                    hi = median if hi is None else min(hi, median)
                elif i == half:
                    lo = hi = median
                else:
                    lo = median if lo is None else max(lo, median)
            else:
                if i < half - 1:
                    hi = median if hi is None else min(hi, median)
                elif i in (half - 1, half):
                    lo = hi = median
                else:
                    lo = median if lo is None else max(lo, median)
        lows.append(lo)
        highs.append(hi)
    # start: as even as the per-value bounds allow (the least spread)
    base = total // n
    values = []
    for lo, hi in zip(lows, highs, strict=True):
        v = base
        if lo is not None:
            v = max(v, lo)
        if hi is not None:
            v = min(v, hi)
        values.append(v)
    gap = total - sum(values)
    while gap != 0:
        sign = 1 if gap > 0 else -1
        room = [
            (highs[i] - values[i] if highs[i] is not None else abs(gap)) if sign > 0
            else (values[i] - lows[i] if lows[i] is not None else abs(gap))
            for i in range(n)
        ]
        open_ = [i for i in range(n) if room[i] > 0]
        if not open_:
            return None  # the sum does not fit the per-value bounds
        share = max(1, abs(gap) // len(open_))
        for i in open_:
            d = min(share, room[i], abs(gap))
            values[i] += sign * d
            gap -= sign * d
            if gap == 0:
                break
    q = sum(v * v for v in values)
    for _ in range(max_steps):
        if q_lo <= q <= q_hi:
            return values
        i, j = rng.randrange(n), rng.randrange(n)
        if i == j:
            continue
        if values[i] > values[j]:
            i, j = j, i
        # spread: take from the smaller (i), give to the larger (j); shrink: the reverse
        if q < q_lo:
            room_i = None if lows[i] is None else values[i] - lows[i]
            room_j = None if highs[j] is None else highs[j] - values[j]
            rooms = [r for r in (room_i, room_j) if r is not None]
            cap = min(rooms) if rooms else None
            if cap is not None and cap <= 0:
                continue
            need = q_lo - q
            # moving d from i to j raises Q by 2 d (x_j - x_i) + 2 d^2
            useful = max(1, need // (2 * (values[j] - values[i]) + 2))
            d = useful if cap is None else min(cap, useful)
            d = rng.randint(1, d)
            q += 2 * d * (values[j] - values[i]) + 2 * d * d
            values[i] -= d
            values[j] += d
        else:
            if values[j] - values[i] < 2:
                continue
            room_i = None if highs[i] is None else highs[i] - values[i]
            room_j = None if lows[j] is None else values[j] - lows[j]
            rooms = [r for r in (room_i, room_j) if r is not None]
            cap = min(rooms + [(values[j] - values[i]) // 2])
            if cap <= 0:
                continue
            d = rng.randint(1, cap)
            q -= 2 * d * (values[j] - values[i]) - 2 * d * d
            values[i] += d
            values[j] -= d
    return values if q_lo <= q <= q_hi else None


def _sample_stats(witness: Sequence[Fraction]) -> tuple[Fraction, Fraction, Fraction]:
    n = len(witness)
    mean = sum(witness, Fraction(0)) / n
    var = sum(((x - mean) ** 2 for x in witness), Fraction(0)) / (n - 1)
    ordered = sorted(witness)
    mid = n // 2
    median = ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return mean, var, median


def _prints(witness, rep_mean, rep_sd, rep_median, modes) -> bool:
    """Whether every statistic of the witness prints as reported under one of ``modes``
    (each statistic may use its own)."""
    if witness is None:
        return False
    mean, var, median = _sample_stats(witness)
    modes = tuple(modes)
    mean_ok = union_interval(rep_mean, modes).contains(mean)
    sd_ok = any(_sq_in(var, union_interval(rep_sd, (m,))) for m in modes)
    med_ok = rep_median is None or union_interval(rep_median, modes).contains(median)
    return mean_ok and sd_ok and med_ok


def _sq_in(var: Fraction, iv: Interval) -> bool:
    """Whether sqrt(var) lies in ``iv`` (exactly, comparing squares of non-negative ends)."""
    lo = max(iv.lo, Fraction(0))
    above = var > lo**2 or (iv.lo_closed and var == lo**2) or (iv.lo < 0)
    below = var < iv.hi**2 or (iv.hi_closed and var == iv.hi**2)
    return above and below
