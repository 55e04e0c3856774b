"""The table around a forest-style plot: text columns left and right of the axes, rows, notes.

A forest plot is a table with a picture in one column (as R's ``meta::forest`` draws it): the
study, its events and total on the left, the estimate and its interval on the right. The
columns are measured with the figure's renderer and placed in inches from the edges of the
axes; the y axis is in inches too (one unit = one inch, rows top-down from 0), so that a
figure is exactly as tall as its rows and as wide as its columns. :func:`fit_figure` then
gives a figure holding only this Axes that size (never wider than :data:`MAX_ASPECT` times
its height).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from thyroid_evidence.plotting.style import MAX_ASPECT, NOTE_COLOR, TEXT_COLOR

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["LAYOUTS", "MAX_ASPECT", "Column", "Row", "TableLayout", "draw_columns",
           "estimate_text", "fit_figure", "layout_columns", "notes_below", "row_positions",
           "superscript"]

#: Gap between two text columns, inches.
COLUMN_GAP = 0.14
#: Height of one line of table text, inches (at :data:`FONT_SIZE`).
LINE_HEIGHT = 0.19
#: Font size of the table, points.
FONT_SIZE = 8.5
_SUPERSCRIPTS = dict(zip("abcdefghij", "ᵃᵇᶜᵈᵉᶠᵍʰⁱʲ", strict=True))


def superscript(letter: str) -> str:
    """A footnote marker as a superscript letter ("a" -> "ᵃ"); other text unchanged."""
    return _SUPERSCRIPTS.get(letter, letter)


@dataclass(frozen=True)
class Column:
    """One text column: its header and one cell per row (``""`` for none).

    ``side`` is ``"left"`` or ``"right"`` of the axes, ``align`` the alignment of the cells
    (``"left"``, ``"right"`` or ``"center"``), ``bold`` the rows written in bold (pooled rows).
    """

    header: str
    cells: Sequence[str]
    side: str = "right"
    align: str = "left"
    bold: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Row:
    """One row of the table: its height in lines and whether it is a heading (spanning the
    table in bold) or a pooled row (bold)."""

    lines: int = 1
    heading: str = ""
    pooled: bool = False


@dataclass(frozen=True)
class TableLayout:
    """Where the rows and text columns went, in inches (returned by :func:`draw_columns`).

    ``ys``: the y of each row (data units are inches, growing downwards from the header);
    ``left`` / ``right``: the room the text columns take left and right of the axes;
    ``height``: the height of header and rows.
    """

    ys: tuple[float, ...]
    left: float
    right: float
    height: float


def row_positions(rows: Sequence[Row], header_lines: int = 1) -> tuple[list[float], float]:
    """y of each row's centre (inches below the top of the header) and the total height."""
    y = header_lines * LINE_HEIGHT + 0.12
    ys = []
    for row in rows:
        h = row.lines * LINE_HEIGHT + 0.08
        ys.append(y + h / 2)
        y += h
    return ys, y + 0.04


def draw_columns(ax: Axes, rows: Sequence[Row], columns: Sequence[Column], *,
                 plot_width: float | None = None, header_lines: int = 1) -> TableLayout:
    """Write ``columns`` beside ``ax``, one cell per row, and set the y axis to the rows.

    Parameters
    ----------
    ax : matplotlib Axes
    rows : sequence of Row
    columns : sequence of Column
        Left columns from the outside in, then right columns from the axes outwards.
    plot_width : float, optional
        Width of the axes in inches once the figure is fitted (default: its width now).
    header_lines : int
        Lines the headers take.

    Returns
    -------
    TableLayout
    """
    from matplotlib.transforms import blended_transform_factory

    fig = ax.figure
    ys, height = row_positions(rows, header_lines)
    ax.set_ylim(height, 0.0)  # inches, top-down
    ax.set_yticks([])
    renderer = fig.canvas.get_renderer()
    width_in = plot_width if plot_width is not None else (
        ax.get_window_extent(renderer).width / fig.dpi)
    text_tf = blended_transform_factory(ax.transAxes, ax.transData)
    header_y = (header_lines * LINE_HEIGHT) / 2 + 0.04

    def measure(texts: list[Any]) -> float:
        return max((t.get_window_extent(renderer).width / fig.dpi for t in texts if
                    t.get_text()), default=0.0)

    placed: dict[str, list[tuple[Column, list[Any], float]]] = {"left": [], "right": []}
    for col in columns:
        texts = [ax.text(0, y, cell, transform=text_tf, va="center", fontsize=FONT_SIZE,
                         color=TEXT_COLOR, ha=col.align,
                         fontweight="bold" if (i in col.bold or row.pooled) else "normal")
                 for i, (y, cell, row) in enumerate(zip(ys, col.cells, rows, strict=True))]
        head = ax.text(0, header_y, col.header, transform=text_tf, va="center",
                       fontsize=FONT_SIZE, fontweight="bold", color=TEXT_COLOR, ha=col.align)
        texts.append(head)
        placed[col.side].append((col, texts, measure(texts)))
    # left columns: the last one touches the axes; right columns start at the axes
    edge = 0.0
    for col, texts, w in reversed(placed["left"]):
        start = edge - COLUMN_GAP - w
        _place(texts, col.align, start, w, width_in, 0.0)
        edge = start
    left = -edge
    edge = 0.0
    for col, texts, w in placed["right"]:
        start = edge + COLUMN_GAP
        _place(texts, col.align, start, w, width_in, 1.0)
        edge = start + w
    right = edge
    for y, row in zip(ys, rows, strict=True):
        if row.heading:
            ax.text(-left / width_in, y, row.heading, transform=text_tf, va="center",
                    ha="left", fontsize=FONT_SIZE, fontweight="bold", color=TEXT_COLOR)
    return TableLayout(ys=tuple(ys), left=left, right=right, height=height)


def _place(texts: list[Any], align: str, start: float, width: float, axes_width: float,
           origin: float) -> None:
    """Move ``texts`` to their column: ``start`` inches from the axes edge at ``origin``."""
    x = {"left": start, "right": start + width, "center": start + width / 2}[align]
    for t in texts:
        t.set_x(origin + x / axes_width)


def notes_below(ax: Axes, lines: Sequence[tuple[str, dict[str, Any]]], *, left: float,
                width: float, start: float = 0.42) -> float:
    """Write notes under the x axis from the left end of the table; returns their height.

    ``lines``: (text, text properties) pairs; each is wrapped to ``width`` inches.
    """
    y = start
    for text, props in lines:
        size = props.get("fontsize", 7.5)
        chars = max(40, int(width * 72 / (0.58 * size)))
        wrapped = textwrap.fill(text, chars)
        n = wrapped.count("\n") + 1
        ax.annotate(wrapped, xy=(0, 0), xycoords="axes fraction",
                    xytext=(-left * 72, -y * 72), textcoords="offset points", va="top",
                    ha="left", fontsize=size, color=props.get("color", NOTE_COLOR),
                    annotation_clip=False, fontweight=props.get("fontweight", "normal"))
        y += n * size * 1.25 / 72 + 0.03
    return y


def fit_figure(ax: Axes, layout: TableLayout, *, plot_width: float, top: float = 0.35,
               bottom: float = 0.6) -> None:
    """Size the figure that holds only ``ax`` to its table: the columns, the plot, the rows,
    ``top`` inches for the title and ``bottom`` inches for the x axis and the notes; never
    wider than :data:`MAX_ASPECT` times its height (the rows are then spread out, since the
    y axis is in the rows' inches). A figure with other Axes is left alone."""
    fig = ax.figure
    if len(fig.axes) != 1:
        return
    pad = 0.08
    width = layout.left + plot_width + layout.right + 2 * pad
    height = top + layout.height + bottom
    if width > MAX_ASPECT * height:
        height = width / MAX_ASPECT
    if fig.get_layout_engine() is not None:
        fig.set_layout_engine("none")
    fig.set_size_inches(width, height)
    fig.subplots_adjust(left=(layout.left + pad) / width,
                        right=1 - (layout.right + pad) / width,
                        top=1 - top / height, bottom=bottom / height)


#: Layouts of :func:`layout_columns`, as R's ``meta::forest(layout = ...)`` names them.
LAYOUTS: tuple[str, ...] = ("meta", "RevMan5", "JAMA")


def estimate_text(layout: str, p: float, lo: float, hi: float, *, percent: bool = True) -> str:
    """An estimate and its interval as the layout prints it: meta "41.7 [19.3; 68.0]",
    RevMan5 "41.7 [19.3, 68.0]", JAMA "41.7 (19.3–68.0)" (proportions with 2 decimals, or
    percentages with 1, as ``percent`` says)."""
    scale, digits = (100.0, 1) if percent else (1.0, 2)

    def f(v: float) -> str:
        return f"{v * scale:.{digits}f}"

    if layout == "JAMA":
        return f"{f(p)} ({f(lo)}\u2013{f(hi)})"
    sep = "; " if layout == "meta" else ", "
    return f"{f(p)} [{f(lo)}{sep}{f(hi)}]"


def layout_columns(
    layout: str,
    labels: Sequence[str],
    events: Sequence[str],
    totals: Sequence[str],
    estimates: Sequence[str],
    intervals: Sequence[str],
    *,
    weights: Sequence[str] | None = None,
    study_header: str = "Study",
    measure: str = "Proportion",
    level: str = "95%",
    bold: frozenset[int] = frozenset(),
) -> tuple[list[Column], int]:
    """The text columns of a forest-style plot in one of :data:`LAYOUTS`, and the number of
    header lines.

    meta (R's ``meta::forest`` default): Study, Events, Total on the left; the measure, its
    interval and the weight on the right. RevMan5: Study, Events, Total, Weight and
    "measure, IV, Random, CI" on the left, the plot on the right. JAMA: Source, "No. of
    events / total" and "measure (CI)" on the left, the plot, then the weight.

    ``estimates`` and ``intervals`` are the two halves of each row's estimate text (meta prints
    them in two columns, the others in one: ``estimate + " " + interval``).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}")
    both = [f"{e} {i}".strip() for e, i in zip(estimates, intervals, strict=True)]
    if layout == "meta":
        cols = [Column(study_header, labels, "left", "left", bold),
                Column("Events", events, "left", "right", bold),
                Column("Total", totals, "left", "right", bold),
                Column(measure, estimates, "right", "right", bold),
                Column(f"{level} CI", intervals, "right", "left", bold)]
        if weights is not None:
            cols.append(Column("Weight", weights, "right", "right", bold))
        return cols, 1
    if layout == "RevMan5":
        cols = [Column(study_header if study_header != "Study" else "Study or Subgroup",
                       labels, "left", "left", bold),
                Column("Events", events, "left", "right", bold),
                Column("Total", totals, "left", "right", bold)]
        if weights is not None:
            cols.append(Column("Weight", weights, "left", "right", bold))
        cols.append(Column(f"{measure}\nIV, Random, {level} CI", both, "left", "left", bold))
        return cols, 2
    counts = [f"{e}/{t}" if e and t else (e or t) for e, t in zip(events, totals, strict=True)]
    cols = [Column("Source" if study_header == "Study" else study_header, labels, "left",
                   "left", bold),
            Column("No. of events/total", counts, "left", "right", bold),
            Column(f"{measure} ({level} CI)", both, "left", "left", bold)]
    if weights is not None:
        cols.append(Column("Weight, %", weights, "right", "right", bold))
    return cols, 1
