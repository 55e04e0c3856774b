"""Pseudo-IPD for a series of the review, read entirely from ``evidence/``.

Every endpoint of :data:`thyroid_evidence.vocab.TIME_TO_EVENT_ENDPOINTS` can be rebuilt: the
survival endpoints (overall, progression-free, local-progression-free survival) from their
survival milestones and median, the incidence endpoints (local tumour progression) from their
cumulative incidences, with deaths competing.
"""

from __future__ import annotations

import math

import pandas as pd

from thyroid_evidence.evidence import Evidence
from thyroid_evidence.survival import PseudoIPD, reconstruct_from_summary
from thyroid_evidence.survival.summary import assign_patients
from thyroid_evidence.vocab import INCIDENCE_ENDPOINTS, MONTHS_PER_UNIT, TIME_TO_EVENT_ENDPOINTS


def _plain(rows: pd.DataFrame) -> pd.DataFrame:
    """Whole-series rows only (no category, subgroup or group partition)."""
    keep = rows["category"].isna() & rows["subgroup"].isna()
    return rows[keep]


def _months(row: pd.Series, what: str) -> tuple[float, float]:
    unit = row["unit"]
    if unit not in MONTHS_PER_UNIT:
        raise ValueError(f"{what}: unit {unit!r} is not a time unit; allowed: "
                         + ", ".join(MONTHS_PER_UNIT))
    factor = MONTHS_PER_UNIT[unit]
    return float(row["value"]) * factor, 10.0 ** (-int(row["decimals"])) * factor


def reported_rows(evidence: Evidence, series_id: str, endpoint: str) -> dict:
    """Everything a reconstruction of ``series_id`` / ``endpoint`` reads from the evidence."""
    if endpoint not in TIME_TO_EVENT_ENDPOINTS:
        raise ValueError(f"endpoint={endpoint!r} has no time-to-event reconstruction; "
                         f"allowed: {', '.join(TIME_TO_EVENT_ENDPOINTS)}")
    info = evidence.series_info(series_id)
    rows = _plain(evidence.outcomes_for(series_id, endpoint))
    if rows.empty:
        raise ValueError(f"series_id={series_id!r} reports nothing for endpoint={endpoint!r}")
    units = set(rows["unit_of_analysis"])
    unit = "lesion" if "lesion" in units else "patient"
    kind_stat = "cumulative_incidence" if endpoint in INCIDENCE_ENDPOINTS else "survival"
    points = rows[rows["statistic"] == kind_stat]
    milestones = {float(r.time_months): float(r.value) / 100.0 for r in points.itertuples()
                  if r.unit == "percent"}
    steps = {float(r.time_months): 10.0 ** (-int(r.decimals)) / 100.0
             for r in points.itertuples() if r.unit == "percent"}
    n = _denominator(info, points, unit)
    median = None
    med_step = None
    med_rows = rows[rows["statistic"] == "median"]
    if len(med_rows):
        median, med_step = _months(med_rows.iloc[0], f"{series_id} {endpoint} median")
    counts = rows[(rows["statistic"] == "count") & (rows["unit"] == "events")]
    events = int(counts.iloc[0]["value"]) if len(counts) else None
    fu = _plain(evidence.outcomes_for(series_id, "follow_up"))
    fu_med = fu[fu["statistic"] == "median"]
    fu_max = fu[fu["statistic"] == "maximum"]
    follow_up_median, fu_step = (_months(fu_med.iloc[0], "follow-up median")
                                 if len(fu_med) else (None, None))
    follow_up_max = _months(fu_max.iloc[0], "follow-up maximum")[0] if len(fu_max) else None
    precision = {"milestones": steps, "median": med_step, "follow_up_median": fu_step}
    label = f"{info['title']}: {endpoint.replace('_', ' ')}"
    common = dict(follow_up_median=follow_up_median, follow_up_max=follow_up_max,
                  events=events, precision=precision, unit_of_analysis=unit)
    return dict(info=info, unit=unit, n=n, kind_stat=kind_stat, milestones=milestones,
                median=median, common=common, label=label)


def reconstruct_series(evidence: Evidence, series_id: str, endpoint: str) -> PseudoIPD:
    """Pseudo-IPD of one series and endpoint, with every number read from the evidence.

    Parameters
    ----------
    evidence : Evidence
        From :func:`thyroid_evidence.load_evidence`.
    series_id : str
        A series in ``evidence/series.csv``.
    endpoint : str
        One of :data:`thyroid_evidence.vocab.TIME_TO_EVENT_ENDPOINTS`.

    Returns
    -------
    PseudoIPD
        ``label`` names the series and endpoint; the unit of analysis comes from the outcome
        rows (per lesion for local progression). For ``local_tumor_progression`` deaths
        compete (event 2) when the series reports overall survival; the incidence is read as
        Aalen-Johansen, or, when that cannot reproduce the reported numbers, as
        1 - Kaplan-Meier with deaths censored (the assumptions say which; the scenario set,
        :func:`~thyroid_evidence.study.scenarios.reconstruct_scenarios`, tries both). Per-lesion
        data of a series whose patients are known carry a ``patient`` column, the lesions of
        one patient sharing one death and one end of follow-up
        (:func:`thyroid_evidence.survival.summary.assign_patients`).

    Raises
    ------
    ValueError
        For an unknown series or endpoint, or when the evidence holds nothing to rebuild.
    """
    got = reported_rows(evidence, series_id, endpoint)
    unit, n, kind_stat = got["unit"], got["n"], got["kind_stat"]
    milestones, median, common, label = (got["milestones"], got["median"], got["common"],
                                         got["label"])
    if kind_stat == "survival":
        result = reconstruct_from_summary(n, survival_at=milestones or None, median=median,
                                          **common)
        extra = ()
    else:
        rate, why = competing_rate(evidence, series_id)
        result = reconstruct_from_summary(n, cumulative_incidence_at=milestones,
                                          competing_rate=rate, **common)
        if not result.all_reproduced and rate > 0:
            alt = reconstruct_from_summary(n, cumulative_incidence_at=milestones,
                                           competing_rate=rate,
                                           incidence_estimator="kaplan-meier", **common)
            if alt.all_reproduced:
                # this single reconstruction keeps the reading whose search succeeded; the
                # scenario set (reconstruct_scenarios) tries both readings, each on its own
                result = alt
        extra = (why,)
    unit_note = f"unit of analysis: {unit} (n = {n})"
    patients = got["info"].get("n_patients")
    if unit == "lesion":
        if patients is not None and not pd.isna(patients) and n / 2 <= int(patients) < n:
            result = assign_patients(result, int(patients))
        else:
            unit_note += ("; patients not known (or more than two lesions each): each lesion "
                          "is treated as its own patient")
    return PseudoIPD(data=result.data,
                     assumptions=result.assumptions + extra + (unit_note,),
                     reported_vs_reproduced=result.reported_vs_reproduced, spec=result.spec,
                     kind=result.kind, unit_of_analysis=unit, label=label)


def _denominator(info: pd.Series, points: pd.DataFrame, unit: str) -> int:
    dens = points["denominator"].dropna()
    if len(dens):
        return int(dens.iloc[0])
    column = "n_lesions" if unit == "lesion" else "n_patients"
    value = info.get(column)
    if value is None or pd.isna(value):
        raise ValueError(f"series {info.name!r} has no {column} for a per-{unit} endpoint")
    return int(value)


def competing_rate(evidence: Evidence, series_id: str) -> tuple[float, str]:
    """Death hazard per month from the series' overall survival (median or last milestone)."""
    rows = _plain(evidence.outcomes_for(series_id, "overall_survival"))
    med = rows[rows["statistic"] == "median"]
    if len(med):
        months, _ = _months(med.iloc[0], "overall survival median")
        return math.log(2) / months, (
            f"competing deaths: constant hazard log(2)/{months:g} per month, from the "
            "reported median overall survival")
    pts = rows[(rows["statistic"] == "survival") & (rows["unit"] == "percent")]
    if len(pts):
        last = pts.sort_values("time_months").iloc[-1]
        rate = -math.log(float(last["value"]) / 100.0) / float(last["time_months"])
        return rate, ("competing deaths: constant hazard from the last reported overall "
                      "survival milestone")
    return 0.0, "no overall survival reported: deaths not modelled (none coded as event 2)"
