"""Deterministic figures and tables, atomic files and commits, the manifest."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from thyroid_evidence.build.manifest import Fingerprint, Manifest, run_hash
from thyroid_evidence.build.outputs import STATE_DIR, commit_run, recover
from thyroid_evidence.files import atomic_write_bytes
from thyroid_evidence.notebook import save_table
from thyroid_evidence.plotting.figures import save_figure

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

DRAW = """
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from thyroid_evidence.plotting.figures import save_figure
fig, ax = plt.subplots(figsize=(4, 3))
x = np.linspace(0, 60, 50)
ax.step(x, np.exp(-x / 40), where="post", label="survival µ")
ax.fill_between(x, np.exp(-x / 35), np.exp(-x / 45), alpha=0.3)
ax.set_title("Überleben — <test>")
ax.legend()
save_figure(fig, sys.argv[1])
"""


def draw(stem: Path, **env: str) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    subprocess.run([sys.executable, "-c", DRAW, str(stem)], check=True,
                   env={**environment, **env})


@pytest.fixture(scope="module")
def two_drawings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("figs")
    draw(root / "a" / "fig")
    draw(root / "b" / "fig")
    draw(root / "c" / "fig", SOURCE_DATE_EPOCH="1700000000")
    return root / "a", root / "b", root / "c"


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_two_processes_write_identical_bytes(two_drawings, fmt: str) -> None:
    a, b, _ = two_drawings
    assert (a / f"fig.{fmt}").read_bytes() == (b / f"fig.{fmt}").read_bytes()


def test_software_and_date_metadata_is_stripped(two_drawings) -> None:
    a, _, _ = two_drawings
    png = (a / "fig.png").read_bytes()
    svg = (a / "fig.svg").read_text()
    pdf = (a / "fig.pdf").read_bytes()
    assert b"Software" not in png and b"matplotlib" not in png.lower()
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg
    assert b"/CreationDate" not in pdf and b"/Producer" not in pdf and b"/Creator" not in pdf


def test_source_date_epoch_is_honoured(two_drawings) -> None:
    _, _, c = two_drawings
    assert "<dc:date>2023-11-14T22:13:20+00:00</dc:date>" in (c / "fig.svg").read_text()
    assert b"/CreationDate (D:20231114221320Z)" in (c / "fig.pdf").read_bytes()


def test_save_figure_refuses_bad_formats(tmp_path: Path) -> None:
    fig, _ = plt.subplots()
    for formats in (["gif"], [], ["png", "png"]):
        with pytest.raises(ValueError, match="formats must be a non-empty selection of png, svg, "
                                             "pdf without repeats"):
            save_figure(fig, tmp_path / "x", formats)
    with pytest.raises(ValueError, match=r"dpi must be an int in \[10, 1200\], got 5"):
        save_figure(fig, tmp_path / "x", ["png"], dpi=5)
    plt.close(fig)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "figures" / "x.png"
    atomic_write_bytes(target, b"old")

    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(Broken(), tmp_path / "figures" / "x", ["png"])
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.png"]


def test_save_table_is_plain_deterministic_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame({"time_months": [12.0, 24.0], "value": [71.6, 1 / 3], "n": [1, 2]})
    path = save_table(frame, tmp_path / "t.csv")
    assert path.read_bytes() == (
        b"time_months,value,n\n12.0,71.6,1\n24.0,0.3333333333333333,2\n"
    )
    with pytest.raises(ValueError, match=r"path must end in '\.csv', got 't\.txt'"):
        save_table(frame, tmp_path / "t.txt")
    with pytest.raises(TypeError, match="table must be a pandas DataFrame, got list"):
        save_table([1], tmp_path / "u.csv")


def _staged(out: Path, run_id: str, files: dict[str, bytes]) -> Path:
    staging = out / STATE_DIR / "staging" / run_id
    for rel, data in files.items():
        atomic_write_bytes(staging / rel, data)
    return staging


def test_commit_moves_new_files_and_deletes_obsolete_ones(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "figures" / "r.png", b"old png")
    atomic_write_bytes(tmp_path / "figures" / "r.svg", b"old svg")
    staging = _staged(tmp_path, "r", {"figures/r.png": b"new png"})
    commit_run(tmp_path, "r", staging, ["figures/r.png"], ["figures/r.png", "figures/r.svg"])
    assert (tmp_path / "figures" / "r.png").read_bytes() == b"new png"
    assert not (tmp_path / "figures" / "r.svg").exists()
    assert not staging.exists()
    assert list((tmp_path / STATE_DIR / "journal").iterdir()) == []


def test_recover_completes_an_interrupted_commit(tmp_path: Path) -> None:
    for name in ("a", "b"):
        atomic_write_bytes(tmp_path / "figures" / f"r-{name}.png", b"old " + name.encode())
    staging = _staged(tmp_path, "r", {"figures/r-a.png": b"new a", "figures/r-b.png": b"new b"})
    journal = {"run_id": "r", "staging": str(staging),
               "moves": ["figures/r-a.png", "figures/r-b.png"], "deletes": []}
    atomic_write_bytes(tmp_path / STATE_DIR / "journal" / "r.json", json.dumps(journal).encode())
    # interrupted after the first move: a mix of old and new on disk
    os.replace(staging / "figures" / "r-a.png", tmp_path / "figures" / "r-a.png")
    stale = _staged(tmp_path, "other", {"figures/other.png": b"half"})
    (tmp_path / "figures" / ".r-a.png.123.tmp").write_bytes(b"half")
    assert recover(tmp_path) == ["r"]
    assert (tmp_path / "figures" / "r-a.png").read_bytes() == b"new a"
    assert (tmp_path / "figures" / "r-b.png").read_bytes() == b"new b"
    assert not stale.exists()
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["r-a.png", "r-b.png"]


@pytest.fixture
def inputs(tmp_path: Path, evidence_copy: Path) -> tuple[Path, Path, Path]:
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text('{"cells": []}')
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text("x = 1\n")
    return notebook, evidence_copy, package


def test_run_hash_follows_every_input(inputs, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook, evidence, package = inputs
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)

    def digest(params: dict | None = None) -> str:
        return run_hash(notebook, params or {"seed": 1}, Fingerprint.compute(evidence, package))

    base = digest()
    assert digest() == base
    assert digest({"seed": 1, "output_dir": "/elsewhere"}) == base
    seen = {base, digest({"seed": 2})}
    notebook.write_text('{"cells": [1]}')
    seen.add(digest())
    with (evidence / "outcomes.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    seen.add(digest())
    (package / "m.py").write_text("x = 2\n")
    seen.add(digest())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1")
    seen.add(digest())
    assert len(seen) == 6


def test_run_hash_ignores_what_an_execution_stores(inputs) -> None:
    notebook, evidence, package = inputs
    fingerprint = Fingerprint.compute(evidence, package)
    cell = {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "a = 1",
            "outputs": [], "execution_count": None}
    notebook.write_text(json.dumps({"cells": [cell], "metadata": {"kernelspec": {"name": "p"}}}))
    base = run_hash(notebook, {}, fingerprint)
    executed = {**cell, "execution_count": 7,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}],
                "metadata": {**cell["metadata"], "execution": {"iopub.status.idle": "t"},
                             "papermill": {"duration": 1.0}}}
    notebook.write_text(json.dumps({"cells": [executed], "metadata": {
        "kernelspec": {"name": "p"}, "language_info": {"version": "3.11.7"},
        "papermill": {"duration": 2.0}}}, indent=2))
    assert run_hash(notebook, {}, fingerprint) == base
    for changed in ({**executed, "source": "a = 2"},
                    {**executed, "metadata": {"tags": []}}):
        notebook.write_text(json.dumps({"cells": [changed],
                                        "metadata": {"kernelspec": {"name": "p"}}}))
        assert run_hash(notebook, {}, fingerprint) != base
    notebook.write_text(json.dumps({"cells": [cell], "metadata": {"kernelspec": {"name": "q"}}}))
    assert run_hash(notebook, {}, fingerprint) != base


def test_manifest_notices_replaced_or_missing_outputs(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "figures" / "r.png", b"png")
    manifest = Manifest(tmp_path)
    manifest.record("r", {"hash": "h1", "files": ["figures/r.png"]})
    reloaded = Manifest.load(tmp_path)
    assert reloaded.is_current("r", "h1")
    assert not reloaded.is_current("r", "h2")
    assert not reloaded.is_current("s", "h1")
    (tmp_path / "figures" / "r.png").write_bytes(b"other bytes")
    assert not reloaded.is_current("r", "h1")
    (tmp_path / "figures" / "r.png").unlink()
    assert not reloaded.is_current("r", "h1")


def test_unreadable_manifest_is_empty(tmp_path: Path) -> None:
    (tmp_path / STATE_DIR).mkdir()
    (tmp_path / STATE_DIR / "manifest.json").write_text("{not json")
    assert Manifest.load(tmp_path).runs == {}
    shutil.rmtree(tmp_path / STATE_DIR)
    assert Manifest.load(tmp_path).runs == {}


@pytest.mark.parametrize("layout", [None, "constrained"])
def test_one_layout_for_all_formats_gives_matplotlibs_own_png(tmp_path: Path, layout) -> None:
    """The PNG laid out once for all formats is the PNG ``savefig(bbox_inches="tight")`` makes."""
    import io

    from thyroid_evidence.plotting.figures import render_figure

    def drawing():
        fig, ax = plt.subplots(figsize=(6, 3), layout=layout)
        ax.plot([0, 12, 24], [1.0, 0.8, 0.6])
        ax.annotate("a long label that reaches past the axes", (24, 0.6), xytext=(7, 0),
                    textcoords="offset points")
        ax.set(title="title", xlabel="months", ylabel="survival")
        fig.text(0.01, 0.01, "a footnote below everything")
        return fig

    fig = drawing()
    rendered = render_figure(fig, ("svg", "png", "pdf"))
    plt.close(fig)
    other = drawing()  # a fresh figure: constrained layout starts from the figure's state
    own = io.BytesIO()
    other.savefig(own, format="png", dpi=200, metadata={"Software": None}, bbox_inches="tight")
    plt.close(other)
    assert rendered["png"] == own.getvalue()
    assert rendered["svg"].lstrip().startswith(b"<?xml") and rendered["pdf"][:5] == b"%PDF-"
    engine = fig.get_layout_engine()  # paused while saving, then restored
    assert (engine is None) if layout is None else type(engine).__name__ == (
        "ConstrainedLayoutEngine")


def test_show_saved_outside_a_kernel_does_nothing() -> None:
    from thyroid_evidence.plotting.figures import render_figure, show_saved

    fig, ax = plt.subplots()
    ax.plot([0, 1])
    assert show_saved(fig, render_figure(fig, ("svg",))) is False
    assert plt.fignum_exists(fig.number)  # not closed
    plt.close(fig)
