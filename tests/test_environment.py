"""pyproject.toml is the single source of truth; environment.yml must list the same packages."""

from __future__ import annotations

import re
import tomllib

import yaml

from thyroid_evidence.config import project_root

# Conda-forge names that differ from the PyPI names (none today; kept explicit on purpose).
CONDA_NAME = {}


def _split(requirement: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", requirement)
    assert match, requirement
    name = match.group(1).lower().replace("_", "-")
    spec = ",".join(sorted(part.strip() for part in match.group(2).split(",") if part.strip()))
    return name, spec


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((project_root() / "pyproject.toml").read_text())["project"]
    requirements = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        requirements += extra
    return dict(_split(r) for r in requirements)


def _environment() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((project_root() / "environment.yml").read_text())
    conda, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
        else:
            name, spec = _split(dep)
            conda[name] = spec
    assert "conda-forge" in env["channels"]
    return conda, pip


def test_environment_yml_lists_the_same_packages_and_bounds_as_pyproject():
    expected = {CONDA_NAME.get(name, name): spec for name, spec in _pyproject().items()}
    conda, _ = _environment()
    conda.pop("pip", None)
    python = conda.pop("python")
    assert python == ">=3.11"
    assert conda == expected


def test_environment_yml_installs_the_project_editable():
    _, pip = _environment()
    assert pip == ["-e ."]


def test_python_floor_matches():
    project = tomllib.loads((project_root() / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"


def test_split_normalises_specifier_order():
    assert _split("numpy <3, >=1.24") == ("numpy", "<3,>=1.24")
