"""Survival figures a clinician can read without help: curve, band, reported values, numbers
at risk; the digitised-curve check; local efficacy as a complement; several series side by side.

Every function takes its data first, ``ax=None`` (a new figure) and returns the Axes.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.plotting.style import PALETTE, new_axes
from thyroid_evidence.survival import EnsembleResult, PseudoIPD, ScenarioSet, kaplan_meier
from thyroid_evidence.survival.guyot import survival_on
from thyroid_evidence.survival.scenarios import ESTIMATOR_AXIS

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes

__all__ = ["TECHNIQUE_LINESTYLES", "plot_complement", "plot_curve",
           "plot_reconstruction_check", "plot_scenarios", "plot_survival_comparison",
           "series_line_styles"]

_CURVE = "#1f4e79"
_BAND = "#9dc3e6"
_REPORTED = "#c00000"
_SIZE = (7.0, 4.8)


def _step_curve(data: pd.DataFrame, grid: np.ndarray, kind: str, estimator: str) -> np.ndarray:
    t = data["time"].to_numpy(float)
    e = data["event"].to_numpy(int)
    if kind == "survival" or estimator == "kaplan-meier":
        s = survival_on(t, (e == 1).astype(int), grid)
        return s if kind == "survival" else 1.0 - s
    from thyroid_evidence.survival.estimators import cumulative_incidence

    return cumulative_incidence(data).cumulative_incidence_at(grid)



def _draw_reported(ax: Axes, table: pd.DataFrame, kind: str) -> pd.DataFrame:
    """Draw the reported time-point values of ``kind`` with their rounding intervals, each
    labelled with as many digits as its interval shows, and a reported median on the 50% line;
    returns the time-point rows drawn."""
    pts = table[table["quantity"] == kind]
    if len(pts):
        mid = 100 * pts["reported"].to_numpy()
        err = 100 * np.vstack((pts["reported"] - pts["lower"], pts["upper"] - pts["reported"]))
        ax.errorbar(pts["time_months"], mid, yerr=err, fmt="o", color=_REPORTED, ms=6,
                    capsize=5, elinewidth=1.5, zorder=5,
                    label="Reported value (bar: its rounding interval)")
        steps = 100 * (pts["upper"] - pts["lower"]).to_numpy()
        for x, y, st in zip(pts["time_months"], mid, steps, strict=True):
            digits = max(0, round(-np.log10(st))) if st > 0 else 1
            ax.annotate(f"{y:.{digits}f}%", (x, y), textcoords="offset points", xytext=(6, 6),
                        color=_REPORTED, fontsize=9)
    med = table[table["quantity"] == "median"]
    if len(med):
        m = med.iloc[0]
        ax.errorbar([m["reported"]], [50], xerr=[[m["reported"] - m["lower"]],
                                                 [m["upper"] - m["reported"]]],
                    fmt="D", color=_REPORTED, ms=6, capsize=5, zorder=5,
                    label=f"Reported median {m['reported']:g} months")
        ax.axhline(50, color="grey", linewidth=0.8, linestyle=":")
    return pts


def plot_curve(
    result: PseudoIPD,
    *,
    band: EnsembleResult | None = None,
    ax: Axes | None = None,
    risk_times: np.ndarray | list[float] | None = None,
    time_max: float | None = None,
    title: str | None = None,
) -> Axes:
    """Survival or cumulative-incidence curve of a pseudo-IPD, with its uncertainty band,
    the reported values as markers with their rounding interval, and numbers at risk.

    Parameters
    ----------
    result : PseudoIPD
    band : EnsembleResult, optional
        Drawn as a shaded pointwise band.
    ax : matplotlib Axes, optional
    risk_times : array-like, optional
        Times (months) for the numbers-at-risk row (default every 12 months).
    time_max : float, optional
        Right end of the time axis (default: end of the data, at most 120 months).
    title : str, optional
        Default: the result's label.

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    TypeError
        If ``result`` is not a :class:`~thyroid_evidence.survival.PseudoIPD`.
    """
    if not isinstance(result, PseudoIPD):
        raise TypeError("result must be a PseudoIPD (from reconstruct_from_summary, "
                         "reconstruct_series or reconstruct_km)")
    diag = result.diagnostics
    if diag is not None and risk_times is None and len(diag.numbers_at_risk) > 1:
        risk_times = diag.numbers_at_risk["time"].to_numpy(float)
    ax = new_axes(ax, _SIZE)
    data = result.data
    kind = result.kind
    estimator = result.spec.incidence_estimator if result.spec else "aalen-johansen"
    t_end = float(time_max) if time_max is not None else min(float(data["time"].max()), 120.0)
    # no curve past 0 at risk
    t_end_curve = min(t_end, float(data["time"].max()))
    grid = np.linspace(0.0, t_end_curve, 600)
    curve = _step_curve(data, grid, kind, estimator)
    table = result.reported_vs_reproduced
    # the horizon: the latest time the reported numbers speak to; beyond it, dashed and said
    spoken = np.r_[table.loc[table["quantity"] == kind, "time_months"].to_numpy(float),
                   table.loc[table["quantity"] == "median", "upper"].to_numpy(float)]
    horizon = float(spoken.max()) if spoken.size else t_end_curve
    data_part = grid <= horizon + 1e-9
    if band is not None:
        keep = band.times <= t_end_curve
        inside = keep & (band.times <= horizon + 1e-9)
        ax.fill_between(band.times[inside], 100 * band.ci_low[inside],
                        100 * band.ci_high[inside], step="post", color=_BAND, alpha=0.6,
                        linewidth=0,
                        label=f"{band.level:.0%} band: " + (
                            "digitisation noise (clicks jittered and rebuilt)"
                            if band.varied == ("digitisation",)
                            else "reconstruction + sampling uncertainty"))
        beyond = keep & (band.times >= horizon - 1e-9)
        if beyond.any():
            ax.fill_between(band.times[beyond], 100 * band.ci_low[beyond],
                            100 * band.ci_high[beyond], step="post", color=_BAND, alpha=0.25,
                            hatch="//", edgecolor="#6a8fb5", linewidth=0)
    ax.step(grid[data_part], 100 * curve[data_part], where="post", color=_CURVE, linewidth=2,
            label="Reconstructed curve (pseudo-data)")
    if (~data_part).any():
        tail = grid >= horizon - 1e-9
        ax.step(grid[tail], 100 * curve[tail], where="post", color=_CURVE, linewidth=1.5,
                linestyle="--", label="Extrapolated under assumptions (beyond the reported "
                f"numbers, {horizon:g} months)")
    if diag is not None:
        clicks = diag.curve
        ax.plot(clicks["time"], 100 * clicks["survival"], "o", ms=3, color=_REPORTED,
                alpha=0.6, zorder=4, label="Digitised points (cleaned clicks)")
    _draw_reported(ax, table, kind)
    ax.set_xlim(0, t_end)
    if kind == "survival":
        ax.set_ylim(0, 100)
    else:
        top = max(float(np.nanmax(curve)), float(band.ci_high.max()) if band else 0.0)
        ax.set_ylim(0, min(100, 100 * top * 1.3 + 2))
    ax.set_ylabel(ESTIMATOR_AXIS["kaplan-meier" if kind == "survival" else
                                 "1 - kaplan-meier" if estimator == "kaplan-meier"
                                 else "aalen-johansen"])
    ax.set_xlabel("Months since treatment" if diag is None
                  else "Time (units of the digitised axis)", labelpad=2)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_title(textwrap.fill(title if title is not None else result.label, 70), fontsize=11)
    ax.legend(loc="lower left" if kind == "survival" else "upper left", fontsize=8,
              frameon=False)
    _numbers_at_risk(ax, data, risk_times, t_end, result.unit_of_analysis,
                     published=None if diag is None else diag.numbers_at_risk)
    source = ("a digitised published curve" if diag is not None
              else "published summary figures")
    ax.text(0.0, -0.31 if diag is None else -0.36, f"Pseudo-data rebuilt from {source}, not "
            "individual patient data.\nFor research and teaching, not for clinical decisions.",
            transform=ax.transAxes, fontsize=7, color="#555555", ha="left", va="top")
    ax.figure.subplots_adjust(bottom=0.3)
    return ax


def _numbers_at_risk(ax: Axes, data: pd.DataFrame, risk_times: object, t_end: float,
                     unit: str, published: pd.DataFrame | None = None) -> None:
    times = (np.arange(0.0, t_end + 1e-9, 12.0) if risk_times is None
             else np.asarray(risk_times, dtype=float))
    times = times[times <= t_end]
    obs = data["time"].to_numpy(float)
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    ax.text(0.0, -0.15, f"Number at risk ({unit}s), pseudo-data (assumed censoring)",
            transform=ax.transAxes, fontsize=8, ha="left", va="top", fontweight="bold")
    for x in times:
        ax.text(x, -0.22, f"{int((obs >= x).sum())}", transform=trans, fontsize=8,
                ha="center", va="top")
    if published is not None and len(published):
        ax.text(0.0, -0.27, "Number at risk, published", transform=ax.transAxes, fontsize=8,
                ha="left", va="top", fontweight="bold")
        for x, n in zip(published["time"], published["published"], strict=True):
            if x <= t_end:
                ax.text(x, -0.32, f"{int(n)}", transform=trans, fontsize=8, ha="center",
                        va="top", color=_REPORTED)


def plot_reconstruction_check(
    times: np.ndarray | list[float],
    survival: np.ndarray | list[float],
    data: PseudoIPD | pd.DataFrame,
    *,
    ax: Axes | None = None,
    title: str = "Digitised curve vs rebuilt Kaplan-Meier",
) -> Axes:
    """Overlay of the digitised input points and the Kaplan-Meier curve of the rebuilt data,
    with the largest and mean gap written on the plot.

    Parameters
    ----------
    times, survival : array-like
        The digitised points as given (survival as proportions).
    data : PseudoIPD or DataFrame
        The output of :func:`reconstruct_km` (or its ``data``).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    diag = data.diagnostics if isinstance(data, PseudoIPD) else None
    data = data.data if isinstance(data, PseudoIPD) else data
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be the PseudoIPD of reconstruct_km or a DataFrame with "
                        f"'time' and 'event'; got {type(data).__name__}")
    diag = diag if diag is not None else data.attrs.get("diagnostics")
    ax = new_axes(ax, _SIZE)
    t = np.asarray(times, dtype=float)
    s = np.asarray(survival, dtype=float)
    grid = np.linspace(0.0, float(max(t.max(), data["time"].max())), 800)
    rebuilt = survival_on(data["time"].to_numpy(float), data["event"].to_numpy(int), grid)
    ax.plot(t, 100 * s, "o", ms=3.5, color=_REPORTED, alpha=0.7, label="Digitised points (input)")
    ax.step(grid, 100 * rebuilt, where="post", color=_CURVE, linewidth=1.6,
            label="Kaplan-Meier of rebuilt data")
    if diag is not None:
        ax.text(0.98, 0.97, f"largest gap {100 * diag.max_abs_diff:.2f} percentage points\n"
                f"mean gap {100 * diag.mean_abs_diff:.2f} percentage points\n"
                f"events {diag.total_events_reconstructed}"
                + (f" (reported {diag.total_events_reported})"
                   if diag.total_events_reported is not None else ""),
                transform=ax.transAxes, ha="right", va="top", fontsize=9,
                bbox={"facecolor": "white", "edgecolor": "#bbbbbb"})
    ax.set_ylim(0, 102)
    ax.set_xlim(0, grid.max())
    ax.set_xlabel("Time (units of the digitised axis)")
    ax.set_ylabel("Survival (%)")
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_title(title, fontsize=11)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return ax


def plot_complement(
    band: EnsembleResult, table: pd.DataFrame, *, ax: Axes | None = None,
    title: str = "Local efficacy = 100% - cumulative local progression",
) -> Axes:
    """Local efficacy curve (complement of the incidence band) with the reported values.

    Parameters
    ----------
    band : EnsembleResult or ScenarioSet
        Cumulative-incidence ensemble, or a scenario set of one estimator (then drawn as the
        complement of its envelope, cut at its horizon).
    table : DataFrame
        From :func:`complement_table`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, (7.0, 4.2))
    if isinstance(band, ScenarioSet):
        return _complement_of_set(band, table, ax, title)
    level = int(round(100 * band.level))
    ax.fill_between(band.times, 100 * (1 - band.ci_high), 100 * (1 - band.ci_low), step="post",
                    color="#9ecae1", alpha=0.6, linewidth=0,
                    label=f"{level}% band: reconstruction + sampling")
    ax.step(band.times, 100 * (1 - band.estimate), where="post", color="#08519c",
            label="100% - reconstructed cumulative progression")
    if len(table):
        ax.plot(table["time_months"], table["reported_percent"], "D", color="#a50f15",
                markersize=7, label="Reported local efficacy", zorder=5)
        for _, row in table.iterrows():
            ax.annotate(f"{row['reported_percent']:g}%", (row["time_months"],
                        row["reported_percent"]), xytext=(6, 6), textcoords="offset points",
                        color="#a50f15")
    ax.set(xlabel="Months since treatment", ylabel="Local efficacy (%)", title=title,
           xlim=(0, float(band.times.max())))
    low = float(np.floor(min(100 * (1 - band.ci_high.max()), 100) / 5) * 5) - 5
    ax.set_ylim(max(0.0, low), 100.5)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return ax


#: Line style of each kind of technique (``vocab.TECHNIQUE_KINDS``; solid: ablation, dashed:
#: embolization, dash-dot: consolidation, dotted: combined, long dashes: other).
TECHNIQUE_LINESTYLES = {"ablation": "-", "embolization": "--", "consolidation": "-.",
                        "combined": ":", "other": (0, (6, 2))}
#: Styles used when two series would otherwise share colour and line style.
_SPARE_STYLES = ("-", "--", "-.", ":", (0, (6, 2)), (0, (1, 3)), (0, (3, 1, 1, 1, 1, 1)))


def series_line_styles(series: pd.DataFrame) -> dict[str, tuple[str, object]]:
    """A colour and a line style for each series of ``series`` (indexed by ``series_id``, with
    ``technique_kind``), no two series alike.

    Each series takes the next colour of the Okabe-Ito :data:`PALETTE` (so two series of the
    same organ differ in colour) and the line style of its technique kind
    (:data:`TECHNIQUE_LINESTYLES`); past the palette's six colours, a (colour, style) pair
    already taken moves to the next spare style.

    Returns
    -------
    dict
        ``series_id -> (colour, line style)`` in the order of ``series``.
    """
    taken: set[tuple[str, str]] = set()
    out: dict[str, tuple[str, object]] = {}
    for i, (series_id, row) in enumerate(series.iterrows()):
        colour = PALETTE[i % len(PALETTE)]
        style = TECHNIQUE_LINESTYLES.get(row.get("technique_kind"), (0, (6, 2)))
        spare = iter(_SPARE_STYLES)
        while (colour, repr(style)) in taken:
            style = next(spare, None)
            if style is None:  # every pair of this colour used: a darker shade
                colour, spare = f"{colour}99", iter(_SPARE_STYLES)
                style = TECHNIQUE_LINESTYLES.get(row.get("technique_kind"), "-")
        taken.add((colour, repr(style)))
        out[series_id] = (colour, style)
    return out


def plot_survival_comparison(
    curves: dict[str, PseudoIPD],
    series: pd.DataFrame,
    *,
    horizon_months: float = 60.0,
    ax: Axes | None = None,
    title: str = "Overall survival reconstructed for each series (pseudo-data)",
) -> Axes:
    """Survival of several series on shared axes, each cut where its reported numbers end.

    Every series has its own colour (:func:`series_line_styles`), its line style shows the
    technique kind (solid: ablation, dashed: embolization, dash-dot: consolidation, dotted:
    combined), and the legend names the series by its label with its size and organ;
    markers are the reported milestones. A
    :class:`~thyroid_evidence.survival.ScenarioSet` is drawn as its reference scenario's model
    curve with the envelope of its accepted scenarios, each with its own sampling
    (:meth:`~thyroid_evidence.survival.ScenarioSet.band`); a PseudoIPD as
    its Kaplan-Meier curve. Either stops at its own horizon (its last reported time, or the
    upper end of a reported median's rounding) or ``horizon_months``, whichever comes first.

    Parameters
    ----------
    curves : dict
        ``series_id -> ScenarioSet`` (from :func:`thyroid_evidence.study.scenario_curves`) or
        ``series_id -> PseudoIPD`` (from :func:`thyroid_evidence.study.series_curves`).
    series : DataFrame
        Indexed by ``series_id`` with ``label``, ``target_site`` and ``technique_kind``, from
        :func:`thyroid_evidence.study.series_styles`.
    horizon_months : float > 0
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib Axes
    """
    if not horizon_months > 0:
        raise ValueError(f"horizon_months must be > 0; got {horizon_months!r}")
    ax = new_axes(ax, (8.5, 5.2))
    styles = series_line_styles(series.loc[list(curves)])
    for series_id, pseudo in curves.items():
        row = series.loc[series_id]
        colour, style = styles[series_id]
        if isinstance(pseudo, ScenarioSet):
            _comparison_set(ax, pseudo, colour, style, row["label"], horizon_months)
            continue
        table = kaplan_meier(pseudo.data).table
        times = np.r_[0.0, table["time"].to_numpy()]
        surv = np.r_[1.0, table["survival"].to_numpy()]
        rep = pseudo.reported_vs_reproduced
        spoken = np.r_[rep.loc[rep["quantity"] == "survival", "time_months"].to_numpy(float),
                       rep.loc[rep["quantity"] == "median", "upper"].to_numpy(float)]
        # cut where the reported numbers end (and never past the last time at risk)
        end = min(horizon_months, float(spoken.max()) if spoken.size else horizon_months,
                  float(pseudo.data["time"].max()))
        keep = times <= end
        times = np.r_[times[keep], end]
        surv = np.r_[surv[keep], surv[keep][-1]]
        ax.step(times, 100 * surv, where="post", color=colour, ls=style, lw=2,
                label=row["label"])
        rep = pseudo.reported_vs_reproduced
        pts = rep[rep["quantity"] == "survival"]
        ax.plot(pts["time_months"], 100 * pts["reported"], "o", color=colour, mec="white",
                markersize=7, zorder=5)
        med = rep[rep["quantity"] == "median"]
        for _, m in med.iterrows():
            if m["reported"] <= horizon_months:
                ax.plot([m["reported"]], [50], marker="|", color=colour, markersize=14, mew=2.5)
    sets = any(isinstance(c, ScenarioSet) for c in curves.values())
    ax.axhline(50, color="0.6", lw=0.8, ls=":")
    ax.set(xlim=(0, horizon_months), ylim=(0, 101), xlabel="Months since treatment",
           ylabel="Overall survival (%), Kaplan–Meier" if sets else "Overall survival (%)",
           title=title)
    ax.set_xticks(np.arange(0, horizon_months + 1, 12))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.annotate(textwrap.fill("Dots: reported survival; vertical ticks on the 50% line: "
                              "reported medians. "
                + ("Each curve stops where its reported numbers end; shading: envelope of its "
                   "accepted scenarios, each with its own sampling. " if sets else "")
                + "Curves are pseudo-data rebuilt from summaries; the series differ in organ, "
                "primary tumour and technique.", 140), xy=(0, 0), xycoords="axes fraction",
                xytext=(0, -38), textcoords="offset points", fontsize=7.5, color="0.35",
                va="top")
    return ax


def _at_risk_conflict(scenarios: ScenarioSet, at_risk: pd.DataFrame | None) -> str:
    """A caption sentence where the scenarios' expected numbers at risk and the audit's
    feasible ones (``time_months, low, high``) do not overlap; "" where they do."""
    if at_risk is None or not len(at_risk) or not scenarios.accepted:
        return ""
    times = at_risk["time_months"].to_numpy(float)
    expected = scenarios.at_risk(times)
    clashes = [f"{t:g} months: {int(e.low)}–{int(e.high)} expected, {int(a.low)}–{int(a.high)} "
               "possible" for t, e, a in zip(times, expected.itertuples(), at_risk.itertuples(),
                                            strict=True)
               if e.low > a.high or e.high < a.low]
    if not clashes:
        return ""
    return (" The accepted scenarios' models expect other numbers at risk than any integer "
            "data printing the reported values can have (" + "; ".join(clashes) + "): the "
            "models are continuous readings, and data drawn from them need not print the "
            "reported values (see pseudo_data_reproduces in the scenarios table).")


def _rows_at_risk(ax: Axes, rows: list[tuple[str, list[tuple[float, str]]]]) -> float:
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transData, ax.transAxes)
    y = -0.17
    for title, cells in rows:
        ax.text(0.0, y, title, transform=ax.transAxes, fontsize=7.5, ha="left", va="top",
                fontweight="bold")
        for x, text in cells:
            ax.text(x, y - 0.055, text, transform=trans, fontsize=7.5, ha="center", va="top")
        y -= 0.12
    return y


def plot_scenarios(
    scenarios: ScenarioSet,
    *,
    estimator: str | None = None,
    ax: Axes | None = None,
    time_max: float | None = None,
    extrapolate: bool = False,
    at_risk: pd.DataFrame | None = None,
    risk_times: np.ndarray | list[float] | None = None,
    title: str | None = None,
) -> Axes:
    """A scenario set as a figure: where the curve is data, where it is assumption.

    The band is the envelope over the accepted scenarios, each with its own sampling
    (:meth:`~thyroid_evidence.survival.ScenarioSet.band`), and the line the
    model curve of the reference scenario, both solid up to the horizon (the latest time the
    reported numbers speak to) and never past the last time a scenario expects anyone at
    risk. Beyond the horizon they are cut (default) or, with ``extrapolate=True``, drawn
    dashed and labelled "extrapolated under assumptions". The y axis names the estimator.

    Parameters
    ----------
    scenarios : ScenarioSet
    estimator : str, optional
        Needed when the set holds accepted scenarios of two estimators (an incidence read as
        Aalen-Johansen and as 1 - Kaplan-Meier): one figure per reading.
    ax : matplotlib Axes, optional
    time_max : float, optional
        Right end of the axis (default: the horizon rounded up to 12 months, or 1.5 x the
        horizon when extrapolating).
    extrapolate : bool
    at_risk : DataFrame, optional
        ``time_months, low, high`` from the audit
        (:func:`thyroid_evidence.study.feasible_at_risk`): numbers at risk any integer data
        printing the reported values must have; shown as their own row.
    risk_times : array-like, optional
        Times of the pseudo-data numbers-at-risk row (default: the axis ticks).
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    TypeError
        If ``scenarios`` is not a ScenarioSet.
    ValueError
        For a missing or unknown ``estimator`` when the set needs one.
    """
    if not isinstance(scenarios, ScenarioSet):
        raise TypeError("scenarios must be a ScenarioSet (from reconstruct_scenarios); got "
                        f"{type(scenarios).__name__}")
    if estimator is not None:
        scenarios = scenarios.for_estimator(estimator)
    elif len(scenarios.estimators) > 1:
        raise ValueError("the set holds accepted scenarios of "
                         + " and ".join(scenarios.estimators)
                         + "; pass estimator= one of them (one figure per reading)")
    ax = new_axes(ax, _SIZE)
    h = scenarios.horizon_months
    if time_max is None:
        time_max = (1.5 * h if extrapolate else 12.0 * np.ceil(h / 12.0 + 1e-9))
    t_end = float(time_max)
    est = (scenarios.estimators or tuple(scenarios.scenarios["estimator"]))[0]
    survival = scenarios.kind == "survival"
    stop = min(t_end, scenarios.last_at_risk_time())
    solid_end = min(h, stop)
    grid = np.linspace(0.0, solid_end, 300)
    ref = scenarios.reference()
    if ref is not None:
        band = scenarios.band(grid)
        level = f"{1 - scenarios.alpha:.0%}"
        ax.fill_between(grid, 100 * band["low"], 100 * band["high"], color=_BAND, alpha=0.6,
                        linewidth=0, label=f"Envelope of {len(scenarios.accepted)} accepted "
                        f"scenarios, each with its {level} sampling")
        line = scenarios.curve(ref, grid)
        ax.plot(grid, 100 * line, color=_CURVE, linewidth=2,
                label=f"Reference scenario: {scenarios.scenarios['model'].iloc[ref]} model "
                "curve")
        if extrapolate and stop > h:
            tail = np.linspace(h, stop, 150)
            tb = scenarios.band(tail)
            ax.fill_between(tail, 100 * tb["low"], 100 * tb["high"], color=_BAND, alpha=0.25,
                            hatch="//", edgecolor="#6a8fb5", linewidth=0,
                            label="Extrapolated under assumptions (beyond the reported numbers)")
            ax.plot(tail, 100 * scenarios.curve(ref, tail), color=_CURVE,
                    linewidth=1.5, linestyle="--")
    else:
        ax.text(0.5, 0.5, "No scenario reproduces every reported number", ha="center",
                transform=ax.transAxes, color=_REPORTED)
    ax.axvline(h, color="0.35", linewidth=1, linestyle=":")
    ax.annotate(f"reported numbers end\n({h:g} months)", (h, 0.98),
                xycoords=("data", "axes fraction"),
                xytext=(-4, 0), textcoords="offset points", ha="right", va="top", fontsize=7.5,
                color="0.3")
    pts = _draw_reported(ax, scenarios.reported, scenarios.kind)
    ax.set_xlim(0, t_end)
    ticks = np.arange(0.0, t_end + 1e-9, 12.0)
    ax.set_xticks(ticks)
    if survival:
        ax.set_ylim(0, 100)
    else:
        top = float(pts["upper"].max()) if len(pts) else 0.2
        if ref is not None:
            top = max(top, float(np.nanmax(scenarios.band(grid)["high"])))
        ax.set_ylim(0, min(100, 100 * top * 1.3 + 2))
    ax.set_ylabel(ESTIMATOR_AXIS[est])
    ax.set_xlabel("Months since treatment", labelpad=2)
    ax.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_title(textwrap.fill(title if title is not None else scenarios.label, 70),
                 fontsize=11)
    ax.legend(loc="lower left" if survival else "upper left", fontsize=7.5, frameon=False)
    unit = scenarios.unit_of_analysis
    times = ticks if risk_times is None else np.asarray(risk_times, dtype=float)
    times = times[times <= (stop if extrapolate else solid_end) + 1e-9]
    rows = []
    if at_risk is not None and len(at_risk):
        cells = [(float(r.time_months), f"{int(r.low)}–{int(r.high)}" if r.low != r.high
                  else f"{int(r.low)}") for r in at_risk.itertuples()]
        rows.append((f"Number at risk ({unit}s) compatible with the reported values "
                     "(audit, any integer data)", cells))
    if ref is not None and times.size:
        ar = scenarios.at_risk(times)
        cells = [(float(r.time), f"{int(r.low)}" if r.low == r.high
                  else f"{int(r.low)}–{int(r.high)}") for r in ar.itertuples()]
        rows.append((f"Number at risk ({unit}s), pseudo-data (assumed censoring), "
                     "over the accepted scenarios", cells))
    y = _rows_at_risk(ax, rows)
    caption = scenarios.caption() + _at_risk_conflict(scenarios, at_risk) + (
        " Pseudo-data rebuilt from published summary figures, not individual patient data; "
        "for research and teaching, not for clinical decisions.")
    ax.text(0.0, y - 0.02, textwrap.fill(caption, 125), transform=ax.transAxes, fontsize=6.5,
            color="#555555", ha="left", va="top")
    ax.figure.subplots_adjust(bottom=0.2 + 0.07 * len(rows) + 0.1)
    return ax


def _comparison_set(ax: Axes, sset: ScenarioSet, colour: str, style: str, label: str,
                    horizon_months: float) -> None:
    """One series of :func:`plot_survival_comparison`: cut at its own horizon, with band."""
    end = min(sset.horizon_months, horizon_months, sset.last_at_risk_time())
    ref = sset.reference()
    if ref is None:
        return
    grid = np.linspace(0.0, end, 200)
    band = sset.band(grid)
    ax.fill_between(grid, 100 * band["low"], 100 * band["high"], color=colour, alpha=0.15,
                    linewidth=0)
    ax.plot(grid, 100 * sset.curve(ref, grid), color=colour, ls=style, lw=2,
            label=f"{label}; data to {sset.horizon_months:g} months")
    ax.plot([end], [100 * sset.curve(ref, np.array([end]))[0]], marker="|",
            color=colour, markersize=10)
    rep = sset.reported
    pts = rep[rep["quantity"] == "survival"]
    ax.plot(pts["time_months"], 100 * pts["reported"], "o", color=colour, mec="white",
            markersize=7, zorder=5)
    for _, m in rep[rep["quantity"] == "median"].iterrows():
        if m["reported"] <= horizon_months:
            ax.plot([m["reported"]], [50], marker="|", color=colour, markersize=14, mew=2.5)


_EFFICACY_AXIS = {
    "aalen-johansen": "Local efficacy (%): 100% − Aalen–Johansen incidence",
    "1 - kaplan-meier": "Local efficacy (%): Kaplan–Meier, deaths censored",
    "kaplan-meier": "Local efficacy (%): Kaplan–Meier",
}


def _complement_of_set(sset: ScenarioSet, table: pd.DataFrame, ax: Axes, title: str) -> Axes:
    ref = sset.reference()
    end = min(sset.horizon_months, sset.last_at_risk_time())
    grid = np.linspace(0.0, end, 300)
    low = 100.0
    if ref is not None:
        band = sset.band(grid)
        ax.fill_between(grid, 100 * (1 - band["high"]), 100 * (1 - band["low"]),
                        color="#9ecae1", alpha=0.6, linewidth=0,
                        label=f"Envelope of {len(sset.accepted)} accepted scenarios, "
                              f"each with its {1 - sset.alpha:.0%} sampling")
        ax.plot(grid, 100 * (1 - sset.curve(ref, grid)), color="#08519c",
                label="100% - reference scenario's cumulative progression")
        low = float(100 * (1 - band["high"].max()))
    h = sset.horizon_months
    ax.axvline(h, color="0.35", linewidth=1, linestyle=":")
    ax.annotate(f"reported numbers end\n({h:g} months)", (h, 0.98),
                xycoords=("data", "axes fraction"), xytext=(-4, 0), textcoords="offset points",
                ha="right", va="top", fontsize=7.5, color="0.3")
    if sset.unit_assumption:  # a per-lesion reading says what it assumes of one patient's
        ax.text(0.0, -0.16, textwrap.fill(sset.unit_assumption, 125), transform=ax.transAxes,
                fontsize=6.5, color="#555555", ha="left", va="top")
        ax.figure.subplots_adjust(bottom=0.24)
    if len(table):
        ax.plot(table["time_months"], table["reported_percent"], "D", color="#a50f15",
                markersize=7, label="Reported local efficacy", zorder=5)
        for _, row in table.iterrows():
            ax.annotate(f"{row['reported_percent']:g}%", (row["time_months"],
                        row["reported_percent"]), xytext=(6, 6), textcoords="offset points",
                        color="#a50f15")
        low = min(low, float(table["reported_percent"].min()))
    right = 12.0 * np.ceil(max(sset.horizon_months, float(table["time_months"].max())
                               if len(table) else 0.0) / 12.0 + 1e-9)
    ax.set(xlabel="Months since treatment",
           ylabel=_EFFICACY_AXIS[(sset.estimators or tuple(sset.scenarios["estimator"]))[0]],
           title=title, xlim=(0, right))
    ax.set_xticks(np.arange(0.0, right + 1e-9, 12.0))
    ax.set_ylim(max(0.0, float(np.floor(low / 5) * 5) - 5), 100.5)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return ax
