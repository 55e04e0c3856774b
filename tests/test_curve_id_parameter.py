"""digitised_curve's curve_id is checked against the evidence's curves before a run starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.curve_evidence import write_curve_evidence
from thyroid_evidence.exceptions import ParameterError
from thyroid_evidence.notebook import check_parameters
from thyroid_evidence.notebook.matrix import EvidenceIndex


def _index(root: Path, curve_ids: list[str]) -> EvidenceIndex:
    return EvidenceIndex.from_dir(write_curve_evidence(root, curve_ids))


def test_an_unknown_curve_is_named_with_the_known_ones(tmp_path):
    index = _index(tmp_path / "ev", ["fig2_os", "fig3_pfs"])
    with pytest.raises(ParameterError, match=r"curve_id='fig9' is not a curve of the evidence "
                                             r"\(curves/points.csv\); allowed: fig2_os, fig3_pfs"):
        check_parameters("digitised_curve", {"curve_id": "fig9"}, index=index)
    assert check_parameters("digitised_curve", {"curve_id": "fig3_pfs"},
                            index=index)["curve_id"] == "fig3_pfs"


def test_without_curves_any_curve_id_is_refused_and_none_runs_the_example(tmp_path):
    index = _index(tmp_path / "ev", [])
    with pytest.raises(ParameterError, match="none: the evidence has no curves"):
        check_parameters("digitised_curve", {"curve_id": "fig2_os"}, index=index)
    assert check_parameters("digitised_curve", {}, index=index)["curve_id"] is None
