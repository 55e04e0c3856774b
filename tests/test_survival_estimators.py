"""Estimators against R survival / cmprsk reference values (tests/reference/)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from thyroid_evidence.survival import cumulative_incidence, kaplan_meier, rmst

REF = json.loads((Path(__file__).parent / "reference" / "survival_reference.json").read_text())


def _frame(block):
    return pd.DataFrame({"time": block["data"]["time"], "event": block["data"]["status"]})


@pytest.mark.parametrize("name", ["km_lung", "km_aml", "km_veteran"])
def test_kaplan_meier_matches_r_survfit_loglog(name):
    ref = REF[name]
    km = kaplan_meier(_frame(ref))
    t = km.table
    assert_allclose(t["time"], ref["km"]["time"])
    assert_allclose(t["n_at_risk"], ref["km"]["n_risk"])
    assert_allclose(t["survival"], ref["km"]["survival"], atol=1e-12)
    lower = np.array([np.nan if v == "NA" else v for v in ref["km"]["lower"]], float)
    upper = np.array([np.nan if v == "NA" else v for v in ref["km"]["upper"]], float)
    ok = np.isfinite(lower)
    assert_allclose(t["ci_low"].to_numpy()[ok], lower[ok], atol=1e-10)
    assert_allclose(t["ci_high"].to_numpy()[ok], upper[ok], atol=1e-10)
    assert (km.alpha, km.level) == (0.05, 0.95)
    assert km.median == ref["median"]


@pytest.mark.parametrize("name", ["km_lung", "km_aml", "km_veteran"])
def test_rmst_matches_r_rmean(name):
    ref = REF[name]
    res = rmst(_frame(ref), ref["rmst"]["tau"])
    assert_allclose(res.estimate, ref["rmst"]["estimate"], rtol=1e-10)
    assert_allclose(res.se, ref["rmst"]["se"], rtol=1e-10)
    assert res.ci_low < res.estimate < res.ci_high


@pytest.mark.parametrize("name", ["cif_mgus2", "cif_small"])
@pytest.mark.parametrize("cause", [1, 2])
def test_aalen_johansen_matches_cmprsk_cuminc(name, cause):
    ref = REF[name]
    res = cumulative_incidence(_frame(ref), event_of_interest=cause)
    cu = ref[f"cuminc_event{cause}"]
    # cuminc lists both corners of each step; the second of each pair is the value after it
    times = np.array(cu["time"])[2::2]
    idx = np.searchsorted(res.table["time"], times)
    assert_allclose(res.table["cumulative_incidence"].to_numpy()[idx],
                    np.array(cu["estimate"])[2::2], atol=1e-12)
    assert_allclose(res.table["variance"].to_numpy()[idx], np.array(cu["variance"])[2::2],
                    atol=1e-12)
    # and the same estimate as survfit's multi-state Aalen-Johansen at all its times
    assert_allclose(res.cumulative_incidence_at(ref["survfit_ms"]["time"]),
                    ref["survfit_ms"][f"event{cause}"], atol=1e-12)


def test_cumulative_incidence_is_deterministic_with_ties_and_ci_ordered():
    ref = REF["cif_small"]
    a = cumulative_incidence(_frame(ref)).table
    np.random.seed(1)
    b = cumulative_incidence(_frame(ref)).table
    pd.testing.assert_frame_equal(a, b)
    inner = a[(a["cumulative_incidence"] > 0) & (a["cumulative_incidence"] < 1)]
    assert (inner["ci_low"] <= inner["cumulative_incidence"]).all()
    assert (inner["cumulative_incidence"] <= inner["ci_high"]).all()


def test_fitting_families_to_pseudo_data_is_gone():
    """Ranking families on pseudo-data drawn from a model was circular: families are fitted to
    the reported numbers inside the scenario set instead."""
    from thyroid_evidence import survival

    assert not hasattr(survival, "fit_parametric")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda d: kaplan_meier(d.assign(event=3)), "must be one of"),
        (lambda d: kaplan_meier(d.assign(time=-1.0)), "finite and >= 0"),
        (lambda d: rmst(d, -2), "tau must be"),
        (lambda d: kaplan_meier(d, alpha=1.5), "alpha must lie in the open interval"),
        (lambda d: rmst(d, 12, alpha=0), "alpha must lie in the open interval"),
        (lambda d: cumulative_incidence(d, event_of_interest=3), "event_of_interest"),
    ],
)
def test_bad_input_names_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call(_frame(REF["km_aml"]))


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="data must be a pandas DataFrame"):
        kaplan_meier({"time": [1, 2], "event": [1, 0]})
    with pytest.raises(TypeError, match="alpha must be a number"):
        cumulative_incidence(_frame(REF["km_aml"]), alpha="5%")


@pytest.mark.parametrize("seed", [0, 1])
def test_km_kernel_equals_lifelines_and_both_forms_agree_on_tied_data(seed):
    from lifelines import KaplanMeierFitter

    from thyroid_evidence.survival import km

    rng = np.random.default_rng(seed)
    time = rng.integers(0, 15, size=200).astype(float)
    event = (rng.uniform(size=200) < 0.5).astype(int)
    x, s = km.km_step(time, event)
    expected = KaplanMeierFitter().fit(time, event).survival_function_at_times(x)
    assert_allclose(s, expected.to_numpy(), rtol=1e-12)
    # subject by subject, events first at tied times: the same curve at each distinct time
    order = km.tie_order(time, event == 1)
    per_subject = km.product_limit(km.sequential_at_risk(time.size, time.size), event[order])
    last_of_time = np.append(np.diff(time[order]) > 0, True)
    assert_allclose(per_subject[last_of_time], s, rtol=1e-12)
    assert_allclose(km.survival_on(time, event, [-1.0, 0.0, 7.5, 99.0]),
                    km.step_at(x, s, [-1.0, 0.0, 7.5, 99.0], 1.0))
    assert km.survival_on(time, event, [-1.0])[0] == 1.0
