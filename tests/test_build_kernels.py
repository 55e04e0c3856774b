"""Kept kernels (the default) against a fresh kernel per run (``--fresh-kernels``).

One job, so that every run after the first reuses the same kernel: the figures and tables must
be byte-identical to those of fresh kernels, the executed notebooks the same cell for cell
(execution counts, outputs), and a failing run must not affect the runs after it.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.fixtures.fixture_matrix import matrix_file, series_runs
from thyroid_evidence.build.execute import build

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

#: The fixture's per-series runs over the evidence (whatever series it holds), then fx_single.
SERIES_RUN_IDS = series_runs()
RUN_IDS = [*SERIES_RUN_IDS, "fx_single"]


def outputs(out: Path) -> dict[str, bytes]:
    """Figures (PNG, SVG, PDF) and tables (CSV) with their bytes."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for sub in ("figures", "tables")
        for p in sorted((out / sub).glob("*"))
    }


def cells(out: Path, run_id: str) -> list[tuple]:
    """What a reader sees of each cell (source, execution count, outputs), ``out`` as OUT."""
    text = (out / "notebooks" / f"{run_id}.ipynb").read_text(encoding="utf-8")
    nb = json.loads(text.replace(str(out), "OUT"))
    return [
        (c["source"], c.get("execution_count"),
         json.dumps(c.get("outputs", []), sort_keys=True))
        for c in nb["cells"]
    ]


@pytest.fixture(scope="module")
def evidence(evidence_snapshot: Path) -> Path:
    return evidence_snapshot


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory, evidence: Path):
    matrix = matrix_file(tmp_path_factory.mktemp("matrix"), evidence_dir=evidence)
    root = tmp_path_factory.mktemp("builds")
    kept = build(root / "kept", matrix=matrix, jobs=1, stream=io.StringIO())
    fresh = build(root / "fresh", matrix=matrix, jobs=1, stream=io.StringIO(),
                  fresh_kernels=True)
    return root, kept, fresh


def test_kept_and_fresh_kernels_give_identical_outputs(both) -> None:
    root, kept, fresh = both
    assert kept.exit_code == 0 and fresh.exit_code == 0
    assert sorted(kept.executed) == sorted(fresh.executed) == sorted(RUN_IDS)
    kept_files, fresh_files = outputs(root / "kept"), outputs(root / "fresh")
    assert {Path(p).suffix for p in kept_files} == {".png", ".svg", ".pdf", ".csv"}
    assert sorted(kept_files) == sorted(fresh_files)
    different = [p for p in kept_files if kept_files[p] != fresh_files[p]]
    assert different == []


def test_kept_kernels_give_the_same_notebooks(both) -> None:
    root, _, _ = both
    for run_id in RUN_IDS:
        kept = cells(root / "kept", run_id)
        fresh = cells(root / "fresh", run_id)
        assert kept == fresh, run_id


def test_failed_run_does_not_poison_the_next(both, evidence: Path, tmp_path: Path) -> None:
    root, _, _ = both
    failing = matrix_file(tmp_path, evidence_dir=evidence, series_parameters={"fail": True})
    out = tmp_path / "out"
    # Both fx_series runs fail (first, in matrix order), then fx_single runs in a new kernel.
    summary = build(out, matrix=failing, jobs=1, stream=io.StringIO())
    assert sorted(f.run_id for f in summary.failed) == sorted(SERIES_RUN_IDS)
    assert all("In [6]" in f.description for f in summary.failed)
    assert summary.executed == ("fx_single",)
    mine = {p: b for p, b in outputs(out).items() if Path(p).name.startswith("fx_single")}
    fresh = {p: b for p, b in outputs(root / "fresh").items()
             if Path(p).name.startswith("fx_single")}
    assert mine and mine == fresh


def test_figure_cell_shows_the_saved_svg_once(both) -> None:
    root, _, _ = both
    run_id = RUN_IDS[0]
    nb = json.loads((root / "kept" / "notebooks" / f"{run_id}.ipynb").read_text("utf-8"))
    cell = next(c for c in nb["cells"] if "run.save_figure" in "".join(c["source"]))
    images = [o for o in cell["outputs"] if o["output_type"] == "display_data"]
    # one image: the saved file, not a second drawing by the inline backend
    assert len(images) == 1
    assert set(images[0]["data"]) == {"image/svg+xml"}
    shown = "".join(images[0]["data"]["image/svg+xml"])
    saved = (root / "kept" / "figures" / f"{run_id}.svg").read_text("utf-8")
    assert shown == saved[saved.index("<svg"):]
