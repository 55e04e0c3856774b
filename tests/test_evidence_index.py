"""The evidence layer's index for the run matrix: series and outcome keys, ``csv`` only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from thyroid_evidence.evidence import evidence_index, load_evidence
from thyroid_evidence.notebook import EvidenceIndex


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_the_index_holds_the_series_and_outcome_keys(evidence_copy: Path) -> None:
    series, outcomes = evidence_index(evidence_copy)
    loaded = load_evidence(evidence_copy)
    assert series == tuple(loaded.series["series_id"])
    assert outcomes == frozenset(
        zip(loaded.outcomes["series_id"], loaded.outcomes["endpoint"],
            loaded.outcomes["statistic"], strict=True))
    index = EvidenceIndex.from_dir(evidence_copy)
    assert (index.series, index.outcomes) == (series, outcomes)


def test_without_a_descriptor_the_default_names_are_read(tmp_path: Path) -> None:
    _write(tmp_path / "series.csv", "series_id,title\nb,B\na,A\n")
    _write(tmp_path / "outcomes.csv", "series_id,endpoint,statistic\na,os,survival\n")
    assert evidence_index(tmp_path) == (("b", "a"), frozenset({("a", "os", "survival")}))


def test_the_descriptor_names_the_paths(tmp_path: Path) -> None:
    _write(tmp_path / "t" / "s.csv", "\ufeffseries_id\nx\n")  # a byte-order mark is accepted
    _write(tmp_path / "outcomes.csv", "series_id,endpoint,statistic\n")
    _write(tmp_path / "datapackage.json", json.dumps(
        {"resources": [{"name": "series", "path": "t/s.csv"}]}))
    assert evidence_index(tmp_path) == (("x",), frozenset())


def test_a_missing_table_or_column_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError) as info:
        evidence_index(tmp_path)
    assert str(info.value) == f"evidence file {tmp_path / 'series.csv'} does not exist"
    _write(tmp_path / "series.csv", "series_id\nx\n")
    _write(tmp_path / "outcomes.csv", "series_id,statistic\n")
    with pytest.raises(ValueError) as info:
        evidence_index(tmp_path)
    assert str(info.value) == f"{tmp_path / 'outcomes.csv'} lacks the column(s) endpoint"


def test_a_path_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "ev"
    _write(root / "datapackage.json", json.dumps(
        {"resources": [{"name": "series", "path": "../series.csv"}]}))
    _write(tmp_path / "series.csv", "series_id\nx\n")
    with pytest.raises(ValueError) as info:
        evidence_index(root)
    assert str(info.value) == f"evidence table ../series.csv is not a file inside {root}"


def test_the_index_imports_neither_pandas_nor_frictionless() -> None:
    code = ("import sys; from thyroid_evidence.notebook.matrix import EvidenceIndex; "
            "print(sorted(m for m in ('pandas', 'frictionless') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
