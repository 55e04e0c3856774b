"""Table 2 applied to example patients, as a grid coloured by risk level."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from thyroid_evidence.plotting.style import (
    DISCLAIMER,
    LEVEL_COLORS,
    footer,
    limit_aspect,
    new_axes,
)
from thyroid_evidence.vocab import STAGING_FIELD_LABELS

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["plot_stratification"]


def plot_stratification(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Grid of the example patients (rows) by system (ATA, TNM), coloured by level.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`thyroid_evidence.study.stratification_table`; its ``in_gap`` and
        ``out_of_scope`` columns say why an indeterminate level is one. Unknown facts
        (``missing``) are named by :data:`thyroid_evidence.vocab.STAGING_FIELD_LABELS`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import textwrap

    from matplotlib.patches import Rectangle

    lacking = [c for c in ("patient", "system", "level", "missing", "in_gap", "out_of_scope")
               if c not in table.columns]
    if lacking:
        raise ValueError(f"table lacks the column(s) {', '.join(lacking)}; pass the output of "
                         "stratification_table")
    patients = list(dict.fromkeys(table["patient"]))
    systems = list(dict.fromkeys(table["system"]))
    ax = new_axes(ax, (10.0, 1.0 + 0.8 * len(patients)), constrained=True)
    for row in table.itertuples(index=False):
        y = len(patients) - patients.index(row.patient)
        x = systems.index(row.system)
        color = LEVEL_COLORS.get(row.level, LEVEL_COLORS["indeterminate"])
        ax.add_patch(Rectangle((x + 0.02, y - 0.46), 0.96, 0.92, color=color, zorder=2))
        dark = row.level in ("low", "high")
        detail = ""
        if row.missing:
            names = [STAGING_FIELD_LABELS.get(name, name.replace("_", " "))
                     for name in str(row.missing).split(", ")]
            detail = "unknown: " + ", ".join(names[:2]) + (
                f" (+{len(names) - 2} more)" if len(names) > 2 else "")
        elif row.level == "indeterminate" and row.in_gap:
            detail = "a gap: no row of Table 2 applies"
        elif row.level == "indeterminate" and row.out_of_scope:
            detail = "outside the scope of Table 2"
        ax.text(x + 0.5, y + (0.2 if detail else 0), row.level, ha="center",
                va="center", zorder=3, fontsize=12, fontweight="bold",
                color="white" if dark else "#222222")
        if detail:
            ax.text(x + 0.5, y - 0.17, textwrap.fill(detail, 36), ha="center", va="center",
                    zorder=3, fontsize=8.5, linespacing=1.1,
                    color="white" if dark else "#222222")
    ax.set_xlim(0, len(systems))
    ax.set_ylim(0.5, len(patients) + 0.5)
    ax.set_xticks([i + 0.5 for i in range(len(systems))])
    ax.set_xticklabels([f"{s} risk (Table 2)" for s in systems], fontsize=12,
                       fontweight="bold")
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(patients), 0, -1))
    ax.set_yticklabels([textwrap.fill(str(p), 28) for p in patients], fontsize=11)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    footer(ax, "Table 2 of the review applied by thyroid_evidence.staging to made-up "
            "patients. " + DISCLAIMER)
    limit_aspect(ax)
    return ax
