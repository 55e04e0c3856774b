"""Local efficacy as the complement of cumulative local progression."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.survival.ensemble import EnsembleResult

if TYPE_CHECKING:  # matplotlib is imported when a plot is drawn, not with the package
    from matplotlib.axes import Axes


def complement_table(
    evidence: object, series_id: str, band: EnsembleResult, *, endpoint: str = "local_efficacy"
) -> pd.DataFrame:
    """Reported local efficacy against 100% minus the reconstructed cumulative incidence.

    Parameters
    ----------
    evidence : Evidence
    series_id : str
    band : EnsembleResult
        Ensemble of the series' local-progression reconstruction
        (``quantity == "cumulative_incidence"``).
    endpoint : str
        Endpoint of the complementary rows (default ``"local_efficacy"``).

    Returns
    -------
    DataFrame
        ``outcome_id, time_months, reported_percent, reconstructed_percent, lower, upper,
        within_band`` for every reported row of ``endpoint`` with a time point.
    """
    if band.quantity != "cumulative_incidence":
        raise ValueError("band must come from a cumulative-incidence reconstruction "
                         f"(its quantity is {band.quantity!r})")
    rows = evidence.outcomes_for(series_id, endpoint)
    rows = rows[rows["time_months"].notna() & (rows["unit"] == "percent")]
    records = []
    for _, row in rows.iterrows():
        t = float(row["time_months"])
        if t > band.times.max():
            continue
        i = int(np.searchsorted(band.times, t, side="right") - 1)
        estimate = 100.0 * (1.0 - band.estimate[i])
        low, high = 100.0 * (1.0 - band.upper[i]), 100.0 * (1.0 - band.lower[i])
        records.append({
            "outcome_id": row["outcome_id"], "time_months": t,
            "reported_percent": float(row["value"]), "reconstructed_percent": estimate,
            "lower": low, "upper": high,
            "within_band": bool(low <= float(row["value"]) <= high),
        })
    return pd.DataFrame.from_records(records, columns=[
        "outcome_id", "time_months", "reported_percent", "reconstructed_percent", "lower",
        "upper", "within_band"])


def plot_complement(
    band: EnsembleResult, table: pd.DataFrame, *, ax: Axes | None = None,
    title: str = "Local efficacy = 100% - cumulative local progression",
) -> Axes:
    """Local efficacy curve (complement of the incidence band) with the reported values.

    Parameters
    ----------
    band : EnsembleResult
        Cumulative-incidence ensemble.
    table : DataFrame
        From :func:`complement_table`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 4.2))
    level = int(round(100 * band.level))
    ax.fill_between(band.times, 100 * (1 - band.upper), 100 * (1 - band.lower), step="post",
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
    low = float(np.floor(min(100 * (1 - band.upper.max()), 100) / 5) * 5) - 5
    ax.set_ylim(max(0.0, low), 100.5)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, frameon=False)
    return ax
