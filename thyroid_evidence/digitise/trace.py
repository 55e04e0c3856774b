"""Trace one Kaplan-Meier staircase through a weight map, and read its corners.

The trace is the cheapest path from left to right that never goes back up (a survival curve
does not rise), found by dynamic programming over (column, row). A pixel of the curve's own ink
costs ``1 - weight``, a pixel of another ink :data:`OTHER_COST` (the curve may be hidden under
it), background 1; before its start and after its end the path rests in a "not drawn" state at
:data:`REST_COST` a column. Because the path cannot rise, a legend, text or a censor mark below
the curve is never worth a detour, and one above it is out of reach once the curve has dropped.

The corners come from the traced columns: each column's level is the ink-weighted centre of the
line across its thickness (columns where the ink runs far beyond the thickness are vertical
parts of a step or censor marks, and give no level); consecutive levels within
:data:`LEVEL_TOLERANCE` pixels form one flat part; a drop's column is the ink-weighted centre of
the vertical line between two flat parts, or the middle of the gap when the drop is too small
to draw one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import isotonic_regression

#: Cost of a pixel of another ink (the curve may be hidden under it).
OTHER_COST = 0.7
#: Cost per column of the "not drawn yet / any more" state.
REST_COST = 0.6
#: Levels within this many pixels of a flat part's median belong to it.
LEVEL_TOLERANCE = 0.5
#: A column is on the curve's own ink when the weight there is at least this.
OWN = 0.3
#: A short flat part this close (pixels) to a neighbour's level is that neighbour's corner.
CORNER_SHIFT = 1.0
#: Stretches of at least this many columns without own ink are reported as unsure.
MIN_UNSURE_COLUMNS = 3


@dataclass(frozen=True, eq=False)
class Trace:
    """A traced staircase in interior pixel coordinates.

    Attributes
    ----------
    x, y : ndarray
        Corners (column, row), in staircase order.
    coverage : float
        Share of the traced columns on own ink.
    unsure : list of (first column, last column, row)
        Stretches without own ink.
    start_column, end_column : int
    own_columns : int
        Columns on own ink.
    """

    x: np.ndarray
    y: np.ndarray
    coverage: float
    unsure: list[tuple[int, int, float]]
    start_column: int
    end_column: int
    own_columns: int


def cheapest_path(own: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Row of the path in each column, -1 where it rests (not drawn).

    Parameters
    ----------
    own, other : ndarray, shape (rows, columns)
        Weights in [0, 1] of the curve's own ink and of every other ink.
    """
    rows, cols = own.shape
    cost = np.minimum(1.0 - own, 1.0 - (1.0 - OTHER_COST) * other)
    # forward: total[c, y] is the cheapest path ending on row y of column c; the states "not
    # drawn yet" (before) and "not drawn any more" (after) cost REST_COST a column
    total = np.empty((cols, rows))
    after = np.empty(cols)
    lowest = np.empty(cols)  # min over rows of total[c]
    prev, rest_after = np.full(rows, np.inf), np.inf
    for c in range(cols):
        running = np.minimum.accumulate(prev)   # its last value is min(prev)
        if c:
            lowest[c - 1] = running[-1]
        rest_after = min(rest_after, float(running[-1])) + REST_COST
        prev = np.minimum(running, c * REST_COST) + cost[:, c]
        total[c] = prev
        after[c] = rest_after
    lowest[cols - 1] = prev.min()
    # backward: recompute each step's choice (cheaper than storing pointers for every cell)
    path = np.full(cols, -1, np.int32)
    c = cols - 1
    row = -2 if after[c] < lowest[c] else int(np.argmin(total[c]))
    while c >= 0:
        if row == -2:  # resting after the end in column c: did the rest start here?
            if c > 0 and after[c - 1] > lowest[c - 1]:
                row = int(np.argmin(total[c - 1]))
            c -= 1
            continue
        path[c] = row
        if c == 0:
            break
        before = (c - 1) * REST_COST
        head = total[c - 1, : row + 1]
        j = row - int(np.argmin(head[::-1]))   # the lowest of equally cheap rows
        if before <= head[j]:
            break  # the path began in column c
        row = j
        c -= 1
    return path


def _levels(own: np.ndarray, ink: np.ndarray, path: np.ndarray, thickness: float,
            edges: tuple[float, float] | None = None) -> np.ndarray:
    """Ink-weighted centre row of the line around the path in each column (NaN where the ink
    runs beyond the line's thickness: a vertical part or a mark). A flat line cut by the
    interior's top or bottom row lies on the frame edge: its level is that edge's row
    (``edges``: top and bottom in interior rows), or NaN without them."""
    rows, cols = own.shape
    reach = int(np.ceil(2 * thickness)) + 1
    level = np.full(cols, np.nan)
    for c in np.flatnonzero(path >= 0):
        lo, hi = max(path[c] - reach, 0), min(path[c] + reach + 1, rows)
        w = own[lo:hi, c] if own[path[c], c] >= OWN else ink[lo:hi, c]
        if w.sum() <= 0:
            continue
        on = np.flatnonzero(w >= OWN)
        if on.size == 0 or on[-1] - on[0] + 1 > thickness + 1.5:
            continue
        if edges is not None and (lo + on[0] == 0 or lo + on[-1] == rows - 1):
            level[c] = edges[0] if lo + on[0] == 0 else edges[1]
            continue
        if lo + on[0] == 0:
            continue
        if lo + on[-1] == rows - 1 or on[0] == 0 or on[-1] == hi - lo - 1:
            continue  # the ink goes on beyond the window: a vertical part or a mark
        level[c] = float((np.arange(lo, hi) * w).sum() / w.sum())
    return level


def _absorb_short(parts: list[list[int]], level: np.ndarray, minimum: int) -> list[list[int]]:
    """Join flat parts shorter than ``minimum`` columns to the neighbour with the nearer level
    (the corner of a step shifts a column's centre by half a line: not a step of its own)."""
    parts = [list(p) for p in parts]
    k = 0
    while k < len(parts) and len(parts) > 1:
        if len(parts[k]) >= minimum:
            k += 1
            continue
        here = float(np.median(level[parts[k]]))
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(parts)]
        j = min(near, key=lambda j: abs(float(np.median(level[parts[j]])) - here))
        if abs(float(np.median(level[parts[j]])) - here) > CORNER_SHIFT:
            k += 1  # a short flat part of its own: two drops close together
            continue
        lo, hi = min(j, k), max(j, k)
        parts[lo:hi + 1] = [sorted(parts[lo] + parts[hi])]
        k = lo
    return parts


def line_thickness(own: np.ndarray) -> float:
    """The curve's line thickness in pixels: the median column sum of its weight over columns
    that hold some (vertical parts and marks are few, so the median is a flat part's)."""
    sums = own.sum(axis=0)
    sums = sums[sums >= OWN]
    return float(np.median(sums)) if sums.size else 1.0


def trace_curve(own: np.ndarray, other: np.ndarray,
                edges: tuple[float, float] | None = None) -> Trace | None:
    """Trace one staircase; None when the path finds no ink of its own.

    ``edges`` are the frame's top and bottom edges in interior rows: a flat part hidden in
    part under the frame line is placed on the edge.
    """
    path = cheapest_path(own, other).copy()
    cols = np.flatnonzero(path >= 0)
    if cols.size == 0:
        return None
    on_own = np.zeros(own.shape[1], bool)
    on_own[cols] = own[path[cols], cols] >= OWN
    own_cols = np.flatnonzero(on_own)
    if own_cols.size == 0:
        return None
    start, end = int(own_cols[0]), int(own_cols[-1])
    # a start hidden under another curve (both drawn from the same level, the other on top):
    # follow the other ink left at the first row while it lasts
    # (a pixel or two where the two colours blend belongs to neither: gaps of up to 3
    # columns are crossed)
    row, hidden = int(path[start]), start
    band = np.maximum(own, other)[max(row - 1, 0):row + 2].max(axis=0) >= OWN
    while hidden > 0:
        back = np.flatnonzero(band[max(hidden - 3, 0):hidden])
        if back.size == 0:
            break
        hidden = max(hidden - 3, 0) + int(back[-1])
    if hidden < start:
        path[hidden:start] = row
        start = hidden
    path[:start] = -1
    path[end + 1:] = -1
    thickness = max(line_thickness(own), 1.0)
    ink = np.maximum(own, other)
    level = _levels(own, ink, path, thickness, edges)
    valid = np.flatnonzero(~np.isnan(level))
    unsure = []
    gap = np.flatnonzero(~on_own[start:end + 1]) + start
    if gap.size:
        splits = np.split(gap, np.flatnonzero(np.diff(gap) > 1) + 1)
        for g in splits:
            # (the gaps of a dashed or dotted line are shorter than a hundredth of the width)
            if g.size >= max(MIN_UNSURE_COLUMNS, round(0.01 * own.shape[1])):
                unsure.append((int(g[0]), int(g[-1]), float(path[g[0]])))
    if valid.size == 0:
        return None
    # flat parts: break where the level leaves the current part's median for good
    parts: list[list[int]] = [[int(valid[0])]]
    total = float(level[valid[0]])
    for k in range(1, valid.size):
        c = int(valid[k])
        mean = total / len(parts[-1])
        if abs(level[c] - mean) > LEVEL_TOLERANCE:
            nxt = valid[k + 1] if k + 1 < valid.size else None
            if nxt is None or abs(level[nxt] - mean) > LEVEL_TOLERANCE:
                parts.append([c])
                total = float(level[c])
            continue  # otherwise a one-column glitch
        parts[-1].append(c)
        total += float(level[c])
    parts = _absorb_short(parts, level, minimum=max(2, int(np.ceil(thickness)) + 1))
    values = np.array([float(np.median(level[p])) for p in parts])
    sizes = np.array([len(p) for p in parts], float)
    values = isotonic_regression(values, weights=sizes, increasing=True).x
    # merge neighbours the monotone fit made equal (within a tenth of a pixel)
    merged: list[tuple[list[int], float]] = []
    for p, v in zip(parts, values, strict=True):
        if merged and abs(v - merged[-1][1]) < 0.1:
            merged[-1] = (merged[-1][0] + p, merged[-1][1])
        else:
            merged.append((p, float(v)))
    xs, ys = [float(start)], [merged[0][1]]
    for (p, v), (q, w) in zip(merged[:-1], merged[1:], strict=True):
        a, b = max(p), min(q)
        between = np.arange(a + 1, b)
        x = (a + b) / 2.0
        if between.size:
            lo, hi = int(np.floor(v)), int(np.ceil(w)) + 1
            mass = own[lo:hi, between].sum(axis=0) if hi > lo else np.zeros(between.size)
            tall = mass >= 0.5 * (w - v)
            # a dashed or dotted vertical line: ink strictly between the two flat lines
            inner = own[int(np.ceil(v + thickness)):int(np.floor(w - thickness)) + 1, a:b + 1]
            if tall.any():
                x = float((between[tall] * mass[tall]).sum() / mass[tall].sum())
            elif inner.size and inner.sum() >= OWN:
                cols = np.arange(a, b + 1)
                x = float((cols * inner.sum(axis=0)).sum() / inner.sum())
        xs += [x, x]
        ys += [v, w]
    xs.append(float(end))
    ys.append(merged[-1][1])
    span = end - start + 1
    return Trace(x=np.array(xs), y=np.array(ys), coverage=float(own_cols.size / span),
                 unsure=unsure, start_column=start, end_column=end,
                 own_columns=int(own_cols.size))
