"""`thyroid-evidence audit --fail-on STATUS[,STATUS]`: exit 1 when a listed status occurs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.fixtures.evidence_rows import outcome_row, write_rows
from tests.test_audit_evidence import SERIES
from thyroid_evidence.cli import main
from thyroid_evidence.config import evidence_dir
from thyroid_evidence.vocab import STATUSES

# 5/12 = 41.67% prints as 42% (consistent); as 43% it fits no rounding (inconsistent)
GOOD = outcome_row("good", "syn_liver", "tumor_response", "proportion", "patient", "percent",
                   "42", 0, numerator="5", denominator="12", denominator_basis="implied")
BAD = outcome_row("bad", "syn_liver", "tumor_response", "proportion", "patient", "percent",
                  "43", 0, numerator="5", denominator="12", denominator_basis="implied")


def _evidence(root: Path, outcomes: list[dict[str, str]]) -> Path:
    root.mkdir()
    shutil.copy(evidence_dir() / "datapackage.json", root)
    for table in ("sources", "clinical_features", "risk_stratification", "context"):
        shutil.copy(evidence_dir() / f"{table}.csv", root)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    fields = {r["name"]: [f["name"] for f in r["schema"]["fields"]]
              for r in descriptor["resources"]}
    write_rows(root / "series.csv", fields["series"],
               [s for s in SERIES if s["series_id"] == "syn_liver"])
    write_rows(root / "outcomes.csv", fields["outcomes"], outcomes)
    return root


@pytest.fixture
def clean(tmp_path: Path) -> Path:
    return _evidence(tmp_path / "clean", [GOOD])


@pytest.fixture
def flawed(tmp_path: Path) -> Path:
    return _evidence(tmp_path / "flawed", [GOOD, BAD])


def test_no_listed_status_exits_0(clean: Path, capsys):
    assert main(["audit", "--evidence", str(clean), "--fail-on", "inconsistent"]) == 0
    captured = capsys.readouterr()
    assert "consistent  syn_liver  count_percent: good" in captured.out
    assert captured.err == ""


def test_a_listed_status_exits_1_after_printing_the_audit(flawed: Path, capsys):
    assert main(["audit", "--evidence", str(flawed), "--format", "csv", "--fail-on",
                 "review_and_source_disagree,inconsistent"]) == 1
    captured = capsys.readouterr()
    assert "syn_liver,bad,count_percent,inconsistent," in captured.out
    assert captured.err == (
        "audit: 1 finding with status inconsistent (--fail-on "
        "review_and_source_disagree,inconsistent)\n"
    )


def test_without_fail_on_the_status_does_not_matter(flawed: Path):
    assert main(["audit", "--evidence", str(flawed)]) == 0


def test_unknown_status_is_a_usage_error_listing_the_statuses(flawed: Path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["audit", "--evidence", str(flawed), "--fail-on", "inconsistent,wrong"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--fail-on: 'wrong' is not a status; allowed: " + ", ".join(STATUSES) in err
