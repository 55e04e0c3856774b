"""The digitised curves of evidence/curves/ (thyroid_evidence.curves, study.curves, validate)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from thyroid_evidence.cli import main
from thyroid_evidence.config import evidence_dir
from thyroid_evidence.curves import (
    CURVE_RULES,
    MONOTONE_SURVIVAL_TOLERANCE,
    curve_problems,
    load_curves,
    read_curve_ids,
)
from thyroid_evidence.evidence import Evidence, load_evidence
from thyroid_evidence.exceptions import EvidenceError
from thyroid_evidence.study.curves import (
    STATUSES,
    check_curve_against_text,
    evidence_curve,
    evidence_curve_problems,
)
from thyroid_evidence.survival import reconstruct_km

POINTS_HEADER = "curve_id,series_id,endpoint,arm,time_months,survival"
RISK_HEADER = "curve_id,time_months,n_risk"


def _write(root: Path, points: list[str], risk: list[str]) -> None:
    folder = root / "curves"
    folder.mkdir(exist_ok=True)
    (folder / "points.csv").write_text("\n".join([POINTS_HEADER, *points]) + "\n")
    (folder / "risk.csv").write_text("\n".join([RISK_HEADER, *risk]) + "\n")


def _steps(curve_id: str, series: str, levels: list[tuple[float, float]],
           endpoint: str = "overall_survival") -> list[str]:
    """Rows clicking both corners of every step: ``levels`` = (time, survival after it)."""
    rows = [f"{curve_id},{series},{endpoint},all,0,1"]
    before = 1.0
    for time, after in levels:
        rows += [f"{curve_id},{series},{endpoint},all,{time},{before}",
                 f"{curve_id},{series},{endpoint},all,{time},{after}"]
        before = after
    return rows


@pytest.fixture(scope="module")
def _package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("curves") / "evidence"
    shutil.copytree(evidence_dir(), target)
    return target


@pytest.fixture
def evidence_copy(_package: Path) -> Iterator[Path]:
    """One copy of evidence/ for the module (validating a fresh copy per test is slow); each
    test writes its own curves/ and it is removed afterwards."""
    yield _package
    shutil.rmtree(_package / "curves", ignore_errors=True)


@pytest.fixture(scope="module")
def evidence(_package: Path) -> Evidence:
    """The copy, loaded once: the curve functions read curves/ from its root when called."""
    return load_evidence(_package)


@pytest.fixture(scope="module")
def series_id(evidence: Evidence) -> str:
    return evidence.series_ids[0]


def test_an_evidence_folder_without_curves_is_valid(evidence_copy, evidence):
    assert not (evidence_copy / "curves").exists()
    assert curve_problems(evidence_copy) == []
    assert load_curves(evidence_copy).curve_ids == ()
    assert read_curve_ids(evidence_copy) == ()
    assert evidence_curve_problems(evidence) == []


def test_a_valid_curve_is_read_and_joined_to_its_series(evidence_copy, evidence, series_id):
    _write(evidence_copy, _steps("c1", series_id, [(6, 0.9), (12, 0.8)]) + [
        f"c1,{series_id},overall_survival,all,20,0.8"], ["c1,12,8", "c1,0,10", "c1,6,9"])
    assert read_curve_ids(evidence_copy) == ("c1",)
    assert evidence_curve_problems(evidence) == []
    curve = evidence_curve(evidence, "c1")
    assert (curve.series_id, curve.endpoint, curve.arm) == (series_id, "overall_survival", "all")
    assert curve.time.tolist() == [0, 6, 6, 12, 12, 20]
    assert curve.risk_times.tolist() == [0, 6, 12]  # sorted by time
    assert curve.n_risk.tolist() == [10, 9, 8]
    with pytest.raises(LookupError, match="curve_id='c9' is not in curves/points.csv; "
                                          "allowed: c1"):
        evidence_curve(evidence, "c9")


def test_clicks_with_noise_pass_but_a_rising_curve_is_refused(evidence_copy, series_id):
    # the two corners of the step at 6 clicked in swapped time order, a level 0.005 high
    noisy = [f"n,{series_id},overall_survival,all,{t},{s}" for t, s in
             [(0, 1), (6.05, 1.0), (5.98, 0.9), (9, 0.905), (12, 0.9), (12.02, 0.8)]]
    rising = _steps("r", series_id, [(6, 0.9)]) + [
        f"r,{series_id},overall_survival,all,9,{0.9 + MONOTONE_SURVIVAL_TOLERANCE + 0.01}"]
    _write(evidence_copy, noisy + rising, ["n,0,10", "r,0,10"])
    assert curve_problems(evidence_copy) == [
        f"curves/points.csv:11: survival: 0.93 — {CURVE_RULES['monotone']} (curve 'r' is at "
        "0.9 before time 8.82)"]


def test_risk_table_rules_name_file_and_row(evidence_copy, series_id):
    _write(evidence_copy, _steps("a", series_id, [(6, 0.9)]) + _steps("b", series_id, [(6, .9)]),
           ["a,3,10", "a,6,12", "a,6,11", "x,0,5"])
    problems = curve_problems(evidence_copy)
    assert problems == [
        f"curves/points.csv:5: curve_id: b — {CURVE_RULES['points_have_risk']}",
        f"curves/risk.csv:2: time_months: 3 — {CURVE_RULES['risk_start']} (curve 'a')",
        f"curves/risk.csv:3: n_risk: 12 — {CURVE_RULES['risk_monotone']} (curve 'a': 10 at 3)",
        f"curves/risk.csv:4: time_months: 6 — {CURVE_RULES['risk_unique']} (curve 'a')",
        f"curves/risk.csv:5: curve_id: x — {CURVE_RULES['risk_has_points']}",
    ]


def test_one_series_endpoint_and_arm_per_curve(evidence_copy, series_id):
    rows = _steps("c", series_id, [(6, 0.9)])
    rows[2] = rows[2].replace("overall_survival", "progression_free_survival")
    _write(evidence_copy, rows, ["c,0,10"])
    assert curve_problems(evidence_copy) == [
        f"curves/points.csv:4: endpoint: progression_free_survival — "
        f"{CURVE_RULES['one_series']} ('overall_survival' on line 2)"]


def test_schema_problems_name_file_row_and_column(evidence_copy, series_id):
    rows = _steps("c", series_id, [(6, 0.9)])
    rows[1] = rows[1].replace(",6,1.0", ",6,1.2")
    rows[2] = rows[2].replace("overall_survival", "tumor_response")
    _write(evidence_copy, rows, ["c,0,ten"])
    problems = curve_problems(evidence_copy)
    assert any(p.startswith("curves/points.csv:3: survival: 1.2 — ") for p in problems)
    assert any(p.startswith("curves/points.csv:4: endpoint: tumor_response — ") for p in problems)
    assert any(p.startswith("curves/risk.csv:2: n_risk: ten — ") for p in problems)


def test_one_table_alone_or_a_header_only_table_is_refused(evidence_copy, series_id):
    _write(evidence_copy, _steps("c", series_id, [(6, 0.9)]), [])
    assert curve_problems(evidence_copy) == [
        "curves/risk.csv: empty table: a header but no rows (delete both curve tables when no "
        "curve is digitised)"]
    (evidence_copy / "curves" / "risk.csv").unlink()
    assert curve_problems(evidence_copy) == [
        f"curves/risk.csv: file not found — {CURVE_RULES['together']}"]


def test_validate_names_a_curve_whose_series_is_unknown(evidence_copy, evidence, capsys):
    _write(evidence_copy, _steps("c", "no_such_series", [(6, 0.9)]), ["c,0,10"])
    with pytest.raises(EvidenceError, match="curves/points.csv:2: series_id: no_such_series — "
                                            "the series must be in series.csv"):
        evidence_curve(evidence, "c")
    assert main(["validate", str(evidence_copy)]) == 1
    err = capsys.readouterr().err
    assert "curves/points.csv:2: series_id: no_such_series" in err
    assert "Traceback" not in err


def test_an_evidence_curve_is_checked_against_the_text(evidence_copy, evidence):
    # a quoted overall-survival milestone of the evidence, whichever series has one
    rows = evidence.outcomes
    rows = rows[(rows["endpoint"] == "overall_survival") & (rows["statistic"] == "survival")
                & (rows["unit"] == "percent") & rows["category"].isna()
                & rows["subgroup"].isna()]
    milestone = rows.iloc[0]
    series, time, value = milestone["series_id"], float(milestone["time_months"]), float(
        milestone["value"]) / 100
    n = 1000  # one drop of whole patients lands within 0.0005 of the quoted value
    level_ok = round(n * value) / n
    level_off = level_ok - 0.2  # the figure and the text disagree by 20 points
    _write(evidence_copy,
           _steps("ok", series, [(time / 2, level_ok)]) + [
               f"ok,{series},overall_survival,all,{2 * time},{level_ok}"]
           + _steps("off", series, [(time / 2, level_off)]) + [
               f"off,{series},overall_survival,all,{2 * time},{level_off}"],
           ["ok,0,1000", "off,0,1000"])
    statuses = {}
    for curve_id in ("ok", "off"):
        curve = evidence_curve(evidence, curve_id)
        result = reconstruct_km(curve.time, curve.survival, risk_times=curve.risk_times,
                                n_risk=curve.n_risk)
        table = check_curve_against_text(evidence, curve.series_id, curve.endpoint, result)
        at = table[(table["outcome_id"] == milestone["outcome_id"])]
        statuses[curve_id] = at["status"].item()
        assert np.isclose(at["reported"].item(), value)
    assert statuses == {"ok": STATUSES[0], "off": STATUSES[1]}
