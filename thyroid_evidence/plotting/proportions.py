"""Reported proportions with their intervals, one row each and nothing pooled."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.plotting.style import DISCLAIMER, NOTE_COLOR, PALETTE, footer, new_axes
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
        per_series = ", ".join(
            f"{m:.2f} ({sid})"
            for sid, m in adjusted.groupby("series_id", sort=False)["units_per_patient"]
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
            (r.endpoint.replace("_", " ") + (f": {r.category.replace('_', ' ')}"
                                             if isinstance(r.category, str) else ""))
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
    return ax


def _row_label(row: pd.Series, with_series: bool, with_source: bool = False) -> str:
    parts = [row["endpoint"].replace("_", " ")]
    if row["category"]:
        parts.append(row["category"].replace("_", " "))
    if row["subgroup"]:
        parts.append(f"[{row['subgroup']}]")
    if pd.notna(row["time_months"]):
        parts.append(f"at {row['time_months']:g} mo")
    text = ": ".join(parts[:2]) + "".join(f" {p}" for p in parts[2:])
    if with_source:
        text += f" ({row['source_id']})"
    return f"{row['series_id']} · {text}" if with_series else text


def plot_proportion_table(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    with_series: bool = False,
    alpha: float = 0.05,
) -> Axes:
    """Forest-style plot of reported proportions, one row each, nothing pooled.

    Rows with a count show the observed proportion (filled square) and its interval; rows
    without one (a time-point rate, no denominator, a percentage that fits no k/n, a crude
    count of a time-to-event endpoint) show the reported value as an open square (none for a
    crude time-to-event count, which estimates no proportion) with the reason on the right
    (the table's ``interval_note``). Per-lesion (per-procedure) rows with
    a cluster adjustment add its widest interval as a thin line, and a note under the axis
    states the unit of analysis, the ICC range and the lesions per patient
    (:func:`cluster_assumption`).

    Parameters
    ----------
    table : DataFrame
        From :func:`thyroid_evidence.study.proportion_table`.
    ax : matplotlib Axes, optional
    title : str, optional
    with_series : bool
        Prefix each label with its series id (for tables spanning several series).
    alpha : float in (0, 1)
        One minus the confidence level the table's intervals were made with (for the note
        under the axis).

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.transforms import blended_transform_factory

    if table.empty:
        raise ValueError("table is empty: no reported proportion to plot")
    n_rows = len(table)
    ax = new_axes(ax, (10.0, 1.4 + 0.38 * n_rows))
    ys = np.arange(n_rows, 0, -1, dtype=float)
    text_tf = blended_transform_factory(ax.transAxes, ax.transData)
    methods = {m for m in table["method"] if m}
    clustered = "cluster_ci_low" in table.columns
    for y, (_, row) in zip(ys, table.iterrows(), strict=True):
        estimate = 100.0 * row["estimate"]
        units = UNIT_OF_ANALYSIS_WORDS.get(row["unit_of_analysis"], "")
        if pd.notna(row["ci_low"]):
            if clustered and pd.notna(row["cluster_ci_low"]):
                ax.hlines(y, 100 * row["cluster_ci_low"], 100 * row["cluster_ci_high"],
                          color="0.45", lw=0.8)
            ax.hlines(y, 100 * row["ci_low"], 100 * row["ci_high"], color="0.2", lw=2.0)
            ax.plot(estimate, y, "s", color="0.2", markersize=6)
            note = (f"{int(row['events'])}/{int(row['total'])} {units}  {estimate:.1f}% "
                    f"[{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]")
            if clustered and pd.notna(row["cluster_ci_low"]):
                note += (f"; clustered [{100 * row['cluster_ci_low']:.1f}, "
                         f"{100 * row['cluster_ci_high']:.1f}]")
            if row["events_basis"] != "stated":
                note += f"  (k {row['events_basis']})"
        else:
            if pd.notna(estimate):  # a crude time-to-event count has no place on this axis
                ax.plot(estimate, y, "s", mfc="white", mec="0.2", markersize=6)
            reason = (row["interval_note"].split(";")[0] if "interval_note" in table.columns
                      else f"no interval: {row['events_basis']}")
            note = f"{row['reported']}  {reason}"
        ax.text(1.02, y, note, transform=text_tf, va="center", fontsize=8)
    ax.set_yticks(ys)
    # rows of one series from several sources (the review, a paper's abstract) say whose
    with_source = "source_id" in table.columns and table["source_id"].nunique() > 1
    ax.set_yticklabels([_row_label(r, with_series, with_source) for _, r in table.iterrows()],
                       fontsize=8.5)
    ax.set_xlim(-2, 102)
    ax.set_ylim(0.3, n_rows + 0.7)
    ax.set_xlabel("Proportion (%)")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    level = ", ".join(sorted(methods)) or "none"
    confidence = f"{100 * (1 - alpha):g}"
    key = (f"Filled squares: k/n with {confidence}% interval ({level}); open squares: "
           "reported value without a binomial interval (reason on the right). Nothing is pooled.")
    assumption = cluster_assumption(table)
    if assumption:
        key += "\n" + "\n".join(textwrap.wrap(assumption, 150))
    ax.annotate(key, xy=(0, 0), xycoords="axes fraction", xytext=(0, -40),
                textcoords="offset points", fontsize=7.5, color=NOTE_COLOR, va="top")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax
