"""``build --only``: one glob or several separated by commas."""

from __future__ import annotations

from pathlib import Path

import pytest

from thyroid_evidence.build.execute import select_runs
from thyroid_evidence.notebook.matrix import Run


def _run(notebook: str, run_id: str) -> Run:
    return Run(notebook=notebook, run_id=run_id, parameters={}, path=Path(f"{notebook}.ipynb"),
               title=run_id)


RUNS = [_run("survival", "survival-a-overall_survival"), _run("survival", "survival-b-pfs"),
        _run("comparison", "comparison"), _run("data_audit", "data_audit")]


def test_several_globs_select_the_union_in_matrix_order():
    chosen = select_runs(RUNS, "data_audit, *-b-*,comparison")
    assert [r.run_id for r in chosen] == ["survival-b-pfs", "comparison", "data_audit"]


def test_a_glob_that_matches_nothing_is_named():
    with pytest.raises(ValueError, match=r"--only 'zzz' matches no run; runs: survival-a"):
        select_runs(RUNS, "comparison,zzz")
    with pytest.raises(ValueError, match="names no pattern"):
        select_runs(RUNS, " , ")
