"""The one axes/style helper of the plotting layer: new axes or the given ones, footers, colours.

Every ``plot_*`` function draws on ``ax`` when given and otherwise on :func:`new_axes`, writes
its source line with :func:`footer`, and takes its colours from here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from thyroid_evidence.vocab import DISCLAIMER

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = [
    "DISCLAIMER",
    "HISTOTYPE_COLORS",
    "HISTOTYPE_LABELS",
    "LEVEL_COLORS",
    "MAX_ASPECT",
    "NOTE_COLOR",
    "PALETTE",
    "TEXT_COLOR",
    "footer",
    "limit_aspect",
    "new_axes",
]

#: Display names of the histotypes of Table 1 (and "differentiated" = PTC + FTC).
HISTOTYPE_LABELS: Mapping[str, str] = {
    "papillary": "Papillary (PTC)",
    "follicular": "Follicular (FTC)",
    "medullary": "Medullary (MTC)",
    "anaplastic": "Anaplastic (ATC)",
    "differentiated": "Differentiated (DTC)",
}
#: Okabe-Ito colours (readable with the common colour-vision deficiencies and in grey).
HISTOTYPE_COLORS: Mapping[str, str] = {
    "papillary": "#0072B2",
    "follicular": "#009E73",
    "medullary": "#E69F00",
    "anaplastic": "#D55E00",
    "differentiated": "#56B4E9",
}
#: Colours of the risk levels in :func:`~thyroid_evidence.plotting.plot_stratification`.
LEVEL_COLORS: Mapping[str, str] = {
    "very low": "#9ad9c4",
    "low": "#009E73",
    "intermediate": "#F0C05A",
    "high": "#C2410C",
    "indeterminate": "#e0e0e0",
}
#: Okabe-Ito colours for rows that belong to different series.
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: Colour of labels on a chart.
TEXT_COLOR = "#333333"
#: Colour of footnotes and secondary labels.
NOTE_COLOR = "#555555"


def new_axes(ax: Axes | None, size: tuple[float, float], *, constrained: bool = False) -> Axes:
    """``ax`` itself, or the Axes of a new figure of ``size`` inches.

    Parameters
    ----------
    ax : matplotlib Axes or None
    size : (float, float)
        Width and height of a new figure.
    constrained : bool
        Lay a new figure out with matplotlib's constrained layout (charts whose footer and
        labels reach past the axes).
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    if constrained:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    else:
        _, ax = plt.subplots(figsize=size)
    return ax


def footer(ax: Any, text: str) -> None:
    """Source line under the x label (an Axes child, so constrained layout makes room)."""
    width = max(60, int(ax.figure.get_figwidth() * 13))
    ax.annotate(textwrap.fill(text, width), xy=(0, 0),
                xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -6),
                textcoords="offset points", fontsize=8, color=NOTE_COLOR, ha="left",
                va="top", annotation_clip=False)


#: Widest figure the plots make: width / height (journals and slides take up to about 2.5:1).
MAX_ASPECT = 2.4


def limit_aspect(ax: Axes, max_aspect: float = MAX_ASPECT) -> None:
    """Make the figure holding only ``ax`` at most ``max_aspect`` times as wide as tall, by
    adding height (a laid-out figure spreads its rows over it); other figures are left alone."""
    fig = ax.figure
    if len(fig.axes) != 1:
        return
    width, height = fig.get_size_inches()
    if width > max_aspect * height:
        fig.set_size_inches(width, width / max_aspect)
