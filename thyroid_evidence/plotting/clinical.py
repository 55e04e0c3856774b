"""Table 1 and the review's context as pictures: ranges, bounds, sites, temperatures, series.

How ranges are drawn (rows of :func:`thyroid_evidence.study.clinical_feature_values`, by their
``shape``): a ``"range"`` is a thick bar from low to high, a ``"value"`` a dot, an
``"upper_bound"`` a pale band from 0 to the bound closed by a bar at the bound (the true value
lies anywhere below it), a ``"lower_bound"`` the mirror image. Every chart labels each mark
with the review's own wording (``"80–85%"``, ``"up to 25%"``).

Every function takes its data first, ``ax=None`` (a new figure) and returns the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.plotting.style import (
    DISCLAIMER,
    HISTOTYPE_COLORS,
    HISTOTYPE_LABELS,
    NOTE_COLOR,
    TEXT_COLOR,
    footer,
    limit_aspect,
    new_axes,
)
from thyroid_evidence.study.clinical import SHAPES
from thyroid_evidence.study.formatting import display_label, number_or_none
from thyroid_evidence.vocab import POPULATION_KIND_LABELS

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = [
    "plot_ablation_temperatures",
    "plot_feature_ranges",
    "plot_metastases_at_presentation",
    "plot_metastatic_sites",
    "plot_prevalence",
    "plot_series_overview",
    "plot_ten_year_survival",
]

#: Display labels of Table 1 sites whose words differ from their id.
_SITE_LABELS = {"lung_mediastinum": "lung / mediastinum"}
#: Tick labels of the ablation techniques of context.csv (line-broken to fit under the bars).
_TECHNIQUE_NAMES = {
    "rfa_mwa_temperature": "Radiofrequency /\nmicrowave ablation",
    "cryoablation_temperature": "Cryo-ablation",
}
#: Bar colour of each population kind of :func:`thyroid_evidence.study.series_overview`.
_KIND_COLORS = {
    POPULATION_KIND_LABELS["thyroid_cancer"]: "#0072B2",
    POPULATION_KIND_LABELS["mixed_primaries"]: "#E69F00",
    POPULATION_KIND_LABELS["other_primary"]: "#999999",
    POPULATION_KIND_LABELS["unspecified"]: "#d9d9d9",
}


def _site_label(site: str) -> str:
    return _SITE_LABELS.get(site, display_label(site))


def _source_line(frame: pd.DataFrame) -> str:
    """Footer naming where the review prints the rows of ``frame`` (its ``source`` column)."""
    return "Source: " + "; ".join(dict.fromkeys(frame["source"])) + ". " + DISCLAIMER


def plot_feature_ranges(
    frame: pd.DataFrame,
    *,
    ax: Axes | None = None,
    labels: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    positions: Sequence[float] | None = None,
    xlabel: str = "Percent of patients",
    title: str | None = None,
    xmax: float = 100.0,
    bound_note: str = "upper bound",
    legend: bool = True,
    legend_loc: str = "lower right",
) -> Axes:
    """Draw rows of :func:`~thyroid_evidence.study.clinical_feature_values` as ranges, dots and
    open bounds.

    Parameters
    ----------
    frame : DataFrame
        Columns ``low``, ``high``, ``shape`` and ``printed`` (as from
        :func:`clinical_feature_values`).
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        One y label per row (default: the histotype names).
    colors : sequence of str, optional
        One colour per row (default: by histotype).
    positions : sequence of float, optional
        y position of each row (default: top to bottom, one unit apart).
    xlabel, title : str
    xmax : float
        Right end of the x axis (0 on the left).
    bound_note : str
        Added to the printed wording of an upper bound, e.g. "up to 25% (upper bound)".
    legend : bool
        Explain the marks in a legend.
    legend_loc : str
        Where the legend goes (a matplotlib ``loc``).

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    missing = [c for c in ("low", "high", "shape", "printed") if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {', '.join(missing)}")
    n = len(frame)
    if n == 0:
        raise ValueError("frame has no rows to draw")
    if labels is None:
        labels = [HISTOTYPE_LABELS.get(h, h) for h in frame.get("histotype", [""] * n)]
    if colors is None:
        colors = [HISTOTYPE_COLORS.get(h, "#444444") for h in frame.get("histotype", [""] * n)]
    ys = np.arange(n, 0, -1, dtype=float) if positions is None else np.asarray(positions, float)
    if not len(labels) == len(colors) == len(ys) == n:
        raise ValueError("labels, colors and positions must have one entry per row of frame")
    ax = new_axes(ax, (8.0, 1.2 + 0.55 * n), constrained=True)
    bar_height = 0.42
    for y, color, row in zip(ys, colors, frame.itertuples(index=False), strict=True):
        low, high, shape = number_or_none(row.low), number_or_none(row.high), row.shape
        if shape == "range":
            ax.barh(y, high - low, left=low, height=bar_height, color=color, zorder=3)
            end = high
            text = row.printed
        elif shape == "value":
            ax.plot([low], [y], "o", ms=11, color=color, mec="white", mew=1.2, zorder=4)
            end = low
            text = row.printed
        elif shape == "upper_bound":
            ax.barh(y, high, left=0, height=bar_height, color=color, alpha=0.22, zorder=2,
                    hatch="///", edgecolor=color, linewidth=0)
            ax.plot([high, high], [y - bar_height / 1.6, y + bar_height / 1.6], color=color,
                    lw=3.5, solid_capstyle="butt", zorder=4)
            end = high
            text = f"{row.printed} ({bound_note})" if bound_note else row.printed
        elif shape == "lower_bound":
            ax.barh(y, xmax - low, left=low, height=bar_height, color=color, alpha=0.22,
                    zorder=2, hatch="\\\\\\", edgecolor=color, linewidth=0)
            ax.plot([low, low], [y - bar_height / 1.6, y + bar_height / 1.6], color=color,
                    lw=3.5, solid_capstyle="butt", zorder=4)
            end = low
            text = f"{row.printed} (lower bound)"
        else:
            raise ValueError(f"shape={shape!r} is not drawable; allowed: {', '.join(SHAPES)}")
        ax.annotate(text, (end, y), xytext=(9, 0), textcoords="offset points", va="center",
                    fontsize=11, color=TEXT_COLOR, fontweight="bold", zorder=5)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=11)
    ax.set_xlim(0, xmax)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_xlabel(xlabel, fontsize=11)
    ax.tick_params(axis="x", labelsize=10)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    if legend:
        shapes = set(frame["shape"])
        handles = []
        if "range" in shapes:
            handles.append(Patch(color="#777777", label="range printed in the review"))
        if "value" in shapes:
            handles.append(Line2D([], [], marker="o", ls="", ms=9, color="#777777",
                                  label="single value"))
        if "upper_bound" in shapes:
            handles.append(Patch(facecolor="#dddddd", hatch="///", edgecolor="#777777",
                                 label="upper bound: the value lies anywhere below the bar"))
        if "lower_bound" in shapes:
            handles.append(Patch(facecolor="#dddddd", hatch="\\\\\\", edgecolor="#777777",
                                 label="lower bound: the value lies anywhere above the bar"))
        ax.legend(handles=handles, loc=legend_loc, frameon=True, framealpha=0.95,
                  edgecolor="#dddddd", fontsize=9.5)
    limit_aspect(ax)
    return ax


def plot_prevalence(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Share of thyroid cancers that are PTC, FTC, MTC and ATC (Table 1, "Prevalence").

    Parameters
    ----------
    frame : DataFrame
        ``clinical_feature_values("prevalence", evidence)``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = plot_feature_ranges(frame, ax=ax, xlabel="Share of all thyroid cancers (%)",
                             title="How common is each histotype?")
    footer(ax, _source_line(frame))
    return ax


def plot_ten_year_survival(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Ten-year survival by histotype (Table 1, "Prognosis (10-year survival)").

    Parameters
    ----------
    frame : DataFrame
        ``clinical_feature_values("ten_year_survival", evidence)``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = plot_feature_ranges(frame, ax=ax,
                             xlabel="Patients alive 10 years after diagnosis (%)",
                             title="Ten-year survival by histotype")
    footer(ax, _source_line(frame))
    return ax


def plot_metastatic_sites(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Common sites of metastases per histotype, with their frequencies (Table 1).

    One block of rows per histotype (in Table 1's order), one row per site; printed ranges are
    bars, single values dots.

    Parameters
    ----------
    frame : DataFrame
        ``clinical_feature_values("metastatic_site", evidence)``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    positions, labels, colors, headers = [], [], [], []
    y = 0.0
    for histotype, block in frame.groupby("histotype", sort=False):
        y -= 1.0
        headers.append((y, histotype))
        for site in block["site"]:
            y -= 1.0
            positions.append(y)
            labels.append(_site_label(site))
            colors.append(HISTOTYPE_COLORS.get(histotype, "#444444"))
        y -= 0.4
    ax = new_axes(ax, (8.5, 0.42 * (len(frame) + 2 * len(headers)) + 1.6), constrained=True)
    plot_feature_ranges(frame, ax=ax, labels=labels, colors=colors, positions=positions,
                        xlabel="Frequency printed in Table 1 (%)",
                        title="Where does each histotype spread?")
    for y_head, histotype in headers:
        ax.text(0, y_head, HISTOTYPE_LABELS.get(histotype, histotype),
                transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=12,
                fontweight="bold", color=HISTOTYPE_COLORS.get(histotype, "#444444"))
    ax.set_ylim(min(positions) - 0.8, max(y for y, _ in headers) + 0.8)
    footer(ax, _shared_denominator_note(frame) + _source_line(frame))
    return ax


def _shared_denominator_note(frame: pd.DataFrame) -> str:
    """Which percentages share a denominator, with the sums that show they overlap."""
    over = []
    for histotype, block in frame.groupby("histotype", sort=False):
        lows = block["low"].fillna(block["high"]).sum()
        if lows > 100:
            name = HISTOTYPE_LABELS.get(histotype, histotype).split(" (")[-1].rstrip(")")
            over.append(f"{name} {lows:g}%")
    overlap = (f"; their lower ends already add to more than 100% ({', '.join(over)}), so "
               "one patient can count at several sites" if over else "")
    return ("The table states no denominators: the percentages of one histotype are read as "
            "shares of one group of patients, not parts of a whole" + overlap + "; percentages "
            "of different histotypes have different denominators. ")


def plot_metastases_at_presentation(frame: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Distant metastases already present at diagnosis, by histotype (section "Metastatic
    disease"); "up to" values are drawn as upper bounds.

    Parameters
    ----------
    frame : DataFrame
        ``clinical_feature_values("distant_metastases", evidence)``; its boolean
        ``at_presentation`` column says which figures the review places at presentation (the
        footer names the others).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    ValueError
        If ``frame`` has no ``at_presentation`` column.
    """
    if "at_presentation" not in frame.columns:
        raise ValueError("frame lacks the column at_presentation; pass "
                         "clinical_feature_values('distant_metastases', evidence)")
    labels = [
        HISTOTYPE_LABELS.get(h, h) + (" = PTC + FTC" if h == "differentiated" else "")
        for h in frame["histotype"]
    ]
    # the at_presentation column says which rows the review itself places at presentation;
    # the title claims it only when every row is
    flags = [bool(v) for v in frame["at_presentation"]]
    title = ("Distant metastases at presentation" if flags and all(flags)
             else "Distant metastases by histotype")
    ax = plot_feature_ranges(frame, ax=ax, labels=labels,
                             xlabel="Patients with distant metastases (%)",
                             title=title, xmax=100.0)
    short = [HISTOTYPE_LABELS.get(h, h).split(" (")[-1].rstrip(")") for h in frame["histotype"]]
    stated = " and ".join(name for name, flag in zip(short, flags, strict=True) if flag)
    named = " and ".join(name for name, flag in zip(short, flags, strict=True) if not flag)
    if not named:
        caveat = ""
    elif stated:
        caveat = (f"'At presentation' is stated for {stated} only; the review gives the {named} "
                  "figures in the same breath without saying so. ")
    else:
        caveat = f"The review does not say that the {named} figures are at presentation. "
    footer(ax, caveat + _source_line(frame))
    return ax


def plot_ablation_temperatures(facts: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Intra-tumoral temperatures that ablation reaches: heat above a threshold, cold around
    a value.

    Parameters
    ----------
    facts : DataFrame
        ``context_facts("ablation_temperature", evidence)``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    comparators = facts.set_index("fact_id")["comparator"]
    values = facts["value"].to_numpy(float)
    top = max(values.max(), 0.0) + 45.0
    bottom = min(values.min(), 0.0) - 30.0
    ax = new_axes(ax, (8.0, 5.4), constrained=True)
    ax.axhspan(bottom, 0, color="#deebf7", zorder=0)
    ax.axhspan(0, top, color="#fee0d2", zorder=0)
    ax.axhline(0, color="#777777", lw=1, zorder=1)
    ax.text(-0.55, 0, "0 ℃", ha="left", va="bottom", fontsize=10, color="#555555")
    for i, row in enumerate(facts.itertuples(index=False)):
        comparator = comparators.get(row.fact_id)
        color = "#cb181d" if row.value > 0 else "#2171b5"
        if comparator in (">=", ">", "<=", "<"):
            tip = top - 3 if comparator.startswith(">") else bottom + 3
            ax.annotate("", xy=(i, tip), xytext=(i, row.value),
                        arrowprops={"arrowstyle": "simple,head_width=1.6,head_length=1.2",
                                    "color": color, "alpha": 0.45, "mutation_scale": 22},
                        zorder=3)
            ax.plot([i - 0.2, i + 0.2], [row.value, row.value], color=color, lw=5,
                    solid_capstyle="butt", zorder=4)
        else:
            ax.plot([i], [row.value], "o", ms=20, color=color, zorder=4, mec="white", mew=2)
        ax.text(i + 0.27, row.value, row.printed, va="center", ha="left", fontsize=14,
                fontweight="bold", color=color, zorder=5)
    ax.set_xticks(range(len(facts)))
    ax.set_xticklabels([_TECHNIQUE_NAMES.get(f, f) for f in facts["fact_id"]], fontsize=12)
    ax.set_xlim(-0.6, len(facts) + 0.2)
    ax.set_ylim(bottom, top)
    ax.set_ylabel("Intra-tumoral temperature (℃)", fontsize=11)
    ax.set_title("Ablation kills tumour tissue by heat or by cold", fontsize=13, loc="left",
                 fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    footer(ax, "Source: review, " + facts["location"].iloc[0] + " (ref. 13). " + DISCLAIMER)
    return ax


def plot_series_overview(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """How many patients each series treated, whose cancers they were, and how long they
    were followed: the limits of the evidence in one picture.

    Parameters
    ----------
    table : DataFrame
        From :func:`thyroid_evidence.study.series_overview` (its ``location`` column names
        the review's sections in the footer).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import textwrap

    from matplotlib.patches import Patch

    n = len(table)
    ax = new_axes(ax, (11.0, 1.6 + 0.95 * n), constrained=True)
    ys = np.arange(n, 0, -1, dtype=float)
    sizes = [number_or_none(v) or 0.0 for v in table["n_patients"]]
    largest = max(sizes)
    for y, n_pat, row in zip(ys, sizes, table.itertuples(index=False), strict=True):
        ax.barh(y, n_pat, height=0.6, color=_KIND_COLORS[row.population_kind],
                zorder=3)
        share = number_or_none(row.thyroid_share_percent)
        if share is not None:
            ax.barh(y, n_pat * share / 100.0, height=0.6,
                    color=_KIND_COLORS[POPULATION_KIND_LABELS["thyroid_cancer"]], zorder=4)
        lesions = number_or_none(row.n_lesions)
        first = f"{n_pat:.0f} patients" + (f", {lesions:.0f} lesions" if lesions else "")
        if share is not None:
            first += f"; thyroid primaries {share:g}%"
        second = f"follow-up: {row.follow_up if isinstance(row.follow_up, str) else 'not reported'}"
        ax.annotate(first, (n_pat, y), xytext=(7, 5), textcoords="offset points",
                    va="bottom", fontsize=11, fontweight="bold", color=TEXT_COLOR)
        ax.annotate(second, (n_pat, y), xytext=(7, -3), textcoords="offset points",
                    va="top", fontsize=10, color=NOTE_COLOR)
    ax.set_yticks(ys)
    ax.set_yticklabels([textwrap.fill(f"{t} [{display_label(s)}]", 34)
                        for t, s in zip(table["title"], table["target_site"], strict=True)],
                       fontsize=10)
    ax.set_xlim(0, largest * 1.75)
    ax.set_ylim(0.4, n + 0.6)
    ax.set_xlabel("Patients in the series", fontsize=11)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title("The series in the evidence", fontsize=13, loc="left", fontweight="bold")
    # a legend entry for every kind drawn (a share of thyroid primaries draws that colour too)
    drawn = set(table["population_kind"])
    if table["thyroid_share_percent"].map(number_or_none).notna().any():
        drawn.add(POPULATION_KIND_LABELS["thyroid_cancer"])
    handles = [Patch(color=c, label=k) for k, c in _KIND_COLORS.items() if k in drawn]
    ax.legend(handles=handles, loc="center right", frameon=True, framealpha=0.95,
              edgecolor="#dddddd", fontsize=9.5, title="population treated", title_fontsize=9.5)
    # the review's sections that report the series (the first part of each location)
    sections = dict.fromkeys(str(loc).split(" > ")[0] for loc in table["location"])
    footer(ax, "Source: evidence/series.csv and outcomes.csv ("
           + ", ".join(f"'{section}'" for section in sections) + "). " + DISCLAIMER)
    limit_aspect(ax)
    return ax
