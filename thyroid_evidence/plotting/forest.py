"""Forest plot of a pooled proportion."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from thyroid_evidence.plotting.style import new_axes
from thyroid_evidence.proportions import PooledProportion, proportion_ci
from thyroid_evidence.validation import check_choice
from thyroid_evidence.vocab import CI_METHODS

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["plot_forest"]


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
) -> Axes:
    """Forest plot of a :class:`PooledProportion`.

    One row per study (square sized by its weight, horizontal line for its interval), the
    pooled estimate as a diamond spanning its confidence interval, the prediction interval as
    a bar beneath it, and a line with I^2, tau^2 and Q. Each row is annotated with
    ``events/total`` and ``estimate [CI]`` on the right. With fewer than three studies
    (``result.heterogeneity_estimable`` False) no prediction interval is drawn and the line
    says why heterogeneity is not estimated (``result.heterogeneity_note``) instead of
    printing tau^2 = I^2 = 0.

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
        Show the axis and annotations in percent (True) or as proportions.
    show_counts : bool
        Write ``events/total`` next to each study.
    study_ci : {"clopper-pearson", "wilson", "jeffreys", "agresti-coull", "model"}
        Interval drawn for each study around its observed proportion ``events/total``. The
        default exact interval suits small series; ``"model"`` draws the Wald interval on the
        pooling scale (``studies.ci_low``/``ci_high``, as metafor's forest plot), which is
        centred on the 1/2-corrected value for studies with 0 or n events.
    note : str, optional
        A line printed under the key, for the assumption behind the counts (for example that
        the lesions of one patient are taken as independent).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    TypeError
        If ``result`` is not a :class:`PooledProportion`.
    ValueError
        For an unknown ``study_ci``.
    """
    from matplotlib.patches import Polygon
    from matplotlib.transforms import blended_transform_factory

    if not isinstance(result, PooledProportion):
        raise TypeError(f"result must be a PooledProportion; got {type(result).__name__}")
    check_choice(study_ci, "study_ci", (*CI_METHODS, "model"))
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
    ax = new_axes(ax, (9.0, 1.6 + 0.42 * (k + 3)))
    scale = 100.0 if percent else 1.0
    unit = "%" if percent else ""
    fmt = "{:.1f}" if percent else "{:.3f}"

    def label(p: float, lo: float, hi: float) -> str:
        return f"{fmt.format(p * scale)}{unit} [{fmt.format(lo * scale)}, {fmt.format(hi * scale)}]"

    ys = np.arange(k, 0, -1, dtype=float) + 2.0  # studies top-down, pooled rows below
    weights = st["weight"].to_numpy()
    sizes = 15.0 + 85.0 * weights / max(weights.max(), 1e-12)  # marker area ~ weight
    ax.hlines(ys, s_low * scale, s_high * scale, color="0.25", lw=1.2, zorder=2)
    ax.scatter(
        st["proportion"] * scale,
        ys,
        s=sizes,
        marker="s",
        color="0.25",
        zorder=3,
        label="study (size ~ weight)",
    )
    y_pool = 1.0
    diamond = Polygon(
        [
            (result.ci_low * scale, y_pool),
            (result.estimate * scale, y_pool + 0.3),
            (result.ci_high * scale, y_pool),
            (result.estimate * scale, y_pool - 0.3),
        ],
        closed=True,
        color="tab:blue",
        zorder=4,
        label=f"pooled estimate, {round(100 * (1 - result.alpha))}% CI",
    )
    ax.add_patch(diamond)
    y_pi = 0.25
    if with_pi:
        ax.hlines(
            y_pi,
            result.pi_low * scale,
            result.pi_high * scale,
            color="tab:red",
            lw=3.0,
            zorder=3,
            label="prediction interval",
        )
        ax.vlines(
            [result.pi_low * scale, result.pi_high * scale],
            y_pi - 0.15,
            y_pi + 0.15,
            color="tab:red",
            lw=1.5,
            zorder=3,
        )
    ax.axvline(result.estimate * scale, color="tab:blue", lw=0.8, ls=":", zorder=1)

    text_tf = blended_transform_factory(ax.transAxes, ax.transData)
    rows = [
        (
            y,
            st["events"].iloc[i],
            st["total"].iloc[i],
            label(st["proportion"].iloc[i], s_low[i], s_high[i]),
            f"{weights[i]:.1f}%",
        )
        for i, y in enumerate(ys)
    ]
    for y, e, n, est_text, w_text in rows:
        counts = f"{e}/{n}   " if show_counts else ""
        ax.text(
            1.02, y, f"{counts}{est_text}   {w_text}", transform=text_tf, va="center", fontsize=8.5
        )
    pooled_name = {"FE": "Fixed effect", "GLMM": "GLMM (random effects)"}.get(
        result.method, f"Random effects ({result.method})"
    )
    if k == 1:
        pooled_name = "Single study (not pooled)"
    level = f"{100 * (1 - result.alpha):g}%"
    ax.text(
        1.02,
        y_pool,
        label(result.estimate, result.ci_low, result.ci_high),
        transform=text_tf,
        va="center",
        fontsize=8.5,
        fontweight="bold",
    )
    if with_pi:
        ax.text(
            1.02,
            y_pi,
            "PI " + label(result.estimate, result.pi_low, result.pi_high).split(" ", 1)[1],
            transform=text_tf,
            va="center",
            fontsize=8.5,
            color="tab:red",
        )
    header = ("events/total   " if show_counts else "") + f"estimate [{level} CI]   weight"
    ax.text(1.02, k + 3.0, header, transform=text_tf, va="center", fontsize=8.5, fontweight="bold")

    ax.set_yticks(list(ys) + [y_pool] + ([y_pi] if with_pi else []))
    ax.set_yticklabels(
        list(st["label"]) + [pooled_name] + (["Prediction interval"] if with_pi else [])
    )
    ax.set_ylim(-1.3, k + 3.6)
    ax.set_xlim(-0.02 * scale, 1.02 * scale)
    ax.set_xlabel(f"{xlabel} ({unit or 'proportion'})" if percent else xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="0.9", lw=0.6, zorder=0)

    if with_pi:
        het = (
            f"Heterogeneity: I\u00b2 = {result.i2:.1f}%, \u03c4\u00b2 = {result.tau2:.3g} "
            f"({result.transform} scale), Q = {result.q:.2f} (df = {result.q_df}, "
            f"p = {result.q_pvalue:.3g})"
        )
    elif k > 1:
        het = result.heterogeneity_note
    else:
        het = "Single study: nothing pooled, heterogeneity undefined"
    extra = ", Hartung-Knapp" if result.hakn and result.method != "GLMM" else ""
    ax.text(0.01, -0.45, het + extra, transform=text_tf, va="center", fontsize=8.5)
    ci_name = {
        "model": "Wald, model scale",
        "clopper-pearson": "Clopper-Pearson",
        "wilson": "Wilson",
        "jeffreys": "Jeffreys",
        "agresti-coull": "Agresti-Coull",
    }[study_ci]
    key = f"Squares: observed proportions (area ~ weight), lines: {level} CI ({ci_name}); " + (
        f"diamond: {level} CI of the pooled estimate; red bar: {level} prediction interval"
        if with_pi
        else f"diamond: {level} CI of the pooled estimate"
        if k > 1
        else f"diamond: {level} Wald CI on the {result.transform} scale"
    )
    ax.text(0.01, -0.95, key, transform=text_tf, va="center", fontsize=7.5, color="0.35")
    if note:
        ax.annotate(note, xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                    textcoords="offset points", va="top", fontsize=7.5, color="0.35")
    if title is None:
        title = f"{pooled_name}, {result.transform} transform, k = {k}"
    ax.set_title(title, fontsize=10, loc="left")
    return ax
