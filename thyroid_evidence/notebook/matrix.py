"""The run matrix: which notebook runs with which parameters, read from a TOML file.

The project's matrix is ``notebooks/matrix.toml``; ``THYROID_EVIDENCE_MATRIX`` names another
file (the build sets it for its kernels so that a notebook's own check reads the same matrix).
A :class:`NotebookSpec` names a notebook and the parameters it is run *for each* of
(``series_id``, ``endpoint`` or none); the series and endpoints come from the evidence, filtered
by the endpoints and statistics the notebook can use.

The file, for one notebook (every key but ``name`` and ``title`` is optional)::

    [[notebooks]]
    name = "survival"                   # notebooks/survival.ipynb
    title = "Survival ..."              # heading of its runs in the report
    for_each = ["series_id", "endpoint"]   # or ["curve_id"]: one run per curve of evidence/curves/
    endpoints = "SURVIVAL_ENDPOINTS"    # a list, or the name of a list in thyroid_evidence.vocab
    statistics = ["survival", "median"]
    parameters = {n_ensemble = 200}     # passed to every run
    [notebooks.rules.interval_method]   # adds to or replaces rules.COMMON_RULES
    choices = "CI_METHODS"

With ``for_each``, ``default_run_title = "example"`` adds one run with the notebook's own
defaults (``run_id`` the notebook's name), first. Named example runs follow the others::

    [notebooks.examples.from_figure]    # run_id digitised_curve-from_figure
    title = "EXAMPLE ..."               # heading: the notebook's title, then this
    parameters = {figure = "examples/figures/lung_km.pdf"}

Top-level ``notebook_dir`` and ``package_dir`` (relative to the file's folder) default to the
file's folder and this package. The evidence is not the matrix's to choose: it is the folder of
``--evidence DIR`` (the build names it to its kernels in ``THYROID_EVIDENCE_DIR``), else the
project's ``evidence/``, so that one folder drives every run, the report, the audit and the
manifest. Standard library only, so that a no-op build and the parameter check in each notebook
stay fast.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from thyroid_evidence import config
from thyroid_evidence.curves import read_curve_ids
from thyroid_evidence.evidence import evidence_index
from thyroid_evidence.notebook.rules import Rule, vocabulary

#: File name of the project's matrix in the notebooks folder.
MATRIX_FILE = "matrix.toml"
#: The package whose source enters every run's hash (:data:`thyroid_evidence.config.PACKAGE_DIR`).
PACKAGE_DIR = config.PACKAGE_DIR
_NAME = re.compile(r"[a-z0-9_]+")
_RUN_ID_PART = re.compile(r"[A-Za-z0-9_.]+")


@dataclass(frozen=True)
class EvidenceIndex:
    """What the run matrix needs from the evidence: series and their (endpoint, statistic)
    pairs, and the digitised curves of ``evidence/curves/``.

    Read by :func:`thyroid_evidence.evidence.evidence_index` and
    :func:`thyroid_evidence.curves.read_curve_ids` (``csv`` module only); the evidence loader
    (``load_evidence``) remains the place where the evidence is validated.
    """

    series: tuple[str, ...]
    outcomes: frozenset[tuple[str, str, str]]
    curves: tuple[str, ...] = ()

    @classmethod
    def from_dir(cls, evidence_dir: str | Path) -> EvidenceIndex:
        """Read the ``series`` and ``outcomes`` tables of an evidence folder.

        Their paths are those of ``datapackage.json`` (``series.csv`` and ``outcomes.csv``
        without one); a path that leads out of the folder is refused, unread. The curve ids
        come from ``curves/points.csv`` when the package has curves.

        Raises
        ------
        ValueError
            See :func:`thyroid_evidence.evidence.evidence_index`.
        """
        root = Path(evidence_dir)
        series, outcomes = evidence_index(root)
        return cls(series=series, outcomes=outcomes, curves=read_curve_ids(root))


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of the matrix.

    Parameters
    ----------
    name : str
        Notebook stem: ``<notebook_dir>/<name>.ipynb``; also the first part of every output name.
    title : str
        Heading of the notebook's runs in the report.
    for_each : tuple of {"series_id", "endpoint", "curve_id"}
        One run per series (and per endpoint of that series) in scope, or per digitised curve
        of ``evidence/curves/`` (``("curve_id",)``); ``()`` = one run.
    endpoints : tuple of str, optional
        Endpoints in scope; None = any endpoint.
    statistics : tuple of str, optional
        Outcome statistics in scope; None = any statistic.
    parameters : mapping
        Parameter values passed to every run (on top of the notebook's defaults).
    rules : mapping of str to Rule
        Range/choice rules that add to or replace
        :data:`thyroid_evidence.notebook.rules.COMMON_RULES`.
    default_run_title : str, optional
        With ``for_each``: also one run with the notebook's own defaults (an example that
        stays in the report whatever the evidence holds), first, titled ``title — this``.
    examples : mapping of str to mapping
        Named runs after the others, whatever the evidence holds: each a ``title`` and the
        ``parameters`` it adds; its run id is ``name-<example id>``.
    """

    name: str
    title: str
    for_each: tuple[str, ...] = ()
    endpoints: tuple[str, ...] | None = None
    statistics: tuple[str, ...] | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    rules: Mapping[str, Rule] = field(default_factory=dict)
    default_run_title: str | None = None
    examples: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"NotebookSpec.name must match [a-z0-9_]+, got {self.name!r}")
        if tuple(self.for_each) not in ((), ("series_id",), ("series_id", "endpoint"),
                                        ("curve_id",)):
            raise ValueError(
                f"NotebookSpec.for_each of {self.name!r} must be (), ('series_id',) or "
                f"('series_id', 'endpoint'), or ('curve_id',) for one run per digitised curve; "
                f"got {self.for_each!r}"
            )
        if self.default_run_title is not None and (
                not isinstance(self.default_run_title, str) or not self.for_each):
            raise ValueError(f"NotebookSpec.default_run_title of {self.name!r} must be a "
                             f"string, with for_each; got {self.default_run_title!r}")
        for example_id, example in self.examples.items():
            where = f"NotebookSpec.examples.{example_id} of {self.name!r}"
            if not isinstance(example_id, str) or not _RUN_ID_PART.fullmatch(example_id):
                raise ValueError(f"{where}: the id must be letters, digits, '_' or '.'")
            if not isinstance(example, Mapping) or set(example) - {"title", "parameters"}:
                raise ValueError(f"{where} must be a table with title and parameters only")
            if not isinstance(example.get("title"), str) or not isinstance(
                    example.get("parameters", {}), Mapping):
                raise ValueError(f"{where}: title must be a string and parameters a table")

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
    """Stem of a run's outputs: ``notebook[-series_id[-endpoint]]`` or ``notebook[-curve_id]``
    (a value of None, as in the run with the notebook's defaults, adds nothing)."""
    parts = [notebook]
    for key in for_each:
        if parameters.get(key) is None:
            continue
        value = str(parameters[key])
        if not _RUN_ID_PART.fullmatch(value):
            raise ValueError(
                f"{key}={value!r} cannot be part of a file name (letters, digits, '_', '.')"
            )
        parts.append(value)
    return "-".join(parts)


def spec_run_id(spec: NotebookSpec, parameters: Mapping[str, Any]) -> str:
    """A run's id from its effective parameters: ``name-<example id>`` for a named example
    whose parameters it holds, else :func:`run_id_for` (the same id the build gives the run,
    so a kernel's outputs land under it)."""
    for example_id, example in spec.examples.items():
        given = example.get("parameters", {})
        if given and all(parameters.get(k) == v for k, v in given.items()):
            return f"{spec.name}-{example_id}"
    return run_id_for(spec.name, spec.for_each, parameters)


def run_title(spec: NotebookSpec, parameters: Mapping[str, Any]) -> str:
    """A run's heading: the notebook's title, then the values it is run for."""
    if not spec.for_each:
        return spec.title
    if all(parameters.get(k) is None for k in spec.for_each):
        return spec.title + (f" — {spec.default_run_title}" if spec.default_run_title else "")
    return spec.title + " — " + " · ".join(str(parameters[k]) for k in spec.for_each)


@dataclass(frozen=True)
class Matrix:
    """A set of notebooks, where they live and which evidence decides their runs.

    Attributes
    ----------
    notebooks : tuple of NotebookSpec
    notebook_dir : Path
    evidence_dir : Path
        The evidence the runs are chosen from; :func:`thyroid_evidence.config.evidence_dir`
        (``THYROID_EVIDENCE_DIR``, else the project's) unless given. The build reads this folder
        for the report, the audit and the manifest and names it to every kernel.
    ref : str or None
        The TOML file this matrix was read from: a kernel reads it again through
        ``THYROID_EVIDENCE_MATRIX``. None for a matrix made in Python.
    package_dir : Path
        Source folder whose ``*.py`` files enter every run's hash (the package itself).
    """

    notebooks: tuple[NotebookSpec, ...]
    notebook_dir: Path = field(default_factory=config.notebooks_dir)
    evidence_dir: Path = field(default_factory=config.evidence_dir)
    ref: str | None = None
    package_dir: Path = PACKAGE_DIR

    @property
    def names(self) -> tuple[str, ...]:
        """Notebook names in declaration order."""
        return tuple(spec.name for spec in self.notebooks)

    def spec(self, notebook: str) -> NotebookSpec:
        """The spec of ``notebook`` (a name, or a path whose stem is a name).

        A notebook found in :attr:`notebook_dir` but not declared gets a default spec (one run,
        with its own defaults).

        Raises
        ------
        LookupError
            If the notebook is neither declared nor present; lists the known notebooks.
        """
        name = Path(notebook).stem if str(notebook).endswith(".ipynb") else str(notebook)
        for spec in self.notebooks:
            if spec.name == name:
                return spec
        if _NAME.fullmatch(name) and (self.notebook_dir / f"{name}.ipynb").is_file():
            return NotebookSpec(name=name, title=name.replace("_", " ").capitalize())
        raise LookupError(
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
            combos: list[dict[str, Any]] = [{}]
            if spec.for_each == ("curve_id",):
                combos = [{"curve_id": c} for c in index.curves]
            elif spec.for_each == ("series_id",):
                combos = [{"series_id": s} for s in spec.scope(index)]
            elif spec.for_each:
                combos = [{"series_id": s, "endpoint": e}
                          for s, ends in spec.scope(index).items() for e in ends]
            if spec.default_run_title is not None:
                combos.insert(0, {})
            for combo in combos:
                parameters = {**spec.parameters, **combo}
                runs.append(Run(
                    notebook=spec.name,
                    run_id=run_id_for(spec.name, spec.for_each, parameters),
                    parameters=parameters,
                    path=self.path(spec.name),
                    title=run_title(spec, parameters),
                ))
            for example in spec.examples.values():
                runs.append(Run(
                    notebook=spec.name,
                    run_id=spec_run_id(spec, example.get("parameters", {})),
                    parameters={**spec.parameters, **example.get("parameters", {})},
                    path=self.path(spec.name),
                    title=f"{spec.title} — {example['title']}",
                ))
        return runs


# --- reading the TOML file ------------------------------------------------------------------


def project_matrix_path() -> Path:
    """The project's matrix file: ``notebooks/matrix.toml``."""
    return config.notebooks_dir() / MATRIX_FILE


def load_matrix(path: str | Path | None = None) -> Matrix:
    """The matrix in ``path``, else in ``$THYROID_EVIDENCE_MATRIX``, else the project's.

    Raises
    ------
    ValueError
        If the file is missing, is not TOML, or declares something the matrix cannot hold
        (the message names the file and the key).
    """
    named = Path(path) if path is not None else config.matrix_override()
    return read_matrix(named if named is not None else project_matrix_path())


def read_matrix(path: str | Path) -> Matrix:
    """Read a matrix from its TOML file (see the module doc for the format)."""
    path = Path(path).expanduser().resolve()
    if path.suffix != ".toml":
        raise ValueError(f"{config.MATRIX_ENV} must name a .toml file, got {str(path)!r}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"run matrix {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"run matrix {path} is not valid TOML: {exc}") from None
    where = str(path)
    if "evidence_dir" in data:
        raise ValueError(
            f"{where}: evidence_dir is not a key of the run matrix: the evidence is chosen with "
            f"--evidence DIR (or {config.EVIDENCE_ENV}), for every run, the report and the audit"
        )
    _check_keys(data, ("notebooks", "notebook_dir", "package_dir"), where)
    entries = data.get("notebooks", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError(f"{where}: 'notebooks' must be an array of tables ([[notebooks]])")
    specs = tuple(_spec(entry, f"{where}: notebook {i + 1}") for i, entry in enumerate(entries))
    names = [spec.name for spec in specs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"{where}: notebook(s) declared more than once: {', '.join(repeated)}")

    def folder(key: str, default: Any) -> Path:
        value = data.get(key)
        if value is None:
            return default()
        if not isinstance(value, str):
            raise ValueError(f"{where}: {key} must be a path (a string), got {value!r}")
        return (path.parent / value).resolve()

    return Matrix(
        notebooks=specs,
        notebook_dir=folder("notebook_dir", lambda: path.parent),
        ref=str(path),
        package_dir=folder("package_dir", lambda: PACKAGE_DIR),
    )


def _strings(value: Any, key: str, where: str) -> tuple[Any, ...]:
    """A list, or the name of a vocabulary list."""
    if isinstance(value, str):
        return vocabulary(value, f"{where}: {key}")
    if not isinstance(value, list):
        raise ValueError(f"{where}: {key} must be a list or the name of a vocab list, "
                         f"got {value!r}")
    return tuple(value)


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = [key for key in table if key not in allowed]
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: "
                         f"{', '.join(allowed)}")


_SPEC_KEYS = tuple(f.name for f in fields(NotebookSpec))


def _spec(entry: Mapping[str, Any], where: str) -> NotebookSpec:
    _check_keys(entry, _SPEC_KEYS, where)
    for key in ("name", "title"):
        if not isinstance(entry.get(key), str):
            raise ValueError(f"{where}: {key} must be a string, got {entry.get(key)!r}")
    where = f"{where} ({entry['name']})"
    parameters = entry.get("parameters", {})
    rules = entry.get("rules", {})
    if not isinstance(parameters, dict) or not isinstance(rules, dict):
        raise ValueError(f"{where}: parameters and rules must be tables")
    try:
        return NotebookSpec(
            name=entry["name"],
            title=entry["title"],
            for_each=_strings(entry.get("for_each", []), "for_each", where),
            endpoints=(_strings(entry["endpoints"], "endpoints", where)
                       if "endpoints" in entry else None),
            statistics=(_strings(entry["statistics"], "statistics", where)
                        if "statistics" in entry else None),
            parameters=parameters,
            rules={name: Rule.from_table(rule, f"{where}: rules.{name}")
                   for name, rule in rules.items()},
            default_run_title=entry.get("default_run_title"),
            examples=entry.get("examples", {}),
        )
    except ValueError as exc:  # NotebookSpec's own checks: name the file and the notebook
        if str(exc).startswith(where):
            raise
        raise ValueError(f"{where}: {exc}") from None
