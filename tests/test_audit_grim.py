"""GRIM for percentages and means, rounding modes, and denominator inference."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thyroid_evidence.audit import MODES, grim, infer_denominators, status_from_modes
from thyroid_evidence.audit.rounding import (
    parse_reported,
    round_fraction,
    rounding_interval,
    show,
    union_interval,
)

# --- Published GRIM examples ------------------------------------------------------------
# Brown NJL & Heathers JAJ, "The GRIM test" (PeerJ preprint 2016; Soc Psychol Personal Sci
# 2017, doi:10.1177/1948550616673876), and the worked examples that accompanied it:
# * Heathers' illustration (Medium, 2016): 12 ages summing to 251 give a mean of 20.92, and
#   after one birthday 252/12 = 21 exactly; both are GRIM-consistent.
# * The authors' example retold in The Economist (18 June 2016): 49 participants on a 1-7
#   scale cannot have a mean of 5.93 (5.93 x 49 = 290.57 is not an integer).
# * The die example used to explain GRIM (Wikipedia "GRIM test"): 20 rolls cannot average
#   3.48, since k/20 always ends in 0 or 5 at the second decimal.
# * scrutiny's GRIM vignette (implementation of Brown & Heathers): a mean of 5.27 with
#   n = 43 is inconsistent under rounding up or down.


def test_heathers_ages_example_is_consistent() -> None:
    result = grim("20.92", 12, percent=False)
    assert result.status == "consistent"
    assert 251 in result.numerators_for("half_up")
    whole = grim("21", 12, percent=False)
    assert whole.numerators_for("half_up") == (246, 247, 248, 249, 250, 251, 252, 253, 254, 255,
                                               256, 257)
    assert grim("21.00", 12, percent=False).numerators_for("half_up") == (252,)


def test_economist_example_593_of_49_fails_rounding() -> None:
    result = grim("5.93", 49, percent=False)
    # 290/49 = 5.918 -> 5.92 and 291/49 = 5.939 -> 5.94: no rounding gives 5.93; only cutting
    # the digits of 291/49 does.
    assert result.closest == (290, 291)
    assert not any(m in result.modes for m in ("half_up", "half_even", "half_down"))
    assert result.modes == ("truncate",)
    assert result.status == "consistent_only_if_truncated"
    assert "291/49 = 5.9388 truncates to 5.93 but rounds to 5.94" in result.describe()


def test_die_example_348_of_20_is_impossible() -> None:
    result = grim("3.48", 20, percent=False)
    assert result.modes == ()
    assert result.status == "inconsistent"
    assert result.describe() == (
        "A mean of 3.48 over 20 integer values is impossible under any rounding: the closest "
        "are 69/20 = 3.45 (rounds to 3.45) and 70/20 = 3.50 (rounds to 3.50)."
    )


def test_scrutiny_vignette_527_of_43() -> None:
    result = grim("5.27", 43, percent=False)
    assert result.closest == (226, 227)
    assert result.status == "consistent_only_if_truncated"


def test_items_change_granularity() -> None:
    # 5.93 from 49 people x 3 items: granularity 1/147; 871/147 = 5.9252 and
    # 872/147 = 5.9320 both round to 5.93
    result = grim("5.93", 49, percent=False, items=3)
    assert result.status == "consistent"
    assert result.numerators_for("half_up") == (871, 872)


# --- Constructed cases, one per rounding mode -----------------------------------------------


def test_half_up_versus_half_down_on_a_tie() -> None:
    # 1/8 = 12.5% exactly: half_up prints 13, half_down and half_even print 12
    assert grim("13", 8).modes == ("half_up", "ceiling")
    assert grim("12", 8).modes == ("half_even", "half_down", "truncate")


def test_half_even_on_odd_and_even_ties() -> None:
    # 3/8 = 37.5%: half_even prints 38 (even), half_down 37, half_up 38
    assert grim("38", 8).modes == ("half_up", "half_even", "ceiling")
    assert grim("37", 8).modes == ("half_down", "truncate")


def test_truncate_only() -> None:
    # 2/3 = 66.666...%: rounds to 66.67, truncates to 66.66
    result = grim("66.66", 3)
    assert result.modes == ("truncate",)
    assert result.numerators_for("truncate") == (2,)


def test_ceiling_only() -> None:
    # 1/3 = 33.333...%: rounds to 33.3, ceiling gives 33.4
    result = grim("33.4", 3)
    assert result.modes == ("ceiling",)
    assert result.status == "consistent_only_if_truncated"
    assert "fits only if rounded up: 1/3 = 33.333% rounds up to 33.4% but rounds to 33.3%" in (
        result.describe()
    )


def test_trailing_zeros_matter() -> None:
    # 2/12 = 16.67%: "17" fits, "17.0" does not (16.95-17.05 holds no k/12)
    assert grim("17", 12).status == "consistent"
    assert grim("17.0", 12).status == "inconsistent"


def test_percent_limits_k_to_zero_and_n() -> None:
    assert grim("100", 7).numerators_for("half_up") == (7,)
    assert grim("0", 7).numerators_for("truncate") == (0,)
    assert grim("101", 7).modes == ()


def test_describe_consistent_names_nearest_k() -> None:
    # 52% of 566: several k print as 52 (292..300); the message shows the nearest, 294
    assert grim("52", 566).describe("patients") == (
        "52% of 566 patients is consistent: 294/566 = 51.94% rounds to 52%."
    )


def test_describe_inconsistent_percentage() -> None:
    assert grim("46.32", 54).describe() == (
        "46.32% fits no k/54 under any rounding: the closest are 25/54 = 46.2963% (rounds to "
        "46.30%) and 26/54 = 48.1481% (rounds to 48.15%)."
    )


@pytest.mark.parametrize(
    ("x", "mode", "expected"),
    [
        (Fraction(125, 10), "half_up", Fraction(13)),
        (Fraction(125, 10), "half_even", Fraction(12)),
        (Fraction(125, 10), "half_down", Fraction(12)),
        (Fraction(129, 10), "truncate", Fraction(12)),
        (Fraction(121, 10), "ceiling", Fraction(13)),
        (Fraction(-125, 10), "half_up", Fraction(-13)),
        (Fraction(-129, 10), "truncate", Fraction(-12)),
        (Fraction(-129, 10), "ceiling", Fraction(-12)),
    ],
)
def test_round_fraction(x: Fraction, mode: str, expected: Fraction) -> None:
    assert round_fraction(x, 0, mode) == expected


def test_rounding_interval_agrees_with_round_fraction() -> None:
    # every k/40 at 1 decimal: in the interval exactly when it rounds to the reported digits
    for text in ("12.5", "2.5", "0.0", "-2.5", "37.5", "7.5"):
        rep = parse_reported(text)
        for mode in MODES:
            interval = rounding_interval(rep, mode)
            for k in range(-800, 801):
                x = Fraction(k, 40)
                assert interval.contains(x) == (round_fraction(x, 1, mode) == rep.value), (
                    text, mode, k,
                )


def test_union_interval_is_hull_of_modes() -> None:
    rep = parse_reported("16")
    union = union_interval(rep, MODES)
    assert (union.lo, union.hi, union.lo_closed, union.hi_closed) == (15, 17, False, False)


def test_status_from_modes() -> None:
    assert status_from_modes(("half_even", "truncate")) == "consistent"
    assert status_from_modes(("ceiling",)) == "consistent_only_if_truncated"
    assert status_from_modes(()) == "inconsistent"


# --- Denominator inference --------------------------------------------------------------------


def test_infer_denominators_for_a_mix_of_shares() -> None:
    shares = ["77.55", "14.29", "8.16"]
    assert infer_denominators(shares, n_max=200) == [49, 98, 147, 196]
    assert infer_denominators(shares, n_max=200, partition=True) == [49, 98, 147, 196]


def test_infer_denominators_single_value() -> None:
    assert infer_denominators(["71.4"], n_max=40, modes=("half_up",)) == [7, 14, 21, 28, 35]


def test_infer_denominators_partition_needs_the_sum() -> None:
    # 33% three times: each fits n = 3 (1/3 = 33.3%), and 1 + 1 + 1 = 3 closes
    assert infer_denominators(["33", "33", "33"], n_max=3, partition=True) == [3]
    # 50% twice with 60%: each fits n = 10 separately but the counts cannot sum to 10
    assert 10 in infer_denominators(["50", "50", "60"], n_max=10)
    assert infer_denominators(["50", "50", "60"], n_max=10, partition=True) == []


def test_infer_denominators_respects_modes() -> None:
    # 16% of 12 only by truncation
    assert 12 not in infer_denominators(["16"], n_max=12, modes=("half_up", "half_even"))
    assert 12 in infer_denominators(["16"], n_max=12, modes=("truncate",))


# --- Input errors -------------------------------------------------------------------------------


def test_float_reported_is_refused() -> None:
    with pytest.raises(TypeError, match="as a string"):
        grim(16.0, 12)  # type: ignore[arg-type]


def test_bad_string_is_refused() -> None:
    with pytest.raises(ValueError, match="reported must be a decimal number"):
        grim("16%", 12)


def test_bad_n_is_refused() -> None:
    with pytest.raises(ValueError, match="n must be a whole number > 0"):
        grim("16", 0)
    with pytest.raises(TypeError, match="n must be a whole number > 0"):
        grim("16", "12")


def test_items_with_percent_is_refused() -> None:
    with pytest.raises(ValueError, match="items must be 1 when percent=True"):
        grim("16", 12, items=2)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="modes must be a non-empty subset of") as info:
        infer_denominators(["16"], modes=("bankers",))
    # choices in declaration order, not set order
    assert "{'half_up', 'half_even', 'half_down', 'truncate', 'ceiling'}" in str(info.value)


def test_infer_needs_values() -> None:
    with pytest.raises(ValueError, match="reported must hold at least one value"):
        infer_denominators([])


# --- Property: a value computed from real counts is never flagged ------------------------------




@settings(max_examples=300, deadline=None)
@given(
    n=st.integers(1, 2000),
    data=st.data(),
    decimals=st.integers(0, 3),
    mode=st.sampled_from(MODES),
)
def test_true_percentages_always_pass(n: int, data: st.DataObject, decimals: int,
                                      mode: str) -> None:
    k = data.draw(st.integers(0, n))
    printed = show(round_fraction(Fraction(100 * k, n), decimals, mode), decimals)
    result = grim(printed, n)
    assert mode in result.modes
    assert k in result.numerators_for(mode)
    assert n in infer_denominators([printed], n_max=n, modes=(mode,))
