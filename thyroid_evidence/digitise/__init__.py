"""Automatic digitisation of Kaplan-Meier figures: an image or a PDF page to curve points.

:func:`digitise_figure` reads a figure and returns a :class:`DigitisedFigure`: per curve the
step corners in data units, named by colour (or by legend text, read from a vector PDF), a
confidence and the places the trace was unsure of. Rasters (PNG, JPEG, ...) are traced
(:mod:`.raster`); vector PDF pages are read exactly from their drawn paths (:mod:`.vector`).
:func:`write_points` writes ``curve,time,survival`` for ``thyroid-evidence reconstruct``.

Science layer: reads files with Pillow and pdfplumber, never draws (no matplotlib) and knows no
evidence table.
"""

from thyroid_evidence.digitise.calibrate import Calibration
from thyroid_evidence.digitise.io import (
    companion_paths,
    digitise_figure,
    figure_image,
    read_image,
    write_points,
)
from thyroid_evidence.digitise.result import (
    DigitisedFigure,
    DigitiseError,
    TracedCurve,
    UnsureSpan,
)

__all__ = [
    "Calibration",
    "DigitiseError",
    "DigitisedFigure",
    "TracedCurve",
    "UnsureSpan",
    "companion_paths",
    "digitise_figure",
    "figure_image",
    "read_image",
    "write_points",
]
