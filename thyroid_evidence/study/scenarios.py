"""The scenario set of one series and endpoint, read from the evidence.

:func:`reconstruct_scenarios` is :func:`thyroid_evidence.survival.scenario_set` fed with the
series' reported numbers (as :func:`~thyroid_evidence.study.series.reconstruct_series` reads
them), its numbers of patients and lesions (``series.csv``) and the death hazard from its
overall survival. :func:`feasible_at_risk` gives the audit's exact numbers at risk at the
reported times; :func:`scenario_curves` the sets of every series reporting an endpoint.
"""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from thyroid_evidence.audit import km_feasible
from thyroid_evidence.evidence import Evidence
from thyroid_evidence.study.cache import cached
from thyroid_evidence.study.series import competing_rate, reported_rows
from thyroid_evidence.survival import ScenarioSet, scenario_set, summary_spec
from thyroid_evidence.vocab import DEATH_IN_EVENT_ENDPOINTS

#: Largest number of units for which the audit's at-risk ranges are computed (the exact
#: search grows with n; beyond it figures show the scenarios' expected numbers instead).
AT_RISK_MAX_N = 200


def reconstruct_scenarios(evidence: Evidence, series_id: str, endpoint: str, *,
                          alpha: float = 0.05, n_draws: int = 200, seed: int = 0
                          ) -> ScenarioSet:
    """Every declared reading of what ``series_id`` reports for ``endpoint``.

    Parameters
    ----------
    evidence : Evidence
    series_id : str
    endpoint : str
        One of :data:`thyroid_evidence.vocab.TIME_TO_EVENT_ENDPOINTS`.
    alpha : float in (0, 1)
        One minus the coverage of the sampling part of bands and intervals.
    n_draws : int > 0
        Simulated data sets per extreme scenario.
    seed : int

    Returns
    -------
    ScenarioSet
        See :mod:`thyroid_evidence.survival.scenarios` for the grid and what "accepted"
        means. For per-lesion endpoints of a series with known patients the lesions of one
        patient share one death time and one follow-up time: the competing deaths of an
        incidence, or, for a survival endpoint that counts death as an event
        (:data:`thyroid_evidence.vocab.DEATH_IN_EVENT_ENDPOINTS`), the death part of its
        hazard, at the constant hazard of the series' overall survival (none when the series
        reports none: the events are then independent between lesions, as the texts say).

    Raises
    ------
    ValueError
        For an unknown series or endpoint (the message lists the allowed ones), or a series
        that reports nothing for the endpoint.
    """
    got = reported_rows(evidence, series_id, endpoint)
    info, unit, n = got["info"], got["unit"], got["n"]
    common = dict(got["common"])
    rate, why = (0.0, "")
    if got["kind_stat"] == "survival":
        spec = summary_spec(n, survival_at=got["milestones"] or None, median=got["median"],
                            **common)
        if unit == "lesion" and endpoint in DEATH_IN_EVENT_ENDPOINTS:
            # deaths are events of the endpoint: their part of the hazard (from the series'
            # overall survival) is what the lesions of one patient share
            rate, why = competing_rate(evidence, series_id)
    else:
        rate, why = competing_rate(evidence, series_id)
        spec = summary_spec(n, cumulative_incidence_at=got["milestones"], competing_rate=rate,
                            **common)
    n_patients = None
    patients = info.get("n_patients")
    if unit == "lesion" and patients is not None and not pd.isna(patients) and int(patients) < n:
        n_patients = int(patients)
    grid = dict(n_patients=n_patients, competing_note=why, label=got["label"])
    if got["kind_stat"] == "survival" and rate > 0:
        grid["shared_death_rate"] = rate
    # The grid is deterministic and the same for every alpha, n_draws and seed: read it back
    # when another notebook of the build computed it (study.cache, keyed by spec and code).
    return cached(
        "scenario_set", {"spec": asdict(spec), **grid},
        compute=lambda: scenario_set(spec, **grid, alpha=alpha, n_draws=n_draws, seed=seed),
        to_data=ScenarioSet.to_data,
        from_data=lambda data: ScenarioSet.from_data(data, alpha=alpha, n_draws=n_draws,
                                                     seed=seed))


def feasible_at_risk(evidence: Evidence, series_id: str, endpoint: str) -> pd.DataFrame:
    """The audit's numbers at risk compatible with the reported milestones.

    Returns
    -------
    DataFrame
        ``time_months, low, high, exact`` (one row per reported milestone) when the audit
        (:func:`thyroid_evidence.audit.km_feasible`, Kaplan-Meier paths of integer data)
        finds a compatible path and the series has at most :data:`AT_RISK_MAX_N` units;
        otherwise empty (figures then label their numbers as pseudo-data).
    """
    got = reported_rows(evidence, series_id, endpoint)
    columns = ["time_months", "low", "high", "exact"]
    rows = evidence.outcomes_for(series_id, endpoint)
    stat = got["kind_stat"]
    rows = rows[(rows["statistic"] == stat) & (rows["unit"] == "percent")
                & rows["category"].isna() & rows["subgroup"].isna()].sort_values("time_months")
    n = got["n"]
    if rows.empty or n > AT_RISK_MAX_N:
        return pd.DataFrame(columns=columns)
    texts = [f"{float(v):.{int(d)}f}" for v, d in zip(rows["value"], rows["decimals"],
                                                      strict=True)]
    result = km_feasible(n, texts, complement=stat == "cumulative_incidence")
    if not result.feasible or result.at_risk is None:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame({"time_months": rows["time_months"].astype(float).to_numpy(),
                         "low": [a for a, _ in result.at_risk],
                         "high": [b for _, b in result.at_risk],
                         "exact": result.at_risk_exact})


def scenario_curves(evidence: Evidence, endpoint: str = "overall_survival", **kwargs: object
                    ) -> dict[str, ScenarioSet]:
    """:func:`reconstruct_scenarios` of every series reporting ``endpoint`` as milestones or
    a median, in evidence order (``kwargs`` go to it)."""
    out = evidence.outcomes
    rows = out[(out["endpoint"] == endpoint)
               & out["statistic"].isin(["survival", "median", "cumulative_incidence"])
               & out["category"].isna() & out["subgroup"].isna()]
    wanted = set(rows["series_id"])
    return {s: reconstruct_scenarios(evidence, s, endpoint, **kwargs)
            for s in evidence.series_ids if s in wanted}
