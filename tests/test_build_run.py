"""The build end to end on the fixture notebooks: real kernels, real papermill.

Three runs (``tests/fixtures/matrix.toml``); about a dozen kernel starts in all.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import papermill
import pytest

from tests.fixtures.fixture_matrix import MATRIX as FX
from tests.fixtures.fixture_matrix import (
    NOTEBOOK_DIR,
    matrix_file,
    series_in_scope,
    series_runs,
)
from thyroid_evidence import config
from thyroid_evidence.build.execute import build
from thyroid_evidence.notebook import ParameterError, check_parameters

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

PROJ_ROOT = config.project_root()

#: The fixture's per-series runs over the evidence (whatever series it holds), then fx_single.
SERIES_RUN_IDS = series_runs()
RUN_IDS = [*SERIES_RUN_IDS, "fx_single"]
STACK = ("pandas", "numpy", "matplotlib", "papermill", "nbformat", "nbconvert", "scipy")


def snapshot(out: Path) -> dict[str, bytes]:
    """Every published file (figures, tables, notebooks) with its bytes."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for sub in ("figures", "tables", "notebooks")
        for p in sorted((out / sub).glob("*"))
    }


def cli(*args: str, matrix_ref: str | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "THYROID_EVIDENCE_MATRIX": matrix_ref or FX.ref}
    return subprocess.run([sys.executable, "-m", "thyroid_evidence", *args], cwd=PROJ_ROOT,
                          env=environment, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def evidence(evidence_snapshot: Path) -> Path:
    return evidence_snapshot


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory, evidence: Path):
    return matrix_file(tmp_path_factory.mktemp("matrix"), evidence_dir=evidence)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, matrix):
    out = tmp_path_factory.mktemp("build") / "out"
    stream = io.StringIO()
    summary = build(out, matrix=matrix, jobs=2, stream=stream)
    return out, summary, stream.getvalue()


def test_cold_build_writes_every_output(built) -> None:
    out, summary, _ = built
    assert summary.exit_code == 0
    assert sorted(summary.executed) == sorted(RUN_IDS)
    figures = sorted(p.name for p in (out / "figures").iterdir())
    expected = sorted(
        f"{stem}.{ext}"
        for stem in (*RUN_IDS, "fx_single-line")
        for ext in ("png", "svg", "pdf")
    )
    assert figures == expected
    assert sorted(p.name for p in (out / "tables").iterdir()) == sorted(f"{r}.csv" for r in RUN_IDS)
    assert sorted(p.name for p in (out / "notebooks").iterdir()) == sorted(
        f"{r}.{ext}" for r in RUN_IDS for ext in ("html", "ipynb")
    )
    assert (out / "tables" / "fx_single.csv").read_text() == (
        "x,y\n0.1,0.3333333333333333\n0.2,0.6666666666666666\n"
    )
    assert not (out / ".build" / "staging").exists() or not any(
        (out / ".build" / "staging").iterdir()
    )


def test_status_lines_and_summary(built) -> None:
    _, _, log = built
    lines = log.splitlines()
    assert lines[0] == "building 3 run(s) with 2 job(s)"
    status = [ln for ln in lines if ln.startswith("[")]
    assert [ln.split()[0] for ln in status] == ["[1/3]", "[2/3]", "[3/3]"]
    assert sorted(ln.split()[2] for ln in status) == sorted(RUN_IDS)
    assert all(ln.split()[1] == "ok" for ln in status)
    assert lines[-1].startswith("done in ") and lines[-1].endswith(": 3 built, 0 up to date")


def test_executed_notebook_keeps_papermill_metadata(built) -> None:
    out, _, _ = built
    nb = json.loads((out / "notebooks" / f"{RUN_IDS[0]}.ipynb").read_text())
    meta = nb["metadata"]["papermill"]
    assert meta["input_path"] == str(NOTEBOOK_DIR / "fx_series.ipynb")
    assert meta["output_path"] == str(out / "notebooks" / f"{RUN_IDS[0]}.ipynb")
    assert meta["parameters"] == {
        "series_id": "liver_rfa_crc", "endpoint": "overall_survival", "output_dir": str(out)
    }
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1
    html = (out / "notebooks" / f"{RUN_IDS[0]}.html").read_text()
    assert "liver_rfa_crc" in html and "<html" in html


def test_report_indexes_every_run_and_escapes_text(built) -> None:
    out, _, _ = built
    page = (out / "report" / "index.html").read_text()
    for run_id in RUN_IDS:
        assert f'<article class="run" id="{run_id}">' in page
        assert f'href="../notebooks/{run_id}.html"' in page
    assert '<img src="../figures/fx_single-line.png" alt="A line">' in page
    assert "Reported overall_survival of bone_ir_cazzato &lt;b&gt;&amp; friends&lt;/b&gt;" in page
    assert "<b>& friends" not in page
    assert "Research and teaching material, not clinical decision support." in page
    assert (out / "report" / "evidence" / "outcomes.csv").is_file()
    assert 'id="audit"' in page


def test_noop_rebuild_skips_everything(built, matrix) -> None:
    out, _, _ = built
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    stream = io.StringIO()
    summary = build(out, matrix=matrix, jobs=2, stream=stream)
    assert summary.exit_code == 0
    assert summary.executed == ()
    assert sorted(summary.skipped) == sorted(RUN_IDS)
    assert stream.getvalue() == "nothing to do: 3 run(s) up to date\n"
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert {k: v for k, v in after.items() if k.name != "lock"} == {
        k: v for k, v in before.items() if k.name != "lock"
    }


def test_a_run_that_left_the_matrix_is_removed_from_files_and_report(
    built, matrix, tmp_path: Path
) -> None:
    """A copy of the build, rebuilt (no --force) from a copy of its matrix without fx_single."""
    import shutil

    from tests.test_build_prune import without_notebook
    from thyroid_evidence.build.manifest import Manifest
    from thyroid_evidence.notebook import load_matrix

    out = tmp_path / "out"
    shutil.copytree(built[0], out)  # sizes and modification times kept: the runs stay current
    before = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    gone = {f for f in before if Path(f).name.startswith(("fx_single.", "fx_single-"))}
    assert {"notebooks/fx_single.ipynb", "notebooks/fx_single.html",
            "figures/fx_single-line.png"} <= gone
    less = load_matrix(without_notebook(Path(matrix.ref), "fx_single", tmp_path))
    less = dataclasses.replace(less, evidence_dir=matrix.evidence_dir)
    stream = io.StringIO()
    summary = build(out, matrix=less, jobs=2, stream=stream)
    assert summary.exit_code == 0
    assert summary.removed == ("fx_single",)
    assert summary.executed == ()
    assert sorted(summary.skipped) == sorted(r for r in RUN_IDS if r != "fx_single")
    assert stream.getvalue().startswith(
        "removed 1 run(s) that left the run matrix: fx_single\n")
    after = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not gone & after, sorted(gone & after)
    assert "fx_single" not in Manifest.load(out).runs
    page = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert "fx_single" not in page and "Other runs" not in page
    for run_id in summary.skipped:
        assert f'href="../notebooks/{run_id}.html"' in page


def test_forced_rebuild_is_byte_identical(built, matrix) -> None:
    out, _, _ = built
    before = snapshot(out)
    summary = build(out, matrix=matrix, jobs=2, force=True, stream=io.StringIO())
    assert sorted(summary.executed) == sorted(RUN_IDS)
    after = snapshot(out)
    deterministic = [k for k in before if k.startswith(("figures/", "tables/"))]
    assert len(deterministic) == 15
    assert {k: after[k] for k in deterministic} == {k: before[k] for k in deterministic}
    # the executed notebooks differ only in the timestamps papermill and nbclient record
    for name in (k for k in before if k.endswith(".ipynb")):
        first, second = (_without_timestamps(json.loads(s[name])) for s in (before, after))
        assert first == second, name
        assert [c["id"] for c in first["cells"]] == [c["id"] for c in second["cells"]]


def _without_timestamps(nb: dict) -> dict:
    """An executed notebook without its start and end times and durations."""
    times = ("start_time", "end_time", "duration")
    nb["metadata"]["papermill"] = {k: v for k, v in nb["metadata"]["papermill"].items()
                                   if k not in times}
    for cell in nb["cells"]:
        cell["metadata"].pop("execution", None)  # nbclient's iopub/shell timestamps
        cell["metadata"]["papermill"] = {k: v for k, v in cell["metadata"]["papermill"].items()
                                         if k not in times}
    return nb


def test_failing_run_leaves_previous_outputs_intact(built, evidence, tmp_path: Path) -> None:
    out, _, _ = built
    before = snapshot(out)
    manifest_before = (out / ".build" / "manifest.json").read_text()
    failing = matrix_file(tmp_path, evidence_dir=evidence, series_parameters={"fail": True})
    stream = io.StringIO()
    summary = build(out, matrix=failing, jobs=2, only="fx_series*", stream=stream)
    assert summary.exit_code == 1
    assert sorted(f.run_id for f in summary.failed) == sorted(SERIES_RUN_IDS)
    failure = next(f for f in summary.failed if f.run_id == RUN_IDS[1])
    assert failure.notebook == "fx_series"
    assert failure.description == (
        "cell 6 (In [6]) `if fail:`: RuntimeError: fixture failure requested"
    )
    log = stream.getvalue()
    assert (
        f"FAILED {RUN_IDS[1]} (notebook fx_series.ipynb): cell 6 (In [6]) `if fail:`: "
        "RuntimeError: fixture failure requested" in log
    )
    assert snapshot(out) == before
    assert (out / ".build" / "manifest.json").read_text() == manifest_before
    assert failure.saved_notebook == out / ".build" / "failed" / f"{RUN_IDS[1]}.ipynb"
    assert failure.saved_notebook.is_file()
    assert list((out / ".build" / "staging").iterdir()) == []


def test_refused_parameters_start_nothing(built, evidence, tmp_path: Path) -> None:
    out, _, _ = built
    before = snapshot(out)
    bad = matrix_file(tmp_path, evidence_dir=evidence,
                      series_parameters={"alpha": 2.0, "colour": "red"})
    stream = io.StringIO()
    summary = build(out, matrix=bad, jobs=2, stream=stream)
    assert summary.exit_code == 1
    assert summary.executed == () and summary.failed == ()
    log = stream.getvalue()
    assert "alpha=2.0 is out of range; allowed: (0, 0.5)" in log
    assert "unknown parameter 'colour'; known parameters: alpha, endpoint" in log
    assert log.endswith("no run was started.\n")
    assert snapshot(out) == before


def test_bare_papermill_gets_the_same_message(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THYROID_EVIDENCE_MATRIX", FX.ref)
    with pytest.raises(ParameterError) as expected:
        check_parameters("fx_series", {"series_id": "nope", "seed": -1}, matrix=FX)
    with pytest.raises(papermill.PapermillExecutionError) as info:
        papermill.execute_notebook(
            str(NOTEBOOK_DIR / "fx_series.ipynb"), str(tmp_path / "out.ipynb"),
            parameters={"series_id": "nope", "seed": -1, "output_dir": str(tmp_path)},
            progress_bar=False, cwd=str(NOTEBOOK_DIR),
        )
    assert info.value.ename == "ParameterError"
    assert info.value.evalue == str(expected.value)
    assert not (tmp_path / "figures").exists()


def test_cli_noop_imports_no_scientific_stack(built, matrix) -> None:
    out, _, _ = built
    code = (
        "import sys\nfrom thyroid_evidence.cli import main\n"
        f"rc = main(['build', '--out', {str(out)!r}, '--evidence', {str(matrix.evidence_dir)!r}])\n"
        f"print(sorted(m for m in {STACK!r} if m in sys.modules))\nsys.exit(rc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJ_ROOT, capture_output=True,
                            text=True, env={**os.environ, "THYROID_EVIDENCE_MATRIX": matrix.ref})
    assert result.returncode == 0, result.stderr
    assert result.stderr == "nothing to do: 3 run(s) up to date\n"
    assert result.stdout == "[]\n"


def test_cli_run_refuses_bad_parameters_listing_allowed_values(tmp_path: Path) -> None:
    result = cli("run", "fx_series", "-p", "series_id", "bone", "-p", "seed", "abc",
                 "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert "invalid parameters for notebook 'fx_series':" in result.stderr
    assert "seed must be an int (its default is 1), got str 'abc'" in result.stderr
    assert (
        "series_id='bone' is not a series of the evidence; allowed: "
        + ", ".join(series_in_scope()) in result.stderr
    )
    assert not (tmp_path / "o").exists()


def test_cli_run_executes_one_notebook(tmp_path: Path) -> None:
    out = tmp_path / "o"
    result = cli("run", "fx_single", "-p", "title", "Hello <there>", "-p", "figure_formats",
                 "png,svg", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "[1/1] ok     fx_single" in result.stderr
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "fx_single-line.png", "fx_single-line.svg", "fx_single.png", "fx_single.svg"
    ]
    manifest = json.loads((out / ".build" / "manifest.json").read_text())
    assert manifest["runs"]["fx_single"]["parameters"]["title"] == "Hello <there>"
    assert "Hello &lt;there&gt;" in (out / "report" / "index.html").read_text()


def test_cli_usage_errors(tmp_path: Path) -> None:
    result = cli("build", "--only", "zzz", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: --only 'zzz' matches no run; runs: fx_series-")
    result = cli("build", "--jobs", "0")
    assert result.returncode == 2
    assert "must be a positive integer, got '0'" in result.stderr
    result = cli("run", "nosuch")
    assert result.returncode == 1
    assert "notebook 'nosuch' is not in the run matrix; allowed: fx_series, fx_single" in (
        result.stderr
    )


def test_interrupted_build_leaves_whole_runs_only(tmp_path: Path, matrix) -> None:
    out = tmp_path / "o"
    env = {**os.environ, "THYROID_EVIDENCE_MATRIX": matrix.ref}
    proc = subprocess.Popen([sys.executable, "-m", "thyroid_evidence", "build", "--out", str(out)],
                            cwd=PROJ_ROOT, env=env, stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    assert first == "building 3 run(s) with 2 job(s)\n"
    time.sleep(1.0)  # kernels are starting or running
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    assert proc.wait(timeout=120) == 130, rest
    assert rest.rstrip().endswith("interrupted")
    published = {p.relative_to(out).as_posix() for sub in ("figures", "tables", "notebooks")
                 for p in (out / sub).glob("*")} if out.exists() else set()
    assert not any(".tmp" in name for name in published)
    for run_id in RUN_IDS:  # each run is entirely there or entirely absent
        mine = {p for p in published if Path(p).name.startswith(run_id + ".")}
        assert len(mine) in (0, 6), mine
    summary = build(out, matrix=matrix, jobs=2, stream=io.StringIO())
    assert summary.exit_code == 0
    assert sorted(summary.executed + summary.skipped) == sorted(RUN_IDS)
    assert not any((out / ".build" / "staging").iterdir())
