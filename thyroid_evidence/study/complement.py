"""Local efficacy as the complement of cumulative local progression (reported rows vs a band)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from thyroid_evidence.evidence import Evidence
from thyroid_evidence.survival import EnsembleResult


def complement_table(
    evidence: Evidence, series_id: str, band: EnsembleResult, *, endpoint: str = "local_efficacy"
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
        ``outcome_id, time_months, reported_percent, reconstructed_percent, ci_low, ci_high,
        within_band`` for every reported row of ``endpoint`` with a time point (``ci_low``,
        ``ci_high``: 100% minus the band's limits).
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
        low, high = 100.0 * (1.0 - band.ci_high[i]), 100.0 * (1.0 - band.ci_low[i])
        records.append({
            "outcome_id": row["outcome_id"], "time_months": t,
            "reported_percent": float(row["value"]), "reconstructed_percent": estimate,
            "ci_low": low, "ci_high": high,
            "within_band": bool(low <= float(row["value"]) <= high),
        })
    return pd.DataFrame.from_records(records, columns=[
        "outcome_id", "time_months", "reported_percent", "reconstructed_percent", "ci_low",
        "ci_high", "within_band"])
