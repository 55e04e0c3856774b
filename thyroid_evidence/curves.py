"""Digitised Kaplan-Meier curves kept in the evidence package: ``evidence/curves/``.

Two tables, optional together (an evidence folder without curves is valid): the digitised
points (``curve_id, series_id, endpoint, arm, time_months, survival``: one row per click, the
series, endpoint and arm repeated on every row of a curve) and the numbers at risk printed under
each figure (``curve_id, time_months, n_risk``). Their Table Schemas are in
``evidence/datapackage.json`` under ``curve_resources`` (not ``resources``: a resource there
must exist, and these tables exist only once a curve is digitised).

:func:`curve_problems` checks the schema (Frictionless, reworded) and the rules the schema
cannot state (:data:`CURVE_RULES`): both tables or neither, no header-only table, one series,
endpoint and arm per curve, survival non-increasing in time (the clicks as made, so up to
click noise: :data:`MONOTONE_SURVIVAL_TOLERANCE`), a risk table per curve that starts
at time 0 and does not increase, and no risk table without points. Whether the series exists
is the study layer's check (``thyroid_evidence.study.curves``), which knows ``series.csv``.
Every problem is printed as ``file:row: column: value — rule``.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from thyroid_evidence.config import evidence_dir
from thyroid_evidence.exceptions import EvidenceError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CURVE_RULES", "CURVE_TABLES", "CurveTables", "curve_problems", "load_curves",
           "read_curve_ids"]

#: The curve tables: resource name -> default path inside the evidence folder.
CURVE_TABLES = {"curve_points": "curves/points.csv", "curve_risk": "curves/risk.csv"}
#: Key of ``datapackage.json`` that holds the curve tables' resources.
DESCRIPTOR_KEY = "curve_resources"
#: Our own rules, checked after the schema; each problem names one of them.
CURVE_RULES = {
    "together": "curves/points.csv and curves/risk.csv come together (both or neither)",
    "one_series": "a curve has one series_id, endpoint and arm on all its rows",
    "monotone": "survival must not increase with time within a curve (beyond click noise)",
    "risk_start": "a curve's risk table must give the number at risk at time 0",
    "risk_monotone": "n_risk must not increase with time within a curve",
    "risk_unique": "a risk table gives one n_risk per time",
    "risk_has_points": "a risk table needs the curve's points (curve_id in curves/points.csv)",
    "points_have_risk": "a curve needs its numbers at risk (curve_id in curves/risk.csv)",
}
#: Click noise the monotone rule allows: a click may lie up to this much (a proportion) above
#: a click made clearly earlier, i.e. more than :data:`MONOTONE_TIME_TOLERANCE` of the curve's
#: time span before it (two clicks on one flat level, or the two corners of one step clicked
#: in swapped order, differ by click noise only; a rise beyond both is a gross error).
MONOTONE_SURVIVAL_TOLERANCE = 0.02
#: See :data:`MONOTONE_SURVIVAL_TOLERANCE`: a fraction of the curve's last click time.
MONOTONE_TIME_TOLERANCE = 0.02
#: Float noise in a CSV written by a program.
_EPS = 1e-12


@dataclass(frozen=True, eq=False)
class CurveTables:
    """The digitised curves of an evidence package.

    Attributes
    ----------
    root : Path
        The evidence folder.
    points : DataFrame
        ``curve_id, series_id, endpoint, arm, time_months, survival`` and ``row`` (the line in
        the CSV file); empty when the package has no curves.
    risk : DataFrame
        ``curve_id, time_months, n_risk, row``; empty when the package has no curves.
    """

    root: Path
    points: pd.DataFrame
    risk: pd.DataFrame

    @property
    def curve_ids(self) -> tuple[str, ...]:
        """Curve ids in file order."""
        return tuple(dict.fromkeys(self.points["curve_id"]))

    def curve(self, curve_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The points (file order) and risk table (by time) of one curve.

        Raises
        ------
        LookupError
            For an unknown ``curve_id``; the message lists the known ones.
        """
        if curve_id not in self.curve_ids:
            raise LookupError(f"curve_id={curve_id!r} is not in curves/points.csv; allowed: "
                              f"{', '.join(self.curve_ids) or '(none: no curve is digitised)'}")
        points = self.points[self.points["curve_id"] == curve_id].reset_index(drop=True)
        risk = (self.risk[self.risk["curve_id"] == curve_id]
                .sort_values("time_months", kind="stable").reset_index(drop=True))
        return points, risk


def _descriptor(root: Path) -> dict:
    try:
        data = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}  # load_evidence names what is wrong with the descriptor
    return data if isinstance(data, dict) else {}


def _resources(root: Path) -> dict[str, dict]:
    """The curve resources of the descriptor, by name (the default paths when absent)."""
    declared = _descriptor(root).get(DESCRIPTOR_KEY, [])
    found = {r.get("name"): r for r in declared if isinstance(r, dict)} if isinstance(
        declared, list) else {}
    return {name: found.get(name, {"name": name, "path": path})
            for name, path in CURVE_TABLES.items()}


def _inside(root: Path, rel: object) -> Path | None:
    """``root / rel`` when it resolves (symlinks followed) to a path inside ``root``."""
    if not isinstance(rel, str) or Path(rel).is_absolute():
        return None
    base = root.resolve()
    try:
        target = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    return target if base in target.parents else None


def read_curve_ids(root: str | Path) -> tuple[str, ...]:
    """The curve ids of ``root``'s points table, in file order; standard library only (the
    run matrix reads them). Empty without curves; nothing is validated here."""
    root = Path(root)
    rel = _resources(root)["curve_points"].get("path")
    path = _inside(root, rel)
    if path is None or not path.is_file():
        return ()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return tuple(dict.fromkeys(row.get("curve_id") or "" for row in csv.DictReader(fh)))


def _schema_problems(root: Path, resource: dict) -> list[str]:
    """Frictionless's checks of one table against its schema, as ``file:row: ...`` lines."""
    from frictionless import FrictionlessException, Resource, Schema

    rel = resource["path"]
    try:
        schema = Schema.from_descriptor(resource.get("schema", {}))
        report = Resource(path=rel, basepath=str(root), schema=schema).validate()
    except FrictionlessException as exc:
        note = getattr(getattr(exc, "error", None), "note", None) or str(exc)
        return [f"datapackage.json: {DESCRIPTOR_KEY} {resource['name']!r}: invalid ({note})"]
    problems = []
    for error in report.tasks[0].errors if report.tasks else ():
        row = getattr(error, "row_number", None)
        where = f"{rel}:{row}" if row else rel
        column = getattr(error, "field_name", None)
        if error.type in ("missing-cell", "extra-cell"):
            problems.append(f"{where}: a row must have one cell per column ({error.type})")
        elif column:
            cell = getattr(error, "cell", None)
            problems.append(f"{where}: {column}: {cell if cell not in (None, '') else '(empty)'}"
                            f" — {error.note}")
        else:
            problems.append(f"{where}: {error.note or error.title}")
    return list(dict.fromkeys(problems))


def _read(root: Path, resource: dict) -> pd.DataFrame:
    import pandas as pd

    frame = pd.read_csv(root / resource["path"], dtype={"curve_id": str, "series_id": str,
                                                        "endpoint": str, "arm": str},
                        keep_default_na=False, encoding="utf-8-sig")
    frame["row"] = range(2, len(frame) + 2)
    return frame


def _rule_problems(points: pd.DataFrame, risk: pd.DataFrame, files: dict[str, str]
                   ) -> list[str]:
    pfile, rfile = files["curve_points"], files["curve_risk"]
    problems = []
    for curve_id, rows in points.groupby("curve_id", sort=False):
        first = rows.iloc[0]
        for col in ("series_id", "endpoint", "arm"):
            other = rows[rows[col] != first[col]]
            if len(other):
                r = other.iloc[0]
                problems.append(f"{pfile}:{r['row']}: {col}: {r[col]} — "
                                f"{CURVE_RULES['one_series']} ({first[col]!r} on line "
                                f"{first['row']})")
        ordered = rows.sort_values(["time_months", "survival"], ascending=[True, False],
                                   kind="stable")
        times = ordered["time_months"].to_numpy(float)
        surv = ordered["survival"].to_numpy(float)
        window = MONOTONE_TIME_TOLERANCE * (times[-1] or 1.0)
        j, floor = 0, float("inf")  # floor: the lowest survival clicked clearly earlier
        for i, r in enumerate(ordered.itertuples()):
            while j < i and times[j] < times[i] - window:
                floor = min(floor, surv[j])
                j += 1
            if r.survival > floor + MONOTONE_SURVIVAL_TOLERANCE + _EPS:
                problems.append(f"{pfile}:{r.row}: survival: {r.survival:g} — "
                                f"{CURVE_RULES['monotone']} (curve {curve_id!r} is at "
                                f"{floor:g} before time {r.time_months - window:g})")
    for curve_id, rows in risk.groupby("curve_id", sort=False):
        if curve_id not in set(points["curve_id"]):
            problems.append(f"{rfile}:{rows['row'].iloc[0]}: curve_id: {curve_id} — "
                            f"{CURVE_RULES['risk_has_points']}")
            continue
        ordered = rows.sort_values("time_months", kind="stable")
        if ordered["time_months"].iloc[0] != 0:
            r = ordered.iloc[0]
            problems.append(f"{rfile}:{r['row']}: time_months: {r['time_months']:g} — "
                            f"{CURVE_RULES['risk_start']} (curve {curve_id!r})")
        repeated = ordered[ordered["time_months"].duplicated()]
        for r in repeated.itertuples():
            problems.append(f"{rfile}:{r.row}: time_months: {r.time_months:g} — "
                            f"{CURVE_RULES['risk_unique']} (curve {curve_id!r})")
        previous = None
        for r in ordered.itertuples():
            if previous is not None and r.n_risk > previous.n_risk:
                problems.append(f"{rfile}:{r.row}: n_risk: {r.n_risk} — "
                                f"{CURVE_RULES['risk_monotone']} (curve {curve_id!r}: "
                                f"{previous.n_risk} at {previous.time_months:g})")
            previous = r
    with_risk = set(risk["curve_id"])
    for curve_id, rows in points.groupby("curve_id", sort=False):
        if curve_id not in with_risk:
            problems.append(f"{pfile}:{rows['row'].iloc[0]}: curve_id: {curve_id} — "
                            f"{CURVE_RULES['points_have_risk']}")
    return sorted(problems, key=_place)


def _place(problem: str) -> tuple[str, int]:
    """(file, row) of a ``file:row: ...`` problem, for listing problems in file order."""
    file, _, rest = problem.partition(":")
    row = rest.partition(":")[0]
    return file, int(row) if row.isdigit() else 0


def _check(root: Path) -> tuple[list[str], pd.DataFrame | None, pd.DataFrame | None]:
    resources = _resources(root)
    files: dict[str, str] = {}
    problems: list[str] = []
    present = {}
    for name, resource in resources.items():
        rel = resource.get("path")
        files[name] = rel if isinstance(rel, str) else CURVE_TABLES[name]
        path = _inside(root, rel)
        if path is None:
            problems.append(f"datapackage.json: {DESCRIPTOR_KEY} {name!r} path: {rel} — must "
                            "name a file inside the evidence folder (nothing outside the "
                            "package is read)")
            continue
        present[name] = path.is_file()
    if problems:
        return problems, None, None
    if not any(present.values()):
        return [], None, None
    if not all(present.values()):
        missing = [files[n] for n, here in present.items() if not here]
        return [f"{m}: file not found — {CURVE_RULES['together']}" for m in missing], None, None
    for name, resource in resources.items():
        raw = (root / files[name]).read_bytes()
        try:
            lines = [line for line in raw.decode("utf-8-sig").splitlines() if line.strip()]
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            problems.append(f"{files[name]}:{line}: not valid UTF-8 (save the file as UTF-8)")
            continue
        if len(lines) <= 1:
            problems.append(f"{files[name]}: empty table: a header but no rows (delete both "
                            "curve tables when no curve is digitised)")
            continue
        if "schema" not in resource:
            problems.append(f"datapackage.json: {DESCRIPTOR_KEY} {name!r}: no schema")
            continue
        problems += _schema_problems(root, resource)
    if problems:
        return problems, None, None
    points = _read(root, resources["curve_points"])
    risk = _read(root, resources["curve_risk"])
    return _rule_problems(points, risk, files), points, risk


def curve_problems(root: str | Path | None = None) -> list[str]:
    """Every problem of the curve tables of the evidence folder ``root`` (default: the
    project's); empty when they are valid or absent."""
    return _check(Path(root) if root is not None else evidence_dir())[0]


def load_curves(root: str | Path | None = None) -> CurveTables:
    """The digitised curves of the evidence folder ``root`` (default: the project's),
    validated.

    Returns
    -------
    CurveTables
        Empty tables when the package has no curves.

    Raises
    ------
    EvidenceError
        Listing every problem of the curve tables (see :data:`CURVE_RULES`).
    """
    import pandas as pd

    root = Path(root) if root is not None else evidence_dir()
    problems, points, risk = _check(root)
    if problems:
        raise EvidenceError(problems, root)
    if points is None or risk is None:
        points = pd.DataFrame(columns=["curve_id", "series_id", "endpoint", "arm",
                                       "time_months", "survival", "row"])
        risk = pd.DataFrame(columns=["curve_id", "time_months", "n_risk", "row"])
    return CurveTables(root=root, points=points, risk=risk)
