"""mean_sd_feasible: bounds, GRIM, GRIMMER and a seeded SPRITE witness, on made-up numbers.

Every expected verdict below is derived by hand in the comment above it; witnesses are checked
with the standard library's statistics module, not with the code under test.
"""

from __future__ import annotations

import statistics
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from thyroid_evidence.audit import max_sample_sd, mean_sd_feasible


def _printed(x: Fraction, places: int) -> str:
    q = Decimal(1).scaleb(-places)
    return str((Decimal(x.numerator) / Decimal(x.denominator)).quantize(q, ROUND_HALF_UP))


def test_witness_reproduces_hospital_stay_like_summary():
    # 49 whole days >= 0 with mean 2.0, SD 1.9 and median 2.0 exist (e.g. many 2s and a tail)
    result = mean_sd_feasible("2.0", "1.9", 49, median="2.0", lower=0, step=1)
    assert result.status == "consistent" and result.feasible is True
    values = [float(v) for v in result.witness]
    assert len(values) == 49 and min(values) >= 0
    assert all(v == int(v) for v in values)
    assert f"{statistics.mean(values):.1f}" == "2.0"
    assert f"{statistics.stdev(values):.1f}" == "1.9"
    assert f"{statistics.median(values):.1f}" == "2.0"


def test_continuous_witness_for_a_skewed_dose():
    # 25 doses >= 0, mean 276.6, SD 270.4: the lower bound allows an SD up to
    # sqrt(25) * (276.65 - 0) = 1383.25, so a sample exists
    result = mean_sd_feasible("276.6", "270.4", 25, lower="0")
    assert result.status == "consistent"
    assert result.max_sd == Fraction("1383.25")
    values = result.witness
    assert _printed(sum(values, Fraction(0)) / 25, 1) == "276.6"
    assert f"{statistics.stdev([float(v) for v in values]):.1f}" == "270.4"


def test_sd_above_what_the_lower_bound_allows_is_impossible():
    # mean 2.0 of 5 values >= 0: at most sqrt(5) x 2.1 = 4.70 even with truncation or
    # rounding up (mean < 2.1); an SD of 9.0 is impossible
    result = mean_sd_feasible("2.0", "9.0", 5, lower=0)
    assert result.status == "inconsistent" and result.feasible is False
    assert result.reason == (
        "With every value at least 0 and a mean printing as 2.0, the SD of 5 values is at "
        "most 4.6957, below 9.0."
    )


def test_bhatia_davis_bound_with_both_bounds():
    # four values in [0, 10] with mean 5: the largest sample variance is 4/3 x 5 x 5 = 33.33
    # (SD 5.7735, from 0, 0, 10, 10): SD 5.8 is reachable only by that sample, SD 6.0 is not
    assert max_sample_sd("5", 4, lower=0, upper=10) == Fraction("5.7735")
    fits = mean_sd_feasible("5.0", "5.8", 4, lower=0, upper=10, step=1)
    assert fits.status == "consistent"
    assert fits.witness == (0, 0, 10, 10)
    too_wide = mean_sd_feasible("5.0", "6.0", 4, lower=0, upper=10, step=1)
    assert too_wide.status == "inconsistent"
    assert "at most 5.7735, below 6.0" in too_wide.reason


def test_grim_failure_for_whole_numbers():
    # a total of 7 whole numbers gives k/7: 17/7 = 2.43 and 18/7 = 2.57, never 2.50
    result = mean_sd_feasible("2.50", "1.0", 7, step=1)
    assert result.status == "inconsistent"
    assert result.reason.startswith("GRIM: no total of 7 values")


def test_grimmer_failure_for_whole_numbers():
    # 5 whole numbers with mean 2.0 sum to 10; an SD printing as 0.1 needs a variance in
    # [0.0025, 0.0225), i.e. a sum of squares in [20.01, 20.09): no whole number
    result = mean_sd_feasible("2.0", "0.1", 5, step=1)
    assert result.status == "inconsistent"
    assert result.reason.startswith("GRIMMER: no sum of squares of 5 values")


def test_witness_that_needs_truncation():
    # 3 whole numbers: the mean 8/3 = 2.667 prints as 2.6 only if truncated; 2, 3, 3 has SD
    # 0.577, which rounds to 0.6
    result = mean_sd_feasible("2.6", "0.6", 3, step=1)
    assert result.status == "consistent_only_if_truncated"
    assert result.witness == (2, 3, 3)


def test_median_constraint_undecided_is_not_called_impossible():
    # 3 whole numbers a <= 2 <= c with a + c = 7 have SD >= 1.73, so SD 1.0 is impossible,
    # but the search cannot prove it: the answer is "cannot check", never a false claim
    result = mean_sd_feasible("3.0", "1.0", 3, median="2", step=1)
    assert result.status == "cannot_check" and result.feasible is None
    assert "not a proof" in result.reason


def test_identical_inputs_give_identical_witnesses():
    first = mean_sd_feasible("5.4", "6.2", 25, median="2.7", lower=0)
    second = mean_sd_feasible("5.4", "6.2", 25, median="2.7", lower=0)
    assert first == second
    assert first.status == "consistent"
    assert _printed(statistics.median(first.witness), 1) == "2.7"


def test_witness_text_lists_values_or_their_range():
    small = mean_sd_feasible("5.0", "5.8", 4, lower=0, upper=10, step=1)
    assert small.witness_text() == "0 × 2, 10 × 2"
    large = mean_sd_feasible("276.6", "270.4", 25, lower="0")
    assert large.witness_text().startswith("25 values from ")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"mean": 2.0, "sd": "1.0", "n": 5}, TypeError, "mean must be the number as printed"),
        ({"mean": "2.0", "sd": "1.0", "n": 1}, ValueError, "n must be at least 2"),
        ({"mean": "2.0", "sd": "1.0", "n": 5, "lower": 3, "upper": 1}, ValueError,
         "lower .* must not exceed upper"),
        ({"mean": "2.0", "sd": "1.0", "n": 5, "step": 0}, ValueError, "step must be positive"),
        ({"mean": "2.0", "sd": "1.0", "n": 5, "lower": [0]}, TypeError, "lower must be"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        mean_sd_feasible(**kwargs)
