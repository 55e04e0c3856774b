"""Content-hash manifest: which run was built from which inputs, and what it wrote.

A run's hash covers the notebook file, its parameters, every file of the evidence folder, the
package source, the versions of the key libraries, the Python version and
``SOURCE_DATE_EPOCH``. A run whose hash matches the manifest and whose files are still the ones
the build wrote (size and modification time) is skipped. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from thyroid_evidence import config
from thyroid_evidence.build.outputs import STATE_DIR
from thyroid_evidence.files import atomic_write_text
from thyroid_evidence.notebook.matrix import PACKAGE_DIR

#: Libraries whose version changes what a notebook computes or draws.
KEY_LIBRARIES = (
    "numpy",
    "pandas",
    "scipy",
    "matplotlib",
    "lifelines",
    "statsmodels",
    "papermill",
    "nbconvert",
    "nbclient",
    "ipykernel",
    "frictionless",
)
#: Format of ``manifest.json``; a manifest of another version is ignored (everything rebuilt).
MANIFEST_VERSION = 1
#: A manifest entry's ``origin``: a run of the matrix (``build``) or one asked for by name
#: (``thyroid-evidence run``). Only the former are removed when they leave the matrix; an entry
#: without an origin (a manifest written before origins were recorded) counts as the former.
ORIGIN_BUILD, ORIGIN_RUN = "build", "run"


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Records of a previous execution, in a cell and in a cell's or the notebook's metadata: not
#: part of what a run executes.
_CELL_RECORDS = ("outputs", "execution_count")
_CELL_METADATA_RECORDS = ("execution", "papermill", "ExecuteTime")
_NOTEBOOK_METADATA_RECORDS = ("papermill", "language_info", "widgets")


def notebook_digest(path: Path) -> str:
    """SHA-256 of what running a notebook depends on: its cells and metadata, without the
    outputs, execution counts and timings stored by its last execution.

    Refreshing the committed outputs (``make notebooks``) or saving the notebook after running
    it in JupyterLab therefore leaves every run of the build current. A file that is not a
    notebook's JSON is digested whole (its run reports the problem).
    """
    try:
        nb = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        return file_digest(path)
    if not isinstance(nb, dict):
        return file_digest(path)

    def strip(cell: Any) -> Any:
        if not isinstance(cell, dict):
            return cell
        kept = {k: v for k, v in cell.items() if k not in _CELL_RECORDS}
        if isinstance(kept.get("metadata"), dict):
            kept["metadata"] = {k: v for k, v in kept["metadata"].items()
                                if k not in _CELL_METADATA_RECORDS}
        return kept

    cells = nb.get("cells")
    metadata = nb.get("metadata")
    payload = {
        **nb,
        "cells": [strip(c) for c in cells] if isinstance(cells, list) else cells,
        "metadata": ({k: v for k, v in metadata.items() if k not in _NOTEBOOK_METADATA_RECORDS}
                     if isinstance(metadata, dict) else metadata),
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def tree_digest(root: Path, pattern: str = "*") -> str:
    """SHA-256 over the relative names and bytes of the files below ``root`` matching pattern.

    A symlink that resolves outside ``root`` is not followed (its target is never read).
    """
    digest = hashlib.sha256()
    base = root.resolve()
    files = sorted(
        p for p in root.rglob(pattern)
        if p.is_file() and "__pycache__" not in p.parts and not p.name.startswith(".")
        and base in p.resolve().parents
    )
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Installed versions of :data:`KEY_LIBRARIES` (read from metadata, nothing imported)."""
    versions = {"python": platform.python_version()}
    for name in KEY_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass(frozen=True)
class Fingerprint:
    """The inputs every run shares."""

    evidence: str
    package: str
    libraries: Mapping[str, str]
    source_date_epoch: str | None

    @classmethod
    def compute(cls, evidence_dir: Path, package_dir: Path = PACKAGE_DIR) -> Fingerprint:
        """Hash the evidence folder and the package source (Python and Jinja2 templates);
        read library versions."""
        return cls(
            evidence=tree_digest(evidence_dir),
            # the code and the templates of the pages a run writes (notebook HTML, slides)
            package=hashlib.sha256((tree_digest(package_dir, "*.py") + ":"
                                    + tree_digest(package_dir, "*.j2")).encode()).hexdigest(),
            libraries=library_versions(),
            source_date_epoch=config.source_date_epoch(),
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain mapping for JSON."""
        return {
            "evidence": self.evidence,
            "package": self.package,
            "libraries": dict(self.libraries),
            "source_date_epoch": self.source_date_epoch,
        }


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no spaces: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def run_hash(notebook_path: Path, parameters: Mapping[str, Any], fingerprint: Fingerprint) -> str:
    """The content hash of one run."""
    payload = {
        "notebook": notebook_digest(notebook_path),
        "parameters": {k: v for k, v in parameters.items() if k != "output_dir"},
        "inputs": fingerprint.as_dict(),
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def file_state(path: Path) -> dict[str, int]:
    """Size and modification time of a file, to notice that it was replaced."""
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


class Manifest:
    """The build's record of each run, kept in ``<out>/.build/manifest.json``.

    Each entry: ``hash``, ``notebook``, ``title``, ``parameters`` (effective), ``outputs``
    (relative path -> size and mtime), ``figures`` and ``tables`` (stem, caption, files),
    ``seconds``.
    """

    def __init__(self, out: Path, runs: dict[str, dict] | None = None,
                 report: dict | None = None) -> None:
        self.out = out
        self.runs: dict[str, dict] = runs or {}
        self.report: dict = report or {}

    @property
    def path(self) -> Path:
        """Where the manifest lives."""
        return self.out / STATE_DIR / "manifest.json"

    @classmethod
    def load(cls, out: Path) -> Manifest:
        """Read the manifest of ``out``; an absent or unreadable one is empty."""
        path = out / STATE_DIR / "manifest.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return cls(out)
        if data.get("version") != MANIFEST_VERSION:
            return cls(out)
        return cls(out, data.get("runs", {}), data.get("report", {}))

    def save(self) -> None:
        """Write the manifest atomically."""
        data = {"version": MANIFEST_VERSION, "runs": self.runs, "report": self.report}
        atomic_write_text(self.path, json.dumps(data, indent=1, sort_keys=True) + "\n")

    def is_current(self, run_id: str, digest: str) -> bool:
        """True when ``run_id`` was built from ``digest`` and its files are untouched."""
        entry = self.runs.get(run_id)
        if entry is None or entry.get("hash") != digest:
            return False
        for rel, state in entry.get("outputs", {}).items():
            path = self.out / rel
            try:
                if file_state(path) != state:
                    return False
            except FileNotFoundError:
                return False
        return True

    def record(self, run_id: str, entry: dict) -> None:
        """Replace the entry of ``run_id`` and save."""
        outputs = {rel: file_state(self.out / rel) for rel in entry["files"]}
        self.runs[run_id] = {**{k: v for k, v in entry.items() if k != "files"},
                             "outputs": outputs}
        self.save()
