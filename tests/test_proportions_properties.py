"""Property tests of pool_proportions and proportion_ci for random valid inputs (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from thyroid_evidence.proportions import CI_METHODS, pool_proportions, proportion_ci


@st.composite
def studies(draw, min_k: int = 2, max_k: int = 12):
    k = draw(st.integers(min_k, max_k))
    totals = draw(st.lists(st.integers(1, 500), min_size=k, max_size=k))
    events = [draw(st.integers(0, n)) for n in totals]
    return events, totals


SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(
    data=studies(),
    method=st.sampled_from(["FE", "DL", "REML", "PM", "ML", "GLMM"]),
    transform=st.sampled_from(["logit", "arcsine", "log", "raw"]),
    hakn=st.booleans(),
    alpha=st.sampled_from([0.01, 0.05, 0.1, 0.3]),
)
def test_pooled_estimates_are_coherent(data, method, transform, hakn, alpha):
    events, totals = data
    if method == "GLMM":
        transform = "logit"
        assume(
            not all(e == 0 for e in events)
            and not all(e == n for e, n in zip(events, totals, strict=True))
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # FE + hakn
        res = pool_proportions(
            events, totals, method=method, transform=transform, hakn=hakn, alpha=alpha
        )
    assert 0.0 <= res.estimate <= 1.0
    assert 0.0 <= res.ci_low <= res.estimate <= res.ci_high <= 1.0
    assert res.pi_low <= res.ci_low + 1e-12 and res.pi_high >= res.ci_high - 1e-12
    assert 0.0 <= res.pi_low and res.pi_high <= 1.0
    assert res.tau2 >= 0.0
    assert 0.0 <= res.i2 <= 100.0
    assert res.h2 >= 1.0 or method == "FE"
    assert res.q >= 0.0 and 0.0 <= res.q_pvalue <= 1.0
    assert np.isfinite(res.se) and res.se >= 0.0
    assert abs(res.studies["weight"].sum() - 100.0) < 1e-9
    if method == "FE":
        assert res.tau2 == 0.0


@SETTINGS
@given(data=studies(min_k=1, max_k=1), method=st.sampled_from(["DL", "REML", "GLMM"]))
def test_single_study_interval_contains_its_estimate(data, method):
    events, totals = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        res = pool_proportions(events, totals, method=method)
    assert res.k == 1 and np.isnan(res.tau2)
    assert 0.0 <= res.ci_low <= res.estimate <= res.ci_high <= 1.0


@SETTINGS
@given(
    n=st.integers(1, 2000),
    frac=st.floats(0.0, 1.0),
    method=st.sampled_from(CI_METHODS),
    alpha=st.floats(0.001, 0.5),
)
def test_proportion_ci_contains_the_observed_proportion(n, frac, method, alpha):
    k = int(round(frac * n))
    low, high = proportion_ci(k, n, method=method, alpha=alpha)
    assert 0.0 <= low <= k / n <= high <= 1.0
