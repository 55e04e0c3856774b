"""Partitions (shares and counts that make up a whole) and complements."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thyroid_evidence.audit import check_complement, check_partition
from thyroid_evidence.audit.rounding import round_fraction, show


def test_partition_closes_on_its_total() -> None:
    result = check_partition(["77.55", "14.29", "8.16"], 49, unit="lesions")
    assert result.status == "consistent"
    assert result.numerators == (38, 7, 4)
    assert result.share_sum == "100.00"
    assert result.detail == (
        "The shares 77.55% + 14.29% + 8.16% = 100.00% close on 49 lesions: 38 + 7 + 4 = 49."
    )


def test_partition_fails_on_wrong_total_although_the_sum_is_100() -> None:
    result = check_partition(
        ["77.55", "14.29", "8.16"], 54, labels=["a", "b", "c"], unit="lesions"
    )
    assert result.status == "inconsistent"
    assert result.shortfall == 0
    assert result.detail == (
        "The shares cannot close on 54 lesions: a 77.55%, b 14.29% and c 8.16% fit no k/54 "
        "under any rounding, and they add to 100.00%."
    )


def test_partition_short_of_100_reports_missing_units() -> None:
    result = check_partition(
        ["29.62", "46.32", "5.55", "16.66"], 54, labels=["w", "x", "y", "z"], unit="lesions"
    )
    assert result.status == "inconsistent"
    assert result.shortfall == Fraction(185, 100) * 54 / 100
    assert "x 46.32% fits no k/54 under any rounding" in result.detail
    assert "1.85 points short of 100% (rounding allows 0.02 points), about 1.0 of 54" in (
        result.detail
    )


def test_partition_needs_truncation() -> None:
    result = check_partition(["42", "42", "16"], 12, counts=[5, 5, 2], unit="patients")
    assert result.status == "consistent_only_if_truncated"
    assert result.numerators == (5, 5, 2)
    # no single mode works: 5/12 is rounded (42) while 2/12 is truncated (16)
    assert result.modes == ()
    assert "2/12 = 16.67% printed as 16% (it rounds to 17%)" in result.detail


def test_partition_counts_that_do_not_add_up() -> None:
    result = check_partition(counts=[4, 49], total=54, unit="lesions")
    assert result.status == "inconsistent"
    assert result.shortfall == 1
    assert result.detail == "The counts add to 4 + 49 = 53, 1 short of the total of 54 lesions."


def test_partition_counts_that_add_up() -> None:
    result = check_partition(counts=[4, 50], total=54, unit="lesions")
    assert (result.status, result.detail) == (
        "consistent",
        "The counts add up (4 + 50 = 54 lesions).",
    )


def test_partition_where_counts_allow_too_few() -> None:
    # 30% of 10 is exactly 3 under any rounding: 3 + 3 + 3 = 9 of 10
    result = check_partition(["30", "30", "30"], 10)
    assert result.status == "inconsistent"
    assert result.shortfall == 1
    assert "the counts they allow add to 9-9, at least 1 of the 10 units is unaccounted for" in (
        result.detail
    )


def test_partition_where_counts_allow_too_many() -> None:
    result = check_partition(["60", "60"], 10)
    assert result.status == "inconsistent"
    assert result.shortfall == -2
    assert "at least 2 more than the 10 units" in result.detail


def test_partition_without_total_uses_the_sum() -> None:
    assert check_partition(["33", "33", "33"]).status == "consistent"
    # 33.3 x 3 = 99.9: each may be up to 33.35, so 100 is within rounding
    assert check_partition(["33.3", "33.3", "33.3"]).status == "consistent"
    # 16.6 x 6 = 99.6: rounding reaches 99.9 at most, truncated values reach 100.2
    assert check_partition(["16.6"] * 6).status == "consistent_only_if_truncated"
    short = check_partition(["29.62", "46.32", "5.55", "16.66"])
    assert short.status == "inconsistent"
    assert short.detail == (
        "The shares add to 98.15%, 1.85 points short of 100%, more than the 0.02 points "
        "rounding allows."
    )


def test_partition_input_errors() -> None:
    with pytest.raises(ValueError, match="counts must have one entry per share"):
        check_partition(["50", "50"], 10, counts=[5])
    with pytest.raises(ValueError, match="give at least one share or count"):
        check_partition()
    with pytest.raises(ValueError, match=r"counts\[0\] must be a non-negative integer"):
        check_partition(counts=[-1, 2], total=1)
    with pytest.raises(TypeError, match=r"counts\[1\] must be a non-negative integer"):
        check_partition(counts=[1, 2.0], total=3)


def test_complement_holds() -> None:
    result = check_complement("89", "11.0")
    assert result.status == "consistent"
    assert result.detail == (
        "89% + 11.0% = 100.0%, which matches 100% within rounding (allowance 0.55 points)."
    )


def test_complement_edge_of_rounding() -> None:
    # 89.0 may be 88.95 and 11.1 may be 11.05: together exactly 100
    assert check_complement("89.0", "11.1").status == "consistent"
    # 89.0 + 11.2 = 100.2: every mode leaves the true sum above 100
    assert check_complement("89.0", "11.2").status == "inconsistent"
    # 88 + 11.4 = 99.4: rounding reaches 99.95 at most; truncated 88 may be 88.6
    assert check_complement("88", "11.4").status == "consistent_only_if_truncated"


def test_complement_fails() -> None:
    result = check_complement("90", "5.0")
    assert result.status == "inconsistent"
    assert result.detail == (
        "90% + 5.0% = 95.0%, 5.0 points short of 100%, more than the 0.55 points rounding "
        "allows."
    )


# --- Property: shares computed from real counts always close ------------------------------------




@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(0, 60), min_size=1, max_size=6).filter(lambda c: sum(c) > 0),
    decimals=st.integers(0, 2),
    mode=st.sampled_from(["half_up", "half_even", "half_down"]),
)
def test_true_shares_always_close(counts: list[int], decimals: int, mode: str) -> None:
    total = sum(counts)
    shares = [show(round_fraction(Fraction(100 * c, total), decimals, mode), decimals)
              for c in counts]
    result = check_partition(shares, total, counts=counts)
    assert result.status == "consistent"
    assert mode in result.modes
    assert check_partition(shares).status == "consistent"
