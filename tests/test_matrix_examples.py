"""Named example runs of the run matrix, and a curve prepared from arrays (a figure's points)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from thyroid_evidence.digitised import DigitisedInputError, curve_from_points
from thyroid_evidence.notebook.matrix import EvidenceIndex, read_matrix, spec_run_id

MATRIX = """
[[notebooks]]
name = "digitised_curve"
title = "A curve"
for_each = ["curve_id"]
default_run_title = "EXAMPLE"

[notebooks.examples.from_figure]
title = "from a figure"
parameters = {figure = "f.pdf", figure_x_range = [0.0, 36.0]}
"""


def _matrix(tmp_path: Path, text: str = MATRIX):
    (tmp_path / "matrix.toml").write_text(text)
    (tmp_path / "digitised_curve.ipynb").write_text("{}")
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "series.csv").write_text("series_id\ns1\n")
    (ev / "outcomes.csv").write_text("series_id,endpoint,statistic\ns1,overall_survival,survival\n")
    return read_matrix(tmp_path / "matrix.toml"), EvidenceIndex.from_dir(ev)


def test_an_example_runs_after_the_others_under_its_own_id(tmp_path):
    matrix, index = _matrix(tmp_path)
    runs = matrix.runs(index)
    assert [(r.run_id, r.title) for r in runs] == [
        ("digitised_curve", "A curve — EXAMPLE"),
        ("digitised_curve-from_figure", "A curve — from a figure"),
    ]
    assert dict(runs[1].parameters) == {"figure": "f.pdf", "figure_x_range": [0.0, 36.0]}


def test_a_kernel_finds_the_example_id_from_its_parameters(tmp_path):
    matrix, _ = _matrix(tmp_path)
    spec = matrix.spec("digitised_curve")
    assert spec_run_id(spec, {"figure": "f.pdf", "figure_x_range": [0.0, 36.0],
                              "curve_id": None, "seed": 1}) == "digitised_curve-from_figure"
    assert spec_run_id(spec, {"figure": "g.pdf", "figure_x_range": [0.0, 36.0]}) == (
        "digitised_curve")
    assert spec_run_id(spec, {"curve_id": "c1"}) == "digitised_curve-c1"


@pytest.mark.parametrize(("table", "message"), [
    ('[notebooks.examples."bad id"]\ntitle = "x"\n', "the id must be letters"),
    ("[notebooks.examples.e1]\ntitle = 3\n", "title must be a string"),
    ('[notebooks.examples.e1]\ntitle = "x"\nwhat = 1\n', "title and parameters only"),
])
def test_bad_examples_are_refused_naming_the_file_and_notebook(tmp_path, table, message):
    head = MATRIX.split("[notebooks.examples")[0]
    with pytest.raises(ValueError, match=message) as caught:
        _matrix(tmp_path, head + table)
    assert "digitised_curve" in str(caught.value)


def test_curve_from_points_prepares_like_a_file():
    curve = curve_from_points([2.0, 0.0, 1.0, 1.0], [0.7, 1.0, 0.9, 0.9], name="Female",
                              source="fig.pdf")
    assert curve.format == "arrays"
    np.testing.assert_array_equal(curve.time, [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(curve.survival, [1.0, 0.9, 0.7])
    assert curve.rows[0] == 2  # points numbered from 1, the first of merged duplicates kept


def test_curve_from_points_refusals():
    with pytest.raises(DigitisedInputError, match="fig: 2 times but 1 survival values"):
        curve_from_points([0.0, 1.0], [1.0], name="a", source="fig")
    with pytest.raises(DigitisedInputError, match="at least 2 clicks"):
        curve_from_points([0.0], [1.0], name="a", source="fig")
    with pytest.raises(TypeError, match="name must be a str"):
        curve_from_points([0.0, 1.0], [1.0, 0.5], name=3)


def test_the_points_figure_names_the_file_not_the_folder():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from thyroid_evidence import config
    from thyroid_evidence.digitise import digitise_figure
    from thyroid_evidence.plotting import plot_digitised

    path = config.project_root() / "examples" / "figures" / "lung_km.pdf"
    ax = plot_digitised(digitise_figure(path, x_range=(0, 36), y_range=(0, 1)))
    assert ax.get_title() == "Digitised from lung_km.pdf#page=1 (vector)"
    plt.close("all")
