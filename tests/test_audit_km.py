"""Kaplan-Meier feasibility: hand-solvable cases, impossible cases, brute force for small n."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thyroid_evidence.audit import NEAREST_MODES, km_feasible
from thyroid_evidence.audit.rounding import parse_reported, round_fraction, show, union_interval


def test_n2_half() -> None:
    # two patients: the only values are 1, 1/2 (one death with 2 at risk) and 0
    result = km_feasible(2, ["50"])
    assert result.feasible is True
    assert result.witness_deaths == (2,)
    assert result.witness_survival == (Fraction(1, 2),)
    assert result.at_risk == result.at_risk_bounds == ((1, 1),)


def test_n2_three_quarters_is_impossible() -> None:
    result = km_feasible(2, ["75"])
    assert result.feasible is False
    assert result.witness_deaths is None


def test_n3_two_milestones() -> None:
    # 2/3 then 1/3: a death with 3 at risk, then one with 2 at risk; nothing else works
    result = km_feasible(3, ["67", "33"])
    assert result.feasible is True
    assert result.witness_survival == (Fraction(2, 3), Fraction(1, 3))
    assert result.at_risk == result.at_risk_bounds == ((2, 2), (1, 1))


def test_n3_half_needs_censoring_first() -> None:
    # 1/2 with 3 patients: censor one, then a death with 2 at risk
    result = km_feasible(3, ["50"])
    assert result.feasible is True
    assert result.witness_deaths == (2,)
    assert result.at_risk_exact and result.at_risk == ((1, 1),)


def test_n4_three_steps() -> None:
    result = km_feasible(4, ["75", "50", "25"])
    assert result.feasible is True
    assert result.witness_deaths == (4, 3, 2)
    assert result.at_risk == result.at_risk_bounds == ((3, 3), (2, 2), (1, 1))


def test_n4_three_eighths_mixes_death_and_censoring() -> None:
    # 3/8 = 3/4 x 1/2: death at 4 at risk, one censored, death at 2 at risk
    result = km_feasible(4, ["37.5"])
    assert result.feasible is True
    assert result.witness_survival == (Fraction(3, 8),)
    assert result.witness_deaths == (4, 2)


def test_n4_eighty_percent_is_impossible() -> None:
    assert km_feasible(4, ["80"]).feasible is False


def test_survival_near_one_needs_more_patients() -> None:
    # 99.5% needs a drop smaller than 1/100: impossible with 100 patients, not with 200
    assert km_feasible(100, ["99.5"]).feasible is False
    assert km_feasible(200, ["99.5"]).feasible is True


def test_increasing_milestones_are_impossible() -> None:
    assert km_feasible(10, ["50", "60"]).feasible is False


def test_zero_survival_needs_the_last_death() -> None:
    result = km_feasible(3, ["0"])
    assert result.feasible is True
    assert result.witness_survival == (Fraction(0),)
    assert result.witness_at_risk == (0,)


def test_cumulative_incidence_complement() -> None:
    # incidence 25% of 4 -> survival 75%: death with 4 at risk
    result = km_feasible(4, ["25", "50"], complement=True)
    assert result.feasible is True
    assert result.witness_survival == (Fraction(3, 4), Fraction(1, 2))
    assert km_feasible(4, ["20"], complement=True).feasible is False


def test_truncation_mode_changes_the_answer() -> None:
    # 2/3 = 66.67%: prints 66 only if truncated
    assert km_feasible(3, ["66"]).feasible is False
    assert km_feasible(3, ["66"], modes=("truncate",)).feasible is True


def test_numbers_with_precision() -> None:
    result = km_feasible(4, [75.0, 50.0], precision=1)
    assert result.milestones == ("75.0", "50.0")
    assert result.feasible is True


def test_witness_is_a_real_path() -> None:
    result = km_feasible(25, ["71.6", "66.8", "60.1"])
    assert result.feasible is True
    # recompute the witness from its deaths and numbers at risk
    deaths = result.witness_deaths
    assert list(deaths) == sorted(deaths, reverse=True) and len(set(deaths)) == len(deaths)
    survival = []
    for a in result.witness_at_risk:
        value = Fraction(1)
        for r in deaths:
            if r > a:
                value *= Fraction(r - 1, r)
        survival.append(value)
    assert tuple(survival) == result.witness_survival
    for text, s in zip(["71.6", "66.8", "60.1"], survival, strict=True):
        assert union_interval(parse_reported(text), NEAREST_MODES).contains(100 * s)


def _brute_force(n: int, texts: list[str]) -> tuple[bool, list[set[int]]]:
    """All (death set, numbers at risk) paths of n subjects, checked exactly."""
    intervals = [union_interval(parse_reported(t), NEAREST_MODES) for t in texts]
    compatible: list[set[int]] = [set() for _ in texts]
    feasible = False
    for size in range(n + 1):
        for deaths in itertools.combinations(range(1, n + 1), size):
            for at_risk in itertools.combinations_with_replacement(range(n, -1, -1), len(texts)):
                ok = True
                for a, interval in zip(at_risk, intervals, strict=True):
                    value = Fraction(1)
                    for r in deaths:
                        if r > a:
                            value *= Fraction(r - 1, r)
                    if (a == 0 and value != 0) or not interval.contains(100 * value):
                        ok = False
                        break
                if ok:
                    feasible = True
                    for m, a in enumerate(at_risk):
                        compatible[m].add(a)
    return feasible, compatible


def _cases() -> list[tuple[int, list[str]]]:
    rng = random.Random(20240611)
    cases = []
    for _ in range(40):
        n = rng.randint(1, 6)
        k = rng.randint(1, 2)
        decimals = rng.choice([0, 1])
        values = sorted((rng.uniform(0, 100) for _ in range(k)), reverse=True)
        cases.append((n, [f"{v:.{decimals}f}" for v in values]))
    return cases


@pytest.mark.parametrize(("n", "texts"), _cases())
def test_agrees_with_brute_force(n: int, texts: list[str]) -> None:
    feasible, compatible = _brute_force(n, texts)
    result = km_feasible(n, texts)
    assert result.feasible is feasible
    if feasible:
        ranges = tuple((min(s), max(s)) for s in compatible)
        assert result.at_risk == ranges
        assert result.at_risk_bounds == ranges


def test_brute_force_cases_include_both_answers() -> None:
    answers = {_brute_force(n, texts)[0] for n, texts in _cases()}
    assert answers == {True, False}


def test_budget_exhausted_is_undecided() -> None:
    result = km_feasible(300, ["71.6", "66.8", "60.1"], max_work=1000)
    assert result.feasible is None
    assert result.reason == "search budget of 1,000 state updates exhausted for n = 300"


def test_input_errors() -> None:
    with pytest.raises(ValueError, match="n must be a whole number > 0"):
        km_feasible(0, ["50"])
    with pytest.raises(TypeError, match="n must be a whole number > 0"):
        km_feasible("5", ["50"])
    with pytest.raises(ValueError, match="milestones must be a non-empty sequence"):
        km_feasible(5, [])
    with pytest.raises(TypeError, match=r"milestones\[0\] is a number"):
        km_feasible(5, [50.0])
    with pytest.raises(ValueError, match=r"has 0 decimals but precision says 1"):
        km_feasible(5, ["50"], precision=1)
    with pytest.raises(ValueError, match="is not a survival between 0 and 100%"):
        km_feasible(5, ["150"])
    with pytest.raises(ValueError, match="modes must be a non-empty subset"):
        km_feasible(5, ["50"], modes=("nearest",))


# --- Property: a real Kaplan-Meier path is never flagged ------------------------------------------




@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 40), decimals=st.integers(0, 1),
       milestones=st.integers(1, 3))
def test_real_paths_are_feasible(data: st.DataObject, n: int, decimals: int,
                                 milestones: int) -> None:
    deaths = sorted(data.draw(st.sets(st.integers(1, n))), reverse=True)
    at_risk = sorted(
        data.draw(st.lists(st.integers(1, n), min_size=milestones, max_size=milestones)),
        reverse=True,
    )
    survival = []
    for a in at_risk:
        value = Fraction(1)
        for r in deaths:
            if r > a:
                value *= Fraction(r - 1, r)
        survival.append(value)
    texts = [show(round_fraction(100 * s, decimals, "half_up"), decimals) for s in survival]
    result = km_feasible(n, texts)
    assert result.feasible is True
    for (lo, hi), a in zip(result.at_risk_bounds, at_risk, strict=True):
        assert lo <= a <= hi


def _exact_ranges(n: int, texts: list[str]) -> list[tuple[int, int]] | None:
    """Independent check: exact dynamic programme over (milestone, exact survival) states.

    Slower than km_feasible (no grid, every distinct survival value kept), fine for n <= 25.
    """
    intervals = [union_interval(parse_reported(t), NEAREST_MODES) for t in texts]
    states: dict[tuple[int, Fraction], set[tuple[int, ...]]] = {(0, Fraction(1)): {()}}
    seen: list[set[int]] = [set() for _ in texts]
    for r in range(n, -1, -1):
        for stage in range(len(texts)):
            for (s, value), histories in list(states.items()):
                if s != stage or (r == 0 and value != 0):
                    continue
                if intervals[stage].contains(100 * value):
                    longer = {h + (r,) for h in histories}
                    if stage + 1 == len(texts):
                        for h in longer:
                            for m, a in enumerate(h):
                                seen[m].add(a)
                    else:
                        states.setdefault((stage + 1, value), set()).update(longer)
        if r == 0:
            break
        nxt: dict[tuple[int, Fraction], set[tuple[int, ...]]] = {}
        for (s, value), histories in states.items():
            nxt.setdefault((s, value), set()).update(histories)
            lower = value * Fraction(r - 1, r)
            if 100 * lower >= intervals[s].lo:
                nxt.setdefault((s, lower), set()).update(histories)
        states = nxt
    if not seen[0]:
        return None
    return [(min(a), max(a)) for a in seen]


@pytest.mark.parametrize(
    ("n", "texts"),
    [
        (25, ["76.0", "64.0", "52.0"]),
        (25, ["70.4", "62.9", "51.3"]),
        (20, ["83", "61", "47"]),
        (18, ["88.9", "66.7", "33.3"]),
    ],
)
def test_agrees_with_exact_enumeration(n: int, texts: list[str]) -> None:
    expected = _exact_ranges(n, texts)
    result = km_feasible(n, texts)
    if expected is None:
        assert result.feasible is False
    else:
        assert result.feasible is True
        assert result.at_risk == result.at_risk_bounds == tuple(expected)


def test_precision_is_a_number_of_decimals_not_a_step():
    with pytest.raises(TypeError, match="number of decimal places .* not a rounding step"):
        km_feasible(25, ["71.6"], precision=0.1)
    with pytest.raises(ValueError, match="got -1"):
        km_feasible(25, ["71.6"], precision=[-1])
