"""Progression-free survival of a made-up series added to a temporary copy of evidence/.

Every time-to-event endpoint the schema accepts must be reconstructable; PFS is the one no
series of the review reports, so a made-up study reports it here (milestones and a median,
or a median alone). The new rows are copies of rows already in the evidence with the fields
that matter changed, so the test follows the schema as it grows.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from thyroid_evidence import load_evidence
from thyroid_evidence.study import reconstruct_scenarios, reconstruct_series
from thyroid_evidence.vocab import SURVIVAL_ENDPOINTS, TIME_TO_EVENT_ENDPOINTS

SERIES = "madeup_pfs_series"
ENDPOINT = "progression_free_survival"


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _add_study(root: Path, n: int, milestones: dict[int, str], median: str | None) -> None:
    """A series of ``n`` patients reporting PFS (percent at months, median in months)."""
    fields, series = _rows(root / "series.csv")
    new = dict(series[0], series_id=SERIES, title="A made-up PFS series", n_patients=str(n),
               n_lesions=str(n), n_procedures="", n_procedures_source="", follow_up="",
               note="")
    if "label" in new:
        new["label"] = "Made-up 2024"
    _write(root / "series.csv", fields, [*series, new])
    fields, outcomes = _rows(root / "outcomes.csv")
    plain = [r for r in outcomes if not r["category"] and not r["subgroup"]
             and not r["group"] and not r["comparator"]]
    point = next(r for r in plain if r["statistic"] == "survival" and r["unit"] == "percent")
    med = next(r for r in plain if r["statistic"] == "median" and r["unit"] == "months"
               and r["endpoint"] == "overall_survival")
    added = []
    for month, value in milestones.items():
        added.append(dict(point, outcome_id=f"madeup_pfs_{month}", series_id=SERIES,
                          endpoint=ENDPOINT, unit_of_analysis="patient", time_months=str(month),
                          value=value, decimals=str(len(value.partition(".")[2])),
                          numerator="", denominator="", denominator_basis="", note=""))
    if median is not None:
        added.append(dict(med, outcome_id="madeup_pfs_median", series_id=SERIES,
                          endpoint=ENDPOINT, value=median, decimals="0", note=""))
    _write(root / "outcomes.csv", fields, [*outcomes, *added])


@pytest.fixture
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(tmp_path / "cache"))


def test_pfs_is_a_time_to_event_endpoint_of_the_survival_kind():
    assert ENDPOINT in SURVIVAL_ENDPOINTS and ENDPOINT in TIME_TO_EVENT_ENDPOINTS


def test_pfs_milestones_and_median_are_reconstructed(evidence_copy, private_cache):
    _add_study(evidence_copy, 80, {12: "55", 24: "30"}, "14")
    evidence = load_evidence(evidence_copy)
    sset = reconstruct_scenarios(evidence, SERIES, ENDPOINT, n_draws=40)
    assert sset.kind == "survival" and sset.n == 80 and sset.horizon_months == 24
    rep = sset.reported.set_index("quantity")
    assert rep.loc["median", "reported"] == 14
    points = sset.reported[sset.reported["quantity"] == "survival"]
    assert points["time_months"].tolist() == [12.0, 24.0]
    assert points["reported"].tolist() == [0.55, 0.30]
    assert sset.accepted
    for i in sset.accepted:  # each accepted model passes through the rounding intervals
        got = sset.curve(i, np.array([12.0, 24.0]))
        assert np.all(np.abs(got - [0.55, 0.30]) <= 0.005 + 1e-9)
    summary = sset.summary(times=[12.0, 36.0])
    median = summary[summary["quantity"] == "median"].iloc[0]
    assert median["identified"] and median["low"] <= 14 <= median["high"]
    assert summary.set_index("time_months").loc[36.0, "identified"].item() is False
    assert "progression free survival" in sset.label
    pseudo = reconstruct_series(evidence, SERIES, ENDPOINT)
    assert pseudo.kind == "survival" and len(pseudo.data) == 80
    assert pseudo.all_reproduced, pseudo.reported_vs_reproduced


def test_a_pfs_median_alone_identifies_the_median_not_the_curve(evidence_copy, private_cache):
    _add_study(evidence_copy, 50, {}, "9")
    evidence = load_evidence(evidence_copy)
    sset = reconstruct_scenarios(evidence, SERIES, ENDPOINT, n_draws=40)
    assert sset.horizon_months == 9.5  # the upper end of the median's rounding
    summary = sset.summary(times=[6.0, 12.0]).set_index("quantity")
    median = summary.loc["median"]
    assert median["identified"] and (median["bound_low"], median["bound_high"]) == (8.5, 9.5)
    surv = summary.loc["survival"].set_index("time_months")
    # before the median, a median alone bounds survival only by 50% and 100%: the narrower
    # interval shown comes from the scenarios' models, not from the data
    assert (surv.loc[6.0, "bound_low"], surv.loc[6.0, "bound_high"]) == (0.5, 1.0)
    assert surv.loc[6.0, "high"] - surv.loc[6.0, "low"] < 0.5
    assert surv["identified"].to_dict() == {6.0: False, 12.0: False}
    assert sset.accepted
    pseudo = reconstruct_series(evidence, SERIES, ENDPOINT)
    assert pseudo.all_reproduced, pseudo.reported_vs_reproduced
