"""Digitised points over the figure they came from (:func:`plot_digitised`)."""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING

import numpy as np

from thyroid_evidence.digitise.result import DigitisedFigure
from thyroid_evidence.plotting.style import NOTE_COLOR, new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def plot_digitised(figure: DigitisedFigure, image: np.ndarray | None = None, *,
                   ax: Axes | None = None) -> Axes:
    """The step corners of every digitised curve, over the figure when its pixels are given.

    The image is placed in data coordinates (its extent computed from the calibration), so the
    points sit where they were read; a faithful digitisation hides the curves under its
    markers, and a misread step shows as a marker off its line. Unsure stretches are shaded.

    Parameters
    ----------
    figure : DigitisedFigure
        From :func:`thyroid_evidence.digitise.digitise_figure`.
    image : ndarray, shape (height, width, 3), optional
        The figure's pixels (:func:`thyroid_evidence.digitise.figure_image`; a PDF page at any
        resolution).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(figure, DigitisedFigure):
        raise TypeError(f"figure must be a DigitisedFigure; got {type(figure).__name__}")
    width, height = figure.size
    ax = new_axes(ax, (7.0, 5.0))
    if image is not None:
        image = np.asarray(image)
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise ValueError(f"image must be (height, width, 3 or 4) pixels; got shape "
                             f"{image.shape}")
        # the image's pixels may be finer than the figure units (a PDF page rendered at a
        # resolution): the extent is that of the whole figure either way
        left, right, bottom, top = figure.calibration.extent(width, height)
        ax.imshow(image, extent=(left, right, bottom, top), aspect="auto",
                  interpolation="nearest", zorder=0)
        ax.set_xlim(left, right)
        ax.set_ylim(bottom, top)
    for curve in figure.curves:
        ax.plot(curve.time, curve.survival, ls="none", marker="o", ms=3.5, mfc="none",
                mec=curve.colour if max(curve.colour) > 0.05 else "black", mew=1.0,
                label=f"{curve.name} ({len(curve.time)} corners, confidence "
                      f"{curve.confidence:.2f})", zorder=3)
        for span in curve.unsure:
            ax.axvspan(span.time_start, span.time_end, color=NOTE_COLOR, alpha=0.15,
                       lw=0, zorder=1)
    ax.legend(loc="best", fontsize=8, frameon=True)
    ax.set_xlabel("Time (units of the figure's x axis)")
    ax.set_ylabel("Survival (as on the figure's y axis)")
    # the file's name only: a figure's bytes must not depend on where the project lives
    ax.set_title(f"Digitised from {PurePath(figure.source).name} ({figure.kind})", fontsize=9)
    return ax
