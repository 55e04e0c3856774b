"""Digitise a vector PDF page: the drawn step polylines, read exactly.

pdfplumber (over pdfminer.six) gives every stroked path of the page in page coordinates, the
current transformation already applied. The frame is made of dark, colourless straight lines
(the x axis: the lowest horizontal line at least :data:`MIN_AXIS_SHARE` of the page wide; the
y axis: the leftmost vertical line as tall that meets it; a top and a right line close a box,
otherwise the frame ends where the axis lines end). A curve is a stroked path inside the frame
made only of horizontal and vertical segments that never go back in time nor up in survival,
at least :data:`MIN_CURVE_SHARE` of the frame wide (legend samples, censor marks and gridlines
are not). Its corners map to data units by the frame exactly: no pixel is involved.

A curve is named by its legend text when a short line of its colour has words to its right
(a legend entry), otherwise by its colour.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from thyroid_evidence.digitise.calibrate import Calibration
from thyroid_evidence.digitise.colours import colour_name, unique_names
from thyroid_evidence.digitise.result import DigitisedFigure, DigitiseError, TracedCurve

#: An axis line is at least this share of the page's width (x) or height (y) long.
MIN_AXIS_SHARE = 0.2
#: A curve is at least this share of the frame wide.
MIN_CURVE_SHARE = 0.1
#: Straightness and meeting tolerance, in PDF points.
EPS = 0.01


@dataclass(frozen=True)
class _Path:
    points: np.ndarray          # (n, 2): x, top
    colour: tuple[float, float, float]
    linewidth: float


def _rgb(colour: object) -> tuple[float, float, float] | None:
    """A pdfplumber colour (grey, RGB or CMYK; a number or a tuple) as RGB, None if unknown."""
    if colour is None:
        return None
    values = [colour] if isinstance(colour, int | float) else list(colour)  # type: ignore[arg-type]
    try:
        values = [float(v) for v in values]
    except (TypeError, ValueError):
        return None  # a pattern or a named colour space
    if len(values) == 1:
        return (values[0],) * 3
    if len(values) == 3:
        return (values[0], values[1], values[2])
    if len(values) == 4:
        c, m, y, k = values
        return ((1 - c) * (1 - k), (1 - m) * (1 - k), (1 - y) * (1 - k))
    return None


def _stroked_paths(page: object) -> list[_Path]:
    out = []
    for obj in [*page.curves, *page.lines, *page.rects]:  # type: ignore[attr-defined]
        if not obj.get("stroke"):
            continue
        colour = _rgb(obj.get("stroking_color"))
        if colour is None:
            continue
        if obj["object_type"] == "rect":
            x0, top, x1, bottom = obj["x0"], obj["top"], obj["x1"], obj["bottom"]
            pts = [(x0, top), (x1, top), (x1, bottom), (x0, bottom), (x0, top)]
        else:
            pts = obj.get("pts") or []
        if len(pts) < 2:
            continue
        out.append(_Path(points=np.asarray(pts, float), colour=colour,
                         linewidth=float(obj.get("linewidth") or 0.0)))
    return out


def _segments(paths: list[_Path]) -> tuple[list[tuple[float, float, float]],
                                           list[tuple[float, float, float]]]:
    """Dark colourless straight segments: horizontal (top, x0, x1) and vertical (x, top0,
    top1)."""
    horizontal, vertical = [], []
    for p in paths:
        if max(p.colour) - min(p.colour) >= 0.2 or np.mean(p.colour) >= 0.55:
            continue
        a, b = p.points[:-1], p.points[1:]
        for (xa, ya), (xb, yb) in zip(a, b, strict=True):
            if abs(ya - yb) <= EPS and abs(xa - xb) > EPS:
                horizontal.append((ya, min(xa, xb), max(xa, xb)))
            elif abs(xa - xb) <= EPS and abs(ya - yb) > EPS:
                vertical.append((xa, min(ya, yb), max(ya, yb)))
    return horizontal, vertical


def find_vector_frame(paths: list[_Path], width: float, height: float
                      ) -> tuple[float, float, float, float, bool] | None:
    """``left, top, right, bottom, box`` of the plot frame in page points, or None."""
    horizontal, vertical = _segments(paths)
    xs = sorted((s for s in horizontal if s[2] - s[1] >= MIN_AXIS_SHARE * width),
                key=lambda s: -s[0])
    ys = sorted((s for s in vertical if s[2] - s[1] >= MIN_AXIS_SHARE * height),
                key=lambda s: s[0])
    for bottom, xa, xb in xs:
        for left, ya, yb in ys:
            if xa - 1 <= left <= xa + 0.1 * (xb - xa) and ya - 1 <= bottom <= yb + 1 \
                    and yb - bottom <= 0.1 * (yb - ya):
                tops = [s for s in xs if s[0] < bottom - 1 and s[2] - s[1] >= 0.8 * (xb - xa)
                        and abs(s[1] - left) <= 0.05 * (xb - xa)]
                rights = [s for s in ys if s[0] > left + 1 and s[2] - s[1] >= 0.8 * (yb - ya)
                          and abs(s[2] - bottom) <= 0.05 * (yb - ya)]
                if tops and rights:
                    top = min(s[0] for s in tops)
                    right = max(s[0] for s in rights)
                    return left, top, right, bottom, True
                return left, ya, xb, bottom, False
    return None


def _corners(points: np.ndarray) -> np.ndarray | None:
    """The corners of a step polyline (x, top), or None when the path is no survival
    staircase (a segment that is not horizontal or vertical, or goes back or up)."""
    keep = np.r_[True, np.any(np.abs(np.diff(points, axis=0)) > EPS, axis=1)]
    pts = points[keep]
    if len(pts) < 2:
        return None
    d = np.diff(pts, axis=0)
    flat = np.abs(d[:, 1]) <= EPS
    drop = np.abs(d[:, 0]) <= EPS
    if not np.all(flat | drop) or np.any(d[:, 0] < -EPS) or np.any(d[:, 1] < -EPS):
        return None
    # drop the middle points of straight runs (a censoring time drawn as a vertex)
    kind = np.where(flat, 0, 1)
    middle = np.r_[False, kind[1:] == kind[:-1], False]
    return pts[~middle]


def _legend_name(paths: list[_Path], words: list[dict], colour: tuple[float, float, float],
                 frame: tuple[float, float, float, float]) -> str | None:
    """The words to the right of a short horizontal line of ``colour`` (a legend entry)."""
    left, top, right, bottom = frame
    for p in paths:
        if p.colour != colour:
            continue
        xs, ys = p.points[:, 0], p.points[:, 1]
        if np.ptp(ys) > EPS or not 0 < np.ptp(xs) < 0.2 * (right - left):
            continue
        y, x_end = float(ys[0]), float(xs.max())
        line = sorted((w for w in words if w.get("upright", True)
                       and w["top"] - 1 <= y <= w["bottom"] + 1 and w["x0"] >= x_end - 1
                       and w["x0"] - x_end <= 3 * (w["bottom"] - w["top"])),
                      key=lambda w: w["x0"])
        text, last = [], None
        for w in line:
            if last is not None and w["x0"] - last > 0.6 * (w["bottom"] - w["top"]):
                break
            text.append(w["text"])
            last = w["x1"]
        if text:
            return " ".join(text)
    return None


def digitise_pdf_page(path: str | Path, *, page: int, x_range: tuple[float, float],
                      y_range: tuple[float, float], curves: int | None = None
                      ) -> DigitisedFigure:
    """Digitise page ``page`` (from 1) of a PDF from its vector paths.

    Raises
    ------
    DigitiseError
        For a file pdfplumber cannot read, a page out of range, a page without vector
        curves or frame, or fewer curves than ``curves``.
    """
    import pdfplumber
    from pdfminer.pdfparser import PDFSyntaxError

    path = Path(path)
    source = f"{path}#page={page}"
    try:
        pdf = pdfplumber.open(path)
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises several unrelated types
        raise DigitiseError(f"{path}: not a PDF that can be read ({type(exc).__name__}: "
                            f"{exc})") from None
    with pdf:
        try:
            n_pages = len(pdf.pages)
        except Exception as exc:  # a damaged page tree
            raise DigitiseError(f"{path}: the PDF's pages cannot be read ({exc})") from None
        if page > n_pages:
            raise DigitiseError(f"--page: {page} — {path} has {n_pages} page"
                                f"{'' if n_pages == 1 else 's'}")
        sheet = pdf.pages[page - 1]
        try:
            paths = _stroked_paths(sheet)
            words = sheet.extract_words()
            images = len(sheet.images)
        except Exception as exc:
            raise DigitiseError(f"{source}: the page cannot be read ({exc})") from None
        width, height = float(sheet.width), float(sheet.height)
    if not paths:
        hint = (f"; it holds {images} embedded image(s): save the figure as PNG and digitise "
                "that" if images else "")
        raise DigitiseError(f"{source}: the page has no vector paths{hint}")
    frame = find_vector_frame(paths, width, height)
    if frame is None:
        raise DigitiseError(f"{source}: no plot frame among the page's vector paths (no long "
                            "dark horizontal and vertical axis lines that meet)")
    left, top, right, bottom, box = frame
    cal = Calibration(left=left, top=top, right=right, bottom=bottom, x_range=x_range,
                      y_range=y_range)
    found = []
    for p in paths:
        if p.colour == (1.0, 1.0, 1.0):
            continue
        xs, ys = p.points[:, 0], p.points[:, 1]
        inside = (xs.min() >= left - 1 and xs.max() <= right + 1 and ys.min() >= top - 1
                  and ys.max() <= bottom + 1)
        if not inside or np.ptp(xs) < MIN_CURVE_SHARE * (right - left):
            continue
        corners = _corners(p.points)
        if corners is None or len(corners) < 3:
            continue  # a gridline, a frame line or a single flat line
        found.append((p, corners))
    if not found:
        raise DigitiseError(f"{source}: no step curve among the page's vector paths (none "
                            "made of horizontal and vertical segments inside the frame); a "
                            "smoothed or rasterised curve cannot be read as vectors")
    notes = [f"plot frame: {'a box' if box else 'two axis lines'} at points x "
             f"{left:.3f}..{right:.3f}, y {top:.3f}..{bottom:.3f} (from the page's top left)",
             f"{len(found)} step path(s) read exactly"]
    if curves is not None:
        if len(found) < curves:
            raise DigitiseError(f"{source}: --curves {curves}: found only {len(found)} step "
                                "curve(s)")
        if len(found) > curves:
            keep = sorted(range(len(found)), key=lambda i: -np.ptp(found[i][0].points[:, 0]))
            found = [found[i] for i in sorted(keep[:curves])]
            notes.append(f"--curves {curves} keeps the {curves} widest step paths")
    names = []
    for p, _ in found:
        name = _legend_name(paths, words, p.colour, (left, top, right, bottom))
        names.append(name if name else colour_name(p.colour))
    out = []
    for name, (p, corners) in zip(unique_names(names), found, strict=True):
        t, s = cal.to_data(corners[:, 0], corners[:, 1])
        out.append(TracedCurve(name=name, colour=p.colour, time=t, survival=s,
                               confidence=1.0, unsure=()))
    return DigitisedFigure(source=source, kind="vector", calibration=cal,
                           size=(width, height), curves=tuple(out), notes=tuple(notes))
