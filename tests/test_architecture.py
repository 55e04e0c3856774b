"""The house: every module sits in one layer of the import-linter contract, and it holds."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import thyroid_evidence

PACKAGE = Path(thyroid_evidence.__file__).parent
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def _layers() -> list[str]:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    (layers,) = [c for c in contracts if c["id"] == "layers"]
    names: list[str] = []
    for layer in layers["layers"]:
        names += [part.strip() for part in layer.replace("|", ":").split(":")]
    return names


def _top_level_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.iterdir()):
        if path.name.startswith("__init__") or path.name == "__pycache__":
            continue
        if path.suffix == ".py":
            names.append(f"thyroid_evidence.{path.stem}")
        elif path.is_dir() and (path / "__init__.py").is_file():
            names.append(f"thyroid_evidence.{path.name}")
    return names


def test_every_module_is_in_a_layer() -> None:
    layers = set(_layers())
    outside = [name for name in _top_level_modules() if name not in layers]
    assert outside == [], f"modules outside every layer of pyproject.toml: {outside}"


def test_layer_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=PACKAGE.parent, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def test_notebooks_import_the_notebook_layer_never_the_build() -> None:
    import json

    offenders = []
    for path in sorted((PACKAGE.parent / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        if "thyroid_evidence.build" in code or "thyroid_evidence.cli" in code:
            offenders.append(path.name)
        assert "thyroid_evidence.notebook" in code, path.name
    assert offenders == []
