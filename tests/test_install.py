"""``pip install .`` (not editable): the installed command finds the project from its root.

A wheel is built from a copy of the package sources (so that setuptools writes nothing into
the repository, whose build/ is the kit's output folder) and installed without its
dependencies into a new virtual environment that sees the dependencies of the test
environment through a ``.pth`` path line. A path line adds a folder to ``sys.path`` without
running the ``.pth`` files in it, so the test environment's editable install of this project
stays invisible: the installed command imports the wheel's copy, which sits in site-packages,
far from ``evidence/`` and ``notebooks/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from venv import create as create_venv

import pytest

from thyroid_evidence.config import ROOT_ENV

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

#: The checkout under test (the folder holding pyproject.toml).
CHECKOUT = Path(__file__).resolve().parent.parent


def _run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in (ROOT_ENV, "PYTHONPATH", "PYTHONHOME")}
    # The dependencies' data files (nbconvert's templates) are under the test environment's
    # prefix, which the new environment does not have.
    env["JUPYTER_PATH"] = os.pathsep.join(
        p for p in (str(Path(sys.prefix) / "share" / "jupyter"), env.get("JUPYTER_PATH")) if p)
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment holding the project's wheel (and no editable install)."""
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, src / name)
    shutil.copytree(CHECKOUT / "thyroid_evidence", src / "thyroid_evidence",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The installed setuptools builds the wheel: no download, no build isolation.
    wheel = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                  "--no-build-isolation", "--wheel-dir", str(tmp / "dist"), str(src)], cwd=tmp)
    assert wheel.returncode == 0, wheel.stderr
    [built] = (tmp / "dist").glob("thyroid_evidence-*.whl")

    env_dir = tmp / "venv"
    create_venv(env_dir, with_pip=False, symlinks=os.name != "nt")  # the base interpreter's
    python = env_dir / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                cwd=tmp).stdout.strip()
    (Path(site) / "test-dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    installed = _run([sys.executable, "-m", "pip", "--python", str(python), "install",
                      "--quiet", "--no-deps", "--no-index", str(built)], cwd=tmp)
    assert installed.returncode == 0, installed.stderr
    return env_dir


def test_the_wheel_holds_every_file_of_the_package(venv: Path):
    [site] = (venv / "lib").glob("python*/site-packages")
    installed = site / "thyroid_evidence"

    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}

    # The copy the wheel was built from (the checkout may change while the tests run).
    assert files(installed) == files(venv.parent / "src" / "thyroid_evidence")


def test_the_venv_imports_the_wheel_not_the_checkout(venv: Path, tmp_path: Path):
    probe = _run([str(venv / "bin" / "python"), "-c",
                  "import thyroid_evidence; print(thyroid_evidence.__file__)"], cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.strip()).is_relative_to(venv)


def test_validate_from_the_repository_root(venv: Path):
    result = _run([str(venv / "bin" / "thyroid-evidence"), "validate"], cwd=CHECKOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("evidence OK: 6 tables, ")
    # the folder it validated, absolute or relative to the project root (the cwd here)
    shown = result.stdout.rstrip().rsplit(" (", 1)[1].rstrip(")")
    assert (CHECKOUT / shown).resolve() == (CHECKOUT / "evidence").resolve()


def test_audit_from_the_repository_root(venv: Path):
    result = _run([str(venv / "bin" / "thyroid-evidence"), "audit", "--format", "csv"],
                  cwd=CHECKOUT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "series_id,outcome_ids,check,status,detail"


def test_build_from_the_repository_root(venv: Path, tmp_path: Path):
    command = str(venv / "bin" / "thyroid-evidence")
    result = _run([command, "build", "--only", "data_audit", "--out", str(tmp_path / "b")],
                  cwd=CHECKOUT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b" / "report" / "index.html").is_file()


def test_run_from_the_repository_root(venv: Path, tmp_path: Path):
    result = _run([str(venv / "bin" / "thyroid-evidence"), "run", "data_audit", "-p",
                   "status_filter", "inconsistent", "--out", str(tmp_path / "r")], cwd=CHECKOUT)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "notebooks" / "data_audit.ipynb").is_file()


@pytest.mark.parametrize("command", [["validate"], ["audit"], ["build", "--only", "x"],
                                     ["run", "data_audit"]])
def test_outside_a_project_every_command_says_where_it_looked(
    venv: Path, tmp_path: Path, command: list[str]
):
    result = _run([str(venv / "bin" / "thyroid-evidence"), *command], cwd=tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot find the project root")
    assert f"{ROOT_ENV} (not set)" in result.stderr
    assert f"the current folder ({tmp_path.resolve()}) and its parents" in result.stderr
    assert "site-packages" in result.stderr


def test_version_of_the_installed_command(venv: Path, tmp_path: Path):
    import tomllib

    declared = tomllib.loads((venv.parent / "src" / "pyproject.toml").read_text("utf-8"))
    result = _run([str(venv / "bin" / "thyroid-evidence"), "--version"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"thyroid-evidence {declared['project']['version']}\n"
