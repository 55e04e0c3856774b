"""`thyroid-evidence reconstruct`: from a WebPlotDigitizer export and a risk table to
pseudo-IPD, a figure and a check table; bad input named by file and row, exit 1."""

from __future__ import annotations

import pandas as pd
import pytest

from thyroid_evidence.cli import main

CLICKS = "0, 100\n2, 100\n2, 90\n5, 90\n5, 70\n8, 70\n"
RISK = "time,n_risk\n0,10\n3,9\n6,6\n"


@pytest.fixture()
def inputs(tmp_path):
    (tmp_path / "arm.csv").write_text(CLICKS, encoding="utf-8")
    (tmp_path / "risk.csv").write_text(RISK, encoding="utf-8")
    return tmp_path


def test_reconstruct_writes_ipd_figure_and_check(inputs, capsys):
    out = inputs / "out"
    code = main(["reconstruct", str(inputs / "arm.csv"), "--risk-table", str(inputs / "risk.csv"),
                 "--total-events", "3", "--out", str(out)])
    assert code == 0
    ipd = pd.read_csv(out / "ipd.csv")
    assert list(ipd.columns) == ["time", "event"] and len(ipd) == 10
    assert ipd["event"].sum() == 3
    # 10 at risk, 1 death at 2 (S 0.9), 2 deaths at 5 of 9 at risk (S 0.7)
    assert sorted(ipd.loc[ipd["event"] == 1, "time"]) == [2, 5, 5]
    check = pd.read_csv(out / "check.csv")
    nar = check[check["quantity"] == "n_at_risk"]
    assert nar["published"].tolist() == [10, 9, 6] and nar["reconstructed"].tolist() == [10, 9, 6]
    assert (out / "curve.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    assert "10 patients, 3 events" in printed and "4 of 4 met" in printed


def test_reconstruct_is_byte_identical(inputs):
    args = [str(inputs / "arm.csv"), "--risk-table", str(inputs / "risk.csv")]
    assert main(["reconstruct", *args, "--out", str(inputs / "a")]) == 0
    assert main(["reconstruct", *args, "--out", str(inputs / "b")]) == 0
    for name in ("ipd.csv", "check.csv", "curve.png"):
        assert (inputs / "a" / name).read_bytes() == (inputs / "b" / name).read_bytes()


def test_export_all_needs_the_curve_name(tmp_path, capsys):
    (tmp_path / "all.csv").write_text("A,,B,\nX,Y,X,Y\n0,1,0,1\n4,0.5,4,0.8\n", encoding="utf-8")
    (tmp_path / "risk.csv").write_text("time,n_risk\n0,10\n", encoding="utf-8")
    base = ["reconstruct", str(tmp_path / "all.csv"), "--risk-table", str(tmp_path / "risk.csv"),
            "--out", str(tmp_path / "o")]
    assert main(base) == 1
    assert "name one with curve (--curve): A, B" in capsys.readouterr().err
    assert main([*base, "--curve", "B"]) == 0
    assert pd.read_csv(tmp_path / "o" / "ipd.csv")["event"].sum() == 2


@pytest.mark.parametrize("points, risk, message", [
    ("0, 1\n2, x\n", RISK, "arm.csv:2: survival: 'x' — must be a finite number"),
    (CLICKS, "time,n_risk\n0,10\n3,12\n", "risk.csv:3: n_risk: 12 — more than 10 at 0 (row 2)"),
    ("0, 1\n2, 250\n", RISK, "arm.csv:2: survival: 250 — outside [0, 100]"),
])
def test_bad_input_names_file_and_row(tmp_path, capsys, points, risk, message):
    (tmp_path / "arm.csv").write_text(points, encoding="utf-8")
    (tmp_path / "risk.csv").write_text(risk, encoding="utf-8")
    code = main(["reconstruct", str(tmp_path / "arm.csv"), "--risk-table",
                 str(tmp_path / "risk.csv"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err
    assert not (tmp_path / "o" / "ipd.csv").exists()


def test_total_events_out_of_range_is_named(inputs, capsys):
    code = main(["reconstruct", str(inputs / "arm.csv"), "--risk-table", str(inputs / "risk.csv"),
                 "--total-events", "50", "--out", str(inputs / "o")])
    assert code == 1 and "--total-events: total_events must be a whole number in [0, 10]" in \
        capsys.readouterr().err


def test_either_export_and_either_locale_give_the_same_pseudo_data(tmp_path):
    from thyroid_evidence import config

    example = config.project_root() / "examples" / "digitised"
    risk = str(example / "lung_female_risk.csv")
    assert main(["reconstruct", str(example / "lung_wpd_all.csv"), "--curve", "Female",
                 "--risk-table", risk, "--out", str(tmp_path / "all")]) == 0
    assert main(["reconstruct", str(example / "lung_female_wpd_de.csv"), "--risk-table", risk,
                 "--out", str(tmp_path / "de")]) == 0
    ipd = (tmp_path / "all" / "ipd.csv").read_bytes()
    assert ipd == (tmp_path / "de" / "ipd.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "all" / "ipd.csv")) == 90


def test_output_folder_that_is_a_file_is_named(inputs, capsys):
    (inputs / "taken").write_text("", encoding="utf-8")
    code = main(["reconstruct", str(inputs / "arm.csv"), "--risk-table", str(inputs / "risk.csv"),
                 "--out", str(inputs / "taken")])
    assert code == 1 and "taken: cannot write the outputs" in capsys.readouterr().err
