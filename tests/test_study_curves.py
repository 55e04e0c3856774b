"""A digitised curve checked against the values the text quotes (study.curves)."""

import numpy as np
import pandas as pd
import pytest

from thyroid_evidence import load_evidence
from thyroid_evidence.study.curves import STATUSES, check_curve, quoted_values
from thyroid_evidence.survival import reconstruct_km


@pytest.fixture(scope="module")
def curve():
    # 20 patients, no censoring: S = 0.9 from 6, 0.5 from 12, 0.25 from 24 months
    return reconstruct_km([0, 6, 6, 12, 12, 24, 24, 30], [1, 1, .9, .9, .5, .5, .25, .25],
                          n_total=20)


def _quoted(rows):
    return pd.DataFrame(rows, columns=["outcome_id", "quantity", "time_months", "reported",
                                       "lower", "upper"])


def test_values_within_digitisation_error_are_consistent_and_others_flagged(curve):
    quoted = _quoted([("a", "survival", 12.0, 0.51, 0.505, 0.515),
                      ("b", "survival", 24.0, 0.40, 0.395, 0.405),
                      ("c", "median", np.nan, 12.0, 11.5, 12.5),
                      ("d", "survival", 36.0, 0.2, 0.195, 0.205)])
    table = check_curve(curve, quoted, digitisation_error=0.02)
    assert table["status"].tolist() == [STATUSES[0], STATUSES[1], STATUSES[0], STATUSES[2]]
    assert table.loc[0, "curve"] == pytest.approx(0.5)
    assert (table.loc[1, "curve_low"], table.loc[1, "curve_high"]) == pytest.approx((.23, .27))
    assert table.loc[2, "curve"] == pytest.approx(12.0, abs=0.02)


def test_bad_arguments(curve):
    with pytest.raises(TypeError, match="PseudoIPD"):
        check_curve(pd.DataFrame(), _quoted([]))
    with pytest.raises(ValueError, match="digitisation_error"):
        check_curve(curve, _quoted([]), digitisation_error=1.5)
    with pytest.raises(TypeError, match="band"):
        check_curve(curve, _quoted([]), band="x")


def test_quoted_values_are_the_evidence_rows():
    ev = load_evidence()
    rows = ev.outcomes
    plain = rows[rows["category"].isna() & rows["subgroup"].isna()]
    found = 0
    for (series_id, endpoint), group in plain.groupby(["series_id", "endpoint"]):
        if endpoint not in ("overall_survival", "local_tumor_progression"):
            continue
        quoted = quoted_values(ev, series_id, endpoint)
        stat = "survival" if endpoint == "overall_survival" else "cumulative_incidence"
        mil = group[(group["statistic"] == stat) & (group["unit"] == "percent")]
        got = quoted[quoted["quantity"] == "survival"].set_index("outcome_id")["reported"]
        for r in mil.itertuples():
            expected = r.value / 100 if stat == "survival" else 1 - r.value / 100
            assert got[r.outcome_id] == pytest.approx(expected)
            found += 1
    assert found > 0
    with pytest.raises(ValueError, match="has no curve"):
        quoted_values(ev, ev.series_ids[0], "tumor_response")
