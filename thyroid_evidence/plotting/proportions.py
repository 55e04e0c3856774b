"""Reported proportions with their intervals, one row each and nothing pooled."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.plotting.forest_table import LAYOUTS
from thyroid_evidence.plotting.style import DISCLAIMER, PALETTE, footer, limit_aspect, new_axes
from thyroid_evidence.study.formatting import display_label
from thyroid_evidence.validation import check_choice
from thyroid_evidence.vocab import UNIT_OF_ANALYSIS_WORDS

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["cluster_assumption", "plot_proportion_table", "plot_proportions"]

#: Columns that carry the cluster adjustment of per-lesion rows (see
#: :func:`thyroid_evidence.study.proportion_table`).
_CLUSTER = ("units_per_patient", "icc_low", "icc_high", "cluster_ci_low", "cluster_ci_high")


def cluster_assumption(table: pd.DataFrame) -> str:
    """The per-lesion assumption of a proportion table, in words ("" without such rows).

    Names the unit of analysis of the rows that count lesions (or procedures), the ICC range
    and the mean units per patient behind their cluster-adjusted intervals, or that they are
    taken as independent where the series gives no count to adjust with.

    Parameters
    ----------
    table : DataFrame
        From :func:`thyroid_evidence.study.proportion_table` or
        :func:`thyroid_evidence.study.reported_proportions`.

    Returns
    -------
    str
    """
    if "unit_of_analysis" not in table.columns or not set(_CLUSTER) <= set(table.columns):
        return ""
    nested = table[(table["unit_of_analysis"] != "patient") & table["ci_low"].notna()]
    if nested.empty:
        return ""
    parts = []
    for unit, rows in nested.groupby("unit_of_analysis", sort=False):
        words = UNIT_OF_ANALYSIS_WORDS.get(unit, f"{unit}s")
        adjusted = rows[rows["cluster_ci_low"].notna()]
        if adjusted.empty:
            parts.append(f"per-{unit} rows take the {words} as independent (no count of "
                         f"{words} per patient to adjust with)")
            continue
        icc = sorted({(r.icc_low, r.icc_high) for r in adjusted.itertuples(index=False)})
        icc_text = ", ".join(f"{lo:g}\u2013{hi:g}" for lo, hi in icc)
        name = "series_label" if "series_label" in adjusted.columns else "series_id"
        per_series = ", ".join(
            f"{m:.2f} ({label})"
            for label, m in adjusted.groupby(name, sort=False)["units_per_patient"]
            .first().items()
        )
        text = (f"per-{unit} rows: thick line = interval with the {words} taken as "
                f"independent; thin line = widest cluster-adjusted interval, design effect "
                f"1 + (m \u2212 1)\u00b7ICC with ICC {icc_text} (assumed, not reported) and m "
                f"{words} per patient = {per_series}")
        if len(adjusted) < len(rows):
            text += f"; other per-{unit} rows unadjusted"
        parts.append(text)
    return "Unit of analysis: " + "; ".join(parts) + "."


def plot_proportions(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    alpha: float = 0.05,
) -> Axes:
    """Reported proportions as dots with their confidence intervals, one row each; no
    pooling (the rows measure different things).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`thyroid_evidence.study.reported_proportions`.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        One label per row (default: endpoint and category).
    title : str, optional
    alpha : float in (0, 1)
        One minus the confidence level used for ``table`` (for the axis label only).

    Returns
    -------
    matplotlib Axes
    """
    lacking = [c for c in ("events", "total", "proportion", "ci_low", "ci_high", "series_id")
               if c not in table.columns]
    if lacking:
        raise ValueError(f"table lacks the column(s) {', '.join(lacking)}; pass the output of "
                         "reported_proportions")
    n = len(table)
    if labels is None:
        labels = [
            display_label(r.endpoint) + (f": {display_label(r.category)}"
                                         if isinstance(r.category, str) else "")
            for r in table.itertuples(index=False)
        ]
    if len(labels) != n:
        raise ValueError(f"labels must have one entry per row ({n}); got {len(labels)}")
    series = list(dict.fromkeys(table["series_id"]))
    ax = new_axes(ax, (9.0, 1.4 + 0.6 * n), constrained=True)
    ys = np.arange(n, 0, -1, dtype=float)
    clustered = "cluster_ci_low" in table.columns
    for y, row in zip(ys, table.itertuples(index=False), strict=True):
        color = PALETTE[series.index(row.series_id) % len(PALETTE)]
        if clustered and pd.notna(row.cluster_ci_low):
            ax.plot([100 * row.cluster_ci_low, 100 * row.cluster_ci_high], [y, y], color=color,
                    lw=1.0, solid_capstyle="butt", zorder=2)
        ax.plot([100 * row.ci_low, 100 * row.ci_high], [y, y], color=color, lw=3,
                solid_capstyle="butt", zorder=3)
        ax.plot([100 * row.proportion], [y], "o", ms=10, color=color, mec="white", mew=1.2,
                zorder=4)
        text = (f"{row.events}/{row.total} {row.unit_of_analysis}s   "
                f"{100 * row.proportion:.0f}% [{100 * row.ci_low:.0f}–{100 * row.ci_high:.0f}]")
        if clustered and pd.notna(row.cluster_ci_low):
            text += (f"; clustered [{100 * row.cluster_ci_low:.0f}–"
                     f"{100 * row.cluster_ci_high:.0f}]")
        ax.text(1.03, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=10,
                color=color)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=10.5)
    ax.set_xlim(0, 100)
    ax.set_ylim(0.4, n + 0.6)
    ax.set_xlabel(f"Proportion (%), dot = reported, line = {1 - alpha:.0%} confidence "
                  "interval", fontsize=10)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    assumption = cluster_assumption(table)
    footer(ax, "Counts and denominators from evidence/outcomes.csv. "
           + (f"{assumption} " if assumption else "") + DISCLAIMER)
    limit_aspect(ax)
    return ax


#: Footnotes of rows whose count is inferred, by ``events_basis``.
_BASIS_NOTES = {
    "from percent": "Events inferred from the printed percentage and the total (the count "
                    "whose percentage rounds to the printed one).",
    "from percent, only if truncated": "Events inferred from the printed percentage only if "
                                       "it was truncated rather than rounded (see the audit).",
}


def _groups(table: pd.DataFrame, with_series: bool) -> list[tuple[str, pd.DataFrame]]:
    """Blocks of rows under a heading: by series (with ``with_series``) and by source where
    one series has rows from several sources; no heading for a single block."""
    keys = (["series_label"] if with_series else []) + ["source_label"]
    blocks = list(table.groupby(keys, sort=False, dropna=False))
    several_sources = table.groupby("series_label", sort=False)["source_label"].nunique()
    out = []
    for key, rows in blocks:
        key = key if isinstance(key, tuple) else (key,)
        source = key[-1]
        series = key[0] if with_series else ""
        by = f"as reported by {source}"
        if with_series:
            heading = (f"{series}, {by}" if several_sources.get(series, 1) > 1 else series)
        else:
            heading = by[0].upper() + by[1:] if len(blocks) > 1 else ""
        out.append((heading, rows))
    return out


def plot_proportion_table(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    with_series: bool = False,
    alpha: float = 0.05,
    layout: str = "meta",
    fit: bool = True,
) -> Axes:
    """Forest-style plot of reported proportions, one row each, nothing pooled.

    A table with a picture in one column, as R's ``meta::forest`` draws it: what is measured,
    events and total on the left, the proportion and its interval on the right (``layout``
    "RevMan5" and "JAMA" order the columns as those styles do). Rows with a count show the
    observed proportion (filled square) and its interval; rows without one (a time-point
    rate, no denominator, a percentage that fits no k/n, a crude count of a time-to-event
    endpoint) show the reported value as an open square (none for a crude time-to-event
    count, which estimates no proportion) and a footnote with the reason (the table's
    ``interval_note``). Per-lesion (per-procedure) rows with a cluster adjustment add its
    widest interval as a thin line and a column, and a note under the axis states the unit
    of analysis, the ICC range and the lesions per patient (:func:`cluster_assumption`).
    Rows are grouped under the series' and sources' labels (``series_label``,
    ``source_label``), never their ids.

    Parameters
    ----------
    table : DataFrame
        From :func:`thyroid_evidence.study.proportion_table`.
    ax : matplotlib Axes, optional
    title : str, optional
    with_series : bool
        Group the rows under their series (for tables spanning several series).
    alpha : float in (0, 1)
        One minus the confidence level the table's intervals were made with.
    layout : {"meta", "RevMan5", "JAMA"}
        Column order and interval style.
    fit : bool
        Size the figure to the rows and columns (when ``ax`` is its figure's only Axes): as
        tall as the rows need and at most :data:`~thyroid_evidence.plotting.forest_table.
        MAX_ASPECT` times as wide.

    Returns
    -------
    matplotlib Axes
    """
    from thyroid_evidence.plotting.forest_table import (
        Row,
        draw_columns,
        estimate_text,
        fit_figure,
        layout_columns,
        notes_below,
        superscript,
    )

    if table.empty:
        raise ValueError("table is empty: no reported proportion to plot")
    lacking = [c for c in ("series_label", "source_label", "outcome_label") if c not in table]
    if lacking:
        raise ValueError(f"table lacks the column(s) {', '.join(lacking)}; pass the output of "
                         "proportion_table")
    check_choice(layout, "layout", LAYOUTS)
    ax = new_axes(ax, (7.0, 3.0))
    level = f"{100 * (1 - alpha):g}%"
    clustered = "cluster_ci_low" in table.columns and table["cluster_ci_low"].notna().any()
    notes: dict[str, str] = {}

    def mark(note: str) -> str:
        letter = notes.setdefault(note, "abcdefghij"[min(len(notes), 9)])
        return superscript(letter)

    rows: list[Row] = []
    labels, events, totals, estimates, intervals, adjusted = [], [], [], [], [], []
    drawn: list[tuple[int, pd.Series]] = []
    for heading, block in _groups(table, with_series):
        if heading:
            rows.append(Row(heading=heading))
            for cells in (labels, events, totals, estimates, intervals, adjusted):
                cells.append("")
        for _, row in block.iterrows():
            wrapped = textwrap.wrap(row["outcome_label"], 44) or [""]
            rows.append(Row(lines=len(wrapped)))
            labels.append(("  " if heading else "") + "\n  ".join(wrapped) if heading
                          else "\n".join(wrapped))
            units = UNIT_OF_ANALYSIS_WORDS.get(row["unit_of_analysis"], "")
            has_count = pd.notna(row["events"])
            basis = _BASIS_NOTES.get(row["events_basis"], "")
            events.append((f"{int(row['events'])}" + (mark(basis) if basis else ""))
                          if has_count else "")
            totals.append(f"{int(row['total'])} {units}" if pd.notna(row["total"]) else "")
            if pd.notna(row["ci_low"]):
                text = estimate_text(layout, row["estimate"], row["ci_low"], row["ci_high"])
                est, ci = text.split(" ", 1)
                estimates.append(est)
                intervals.append(ci)
                adjusted.append(estimate_text(layout, row["estimate"], row["cluster_ci_low"],
                                              row["cluster_ci_high"]).split(" ", 1)[1]
                                if clustered and pd.notna(row["cluster_ci_low"]) else "")
            else:
                reason = str(row.get("interval_note", "") or f"no interval: "
                             f"{row['events_basis']}")
                reason = reason[0].upper() + reason[1:] + ("" if reason.endswith(".") else ".")
                estimates.append(str(row["reported"]) + mark(reason))  # as printed
                intervals.append("")
                adjusted.append("")
            drawn.append((len(rows) - 1, row))
    columns, header_lines = layout_columns(
        layout, labels, events, totals, estimates, intervals, study_header="Outcome",
        measure="Proportion", level=level)
    if clustered:
        columns.append(type(columns[0])(header="Clustered CI", cells=adjusted, side="right"))
    plot_width = 2.6
    placed = draw_columns(ax, rows, columns, plot_width=plot_width, header_lines=header_lines)
    for i, row in drawn:
        y = placed.ys[i]
        if pd.notna(row["ci_low"]):
            if clustered and pd.notna(row["cluster_ci_low"]):
                ax.hlines(y, 100 * row["cluster_ci_low"], 100 * row["cluster_ci_high"],
                          color="0.45", lw=0.8)
            ax.hlines(y, 100 * row["ci_low"], 100 * row["ci_high"], color="0.2", lw=2.0)
            ax.plot(100 * row["estimate"], y, "s", color="0.2", markersize=6)
        elif pd.notna(row["estimate"]):  # a crude time-to-event count has no place here
            ax.plot(100 * row["estimate"], y, "s", mfc="white", mec="0.2", markersize=6)
    ax.set_xlim(-2, 102)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_xlabel("Proportion (%)", fontsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.spines[["top", "right", "left"]].set_visible(False)
    methods = ", ".join(sorted({m for m in table["method"] if m})) or "none"
    lines = [(f"Filled squares: k/n with {level} interval ({methods}); open squares: reported "
              "value without a binomial interval. Nothing is pooled.", {})]
    lines += [(f"{superscript(letter)} {note}", {}) for note, letter in notes.items()]
    assumption = cluster_assumption(table)
    if assumption:
        lines.append((assumption, {}))
    width = placed.left + plot_width + placed.right
    below = notes_below(ax, lines, left=placed.left, width=width)
    top = 0.12
    if title:
        ax.annotate(textwrap.fill(title, max(40, int(width * 72 / 5.6))), xy=(0, 1),
                    xycoords="axes fraction", xytext=(-placed.left * 72, 4),
                    textcoords="offset points", ha="left", va="bottom", fontsize=10,
                    annotation_clip=False)
        top += 0.2 * (textwrap.fill(title, max(40, int(width * 72 / 5.6))).count("\n") + 1)
    if fit:
        fit_figure(ax, placed, plot_width=plot_width, top=top, bottom=below + 0.05)
    return ax
