"""The table of reported proportions: counts, their basis, and intervals."""

from __future__ import annotations

import pytest

from thyroid_evidence import load_evidence
from thyroid_evidence.study.proportions import PROPORTION_COLUMNS, proportion_table


@pytest.fixture(scope="module")
def table():
    return proportion_table(load_evidence(), method="clopper-pearson").set_index("outcome_ids")


def test_columns(table):
    assert list(table.reset_index().columns) == [
        "outcome_ids", "series_id", "endpoint", "category", "subgroup", "unit_of_analysis",
        "time_months", "reported", "k", "n", "k_basis", "estimate", "ci_low", "ci_high",
        "method",
    ]
    assert set(PROPORTION_COLUMNS) == set(table.reset_index().columns)


def test_count_and_percent_rows_make_one_result_with_the_stated_count(table):
    row = table.loc["tae_partial_response_count, tae_partial_response_pct"]
    assert (row["reported"], row["k"], row["n"], row["k_basis"]) == ("5/12 = 42%", 5, 12, "stated")
    # Clopper-Pearson 95% interval for 5/12 (R: binom.test(5, 12)$conf.int).
    assert row["ci_low"] == pytest.approx(0.1516522, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.7233303, abs=1e-6)


def test_count_inferred_from_a_percentage_of_the_implied_denominator(table):
    row = table.loc["bone_complete_treatment"]
    expected = ("55.6%", 30, 54, "from percent")
    assert (row["reported"], row["k"], row["n"], row["k_basis"]) == expected


def test_truncated_percentage_is_flagged_and_impossible_one_gets_no_interval(table):
    spine = table.loc["bone_site_spine"]
    assert (spine["k"], spine["k_basis"]) == (16, "from percent, only if truncated")
    pelvis = table.loc["bone_site_pelvis"]
    assert pelvis["k_basis"] == "percentage fits no k/n"
    assert pelvis["ci_low"] != pelvis["ci_low"]  # NaN: no interval without a count


def test_time_point_rates_and_missing_denominators_get_no_binomial_interval(table):
    assert table.loc["lung_local_efficacy_48m", "k_basis"] == "time-point rate"
    assert table.loc["bone_general_anaesthesia", "k_basis"] == "no denominator"
    assert table.loc["lung_local_efficacy_48m", "estimate"] == pytest.approx(0.89)


def test_filters():
    t = proportion_table(
        load_evidence(), series_ids=["liver_tae_mtc"], endpoints=["tumor_response"]
    )
    assert set(t["series_id"]) == {"liver_tae_mtc"}
    assert len(t) == 4
