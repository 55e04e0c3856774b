"""The project's run matrix: every run is accepted, executes with its defaults, and rebuilds
byte-identically. One full build of the real notebooks (about a minute on two cores)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from thyroid_evidence import config
from thyroid_evidence.build.execute import build
from thyroid_evidence.build.params import inspect_defaults
from thyroid_evidence.notebook import check_parameters, load_matrix, read_matrix

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

NOTEBOOKS_DIR = config.notebooks_dir()
MATRIX = read_matrix(NOTEBOOKS_DIR / "matrix.toml")
RUNS = MATRIX.runs()


def test_matrix_declares_runs_for_every_notebook() -> None:
    declared = set(MATRIX.names)
    assert declared == {p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")}
    assert {r.notebook for r in RUNS} == declared
    assert len({r.run_id for r in RUNS}) == len(RUNS)


@pytest.mark.parametrize("run", RUNS, ids=lambda r: r.run_id)
def test_every_run_passes_the_parameter_check(run) -> None:
    effective = check_parameters(run.notebook, run.parameters, matrix=MATRIX,
                                 defaults=inspect_defaults(run.path))
    for key, value in run.parameters.items():
        assert effective[key] == value


@pytest.mark.parametrize("name", MATRIX.names)
def test_cell_after_parameters_calls_the_check(name: str) -> None:
    cells = json.loads((NOTEBOOKS_DIR / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    tagged = [i for i, c in enumerate(code) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    following = "".join(code[tagged[0] + 1]["source"])
    # the notebook layer's check: notebooks never import the build
    assert following.splitlines()[0] == (
        f'run = thyroid_evidence.notebook.check_notebook_parameters("{name}", globals())'
    )


@pytest.fixture(scope="module")
def project_build(tmp_path_factory: pytest.TempPathFactory):
    """A build of the whole matrix on a snapshot of the notebooks and the evidence."""
    root = tmp_path_factory.mktemp("project")
    shutil.copytree(NOTEBOOKS_DIR, root / "notebooks")
    shutil.copytree(config.evidence_dir(), root / "evidence")
    # the project's matrix (its notebook_dir is the file's folder), on the evidence snapshot
    matrix = load_matrix(root / "notebooks" / "matrix.toml")
    assert [r.run_id for r in matrix.runs()] == [r.run_id for r in RUNS]
    stream = io.StringIO()
    summary = build(root / "out", matrix=matrix, jobs=2, stream=stream,
                    evidence=root / "evidence")
    return root / "out", matrix, summary, stream.getvalue()


def test_every_run_executes_with_its_defaults(project_build) -> None:
    out, matrix, summary, log = project_build
    assert summary.exit_code == 0, log
    assert sorted(summary.executed) == sorted(r.run_id for r in RUNS)
    manifest = json.loads((out / ".build" / "manifest.json").read_text())
    page = (out / "report" / "index.html").read_text()
    for run in RUNS:
        entry = manifest["runs"][run.run_id]
        assert (out / "notebooks" / f"{run.run_id}.html").is_file()
        for figure in entry["figures"]:
            assert figure["stem"].startswith(run.run_id)
            assert sorted(Path(f).suffix for f in figure["files"]) == [".pdf", ".png", ".svg"]
            assert all((out / f).stat().st_size > 1000 for f in figure["files"])
            assert f'src="../figures/{figure["stem"]}.png"' in page
        for table in entry["tables"]:
            assert all((out / f).read_text().count("\n") >= 2 for f in table["files"])
    assert sum(len(manifest["runs"][r.run_id]["figures"]) for r in RUNS) >= len(RUNS) - 2


def test_rebuild_is_byte_identical(project_build) -> None:
    out, matrix, _, _ = project_build
    chosen = "survival-bone_ir_cazzato-overall_survival"
    files = sorted(p for sub in ("figures", "tables") for p in (out / sub).glob(f"{chosen}*"))
    assert {p.suffix for p in files} == {".png", ".svg", ".pdf", ".csv"}
    before = {p: p.read_bytes() for p in files}
    summary = build(out, matrix=matrix, jobs=1, force=True, only=chosen, stream=io.StringIO())
    assert summary.executed == (chosen,)
    assert {p: p.read_bytes() for p in files} == before
