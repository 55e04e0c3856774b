"""Shared fixtures: a temporary copy of evidence/ that a test may corrupt."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from thyroid_evidence.config import evidence_dir  # noqa: E402


@pytest.fixture
def evidence_copy(tmp_path: Path) -> Path:
    """A fresh copy of the repository's evidence folder."""
    target = tmp_path / "evidence"
    shutil.copytree(evidence_dir(), target)
    return target


def _edit_cell(root: Path, table: str, line: int, column: str, value: str) -> None:
    """Set one cell of ``table`` (``line`` is the CSV line number, header = 1)."""
    path = root / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[line - 2][column] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def evidence_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of evidence/ shared by one test module (the real one may be edited
    while the tests run); tests must not modify it."""
    target = tmp_path_factory.mktemp("evidence") / "evidence"
    shutil.copytree(evidence_dir(), target)
    return target


@pytest.fixture
def edit_cell() -> Callable[[Path, str, int, str, str], None]:
    """Function that rewrites one cell of a CSV in an evidence copy."""
    return _edit_cell


def find_line(root: Path, table: str, key_column: str, key: str) -> int:
    """CSV line number of the row whose ``key_column`` equals ``key``."""
    with (root / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            if row[key_column] == key:
                return line
    raise KeyError(key)


def reported(outcome_id: str) -> float:
    """The value of one row of ``evidence/outcomes.csv`` as printed: tests that feed the
    review's numbers to a function take them from the evidence, never typed in."""
    from thyroid_evidence import load_evidence

    outcomes = load_evidence().outcomes.set_index("outcome_id")
    return float(outcomes.loc[outcome_id, "value"])


def series_size(series_id: str, column: str = "n_patients") -> int:
    """``n_patients`` (or another count column) of one series of ``evidence/series.csv``."""
    from thyroid_evidence import load_evidence

    return int(load_evidence().series_info(series_id)[column])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Schedule the long modules first: the modules marked ``heavy`` (builds, kernels,
    browsers), then the notebooks (nbval), then the rest, each group in collection order.

    ``make test`` hands whole files to its workers in collection order
    (``--dist loadfile``); a long file that starts last leaves the other worker idle, so
    the long ones start first and the short ones fill the gaps (longest first)."""

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("heavy") is not None:
            return 0
        return 1 if item.path.suffix == ".ipynb" else 2

    items.sort(key=rank)  # stable: each group keeps its order
