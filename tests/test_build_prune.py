"""Runs that leave the run matrix: which manifest entries and files go, and which stay.

The build end to end (a copy of a build, rebuilt from its matrix without one notebook) is in
``tests/test_build_run.py``; :func:`without_notebook` makes that matrix.
"""

from __future__ import annotations

import json
from pathlib import Path

from thyroid_evidence.build.execute import remove_stale_runs
from thyroid_evidence.build.manifest import Manifest


def without_notebook(matrix_path: Path, name: str, folder: Path) -> Path:
    """A copy of a run matrix file without the ``[[notebooks]]`` block of ``name``."""
    blocks = matrix_path.read_text(encoding="utf-8").split("[[notebooks]]")
    kept = [b for b in blocks[1:] if f'name = "{name}"' not in b]
    assert len(kept) == len(blocks) - 2, "the notebook's block was not found once"
    path = folder / "matrix.toml"
    path.write_text("[[notebooks]]".join([blocks[0], *kept]), encoding="utf-8")
    return path


def test_a_run_made_by_name_stays_and_a_build_run_goes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = {"by_name": "figures/by_name.png", "from_build": "figures/from_build.png",
             "old_entry": "tables/old_entry.csv"}
    for rel in [*files.values(), ".build/logs/from_build.log", ".build/failed/old_entry.ipynb"]:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text("x", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep", encoding="utf-8")
    manifest = Manifest(out, {
        "by_name": {"origin": "run", "outputs": {files["by_name"]: {}}},
        "from_build": {"origin": "build", "outputs": {files["from_build"]: {},
                                                      "../outside.txt": {}}},
        "old_entry": {"outputs": {files["old_entry"]: {}}},  # written before origins
        "kept": {"origin": "build", "outputs": {}},
    })
    assert remove_stale_runs(out, manifest, keep={"kept"}) == ["from_build", "old_entry"]
    assert sorted(manifest.runs) == ["by_name", "kept"]
    assert (out / files["by_name"]).is_file()
    for rel in (files["from_build"], files["old_entry"], ".build/logs/from_build.log",
                ".build/failed/old_entry.ipynb"):
        assert not (out / rel).exists(), rel
    assert outside.read_text(encoding="utf-8") == "keep"  # never outside the output folder
    stored = json.loads((out / ".build" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(stored["runs"]) == ["by_name", "kept"]


def test_nothing_stale_leaves_the_manifest_file_alone(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path, {"a": {"origin": "build", "outputs": {}}})
    assert remove_stale_runs(tmp_path, manifest, keep={"a"}) == []
    assert not (tmp_path / ".build" / "manifest.json").exists()


def test_a_template_change_changes_the_package_fingerprint(tmp_path: Path) -> None:
    from thyroid_evidence.build.manifest import Fingerprint

    package = tmp_path / "pkg"
    (package / "templates").mkdir(parents=True)
    (package / "m.py").write_text("x = 1\n", encoding="utf-8")
    template = package / "templates" / "page.html.j2"
    template.write_text("<p>{{ a }}</p>\n", encoding="utf-8")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    before = Fingerprint.compute(evidence, package).package
    template.write_text("<p>{{ b }}</p>\n", encoding="utf-8")
    assert Fingerprint.compute(evidence, package).package != before
