"""The command line: one summary line on success; on failure the problems, exit 1, no traceback."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from thyroid_evidence.cli import main
from thyroid_evidence.config import ROOT_ENV, evidence_dir, project_root


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thyroid_evidence", *args], cwd=project_root(),
                          capture_output=True, text=True, timeout=120)


def test_validate_success_prints_one_summary_line(capsys):
    assert main(["validate"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("evidence OK: 6 tables, ")
    # the number of series is the evidence's, whatever studies it holds
    with (evidence_dir() / "series.csv").open(encoding="utf-8", newline="") as fh:
        n_series = len(list(csv.DictReader(fh)))
    assert f" {n_series} series " in out[0]


def test_validate_failure_lists_problems_and_exits_1(evidence_copy, edit_cell, capsys):
    edit_cell(evidence_copy, "series", 2, "n_patients", "0")
    edit_cell(evidence_copy, "outcomes", 2, "endpoint", "nonsense")
    assert main(["validate", str(evidence_copy)]) == 1
    err = capsys.readouterr().err
    assert "2 problem(s) found" in err
    assert "series.csv:2: n_patients: 0 — must be at least 1" in err
    assert "outcomes.csv:2: endpoint: nonsense — not an allowed value" in err


def test_python_dash_m_runs_the_same_cli_without_traceback(tmp_path: Path):
    ok = run_module("validate")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("evidence OK")
    missing = run_module("validate", str(tmp_path / "absent"))
    assert missing.returncode == 1
    assert "evidence folder not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_malformed_csv_gives_a_message_not_a_traceback(evidence_copy):
    (evidence_copy / "outcomes.csv").write_bytes(b"\xff\xfe garbage")
    result = run_module("validate", str(evidence_copy))
    assert result.returncode == 1
    assert "outcomes.csv:1: not valid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["validate"], ["audit"], ["build", "--only", "x"],
                                     ["run", "data_audit"]])
def test_a_wrong_project_root_is_a_message_and_exit_1_for_every_command(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
):
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    assert main(command) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {ROOT_ENV}={tmp_path} does not name a project root: ")
    assert "Traceback" not in err


def test_audit_reads_the_evidence_given_and_names_a_number_that_is_none(evidence_copy,
                                                                        edit_cell, capsys):
    edit_cell(evidence_copy, "outcomes", 2, "value", "inf")
    assert main(["audit", "--evidence", str(evidence_copy)]) == 1
    assert capsys.readouterr().err == (
        "The audit could not run: the evidence does not validate.\n"
        f"error: 1 problem(s) found in {evidence_copy}:\n"
        "  outcomes.csv:2: value: inf — must be a finite number\n"
    )
    assert main(["audit", str(evidence_copy), "--evidence", str(evidence_copy)]) == 1
    assert capsys.readouterr().err == "error: give the evidence folder once (--evidence DIR)\n"


def test_validate_checks_table_2_rules(evidence_copy, edit_cell, capsys):
    edit_cell(evidence_copy, "risk_stratification", 2, "rule", "histology = 'papillary'")
    assert main(["validate", str(evidence_copy)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: 1 problem(s) found in {evidence_copy}:\n"
                          "  risk_stratification.csv:2: rule: histology = 'papillary' — not a "
                          "valid expression (")


def test_the_no_op_build_imports_no_pandas_for_its_path_check():
    code = ("import sys\nfrom thyroid_evidence.evidence import package_path_problems\n"
            "from thyroid_evidence import config\n"
            "assert package_path_problems(config.evidence_dir()) == []\n"
            "print('pandas' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=project_root(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "False\n"
