"""Across-series views: survival curves on shared axes, local control, key numbers side by side.

The series differ in organ, technique, primary tumour and unit of analysis; these helpers put
them next to each other for reading, they do not make them comparable. Pooling is left to the
caller (:func:`thyroid_evidence.proportions.pool_proportions`) and off by default in the
notebooks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from thyroid_evidence.audit.rounding import reported_from_value
from thyroid_evidence.evidence import Evidence
from thyroid_evidence.summaries import proportion_table
from thyroid_evidence.survival import PseudoIPD, kaplan_meier, reconstruct_series

#: Endpoints shown as "local control" across series.
LOCAL_CONTROL_ENDPOINTS = ("local_efficacy", "complete_treatment", "disease_control",
                           "tumor_response")
#: Response categories that count as local control (stable and progressive disease do not).
LOCAL_CONTROL_CATEGORIES = ("", "partial_response")
#: Rows of :func:`key_numbers`, in order: (label, endpoint, statistics).
KEY_ROWS = (
    ("Overall survival", "overall_survival", ("survival", "median")),
    ("Local tumour progression", "local_tumor_progression", ("cumulative_incidence", "count")),
    ("Local tumour progression-free survival", "local_tumor_progression_free_survival",
     ("median", "survival")),
    ("Local efficacy", "local_efficacy", ("proportion",)),
    ("Disease control", "disease_control", ("proportion",)),
    ("Complete treatment", "complete_treatment", ("proportion",)),
    ("Tumour response", "tumor_response", ("count",)),
    ("Complications", "complications", ("count",)),
    ("Follow-up", "follow_up", ("median",)),
)
_SITE_COLOURS = {"lung": "#2166ac", "liver": "#b35806", "bone": "#1b7837"}
_UNIT_TEXT = {"percent": "%", "months": " mo", "years": " y", "events": "", "patients": ""}


def series_curves(evidence: Evidence, endpoint: str = "overall_survival") -> dict[str, PseudoIPD]:
    """Pseudo-IPD of every series that reports ``endpoint`` as milestones or a median.

    Parameters
    ----------
    evidence : Evidence
    endpoint : str
        A time-to-event endpoint of :data:`thyroid_evidence.survival.ENDPOINTS`.

    Returns
    -------
    dict
        ``series_id -> PseudoIPD`` in evidence order.
    """
    out = evidence.outcomes
    rows = out[(out["endpoint"] == endpoint)
               & out["statistic"].isin(["survival", "median", "cumulative_incidence"])
               & out["category"].isna() & out["subgroup"].isna()]
    wanted = set(rows["series_id"])
    return {s: reconstruct_series(evidence, s, endpoint) for s in evidence.series_ids
            if s in wanted}


def _technique_style(techniques: str) -> str:
    text = techniques.lower()
    if "embolization" in text:
        return "--"
    if "cementoplasty" in text or "osteoplasty" in text:
        return "-."
    return "-"


def plot_survival_comparison(
    evidence: Evidence,
    curves: dict[str, PseudoIPD],
    *,
    horizon_months: float = 60.0,
    ax=None,
    title: str = "Overall survival reconstructed for each series (pseudo-data)",
):
    """Kaplan-Meier curves of several pseudo-IPD sets on shared axes.

    Colour shows the target organ, line style the technique (solid: ablation, dashed:
    embolization, dash-dot: consolidation); markers are the reported milestones.

    Parameters
    ----------
    evidence : Evidence
    curves : dict
        From :func:`series_curves`.
    horizon_months : float > 0
    ax : matplotlib Axes, optional
    title : str

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if not horizon_months > 0:
        raise ValueError(f"horizon_months must be > 0; got {horizon_months!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8.5, 5.2))
    info = evidence.series.set_index("series_id")
    for series_id, pseudo in curves.items():
        row = info.loc[series_id]
        colour = _SITE_COLOURS.get(row["target_site"], "0.3")
        table = kaplan_meier(pseudo.data).table
        times = np.r_[0.0, table["time"].to_numpy()]
        surv = np.r_[1.0, table["survival"].to_numpy()]
        keep = times <= horizon_months
        times = np.r_[times[keep], horizon_months]
        surv = np.r_[surv[keep], surv[keep][-1]]
        ax.step(times, 100 * surv, where="post", color=colour,
                ls=_technique_style(row["techniques"]), lw=2,
                label=f"{row['title']} (n = {int(row['n_patients'])}, {row['target_site']})")
        rep = pseudo.reported_vs_reproduced
        pts = rep[rep["quantity"] == "survival"]
        ax.plot(pts["time_months"], 100 * pts["reported"], "o", color=colour, mec="white",
                markersize=7, zorder=5)
        med = rep[rep["quantity"] == "median"]
        for _, m in med.iterrows():
            if m["reported"] <= horizon_months:
                ax.plot([m["reported"]], [50], marker="|", color=colour, markersize=14, mew=2.5)
    ax.axhline(50, color="0.6", lw=0.8, ls=":")
    ax.set(xlim=(0, horizon_months), ylim=(0, 101), xlabel="Months since treatment",
           ylabel="Overall survival (%)", title=title)
    ax.set_xticks(np.arange(0, horizon_months + 1, 12))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.annotate("Dots: reported survival; vertical ticks on the 50% line: reported medians. "
                "Curves are pseudo-data rebuilt from summaries; the series differ in organ, "
                "primary tumour and technique.", xy=(0, 0), xycoords="axes fraction",
                xytext=(0, -38), textcoords="offset points", fontsize=7.5, color="0.35",
                va="top", wrap=True)
    return ax


def local_control_table(
    evidence: Evidence, *, method: str = "wilson", alpha: float = 0.05
) -> pd.DataFrame:
    """The reported local-control proportions of every series (see :func:`proportion_table`).

    Local control here: local efficacy, disease control, complete treatment and partial
    response (whole-series rows and subgroups).
    """
    table = proportion_table(evidence, method=method, alpha=alpha,
                             endpoints=LOCAL_CONTROL_ENDPOINTS)
    return table[table["category"].isin(LOCAL_CONTROL_CATEGORIES)].reset_index(drop=True)


def _format(row: pd.Series) -> str:
    value = reported_from_value(row["value"], row["decimals"])
    text = value + _UNIT_TEXT.get(row["unit"], f" {row['unit']}")
    if row["statistic"] == "median":
        text = f"median {text}"
    if row["statistic"] == "count" and pd.notna(row["denominator"]):
        text = f"{value}/{int(row['denominator'])}"
    if pd.notna(row["category"]):
        text = f"{row['category'].replace('_', ' ')} {text}"
    if pd.notna(row["time_months"]):
        text += f" at {row['time_months']:g} mo"
    return text


def key_numbers(evidence: Evidence) -> pd.DataFrame:
    """Side-by-side table of the key reported numbers, one column per series.

    Values are printed as reported (with their unit and time point); empty where the series
    reports nothing for that row.
    """
    info = evidence.series.set_index("series_id")
    columns = {}
    for series_id in evidence.series_ids:
        row = info.loc[series_id]
        lesions = row["n_lesions"]
        procedures = row["n_procedures"]
        cells = {
            "Target site": row["target_site"],
            "Technique(s)": row["techniques"],
            "Patients": str(int(row["n_patients"])),
            "Lesions": "" if pd.isna(lesions) else str(int(lesions)),
            "Procedures": "" if pd.isna(procedures) else str(int(procedures)),
        }
        for label, endpoint, statistics in KEY_ROWS:
            rows = evidence.outcomes_for(series_id, endpoint)
            rows = rows[rows["statistic"].isin(statistics) & rows["subgroup"].isna()]
            cells[label] = "; ".join(_format(r) for _, r in rows.iterrows())
        columns[series_id] = cells
    return pd.DataFrame(columns)


def pooling_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of a proportion table that may enter a pooled estimate.

    Only rows with a count, and only whole-series rows: a subgroup shares its patients with
    the whole series, so pooling both would count them twice.
    """
    keep = table["k"].notna() & (table["subgroup"] == "")
    return table[keep].reset_index(drop=True)
