"""Shares that should make up a whole, and pairs of percentages that should add to 100%.

Both checks work on exact intervals: each printed percentage stands for the interval of true
values that round (or truncate) to it, and a set of shares is consistent when integer counts
inside those intervals can add up to the total (or, without a total, when the intervals can
add up to 100%).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

from thyroid_evidence.audit.grim import status_from_modes
from thyroid_evidence.audit.rounding import (
    MODES,
    NEAREST_MODES,
    Interval,
    Reported,
    integer_range,
    parse_reported,
    round_fraction,
    rounding_interval,
    show,
    show_exact,
    union_interval,
)

HUNDRED = Fraction(100)


@dataclass(frozen=True)
class PartitionResult:
    """Outcome of :func:`check_partition`.

    Attributes
    ----------
    shares : tuple of str
        Percentages as printed.
    total : int or None
        The whole the shares (and counts) should make up.
    counts : tuple of int or None
        Counts given alongside the shares (None where not given).
    share_sum : str
        Sum of the printed shares, with as many decimals as the most precise share.
    status : str
        ``consistent``: counts within every share's round-to-nearest interval add up to the
        total under one convention (or, with no total, the intervals can add to 100%) and any
        given counts add up to the total; ``consistent_only_if_truncated``: this needs some
        shares to be truncated (or rounded up); ``inconsistent``: no convention closes the
        whole; ``cannot_check``: nothing to check.
    modes : tuple of str
        Single rounding modes under which the whole partition closes.
    numerators : tuple of int or None
        One set of counts that reproduces every share and adds up to ``total``.
    shortfall : fractions.Fraction or None
        Units missing (positive) or extra (negative) when the partition cannot close: the
        least possible when every share fits some count, else ``(100 - share_sum) * total``.
    detail : str
        One plain sentence with the numbers.
    """

    shares: tuple[str, ...]
    total: int | None
    counts: tuple[int | None, ...]
    share_sum: str
    status: str
    modes: tuple[str, ...]
    numerators: tuple[int, ...] | None
    shortfall: Fraction | None
    detail: str


@dataclass(frozen=True)
class ComplementResult:
    """Outcome of :func:`check_complement`: do two percentages add to 100% within rounding?"""

    value: str
    complement: str
    total: str
    status: str
    modes: tuple[str, ...]
    detail: str


def _show_sum(values: Sequence[Reported]) -> str:
    d = max(v.decimals for v in values)
    return show(sum((v.value for v in values), Fraction(0)), d)


def _plus(items: Sequence[object]) -> str:
    return " + ".join(str(i) for i in items)


def _and(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _assign(ranges: Sequence[tuple[int, int]], total: int) -> tuple[int, ...] | None:
    """Counts within ``ranges`` adding up to ``total``, filling the lowest shares first."""
    if any(lo > hi for lo, hi in ranges):
        return None
    counts = [lo for lo, _ in ranges]
    rest = total - sum(counts)
    if rest < 0:
        return None
    for i, (lo, hi) in enumerate(ranges):
        add = min(rest, hi - lo)
        counts[i] += add
        rest -= add
    return tuple(counts) if rest == 0 else None


def _ranges(
    values: Sequence[Reported],
    counts: Sequence[int | None],
    total: int,
    modes: Sequence[str],
) -> list[tuple[int, int]]:
    scale = Fraction(100, total)
    out = []
    for value, count in zip(values, counts, strict=True):
        k_lo, k_hi = integer_range(union_interval(value, tuple(modes)), scale)
        k_lo, k_hi = max(k_lo, 0), min(k_hi, total)
        if count is not None:
            k_lo, k_hi = (count, count) if k_lo <= count <= k_hi else (1, 0)
        out.append((k_lo, k_hi))
    return out


def _check_count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_partition(
    shares: Sequence[str] = (),
    total: int | None = None,
    *,
    counts: Sequence[int | None] | None = None,
    labels: Sequence[str] | None = None,
    unit: str = "units",
) -> PartitionResult:
    """Do shares that should make up a whole add up, within what their rounding allows?

    Parameters
    ----------
    shares : sequence of str
        Percentages as printed (e.g. lesion sites, response categories), possibly empty.
    total : int, optional
        The whole (e.g. 54 lesions). Without it only the sum of shares is checked.
    counts : sequence of int or None, optional
        Counts reported with the shares, aligned with ``shares`` (None where not reported),
        or, when ``shares`` is empty, the counts of the parts themselves.
    labels : sequence of str, optional
        Names of the parts, for the message.
    unit : str
        What is counted, for the message (e.g. "lesions").

    Returns
    -------
    PartitionResult
        See its attributes for the status rules.
    """
    values = [parse_reported(s, f"shares[{i}]") for i, s in enumerate(shares)]
    size = len(values) if values else len(counts or ())
    if counts is None:
        counts = [None] * size
    counts = [None if c is None else _check_count(c, f"counts[{i}]") for i, c in enumerate(counts)]
    if len(counts) != size:
        raise ValueError(f"counts must have one entry per share ({size}), got {len(counts)}")
    if labels is not None and len(labels) != size:
        raise ValueError(f"labels must have one entry per share ({size}), got {len(labels)}")
    if total is not None:
        total = _check_count(total, "total")
        if total == 0:
            raise ValueError("total must be a positive integer, got 0")
    if size == 0:
        raise ValueError("give at least one share or count")

    share_sum = _show_sum(values) if values else ""
    known = [c for c in counts if c is not None]
    count_text = ""
    if total is not None and len(known) == size:
        count_sum = sum(known)
        if count_sum != total:
            gap = total - count_sum
            word = "short of" if gap > 0 else "more than"
            return PartitionResult(
                tuple(v.text for v in values),
                total,
                tuple(counts),
                share_sum,
                "inconsistent",
                (),
                None,
                Fraction(gap),
                f"The counts add to {_plus(known)} = {count_sum}, {abs(gap)} {word} "
                f"the total of {total} {unit}.",
            )
        count_text = f"the counts add up ({_plus(known)} = {total} {unit})"
    if not values:
        if not count_text:
            return PartitionResult(
                (), total, tuple(counts), "", "cannot_check", (), None, None,
                "No total or not every count is given, so the parts cannot be added up.",
            )
        return PartitionResult(
            (), total, tuple(counts), "", "consistent", MODES, tuple(known), None,
            count_text[0].upper() + count_text[1:] + ".",
        )
    if total is None:
        return _sum_only(values, counts, share_sum)
    return _with_total(values, counts, total, share_sum, labels, unit, count_text)


def _shares_text(values: Sequence[Reported], share_sum: str) -> str:
    return f"{_plus(v.text + '%' for v in values)} = {share_sum}%"


def _sum_only(
    values: Sequence[Reported], counts: Sequence[int | None], share_sum: str
) -> PartitionResult:
    modes = []
    for mode in MODES:
        total_interval = _sum_interval(values, (mode,))
        if total_interval.contains(HUNDRED):
            modes.append(mode)
    status = status_from_modes(modes)
    nearest = _sum_interval(values, NEAREST_MODES)
    allowance = show(nearest.hi - sum((v.value for v in values), Fraction(0)), 3)
    if status == "consistent":
        detail = f"The shares add to 100% within rounding: {_shares_text(values, share_sum)}."
    elif status == "consistent_only_if_truncated":
        detail = (
            f"The shares add to 100% only if they were truncated or rounded up: "
            f"{_shares_text(values, share_sum)}, more than the {allowance.rstrip('0').rstrip('.')}"
            f" points rounding allows."
        )
    else:
        gap = HUNDRED - sum((v.value for v in values), Fraction(0))
        detail = (
            f"The shares add to {share_sum}%, {show(abs(gap), max(v.decimals for v in values))} "
            f"points {'short of' if gap > 0 else 'over'} 100%, more than the "
            f"{allowance.rstrip('0').rstrip('.')} points rounding allows."
        )
    return PartitionResult(
        tuple(v.text for v in values), None, tuple(counts), share_sum, status, tuple(modes),
        None, None, detail,
    )


def _sum_interval(values: Sequence[Reported], modes: Sequence[str]) -> Interval:
    out = Interval(Fraction(0), Fraction(0), True, True)
    for v in values:
        out = out + union_interval(v, tuple(modes))
    return out


def _with_total(
    values: Sequence[Reported],
    counts: Sequence[int | None],
    total: int,
    share_sum: str,
    labels: Sequence[str] | None,
    unit: str,
    count_text: str,
) -> PartitionResult:
    texts = tuple(v.text for v in values)
    found = {m: _assign(_ranges(values, counts, total, (m,)), total) for m in MODES}
    modes = [m for m in MODES if found[m] is not None]
    assignment = found[modes[0]] if modes else None
    counts_note = f"; {count_text}" if count_text else ""
    if any(m in NEAREST_MODES for m in modes):
        detail = (
            f"The shares {_shares_text(values, share_sum)} close on {total} {unit}: "
            f"{_plus(assignment)} = {total}{counts_note}."
        )
        return PartitionResult(
            texts, total, tuple(counts), share_sum, "consistent", tuple(modes), assignment,
            None, detail,
        )
    mixed = _assign(_ranges(values, counts, total, MODES), total)
    if mixed is not None:
        directed = []
        for value, k in zip(values, mixed, strict=True):
            x = Fraction(100 * k, total)
            if not union_interval(value, NEAREST_MODES).contains(x):
                rounded = show(round_fraction(x, value.decimals, "half_up"), value.decimals)
                directed.append(f"{k}/{total} = {show_exact(x, value.decimals)}% printed as "
                                f"{value.text}% (it rounds to {rounded}%)")
        detail = (
            f"The shares {_shares_text(values, share_sum)} close on {total} {unit} "
            f"({_plus(mixed)} = {total}) only if some were truncated or rounded up: "
            f"{'; '.join(directed)}{counts_note}."
        )
        return PartitionResult(
            texts, total, tuple(counts), share_sum, "consistent_only_if_truncated",
            tuple(modes), mixed, None, detail,
        )
    ranges = _ranges(values, counts, total, MODES)
    names = labels or [f"{v.text}%" for v in values]
    unfit = [
        f"{v.text}%" if labels is None else f"{name} {v.text}%"
        for v, name, (lo, hi) in zip(values, names, ranges, strict=True)
        if lo > hi
    ]
    if not unfit:
        lo_sum = sum(lo for lo, _ in ranges)
        hi_sum = sum(hi for _, hi in ranges)
        shortfall = Fraction(total - hi_sum if hi_sum < total else total - lo_sum)
        if shortfall > 0:
            verb = "is" if shortfall == 1 else "are"
            tail = f"at least {shortfall} of the {total} {unit} {verb} unaccounted for"
        else:
            tail = f"at least {-shortfall} more than the {total} {unit}"
        detail = (
            f"The shares {_shares_text(values, share_sum)} cannot close on {total} {unit}: "
            f"the counts they allow add to {lo_sum}-{hi_sum}, {tail}."
        )
    else:
        gap = HUNDRED - sum((v.value for v in values), Fraction(0))
        shortfall = gap * total / 100
        nearest = _sum_interval(values, NEAREST_MODES)
        allowance = nearest.hi - sum((v.value for v in values), Fraction(0))
        d = max(v.decimals for v in values)
        if gap == 0:
            sum_text = f"they add to {share_sum}%"
        elif abs(gap) <= allowance:
            sum_text = f"they add to {share_sum}%, within rounding of 100%"
        else:
            sum_text = (
                f"they add to {share_sum}%, {show(abs(gap), d)} points "
                f"{'short of' if gap > 0 else 'over'} 100% (rounding allows "
                f"{show_exact(allowance, d)} points), about {show(abs(shortfall), 1)} of {total} "
                f"{unit} {'missing' if gap > 0 else 'extra'}"
            )
        detail = (
            f"The shares cannot close on {total} {unit}: {_and(unfit)} "
            f"{'fits' if len(unfit) == 1 else 'fit'} no k/{total} under any rounding, and "
            f"{sum_text}{counts_note}."
        )
    return PartitionResult(
        texts, total, tuple(counts), share_sum, "inconsistent", (), None, shortfall, detail,
    )


def check_complement(value: str, complement: str, *, total: str = "100") -> ComplementResult:
    """Do two percentages that should be complements add up to ``total`` within rounding?

    Example: local efficacy at t and cumulative local progression at t (both percent).

    Parameters
    ----------
    value, complement : str
        The two percentages as printed.
    total : str
        What they should add up to, exactly (default "100").

    Returns
    -------
    ComplementResult
        ``consistent`` when true values that round to both printed values can add up to
        ``total``; ``consistent_only_if_truncated`` when that needs truncation or rounding up
        of one of them; else ``inconsistent``.
    """
    a = parse_reported(value, "value")
    b = parse_reported(complement, "complement")
    whole = parse_reported(total, "total").value
    modes = [
        m for m in MODES if (rounding_interval(a, m) + rounding_interval(b, m)).contains(whole)
    ]
    any_mode = (union_interval(a, MODES) + union_interval(b, MODES)).contains(whole)
    status = status_from_modes(modes)
    if status == "inconsistent" and any_mode:
        status = "consistent_only_if_truncated"
    d = max(a.decimals, b.decimals)
    added = show(a.value + b.value, d)
    allowance = show_exact((a.step + b.step) / 2, d)
    whole_text = show(whole, 0) if whole.denominator == 1 else str(float(whole))
    if status == "consistent":
        detail = (
            f"{a.text}% + {b.text}% = {added}%, which matches {whole_text}% within rounding "
            f"(allowance {allowance} points)."
        )
    elif status == "consistent_only_if_truncated":
        detail = (
            f"{a.text}% + {b.text}% = {added}%, which reaches {whole_text}% only if a value was "
            f"truncated or rounded up (rounding allows {allowance} points)."
        )
    else:
        gap = whole - a.value - b.value
        detail = (
            f"{a.text}% + {b.text}% = {added}%, {show(abs(gap), d)} points "
            f"{'short of' if gap > 0 else 'over'} {whole_text}%, more than the {allowance} points "
            f"rounding allows."
        )
    return ComplementResult(a.text, b.text, show(whole, 0), status, tuple(modes), detail)


__all__ = [
    "ComplementResult",
    "PartitionResult",
    "check_complement",
    "check_partition",
]
