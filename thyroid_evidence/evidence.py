"""Load the evidence data package and validate it, listing every problem at once.

The schema rules (header, row shape, types, required fields, enums, ranges, primary and foreign
keys) come from ``evidence/datapackage.json`` and are checked by the Frictionless library, whose
errors are reworded here as ``file:row: column: value — rule``. Columns are matched by name
(``fieldsMatch: superset``): their order does not matter, an optional column may be left out,
and what it would hold is filled in on load (:data:`DEFAULTS`, :func:`with_defaults`).
Written here are only what Frictionless does not check or cannot locate (a missing file, the
line of an undecodable byte, a CSV quoting error, a header without rows) and the rules that span
several fields or rows (see :data:`CROSS_FIELD_RULES`).

Nothing outside the package folder is read: ``datapackage.json`` and every table must resolve
(symlinks followed) to a file inside it, checked by :func:`package_path_problems` before a byte
of any table is read. Numbers must be finite (``inf`` and ``nan`` are refused) and counts exact
(at most 2**53); required text must not be blank; a UTF-8 byte-order mark is accepted. pandas
is imported when tables are read, so that the path check costs a build with nothing to do
nothing. :func:`evidence_index` (the series and outcome keys the run matrix needs) reads with
the ``csv`` module only, unvalidated.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from thyroid_evidence.config import cache_dir, display_path, evidence_dir
from thyroid_evidence.exceptions import EvidenceError
from thyroid_evidence.vocab import TIME_POINT_STATISTICS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CROSS_FIELD_RULES",
    "DEFAULTS",
    "TABLES",
    "Evidence",
    "EvidenceError",
    "Problem",
    "derived_label",
    "evidence_index",
    "load_evidence",
    "package_path_problems",
    "validation_key",
    "with_defaults",
]

#: Tables every evidence package must hold, in load order.
TABLES = (
    "sources",
    "series",
    "outcomes",
    "clinical_features",
    "risk_stratification",
    "context",
)
#: Our own rules, checked after the schema; each problem names one of them.
CROSS_FIELD_RULES = {
    "numerator_le_denominator": "numerator must not exceed denominator",
    "percent_range": "a percentage must lie within 0-100",
    "time_point_needs_time": "time_months is required for survival and cumulative_incidence",
    "survival_non_increasing": "survival must not increase with time within a series/endpoint",
    "incidence_non_decreasing": (
        "cumulative incidence must not decrease with time within a series/endpoint"
    ),
    "decimals_match_value": "value has more decimal places than `decimals` says",
    "count_is_integer": "a count must be a whole number",
    "range_ordered": "range_low must not exceed range_high",
    "low_le_high": "low must not exceed high",
    "label_unique": "series labels must be unique (figures tell series apart by them)",
}
#: Values an empty optional column takes on load (``label`` is derived, see
#: :func:`with_defaults`): table -> column -> value.
DEFAULTS = {
    "series": {"technique_kind": "other", "population_kind": "unspecified"},
    "clinical_features": {"at_presentation": False},
}
#: The largest count a float holds exactly (pandas and numpy compute in floats).
MAX_EXACT_COUNT = 2**53
#: The longest field a table may hold (the csv module's default limit, set explicitly: some
#: libraries raise it process-wide on import).
MAX_FIELD = 131072
#: How a table's UTF-8 text is decoded: a byte-order mark (Excel writes one) is accepted.
ENCODING = "utf-8-sig"
#: Cells that Python and pandas read as a number but that are none (in any letter case).
_NOT_FINITE = frozenset({"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity",
                         "nan", "+nan", "-nan"})


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the data allow.

    ``row`` is the line number in the CSV file (the header is line 1), or None when the
    problem concerns the whole file.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    rule: str

    def __str__(self) -> str:
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        if self.column is None:
            return f"{where}: {self.rule}"
        return f"{where}: {self.column}: {_show(self.value)} — {self.rule}"


def _show(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(empty)"
    text = str(value)
    return "(empty)" if text == "" else text


@dataclass(frozen=True)
class Evidence:
    """The evidence tables, typed and validated.

    Attributes
    ----------
    root : Path
        Folder the package was read from.
    sources, series, outcomes, clinical_features, risk_stratification, context : DataFrame
        One DataFrame per table with every column of its Table Schema, in the schema's order,
        typed from it (integers as nullable ``Int64``, numbers as ``float64``, booleans as
        ``bool`` once defaulted, strings as ``object`` with missing values as NA). Optional
        columns a table leaves out or empty hold their defaults (:func:`with_defaults`):
        ``series`` always has ``label``, ``technique_kind`` and ``population_kind`` filled,
        ``clinical_features.at_presentation`` is True or False.
    schema : dict
        The parsed ``datapackage.json``.
    """

    root: Path
    sources: pd.DataFrame
    series: pd.DataFrame
    outcomes: pd.DataFrame
    clinical_features: pd.DataFrame
    risk_stratification: pd.DataFrame
    context: pd.DataFrame
    schema: dict = field(repr=False)

    @property
    def series_ids(self) -> tuple[str, ...]:
        """The series ids, in file order."""
        return tuple(self.series["series_id"])

    def enum(self, table: str, column: str) -> tuple[str, ...]:
        """Allowed values of ``table.column`` as declared in the schema (empty if none)."""
        for resource in self.schema["resources"]:
            if resource["name"] == table:
                for fld in resource["schema"]["fields"]:
                    if fld["name"] == column:
                        return tuple(fld.get("constraints", {}).get("enum", ()))
        raise KeyError(f"{table}.{column} is not in the schema")

    def series_info(self, series_id: str) -> pd.Series:
        """The ``series.csv`` row of ``series_id``.

        Raises
        ------
        ValueError
            If ``series_id`` is unknown; the message lists the known ids.
        """
        self._check_series(series_id)
        return self.series.set_index("series_id").loc[series_id]

    def outcomes_for(self, series_id: str, endpoint: str | None = None) -> pd.DataFrame:
        """Outcome rows of one series, optionally of one endpoint, sorted by time.

        Parameters
        ----------
        series_id : str
            One of :attr:`series_ids`.
        endpoint : str, optional
            One of the ``endpoint`` values declared in the schema.

        Raises
        ------
        ValueError
            For an unknown series or endpoint; the message lists the allowed values.
        """
        self._check_series(series_id)
        rows = self.outcomes[self.outcomes["series_id"] == series_id]
        if endpoint is not None:
            allowed = self.enum("outcomes", "endpoint")
            if endpoint not in allowed:
                raise ValueError(
                    f"endpoint={endpoint!r} is not a known endpoint; allowed: {', '.join(allowed)}"
                )
            rows = rows[rows["endpoint"] == endpoint]
        return rows.sort_values("time_months", kind="stable", na_position="first").reset_index(
            drop=True
        )

    def _check_series(self, series_id: str) -> None:
        if series_id not in self.series_ids:
            raise ValueError(
                f"series_id={series_id!r} is not in series.csv; allowed: "
                + ", ".join(self.series_ids)
            )

    def summary(self) -> str:
        """One line: tables, rows, series and the folder (relative to the project root when
        inside it, so committed notebook outputs name no machine path)."""
        rows = sum(len(getattr(self, name)) for name in TABLES)
        return (
            f"evidence OK: {len(TABLES)} tables, {rows} rows, {len(self.series)} series "
            f"({display_path(self.root)})"
        )


def load_evidence(root: str | Path | None = None) -> Evidence:
    """Load and validate the evidence data package.

    Parameters
    ----------
    root : str or Path, optional
        Folder holding ``datapackage.json`` and the CSV tables; defaults to the project's
        ``evidence/`` (see :func:`thyroid_evidence.config.project_root`).

    Returns
    -------
    Evidence

    Raises
    ------
    EvidenceError
        Listing every problem found, each as ``file:row: column: value — rule``.
    ProjectRootError
        When ``root`` is not given and no project root is found.

    Notes
    -----
    Nothing is ever written into ``root``, and nothing outside it is read (see
    :func:`package_path_problems`).
    """
    root = Path(root) if root is not None else evidence_dir()
    descriptor = _read_descriptor(root)
    problems = _precheck_files(root, descriptor)
    if problems:
        raise EvidenceError(problems, root)
    problems, broken = _schema_problems_cached(root, descriptor)
    problems = _merge_cell_problems(problems, _cell_problems(root, descriptor))
    if broken:  # a table whose header or rows do not have the schema's shape cannot be read
        # Sorted by place only: a header's unknown columns come before its missing ones.
        raise EvidenceError(sorted(problems, key=lambda p: (p.file, p.row or 0)), root)
    frames = {name: _read_table(root, descriptor, name) for name in TABLES}
    frames = with_defaults(frames)
    problems += _cross_field_problems(frames)
    if problems:
        raise EvidenceError(sorted(problems, key=_problem_order), root)
    return Evidence(root=root, schema=descriptor, **frames)


def _problem_order(problem: Problem) -> tuple:
    return (problem.file, problem.row or 0, problem.column or "", problem.rule)


def _resource(descriptor: dict, name: str) -> dict:
    for resource in descriptor.get("resources", []):
        if resource.get("name") == name:
            return resource
    raise EvidenceError([Problem("datapackage.json", None, None, None, f"no resource {name!r}")])


def _read_descriptor(root: Path) -> dict:
    path = root / "datapackage.json"
    if not root.is_dir():
        raise EvidenceError([Problem(str(root), None, None, None, "evidence folder not found")])
    if not path.is_file():
        raise EvidenceError(
            [Problem("datapackage.json", None, None, None, "file not found")], root
        )
    if _inside(root, "datapackage.json") is None:
        raise EvidenceError([Problem(
            "datapackage.json", None, None, None,
            f"must be a file inside the evidence folder; it links to {path.resolve()}",
        )], root)
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvidenceError(
            [Problem("datapackage.json", None, None, None, f"not valid UTF-8 JSON ({exc})")], root
        ) from None
    shape = _descriptor_shape_problems(descriptor)
    if shape:
        raise EvidenceError(shape, root)
    outside = _resource_path_problems(root, descriptor)
    if outside:
        raise EvidenceError(outside, root)
    missing = [name for name in TABLES if name not in _resource_names(descriptor)]
    if missing:
        raise EvidenceError(
            [
                Problem("datapackage.json", None, None, None, f"resource {name!r} is missing")
                for name in missing
            ],
            root,
        )
    return descriptor


def _descriptor_shape_problems(descriptor: object) -> list[Problem]:
    """What the loader itself needs of ``datapackage.json`` before Frictionless reads it."""
    def bad(rule: str) -> list[Problem]:
        return [Problem("datapackage.json", None, None, None, rule)]

    if not isinstance(descriptor, dict):
        return bad("must hold a JSON object with a 'resources' list")
    resources = descriptor.get("resources")
    if not isinstance(resources, list):
        return bad("'resources' must be a list of resources")
    problems = []
    for i, resource in enumerate(resources):
        name = resource.get("name") if isinstance(resource, dict) else None
        where = f"resource {name!r}" if isinstance(name, str) else f"resources[{i}]"
        if not isinstance(resource, dict) or not isinstance(name, str):
            problems += bad(f"{where} must be an object with a string 'name'")
            continue
        if not isinstance(resource.get("path"), str):
            problems += bad(f"{where}: 'path' must be a file name (a string)")
        schema = resource.get("schema")
        fields = schema.get("fields") if isinstance(schema, dict) else None
        if not isinstance(fields, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields
        ):
            problems += bad(f"{where}: 'schema' must be an object whose 'fields' is a list of "
                            "objects with a string 'name'")
    return problems


def _inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` resolved (symlinks followed) when that is a path inside ``root``."""
    base = Path(root).resolve()
    if Path(rel).is_absolute():
        return None
    try:
        target = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return None
    return target if base in target.parents else None


def _resource_path_problems(root: Path, descriptor: dict) -> list[Problem]:
    problems = []
    for resource in descriptor.get("resources", []):
        rel = resource["path"]
        if _inside(root, rel) is not None:
            continue
        if Path(rel).is_absolute():
            why = "an absolute path"
        elif ".." in Path(rel).parts:
            why = "a path out of the folder"
        else:
            why = f"a link to {(Path(root) / rel).resolve()}"
        problems.append(Problem(
            "datapackage.json", None, f"resource {resource['name']!r} path", rel,
            f"must name a file inside the evidence folder; this is {why} (nothing outside "
            "the package is read)",
        ))
    return problems


def package_path_problems(root: str | Path) -> list[Problem]:
    """Where ``datapackage.json`` or a table of the package in ``root`` lies outside it.

    Reads ``datapackage.json`` only (when it is inside the folder), no table: the build calls
    this before it hashes or reads anything. Empty when every path resolves, symlinks
    followed, to a file inside ``root``; a descriptor that cannot be read is left to
    :func:`load_evidence` to report. Standard library only.
    """
    root = Path(root)
    path = root / "datapackage.json"
    if not path.exists():
        return []
    if _inside(root, "datapackage.json") is None:
        return [Problem("datapackage.json", None, None, None,
                        f"must be a file inside the evidence folder; it links to "
                        f"{path.resolve()}")]
    try:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    if _descriptor_shape_problems(descriptor):
        return []
    return _resource_path_problems(root, descriptor)


def evidence_index(
    root: str | Path,
) -> tuple[tuple[str, ...], frozenset[tuple[str, str, str]]]:
    """The series ids and the (series_id, endpoint, statistic) triples of an evidence folder.

    What the run matrix needs (``thyroid_evidence.notebook.EvidenceIndex``), read with the
    ``csv`` module only, unvalidated (:func:`load_evidence` is where the evidence is validated),
    so that a no-op build and a notebook's parameter check stay fast.

    Parameters
    ----------
    root : str or Path
        The evidence folder.

    Returns
    -------
    series : tuple of str
        ``series.csv``'s ``series_id`` column, in file order.
    outcomes : frozenset of tuple of (str, str, str)
        ``outcomes.csv``'s ``(series_id, endpoint, statistic)`` rows.

    Raises
    ------
    ValueError
        If a table's path leads out of ``root`` (refused, unread), a table does not exist or
        lacks one of those columns.

    Notes
    -----
    The tables' paths are those of ``datapackage.json`` (``series.csv`` and ``outcomes.csv``
    without one, or when it does not name them); a UTF-8 byte-order mark is accepted.
    """
    root = Path(root)
    series = tuple(row["series_id"]
                   for row in _index_rows(_index_table_path(root, "series"), ("series_id",)))
    outcomes = frozenset(
        (row["series_id"], row["endpoint"], row["statistic"])
        for row in _index_rows(_index_table_path(root, "outcomes"),
                               ("series_id", "endpoint", "statistic"))
    )
    return series, outcomes


def _index_table_path(root: Path, name: str) -> Path:
    """Where the package in ``root`` keeps table ``name``; ValueError when outside ``root``."""
    rel = f"{name}.csv"
    descriptor = root / "datapackage.json"
    if descriptor.is_file() and root.resolve() in descriptor.resolve().parents:
        try:
            resources = json.loads(descriptor.read_text(encoding="utf-8")).get("resources", [])
            rel = next(r["path"] for r in resources if r.get("name") == name)
        except (OSError, ValueError, AttributeError, KeyError, TypeError, StopIteration):
            pass  # validation names what is wrong with the descriptor
    path = root / str(rel)
    if Path(rel).is_absolute() or root.resolve() not in path.resolve().parents:
        raise ValueError(f"evidence table {rel} is not a file inside {root}")
    return path


def _index_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of the CSV file ``path``; ValueError when it is absent or lacks a column."""
    if not path.is_file():
        raise ValueError(f"evidence file {path} does not exist")
    with path.open(encoding=ENCODING, newline="") as fh:  # a byte-order mark is accepted
        reader = csv.DictReader(fh)
        missing = [name for name in required if name not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path} lacks the column(s) {', '.join(missing)}")
        return list(reader)


def _resource_names(descriptor: dict) -> list[str]:
    return [r.get("name") for r in descriptor.get("resources", []) if isinstance(r, dict)]


def _precheck_files(root: Path, descriptor: dict) -> list[Problem]:
    """What Frictionless does not check or cannot locate, checked before it runs.

    A missing file (the validation cache hashes every table), the line of the first byte that
    is not UTF-8 (Frictionless names a byte position only, and under every table that looks
    the file up), a CSV quoting error (Frictionless's reader accepts it) and a header without
    rows (Frictionless accepts it). The header, the shape of each row and an empty file are
    checked by Frictionless (see :func:`_reword_table_errors`).
    """
    problems: list[Problem] = []
    for name in TABLES:
        rel = _resource(descriptor, name)["path"]
        path = root / rel
        if not path.is_file():
            problems.append(Problem(rel, None, None, None, "file not found"))
            continue
        raw = path.read_bytes()
        try:
            text = raw.decode(ENCODING)
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(
                Problem(rel, line, None, None, "not valid UTF-8 (save the file as UTF-8)")
            )
            continue
        reader = csv.reader(text.splitlines(), strict=True)
        limit = csv.field_size_limit(MAX_FIELD)  # the same limit whatever else was imported
        try:
            rows = list(reader)
        except csv.Error as exc:
            why = (f"a field is longer than {MAX_FIELD} characters"
                   if "field limit" in str(exc) else f"malformed CSV: {exc}")
            problems.append(Problem(rel, reader.line_num or None, None, None, why))
            continue
        finally:
            csv.field_size_limit(limit)
        if len(rows) == 1:
            problems.append(Problem(rel, None, None, None, "empty table: a header but no rows"))
    return problems


#: Frictionless error types saying a table's header differs from its schema.
_HEADER_ERRORS = frozenset(
    {"blank-header", "blank-label", "duplicate-label", "extra-label", "incorrect-label",
     "missing-label"}
)
#: Frictionless error types saying a row does not have one cell per column.
_ROW_SHAPE_ERRORS = frozenset({"blank-row", "extra-cell", "missing-cell"})


def _schema_problems(root: Path, descriptor: dict) -> tuple[list[Problem], set[str]]:
    """Schema problems reported by Frictionless, reworded in our format.

    Returns
    -------
    problems : list of Problem
    broken : set of str
        The tables whose header or rows do not have the schema's shape (or that are empty):
        they cannot be read column by column.
    """
    from frictionless import FrictionlessException, Package

    try:
        package = Package(str(root / "datapackage.json"))
        report = package.validate()
    except FrictionlessException as exc:  # an invalid descriptor, e.g. an unknown field type
        note = getattr(getattr(exc, "error", None), "note", None) or str(exc)
        problems = [Problem("datapackage.json", None, None, None, f"invalid descriptor: {note}")]
        return problems, set(TABLES)
    broken = {
        task.name
        for task in report.tasks
        if any(e.type in _HEADER_ERRORS | _ROW_SHAPE_ERRORS or e.type == "source-error"
               for e in task.errors)
    }
    problems: list[Problem] = []
    for task in report.tasks:
        resource = _resource(descriptor, task.name)
        # A table that cannot be read is not used to look keys up: its absent keys would
        # repeat its own problem once per row of every table that refers to it.
        errors = [
            e for e in task.errors
            if not (e.type == "foreign-key" and getattr(e, "reference_name", None) in broken)
        ]
        problems += _reword_table_errors(resource, errors)
    return list(dict.fromkeys(problems)), broken


def validation_key(root: Path, descriptor: dict) -> str:
    """Hash of everything the schema validation depends on.

    The bytes of ``datapackage.json`` and of every table, this module's source and the
    Frictionless version: equal keys mean the validation would give the same answer.
    """
    from importlib.metadata import version

    digest = hashlib.sha256()
    digest.update(version("frictionless").encode())
    digest.update(Path(__file__).read_bytes())
    digest.update((root / "datapackage.json").read_bytes())
    for name in TABLES:
        path = root / _resource(descriptor, name)["path"]
        digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _schema_problems_cached(root: Path, descriptor: dict) -> tuple[list[Problem], set[str]]:
    """:func:`_schema_problems`, skipped when these exact bytes have already passed.

    Frictionless validation takes about a second per process (mostly imports); every
    notebook kernel loads the evidence, so a passed validation is remembered as an empty
    marker file named by :func:`validation_key`. Failures are never cached, and any change
    to a table, the schema, this module or the library version changes the key.
    """
    key = validation_key(root, descriptor)
    marker = cache_dir() / f"validated-{key}"
    if marker.is_file():
        return [], set()
    problems, broken = _schema_problems(root, descriptor)
    if not problems:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=marker.parent, prefix=".validated-")
            os.close(fd)
            os.replace(tmp, marker)
        except OSError:  # a read-only home only costs the next process a re-validation
            pass
    return problems, broken


def _reword_table_errors(resource: dict, errors: list) -> list[Problem]:
    """The Frictionless errors of one table as :class:`Problem` s a curator can act on.

    Frictionless matches a header to the schema by position, so one renamed, added or
    dropped column shifts every label after it; the header is reported instead as the
    unknown and the missing column names. When the header is wrong the rows are not
    checked cell by cell (the cells are misaligned), and a row without one cell per column
    is reported once, as such, not once per cell.
    """
    rel = resource["path"]
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    header = [e for e in errors if e.type in _HEADER_ERRORS]
    if header:
        labels = next((e.labels for e in header if getattr(e, "labels", None)), [])
        allowed = ", ".join(fields)
        problems = [
            Problem(rel, 1, label, label, "unknown column; allowed: " + allowed)
            for label in labels if label not in fields
        ]
        key = resource["schema"].get("primaryKey", [])
        problems += [
            Problem(rel, 1, name, None, "required column is missing")
            for name, fld in fields.items() if name not in labels
            and (fld.get("constraints", {}).get("required") or name in key)
        ]
        return problems or [_reword(resource, fields, e) for e in header]
    problems = []
    misshapen = {e.row_number for e in errors if e.type in _ROW_SHAPE_ERRORS}
    # an empty key is reported once, as a missing value, not also as a duplicate
    required = {e.row_number for e in errors if e.type == "constraint-error"
                and "required" in (e.note or "")}
    errors = [e for e in errors if not (e.type == "primary-key" and e.row_number in required)]
    for error in errors:
        if error.type in _ROW_SHAPE_ERRORS:
            problems.append(
                Problem(rel, error.row_number, None, None,
                        f"malformed CSV: {len(error.cells)} cells where the header has "
                        f"{len(fields)}")
            )
        elif getattr(error, "row_number", None) not in misshapen:
            problems.append(_reword(resource, fields, error))
    return problems


def _reword(resource: dict, fields: dict, error) -> Problem:
    """Turn one Frictionless error into a :class:`Problem` a curator can act on."""
    rel = resource["path"]
    row = getattr(error, "row_number", None)
    kind = error.type
    if kind == "source-error" and "empty" in (error.note or ""):
        return Problem(rel, None, None, None, "empty file: no header, no rows")
    if kind == "incorrect-label":
        return Problem(rel, 1, error.field_name, error.label,
                       "column in the wrong place (columns follow the schema's order)")
    if kind == "type-error":
        name = error.field_name
        return Problem(rel, row, name, error.cell, f"not a valid {fields[name]['type']}")
    if kind == "constraint-error":
        name = error.field_name
        constraints = fields[name].get("constraints", {})
        match = re.search(r'constraint "(\w+)"', error.note or "")
        which = match.group(1) if match else ""
        allowed = ", ".join(map(str, constraints.get("enum", [])))
        rule = {
            "required": "a value is required",
            "enum": f"not an allowed value; allowed: {allowed}",
            "minimum": f"must be at least {constraints.get('minimum')}",
            "maximum": f"must be at most {constraints.get('maximum')}",
            "pattern": f"must match the pattern {constraints.get('pattern')}",
        }.get(which, error.note)
        return Problem(rel, row, name, error.cell, rule)
    if kind == "primary-key":
        key = resource["schema"].get("primaryKey", [])
        if isinstance(key, str):
            key = [key]
        cells = dict(zip(fields, error.cells, strict=False))
        value = ", ".join(str(cells.get(k)) for k in key)
        return Problem(rel, row, ", ".join(key), value, "duplicate primary key")
    if kind == "foreign-key":
        ref = f"{error.reference_name}.csv" if error.reference_name else "the lookup table"
        return Problem(
            rel, row, ", ".join(error.field_names), ", ".join(map(str, error.field_cells)),
            f"not found in {ref} ({', '.join(error.reference_field_names)})",
        )
    column = getattr(error, "field_name", None)
    return Problem(rel, row, column, getattr(error, "cell", None),
                   f"{error.title.lower()}: {error.note or error.message}")


def _cell_problems(root: Path, descriptor: dict) -> list[Problem]:
    """What Frictionless lets through, cell by cell: ``inf``/``nan`` in a number, a count
    beyond :data:`MAX_EXACT_COUNT`, required text that is only blanks."""
    problems: list[Problem] = []
    for name in TABLES:
        resource = _resource(descriptor, name)
        rel = resource["path"]
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        with (root / rel).open(encoding=ENCODING, newline="") as fh:
            reader = csv.DictReader(fh)
            for row in reader:
                line = reader.line_num
                for column, cell in row.items():
                    fld = fields.get(column) if isinstance(column, str) else None
                    if fld is None or not isinstance(cell, str) or cell == "":
                        continue
                    problem = _cell_problem(fld, cell.strip())
                    if problem:
                        shown = cell if cell.strip() else repr(cell)  # blanks made visible
                        problems.append(Problem(rel, line, column, shown, problem))
    return problems


def _cell_problem(fld: dict, text: str) -> str | None:
    kind = fld.get("type", "string")
    if kind in ("number", "integer") and text.lower() in _NOT_FINITE:
        return "must be a finite number"
    if kind == "integer":
        try:
            value = int(text)
        except ValueError:
            return None  # Frictionless says it is not an integer
        if abs(value) > MAX_EXACT_COUNT:
            return (f"must lie within ±{MAX_EXACT_COUNT} (2**53: a larger count is not held "
                    "exactly by the floats it is computed with)")
    if kind == "string" and text == "" and fld.get("constraints", {}).get("required"):
        return "a value is required (the cell holds only blanks)"
    return None


def _merge_cell_problems(problems: list[Problem], cells: list[Problem]) -> list[Problem]:
    """Schema problems plus ``cells``; a cell's own problem replaces Frictionless's."""
    located = {(p.file, p.row, p.column) for p in cells}
    kept = [p for p in problems if (p.file, p.row, p.column) not in located]
    return kept + cells


_PANDAS_TYPES = {"integer": "Int64", "number": "float64"}


def _read_table(root: Path, descriptor: dict, name: str) -> pd.DataFrame:
    """Read one CSV with types from its Table Schema; unparseable cells become NA."""
    import pandas as pd

    resource = _resource(descriptor, name)
    fields = resource["schema"]["fields"]
    frame = pd.read_csv(
        root / resource["path"], dtype=str, keep_default_na=False, encoding=ENCODING
    )
    for fld in fields:
        col = fld["name"]
        if col not in frame.columns:
            frame[col] = pd.NA
            continue
        values = frame[col].replace("", pd.NA)
        kind = fld.get("type", "string")
        if kind == "boolean":
            # Frictionless has checked every cell against these words (its defaults)
            true = set(fld.get("trueValues", ["true", "True", "TRUE", "1"]))
            frame[col] = values.isin(true).astype("boolean").where(values.notna(), pd.NA)
        elif kind in _PANDAS_TYPES:
            # inf, nan and counts beyond exact floats are problems (see _cell_problems): NA here
            numeric = pd.to_numeric(values, errors="coerce").astype("float64")
            limit = MAX_EXACT_COUNT if kind == "integer" else float("inf")
            numeric = numeric.where((numeric.abs() < float("inf")) & (numeric.abs() <= limit))
            if kind == "integer":
                numeric = numeric.where(numeric.isna() | (numeric == numeric.round()))
            frame[col] = numeric.astype(_PANDAS_TYPES[kind])
        else:
            frame[col] = values.astype(object).where(values.notna(), None)
    frame = frame[[f["name"] for f in fields]]
    # Line numbers in the CSV (header = 1), used to locate cross-field problems.
    frame.attrs["file"] = resource["path"]
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame


def with_defaults(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables with every empty optional column filled in, so a study that fills only the
    older columns reads like one that fills all.

    * ``series.label``: when empty, derived from the source (:func:`derived_label`); labels
      derived alike are told apart by a letter, as citations are (``"Smith 2024a"``);
    * the columns of :data:`DEFAULTS` (``technique_kind`` ``"other"``, ``population_kind``
      ``"unspecified"``, ``clinical_features.at_presentation`` False).

    Parameters
    ----------
    frames : dict
        Table name -> DataFrame, as read from the package (``series`` and ``sources`` at
        least).

    Returns
    -------
    dict
        The same tables; those with defaults are copies, the others unchanged.
    """
    out = dict(frames)
    for table, columns in DEFAULTS.items():
        if table not in out:
            continue
        frame = out[table].copy()
        for column, value in columns.items():
            filled = frame[column].astype(object).where(frame[column].notna(), value)
            frame[column] = filled.astype(bool) if isinstance(value, bool) else filled
        out[table] = frame
    series = out["series"].copy()
    sources = frames["sources"].set_index("source_id")
    derived = {
        line: derived_label(row["series_id"], *(
            (sources.at[row["source_id"], "authors"], sources.at[row["source_id"], "year"])
            if row["source_id"] in sources.index else (None, None)
        ))
        for line, row in series[series["label"].isna()].iterrows()
    }
    given = set(series["label"].dropna())
    for label in dict.fromkeys(derived.values()):
        lines = [line for line, value in derived.items() if value == label]
        if len(lines) > 1 or label in given:
            for i, line in enumerate(lines):
                derived[line] = f"{label}{chr(ord('a') + i)}" if i < 26 else f"{label} {i + 1}"
    for line, label in derived.items():
        series.at[line, "label"] = label
    out["series"] = series
    return out


#: A first author's initials as a bibliography writes them ("T", "AB", "J.-P.").
_INITIALS = re.compile(r"(?:[A-Z]\.?-?){1,3}")


def derived_label(series_id: str, authors: object = None, year: object = None) -> str:
    """The display label of a series whose ``label`` is empty.

    The family name of the source's first author (``authors`` as sources.csv holds it:
    ``"Fromigué J; De Baere T"``, ``"T de Baère et al."`` or ``"Jan van der Berg; ..."``)
    with the year: ``"Fromigué 2006"``; ``"<name> et al."`` when there is no year but several
    authors; else ``series_id`` in words (``"liver rfa crc"``).

    Examples
    --------
    >>> derived_label("lung_rfa", "T de Baère et al.", 2015)
    'de Baère 2015'
    >>> derived_label("bone_x", "Jan van der Berg; A Smith")
    'van der Berg et al.'
    >>> derived_label("liver_rfa_crc")
    'liver rfa crc'
    """
    text = authors if isinstance(authors, str) else ""
    several = ";" in text or "et al" in text
    first = re.sub(r"\bet al\.?", "", text.split(";")[0]).strip(" ,")
    tokens = first.split()
    kept = [tok for tok in tokens if not _INITIALS.fullmatch(tok)]
    if kept and len(kept) < len(tokens):  # "Family AB" or "A Family": the initials go
        family = " ".join(kept)
    elif kept:  # given names written out: the last name, with its lower-case particles
        start = len(kept) - 1
        while start > 0 and kept[start - 1].islower():
            start -= 1
        family = " ".join(kept[start:])
    else:
        return series_id.replace("_", " ")
    if year is not None and not (isinstance(year, float) and math.isnan(year)) \
            and str(year) not in ("", "<NA>"):
        return f"{family} {int(year)}"
    return f"{family} et al." if several else family


def _cross_field_problems(frames: dict[str, pd.DataFrame]) -> list[Problem]:
    problems: list[Problem] = []
    out = frames["outcomes"]
    f = out.attrs["file"]
    rules = CROSS_FIELD_RULES

    both = out["numerator"].notna() & out["denominator"].notna()
    for line, row in out[both & (out["numerator"] > out["denominator"])].iterrows():
        problems.append(
            Problem(f, line, "numerator", row["numerator"],
                    f"{rules['numerator_le_denominator']} ({row['denominator']})")
        )
    pct = (out["unit"] == "percent") & out["value"].notna()
    for line, row in out[pct & ((out["value"] < 0) | (out["value"] > 100))].iterrows():
        problems.append(Problem(f, line, "value", row["value"], rules["percent_range"]))
    tp = out["statistic"].isin(TIME_POINT_STATISTICS) & out["time_months"].isna()
    for line, row in out[tp].iterrows():
        problems.append(
            Problem(f, line, "time_months", None,
                    f"{rules['time_point_needs_time']} (statistic = {row['statistic']})")
        )
    counts = (out["statistic"] == "count") & out["value"].notna()
    for line, row in out[counts & (out["value"] != out["value"].round())].iterrows():
        problems.append(Problem(f, line, "value", row["value"], rules["count_is_integer"]))
    has_dec = out["value"].notna() & out["decimals"].notna()
    for line, row in out[has_dec].iterrows():
        scaled = row["value"] * 10 ** int(row["decimals"])
        if abs(scaled - round(scaled)) > 1e-6 * max(1.0, abs(scaled)):
            problems.append(
                Problem(f, line, "value", row["value"],
                        f"{rules['decimals_match_value']} ({row['decimals']})")
            )
    problems += _monotone_problems(out, f)
    problems += _range_problems(out, f)

    series = frames["series"]
    repeated = series["label"].notna() & series["label"].duplicated(keep=False)
    for line, row in series[repeated].iterrows():
        problems.append(Problem(series.attrs["file"], line, "label", row["label"],
                                rules["label_unique"]))

    cf = frames["clinical_features"]
    bad = cf["low"].notna() & cf["high"].notna() & (cf["low"] > cf["high"])
    for line, row in cf[bad].iterrows():
        problems.append(
            Problem(cf.attrs["file"], line, "low", row["low"],
                    f"{rules['low_le_high']} ({row['high']})")
        )
    return problems


def _monotone_problems(out: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    keys = ["series_id", "endpoint", "statistic", "unit_of_analysis", "subgroup", "category"]
    timed = out[out["statistic"].isin(TIME_POINT_STATISTICS) & out["time_months"].notna()]
    for _, grp in timed.groupby(keys, dropna=False, sort=False):
        grp = grp.sort_values("time_months", kind="stable")
        previous = None
        for line, row in grp.iterrows():
            if previous is not None:
                if row["statistic"] == "survival" and row["value"] > previous:
                    rule = CROSS_FIELD_RULES["survival_non_increasing"]
                elif row["statistic"] == "cumulative_incidence" and row["value"] < previous:
                    rule = CROSS_FIELD_RULES["incidence_non_decreasing"]
                else:
                    rule = None
                if rule:
                    problems.append(
                        Problem(file, line, "value", row["value"],
                                f"{rule} ({previous} earlier, at {row['time_months']:g} months)")
                    )
            previous = row["value"]
    return problems


def _range_problems(out: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    keys = ["series_id", "endpoint", "category", "unit", "subgroup"]
    ranged = out[out["statistic"].isin(["range_low", "range_high"])]
    for _, grp in ranged.groupby(keys, dropna=False, sort=False):
        lows = grp[grp["statistic"] == "range_low"]
        highs = grp[grp["statistic"] == "range_high"]
        if len(lows) == 1 and len(highs) == 1:
            low, high = lows["value"].iloc[0], highs["value"].iloc[0]
            if low > high:
                problems.append(
                    Problem(file, lows.index[0], "value", low,
                            f"{CROSS_FIELD_RULES['range_ordered']} ({high})")
                )
    return problems
