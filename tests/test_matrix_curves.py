"""The run matrix's runs per digitised curve: for_each = ["curve_id"] and default_run_title."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.curve_evidence import write_curve_evidence
from thyroid_evidence.notebook.matrix import EvidenceIndex, NotebookSpec, read_matrix, run_id_for

MATRIX = """
[[notebooks]]
name = "digitised_curve"
title = "A digitised curve"
for_each = ["curve_id"]
default_run_title = "EXAMPLE"
"""




@pytest.fixture
def matrix_file(tmp_path: Path) -> Path:
    path = tmp_path / "matrix.toml"
    path.write_text(MATRIX)
    (tmp_path / "digitised_curve.ipynb").write_text("{}")
    return path


def test_one_run_per_curve_after_the_example_run(tmp_path, matrix_file):
    index = EvidenceIndex.from_dir(write_curve_evidence(tmp_path / "ev", ["fig2_os", "fig3.pfs"]))
    assert index.curves == ("fig2_os", "fig3.pfs")
    runs = read_matrix(matrix_file).runs(index)
    assert [(r.run_id, r.title, dict(r.parameters)) for r in runs] == [
        ("digitised_curve", "A digitised curve — EXAMPLE", {}),
        ("digitised_curve-fig2_os", "A digitised curve — fig2_os", {"curve_id": "fig2_os"}),
        ("digitised_curve-fig3.pfs", "A digitised curve — fig3.pfs", {"curve_id": "fig3.pfs"}),
    ]


def test_without_curves_only_the_example_runs(tmp_path, matrix_file):
    index = EvidenceIndex.from_dir(write_curve_evidence(tmp_path / "ev", []))
    assert index.curves == ()
    assert [r.run_id for r in read_matrix(matrix_file).runs(index)] == ["digitised_curve"]


def test_run_id_leaves_out_a_value_of_none():
    assert run_id_for("digitised_curve", ("curve_id",), {"curve_id": None}) == "digitised_curve"
    assert run_id_for("digitised_curve", ("curve_id",), {"curve_id": "c1"}) == (
        "digitised_curve-c1")


def test_bad_for_each_and_default_run_title_are_refused():
    with pytest.raises(ValueError, match=r"must be \(\), \('series_id',\) or \('series_id', "
                                         r"'endpoint'\), or \('curve_id',\) for one run per "
                                         r"digitised curve; got \('curve_id', 'series_id'\)"):
        NotebookSpec(name="x", title="x", for_each=("curve_id", "series_id"))
    with pytest.raises(ValueError, match="default_run_title of 'x' must be a string, with "
                                         "for_each"):
        NotebookSpec(name="x", title="x", default_run_title="example")
