"""Readers for WebPlotDigitizer exports and risk tables (thyroid_evidence.digitised)."""

import json

import numpy as np
import pytest

from thyroid_evidence.digitised import (
    DigitisedInputError,
    UnknownCurveError,
    prepare_points,
    read_datasets,
    read_points,
    read_risk_table,
)


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_per_dataset_csv_comma_space(tmp_path):
    path = _write(tmp_path, "arm.csv", "0, 1\n2.5, 0.9\n2.5, 0.8\n5, 0.8\n")
    curve = read_points(path)
    assert curve.format == "wpd-csv" and curve.scale == "fraction" and curve.name == "arm"
    assert curve.time.tolist() == [0, 2.5, 2.5, 5] and curve.survival.tolist() == [1, .9, .8, .8]
    assert curve.rows.tolist() == [1, 2, 3, 4]


def test_per_dataset_csv_decimal_comma_in_percent(tmp_path):
    path = _write(tmp_path, "arm.csv", "0; 100\n2,5; 90,5\n6; 80\n")
    curve = read_points(path)
    assert curve.scale == "percent"
    assert np.allclose(curve.time, [0, 2.5, 6]) and np.allclose(curve.survival, [1, .905, .8])
    assert any("percent" in n for n in curve.notes)


def test_export_all_picks_a_dataset_by_name_and_ignores_padding(tmp_path):
    text = ("Control,,Treated,\nX,Y,X,Y\n0,1,0,1\n3,0.7,2,0.95\n,,8,0.9\n")
    path = _write(tmp_path, "all.csv", text)
    fmt, data = read_datasets(path)
    assert fmt == "wpd-all" and list(data) == ["Control", "Treated"]
    assert [p[:2] for p in data["Control"]] == [(0, 1), (3, 0.7)]
    treated = read_points(path, curve="Treated")
    assert treated.time.tolist() == [0, 2, 8] and treated.rows.tolist() == [3, 4, 5]
    with pytest.raises(UnknownCurveError, match="Control, Treated"):
        read_points(path)
    with pytest.raises(UnknownCurveError, match="no dataset 'Placebo'"):
        read_points(path, curve="Placebo")


def test_export_all_decimal_comma(tmp_path):
    path = _write(tmp_path, "all.csv", "A;;B;\nX;Y;X;Y\n0;1;0;1\n1,5;0,75;2;0,5\n")
    assert read_points(path, curve="A").survival.tolist() == [1, 0.75]


def test_json_project_reads_values_in_axis_units(tmp_path):
    project = {"version": [4, 2], "axesColl": [{"name": "XY", "type": "XYAxes"}],
               "datasetColl": [{"name": "Arm A", "axesName": "XY",
                                "data": [{"x": 10, "y": 20, "value": [0.0, 100.0]},
                                         {"x": 50, "y": 60, "value": [12.0, 61.0]}]}]}
    path = _write(tmp_path, "project.json", json.dumps(project))
    curve = read_points(path)
    assert curve.format == "wpd-json" and curve.name == "Arm A"
    assert curve.time.tolist() == [0, 12] and np.allclose(curve.survival, [1, 0.61])


def test_json_without_calibrated_values_names_the_point(tmp_path):
    project = {"version": [4, 2], "datasetColl": [{"name": "A", "data": [{"x": 1, "y": 2}]}]}
    path = _write(tmp_path, "p.json", json.dumps(project))
    with pytest.raises(DigitisedInputError, match=r"datasetColl\[0\] \(A\): data\[0\]"):
        read_points(path)


def test_plain_csv_with_header(tmp_path):
    path = _write(tmp_path, "km.csv", "time,survival\n0,1\n4,0.5\n")
    curve = read_points(path)
    assert curve.format == "csv" and curve.survival.tolist() == [1, 0.5]
    assert curve.rows.tolist() == [2, 3]


def test_bad_cell_names_file_and_row(tmp_path):
    path = _write(tmp_path, "arm.csv", "0, 1\n2, 0.9\n3, abc\n")
    with pytest.raises(DigitisedInputError) as info:
        read_points(path)
    assert str(info.value) == f"{path}:3: survival: 'abc' — must be a finite number"


def test_unknown_header_is_refused(tmp_path):
    path = _write(tmp_path, "x.csv", "a,b\n1,2\n")
    with pytest.raises(DigitisedInputError, match=r"x.csv:1: header: 'a,b'"):
        read_points(path)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DigitisedInputError, match="no such file"):
        read_points(tmp_path / "none.csv")


def test_preparation_clamps_sorts_pools_and_merges():
    pairs = [(-0.2, 1.02, 1), (10, 0.5, 2), (5, 0.8, 3), (5, 0.8, 4), (7, 0.82, 5)]
    t, s, rows, scale, notes = prepare_points(pairs, source="f.csv")
    assert t.tolist() == [0, 5, 7, 10]
    assert s[0] == 1 and np.allclose(s[1:3], [0.81, 0.81]) and s[3] == 0.5
    assert rows.tolist() == [1, 3, 5, 2]
    text = " | ".join(notes)
    assert "1 click(s) just outside the axes clamped (rows 1)" in text
    assert "sorted" in text and "isotonic" in text and "1 duplicate click(s) merged" in text


def test_gross_errors_are_refused_with_their_row():
    with pytest.raises(DigitisedInputError) as info:
        prepare_points([(0, 1, 1), (5, 1.2, 2), (-3, 0.5, 3)], source="f.csv")
    assert info.value.problems == [
        "f.csv:2: survival: 1.2 — outside [0, 1] by more than the clamping tolerance 0.05",
        "f.csv:3: time: -3 — outside [0, 5] by more than 3% of the axis",
    ]


def test_percent_rule_and_axis_end():
    _, s, _, scale, _ = prepare_points([(0, 100, 1), (1, 1.6, 2)])
    assert scale == "percent" and np.allclose(s, [1, 0.016])
    with pytest.raises(DigitisedInputError, match="time: 12 — outside"):
        prepare_points([(0, 1, 1), (12, 0.5, 2)], axis_end=10)
    with pytest.raises(TypeError, match="axis_end"):
        prepare_points([(0, 1, 1), (1, 0.5, 2)], axis_end="10")
    with pytest.raises(ValueError, match="axis_end"):
        prepare_points([(0, 1, 1), (1, 0.5, 2)], axis_end=-1)


def test_wrong_argument_types():
    with pytest.raises(TypeError, match="path"):
        read_points(3)
    with pytest.raises(TypeError, match="curve"):
        read_points("x.csv", curve=2)


def test_risk_table(tmp_path):
    path = _write(tmp_path, "risk.csv", "time,n_risk\n0,50\n12,30\n24,12\n")
    table = read_risk_table(path)
    assert table["time"].tolist() == [0, 12, 24] and table["n_risk"].tolist() == [50, 30, 12]
    bad = _write(tmp_path, "bad.csv", "time,n_risk\n0,50\n12,60\n12,2.5\n")
    with pytest.raises(DigitisedInputError) as info:
        read_risk_table(bad)
    assert info.value.problems == [
        f"{bad}:3: n_risk: 60 — more than 50 at 0 (row 2); numbers at risk cannot grow",
        f"{bad}:4: n_risk: 2.5 — must be a whole number >= 0",
        f"{bad}:4: time: 12 — must be later than 12 (row 3)",
    ]
    nohead = _write(tmp_path, "nohead.csv", "0,50\n")
    with pytest.raises(DigitisedInputError, match="must name the columns time and n_risk"):
        read_risk_table(nohead)
