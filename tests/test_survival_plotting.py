"""Plots: Axes out, labelled for a reader without help."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
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
    assert ax.get_ylabel() == "Survival (%)" and "Months" in ax.get_xlabel()
    labels = ax.get_legend_handles_labels()[1]
    assert any("rounding interval" in lab for lab in labels)
    assert any("95% band" in lab for lab in labels)
    assert any("not individual patient data" in t for t in texts)


def test_plot_reconstruction_check_reports_gaps():
    t, s = [0, 1, 2, 3], [1.0, 0.8, 0.6, 0.5]
    data = reconstruct_km(t, s, n_total=10)
    ax = plot_reconstruction_check(t, s, data)
    box = [x.get_text() for x in ax.texts if "largest gap" in x.get_text()]
    assert box and "0.00 percentage points" in box[0]


def test_plot_curve_rejects_plain_frames():
    with pytest.raises(TypeError, match="PseudoIPD"):
        plot_curve("not a result")
