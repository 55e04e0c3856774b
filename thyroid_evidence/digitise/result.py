"""What a digitisation returns: the traced curves, where they were unsure, and the frame.

Frozen result objects only (no reading, no drawing): :class:`DigitisedFigure` holds one
:class:`TracedCurve` per curve found, each with its step corners in data units, a confidence in
[0, 1] and the :class:`UnsureSpan` stretches where the trace had no ink of its own to follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from thyroid_evidence.digitise.calibrate import Calibration
from thyroid_evidence.exceptions import ThyroidEvidenceError


class DigitiseError(ThyroidEvidenceError, ValueError):
    """A figure cannot be digitised; the message names the file or parameter and what is
    allowed."""


@dataclass(frozen=True)
class UnsureSpan:
    """A stretch of one curve the trace was unsure of.

    Attributes
    ----------
    time_start, time_end : float
        The stretch in data units (equal for a single place, such as one drop).
    survival : float
        The traced survival at the start of the stretch.
    reason : str
        Why, in words (``"no ink of its own: hidden under another curve or a gap"``, ...).
    """

    time_start: float
    time_end: float
    survival: float
    reason: str


@dataclass(frozen=True, eq=False)
class TracedCurve:
    """One digitised curve.

    Attributes
    ----------
    name : str
        Legend text when read (vector PDFs), otherwise the colour's name (``"blue"``,
        ``"black"``; a second curve of the same colour name gets ``"-2"``).
    colour : tuple of float
        The curve's RGB colour, each in [0, 1].
    time, survival : ndarray
        The step corners in data units, in staircase order (survival as a fraction when the
        y range is given as a fraction).
    confidence : float in [0, 1]
        The share of the curve's width traced on ink of its own colour (1.0 for a vector path,
        read exactly).
    unsure : tuple of UnsureSpan
        Where the trace was unsure.
    """

    name: str
    colour: tuple[float, float, float]
    time: np.ndarray
    survival: np.ndarray
    confidence: float
    unsure: tuple[UnsureSpan, ...]

    def to_frame(self) -> pd.DataFrame:
        """``curve, time, survival``: the step corners."""
        return pd.DataFrame({"curve": self.name, "time": self.time,
                             "survival": self.survival})


@dataclass(frozen=True, eq=False)
class DigitisedFigure:
    """A digitised Kaplan-Meier figure.

    Attributes
    ----------
    source : str
        The file read (with ``#page=N`` for a PDF page).
    kind : {"raster", "vector"}
        Pixels traced, or vector paths read.
    calibration : Calibration
        The plot frame in the figure's own units (pixels, or PDF points from the page's top
        left) and the data values at its edges.
    size : tuple of float
        The figure's width and height in the same units.
    curves : tuple of TracedCurve
        In the order found (by colour frequency for rasters, drawing order for vectors).
    notes : tuple of str
        What was removed or assumed, in words.
    """

    source: str
    kind: str
    calibration: Calibration
    size: tuple[float, float]
    curves: tuple[TracedCurve, ...]
    notes: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """``curve, time, survival`` for every curve, one after the other."""
        return pd.concat([c.to_frame() for c in self.curves], ignore_index=True)

    def summary_frame(self) -> pd.DataFrame:
        """One row per curve: ``curve, colour, corners, confidence, unsure``."""
        return pd.DataFrame({
            "curve": [c.name for c in self.curves],
            "colour": ["#" + "".join(f"{round(255 * v):02x}" for v in c.colour)
                       for c in self.curves],
            "corners": [len(c.time) for c in self.curves],
            "confidence": [round(c.confidence, 3) for c in self.curves],
            "unsure": [len(c.unsure) for c in self.curves],
        })

    def unsure_frame(self) -> pd.DataFrame:
        """One row per unsure place: ``curve, time_start, time_end, survival, reason``."""
        rows = [(c.name, u.time_start, u.time_end, u.survival, u.reason)
                for c in self.curves for u in c.unsure]
        return pd.DataFrame(rows, columns=["curve", "time_start", "time_end", "survival",
                                           "reason"])

    def curve(self, name: str) -> TracedCurve:
        """The curve called ``name``.

        Raises
        ------
        LookupError
            If there is none (the message lists the names).
        """
        for c in self.curves:
            if c.name == name:
                return c
        raise LookupError(f"no curve {name!r}; curves: {', '.join(c.name for c in self.curves)}")
