"""thyroid_evidence.proportions: intervals, input checks, k = 1, result objects (the forest plot:
tests/test_forest.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from numpy.testing import assert_allclose  # noqa: E402
from scipy import stats  # noqa: E402

from thyroid_evidence.proportions import (  # noqa: E402
    CI_METHODS,
    PooledProportion,
    pool_proportions,
    proportion_ci,
)

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())
CI_ROWS = REF["proportion_ci"]


# ---- proportion_ci ----------------------------------------------------------------------


@pytest.mark.parametrize("method", CI_METHODS)
def test_proportion_ci_matches_r(method: str):
    """binom.test (Clopper-Pearson), prop.test(correct=FALSE) (Wilson), qbeta with the
    Brown-Cai-DasGupta end-point rule (Jeffreys) and the Agresti-Coull formula, from R."""
    assert len(CI_ROWS) >= 60
    for row in CI_ROWS:
        low, high = proportion_ci(row["k"], row["n"], method=method, alpha=row["alpha"])
        assert_allclose(
            [low, high],
            row[method],
            rtol=1e-9,
            atol=1e-12,
            err_msg=f"{method} k={row['k']} n={row['n']} alpha={row['alpha']}",
        )


def test_jeffreys_end_points_follow_brown_cai_dasgupta():
    assert proportion_ci(0, 12, method="jeffreys")[0] == 0.0
    assert proportion_ci(12, 12, method="jeffreys")[1] == 1.0
    # away from the end points it is the plain beta quantile
    low, high = proportion_ci(5, 12, method="jeffreys", alpha=0.1)
    assert low == pytest.approx(stats.beta.ppf(0.05, 5.5, 7.5), rel=1e-12)
    assert high == pytest.approx(stats.beta.ppf(0.95, 5.5, 7.5), rel=1e-12)
    # k = 0: upper bound still the beta quantile
    assert proportion_ci(0, 12, method="jeffreys")[1] == pytest.approx(
        stats.beta.ppf(0.975, 0.5, 12.5), rel=1e-12
    )


def test_proportion_ci_default_is_wilson_95():
    assert proportion_ci(5, 12) == proportion_ci(5, 12, method="wilson", alpha=0.05)
    low, high = proportion_ci(5, 12)
    assert (round(low, 4), round(high, 4)) == (0.1933, 0.6805)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"events": -1, "total": 5}, "events must be non-negative"),
        ({"events": 6, "total": 5}, "events must not exceed total"),
        ({"events": 0, "total": 0}, "total must be a positive count"),
        ({"events": 2.5, "total": 5}, "events must be whole numbers"),
        ({"events": 2, "total": 5.5}, "total must be whole numbers"),
        ({"events": 2, "total": 5, "alpha": 0.0}, "alpha must lie in the open interval"),
        ({"events": 2, "total": 5, "alpha": 1.0}, "alpha must lie in the open interval"),
        ({"events": 2, "total": 5, "method": "wald"}, "method must be one of"),
        ({"events": [1, 2], "total": [5, 5]}, "single counts"),
    ],
)
def test_proportion_ci_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        proportion_ci(**kwargs)


def test_proportion_ci_rejects_wrong_types():
    with pytest.raises(TypeError, match="alpha must be a number"):
        proportion_ci(2, 5, alpha="0.05")


def test_proportion_ci_unknown_method_lists_allowed_values():
    with pytest.raises(ValueError) as info:
        proportion_ci(1, 4, method="exact")
    for name in CI_METHODS:
        assert name in str(info.value)


# ---- pool_proportions: input checks -----------------------------------------------------


@pytest.mark.parametrize(
    ("events", "totals", "kwargs", "message"),
    [
        ([1, -2], [5, 6], {}, "events must be non-negative"),
        ([1, 2], [5, -6], {}, "totals must be non-negative"),
        ([1, 7], [5, 6], {}, "events must not exceed totals; study 2 has 7 events of 6"),
        ([1, 2.5], [5, 6], {}, "events must be whole numbers"),
        ([1, 2], [5, 6.2], {}, "totals must be whole numbers"),
        ([1, 2, 3], [5, 6], {}, "same length; got 3 events and 2 totals"),
        ([], [], {}, "at least one study"),
        ([1, 2], [0, 6], {}, "totals must be positive"),
        ([1, float("nan")], [5, 6], {}, "events must not contain NaN"),
        ([1, 2], [5, 6], {"alpha": 0}, "alpha must lie in the open interval"),
        ([1, 2], [5, 6], {"alpha": 1.5}, "alpha must lie in the open interval"),
        ([1, 2], [5, 6], {"method": "HS"}, "method must be one of"),
        ([1, 2], [5, 6], {"method": "reml"}, "method must be one of"),
        ([1, 2], [5, 6], {"transform": "probit"}, "transform must be one of"),
        ([1, 2], [5, 6], {"labels": ["a"]}, "labels must have one entry per study"),
        ([1, 2], [5, 6], {"method": "GLMM", "transform": "arcsine"}, "needs transform='logit'"),
        ([0, 0], [5, 6], {"method": "GLMM"}, "no finite maximum-likelihood estimate"),
        ([5, 6], [5, 6], {"method": "GLMM"}, "no finite maximum-likelihood estimate"),
    ],
)
def test_pool_proportions_rejects_bad_input(events, totals, kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool_proportions(events, totals, **kwargs)


def test_pool_proportions_rejects_wrong_types():
    with pytest.raises(TypeError, match="hakn must be True or False"):
        pool_proportions([1, 2], [5, 6], hakn="yes")
    with pytest.raises(TypeError, match="alpha must be a number"):
        pool_proportions([1, 2], [5, 6], alpha=None)


def test_unknown_method_and_transform_list_allowed_values():
    with pytest.raises(ValueError) as info:
        pool_proportions([1, 2], [5, 6], method="EB")
    for name in ("FE", "DL", "REML", "PM", "ML", "GLMM"):
        assert f"'{name}'" in str(info.value)
    with pytest.raises(ValueError) as info:
        pool_proportions([1, 2], [5, 6], transform="probit")
    for name in ("logit", "arcsine", "log", "raw"):
        assert f"'{name}'" in str(info.value)


@pytest.mark.parametrize("name", ["freeman-tukey", "Freeman-Tukey", "PFT", "double-arcsine"])
def test_freeman_tukey_is_refused_with_the_reason(name: str):
    with pytest.raises(ValueError, match="deliberately not offered") as info:
        pool_proportions([1, 2], [5, 6], transform=name)
    assert "Schwarzer et al. 2019" in str(info.value)
    assert "misleading" in str(info.value)


# ---- pool_proportions: behaviour ---------------------------------------------------------


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM", "ML", "GLMM"])
def test_single_study_returns_its_own_estimate_with_a_warning(method: str):
    with pytest.warns(UserWarning, match=r"Only one study \(k = 1\)"):
        res = pool_proportions([5], [12], method=method, labels=["TAE"])
    assert res.k == 1
    assert res.estimate == pytest.approx(5 / 12, rel=1e-12)
    assert math.isnan(res.tau2) and math.isnan(res.i2) and math.isnan(res.h2)
    half = stats.norm.isf(0.025) * math.sqrt(1 / 5 + 1 / 7)
    expected = 1 / (1 + np.exp(-(np.log(5 / 7) + np.array([-half, half]))))
    assert_allclose([res.ci_low, res.ci_high], expected, rtol=1e-12)
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)
    assert res.studies["weight"].tolist() == [100.0]


def test_single_zero_event_study_uses_the_half_correction():
    with pytest.warns(UserWarning):
        res = pool_proportions([0], [10], transform="logit")
    assert res.mu == pytest.approx(math.log(0.5 / 10.5), rel=1e-12)
    assert res.ci_low < res.estimate < res.ci_high


@pytest.mark.parametrize("transform", ["logit", "arcsine", "log", "raw"])
def test_fixed_effect_prediction_interval_equals_ci(transform: str):
    res = pool_proportions([3, 10, 7], [15, 25, 40], method="FE", transform=transform)
    assert res.tau2 == 0.0
    assert (res.pi_low, res.pi_high) == (res.ci_low, res.ci_high)


def test_fixed_effect_with_hakn_warns_like_metafor():
    with pytest.warns(UserWarning, match="Knapp & Hartung"):
        pool_proportions([3, 10, 7], [15, 25, 40], method="FE", hakn=True)


def test_hakn_uses_t_quantile_with_k_minus_1_df():
    res = pool_proportions([3, 10, 7, 12], [15, 25, 40, 30], method="DL", hakn=True)
    assert res.crit == pytest.approx(stats.t.isf(0.025, 3), rel=1e-12)
    res = pool_proportions([3, 10, 7, 12], [15, 25, 40, 30], method="GLMM", hakn=True)
    assert res.crit == pytest.approx(stats.t.isf(0.025, 3), rel=1e-12)


def test_glmm_without_between_study_variation_is_the_common_logistic_model():
    # rma.glmm fails on this input ("Cannot fit ML model"); the maximum is tau = 0, where the
    # model is the fixed-effect logistic regression and lme4's fallback variance applies.
    res = pool_proportions([10, 20, 30], [50, 100, 150], method="GLMM")
    assert res.tau2 == 0.0
    assert res.mu == pytest.approx(math.log(0.2 / 0.8), abs=1e-9)
    assert res.se == pytest.approx(math.sqrt(1 / (300 * 0.2 * 0.8)), rel=1e-9)
    assert res.q == pytest.approx(0.0, abs=1e-12) and res.q_lrt == pytest.approx(0.0, abs=1e-9)


def test_glmm_uses_no_continuity_correction():
    # studies with 0 events enter the binomial likelihood as they are
    res = pool_proportions([0, 4, 6, 2, 9], [12, 30, 25, 18, 40], method="GLMM")
    ref = REF["datasets"]["zero_event"]["fits"]["GLMM|logit|z"]
    assert res.mu == pytest.approx(ref["b"], rel=1e-4)
    assert res.mu < pool_proportions([0, 4, 6, 2, 9], [12, 30, 25, 18, 40], method="FE").mu


def test_alpha_changes_the_interval_level():
    wide = pool_proportions([3, 10, 7], [15, 25, 40], method="DL", alpha=0.01)
    narrow = pool_proportions([3, 10, 7], [15, 25, 40], method="DL", alpha=0.2)
    assert wide.estimate == narrow.estimate
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert wide.crit == pytest.approx(stats.norm.isf(0.005))


def test_counts_accept_numpy_and_whole_floats():
    a = pool_proportions(np.array([3, 10, 7]), np.array([15.0, 25.0, 40.0]))
    b = pool_proportions([3, 10, 7], [15, 25, 40])
    assert a.estimate == b.estimate and a.tau2 == b.tau2


def test_result_is_frozen_and_summary_frame_lists_studies_and_pooled_row():
    res = pool_proportions([5, 9, 2], [12, 20, 10], labels=["a", "b", "c"])
    assert isinstance(res, PooledProportion)
    with pytest.raises(AttributeError):
        res.estimate = 0.5  # type: ignore[misc]
    frame = res.summary_frame()
    assert list(frame.index) == ["a", "b", "c", "pooled (REML)"]
    assert list(frame.columns) == [
        "events",
        "total",
        "proportion",
        "ci_low",
        "ci_high",
        "weight",
        "pi_low",
        "pi_high",
        "note",
    ]
    assert frame.loc["b", "proportion"] == pytest.approx(9 / 20)
    assert frame.loc["pooled (REML)", "proportion"] == res.estimate
    assert frame.loc["pooled (REML)", "pi_high"] == res.pi_high
    assert frame.loc["pooled (REML)", "events"] == 16
    assert frame["weight"].iloc[:3].sum() == pytest.approx(100.0)
    assert math.isnan(frame.loc["a", "pi_low"])
    text = repr(res)
    assert "method='REML'" in text and f"estimate={res.estimate:.4f}" in text


def test_default_labels():
    res = pool_proportions([5, 9], [12, 20])
    assert list(res.studies["label"]) == ["Study 1", "Study 2"]


def test_counts_given_as_text_are_refused():
    with pytest.raises(TypeError, match="events must be whole numbers \\(counts\\), not text"):
        proportion_ci("1", 3)
    with pytest.raises(TypeError, match="events must be whole numbers \\(counts\\), not text"):
        pool_proportions(["1", "2"], [5, 6])
