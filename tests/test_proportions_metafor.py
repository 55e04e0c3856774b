"""pool_proportions against R metafor, field by field, for every method x transform x hakn.

Reference values: tests/reference/metafor_reference.json, written by
``Rscript tests/reference/make_reference.R`` (metafor ``rma``/``rma.glmm``, tight convergence
settings; see the script's header). R is not needed to run these tests.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from thyroid_evidence import load_evidence
from thyroid_evidence.proportions import pool_proportions

REFERENCE = Path(__file__).parent / "reference" / "metafor_reference.json"
REF = json.loads(REFERENCE.read_text())
DATASETS = REF["datasets"]

RTOL = 1e-6
# lme4 fits the GLMM with its own optimizer and finite-difference Hessian; agreement is
# limited by those, hence the looser tolerance.
RTOL_GLMM = 1e-4
# Absolute floor for quantities that are 0 in exact arithmetic (tau2 at the boundary comes
# back from R as 0, 3e-16 or 4e-16).
ATOL = 1e-10

FIT_IDS = [(name, fid) for name, d in DATASETS.items() for fid in d["fits"]]


def _back(values, transform: str) -> np.ndarray:
    """metafor's transf.ilogit / transf.iarcsin / exp / identity, then clipped to [0, 1]."""
    z = np.asarray(values, dtype=float)
    out = {
        "logit": lambda v: 1.0 / (1.0 + np.exp(-v)),
        "arcsine": lambda v: np.sin(np.clip(v, 0.0, math.pi / 2)) ** 2,
        "log": np.exp,
        "raw": lambda v: v,
    }[transform](z)
    return np.clip(out, 0.0, 1.0)


def _clip(value) -> float:
    """predict(res, transf=...) values; metafor leaves log/raw bounds outside [0, 1]."""
    return min(max(float(value), 0.0), 1.0)


def _fit(d: dict, method: str, transform: str, hakn: bool):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FE + hakn warns, as metafor does
        return pool_proportions(
            d["events"],
            d["totals"],
            method=method,
            transform=transform,
            hakn=hakn,
            labels=d["labels"],
        )


def test_reference_covers_the_required_datasets():
    names = set(DATASETS)
    assert len(names) >= 12
    ks = {name: len(d["events"]) for name, d in DATASETS.items()}
    assert 2 in ks.values() and 3 in ks.values()
    assert any(0 in d["events"] for d in DATASETS.values())  # zero-event study
    assert any(
        any(e == n for e, n in zip(d["events"], d["totals"], strict=True))
        for d in DATASETS.values()
    )  # all-event study
    assert DATASETS["homogeneous"]["fits"]["REML|logit|z"]["tau2"] == 0
    assert DATASETS["heterogeneous"]["fits"]["REML|logit|z"]["I2"] > 90
    assert any(name.startswith("review_") for name in names)
    # metafor's Fisher scoring oscillates here; the reference was refitted with stepadj = 0.5
    # and our fallback (root of the REML score) must reach the same optimum
    assert "stepadj = 0.5" in DATASETS["sparse"]["fits"]["REML|logit|z"]["note"]
    combos = {fid for d in DATASETS.values() for fid in d["fits"]}
    assert len(combos) == 5 * 4 * 2 + 2


def test_reference_review_data_match_the_current_evidence():
    """The R script read the review's numbers from evidence/; they must still be current."""
    outcomes = load_evidence().outcomes
    rows = outcomes[(outcomes["source_id"] == "review") & outcomes["numerator"].notna()
                    & outcomes["denominator"].notna()]
    key_cols = [
        "series_id",
        "endpoint",
        "category",
        "subgroup",
        "unit_of_analysis",
        "numerator",
        "denominator",
    ]
    rows = rows[~rows[key_cols].astype(str).duplicated()]
    expected = DATASETS["review_all"]
    assert list(rows["outcome_id"]) == expected["outcome_ids"], (
        "evidence/outcomes.csv changed: rerun `Rscript tests/reference/make_reference.R`"
    )
    assert_allclose(rows["numerator"].astype(float), expected["events"])
    assert_allclose(rows["denominator"].astype(float), expected["totals"])
    for name, d in DATASETS.items():
        if name.startswith("review_") and name != "review_all":
            sub = rows[rows["series_id"] == name.removeprefix("review_")]
            assert list(sub["outcome_id"]) == d["outcome_ids"]


@pytest.mark.parametrize(("dataset", "fit_id"), FIT_IDS, ids=[f"{n}-{f}" for n, f in FIT_IDS])
def test_pool_proportions_matches_metafor(dataset: str, fit_id: str):
    d = DATASETS[dataset]
    ref = d["fits"][fit_id]
    method, transform, test = fit_id.split("|")
    hakn = test == "hakn"
    if "error" in ref:
        assert method == "GLMM", ref["error"]
        if all(e == n for e, n in zip(d["events"], d["totals"], strict=True)):
            # every study has all events: rma.glmm cannot fit it, and we refuse it too
            with pytest.raises(ValueError, match="GLMM"):
                _fit(d, method, transform, hakn)
            return
        # rma.glmm cannot fit data with no between-study variation at all ("identical");
        # we return the boundary solution instead, checked in test_proportions.py.
        assert dataset == "identical", ref["error"]
        return
    res = _fit(d, method, transform, hakn)
    rtol = RTOL_GLMM if method == "GLMM" else RTOL

    def check(actual, expected, name, rtol=rtol, atol=ATOL):
        assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=f"{fit_id}: {name}")

    assert res.k == ref["k"] == len(d["events"])
    assert (res.method, res.transform, res.hakn) == (method, transform, hakn)
    # transformed scale: rma()$b, $se, $ci.lb, $ci.ub; predict()$pi.lb, $pi.ub
    check(res.mu, ref["b"], "b")
    check(res.se, ref["se"], "se")
    # A bound is a difference of b and crit * se; where they nearly cancel (GLMM, sparse data)
    # the tolerance is relative to their size, not to the bound's.
    scale = abs(ref["b"]) + res.crit * math.sqrt(ref["se"] ** 2 + ref["tau2"])
    bound_atol = max(ATOL, (rtol * scale) if method == "GLMM" else ATOL)
    check(res.mu - res.crit * res.se, ref["ci_lb"], "ci.lb", atol=bound_atol)
    check(res.mu + res.crit * res.se, ref["ci_ub"], "ci.ub", atol=bound_atol)
    # proportion scale: predict(res, transf=...)
    check(res.estimate, _clip(ref["pred_t"]), "pred (back-transformed)")
    check(res.ci_low, _clip(ref["ci_lb_t"]), "ci.lb (back-transformed)")
    check(res.ci_high, _clip(ref["ci_ub_t"]), "ci.ub (back-transformed)")
    if method == "FE":
        # predict.rma gives no prediction interval for FE models; it equals the CI
        assert ref["pi_lb"] is None
        check(res.pi_low, _clip(ref["ci_lb_t"]), "pi.lb = ci.lb (FE)")
        check(res.pi_high, _clip(ref["ci_ub_t"]), "pi.ub = ci.ub (FE)")
    else:
        half = res.crit * math.sqrt(res.se**2 + res.tau2)
        check(res.mu - half, ref["pi_lb"], "pi.lb", atol=bound_atol)
        check(res.mu + half, ref["pi_ub"], "pi.ub", atol=bound_atol)
        check(res.pi_low, _clip(ref["pi_lb_t"]), "pi.lb (back-transformed)")
        check(res.pi_high, _clip(ref["pi_ub_t"]), "pi.ub (back-transformed)")
    check(res.tau2, ref["tau2"], "tau2")
    check(res.i2, ref["I2"], "I2", atol=1e-8)
    check(res.h2, ref["H2"], "H2")
    if method == "GLMM":
        # metafor's QE.Wld comes from a saturated glm that cannot reach the infinite logits of
        # 0/n-event studies and leaves ~1e-7 of them in Q; we use the limit (they contribute
        # nothing). Near Q = 0 with df = 1 the p-value moves by sqrt(Q), hence the atol.
        check(res.q, ref["QE"], "QE.Wld", atol=1e-5)
        check(res.q_pvalue, ref["QEp"], "QEp.Wld", atol=1e-3)
        check(res.q_lrt, ref["QE_LRT"], "QE.LRT", atol=1e-8)
        check(res.q_lrt_pvalue, ref["QEp_LRT"], "QEp.LRT", atol=1e-8)
    else:
        check(res.q, ref["QE"], "QE")
        check(res.q_pvalue, ref["QEp"], "QEp")
        assert math.isnan(res.q_lrt)
        check(res.studies["weight"], ref["weights"], "weights(res)")
    assert res.q_df == len(d["events"]) - 1


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("transform", ["logit", "arcsine", "log", "raw"])
def test_studies_table_matches_escalc(dataset: str, transform: str):
    d = DATASETS[dataset]
    ref = d["escalc"][transform]
    res = _fit(d, "DL", transform, False)
    st = res.studies
    assert list(st.columns) == [
        "label",
        "events",
        "total",
        "proportion",
        "yi",
        "vi",
        "weight",
        "ci_low",
        "ci_high",
    ]
    assert list(st["label"]) == d["labels"]
    assert_allclose(st["events"], d["events"])
    assert_allclose(st["proportion"], np.array(d["events"]) / np.array(d["totals"]))
    assert_allclose(st["yi"], ref["yi"], rtol=RTOL, atol=ATOL)
    assert_allclose(st["vi"], ref["vi"], rtol=RTOL, atol=ATOL)
    assert_allclose(st["ci_low"], _back(ref["ci_lb"], transform), rtol=RTOL, atol=ATOL)
    assert_allclose(st["ci_high"], _back(ref["ci_ub"], transform), rtol=RTOL, atol=ATOL)
    assert st["weight"].sum() == pytest.approx(100.0)


DEFAULT_IDS = [(n, m) for n, d in DATASETS.items() for m in d["default_control"]]


@pytest.mark.parametrize(
    ("dataset", "method"), DEFAULT_IDS, ids=[f"{n}-{m}" for n, m in DEFAULT_IDS]
)
def test_close_to_metafor_with_its_default_convergence_settings(dataset: str, method: str):
    """metafor's defaults stop early (tau2 change < 1e-5, uniroot tol eps^0.25, lme4's
    Nelder-Mead); our optimum stays within that slack of what a default call prints."""
    d = DATASETS[dataset]
    ref = d["default_control"][method]
    res = _fit(d, method, "logit", False)
    assert_allclose(res.tau2, ref["tau2"], rtol=1e-4, atol=2e-5)
    assert_allclose(res.mu, ref["b"], rtol=1e-3, atol=1e-5)
    assert_allclose(res.se, ref["se"], rtol=1e-4, atol=1e-6)


def test_reference_records_versions():
    assert REF["metafor_version"].count(".") >= 1
    assert REF["r_version"].startswith("R version")
    assert REF["settings"]["glmm_nAGQ"] == 7
    assert REF["lme4_version"].count(".") >= 1
