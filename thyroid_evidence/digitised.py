"""Readers for digitised Kaplan-Meier curves (WebPlotDigitizer exports) and risk tables.

Formats read by :func:`read_points` (detected from the file, never from its name alone):

- ``wpd-csv``: WebPlotDigitizer's per-dataset CSV: no header, one click per line, ``x, y``;
  in comma-decimal locales ``x; y`` with decimal commas (``12,5; 87,3``).
- ``wpd-all``: "Export All Data": dataset names on line 1 (each over its X and Y columns),
  ``X,Y,X,Y,...`` on line 2, shorter datasets padded with empty cells; ``;`` with decimal
  commas in comma-decimal locales.
- ``wpd-json``: the JSON project file (version 4: ``datasetColl[].data[].value = [x, y]`` in
  axis units; pre-version-4 files store pixels only and are refused).
- ``csv``: a plain CSV with a header naming ``time`` and ``survival``; with a ``curve`` column
  too (``thyroid-evidence digitise``), one dataset per curve name.

Preprocessing (:func:`prepare_points`), each step stated in :attr:`DigitisedCurve.notes`:

1. scale: survival is read as percent when any value exceeds :data:`PERCENT_RULE` (1.5),
   otherwise as a proportion;
2. range: a click up to :data:`SURVIVAL_TOLERANCE` outside [0, 1] or up to
   :data:`TIME_TOLERANCE` of the axis outside [0, axis end] is clamped; further out it is a
   gross error, refused with its row;
3. order: clicks are sorted along the staircase (by time / axis end + 1 - survival, which
   grows along both the flat and the vertical parts of a step, so noise in time does not
   split the two corners of one step);
4. duplicates: clicks at the same time and survival are merged;
5. monotone: survival is made non-increasing (pool-adjacent-violators, the least-squares
   monotone fit: it does not drag a noisy curve down as a running minimum would).

Every problem with a file is a :class:`DigitisedInputError` whose message names the file and
the row (``file:row: column: value — rule``); wrong argument types raise ``TypeError``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import isotonic_regression

from thyroid_evidence.exceptions import ThyroidEvidenceError

#: Survival is read as percent when any value exceeds this (a proportion never does).
PERCENT_RULE = 1.5
#: A click this far outside [0, 1] (as a proportion) is clamped; further out, refused.
SURVIVAL_TOLERANCE = 0.05
#: A click this far outside [0, axis end] (as a fraction of the axis end) is clamped;
#: further out, refused.
TIME_TOLERANCE = 0.03
#: Formats, in the order they are detected.
FORMATS = ("wpd-json", "wpd-all", "wpd-csv", "csv")


class DigitisedInputError(ThyroidEvidenceError, ValueError):
    """A digitised-curve or risk-table file cannot be read; ``problems`` lists each problem
    as ``file:row: column: value — rule``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class UnknownCurveError(ThyroidEvidenceError, LookupError):
    """The requested dataset is not in the file (the message lists those that are)."""


@dataclass(frozen=True, eq=False)
class DigitisedCurve:
    """One digitised curve, read and prepared.

    Attributes
    ----------
    name : str
        The dataset's name (WebPlotDigitizer's, or the file's stem).
    time, survival : ndarray
        Prepared clicks; survival as a proportion.
    rows : ndarray of int
        The file row of each prepared click (the first of merged duplicates).
    source : str
        The file read.
    format : str
        One of :data:`FORMATS`, or ``"arrays"`` (:func:`curve_from_points`).
    scale : {"fraction", "percent"}
        How survival was given.
    notes : tuple of str
        What the preparation changed, in words.
    """

    name: str
    time: np.ndarray
    survival: np.ndarray
    rows: np.ndarray
    source: str
    format: str
    scale: str
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """``time, survival, row``."""
        return pd.DataFrame({"time": self.time, "survival": self.survival, "row": self.rows})


def _path(path: object, name: str = "path") -> Path:
    if not isinstance(path, str | Path):
        raise TypeError(f"{name} must be a str or Path; got {type(path).__name__}")
    return Path(path)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DigitisedInputError([f"{path}: no such file"]) from None
    except UnicodeDecodeError as exc:
        raise DigitisedInputError([f"{path}: not UTF-8 text ({exc.reason})"]) from None
    except OSError as exc:
        raise DigitisedInputError([f"{path}: cannot be read ({exc.strerror})"]) from None


def _rows(text: str) -> tuple[list[tuple[int, list[str]]], bool]:
    """Non-empty lines as (line number, cells); True when the file uses ``;`` with decimal
    commas (a comma-decimal locale)."""
    lines = text.splitlines()
    semicolon = any(";" in line for line in lines)
    reader = csv.reader(io.StringIO(text), delimiter=";" if semicolon else ",")
    out = []
    for number, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if any(cells):
            out.append((number, cells))
    return out, semicolon


def _number(cell: str, decimal_comma: bool) -> float | None:
    text = cell.replace(",", ".") if decimal_comma else cell
    try:
        value = float(text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _pairs(path: Path, rows: list[tuple[int, list[str]]], cols: tuple[int, int],
           decimal_comma: bool, names: tuple[str, str] = ("time", "survival")
           ) -> tuple[list[tuple[float, float, int]], list[str]]:
    """(x, y, row) for the given columns; a row with both cells empty is padding."""
    pairs, problems = [], []
    for number, cells in rows:
        got = [cells[c] if c < len(cells) else "" for c in cols]
        if not got[0] and not got[1]:
            continue
        values = []
        for cell, name in zip(got, names, strict=True):
            value = _number(cell, decimal_comma)
            if value is None:
                problems.append(f"{path}:{number}: {name}: {cell!r} — must be a finite number"
                                + (" (decimal comma, ';' separated)" if decimal_comma else ""))
            values.append(value)
        if None not in values:
            pairs.append((values[0], values[1], number))
    return pairs, problems


def read_datasets(path: str | Path) -> tuple[str, dict[str, list[tuple[float, float, int]]]]:
    """Every dataset of a digitised-curve file, unprepared.

    Returns
    -------
    format, datasets
        The detected format (one of :data:`FORMATS`) and ``name -> [(x, y, row), ...]`` in
        file order.

    Raises
    ------
    TypeError
        If ``path`` is not a str or Path.
    DigitisedInputError
        For a file that cannot be read or has a cell that is not a number (file and row
        named).
    """
    path = _path(path)
    text = _read_text(path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return "wpd-json", _json_datasets(path, text)
    rows, decimal_comma = _rows(text)
    if not rows:
        raise DigitisedInputError([f"{path}: the file has no data"])
    first = rows[0][1]
    if len(rows) > 1 and all(c.upper() in ("X", "Y") for c in rows[1][1] if c) and \
            [c.upper() for c in rows[1][1] if c][:2] == ["X", "Y"]:
        return "wpd-all", _export_all(path, rows, decimal_comma)
    if len(first) >= 2 and all(_number(c, decimal_comma) is not None for c in first[:2]):
        pairs, problems = _pairs(path, rows, (0, 1), decimal_comma)
        if problems:
            raise DigitisedInputError(problems)
        return "wpd-csv", {path.stem: pairs}
    header = [c.lower() for c in first]
    if "time" in header and "survival" in header:
        cols = (header.index("time"), header.index("survival"))
        if "curve" in header:
            # several curves in one file (``thyroid-evidence digitise``): one dataset per name
            at = header.index("curve")
            groups: dict[str, list[tuple[int, list[str]]]] = {}
            for number, cells in rows[1:]:
                name = cells[at] if at < len(cells) else ""
                groups.setdefault(name or path.stem, []).append((number, cells))
            datasets, problems = {}, []
            for name, group in groups.items():
                datasets[name], bad = _pairs(path, group, cols, decimal_comma)
                problems += bad
            if problems:
                raise DigitisedInputError(problems)
            if not datasets:
                raise DigitisedInputError([f"{path}: no rows under the header"])
            return "csv", datasets
        pairs, problems = _pairs(path, rows[1:], cols, decimal_comma)
        if problems:
            raise DigitisedInputError(problems)
        return "csv", {path.stem: pairs}
    raise DigitisedInputError([
        f"{path}:{rows[0][0]}: header: {','.join(first)!r} — not a WebPlotDigitizer export "
        "(no header, or dataset names over X,Y columns) nor a CSV with columns time,survival"])


def _export_all(path: Path, rows: list[tuple[int, list[str]]], decimal_comma: bool
                ) -> dict[str, list[tuple[float, float, int]]]:
    names_row, xy_row = rows[0][1], rows[1][1]
    datasets, problems = {}, []
    for col in range(0, len(xy_row) - 1, 2):
        if (xy_row[col].upper(), xy_row[col + 1].upper()) != ("X", "Y"):
            problems.append(f"{path}:{rows[1][0]}: column {col + 1}: {xy_row[col]!r} — "
                            "line 2 of an Export All file must be X,Y for every dataset")
            continue
        name = names_row[col] if col < len(names_row) and names_row[col] else ""
        name = name or f"Dataset {col // 2 + 1}"
        if name in datasets:
            problems.append(f"{path}:{rows[0][0]}: dataset name: {name!r} — appears twice")
            continue
        pairs, bad = _pairs(path, rows[2:], (col, col + 1), decimal_comma)
        problems += [p.replace(": time:", f": {name} X:").replace(": survival:", f": {name} Y:")
                     for p in bad]
        datasets[name] = pairs
    if problems:
        raise DigitisedInputError(problems)
    return datasets


def _json_datasets(path: Path, text: str) -> dict[str, list[tuple[float, float, int]]]:
    try:
        project = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DigitisedInputError([f"{path}:{exc.lineno}: JSON: {exc.msg}"]) from None
    if not isinstance(project, dict):
        raise DigitisedInputError([f"{path}: JSON: not a WebPlotDigitizer project (an object "
                                   "with datasetColl)"])
    if "wpd" in project and "datasetColl" not in project:
        raise DigitisedInputError([f"{path}: JSON: a WebPlotDigitizer project before version 4 "
                                   "stores pixels only; open it in WebPlotDigitizer and save "
                                   "it again, or export the data as CSV"])
    coll = project.get("datasetColl")
    if not isinstance(coll, list):
        raise DigitisedInputError([f"{path}: JSON: datasetColl — missing; not a "
                                   "WebPlotDigitizer project file"])
    datasets, problems = {}, []
    for i, ds in enumerate(coll):
        name = str(ds.get("name", f"Dataset {i + 1}")) if isinstance(ds, dict) else f"#{i}"
        points = ds.get("data") if isinstance(ds, dict) else None
        if not isinstance(points, list):
            problems.append(f"{path}: datasetColl[{i}] ({name}): data — missing")
            continue
        pairs = []
        for j, point in enumerate(points):
            value = point.get("value") if isinstance(point, dict) else None
            ok = (isinstance(value, list) and len(value) >= 2
                  and all(isinstance(v, int | float) and not isinstance(v, bool)
                          and np.isfinite(v) for v in value[:2]))
            if not ok:
                problems.append(
                    f"{path}: datasetColl[{i}] ({name}): data[{j}]: value {value!r} — must be "
                    "[x, y] in axis units (a dataset without calibrated axes has none)")
                continue
            # the row of a JSON click is its position in the dataset, from 1
            pairs.append((float(value[0]), float(value[1]), j + 1))
        datasets[name] = pairs
    if problems:
        raise DigitisedInputError(problems)
    if not datasets:
        raise DigitisedInputError([f"{path}: JSON: datasetColl — no dataset"])
    return datasets


def prepare_points(
    pairs: list[tuple[float, float, int]],
    *,
    source: str = "points",
    axis_end: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, list[str]]:
    """Scale, clamp, sort, make monotone and merge clicks (see the module docstring).

    Returns
    -------
    time, survival, rows, scale, notes

    Raises
    ------
    TypeError
        If ``axis_end`` is not a number.
    ValueError
        If ``axis_end`` is not > 0.
    DigitisedInputError
        For fewer than 2 clicks or a gross error (its file row named).
    """
    if axis_end is not None:
        if isinstance(axis_end, bool) or not isinstance(axis_end, int | float):
            raise TypeError(f"axis_end must be a number; got {type(axis_end).__name__}")
        if not (np.isfinite(axis_end) and axis_end > 0):
            raise ValueError(f"axis_end must be a finite number > 0; got {axis_end!r}")
    if len(pairs) < 2:
        raise DigitisedInputError([f"{source}: at least 2 clicks are needed; found {len(pairs)}"])
    t = np.array([p[0] for p in pairs], float)
    s = np.array([p[1] for p in pairs], float)
    rows = np.array([p[2] for p in pairs], int)
    notes: list[str] = []
    scale = "percent" if s.max() > PERCENT_RULE else "fraction"
    if scale == "percent":
        s = s / 100.0
        notes.append(f"survival read as percent (a value above {PERCENT_RULE:g}) and divided "
                     "by 100")
    end = float(axis_end) if axis_end is not None else float(max(t.max(), 0.0)) or 1.0
    unit = 100.0 if scale == "percent" else 1.0
    problems = []
    for ti, si, r in zip(t, s, rows, strict=True):
        if si < -SURVIVAL_TOLERANCE or si > 1 + SURVIVAL_TOLERANCE:
            problems.append(
                f"{source}:{r}: survival: {si * unit:g} — outside [0, {unit:g}] by more than "
                f"the clamping tolerance {SURVIVAL_TOLERANCE * unit:g}")
        if ti < -TIME_TOLERANCE * end or ti > (1 + TIME_TOLERANCE) * end:
            problems.append(
                f"{source}:{r}: time: {ti:g} — outside [0, {end:g}] by more than "
                f"{TIME_TOLERANCE:.0%} of the axis")
    if problems:
        raise DigitisedInputError(problems)
    outside = (s < 0) | (s > 1) | (t < 0) | (t > end)
    if outside.any():
        notes.append(f"{int(outside.sum())} click(s) just outside the axes clamped (rows "
                     f"{', '.join(str(r) for r in rows[outside][:5])}"
                     f"{', ...' if outside.sum() > 5 else ''})")
    s, t = np.clip(s, 0.0, 1.0), np.clip(t, 0.0, end)
    # staircase order: u = t / axis end + (1 - S) grows along both the flat and the vertical
    # parts of a Kaplan-Meier curve, so the two clicked corners of one step stay in order even
    # when click noise swaps their times (sorting by time alone would split the step in two)
    order = np.lexsort((t, t / end + (1.0 - s)))
    if np.any(order != np.arange(order.size)):
        notes.append("clicks sorted along the staircase (time over the axis plus drop)")
    t, s, rows = t[order], s[order], rows[order]
    # duplicates first, so that a click made twice does not weigh twice in the monotone fit
    keep = np.ones(t.size, bool)
    keep[1:] = (t[1:] != t[:-1]) | (s[1:] != s[:-1])
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} duplicate click(s) merged")
    t, s, rows = t[keep], s[keep], rows[keep]
    mono = isotonic_regression(s, increasing=False).x
    changed = np.abs(mono - s) > 1e-12
    if changed.any():
        notes.append(f"{int(changed.sum())} click(s) above an earlier one pooled with their "
                     "neighbours to make survival non-increasing (isotonic regression)")
    s = mono
    if t.size < 2:
        raise DigitisedInputError([f"{source}: fewer than 2 distinct clicks remain"])
    return t, s, rows, scale, notes


def read_points(path: str | Path, *, curve: str | None = None,
                axis_end: float | None = None) -> DigitisedCurve:
    """Read and prepare one digitised curve from any format of :data:`FORMATS`.

    Parameters
    ----------
    path : str or Path
    curve : str, optional
        The dataset's name, for a file with more than one (Export All, JSON project).
    axis_end : float, optional
        The right end of the time axis (default: the largest time clicked).

    Returns
    -------
    DigitisedCurve

    Raises
    ------
    TypeError
        For a ``path``, ``curve`` or ``axis_end`` of the wrong type.
    UnknownCurveError
        If ``curve`` is not a dataset of the file, or the file has several and none is named.
    DigitisedInputError
        For a file that cannot be read or prepared (file and row named).
    """
    path = _path(path)
    if curve is not None and not isinstance(curve, str):
        raise TypeError(f"curve must be a str; got {type(curve).__name__}")
    fmt, datasets = read_datasets(path)
    names = list(datasets)
    if curve is None:
        if len(names) > 1:
            raise UnknownCurveError(f"{path} holds {len(names)} datasets; name one with curve "
                                    f"(--curve): {', '.join(names)}")
        curve = names[0]
    elif curve not in datasets:
        raise UnknownCurveError(f"{path}: no dataset {curve!r}; the file holds: "
                                f"{', '.join(names)}")
    t, s, rows, scale, notes = prepare_points(datasets[curve], source=str(path),
                                              axis_end=axis_end)
    return DigitisedCurve(name=curve, time=t, survival=s, rows=rows, source=str(path),
                          format=fmt, scale=scale, notes=tuple(notes))


def curve_from_points(time: object, survival: object, *, name: str,
                      source: str = "points", axis_end: float | None = None) -> DigitisedCurve:
    """Prepare one curve given as two arrays (for example a curve read from a figure by
    :func:`thyroid_evidence.digitise.digitise_figure`) exactly as :func:`read_points` prepares a
    file's clicks; ``rows`` number the points from 1.

    Raises
    ------
    TypeError
        If ``name`` is not a str.
    DigitisedInputError
        If the arrays differ in length, hold fewer than 2 points or a gross error.
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str; got {type(name).__name__}")
    t = np.asarray(time, dtype=float).ravel()
    s = np.asarray(survival, dtype=float).ravel()
    if t.size != s.size:
        raise DigitisedInputError([f"{source}: {t.size} times but {s.size} survival values"])
    pairs = [(float(a), float(b), i + 1) for i, (a, b) in enumerate(zip(t, s, strict=True))]
    t, s, rows, scale, notes = prepare_points(pairs, source=source, axis_end=axis_end)
    return DigitisedCurve(name=name, time=t, survival=s, rows=rows, source=source,
                          format="arrays", scale=scale, notes=tuple(notes))


def read_risk_table(path: str | Path) -> pd.DataFrame:
    """A published numbers-at-risk table: a CSV with columns ``time,n_risk``.

    ``;`` with decimal commas is read too. Times must increase, numbers at risk be whole
    numbers >= 0 that do not increase.

    Returns
    -------
    DataFrame
        ``time`` (float), ``n_risk`` (int), ``row`` (file row).

    Raises
    ------
    TypeError
        If ``path`` is not a str or Path.
    DigitisedInputError
        For every problem, file and row named.
    """
    path = _path(path)
    rows, decimal_comma = _rows(_read_text(path))
    if not rows:
        raise DigitisedInputError([f"{path}: the file has no data"])
    header = [c.lower() for c in rows[0][1]]
    if "time" not in header or "n_risk" not in header:
        raise DigitisedInputError([f"{path}:{rows[0][0]}: header: {','.join(rows[0][1])!r} — "
                                   "must name the columns time and n_risk"])
    cols = (header.index("time"), header.index("n_risk"))
    pairs, problems = _pairs(path, rows[1:], cols, decimal_comma, names=("time", "n_risk"))
    prev = None
    for time, n, row in pairs:
        if time < 0:
            problems.append(f"{path}:{row}: time: {time:g} — must be >= 0")
        if n < 0 or n != round(n):
            problems.append(f"{path}:{row}: n_risk: {n:g} — must be a whole number >= 0")
        if prev is not None:
            if time <= prev[0]:
                problems.append(f"{path}:{row}: time: {time:g} — must be later than "
                                f"{prev[0]:g} (row {prev[2]})")
            if n > prev[1]:
                problems.append(f"{path}:{row}: n_risk: {n:g} — more than {prev[1]:g} at "
                                f"{prev[0]:g} (row {prev[2]}); numbers at risk cannot grow")
        prev = (time, n, row)
    if not pairs and not problems:
        problems.append(f"{path}: no rows under the header")
    if problems:
        raise DigitisedInputError(problems)
    return pd.DataFrame({"time": [p[0] for p in pairs],
                         "n_risk": [int(p[1]) for p in pairs],
                         "row": [p[2] for p in pairs]})
