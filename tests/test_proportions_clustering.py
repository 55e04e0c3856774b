"""Cluster adjustment of per-lesion proportions; pooling refusals; no heterogeneity claim for k < 3.

Made-up inputs only: these describe behaviour, not the review's rows.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from thyroid_evidence.plotting.forest import plot_forest  # noqa: E402
from thyroid_evidence.proportions import (  # noqa: E402
    DEFAULT_ICC_RANGE,
    cluster_adjusted_ci,
    design_effect,
    effective_counts,
    pool_proportions,
    proportion_ci,
)

# ---- design effect -----------------------------------------------------------------------


def test_design_effect_is_one_plus_m_minus_one_times_icc():
    assert design_effect(3.0, 0.25) == pytest.approx(1.5, rel=1e-15)
    assert design_effect(2.0, 0.5) == pytest.approx(1.5, rel=1e-15)
    assert design_effect(1.0, 0.9) == 1.0  # one lesion per patient: nothing to adjust
    assert design_effect(4.0, 0.0) == 1.0  # independence


def test_effective_counts_divide_both_counts_by_the_design_effect():
    assert effective_counts(30, 60, 1.5) == pytest.approx((20.0, 40.0), rel=1e-15)
    k_eff, n_eff = effective_counts(7, 21, 1.75)
    assert k_eff / n_eff == pytest.approx(7 / 21, rel=1e-15)  # the proportion is unchanged
    assert n_eff == pytest.approx(12.0, rel=1e-15)


def test_cluster_adjusted_interval_is_the_interval_at_the_effective_counts():
    # m = 3 lesions per patient, ICC up to 0.25: DE = 1.5, so 30/60 lesions count as 20/40.
    res = cluster_adjusted_ci(30, 60, 3.0, icc_range=(0.0, 0.25), method="wilson")
    assert res.design_effect == pytest.approx(1.5)
    assert res.effective_n == pytest.approx(40.0)
    # Wilson at 20 of 40 (whole effective counts here, so proportion_ci gives the reference)
    assert (res.ci_low, res.ci_high) == pytest.approx(proportion_ci(20, 40), rel=1e-12)
    assert (res.unadjusted_low, res.unadjusted_high) == pytest.approx(proportion_ci(30, 60))
    assert res.ci_low < res.unadjusted_low < 0.5 < res.unadjusted_high < res.ci_high
    # Wilson score interval in closed form at the effective counts, as a second reference
    z = stats.norm.isf(0.025)
    p, n = 0.5, 40.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert res.ci_high == pytest.approx(centre + half, rel=1e-12)


def test_clopper_pearson_at_fractional_effective_counts_uses_the_beta_quantiles():
    # m = 2, ICC 0.5: DE = 1.5; 10 of 40 lesions become 6.667 of 26.667
    res = cluster_adjusted_ci(10, 40, 2.0, icc_range=(0.5, 0.5), method="clopper-pearson")
    k, n = 10 / 1.5, 40 / 1.5
    assert res.ci_low == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1), rel=1e-10)
    assert res.ci_high == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k), rel=1e-10)


def test_widest_interval_over_the_range_and_the_range_is_kept():
    narrow = cluster_adjusted_ci(12, 50, 2.5, icc_range=(0.0, 0.1))
    wide = cluster_adjusted_ci(12, 50, 2.5, icc_range=(0.0, 0.6))
    assert wide.ci_low < narrow.ci_low and wide.ci_high > narrow.ci_high
    assert (wide.icc_low, wide.icc_high) == (0.0, 0.6)
    assert "ICC 0-0.6 (assumed; not reported)" in wide.assumption
    # DE = 1 + 1.5 x 0.6 = 1.9; 50 / 1.9 = 26.3
    assert "m = 2.50" in wide.assumption
    assert "DE up to 1.90, effective n 26.3 of 50" in wide.assumption
    assert DEFAULT_ICC_RANGE == (0.0, 0.5)
    zero = cluster_adjusted_ci(0, 50, 2.5)
    assert zero.ci_low == 0.0 and zero.ci_high > proportion_ci(0, 50)[1]


def test_bad_cluster_inputs_say_what_is_allowed():
    with pytest.raises(ValueError, match=r"mean_cluster_size must be >= 1"):
        design_effect(0.5, 0.1)
    with pytest.raises(ValueError, match=r"icc must lie in \[0, 1\]; got 1.5"):
        design_effect(2.0, 1.5)
    with pytest.raises(TypeError, match="icc must be a number; got '0.1'"):
        design_effect(2.0, "0.1")
    with pytest.raises(ValueError, match="design_effect must be >= 1"):
        effective_counts(1, 10, 0.9)
    with pytest.raises(ValueError, match="low <= high"):
        cluster_adjusted_ci(3, 10, 2.0, icc_range=(0.4, 0.1))
    with pytest.raises(TypeError, match="icc_range must be a pair"):
        cluster_adjusted_ci(3, 10, 2.0, icc_range=0.3)
    with pytest.raises(ValueError, match="events must not exceed total"):
        cluster_adjusted_ci(11, 10, 2.0)
    with pytest.raises(ValueError, match="method must be one of"):
        cluster_adjusted_ci(3, 10, 2.0, method="exact")


# ---- pooling refused across endpoints or units -------------------------------------------


def test_pooling_two_endpoints_is_refused_naming_both():
    with pytest.raises(ValueError, match="pooling refused") as info:
        pool_proportions([5, 30], [12, 54], labels=["A", "B"],
                         endpoints=["response: partial", "complete treatment"])
    text = str(info.value)
    assert "2 different endpoints" in text
    assert "'response: partial' (A)" in text and "'complete treatment' (B)" in text


def test_pooling_two_units_is_refused_naming_both():
    with pytest.raises(ValueError, match="pooling refused") as info:
        pool_proportions([5, 30, 4], [12, 54, 10], labels=["A", "B", "C"],
                         units=["patient", "lesion", "patient"])
    text = str(info.value)
    assert "'patient' (A, C)" in text and "'lesion' (B)" in text
    assert "one unit of analysis for every study" in text


def test_one_endpoint_and_one_unit_pool_as_without_labels():
    plain = pool_proportions([5, 9, 4], [12, 20, 10])
    labelled = pool_proportions([5, 9, 4], [12, 20, 10], endpoints=["x"] * 3,
                                units=["lesion"] * 3)
    assert labelled.estimate == plain.estimate and labelled.tau2 == plain.tau2
    with pytest.raises(ValueError, match=r"units must have one entry per study \(3\); got 2"):
        pool_proportions([5, 9, 4], [12, 20, 10], units=["lesion"] * 2)
    with pytest.raises(TypeError, match="endpoints must be a sequence of str"):
        pool_proportions([5, 9, 4], [12, 20, 10], endpoints="x")


# ---- k < 3: no heterogeneity or prediction-interval claim --------------------------------


def test_k2_makes_no_heterogeneity_or_prediction_claim_and_says_why():
    res = pool_proportions([5, 30], [12, 54], labels=["A", "B"])
    assert not res.heterogeneity_estimable
    assert res.heterogeneity_note.startswith("k = 2: heterogeneity not estimable")
    assert "need k \u2265 3 studies" in res.heterogeneity_note
    pooled = res.summary_frame().iloc[-1]
    assert math.isnan(pooled["pi_low"]) and math.isnan(pooled["pi_high"])
    assert pooled["note"] == res.heterogeneity_note
    assert "tau2" not in repr(res) and "PI " not in repr(res)
    assert "heterogeneity not estimable" in repr(res)
    ax = plot_forest(res)
    texts = [t.get_text() for t in ax.texts]
    assert res.heterogeneity_note in texts
    assert not any("\u03c4\u00b2 =" in t or "I\u00b2 =" in t or t.startswith("PI [")
                   for t in texts)
    assert "Prediction interval" not in [t.get_text() for t in ax.get_yticklabels()]
    assert not any(c.get_label() == "prediction interval" for c in ax.collections)
    plt.close(ax.figure)


def test_k3_claims_heterogeneity_and_a_prediction_interval():
    res = pool_proportions([5, 30, 2], [12, 54, 20], labels=["A", "B", "C"])
    assert res.heterogeneity_estimable and res.heterogeneity_note == ""
    pooled = res.summary_frame().iloc[-1]
    assert (pooled["pi_low"], pooled["pi_high"]) == (res.pi_low, res.pi_high)
    assert f"tau2={res.tau2:.4g}" in repr(res)
    ax = plot_forest(res)
    # the forest is a table around the plot (meta's layout): read every text of the figure
    texts = [t.get_text() for t in ax.figure.findobj(matplotlib.text.Text)]
    assert any(f"I\u00b2 = {res.i2:.1f}%" in t for t in texts)
    assert f"[{100 * res.pi_low:.1f}; {100 * res.pi_high:.1f}]" in texts
    assert "Prediction interval" in texts
    plt.close(ax.figure)


def test_forest_prints_the_assumption_note_it_is_given():
    res = pool_proportions([5, 30, 2], [12, 54, 20])
    ax = plot_forest(res, note="Unit of analysis: lesion; made-up note")
    assert "Unit of analysis: lesion; made-up note" in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)
    ax = plot_forest(res)
    assert not any(t.get_text().startswith("Unit of analysis") for t in ax.texts)
    plt.close(ax.figure)
