"""Reported proportions with their intervals, one row each and nothing pooled."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.plotting.style import DISCLAIMER, PALETTE, footer, new_axes

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["plot_proportion_table", "plot_proportions"]


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
    for y, row in zip(ys, table.itertuples(index=False), strict=True):
        color = PALETTE[series.index(row.series_id) % len(PALETTE)]
        ax.plot([100 * row.ci_low, 100 * row.ci_high], [y, y], color=color, lw=3,
                solid_capstyle="butt", zorder=3)
        ax.plot([100 * row.proportion], [y], "o", ms=10, color=color, mec="white", mew=1.2,
                zorder=4)
        ax.text(1.03, y, f"{row.events}/{row.total} {row.unit_of_analysis}s   "
                f"{100 * row.proportion:.0f}% [{100 * row.ci_low:.0f}–{100 * row.ci_high:.0f}]",
                transform=ax.get_yaxis_transform(), va="center", fontsize=10, color=color)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=10.5)
    ax.set_xlim(0, 100)
    ax.set_ylim(0.4, n + 0.6)
    ax.set_xlabel(f"Proportion (%), dot = reported, line = exact {1 - alpha:.0%} confidence "
                  "interval", fontsize=10)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    footer(ax, "Counts and denominators from evidence/outcomes.csv. " + DISCLAIMER)
    return ax


def _row_label(row: pd.Series, with_series: bool) -> str:
    parts = [row["endpoint"].replace("_", " ")]
    if row["category"]:
        parts.append(row["category"].replace("_", " "))
    if row["subgroup"]:
        parts.append(f"[{row['subgroup']}]")
    if pd.notna(row["time_months"]):
        parts.append(f"at {row['time_months']:g} mo")
    text = ": ".join(parts[:2]) + "".join(f" {p}" for p in parts[2:])
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
    without one (a time-point rate, no denominator, a percentage that fits no k/n) show the
    reported value as an open square with the reason on the right.

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
    for y, (_, row) in zip(ys, table.iterrows(), strict=True):
        estimate = 100.0 * row["estimate"]
        if pd.notna(row["ci_low"]):
            ax.hlines(y, 100 * row["ci_low"], 100 * row["ci_high"], color="0.2", lw=1.3)
            ax.plot(estimate, y, "s", color="0.2", markersize=6)
            note = (f"{int(row['k'])}/{int(row['n'])}  {estimate:.1f}% "
                    f"[{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]")
            if row["k_basis"] != "stated":
                note += f"  (k {row['k_basis']})"
        else:
            ax.plot(estimate, y, "s", mfc="white", mec="0.2", markersize=6)
            note = f"{row['reported']}  no interval: {row['k_basis']}"
        ax.text(1.02, y, note, transform=text_tf, va="center", fontsize=8)
    ax.set_yticks(ys)
    ax.set_yticklabels([_row_label(r, with_series) for _, r in table.iterrows()], fontsize=8.5)
    ax.set_xlim(-2, 102)
    ax.set_ylim(0.3, n_rows + 0.7)
    ax.set_xlabel("Proportion (%)")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    level = ", ".join(sorted(methods)) or "none"
    confidence = f"{100 * (1 - alpha):g}"
    ax.annotate(f"Filled squares: k/n with {confidence}% interval ({level}); open squares: "
                "reported "
                "value without a binomial interval. Nothing is pooled.",
                xy=(0, 0), xycoords="axes fraction", xytext=(0, -40),
                textcoords="offset points", fontsize=7.5, color="0.35", va="top")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax
