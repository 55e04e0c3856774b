"""Local efficacy as the complement of cumulative local progression (reported rows vs a band)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from thyroid_evidence.evidence import Evidence
from thyroid_evidence.survival import EnsembleResult, ScenarioSet


def complement_table(
    evidence: Evidence, series_id: str, band: EnsembleResult | ScenarioSet, *,
    endpoint: str = "local_efficacy"
) -> pd.DataFrame:
    """Reported local efficacy against 100% minus the reconstructed cumulative incidence.

    Parameters
    ----------
    evidence : Evidence
    series_id : str
    band : EnsembleResult or ScenarioSet
        Ensemble of the series' local-progression reconstruction
        (``quantity == "cumulative_incidence"``), or its scenario set restricted to one
        estimator (:meth:`~thyroid_evidence.survival.ScenarioSet.for_estimator`): then the
        reconstructed value is the reference scenario's, the limits the envelope of the
        accepted scenarios, and a column ``identified`` says whether the time lies within the
        horizon.
    endpoint : str
        Endpoint of the complementary rows (default ``"local_efficacy"``).

    Returns
    -------
    DataFrame
        ``outcome_id, time_months, reported_percent, reconstructed_percent, ci_low, ci_high,
        within_band`` for every reported row of ``endpoint`` with a time point (``ci_low``,
        ``ci_high``: 100% minus the band's limits).
    """
    if isinstance(band, ScenarioSet):
        return _complement_of_set(evidence, series_id, band, endpoint)
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


def _complement_of_set(evidence: Evidence, series_id: str, sset: ScenarioSet, endpoint: str
                       ) -> pd.DataFrame:
    if sset.kind != "cumulative_incidence":
        raise ValueError("the scenario set must be of a cumulative incidence (its kind is "
                         f"{sset.kind!r})")
    if len(sset.estimators) > 1:
        raise ValueError("the scenario set holds accepted scenarios of "
                         + " and ".join(sset.estimators)
                         + "; pass set.for_estimator(one of them)")
    columns = ["outcome_id", "time_months", "reported_percent", "reconstructed_percent",
               "ci_low", "ci_high", "within_band", "identified"]
    rows = evidence.outcomes_for(series_id, endpoint)
    rows = rows[rows["time_months"].notna() & (rows["unit"] == "percent")]
    ref = sset.reference()
    if rows.empty or ref is None:
        return pd.DataFrame(columns=columns)
    times = rows["time_months"].astype(float).to_numpy()
    band = sset.band(times)
    estimate = 100.0 * (1.0 - sset.curve(ref, times))
    low, high = 100.0 * (1.0 - band["high"].to_numpy()), 100.0 * (1.0 - band["low"].to_numpy())
    value = rows["value"].astype(float).to_numpy()
    return pd.DataFrame({
        "outcome_id": rows["outcome_id"].to_numpy(), "time_months": times,
        "reported_percent": value, "reconstructed_percent": estimate, "ci_low": low,
        "ci_high": high, "within_band": (low <= value) & (value <= high),
        "identified": ~band["extrapolated"].to_numpy()}, columns=columns)
