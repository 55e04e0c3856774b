"""The table of reported proportions: counts, their basis, and intervals."""

from __future__ import annotations

import math

import pytest

from tests.conftest import find_line
from thyroid_evidence import load_evidence
from thyroid_evidence.proportions import proportion_ci
from thyroid_evidence.study import reported_proportions
from thyroid_evidence.study.proportions import PROPORTION_COLUMNS, proportion_table
from thyroid_evidence.vocab import TIME_TO_EVENT_ENDPOINTS


@pytest.fixture(scope="module")
def table():
    return proportion_table(load_evidence(), method="clopper-pearson").set_index("outcome_ids")


def test_columns(table):
    assert list(table.reset_index().columns) == [
        "outcome_ids", "series_id", "series_label", "source_id", "source_label",
        "outcome_label", "endpoint", "category", "subgroup",
        "unit_of_analysis",
        "time_months", "reported", "events", "total", "events_basis", "estimate", "ci_low",
        "ci_high",
        "method", "interval_note", "units_per_patient", "icc_low", "icc_high", "design_effect",
        "effective_n", "cluster_ci_low", "cluster_ci_high",
    ]
    assert set(PROPORTION_COLUMNS) == set(table.reset_index().columns)


def test_count_and_percent_rows_make_one_result_with_the_stated_count(table):
    row = table.loc["tae_partial_response_count, tae_partial_response_pct"]
    assert (row["reported"], row["events"], row["total"], row["events_basis"]) == (
        "5/12 = 42%", 5, 12, "stated")
    # Clopper-Pearson 95% interval for 5/12 (R: binom.test(5, 12)$conf.int).
    assert row["ci_low"] == pytest.approx(0.1516522, abs=1e-6)
    assert row["ci_high"] == pytest.approx(0.7233303, abs=1e-6)


def test_count_inferred_from_a_percentage_of_the_implied_denominator(table):
    row = table.loc["bone_complete_treatment"]
    expected = ("55.6%", 30, 54, "from percent")
    assert (row["reported"], row["events"], row["total"], row["events_basis"]) == expected


def test_truncated_percentage_is_flagged_and_impossible_one_gets_no_interval(table):
    spine = table.loc["bone_site_spine"]
    assert (spine["events"], spine["events_basis"]) == (16, "from percent, only if truncated")
    pelvis = table.loc["bone_site_pelvis"]
    assert pelvis["events_basis"] == "percentage fits no k/n"
    assert pelvis["ci_low"] != pelvis["ci_low"]  # NaN: no interval without a count


def test_time_point_rates_and_missing_denominators_get_no_binomial_interval(table):
    assert table.loc["lung_local_efficacy_48m", "events_basis"] == "time-point rate"
    assert table.loc["bone_general_anaesthesia", "events_basis"] == "no denominator"
    assert table.loc["lung_local_efficacy_48m", "estimate"] == pytest.approx(0.89)


def test_filters():
    t = proportion_table(
        load_evidence(), series_ids=["liver_tae_mtc"], endpoints=["tumor_response"]
    )
    assert set(t["series_id"]) == {"liver_tae_mtc"}
    assert len(t) == 4


# ---- made-up rows: a crude count of a time-to-event endpoint; per-lesion clustering -------


def _made_up_death_count(root, edit_cell):
    """A patient row turned into 3 deaths of 12 patients, with no time point."""
    line = find_line(root, "outcomes", "outcome_id", "tae_partial_response_count")
    for column, value in (("endpoint", "overall_survival"), ("category", ""),
                          ("numerator", "3"), ("value", "3"), ("group", ""),
                          ("group_kind", "")):
        edit_cell(root, "outcomes", line, column, value)
    return load_evidence(root)


def test_crude_count_of_a_time_to_event_endpoint_has_no_interval_and_says_why(
        evidence_copy, edit_cell):
    assert "overall_survival" in TIME_TO_EVENT_ENDPOINTS
    ev = _made_up_death_count(evidence_copy, edit_cell)
    table = proportion_table(ev, series_ids=["liver_tae_mtc"], endpoints=["overall_survival"])
    row = table.iloc[0]
    assert (row["events"], row["total"], row["events_basis"]) == (3, 12, "stated")
    assert math.isnan(row["ci_low"]) and math.isnan(row["ci_high"]) and row["method"] == ""
    assert math.isnan(row["estimate"])  # 3/12 would read as a probability of death
    assert row["interval_note"] == (
        "no interval: a crude count of a time-to-event endpoint (overall survival) over "
        "patients; it ignores censoring and follow-up, so k/n is not a binomial proportion "
        "(see the survival reconstruction)")
    with pytest.raises(ValueError, match="tae_partial_response_count'?: no interval: a crude "
                                         "count of a time-to-event endpoint"):
        reported_proportions(["tae_partial_response_count"], ev)


def test_per_lesion_rows_get_the_design_effect_interval_with_its_assumption(
        evidence_copy, edit_cell):
    # made-up series counts: 75 lesions in 25 patients, m = 3; ICC 0-0.5 gives DE = 2
    line = find_line(evidence_copy, "series", "series_id", "bone_ir_cazzato")
    edit_cell(evidence_copy, "series", line, "n_lesions", "75")
    ev = load_evidence(evidence_copy)
    table = proportion_table(ev, method="wilson", series_ids=["bone_ir_cazzato"],
                             endpoints=["complete_treatment"], icc_range=(0.0, 0.5))
    row = table.iloc[0]
    k, n = int(row["events"]), int(row["total"])
    assert row["unit_of_analysis"] == "lesion"
    assert row["units_per_patient"] == pytest.approx(3.0)
    assert (row["icc_low"], row["icc_high"]) == (0.0, 0.5)
    assert row["design_effect"] == pytest.approx(2.0)
    assert row["effective_n"] == pytest.approx(n / 2)
    if k % 2 == 0 and n % 2 == 0:  # whole effective counts: proportion_ci is the reference
        expected = proportion_ci(k // 2, n // 2, method="wilson")
        assert (row["cluster_ci_low"], row["cluster_ci_high"]) == pytest.approx(expected)
    assert row["cluster_ci_low"] < row["ci_low"] and row["cluster_ci_high"] > row["ci_high"]
    assert (row["ci_low"], row["ci_high"]) == pytest.approx(proportion_ci(k, n))
    note = row["interval_note"]
    assert note.startswith(f"per lesion: the interval takes the {n} lesions as independent; ")
    assert "assumes ICC 0-0.5 (not reported) with 3.00 lesions per patient" in note
    assert "design effect up to 2.00" in note


def test_per_lesion_rows_without_a_lesion_count_say_they_are_unadjusted(
        evidence_copy, edit_cell):
    line = find_line(evidence_copy, "series", "series_id", "bone_ir_cazzato")
    edit_cell(evidence_copy, "series", line, "n_lesions", "")
    ev = load_evidence(evidence_copy)
    row = proportion_table(ev, series_ids=["bone_ir_cazzato"],
                           endpoints=["complete_treatment"]).iloc[0]
    assert math.isnan(row["cluster_ci_low"]) and math.isnan(row["design_effect"])
    assert row["interval_note"].endswith("as independent; no cluster adjustment (series.csv "
                                         "gives no count of lesions and patients)")


def test_patient_rows_need_no_cluster_adjustment(table):
    patients = table[(table["unit_of_analysis"] == "patient") & table["ci_low"].notna()]
    assert len(patients) > 0
    assert patients["cluster_ci_low"].isna().all() and (patients["interval_note"] == "").all()


def test_a_result_is_one_source_on_one_unit(evidence_copy, edit_cell):
    # made-up: the percentage row of a count-and-percentage pair attributed to another
    # source: the two no longer make one result
    line = find_line(evidence_copy, "outcomes", "outcome_id", "tae_partial_response_pct")
    edit_cell(evidence_copy, "outcomes", line, "source_id", "ref23")
    table = proportion_table(load_evidence(evidence_copy), series_ids=["liver_tae_mtc"])
    ids = list(table["outcome_ids"])
    assert "tae_partial_response_count" in ids and "tae_partial_response_pct" in ids
    assert set(table.loc[table["outcome_ids"].isin(["tae_partial_response_count",
                                                     "tae_partial_response_pct"]),
                         "source_id"]) == {"review", "ref23"}


def test_reported_proportions_and_their_plot_state_the_per_lesion_assumption(
        evidence_copy, edit_cell):
    from thyroid_evidence.plotting import plot_proportions

    line = find_line(evidence_copy, "series", "series_id", "bone_ir_cazzato")
    edit_cell(evidence_copy, "series", line, "n_lesions", "75")  # made-up: m = 3
    ev = load_evidence(evidence_copy)
    table = reported_proportions(["bone_complete_treatment", "song_symptom_relief"], ev,
                                 icc_range=(0.0, 0.5))
    lesion, patient = table.iloc[0], table.iloc[1]
    assert lesion["design_effect"] == pytest.approx(2.0)
    assert lesion["interval_note"].startswith("per lesion: the interval takes the ")
    assert math.isnan(patient["cluster_ci_low"]) and patient["interval_note"] == ""
    ax = plot_proportions(table)
    texts = [t.get_text().replace("\n", " ") for t in ax.texts]
    assert any("; clustered [" in t for t in texts if t.startswith(f"{lesion['events']}/"))
    footer = texts[-1]
    assert "Unit of analysis: per-lesion rows" in footer
    assert "ICC 0\u20130.5 (assumed, not reported)" in footer
    assert f"m lesions per patient = 3.00 ({lesion['series_label']})" in footer
    assert "bone_ir_cazzato" not in footer  # the series by its label, not its id
