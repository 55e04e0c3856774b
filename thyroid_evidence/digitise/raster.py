"""Digitise a raster Kaplan-Meier figure (PNG, JPEG, ...): frame, inks, one trace per curve.

Steps: the plot frame (:mod:`~thyroid_evidence.digitise.frame`); the inks inside it, one per
candidate colour plus colourless dark ink (:mod:`~thyroid_evidence.digitise.inks`: gridlines and
faded ink under a legend box weigh nothing); one monotone trace per ink
(:mod:`~thyroid_evidence.digitise.trace`: text, legends and censor marks are not followed); an
ink is a curve when its trace runs on its own ink over at least :data:`MIN_CURVE_SHARE` of the
frame's width. Accuracy on figures drawn from real data is measured in
``benchmarks/bench_digitise.py`` and asserted in ``tests/test_digitise_raster.py``.
"""

from __future__ import annotations

import numpy as np

from thyroid_evidence.digitise.calibrate import Calibration
from thyroid_evidence.digitise.colours import colour_name, unique_names
from thyroid_evidence.digitise.frame import find_frame
from thyroid_evidence.digitise.inks import find_inks
from thyroid_evidence.digitise.result import (
    DigitisedFigure,
    DigitiseError,
    TracedCurve,
    UnsureSpan,
)
from thyroid_evidence.digitise.trace import OWN, Trace, trace_curve

#: An ink is a curve when its trace runs on its own ink over this share of the frame's width.
MIN_CURVE_SHARE = 0.2


def digitise_raster(rgb: np.ndarray, *, x_range: tuple[float, float],
                    y_range: tuple[float, float], curves: int | None = None,
                    source: str = "figure") -> DigitisedFigure:
    """Digitise an RGB image of a Kaplan-Meier figure.

    Parameters
    ----------
    rgb : ndarray, shape (height, width, 3)
        Floats in [0, 1] (see :func:`~thyroid_evidence.digitise.io.read_image`).
    x_range, y_range : tuple of float
        The data values at the frame's left and right, and bottom and top edges.
    curves : int, optional
        How many curves to return (default: every ink whose trace qualifies).
    source : str
        Named in messages and in the result.

    Returns
    -------
    DigitisedFigure

    Raises
    ------
    DigitiseError
        When no plot frame is found, no curve is found, or fewer than ``curves``.
    """
    frame = find_frame(rgb)
    if frame is None:
        raise DigitiseError(f"{source}: no plot area found (no long horizontal and vertical "
                            "dark axis lines that meet); crop the figure to one plot with its "
                            "axes")
    cal = Calibration(left=frame.left, top=frame.top, right=frame.right, bottom=frame.bottom,
                      x_range=x_range, y_range=y_range)
    margin = frame.thickness / 2 + 1
    r0, r1 = int(np.ceil(frame.top + margin)), int(np.floor(frame.bottom - margin)) + 1
    c0, c1 = int(np.ceil(frame.left + margin)), int(np.floor(frame.right - margin)) + 1
    interior = rgb[r0:r1, c0:c1]
    width = c1 - c0
    inks = find_inks(interior, min_pixels=max(10, int(0.1 * width)))
    traces: list[tuple[int, Trace]] = []
    for k, ink in enumerate(inks):
        others = [o.weight for j, o in enumerate(inks) if j != k]
        other = np.max(others, axis=0) if others else np.zeros_like(ink.weight)
        trace = trace_curve(ink.weight, other, edges=(frame.top - r0, frame.bottom - r0))
        if trace is not None and trace.own_columns >= MIN_CURVE_SHARE * width:
            traces.append((k, trace))
    notes = [f"plot frame: {'a box' if frame.box else 'two axis lines'} at pixels "
             f"x {frame.left:.1f}..{frame.right:.1f}, y {frame.top:.1f}..{frame.bottom:.1f}",
             f"{len(inks)} candidate ink(s) in the frame, {len(traces)} traced as a curve"]
    if not traces:
        raise DigitiseError(f"{source}: no curve found inside the plot frame (no ink runs "
                            f"along {MIN_CURVE_SHARE:.0%} of its width)")
    if curves is not None:
        if len(traces) < curves:
            found = ", ".join(colour_name(inks[k].colour) for k, _ in traces)
            raise DigitiseError(f"{source}: --curves {curves}: found only {len(traces)} "
                                f"curve(s) ({found}); give the number of curves drawn")
        if len(traces) > curves:
            keep = sorted(traces, key=lambda kt: -kt[1].own_columns)[:curves]
            notes.append(f"{len(traces) - curves} further traced ink(s) dropped (--curves "
                         f"{curves} keeps the longest)")
            traces = [kt for kt in traces if kt in keep]
    names = unique_names([colour_name(inks[k].colour) for k, _ in traces])
    out = []
    for name, (k, trace) in zip(names, traces, strict=True):
        x, y = _ends(trace, inks[k].weight, frame.thickness, left=frame.left - c0,
                     right=frame.right - c0, top=frame.top - r0)
        t, s = cal.to_data(x + c0, y + r0)
        unsure = []
        if x[0] < trace.start_column - frame.thickness - 2:
            seen = float(cal.to_data(np.array([trace.start_column + c0]), np.array([0.0]))[0][0])
            unsure.append(UnsureSpan(time_start=float(t[0]), time_end=seen,
                                     survival=float(s[0]),
                                     reason="start not drawn (under the top of the frame); "
                                            "taken to be at the left edge"))
        for a, b, row in trace.unsure:
            ta, sa = cal.to_data(np.array([a + c0, b + c0]), np.array([row + r0, row + r0]))
            unsure.append(UnsureSpan(time_start=float(ta[0]), time_end=float(ta[1]),
                                     survival=float(sa[0]),
                                     reason="no ink of its own (hidden under another curve, "
                                            "or a gap)"))
        out.append(TracedCurve(name=name, colour=inks[k].colour, time=t, survival=s,
                               confidence=trace.coverage, unsure=tuple(unsure)))
    height, full_width = rgb.shape[:2]
    return DigitisedFigure(source=source, kind="raster", calibration=cal,
                           size=(float(full_width), float(height)), curves=tuple(out),
                           notes=tuple(notes))


def _ends(trace: Trace, own: np.ndarray, thickness: float, *, left: float, right: float,
          top: float) -> tuple[np.ndarray, np.ndarray]:
    """The corners with the ends placed (interior pixel coordinates; ``left``, ``right`` and
    ``top`` are the frame's edges in them): a start or end within a line's thickness of the
    interior's edge is on the frame edge; a curve whose first ink is a vertical line from the
    top of the frame started there (its flat part at the top is hidden under the frame
    line)."""
    x, y = trace.x.copy(), trace.y.copy()
    cols = own.shape[1]
    reach = thickness + 2
    if x[0] <= reach:
        x[0] = left
    elif y[0] - top <= thickness + 1:
        # the curve runs along the top edge of the frame, where the frame line (or clipping
        # of a line lying on the axes' edge) hides its start: it started at the left edge
        x[0] = left
    else:
        column = own[:, trace.start_column:trace.start_column + int(reach) + 1].max(axis=1)
        above = np.flatnonzero(column[: int(y[0]) + 1] < OWN)
        first_row = int(above[-1]) + 1 if above.size else 0
        if first_row <= 1 and y[0] > reach:
            # the first drop came from the top edge: S at the top until then
            x = np.r_[left, x[0], x]
            y = np.r_[top, top, y]
    if cols - 1 - x[-1] <= reach:
        x[-1] = right
    return x, y
