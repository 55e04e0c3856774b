"""Every survival and progression number the review reports is reproduced by its pseudo-IPD.

The reported values are read from evidence/ here too, never typed in.
"""

import numpy as np
import pytest
from lifelines import KaplanMeierFitter

from tests.conftest import find_line
from thyroid_evidence import load_evidence
from thyroid_evidence.study import reconstruct_series
from thyroid_evidence.vocab import TIME_TO_EVENT_ENDPOINTS

CASES = [
    ("bone_ir_cazzato", "overall_survival"),
    ("lung_rfa_debaere", "overall_survival"),
    ("lung_rfa_debaere", "local_tumor_progression"),
    ("liver_rfa_crc", "overall_survival"),
    ("liver_rfa_crc", "local_tumor_progression_free_survival"),
]


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.mark.parametrize("series_id, endpoint", CASES)
def test_every_reported_value_reproduced_within_rounding(evidence, series_id, endpoint):
    res = reconstruct_series(evidence, series_id, endpoint)
    table = res.reported_vs_reproduced
    assert table["within_rounding"].all(), table.to_string()
    rows = evidence.outcomes_for(series_id, endpoint)
    rows = rows[rows["category"].isna() & rows["subgroup"].isna()]
    timed = rows[rows["statistic"].isin(["survival", "cumulative_incidence"])]
    # one table row per reported milestone, with the reported value as stored
    got = table[table["quantity"] == res.kind].set_index("time_months")["reported"]
    for row in timed.itertuples():
        assert got.loc[row.time_months] == pytest.approx(row.value / 100)
    info = evidence.series_info(series_id)
    expected_n = info["n_lesions"] if res.unit_of_analysis == "lesion" else info["n_patients"]
    assert len(res.data) == expected_n


@pytest.mark.parametrize("series_id, endpoint", CASES)
def test_independent_kaplan_meier_of_the_pseudo_data_rounds_to_the_reported_values(
    evidence, series_id, endpoint
):
    """Recompute with lifelines, not with the package, and compare with evidence/ directly."""
    res = reconstruct_series(evidence, series_id, endpoint)
    data = res.data
    km = KaplanMeierFitter().fit(data["time"], data["event"] == 1)
    rows = evidence.outcomes_for(series_id, endpoint)
    rows = rows[rows["category"].isna() & rows["subgroup"].isna()]
    checked = 0
    for row in rows.itertuples():
        half = 0.5 * 10.0 ** -row.decimals
        if row.statistic in ("survival", "cumulative_incidence"):
            s = float(km.survival_function_at_times([row.time_months]).iloc[0])
            value = 100 * (s if row.statistic == "survival" else 1 - s)
            # the local-progression rates are read as 1 - KM with deaths censored (see the
            # assumptions), which is what this recomputation does
            assert abs(value - row.value) <= half + 1e-9, (row.outcome_id, value)
            checked += 1
        elif row.statistic == "median" and row.unit == "months":
            assert abs(km.median_survival_time_ - row.value) <= half + 1e-9, row.outcome_id
            checked += 1
    assert checked == len(rows[rows["statistic"].isin(["survival", "cumulative_incidence",
                                                         "median"])])
    follow = evidence.outcomes_for(series_id, "follow_up")
    follow = follow[follow["statistic"] == "median"]
    if len(follow):
        row = follow.iloc[0]
        factor = 12.0 if row["unit"] == "years" else 1.0
        reverse = KaplanMeierFitter().fit(data["time"], data["event"] == 0)
        half = 0.5 * 10.0 ** -int(row["decimals"]) * factor
        assert abs(reverse.median_survival_time_ - row["value"] * factor) <= half + 1e-9
    assert np.isfinite(data["time"]).all() and (data["time"] >= 0).all()


def test_local_progression_is_per_lesion_with_competing_deaths(evidence):
    res = reconstruct_series(evidence, "lung_rfa_debaere", "local_tumor_progression")
    assert res.unit_of_analysis == "lesion"
    assert set(res.data["event"]) == {0, 1, 2}
    count = evidence.outcomes_for("lung_rfa_debaere", "local_tumor_progression")
    count = count[count["statistic"] == "count"].iloc[0]["value"]
    assert (res.data["event"] == 1).sum() == count
    assert any("competing deaths" in a for a in res.assumptions)
    assert any("read as" in a for a in res.assumptions)


def test_unknown_endpoint_lists_allowed(evidence):
    with pytest.raises(ValueError, match="allowed: " + ", ".join(TIME_TO_EVENT_ENDPOINTS)):
        reconstruct_series(evidence, "bone_ir_cazzato", "tumor_response")
    with pytest.raises(ValueError, match="series_id='nope'"):
        reconstruct_series(evidence, "nope", "overall_survival")


def test_the_survival_package_still_offers_reconstruct_series():
    from thyroid_evidence import survival

    assert survival.reconstruct_series is reconstruct_series


def test_progression_free_survival_is_rebuilt_like_overall_survival(evidence_copy, edit_cell):
    """A series reporting progression-free survival (a survival endpoint) is reconstructable."""
    ids = [f"bone_os_{t}m" for t in (12, 24, 36)]
    for oid in ids:
        line = find_line(evidence_copy, "outcomes", "outcome_id", oid)
        edit_cell(evidence_copy, "outcomes", line, "endpoint", "progression_free_survival")
    edited = load_evidence(evidence_copy)
    pfs = reconstruct_series(edited, "bone_ir_cazzato", "progression_free_survival")
    assert pfs.kind == "survival"
    assert pfs.reported_vs_reproduced["within_rounding"].all()
    table = pfs.reported_vs_reproduced
    assert list(table.loc[table["quantity"] == "survival", "time_months"]) == [12.0, 24.0, 36.0]
    # the same numbers as overall survival give the same pseudo-data
    os_ = reconstruct_series(load_evidence(), "bone_ir_cazzato", "overall_survival")
    assert pfs.data.equals(os_.data)
    assert pfs.label.endswith("progression free survival")
