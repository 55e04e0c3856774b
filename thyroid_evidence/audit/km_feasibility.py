"""Could any Kaplan-Meier curve of n patients print the reported survival milestones?

A Kaplan-Meier estimate of n subjects only takes values that are products of factors
``(r - 1) / r``, one per death, where r is the number still at risk at that death (tied deaths
are the same as consecutive single deaths; censorings only lower r). Survival at a milestone
is the product over the deaths before it. So a set of milestones is feasible when some
decreasing sequence of at-risk sizes and some numbers at risk at the milestones make every
milestone's product print as reported.

The search runs over the number at risk r = n, n-1, ..., 0. Its states are *intervals* of
survival values (float bounds widened outward after every operation, so that every true
value stays inside: a sound over-approximation), bucketed on a grid much finer than the
reported precision, and each interval carries one or two real paths (exact integer
numerator and denominator) as witnesses. Therefore:

* ``feasible=True`` only when a real path, checked in exact arithmetic, prints every
  milestone as reported (the path is returned);
* ``feasible=False`` only when no interval survives, which proves that no path exists;
* otherwise the grid is refined and the search repeated; if the work budget runs out first,
  ``feasible=None`` (undecided) with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Integral

from thyroid_evidence.audit.rounding import (
    NEAREST_MODES,
    Interval,
    check_modes,
    parse_reported,
    reported_from_value,
    union_interval,
)
from thyroid_evidence.validation import positive_int

_INF = math.inf


@dataclass(frozen=True)
class KmFeasibility:
    """Outcome of :func:`km_feasible`.

    Attributes
    ----------
    n : int
        Subjects at the start.
    milestones : tuple of str
        The reported values, in time order (survival, or cumulative incidence when
        ``complement``).
    complement : bool
        Whether the milestones are cumulative incidences (survival = 100% - value).
    modes : tuple of str
        Rounding modes allowed (the same set for every milestone).
    feasible : bool or None
        True: a path exists (see ``witness``); False: proved impossible; None: undecided
        within the work budget (see ``reason``).
    at_risk : tuple of (int, int) or None
        For each milestone, the smallest and largest number at risk among the compatible
        paths found (each end is attained by a verified path).
    at_risk_bounds : tuple of (int, int) or None
        For each milestone, bounds that no compatible path can leave. When equal to
        ``at_risk``, the range is exact.
    witness_deaths : tuple of int or None
        One compatible path: the number at risk just before each death, in time order.
    witness_at_risk : tuple of int or None
        Number at risk at each milestone on that path.
    witness_survival : tuple of Fraction or None
        Exact survival at each milestone on that path.
    reason : str
        Why the answer is undecided ("" otherwise).
    """

    n: int
    milestones: tuple[str, ...]
    complement: bool
    modes: tuple[str, ...]
    feasible: bool | None
    at_risk: tuple[tuple[int, int], ...] | None
    at_risk_bounds: tuple[tuple[int, int], ...] | None
    witness_deaths: tuple[int, ...] | None
    witness_at_risk: tuple[int, ...] | None
    witness_survival: tuple[Fraction, ...] | None
    reason: str = ""

    @property
    def at_risk_exact(self) -> bool:
        """True when the at-risk ranges are proven exact (found ends equal the bounds)."""
        return self.at_risk is not None and self.at_risk == self.at_risk_bounds


@dataclass(frozen=True)
class _Target:
    interval: Interval  # survival as a fraction of 1
    lo: float  # float bounds, widened outward
    hi: float

    def contains(self, num: int, den: int) -> bool:
        iv = self.interval
        a, b = iv.lo.numerator, iv.lo.denominator
        above = num * b > a * den or (iv.lo_closed and num * b == a * den)
        c, d = iv.hi.numerator, iv.hi.denominator
        below = num * d < c * den or (iv.hi_closed and num * d == c * den)
        return above and below


def _down(x: float) -> float:
    return math.nextafter(math.nextafter(x, -_INF), -_INF)


def _up(x: float) -> float:
    return math.nextafter(math.nextafter(x, _INF), _INF)


def _float_below(x: Fraction) -> float:
    f = float(x)
    while Fraction(f) > x:
        f = math.nextafter(f, -_INF)
    return f


def _float_above(x: Fraction) -> float:
    f = float(x)
    while Fraction(f) < x:
        f = math.nextafter(f, _INF)
    return f


def _targets(
    milestones: Sequence[object],
    precision: int | Sequence[int] | None,
    modes: tuple[str, ...],
    complement: bool,
    percent: bool,
) -> tuple[tuple[str, ...], list[_Target]]:
    if isinstance(milestones, str) or not isinstance(milestones, Sequence):
        raise TypeError("milestones must be a non-empty sequence of reported values")
    if not milestones:
        raise ValueError("milestones must be a non-empty sequence of reported values")

    def decimals(p: object) -> int:
        if isinstance(p, bool) or not isinstance(p, Integral):
            raise TypeError(
                f"precision must be a number of decimal places (an int >= 0, e.g. 1 for "
                f"'71.6'), not a rounding step; got {p!r}"
            )
        if int(p) < 0:
            raise ValueError(
                f"precision must be a number of decimal places (an int >= 0, e.g. 1 for "
                f"'71.6'), not a rounding step; got {p!r}"
            )
        return int(p)

    if precision is None:
        precisions: list[int | None] = [None] * len(milestones)
    elif isinstance(precision, Integral | float | str | bool):
        precisions = [decimals(precision)] * len(milestones)
    else:
        precisions = [decimals(p) for p in precision]
        if len(precisions) != len(milestones):
            raise ValueError(
                f"precision must be an int or one int per milestone ({len(milestones)}), "
                f"got {len(precisions)}"
            )
    texts = []
    for i, (value, digits) in enumerate(zip(milestones, precisions, strict=True)):
        if isinstance(value, float) or (digits is not None and not isinstance(value, str)):
            if digits is None:
                raise TypeError(
                    f"milestones[{i}] is a number; pass it as a string ('71.6') or give "
                    "precision (decimals)"
                )
            text = reported_from_value(float(value), digits)  # type: ignore[arg-type]
        else:
            text = str(value)
        rep = parse_reported(text, f"milestones[{i}]")
        if digits is not None and rep.decimals != digits:
            raise ValueError(
                f"milestones[{i}] = {text!r} has {rep.decimals} decimals but precision says "
                f"{digits}"
            )
        texts.append(rep.text)
    scale = Fraction(100) if percent else Fraction(1)
    out = []
    for i, text in enumerate(texts):
        iv = union_interval(parse_reported(text), modes)
        if complement:
            iv = iv.shift(scale, negate=True)
        iv = Interval(iv.lo / scale, iv.hi / scale, iv.lo_closed, iv.hi_closed)
        lo = max(iv.lo, Fraction(0))
        hi = min(iv.hi, Fraction(1))
        iv = Interval(lo, hi, iv.lo_closed or lo != iv.lo, iv.hi_closed or hi != iv.hi)
        if iv.is_empty():
            raise ValueError(f"milestones[{i}] = {text!r} is not a survival between 0 and 100%")
        out.append(_Target(iv, _float_below(iv.lo), _float_above(iv.hi)))
    return tuple(texts), out


def km_feasible(
    n: int,
    milestones: Sequence[object],
    *,
    precision: int | Sequence[int] | None = None,
    modes: Sequence[str] = NEAREST_MODES,
    complement: bool = False,
    percent: bool = True,
    at_risk_ranges: bool = True,
    max_work: int = 1_000_000,
) -> KmFeasibility:
    """Is there a Kaplan-Meier path of ``n`` subjects that prints the reported milestones?

    Parameters
    ----------
    n : int
        Number of subjects at time zero, >= 1.
    milestones : sequence of str (or numbers with ``precision``)
        Reported survival at increasing times, e.g. ``["71.6", "66.8", "60.1"]``.
    precision : int or sequence of int, optional
        Decimals of the reported values. Needed when they are given as numbers; checked
        against the strings otherwise.
    modes : subset of {"half_up", "half_even", "half_down", "truncate", "ceiling"}
        Rounding modes the report may have used (one set for all milestones). Default: the
        round-to-nearest modes.
    complement : bool
        The milestones are cumulative incidences; survival is 100% minus each (1 - CIF,
        treating the incidence as a Kaplan-Meier complement, i.e. without competing risks).
    percent : bool
        Values are percentages (default) rather than proportions of 1.
    at_risk_ranges : bool
        Compute the compatible numbers at risk (the whole search). When False the search
        stops at the first verified path and ``at_risk``/``at_risk_bounds`` are None.
    max_work : int
        Budget of state updates across grid refinements; past it the answer is None.

    Returns
    -------
    KmFeasibility
        ``feasible`` True (with a verified witness path), False (proved impossible), or None
        (undecided within ``max_work``), and the compatible numbers at risk at each milestone.

    Notes
    -----
    Any order of deaths and censorings is allowed, including censoring before the first
    death. The number at risk at a milestone is the number still under observation just
    after it; it must be at least 1 unless survival has reached 0. Cost grows with n times
    the number of grid cells between 100% and the last milestone (grid: half the reported
    precision, refined eightfold while the answer is undecided; never beyond ``max_work``).
    When the found at-risk ranges fall short of the bounds, each gap is closed from outside
    in by searches that fix the number at risk at one milestone. If the budget runs out
    first, ``at_risk`` holds what was proven attainable and ``at_risk_bounds`` what was
    proven unattainable beyond; values between are undecided.
    """
    n = positive_int(n, "n")
    allowed = check_modes(modes)
    texts, targets = _targets(milestones, precision, allowed, complement, percent)
    width = min(float(t.interval.hi - t.interval.lo) for t in targets)
    grid = max(width, 1e-9) / 2
    work_left = max_work
    last: KmFeasibility | None = None
    for _ in range(4):
        result, work = _search(
            n, texts, targets, grid, work_left, complement, allowed, at_risk_ranges
        )
        work_left -= work
        if result is None:
            break
        last = result
        if result.feasible is None:
            grid /= 8
            continue
        if result.feasible and at_risk_ranges and not result.at_risk_exact:
            return _close_ranges(result, targets, grid, work_left)
        return result
    if last is not None:
        return last
    return KmFeasibility(
        n, texts, complement, allowed, None, None, None, None, None, None,
        f"search budget of {max_work:,} state updates exhausted for n = {n:,}",
    )


def _close_ranges(
    result: KmFeasibility, targets: list[_Target], grid: float, budget: int
) -> KmFeasibility:
    """Narrow the gaps between found and bounding at-risk ranges, one candidate at a time."""
    found = [list(pair) for pair in result.at_risk]  # type: ignore[union-attr]
    bounds = [list(pair) for pair in result.at_risk_bounds]  # type: ignore[union-attr]
    for m in range(len(targets)):
        for side in (0, 1):  # 0: lower end, 1: upper end
            step = 1 if side == 0 else -1
            while bounds[m][side] != found[m][side]:
                candidate = bounds[m][side]
                answer = None
                fine = grid
                for _ in range(3):  # refine while undecided, as km_feasible does
                    answer, work = _search(
                        result.n, result.milestones, targets, fine, budget, result.complement,
                        result.modes, False, fixed=(m, candidate),
                    )
                    budget -= work
                    if answer is None or answer.feasible is not None:
                        break
                    fine /= 8
                if answer is None or answer.feasible is None:
                    break  # budget spent or undecided: keep the proven ends
                if answer.feasible:
                    found[m][side] = candidate
                    for k, a in enumerate(answer.witness_at_risk):  # type: ignore[arg-type]
                        found[k] = [min(found[k][0], a), max(found[k][1], a)]
                else:
                    bounds[m][side] = candidate + step
    return KmFeasibility(
        result.n, result.milestones, result.complement, result.modes, True,
        tuple((lo, hi) for lo, hi in found), tuple((lo, hi) for lo, hi in bounds),
        result.witness_deaths, result.witness_at_risk, result.witness_survival,
    )


def _search(
    n: int,
    texts: tuple[str, ...],
    targets: list[_Target],
    grid: float,
    budget: int,
    complement: bool,
    allowed: tuple[str, ...],
    at_risk_ranges: bool,
    fixed: tuple[int, int] | None = None,
) -> tuple[KmFeasibility | None, int]:
    m_total = len(targets)
    # states[stage]: grid cell -> entry [lo, hi, amin, amax, reps];
    # rep: (num, den, deaths_link, at_risk_tuple), an exact path inside [lo, hi]
    states: list[dict[int, list]] = [{} for _ in range(m_total)]
    states[0][int(1.0 / grid)] = [1.0, 1.0, (), (), [(1, 1, None, ())]]
    successes: list[list] = []
    work = 0
    for r in range(n, -1, -1):
        # pass milestones at this number at risk (several may pass with no event between)
        for stage in range(m_total):
            if fixed is not None and fixed[0] == stage and fixed[1] != r:
                continue  # this milestone may only pass at the fixed number at risk
            target = targets[stage]
            passing = [e for e in states[stage].values() if e[1] >= target.lo and e[0] <= target.hi]
            for e in passing:
                lo, hi = max(e[0], target.lo), min(e[1], target.hi)
                if r == 0:
                    # nobody left under observation: only a curve that has reached zero is
                    # defined here
                    if lo > 0.0:
                        continue
                    hi = 0.0
                reps = [
                    (num, den, link, a + (r,))
                    for num, den, link, a in e[4]
                    if target.contains(num, den) and (r > 0 or num == 0)
                ]
                new = [lo, hi, e[2] + (r,), e[3] + (r,), reps]
                if stage + 1 == m_total:
                    successes.append(new)
                    if reps and not at_risk_ranges:
                        return _result(n, texts, targets, [new], complement, allowed, False), work
                else:
                    _merge(states[stage + 1], int(lo / grid), new)
        if r == 0:
            break
        work += sum(len(d) for d in states)
        if work > budget:
            return None, work
        factor = (r - 1) / r
        nxt: list[dict[int, list]] = [{} for _ in range(m_total)]
        for stage, cells in enumerate(states):
            floor = targets[stage].lo
            out = nxt[stage]
            for key, e in cells.items():
                # censoring: survival unchanged (an empty cell takes the entry as it is: what
                # _merge does, without the call, which runs about a million times here)
                if key in out:
                    _merge(out, key, e)
                else:
                    out[key] = e
                if r == 1:
                    lo = hi = 0.0
                else:
                    hi = _up(e[1] * factor)
                    if hi < floor:
                        continue  # survival never rises again, so this branch cannot recover
                    lo = max(_down(e[0] * factor), 0.0)
                reps = [(num * (r - 1), den * r, (r, link), a) for num, den, link, a in e[4]]
                new_key = int(lo / grid)
                if new_key in out:
                    _merge(out, new_key, [lo, hi, e[2], e[3], reps])
                else:
                    out[new_key] = [lo, hi, e[2], e[3], reps]
        states = nxt
    return _result(n, texts, targets, successes, complement, allowed, True), work


def _merge(states: dict[int, list], key: int, entry: list) -> None:
    old = states.get(key)
    if old is None:
        states[key] = entry
        return
    reps = old[4] + entry[4]
    if len(reps) > 2:
        # keep the paths with the lowest and highest survival in the cell, and those with the
        # fewest and the most at risk at each milestone passed so far
        # (each key computed once per path: the survival is a ratio of big integers; the
        # first path of lowest / highest key wins: list.index of the min / max)
        keep: dict[int, tuple] = {}
        columns = [[rep[0] / rep[1] for rep in reps]]
        columns += [[rep[3][m] for rep in reps] for m in range(len(reps[0][3]))]
        for column in columns:
            for i in (column.index(min(column)), column.index(max(column))):
                rep = reps[i]
                keep[id(rep)] = rep
        reps = list(keep.values())
    states[key] = [
        min(old[0], entry[0]),
        max(old[1], entry[1]),
        tuple(map(min, old[2], entry[2])),
        tuple(map(max, old[3], entry[3])),
        reps,
    ]


def _result(
    n: int,
    texts: tuple[str, ...],
    targets: list[_Target],
    successes: list[list],
    complement: bool,
    allowed: tuple[str, ...],
    ranges: bool,
) -> KmFeasibility:
    if not successes:
        return KmFeasibility(n, texts, complement, allowed, False, None, None, None, None, None)
    bounds = tuple(
        (min(e[2][m] for e in successes), max(e[3][m] for e in successes))
        for m in range(len(targets))
    )
    reps = [rep for e in successes for rep in e[4]]
    if not reps:
        return KmFeasibility(
            n, texts, complement, allowed, None, None, bounds, None, None, None,
            "no verified path found although the search could not exclude one",
        )
    found = tuple(
        (min(rep[3][m] for rep in reps), max(rep[3][m] for rep in reps))
        for m in range(len(targets))
    )
    num, den, link, at_risk = reps[0]
    deaths = []
    while link is not None:
        deaths.append(link[0])
        link = link[1]
    deaths.reverse()
    survival = []
    value = Fraction(1)
    i = 0
    for a in at_risk:
        while i < len(deaths) and deaths[i] > a:
            value *= Fraction(deaths[i] - 1, deaths[i])
            i += 1
        survival.append(value)
    if not all(t.interval.contains(s) for t, s in zip(targets, survival, strict=True)):
        raise RuntimeError("internal error: witness path does not reproduce the milestones")
    if not ranges:
        found = bounds = None
    return KmFeasibility(
        n, texts, complement, allowed, True, found, bounds, tuple(deaths), tuple(at_risk),
        tuple(survival),
    )
