"""Every path and environment variable of the kit, resolved here and only here.

The project root (the folder holding ``evidence/`` and ``notebooks/``) is, in order:

1. the folder named by ``THYROID_EVIDENCE_ROOT``;
2. the source checkout this package was imported from (``pip install -e .`` or a clone);
3. the current folder or, nearest first, one of its parents, when it holds ``evidence/`` and
   ``notebooks/`` (``pip install .`` from a clone, then commands run from the repository root,
   or a notebook running in ``notebooks/``).

When none fits, :func:`project_root` raises :class:`ProjectRootError` naming where it looked.
Paths are looked up when asked for, never at import time, so that importing the package
works anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from thyroid_evidence.exceptions import ThyroidEvidenceError

#: Names the project root (the folder holding evidence/ and notebooks/).
ROOT_ENV = "THYROID_EVIDENCE_ROOT"
#: Names the review's full text, for the quote check.
SOURCE_ENV = "THYROID_EVIDENCE_SOURCE"
#: Names the folder where passed schema validations are remembered.
CACHE_ENV = "THYROID_EVIDENCE_CACHE"
#: Names another run matrix; the build sets it for its kernels so that a notebook's own check
#: uses the same matrix.
MATRIX_ENV = "THYROID_EVIDENCE_MATRIX"
#: Names the folder a notebook run writes its figures and tables to (set by the build).
STAGING_ENV = "THYROID_EVIDENCE_STAGING_DIR"
#: Names the evidence folder to use instead of the project's ``evidence/``; the build sets it
#: for its kernels (``--evidence DIR``), so that every run reads the evidence the build read.
EVIDENCE_ENV = "THYROID_EVIDENCE_DIR"
#: Names the folder an interactive run (JupyterLab, bare papermill) writes its figures and
#: tables to when no output_dir is given; default ``scratch/`` in the project root. The build
#: writes to its own output folder (``build/``) whatever this says.
SCRATCH_ENV = "THYROID_EVIDENCE_SCRATCH_DIR"
#: The reproducible-builds date (https://reproducible-builds.org/specs/source-date-epoch/):
#: figures carry a date only when it is set, and the manifest records it.
SOURCE_DATE_EPOCH_ENV = "SOURCE_DATE_EPOCH"
#: The user's cache folder (XDG Base Directory spec): the cache dir is under it when
#: ``THYROID_EVIDENCE_CACHE`` is not set (default ``~/.cache``).
XDG_CACHE_ENV = "XDG_CACHE_HOME"
#: Every environment variable the kit reads, in this order.
ENVIRONMENT_VARIABLES: tuple[str, ...] = (
    ROOT_ENV,
    SOURCE_ENV,
    CACHE_ENV,
    MATRIX_ENV,
    STAGING_ENV,
    EVIDENCE_ENV,
    SOURCE_DATE_EPOCH_ENV,
    SCRATCH_ENV,
    XDG_CACHE_ENV,
)

#: The package's own folder (``thyroid_evidence/``): its source files enter every run's hash
#: and every cached result's key.
PACKAGE_DIR = Path(__file__).resolve().parent
#: The source checkout this package sits in (it may not be a project root).
_PACKAGE_PARENT = PACKAGE_DIR.parent


class ProjectRootError(ThyroidEvidenceError, LookupError):
    """No project root (a folder with evidence/ and notebooks/) was found."""


def _is_root(path: Path) -> bool:
    return (path / "evidence").is_dir() and (path / "notebooks").is_dir()


def project_root(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """Return the project root (see the module doc for the order it is looked for in).

    Parameters
    ----------
    environ : mapping, optional
        The environment to read (default ``os.environ``).
    cwd : Path, optional
        The current folder (default ``Path.cwd()``).

    Raises
    ------
    ProjectRootError
        When no candidate holds ``evidence/`` and ``notebooks/``; the message names each
        place looked at.
    """
    environ = os.environ if environ is None else environ
    here = (Path.cwd() if cwd is None else Path(cwd)).resolve()
    looked: list[str] = []
    named = environ.get(ROOT_ENV)
    if named:
        path = (here / Path(named).expanduser()).resolve()  # a relative name is from `cwd`
        if _is_root(path):
            return path
        raise ProjectRootError(
            f"{ROOT_ENV}={named} does not name a project root: {path} must hold evidence/ "
            "and notebooks/"
        )
    looked.append(f"{ROOT_ENV} (not set)")
    if _is_root(_PACKAGE_PARENT):
        return _PACKAGE_PARENT
    looked.append(f"the folder holding the package ({_PACKAGE_PARENT})")
    for folder in (here, *here.parents):
        if _is_root(folder):
            return folder
    looked.append(f"the current folder ({here}) and its parents")
    raise ProjectRootError(
        "cannot find the project root (a folder holding evidence/ and notebooks/); looked at "
        + "; ".join(looked)
        + f". Run from the repository root or set {ROOT_ENV}."
    )


def evidence_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The evidence data package: ``THYROID_EVIDENCE_DIR`` when set, else the project's."""
    environ = os.environ if environ is None else environ
    named = environ.get(EVIDENCE_ENV)
    if named:
        return Path(named).expanduser().resolve()
    return project_root(environ) / "evidence"


def notebooks_dir() -> Path:
    """The project's parameterised notebooks."""
    return project_root() / "notebooks"


def build_dir() -> Path:
    """The default output folder of the build."""
    return project_root() / "build"


def scratch_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where an interactive run writes: ``THYROID_EVIDENCE_SCRATCH_DIR``, else ``scratch/``.

    A notebook run outside the build (JupyterLab, bare papermill) without an ``output_dir``
    writes its figures and tables here, so that exploring never overwrites the build's
    ``build/figures`` and ``build/tables``.
    """
    environ = os.environ if environ is None else environ
    named = environ.get(SCRATCH_ENV)
    if named:
        return Path(named).expanduser().resolve()
    return project_root(environ) / "scratch"


def display_path(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> str:
    """``path`` as shown to a reader: relative to the project root when it lies inside it.

    Notebook outputs are committed, so they name ``build/tables/x.csv``, never the
    maintainer's ``/home/someone/thyroid-evidence/build/tables/x.csv``. A path outside the
    project root (or with no project root found) is shown as given.
    """
    path = Path(path)
    try:
        root = project_root(environ)
    except ProjectRootError:
        return str(path)
    try:
        return path.resolve().relative_to(root).as_posix() if path.is_absolute() else str(path)
    except ValueError:
        return str(path)


def review_text_path(environ: Mapping[str, str] | None = None) -> Path | None:
    """Return the path of the review's full text, or None when it is not available.

    ``THYROID_EVIDENCE_SOURCE`` wins; otherwise ``../shared/source/review.txt`` next to the
    project root (where the project keeps it).
    """
    environ = os.environ if environ is None else environ
    named = environ.get(SOURCE_ENV)
    candidates = [Path(named)] if named else []
    try:
        candidates.append(project_root(environ).parent / "shared" / "source" / "review.txt")
    except ProjectRootError:
        pass
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Folder for remembered schema validations and cached results (``THYROID_EVIDENCE_CACHE``,
    else ``thyroid-evidence`` under ``XDG_CACHE_HOME`` or ``~/.cache``)."""
    environ = os.environ if environ is None else environ
    named = environ.get(CACHE_ENV)
    if named:
        return Path(named)
    base = environ.get(XDG_CACHE_ENV) or Path.home() / ".cache"
    return Path(base) / "thyroid-evidence"


def matrix_override(environ: Mapping[str, str] | None = None) -> Path | None:
    """The run matrix named by ``THYROID_EVIDENCE_MATRIX``, or None when it is not set."""
    environ = os.environ if environ is None else environ
    named = environ.get(MATRIX_ENV)
    return Path(named) if named else None


def staging_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder a build run writes to (``THYROID_EVIDENCE_STAGING_DIR``), or None."""
    environ = os.environ if environ is None else environ
    named = environ.get(STAGING_ENV)
    return Path(named) if named else None


def source_date_epoch(environ: Mapping[str, str] | None = None) -> str | None:
    """``SOURCE_DATE_EPOCH`` as set (a decimal number of seconds), or None."""
    environ = os.environ if environ is None else environ
    return environ.get(SOURCE_DATE_EPOCH_ENV) or None
