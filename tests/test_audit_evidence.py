"""audit_evidence over a small synthetic evidence folder, and format_audit in every format."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from thyroid_evidence import load_evidence
from thyroid_evidence.audit import AUDIT_COLUMNS, STATUSES, audit_evidence, format_audit
from thyroid_evidence.config import evidence_dir

SERIES = [
    {
        "series_id": "syn_bone", "source_id": "review", "title": "Synthetic bone series",
        "techniques": "cementoplasty", "target_site": "bone", "population": "synthetic",
        "design": "synthetic", "n_patients": "4", "n_lesions": "54", "n_procedures": "",
        "follow_up": "", "location": "test",
    },
    {
        "series_id": "syn_liver", "source_id": "review", "title": "Synthetic liver series",
        "techniques": "TAE", "target_site": "liver", "population": "synthetic",
        "design": "synthetic", "n_patients": "12", "n_lesions": "", "n_procedures": "",
        "follow_up": "", "location": "test",
    },
]


def _outcome(oid: str, series_id: str, endpoint: str, statistic: str, unit_of_analysis: str,
             unit: str, value: str, decimals: int, **extra: str) -> dict[str, str]:
    row = {
        "outcome_id": oid, "series_id": series_id, "source_id": "review",
        "endpoint": endpoint, "statistic": statistic, "unit_of_analysis": unit_of_analysis,
        "unit": unit, "value": value, "decimals": str(decimals), "quote": "synthetic",
        "location": "test",
    }
    row.update(extra)
    return row


def _mix(oid: str, category: str, value: str) -> dict[str, str]:
    return _outcome(oid, "syn_bone", "technique", "proportion", "lesion", "percent", value, 2,
                    category=category, denominator="54", denominator_basis="implied",
                    group="mix", group_kind="partition")


def _response(oid: str, value: str, k: str) -> dict[str, str]:
    return _outcome(oid, "syn_liver", "tumor_response", "proportion", "patient", "percent",
                    value, 0, category=oid, numerator=k, denominator="12",
                    denominator_basis="implied", group="resp", group_kind="partition")


def _context(oid: str, value: str) -> dict[str, str]:
    return _outcome(oid, "syn_bone", "symptomatic", "proportion", "lesion", "percent", value,
                    1, denominator="54", denominator_basis="implied", group="ctx",
                    group_kind="shared_denominator")


def _survival(oid: str, months: str, value: str) -> dict[str, str]:
    return _outcome(oid, "syn_bone", "overall_survival", "survival", "patient", "percent",
                    value, 0, time_months=months)


OUTCOMES = [
    _mix("mix_a", "a", "77.55"),
    _mix("mix_b", "b", "14.29"),
    _mix("mix_c", "c", "8.16"),
    _context("ctx_a", "31.5"),
    _context("ctx_b", "42.6"),
    _outcome("anaesthesia", "syn_bone", "anesthesia", "proportion", "procedure", "percent",
             "71.4", 1),
    _survival("os_12", "12", "75"),
    _survival("os_24", "24", "50"),
    _survival("os_36", "36", "25"),
    _outcome("pfs_12", "syn_bone", "progression_free_survival", "survival", "patient",
             "percent", "80", 0, time_months="12"),
    _outcome("efficacy_48", "syn_bone", "local_efficacy", "proportion", "lesion", "percent",
             "89", 0, time_months="48"),
    _outcome("ltp_48", "syn_bone", "local_tumor_progression", "cumulative_incidence", "lesion",
             "percent", "11.0", 1, time_months="48"),
    _response("pr", "42", "5"),
    _response("sd", "42", "5"),
    _response("pd", "16", "2"),
    _outcome("pd_count", "syn_liver", "tumor_response", "count", "patient", "patients", "2", 0,
             numerator="2", denominator="12", denominator_basis="implied", group="resp_n",
             group_kind="partition"),
    _outcome("rest_count", "syn_liver", "tumor_response", "count", "patient", "patients", "9",
             0, numerator="9", denominator="12", denominator_basis="implied", group="resp_n",
             group_kind="partition"),
]


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({f: row.get(f, "") for f in fields})


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny evidence folder: the real schema, two synthetic series, hand-made outcomes."""
    root = tmp_path_factory.mktemp("audit") / "evidence"
    root.mkdir()
    shutil.copy(evidence_dir() / "datapackage.json", root)
    for table in ("sources", "clinical_features", "risk_stratification", "context"):
        shutil.copy(evidence_dir() / f"{table}.csv", root)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    fields = {
        r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in descriptor["resources"]
    }
    _write(root / "series.csv", fields["series"], SERIES)
    _write(root / "outcomes.csv", fields["outcomes"], OUTCOMES)
    return root


@pytest.fixture(scope="module")
def audit(synthetic: Path) -> pd.DataFrame:
    return audit_evidence(load_evidence(synthetic))


def _find(audit: pd.DataFrame, check: str, ids: str) -> pd.Series:
    rows = audit[(audit["check"] == check) & (audit["outcome_ids"] == ids)]
    assert len(rows) == 1, (check, ids, audit[["check", "outcome_ids"]])
    return rows.iloc[0]


def test_columns_and_vocabulary(audit: pd.DataFrame) -> None:
    assert tuple(audit.columns) == AUDIT_COLUMNS
    assert set(audit["status"]) <= set(STATUSES)
    assert list(audit["series_id"].unique()) == ["syn_bone", "syn_liver"]


def test_partition_with_failing_denominator_names_the_implied_one(audit: pd.DataFrame) -> None:
    row = _find(audit, "partition", "mix_a, mix_b, mix_c")
    assert row["status"] == "inconsistent"
    assert row["detail"] == (
        "The shares cannot close on 54 lesions: a 77.55%, b 14.29% and c 8.16% fit no k/54 "
        "under any rounding, and they add to 100.00%; taken as parts of one whole they fit "
        "n = 49, 98, 147, 196, 245 and 15 more (up to 1000), e.g. 38 + 7 + 4 = 49."
    )
    member = _find(audit, "grim", "mix_a")
    assert member["status"] == "inconsistent"
    assert member["detail"].startswith("77.55% fits no k/54 under any rounding")


def test_shared_denominator_group(audit: pd.DataFrame) -> None:
    row = _find(audit, "shared_denominator", "ctx_a, ctx_b")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "All 2 percentages fit the shared denominator of 54 lesions (implied): "
        "31.5% = 17/54 and 42.6% = 23/54."
    )


def test_missing_denominator_cannot_be_checked(audit: pd.DataFrame) -> None:
    row = _find(audit, "grim", "anaesthesia")
    assert row["status"] == "cannot_check"
    assert row["detail"] == (
        "No denominator is given for 71.4%; it fits 515 denominators up to 1000, the "
        "smallest 7, 14, 21, 28 and 35."
    )


def test_count_percent_truncated(audit: pd.DataFrame) -> None:
    row = _find(audit, "count_percent", "pd")
    assert row["status"] == "consistent_only_if_truncated"
    assert row["detail"] == "2/12 = 16.67% rounds to 17%; it prints as 16% only if truncated."
    assert _find(audit, "count_percent", "pr")["detail"] == "5/12 = 41.67% rounds to 42%."


def test_response_partition_needs_truncation(audit: pd.DataFrame) -> None:
    row = _find(audit, "partition", "pr, sd, pd")
    assert row["status"] == "consistent_only_if_truncated"
    assert "2/12 = 16.67% printed as 16% (it rounds to 17%)" in row["detail"]


def test_count_partition_that_does_not_close(audit: pd.DataFrame) -> None:
    row = _find(audit, "partition", "pd_count, rest_count")
    assert row["status"] == "inconsistent"
    assert row["detail"] == "The counts add to 2 + 9 = 11, 1 short of the total of 12 patients."


def test_complement(audit: pd.DataFrame) -> None:
    row = _find(audit, "complement", "efficacy_48, ltp_48")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "At 48 months, local efficacy plus cumulative local tumor progression (per lesion): "
        "89% + 11.0% = 100.0%, which matches 100% within rounding (allowance 0.55 points)."
    )


def test_km_feasible_curve_uses_series_size(audit: pd.DataFrame) -> None:
    row = _find(audit, "km_feasibility", "os_12, os_24, os_36")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "A Kaplan-Meier curve of 4 patients can print 75%, 50% and 25% at 12, 24 and 36 "
        "months, e.g. 75%, 50% and 25% with 3, 2 and 1 still at risk; the numbers at risk "
        "compatible with the report are 3-3, 2-2 and 1-1."
    )


def test_km_impossible_value(audit: pd.DataFrame) -> None:
    row = _find(audit, "km_feasibility", "pfs_12")
    assert row["status"] == "inconsistent"
    assert row["detail"] == (
        "No Kaplan-Meier curve of 4 patients, with any pattern of events and censoring, "
        "prints 80% at 12 months under any rounding."
    )


def test_audit_needs_evidence_frames() -> None:
    with pytest.raises(TypeError, match="evidence must have DataFrames `outcomes` and `series`"):
        audit_evidence(object())


# --- format_audit -------------------------------------------------------------------------------


def test_format_csv_round_trips(audit: pd.DataFrame) -> None:
    text = format_audit(audit, "csv")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, audit.astype(str))
    assert text.splitlines()[0] == "series_id,outcome_ids,check,status,detail"


def test_format_json(audit: pd.DataFrame) -> None:
    records = json.loads(format_audit(audit, "json"))
    assert len(records) == len(audit)
    assert records[0] == {c: str(audit.iloc[0][c]) for c in AUDIT_COLUMNS}


def test_format_markdown(audit: pd.DataFrame) -> None:
    lines = format_audit(audit, "markdown").splitlines()
    assert lines[0] == "| series_id | outcome_ids | check | status | detail |"
    assert lines[1] == "|---|---|---|---|---|"
    assert len(lines) == len(audit) + 2
    assert lines[2].startswith("| syn_bone | ")


def test_format_table(audit: pd.DataFrame) -> None:
    text = format_audit(audit, "table")
    counts = audit["status"].value_counts()
    summary = ", ".join(
        f"{counts[s]} {s}" for s in STATUSES if s in counts
    )
    assert text.endswith(f"\n\n{len(audit)} checks: {summary}.\n")
    assert "inconsistent                  syn_bone  partition: mix_a, mix_b, mix_c\n" in text


def test_format_markdown_escapes_pipes() -> None:
    frame = pd.DataFrame([dict.fromkeys(AUDIT_COLUMNS, "a|b")])
    assert "a\\|b" in format_audit(frame, "markdown")


def test_format_rejects_unknown_format(audit: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="fmt must be one of"):
        format_audit(audit, "html")


def test_format_rejects_other_tables() -> None:
    with pytest.raises(ValueError, match="lacks the audit column"):
        format_audit(pd.DataFrame({"x": [1]}), "csv")


# --- The repository's evidence ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_audit() -> pd.DataFrame:
    return audit_evidence(load_evidence())


def test_real_evidence_statuses(real_audit: pd.DataFrame) -> None:
    assert set(real_audit["status"]) <= set(STATUSES)
    # only percentages given without any denominator are left unchecked
    unchecked = real_audit[real_audit["status"] == "cannot_check"]
    assert set(unchecked["check"]) <= {"grim"}
    assert all(d.startswith("No denominator is given") for d in unchecked["detail"])


def test_real_evidence_partition_failure_names_implied_denominators(
    real_audit: pd.DataFrame,
) -> None:
    partitions = real_audit[
        (real_audit["check"] == "partition") & (real_audit["status"] == "inconsistent")
    ]
    assert not partitions.empty
    # every failing partition either names denominators that work or says none does
    for detail in partitions["detail"]:
        assert "taken as parts of one whole they fit" in detail
