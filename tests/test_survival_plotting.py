"""Plots: Axes out, labelled for a reader without help."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from tests.conftest import reported, series_size  # noqa: E402
from thyroid_evidence.plotting import plot_curve, plot_reconstruction_check  # noqa: E402
from thyroid_evidence.survival import (  # noqa: E402
    ensemble,
    reconstruct_from_summary,
    reconstruct_km,
)

BONE_OS = {t: reported(f"bone_os_{t}m") for t in (12, 24, 36)}  # percent, as printed


@pytest.fixture(scope="module")
def result():
    return reconstruct_from_summary(series_size("bone_ir_cazzato"),
                                    survival_at={t: v / 100 for t, v in BONE_OS.items()},
                                    follow_up_median=reported("bone_followup_median") * 12,
                                    precision=0.001)


def test_plot_curve_with_band_markers_and_risk_table(result):
    band = ensemble(result, n_draws=100, seed=0, times=np.linspace(0, 60, 61))
    ax = plot_curve(result, band=band, time_max=60, title="Bone metastases: overall survival")
    texts = [t.get_text() for t in ax.texts]
    assert all(f"{v:.1f}%" in texts for v in BONE_OS.values())
    assert "Number at risk (patients), pseudo-data (assumed censoring)" in texts
    assert str(series_size("bone_ir_cazzato")) in texts
    assert ax.get_ylabel() == "Survival (%), Kaplan–Meier" and "Months" in ax.get_xlabel()
    labels = ax.get_legend_handles_labels()[1]
    assert any("rounding interval" in lab for lab in labels)
    assert any("95% band" in lab for lab in labels)
    assert any("not individual patient data" in t for t in texts)
    # beyond the last reported milestone the curve is dashed and says so
    last = max(BONE_OS)
    assert any(f"Extrapolated under assumptions (beyond the reported numbers, {last:g} months)"
               == lab for lab in labels)
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert dashed and float(np.min(dashed[0].get_xdata())) >= last - 1e-9


def test_plot_reconstruction_check_reports_gaps():
    t, s = [0, 1, 2, 3], [1.0, 0.8, 0.6, 0.5]
    data = reconstruct_km(t, s, n_total=10)
    ax = plot_reconstruction_check(t, s, data)
    box = [x.get_text() for x in ax.texts if "largest gap" in x.get_text()]
    assert box and "0.00 percentage points" in box[0]


def test_plot_curve_rejects_plain_frames():
    with pytest.raises(TypeError, match="PseudoIPD"):
        plot_curve("not a result")


# --- scenario sets (made-up inputs) ---------------------------------------------------------

from thyroid_evidence.plotting import plot_scenarios, plot_survival_comparison  # noqa: E402
from thyroid_evidence.survival import scenario_set, summary_spec  # noqa: E402


@pytest.fixture(scope="module")
def milestones_set():
    return scenario_set(summary_spec(40, survival_at={12: 0.80, 24: 0.65, 36: 0.55},
                                     precision=0.01), n_draws=40, seed=0)


@pytest.fixture(scope="module")
def incidence_set():
    spec = summary_spec(400, cumulative_incidence_at={12: 0.10, 24: 0.15},
                        competing_rate=0.01, follow_up_median=30,
                        precision={"milestones": 0.01, "follow_up_median": 1},
                        unit_of_analysis="lesion")
    return scenario_set(spec, n_patients=250, n_draws=40, seed=0)


def _line_ends(ax):
    return [float(np.max(line.get_xdata())) for line in ax.get_lines()
            if len(line.get_xdata()) > 10]


def test_scenario_figure_stops_at_the_horizon_and_names_the_estimator(milestones_set):
    ax = plot_scenarios(milestones_set, time_max=60)
    assert ax.get_ylabel() == "Survival (%), Kaplan–Meier"
    assert max(_line_ends(ax)) <= milestones_set.horizon_months + 1e-9
    texts = [t.get_text() for t in ax.texts]
    assert any("pseudo-data (assumed censoring)" in t for t in texts)
    assert any("reported numbers end" in t for t in texts)
    labels = ax.get_legend_handles_labels()[1]
    assert any(lab.startswith("Envelope of") for lab in labels)
    assert not any("extrapolated" in lab.lower() for lab in labels)


def test_extrapolation_is_drawn_differently_labelled_and_never_past_zero_at_risk(milestones_set):
    ax = plot_scenarios(milestones_set, time_max=200, extrapolate=True)
    labels = ax.get_legend_handles_labels()[1]
    assert any("Extrapolated under assumptions" in lab for lab in labels)
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert dashed and float(np.min(dashed[0].get_xdata())) >= milestones_set.horizon_months
    assert max(_line_ends(ax)) <= milestones_set.last_at_risk_time() + 1e-9


def test_audit_numbers_at_risk_get_their_own_row(milestones_set):
    at_risk = pd.DataFrame({"time_months": [12.0, 24.0], "low": [30, 20], "high": [32, 26]})
    ax = plot_scenarios(milestones_set, at_risk=at_risk)
    texts = [t.get_text() for t in ax.texts]
    assert "30–32" in texts and "20–26" in texts
    assert any("compatible with the reported values" in t for t in texts)


def test_numbers_at_risk_the_models_expect_beyond_what_integer_data_allow_are_named(
        milestones_set):
    """40 patients at 80% by 12 months: the models expect about 32 at risk there (no
    censoring is reported); audit ranges that exclude that are named in the caption."""
    expected = milestones_set.at_risk([12.0]).iloc[0]
    clash = pd.DataFrame({"time_months": [12.0], "low": [1], "high": [2]})
    ax = plot_scenarios(milestones_set, at_risk=clash)
    caption = " ".join(t.get_text().replace("\n", " ") for t in ax.texts)
    assert "expect other numbers at risk" in caption
    assert f"12 months: {int(expected.low)}–{int(expected.high)} expected, 1–2 possible" in caption
    agree = pd.DataFrame({"time_months": [12.0], "low": [int(expected.low)],
                          "high": [int(expected.high)]})
    ax = plot_scenarios(milestones_set, at_risk=agree)
    assert not any("expect other numbers at risk" in t.get_text() for t in ax.texts)


def test_each_incidence_reading_is_its_own_figure(incidence_set):
    for est in incidence_set.estimators:
        ax = plot_scenarios(incidence_set, estimator=est)
        assert ("Aalen" in ax.get_ylabel()) == (est == "aalen-johansen")
    if len(incidence_set.estimators) > 1:
        with pytest.raises(ValueError, match="pass estimator="):
            plot_scenarios(incidence_set)
    with pytest.raises(TypeError, match="ScenarioSet"):
        plot_scenarios("not a set")


def test_comparison_cuts_each_set_at_its_own_horizon_with_its_band(milestones_set):
    short = scenario_set(summary_spec(80, survival_at={12: 0.7}, precision=0.01), n_draws=20)
    sets = {"a": milestones_set, "b": short}
    styles = pd.DataFrame({"label": ["A", "B"], "target_site": ["bone", "lung"],
                           "technique_kind": ["ablation", "embolization"]},
                          index=pd.Index(["a", "b"], name="series_id"))
    ax = plot_survival_comparison(sets, styles, horizon_months=72)
    ends = sorted(_line_ends(ax))
    assert ends == pytest.approx([12.0, 36.0])
    assert len(ax.collections) >= 2  # one band per set
    assert "Kaplan–Meier" in ax.get_ylabel()
