"""Across-series helpers and the local-efficacy complement."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from tests.conftest import find_line
from thyroid_evidence import load_evidence
from thyroid_evidence.config import evidence_dir
from thyroid_evidence.plotting import (
    plot_complement,
    plot_proportion_table,
    plot_survival_comparison,
)
from thyroid_evidence.study import (
    complement_table,
    key_numbers,
    local_control_table,
    pooling_refusal,
    pooling_rows,
    proportion_table,
    reconstruct_series,
    series_curves,
    series_styles,
)
from thyroid_evidence.survival import ensemble


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.fixture(scope="module")
def curves(evidence):
    return series_curves(evidence, "overall_survival")


def _reporting_overall_survival(evidence) -> list[str]:
    """Series (file order) with an overall-survival milestone or median, read from the rows."""
    out = evidence.outcomes
    rows = out[(out["endpoint"] == "overall_survival")
               & out["statistic"].isin(["survival", "median"])
               & out["category"].isna() & out["subgroup"].isna()]
    return [s for s in evidence.series_ids if s in set(rows["series_id"])]


def test_series_curves_cover_every_series_reporting_overall_survival(evidence, curves):
    assert list(curves) == _reporting_overall_survival(evidence)
    assert all(p.all_reproduced for p in curves.values())


def test_survival_comparison_draws_one_curve_per_series_with_its_size(evidence, curves):
    ax = plot_survival_comparison(curves, series_styles(evidence, curves), horizon_months=72)
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(labels) == len(curves)
    for series_id in curves:  # each curve's label gives its size and site, from series.csv
        info = evidence.series_info(series_id)
        assert any(f"n = {info['n_patients']}" in label and info["target_site"] in label
                   for label in labels), (series_id, labels)
    assert ax.get_xlim() == (0.0, 72.0)
    with pytest.raises(ValueError, match="horizon_months must be > 0"):
        plot_survival_comparison(curves, series_styles(evidence, curves), horizon_months=0)


def test_series_styles_read_label_and_technique_kind_from_the_evidence(evidence_copy,
                                                                       edit_cell):
    ev = load_evidence(evidence_copy)
    styles = series_styles(ev, ev.series_ids)
    series = ev.series.set_index("series_id")
    assert list(styles["technique_kind"]) == list(series["technique_kind"])
    for series_id, label in styles["label"].items():
        row = series.loc[series_id]
        assert label == (f"{row['label']} (n = {row['n_patients']}, "
                         f"{row['target_site'].replace('_', ' ')})")
    # the techniques' words do not decide the kind: only technique_kind does
    line = find_line(evidence_copy, "series", "series_id", ev.series_ids[0])
    edit_cell(evidence_copy, "series", line, "techniques", "embolization; cementoplasty")
    edit_cell(evidence_copy, "series", line, "technique_kind", "")
    edit_cell(evidence_copy, "series", line, "target_site", "cervical_lymph_nodes")
    edited = series_styles(load_evidence(evidence_copy), ev.series_ids[:1]).iloc[0]
    assert edited["technique_kind"] == "other"
    assert edited["label"].endswith(", cervical lymph nodes)")


def _csv_rows(name: str) -> list[dict[str, str]]:
    with (evidence_dir() / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_key_numbers_prints_values_as_reported(evidence):
    # the numbers as printed are the CSV's own text (71.6 stays 71.6, 62 stays 62)
    table = key_numbers(evidence)
    assert list(table.columns) == list(evidence.series_ids)
    checked = 0
    for row in _csv_rows("outcomes"):
        if (row["endpoint"], row["statistic"], row["unit"], row["subgroup"]) == (
                "follow_up", "median", "years", ""):
            assert f"median {row['value']} y" in table.loc["Follow-up", row["series_id"]]
        if row["endpoint"] != "overall_survival" or row["subgroup"]:
            continue
        cell = table.loc["Overall survival", row["series_id"]]
        if row["statistic"] == "survival" and row["unit"] == "percent":
            assert f"{row['value']}% at {float(row['time_months']):g} mo" in cell, cell
            checked += 1
        elif row["statistic"] == "median" and row["unit"] == "months":
            assert f"median {row['value']} mo" in cell, cell
            checked += 1
    assert checked > 0
    for row in _csv_rows("series"):
        assert table.loc["Patients", row["series_id"]] == row["n_patients"]
        assert table.loc["Lesions", row["series_id"]] == row["n_lesions"]  # "" when not reported


def test_local_control_rows(evidence):
    table = local_control_table(evidence)
    assert set(table["endpoint"]) == {"local_efficacy", "disease_control", "tumor_response",
                                      "complete_treatment"}
    assert "stable_disease" not in set(table["category"])


def _made_up(rows):
    """A proportion table of made-up rows: (series, endpoint, category, subgroup, unit, k, n)."""
    records = []
    for series_id, endpoint, category, subgroup, unit, k, n in rows:
        low = np.nan if k is None else 0.1
        records.append({"series_id": series_id, "endpoint": endpoint, "category": category,
                        "subgroup": subgroup, "unit_of_analysis": unit, "events": k, "total": n,
                        "ci_low": low, "ci_high": low})
    return pd.DataFrame.from_records(records)


def test_pooling_rows_of_two_endpoints_are_refused_naming_both():
    table = _made_up([("s1", "tumor_response", "partial_response", "", "patient", 3, 10),
                      ("s2", "complete_treatment", "", "", "patient", 20, 40)])
    with pytest.raises(ValueError) as info:
        pooling_rows(table)
    assert str(info.value) == pooling_refusal(table) == (
        "pooling refused: the rows with a count measure 2 different endpoints (tumor response: "
        "partial response [s1]; complete treatment [s2]); a pooled proportion needs one "
        "endpoint on one unit of analysis")


def test_pooling_rows_of_two_units_are_refused_naming_both():
    table = _made_up([("s1", "complete_treatment", "", "", "patient", 3, 10),
                      ("s2", "complete_treatment", "", "", "lesion", 20, 40),
                      ("s3", "complete_treatment", "", "", "lesion", 9, 30)])
    with pytest.raises(ValueError, match=r"2 different units of analysis \(patient \[s1\]; "
                                         r"lesion \[s2, s3\]\)"):
        pooling_rows(table)


def test_pooling_refuses_the_same_series_twice():
    table = _made_up([("s1", "complete_treatment", "", "", "lesion", 3, 10),
                      ("s1", "complete_treatment", "", "", "lesion", 4, 10),
                      ("s2", "complete_treatment", "", "", "lesion", 20, 40)])
    table["source_id"] = ["review", "paper1", "review"]
    with pytest.raises(ValueError, match=r"the same patients more than once \(s1: 2 rows, "
                                         r"from review, paper1\)"):
        pooling_rows(table)


def test_pooling_rows_keep_whole_series_proportions_of_one_endpoint_and_unit():
    table = _made_up([("s1", "complete_treatment", "", "", "lesion", 3, 10),
                      ("s1", "complete_treatment", "", "small lesions", "lesion", 2, 5),
                      ("s2", "complete_treatment", "", "", "lesion", 20, 40),
                      ("s3", "complete_treatment", "", "", "lesion", None, None),
                      ("s4", "local_tumor_progression", "", "", "patient", 8, 50)])
    table.loc[4, ["ci_low", "ci_high"]] = np.nan  # a crude time-to-event count: no interval
    assert pooling_refusal(table) == ""
    pool = pooling_rows(table)
    # a subgroup of the same patients is not an independent study; no count, no interval: out
    assert list(zip(pool["series_id"], pool["events"], pool["total"], strict=True)) == [
        ("s1", 3, 10), ("s2", 20, 40)]


def test_local_control_is_pooled_only_when_the_rows_agree(evidence):
    table = local_control_table(evidence)
    candidates = table[table["ci_low"].notna() & (table["subgroup"] == "")]
    kinds = set(zip(candidates["endpoint"], candidates["category"], strict=True))
    units = set(candidates["unit_of_analysis"])
    refusal = pooling_refusal(table)
    twice = bool(candidates["series_id"].duplicated().any())
    assert bool(refusal) == (len(kinds) > 1 or len(units) > 1 or twice)
    for endpoint, _ in kinds if refusal else ():
        assert endpoint.replace("_", " ") in refusal


def test_proportion_plot_marks_rows_without_interval(evidence):
    table = proportion_table(evidence, series_ids=["lung_rfa_debaere"],
                             endpoints=["local_efficacy", "local_tumor_progression"])
    ax = plot_proportion_table(table, title="t")
    texts = [t.get_text().replace("\n", " ") for t in ax.texts]
    # a time-point rate: the value as printed, a footnote marker and the reason in the note
    rate = table[table["endpoint"] == "local_efficacy"].iloc[0]
    cell = next(t for t in texts if t.startswith(rate["reported"]))
    marker = cell[len(rate["reported"]):]
    assert marker and f"{marker} No interval: a time-point rate (actuarial), not k of n" in (
        " ".join(texts))
    # a crude count of progressions over lesions is not drawn as a binomial proportion
    crude = table[table["endpoint"] == "local_tumor_progression"].iloc[0]
    assert pd.isna(crude["ci_low"]) and pd.isna(crude["estimate"])
    assert ("No interval: a crude count of a time-to-event endpoint (local tumor progression) "
            "over lesions; it ignores censoring and follow-up, so k/n is not a binomial "
            "proportion") in " ".join(texts)
    assert not any(t.startswith("[") for t in texts)  # no interval printed for either row
    # and it is not placed on the proportion axis: one open square per time-point rate only
    open_squares = [ln for ln in ax.lines if ln.get_marker() == "s" and ln.get_mfc() == "white"]
    assert len(open_squares) == int(table["events"].isna().sum())
    with pytest.raises(ValueError, match="table is empty"):
        plot_proportion_table(table.iloc[:0])


def test_per_lesion_figure_states_the_unit_and_the_icc_range(evidence_copy, edit_cell):
    # made-up counts: 75 lesions in 25 patients (m = 3)
    line = find_line(evidence_copy, "series", "series_id", "bone_ir_cazzato")
    edit_cell(evidence_copy, "series", line, "n_lesions", "75")
    ev = load_evidence(evidence_copy)
    table = proportion_table(ev, series_ids=["bone_ir_cazzato"],
                             endpoints=["complete_treatment"], icc_range=(0.1, 0.3))
    ax = plot_proportion_table(table)
    texts = " ".join(t.get_text() for t in ax.texts).replace("\n", " ")
    assert "Unit of analysis: per-lesion rows" in texts
    assert "ICC 0.1\u20130.3 (assumed, not reported)" in texts
    label = ev.series.set_index("series_id").loc["bone_ir_cazzato"].get("label")
    assert f"m lesions per patient = 3.00 ({label})" in texts
    row = table.iloc[0]
    assert (f"[{100 * row['cluster_ci_low']:.1f}; "
            f"{100 * row['cluster_ci_high']:.1f}]") in texts
    # a thin line spans the cluster-adjusted interval, a thick one the independent interval
    spans = {(round(float(seg[0, 0]), 6), round(float(seg[1, 0]), 6)): float(c.get_linewidth()[0])
             for c in ax.collections if hasattr(c, "get_segments") for seg in c.get_segments()}
    thin = (round(100 * row["cluster_ci_low"], 6), round(100 * row["cluster_ci_high"], 6))
    thick = (round(100 * row["ci_low"], 6), round(100 * row["ci_high"], 6))
    assert spans[thin] < spans[thick]


def test_local_efficacy_complement_and_summary_frame(evidence):
    pseudo = reconstruct_series(evidence, "lung_rfa_debaere", "local_tumor_progression")
    band = ensemble(pseudo, n_draws=100, seed=3, tau=60, times=np.linspace(0, 60, 121))
    table = complement_table(evidence, "lung_rfa_debaere", band)
    assert list(table["outcome_id"]) == ["lung_local_efficacy_48m"]
    row = table.iloc[0]
    assert row["reported_percent"] == 89.0
    # 1 - 11.0% reproduced within its rounding (10.95-11.05%) at 48 months
    assert row["reconstructed_percent"] == pytest.approx(89.0, abs=0.05 + 1e-9)
    assert row["ci_low"] < 89.0 < row["ci_high"] and bool(row["within_band"])
    ax = plot_complement(band, table)
    assert ax.get_ylabel() == "Local efficacy (%)"
    summary = band.summary_frame()
    assert list(summary["quantity"]) == ["restricted mean time lost to the event up to 60 months"]
    assert summary["ci_low"].iloc[0] <= summary["estimate"].iloc[0] <= summary["ci_high"].iloc[0]
    os_band = ensemble(reconstruct_series(evidence, "bone_ir_cazzato", "overall_survival"),
                       n_draws=50, seed=1, tau=36)
    assert list(os_band.summary_frame()["quantity"]) == [
        "median survival time", "restricted mean survival time up to 36 months"]
    with pytest.raises(ValueError, match="cumulative-incidence reconstruction"):
        complement_table(evidence, "bone_ir_cazzato", os_band)
