"""Across-series helpers and the local-efficacy complement."""

from __future__ import annotations

import numpy as np
import pytest

from thyroid_evidence import load_evidence
from thyroid_evidence.plotting import (
    plot_complement,
    plot_proportion_table,
    plot_survival_comparison,
)
from thyroid_evidence.study import (
    complement_table,
    key_numbers,
    local_control_table,
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


def test_series_curves_cover_every_series_reporting_overall_survival(curves):
    assert list(curves) == ["lung_rfa_debaere", "liver_rfa_crc", "bone_ir_cazzato"]
    assert all(p.all_reproduced for p in curves.values())


def test_survival_comparison_draws_one_curve_per_series_with_its_size(evidence, curves):
    ax = plot_survival_comparison(curves, series_styles(evidence, curves), horizon_months=72)
    labels = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(labels) == 3
    assert any("n = 566" in label and "lung" in label for label in labels)
    assert ax.get_xlim() == (0.0, 72.0)
    with pytest.raises(ValueError, match="horizon_months must be > 0"):
        plot_survival_comparison(curves, series_styles(evidence, curves), horizon_months=0)


def test_key_numbers_prints_values_as_reported(evidence):
    table = key_numbers(evidence)
    assert list(table.columns) == list(evidence.series_ids)
    assert table.loc["Overall survival", "bone_ir_cazzato"] == (
        "71.6% at 12 mo; 66.8% at 24 mo; 60.1% at 36 mo")
    assert table.loc["Overall survival", "lung_rfa_debaere"] == "median 62 mo"
    assert table.loc["Follow-up", "bone_ir_cazzato"] == "median 4.6 y"
    assert table.loc["Local tumour progression", "lung_rfa_debaere"].startswith(
        "86/1037; 5.9% at 12 mo")
    assert table.loc["Lesions", "liver_tae_mtc"] == ""


def test_local_control_rows_and_what_may_be_pooled(evidence):
    table = local_control_table(evidence)
    assert set(table["endpoint"]) == {"local_efficacy", "disease_control", "tumor_response",
                                      "complete_treatment"}
    assert "stable_disease" not in set(table["category"])
    pool = pooling_rows(table)
    # a subgroup of the same patients is not an independent study
    assert list(zip(pool["k"], pool["n"], strict=True)) == [(5, 12), (30, 54)]


def test_proportion_plot_marks_rows_without_interval(evidence):
    table = proportion_table(evidence, series_ids=["lung_rfa_debaere"],
                             endpoints=["local_efficacy", "local_tumor_progression"])
    ax = plot_proportion_table(table, title="t")
    texts = [t.get_text() for t in ax.texts]
    assert "89%  no interval: time-point rate" in texts
    assert any(t.startswith("86/1037  8.3% [") for t in texts)
    with pytest.raises(ValueError, match="table is empty"):
        plot_proportion_table(table.iloc[:0])


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
