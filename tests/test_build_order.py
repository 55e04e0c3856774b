"""The order a build starts its runs in: longest first, from the best time it knows."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from thyroid_evidence.build.execute import expected_order
from thyroid_evidence.notebook.matrix import Run


def _notebook(path: Path, cells: list[tuple[str, float | None]]) -> Path:
    """A notebook whose code cells have this source and stored execution seconds."""
    out = []
    for source, seconds in cells:
        meta = {}
        if seconds is not None:
            meta["execution"] = {
                "iopub.execute_input": "2026-12-01T10:00:00.000000Z",
                "shell.execute_reply": f"2026-12-01T10:00:{seconds:09.6f}Z",
            }
        out.append({"cell_type": "code", "source": source, "metadata": meta, "outputs": [],
                    "execution_count": None})
    path.write_text(json.dumps({"cells": out, "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}), encoding="utf-8")
    return path


def _run(run_id: str, path: Path) -> Run:
    return Run(notebook=path.stem, run_id=run_id, parameters={}, path=path, title=run_id)


def _order(runs: list[Run], timed: dict[str, float] | None = None) -> list[str]:
    manifest = SimpleNamespace(runs={k: {"seconds": v} for k, v in (timed or {}).items()})
    sizes: dict = {}
    return [r.run_id for r in sorted(runs, key=lambda r: expected_order(r, manifest, sizes))]


def test_untimed_runs_start_by_their_notebooks_stored_execution_time(tmp_path: Path) -> None:
    slow = _notebook(tmp_path / "slow.ipynb", [("x = 1", 4.5), ("y = 2", 3.0)])
    fast_long = _notebook(tmp_path / "fast.ipynb", [("z = 3\n" * 200, 0.25)])
    assert _order([_run("fast", fast_long), _run("slow", slow)]) == ["slow", "fast"]


def test_without_stored_times_the_longer_code_starts_first(tmp_path: Path) -> None:
    short = _notebook(tmp_path / "short.ipynb", [("a = 1", None)])
    long = _notebook(tmp_path / "long.ipynb", [("b = 2\n" * 50, None)])
    assert _order([_run("short", short), _run("long", long)]) == ["long", "short"]


def test_runs_timed_by_this_build_follow_the_untimed_slowest_first(tmp_path: Path) -> None:
    nb = _notebook(tmp_path / "n.ipynb", [("a = 1", 1.0)])
    runs = [_run(name, nb) for name in ("quick", "new", "slow")]
    assert _order(runs, {"quick": 0.5, "slow": 9.0}) == ["new", "slow", "quick"]


def test_an_unreadable_notebook_is_ordered_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    good = _notebook(tmp_path / "good.ipynb", [("a = 1", 2.0)])
    assert _order([_run("bad", bad), _run("good", good)]) == ["good", "bad"]
