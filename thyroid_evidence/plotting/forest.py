"""Forest plot of a pooled proportion, laid out as R's ``meta::forest`` does (or as RevMan 5 or
JAMA do, on request)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from thyroid_evidence.plotting.forest_table import (
    LAYOUTS,
    Row,
    draw_columns,
    estimate_text,
    fit_figure,
    layout_columns,
    notes_below,
)
from thyroid_evidence.plotting.style import new_axes
from thyroid_evidence.proportions import PooledProportion, proportion_ci
from thyroid_evidence.validation import check_choice
from thyroid_evidence.vocab import CI_METHODS

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["heterogeneity_text", "plot_forest"]

_CI_NAMES = {
    "model": "Wald, model scale",
    "clopper-pearson": "Clopper-Pearson",
    "wilson": "Wilson",
    "jeffreys": "Jeffreys",
    "agresti-coull": "Agresti-Coull",
}
#: Marker and diamond colours of each layout (meta: grey squares; RevMan 5: blue squares and
#: a black diamond; JAMA: navy).
_COLOURS = {"meta": ("0.45", "0.45"), "RevMan5": ("#1f4e9e", "black"),
            "JAMA": ("#1f3a68", "#1f3a68")}


def _p(value: float, layout: str) -> str:
    if layout == "JAMA":  # JAMA style: no zero before the decimal point, P < .001
        return "P < .001" if value < 0.001 else f"P = {value:.2f}".replace("0.", ".", 1)
    if layout == "RevMan5":
        return "P < 0.00001" if value < 1e-5 else f"P = {value:.2f}"
    return "p < 0.0001" if value < 1e-4 else f"p = {value:.2f}"


def heterogeneity_text(result: PooledProportion, layout: str = "meta") -> str:
    """The heterogeneity line of a forest plot in the style of ``layout``, or why none is given.

    meta: "Heterogeneity: I² = 38%, τ² = 0.0312, p = 0.19"; RevMan5: "Heterogeneity: Tau² =
    0.03; Chi² = 4.82, df = 3 (P = 0.19); I² = 38%"; JAMA: "Heterogeneity: τ² = 0.03;
    χ²₃ = 4.82 (P = .19); I² = 38%". With fewer than three studies, the result's
    ``heterogeneity_note`` instead (no τ², I² or prediction interval is claimed), and for one
    study that nothing was pooled.
    """
    check_choice(layout, "layout", LAYOUTS)
    if result.k == 1:
        return "Single study: nothing pooled, heterogeneity undefined"
    if not result.heterogeneity_estimable:
        return result.heterogeneity_note
    if layout == "RevMan5":
        return (f"Heterogeneity: Tau\u00b2 = {result.tau2:.2f}; Chi\u00b2 = {result.q:.2f}, "
                f"df = {result.q_df} ({_p(result.q_pvalue, layout)}); "
                f"I\u00b2 = {result.i2:.0f}%")
    if layout == "JAMA":
        return (f"Heterogeneity: \u03c4\u00b2 = {result.tau2:.2f}; \u03c7\u00b2 = "
                f"{result.q:.2f}, df = {result.q_df} ({_p(result.q_pvalue, layout)}); "
                f"I\u00b2 = {result.i2:.0f}%")
    return (f"Heterogeneity: I\u00b2 = {result.i2:.1f}%, \u03c4\u00b2 = {result.tau2:.3g} "
            f"({result.transform} scale), Q = {result.q:.2f} (df = {result.q_df}), "
            f"{_p(result.q_pvalue, layout)}")


def plot_forest(
    result: PooledProportion,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "Proportion",
    percent: bool = True,
    show_counts: bool = True,
    study_ci: str = "clopper-pearson",
    note: str | None = None,
    layout: str = "meta",
    fit: bool = True,
) -> Axes:
    """Forest plot of a :class:`PooledProportion`, with the columns a reader of R's meta
    expects.

    A table with the picture in one column: study, events and total on the left; the
    proportion, its confidence interval and the study's weight on the right (``layout="meta"``,
    as ``meta::forest``); ``"RevMan5"`` puts every number left of the plot, as Review Manager
    5 does, and ``"JAMA"`` writes "No. of events/total" and "proportion (95% CI)" left of it.
    Each study is a square sized by its weight with a line for its interval; the pooled
    estimate is a diamond spanning its confidence interval, the prediction interval a bar
    beneath it, and a line under the table gives I², τ² and Q. With fewer than three studies
    (``result.heterogeneity_estimable`` False) no prediction interval is drawn and the line
    says why heterogeneity is not estimated (``result.heterogeneity_note``) instead of
    printing τ² = I² = 0.

    Parameters
    ----------
    result : PooledProportion
        Output of :func:`pool_proportions`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when omitted.
    title : str, optional
        Title; by default it names the method and transform.
    xlabel : str
        Label of the x axis.
    percent : bool
        Show the axis and the numbers in percent (True) or as proportions.
    show_counts : bool
        Write the events and totals of each study.
    study_ci : {"clopper-pearson", "wilson", "jeffreys", "agresti-coull", "model"}
        Interval drawn for each study around its observed proportion ``events/total``. The
        default exact interval suits small series; ``"model"`` draws the Wald interval on the
        pooling scale (``studies.ci_low``/``ci_high``, as metafor's forest plot), which is
        centred on the 1/2-corrected value for studies with 0 or n events.
    note : str, optional
        A line printed under the key, for the assumption behind the counts (for example that
        the lesions of one patient are taken as independent).
    layout : {"meta", "RevMan5", "JAMA"}
        Columns and number style (see above).
    fit : bool
        Size the figure to its rows and columns (when ``ax`` is its figure's only Axes).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``result`` is not a :class:`PooledProportion`.
    ValueError
        For an unknown ``study_ci`` or ``layout``.
    """
    from matplotlib.patches import Polygon

    if not isinstance(result, PooledProportion):
        raise TypeError(f"result must be a PooledProportion; got {type(result).__name__}")
    check_choice(study_ci, "study_ci", (*CI_METHODS, "model"))
    check_choice(layout, "layout", LAYOUTS)
    st = result.studies
    k = result.k
    with_pi = result.heterogeneity_estimable
    if study_ci == "model":
        s_low, s_high = st["ci_low"].to_numpy(), st["ci_high"].to_numpy()
    else:
        bounds = [
            proportion_ci(int(e), int(n), method=study_ci, alpha=result.alpha)
            for e, n in zip(st["events"], st["total"], strict=True)
        ]
        s_low, s_high = np.array(bounds).T
    ax = new_axes(ax, (7.0, 3.0))
    scale = 100.0 if percent else 1.0
    level = f"{100 * (1 - result.alpha):g}%"
    weights = st["weight"].to_numpy()
    pooled_name = {"FE": "Common effect model", "GLMM": "Random effects model (GLMM)"}.get(
        result.method, f"Random effects model ({result.method})")
    if k == 1:
        pooled_name = "Single study (not pooled)"
    default_title = f"{pooled_name}, {result.transform} transform, k = {k}"
    if layout == "RevMan5" and k > 1:
        pooled_name = f"Total ({level} CI)"

    def est(p: float, lo: float, hi: float) -> tuple[str, str]:
        text = estimate_text(layout, p, lo, hi, percent=percent)
        first, rest = text.split(" ", 1)
        return first, rest

    labels = list(st["label"]) + [pooled_name]
    events = ([str(int(e)) for e in st["events"]] + [str(int(st["events"].sum()))]
              if show_counts else [""] * (k + 1))
    totals = ([str(int(n)) for n in st["total"]] + [str(int(st["total"].sum()))]
              if show_counts else [""] * (k + 1))
    halves = [est(p, lo, hi) for p, lo, hi in zip(st["proportion"], s_low, s_high,
                                                  strict=True)]
    halves.append(est(result.estimate, result.ci_low, result.ci_high))
    wcells = [f"{w:.1f}%" for w in weights] + ["100.0%"]
    rows = [Row() for _ in range(k)] + [Row(pooled=True)]
    if with_pi:
        labels.append("Prediction interval")
        events.append("")
        totals.append("")
        halves.append(("", est(result.estimate, result.pi_low, result.pi_high)[1]))
        wcells.append("")
        rows.append(Row())
    measure = "Proportion (%)" if percent else "Proportion"
    if layout == "RevMan5":
        measure = "Proportion" + (" (%)" if percent else "")
    columns, header_lines = layout_columns(
        layout, labels, events, totals, [h[0] for h in halves], [h[1] for h in halves],
        weights=wcells, measure=measure, level=level)
    plot_width = 2.4
    placed = draw_columns(ax, rows, columns, plot_width=plot_width, header_lines=header_lines)
    ys = np.array(placed.ys)
    square, diamond_colour = _COLOURS[layout]
    sizes = 15.0 + 85.0 * weights / max(weights.max(), 1e-12)  # marker area ~ weight
    ax.hlines(ys[:k], s_low * scale, s_high * scale, color="0.2", lw=1.0, zorder=2)
    ax.scatter(st["proportion"] * scale, ys[:k], s=sizes, marker="s", color=square, zorder=3)
    y_pool = ys[k]
    half = 0.07
    ax.add_patch(Polygon(
        [(result.ci_low * scale, y_pool), (result.estimate * scale, y_pool - half),
         (result.ci_high * scale, y_pool), (result.estimate * scale, y_pool + half)],
        closed=True, facecolor=diamond_colour, edgecolor="black", lw=0.8, zorder=4))
    if with_pi:
        y_pi = ys[k + 1]
        ax.add_patch(Polygon(
            [(result.pi_low * scale, y_pi - 0.03), (result.pi_high * scale, y_pi - 0.03),
             (result.pi_high * scale, y_pi + 0.03), (result.pi_low * scale, y_pi + 0.03)],
            closed=True, facecolor="#c00000", edgecolor="#c00000", zorder=3))
    ax.axvline(result.estimate * scale, color="0.4", lw=0.8, ls=":", zorder=1)
    ax.set_xlim(0, 1.0 * scale)
    ax.set_xticks(np.linspace(0, scale, 5))
    ax.set_xlabel(f"{xlabel} (%)" if percent else xlabel, fontsize=8.5)
    ax.tick_params(axis="x", labelsize=8)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.grid(axis="x", color="0.9", lw=0.6, zorder=0)

    het = heterogeneity_text(result, layout)
    extra = ", Hartung-Knapp" if result.hakn and result.method != "GLMM" else ""
    key = (f"Squares: observed proportions (area ~ weight), lines: {level} CI "
           f"({_CI_NAMES[study_ci]}); " + (
               f"diamond: {level} CI of the pooled estimate; red bar: {level} prediction "
               "interval" if with_pi else f"diamond: {level} CI of the pooled estimate"
               if k > 1 else f"diamond: {level} Wald CI on the {result.transform} scale"))
    lines = [(het + extra, {"fontsize": 8, "color": "#333333"}), (key, {})]
    if note:
        lines.append((note, {}))
    width = placed.left + plot_width + placed.right
    below = notes_below(ax, lines, left=placed.left, width=width)
    if title is None:
        title = default_title
    ax.annotate(title, xy=(0, 1), xycoords="axes fraction", xytext=(-placed.left * 72, 4),
                textcoords="offset points", ha="left", va="bottom", fontsize=10,
                annotation_clip=False)
    if fit:
        fit_figure(ax, placed, plot_width=plot_width, top=0.32, bottom=below + 0.05)
    return ax
