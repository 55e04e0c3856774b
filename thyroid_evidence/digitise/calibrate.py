"""Calibration: the plot frame in figure units and the data values at its edges.

The x and y ranges a user gives are the data values at the edges of the plot frame (the axes
box, or the axis lines where a figure has no box). Figure units are pixels for an image and PDF
points for a page, both measured from the top left, so y grows downwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    """The frame ``left, top, right, bottom`` (figure units) and the data ranges at its edges.

    Attributes
    ----------
    left, top, right, bottom : float
        The frame's edges; ``right > left`` and ``bottom > top``.
    x_range, y_range : tuple of float
        The data values at the left and right edges, and at the bottom and top edges.
    """

    left: float
    top: float
    right: float
    bottom: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def to_data(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Figure units to data units."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        t = x0 + (np.asarray(x, float) - self.left) / (self.right - self.left) * (x1 - x0)
        s = y0 + (self.bottom - np.asarray(y, float)) / (self.bottom - self.top) * (y1 - y0)
        return t, s

    def to_figure(self, t: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Data units to figure units."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        x = self.left + (np.asarray(t, float) - x0) / (x1 - x0) * (self.right - self.left)
        y = self.bottom - (np.asarray(s, float) - y0) / (y1 - y0) * (self.bottom - self.top)
        return x, y

    def extent(self, width: float, height: float) -> tuple[float, float, float, float]:
        """The data coordinates of a whole figure ``width x height`` (left, right, bottom,
        top), for drawing the figure under the points."""
        t, s = self.to_data(np.array([0.0, width]), np.array([height, 0.0]))
        return float(t[0]), float(t[1]), float(s[0]), float(s[1])


def check_range(values: object, name: str) -> tuple[float, float]:
    """A data range ``(low, high)``: two finite numbers, ``low < high``.

    Raises
    ------
    TypeError
        For something other than two numbers.
    ValueError
        For values that are not finite or not increasing (the message names ``name``).
    """
    try:
        low, high = values  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be two numbers (low, high); got {values!r}") from None
    out = []
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise TypeError(f"{name} must be two numbers (low, high); got {values!r}")
        if not math.isfinite(float(v)):
            raise ValueError(f"{name}: {v!r} is not a finite number")
        out.append(float(v))
    if not out[0] < out[1]:
        raise ValueError(f"{name}: {out[0]:g} {out[1]:g} — the first value (at the "
                         f"{'left' if 'x' in name else 'bottom'} edge) "
                         "must be smaller than the second; inverted or empty ranges are refused")
    return out[0], out[1]
