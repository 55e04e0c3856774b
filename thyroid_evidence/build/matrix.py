"""The declared run matrix: which notebook runs with which parameters.

A :class:`NotebookSpec` names a notebook and the parameters it is run *for each* of
(``series_id``, ``endpoint`` or none); the allowed series and endpoints come from the evidence,
filtered by the endpoints and statistics the notebook can use. :data:`MATRIX` is the project's
matrix. Everything here uses the standard library only (no pandas) so that a no-op build and
the parameter check in each notebook stay fast.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib
import importlib.util
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thyroid_evidence.paths import EVIDENCE_DIR, NOTEBOOKS_DIR, PROJ_ROOT

#: Environment variable naming another matrix (``module:attr`` or ``/path/file.py:attr``);
#: the build sets it for its kernels so that a notebook's own check uses the same matrix.
MATRIX_ENV = "THYROID_EVIDENCE_MATRIX"
#: Parameters a run can be declared "for each" of.
FOR_EACH_KEYS = ("series_id", "endpoint")
#: Time-to-event endpoints of the evidence vocabulary.
TIME_TO_EVENT_ENDPOINTS = (
    "overall_survival",
    "progression_free_survival",
    "local_tumor_progression_free_survival",
)
_RUN_ID_PART = re.compile(r"^[A-Za-z0-9_.]+$")


@dataclass(frozen=True)
class EvidenceIndex:
    """What the run matrix needs from the evidence: series and their (endpoint, statistic) pairs.

    Read with the ``csv`` module; the evidence loader (``load_evidence``) remains the place
    where the evidence is validated.
    """

    series: tuple[str, ...]
    outcomes: frozenset[tuple[str, str, str]]

    @classmethod
    def from_dir(cls, evidence_dir: str | Path) -> EvidenceIndex:
        """Read ``series.csv`` and ``outcomes.csv`` of an evidence folder."""
        root = Path(evidence_dir)
        series = [row["series_id"] for row in _read_csv(root / "series.csv", ("series_id",))]
        outcomes = frozenset(
            (row["series_id"], row["endpoint"], row["statistic"])
            for row in _read_csv(root / "outcomes.csv", ("series_id", "endpoint", "statistic"))
        )
        return cls(series=tuple(series), outcomes=outcomes)


def _read_csv(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"evidence file {path} does not exist")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [name for name in required if name not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path} lacks the column(s) {', '.join(missing)}")
        return list(reader)


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the matrix.

    Parameters
    ----------
    name : str
        Notebook stem: ``notebooks/<name>.ipynb``; also the first part of every output name.
    title : str
        Heading of the notebook's runs in the report.
    for_each : tuple of {"series_id", "endpoint"}
        One run per series (and per endpoint of that series) in scope; ``()`` = one run.
    endpoints : tuple of str, optional
        Endpoints in scope; None = any endpoint.
    statistics : tuple of str, optional
        Outcome statistics in scope; None = any statistic.
    parameters : mapping
        Parameter values passed to every run (on top of the notebook's defaults).
    rules : mapping of str to Rule
        Range/choice rules that add to or replace :data:`params.COMMON_RULES`.
    """

    name: str
    title: str
    for_each: tuple[str, ...] = ()
    endpoints: tuple[str, ...] | None = None
    statistics: tuple[str, ...] | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]+", self.name):
            raise ValueError(f"NotebookSpec.name must match [a-z0-9_]+, got {self.name!r}")
        bad = [key for key in self.for_each if key not in FOR_EACH_KEYS]
        if bad or ("endpoint" in self.for_each and "series_id" not in self.for_each):
            raise ValueError(
                f"NotebookSpec.for_each of {self.name!r} must be (), ('series_id',) or "
                f"('series_id', 'endpoint'); got {self.for_each!r}"
            )

    def scope(self, index: EvidenceIndex) -> dict[str, tuple[str, ...]]:
        """Series in scope, each with its endpoints in scope (evidence order, then sorted)."""
        by_series: dict[str, set[str]] = {}
        for series_id, endpoint, statistic in index.outcomes:
            if self.endpoints is not None and endpoint not in self.endpoints:
                continue
            if self.statistics is not None and statistic not in self.statistics:
                continue
            by_series.setdefault(series_id, set()).add(endpoint)
        return {
            series_id: tuple(sorted(by_series[series_id]))
            for series_id in index.series
            if series_id in by_series
        }


@dataclass(frozen=True)
class Run:
    """One run of the matrix: a notebook with its parameter values (beyond the defaults)."""

    notebook: str
    run_id: str
    parameters: Mapping[str, Any]
    path: Path
    title: str


def run_id_for(notebook: str, for_each: tuple[str, ...], parameters: Mapping[str, Any]) -> str:
    """Stem of a run's outputs: ``notebook[-series_id[-endpoint]]``."""
    parts = [notebook]
    for key in for_each:
        value = str(parameters[key])
        if not _RUN_ID_PART.fullmatch(value):
            raise ValueError(
                f"{key}={value!r} cannot be part of a file name (letters, digits, '_', '.')"
            )
        parts.append(value)
    return "-".join(parts)


@dataclass(frozen=True)
class Matrix:
    """A set of notebooks, where they live and which evidence decides their runs.

    Attributes
    ----------
    notebooks : tuple of NotebookSpec
    notebook_dir, evidence_dir : Path
    ref : str or None
        How a kernel imports this matrix again (``module:attr`` or ``/path/file.py:attr``);
        None for the project's :data:`MATRIX`.
    package_dir : Path
        Source folder whose ``*.py`` files enter every run's hash (the package itself).
    """

    notebooks: tuple[NotebookSpec, ...]
    notebook_dir: Path = NOTEBOOKS_DIR
    evidence_dir: Path = EVIDENCE_DIR
    ref: str | None = None
    package_dir: Path = PROJ_ROOT / "thyroid_evidence"

    @property
    def names(self) -> tuple[str, ...]:
        """Notebook names in declaration order."""
        return tuple(spec.name for spec in self.notebooks)

    def spec(self, notebook: str) -> NotebookSpec:
        """The spec of ``notebook`` (a name, or a path whose stem is a name).

        A notebook found in :attr:`notebook_dir` but not declared gets a default spec (runs
        for each ``series_id``/``endpoint`` it has as parameters).

        Raises
        ------
        ValueError
            If the notebook is neither declared nor present; lists the known notebooks.
        """
        name = Path(notebook).stem if str(notebook).endswith(".ipynb") else str(notebook)
        for spec in self.notebooks:
            if spec.name == name:
                return spec
        if (self.notebook_dir / f"{name}.ipynb").is_file() and re.fullmatch(r"[a-z0-9_]+", name):
            return NotebookSpec(name=name, title=name.replace("_", " ").capitalize())
        raise ValueError(
            f"notebook {notebook!r} is not in the run matrix; allowed: {', '.join(self.names)}"
        )

    def path(self, notebook: str) -> Path:
        """Path of a notebook's ``.ipynb``."""
        return self.notebook_dir / f"{self.spec(notebook).name}.ipynb"

    def index(self) -> EvidenceIndex:
        """The evidence index of :attr:`evidence_dir`."""
        return EvidenceIndex.from_dir(self.evidence_dir)

    def runs(self, index: EvidenceIndex | None = None) -> list[Run]:
        """Every run of the matrix, in declaration order."""
        index = index if index is not None else self.index()
        runs: list[Run] = []
        for spec in self.notebooks:
            combos: list[dict[str, Any]]
            if not spec.for_each:
                combos = [{}]
            else:
                scope = spec.scope(index)
                if spec.for_each == ("series_id",):
                    combos = [{"series_id": s} for s in scope]
                else:
                    combos = [{"series_id": s, "endpoint": e} for s, ends in scope.items()
                              for e in ends]
            for combo in combos:
                parameters = {**spec.parameters, **combo}
                run_id = run_id_for(spec.name, spec.for_each, parameters)
                title = spec.title
                if combo:
                    title += " — " + " · ".join(str(v) for v in combo.values())
                runs.append(
                    Run(spec.name, run_id, parameters, self.path(spec.name),
                        title)
                )
        return runs


#: The project's run matrix.
MATRIX = Matrix(
    notebooks=(
        NotebookSpec(
            name="survival",
            title="Survival reconstructed from the reported curve and milestones",
            for_each=("series_id", "endpoint"),
            endpoints=TIME_TO_EVENT_ENDPOINTS,
            statistics=("survival", "median"),
        ),
        NotebookSpec(
            name="local_progression",
            title="Local tumour progression (cumulative incidence) and local efficacy",
            for_each=("series_id",),
            endpoints=("local_tumor_progression", "local_efficacy"),
            statistics=("cumulative_incidence", "proportion"),
        ),
        NotebookSpec(
            name="response_and_control",
            title="Response, complete treatment, local control and complications",
            for_each=("series_id",),
            endpoints=(
                "tumor_response",
                "clinical_response",
                "complete_treatment",
                "local_efficacy",
                "disease_control",
                "complications",
                "symptom_relief",
                "tumor_necrosis",
            ),
            statistics=("proportion", "count"),
        ),
        NotebookSpec(name="comparison", title="Comparison across series"),
        NotebookSpec(name="data_audit", title="Consistency audit of the reported numbers"),
        NotebookSpec(name="clinical_context", title="Clinical context: Tables 1 and 2"),
        NotebookSpec(name="teaching_walkthrough", title="Teaching walk-through"),
    )
)


def load_matrix(ref: str | None = None) -> Matrix:
    """The matrix named by ``ref`` or ``$THYROID_EVIDENCE_MATRIX``, else :data:`MATRIX`.

    ``ref`` is ``module:attr`` or ``/path/to/file.py:attr``.
    """
    ref = ref if ref is not None else os.environ.get(MATRIX_ENV) or None
    if ref is None:
        return MATRIX
    target, _, attr = ref.rpartition(":")
    if not target or not attr:
        raise ValueError(f"{MATRIX_ENV} must be 'module:attr' or 'file.py:attr', got {ref!r}")
    if target.endswith(".py"):
        spec = importlib.util.spec_from_file_location(f"_matrix_{abs(hash(target))}", target)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot load a matrix from {target!r}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(target)
    matrix = getattr(module, attr)
    if not isinstance(matrix, Matrix):
        raise ValueError(f"{ref!r} is not a Matrix")
    return matrix if matrix.ref is not None else _with_ref(matrix, ref)


def _with_ref(matrix: Matrix, ref: str) -> Matrix:
    return dataclasses.replace(matrix, ref=ref)
