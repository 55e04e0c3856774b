"""Find the plot frame of a raster figure: the axes box, or the two axis lines.

The frame is made of long straight runs of dark, colourless pixels: the x axis is the lowest
row holding one at least :data:`MIN_AXIS_SHARE` of the image wide, the y axis the leftmost
column holding one at least as tall, meeting it. A top and a right line as long close a box;
without them the frame ends where the axis lines end. Each line's position is the centre of its
darkness across its thickness (anti-aliasing included), so a frame edge is placed to a fraction
of a pixel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

#: An axis line is at least this share of the image's width (x) or height (y) long.
MIN_AXIS_SHARE = 0.25
#: A line this much as long as the opposite axis line closes the box (top, right).
BOX_SHARE = 0.8
#: Darker than this (grey level in [0, 1]) and nearly colourless: frame ink.
DARK = 0.55


@dataclass(frozen=True)
class Frame:
    """The frame in pixel coordinates (the centre of pixel ``i`` is at ``i``).

    Attributes
    ----------
    left, top, right, bottom : float
    thickness : float
        The axis lines' thickness in pixels.
    box : bool
        True when a top and a right line close the frame.
    """

    left: float
    top: float
    right: float
    bottom: float
    thickness: float
    box: bool


def _longest_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of ``mask``: the longest run of True as (length, first, last)."""
    rows, cols = mask.shape
    padded = np.zeros((rows, cols + 2), np.int8)
    padded[:, 1:-1] = mask
    diff = np.diff(padded, axis=1)
    row, start = np.nonzero(diff == 1)
    _, stop = np.nonzero(diff == -1)   # one end per start, in the same row-major order
    runs = stop - start
    length = np.zeros(rows, int)
    first = np.zeros(rows, int)
    if runs.size:
        order = np.lexsort((runs, row))           # by row, then by length
        last_of_row = np.r_[row[order][1:] != row[order][:-1], True]
        best = order[last_of_row]
        length[row[best]] = runs[best]
        first[row[best]] = start[best]
    return length, first, first + np.maximum(length - 1, 0)


def _line_groups(length: np.ndarray, minimum: float) -> list[tuple[int, int]]:
    """Consecutive indices whose run is at least ``minimum`` long, as (first, last)."""
    idx = np.flatnonzero(length >= minimum)
    if idx.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    ends = np.r_[idx[breaks], idx[-1]]
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _centre(darkness: np.ndarray, first: int, last: int, span: slice) -> float:
    """Darkness-weighted centre of rows ``first..last`` (one row of margin each side) over the
    columns ``span``."""
    lo, hi = max(first - 1, 0), min(last + 2, darkness.shape[0])
    weights = darkness[lo:hi, span].mean(axis=1)
    return float((np.arange(lo, hi) * weights).sum() / weights.sum())


def find_frame(rgb: np.ndarray) -> Frame | None:
    """The plot frame of an RGB image (floats in [0, 1]), or None when there is none.

    Parameters
    ----------
    rgb : ndarray, shape (height, width, 3)

    Returns
    -------
    Frame or None
        None when no pair of axis lines (a long horizontal and a long vertical dark line that
        meet) is found.
    """
    height, width, _ = rgb.shape
    grey = rgb.mean(axis=2)
    colourless = (rgb.max(axis=2) - rgb.min(axis=2)) < 0.2
    darkness = np.where(colourless, np.clip(1.0 - grey, 0.0, 1.0), 0.0)
    dark = colourless & (grey < DARK)
    # close gaps of a few pixels (tick marks crossing, JPEG noise) along each direction
    ink = dark.astype(np.uint8)
    across = ndimage.minimum_filter1d(ndimage.maximum_filter1d(ink, 5, axis=1), 5, axis=1)
    down = ndimage.minimum_filter1d(ndimage.maximum_filter1d(ink, 5, axis=0), 5, axis=0)
    across, down = across.astype(bool) | dark, down.astype(bool) | dark
    h_len, h_first, h_last = _longest_runs(across)
    v_len, v_first, v_last = _longest_runs(down.T)
    h_groups = _line_groups(h_len, MIN_AXIS_SHARE * width)
    v_groups = _line_groups(v_len, MIN_AXIS_SHARE * height)
    if not h_groups or not v_groups:
        return None
    # the x axis: the lowest long horizontal line; the y axis: the leftmost long vertical line
    # whose run reaches the x axis and which lies at the x axis' left end
    for h0, h1 in reversed(h_groups):
        xa, xb = int(h_first[h0:h1 + 1].min()), int(h_last[h0:h1 + 1].max())
        for v0, v1 in v_groups:
            ya, yb = int(v_first[v0:v1 + 1].min()), int(v_last[v0:v1 + 1].max())
            # the two lines meet or cross (tick marks may stick out beyond the corner)
            if xa - 2 <= v0 and v1 <= xb + 2 and ya - 2 <= h0 and h1 <= yb + 2 \
                    and v0 - xa <= 0.1 * (xb - xa) and yb - h1 <= 0.1 * (yb - ya):
                break
        else:
            continue
        break
    else:
        return None
    thickness = float(max(h1 - h0 + 1, v1 - v0 + 1))
    bottom = _centre(darkness, h0, h1, slice(xa, xb + 1))
    left = _centre(darkness.T, v0, v1, slice(ya, yb + 1))
    x_len, y_len = xb - xa + 1, yb - ya + 1
    tops = [(a, b) for a, b in h_groups if b < h0 - 2
            and h_len[a:b + 1].max() >= BOX_SHARE * x_len
            and abs(int(h_first[a:b + 1].min()) - v0) <= 0.05 * x_len]
    rights = [(a, b) for a, b in v_groups if a > v1 + 2
              and v_len[a:b + 1].max() >= BOX_SHARE * y_len
              and abs(int(v_last[a:b + 1].max()) - h1) <= 0.05 * y_len]
    if tops and rights:
        t0, t1 = tops[0]
        r0, r1 = rights[-1]
        top = _centre(darkness, t0, t1, slice(xa, xb + 1))
        right = _centre(darkness.T, r0, r1, slice(ya, yb + 1))
        box = True
    else:
        # no box: the frame ends where the axis lines end (the edge of the last pixel)
        top, right, box = ya - 0.5, xb + 0.5, False
    if right - left < 10 or bottom - top < 10:
        return None
    return Frame(left=left, top=top, right=right, bottom=bottom, thickness=thickness, box=box)
