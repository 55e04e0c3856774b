"""Tidy tables of the series' reported proportions, with intervals.

Collects every reported proportion of the evidence (response categories, complete treatment,
local efficacy and control, complications, ...) into one table with a count ``k`` of ``n``
where the source gives or implies it, and an interval from
:func:`thyroid_evidence.proportions.proportion_ci`.

Two things the counts alone do not say are decided here from the structured fields:

- a crude count of a time-to-event endpoint (an endpoint of
  :data:`thyroid_evidence.vocab.TIME_TO_EVENT_ENDPOINTS`, such as progressions over lesions
  or deaths over patients) ignores censoring and follow-up: it is not a binomial proportion
  and gets no interval, and ``interval_note`` says so;
- a count of lesions (or procedures) counts several per patient: its binomial interval takes
  them as independent; beside it the table gives the interval widened by a design effect over
  an assumed ICC range (:func:`thyroid_evidence.proportions.cluster_adjusted_ci`), with the
  mean units per patient read from ``series.csv``. A cluster bootstrap would need each
  patient's lesions, which the review does not give.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from thyroid_evidence.audit import grim
from thyroid_evidence.evidence import Evidence
from thyroid_evidence.proportions import DEFAULT_ICC_RANGE, cluster_adjusted_ci, proportion_ci
from thyroid_evidence.study.checks import check_evidence
from thyroid_evidence.study.formatting import (
    display_label,
    printed_number,
    printed_value,
    series_label,
    source_label,
)
from thyroid_evidence.vocab import TIME_TO_EVENT_ENDPOINTS, UNIT_OF_ANALYSIS_WORDS, UNIT_WORDS

#: Columns of :func:`proportion_table`.
PROPORTION_COLUMNS = (
    "series_id", "series_label", "outcome_ids", "source_id", "source_label", "outcome_label",
    "endpoint", "category", "subgroup",
    "unit_of_analysis",
    "time_months", "reported", "events", "total", "events_basis", "estimate", "ci_low", "ci_high",
    "method",
    "interval_note", "units_per_patient", "icc_low", "icc_high", "design_effect", "effective_n",
    "cluster_ci_low", "cluster_ci_high",
)
#: Units of analysis nested in patients -> the ``series.csv`` column that counts them (the
#: mean units per patient is that count over ``n_patients``).
CLUSTERED_UNITS = {"lesion": "n_lesions", "procedure": "n_procedures"}
#: Columns of the cluster adjustment (empty for patient rows and rows without an interval).
CLUSTER_COLUMNS = ("units_per_patient", "icc_low", "icc_high", "design_effect", "effective_n",
                   "cluster_ci_low", "cluster_ci_high")


def _label(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def proportion_table(
    evidence: Evidence,
    *,
    method: str = "wilson",
    alpha: float = 0.05,
    series_ids: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
    icc_range: tuple[float, float] = DEFAULT_ICC_RANGE,
) -> pd.DataFrame:
    """Every reported proportion with its count and a confidence interval.

    Parameters
    ----------
    evidence : Evidence
        From :func:`thyroid_evidence.load_evidence`.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Interval method, passed to :func:`~thyroid_evidence.proportions.proportion_ci`.
    alpha : float in (0, 1)
        One minus the confidence level.
    series_ids, endpoints : sequence of str, optional
        Restrict the table.
    icc_range : (float, float) in [0, 1]
        Intraclass correlations assumed between the lesions (procedures) of one patient for
        the cluster-adjusted interval of per-lesion rows; default
        :data:`thyroid_evidence.proportions.DEFAULT_ICC_RANGE`.

    Returns
    -------
    DataFrame
        One row per reported result (a count and its percentage reported together, by one
        source, on one unit of analysis, make one row), with :data:`PROPORTION_COLUMNS`.
        ``series_label``, ``source_label`` and ``outcome_label`` name the series, the source
        and what is measured in words for figures (:func:`series_label`,
        :func:`source_label`, :func:`outcome_label`), never by their ids.
        ``events_basis`` says where ``events`` comes from:
        ``stated``; ``from percent`` (the k/n nearest the printed percentage among those that
        round to it); ``from percent, only if truncated`` (no k/n rounds to it, one truncates
        to it: see the audit);
        or why there is no interval: ``no denominator``, ``time-point rate`` (an actuarial
        rate at a time point is not k of n: see the survival notebooks for its interval) or
        ``percentage fits no k/n`` (see the audit).

        ``interval_note`` says, in words, why a row has no interval (the reasons above, and
        a crude count of a time-to-event endpoint, which keeps its ``k`` and ``n`` but gets
        neither an ``estimate`` nor an interval) or, for a per-lesion (per-procedure) row,
        what its interval assumes. The cluster columns (:data:`CLUSTER_COLUMNS`) are filled
        for per-lesion (per-procedure) rows with an interval when ``series.csv`` counts the
        lesions (procedures):
        ``units_per_patient`` m, the ICC range, the largest ``design_effect``
        1 + (m - 1) ICC over it, the ``effective_n`` n / DE and the widest interval
        ``cluster_ci_low``, ``cluster_ci_high`` at the effective counts.
    """
    out = evidence.outcomes
    is_share = (out["statistic"] == "proportion") | (
        (out["statistic"] == "count") & out["numerator"].notna() & out["denominator"].notna()
    )
    rows = out[is_share]
    if series_ids is not None:
        rows = rows[rows["series_id"].isin(series_ids)]
    if endpoints is not None:
        rows = rows[rows["endpoint"].isin(endpoints)]
    records = []
    series_labels = {r["series_id"]: series_label(r) for r in evidence.series.to_dict("records")}
    source_labels = {r["source_id"]: source_label(r) for r in evidence.sources.to_dict("records")}
    # one result = one source's count and percentage of one thing, on one unit
    keys = ["series_id", "source_id", "endpoint", "category", "subgroup", "unit_of_analysis",
            "time_months"]
    for _, grp in rows.groupby(keys, dropna=False, sort=False):
        counts = grp[grp["statistic"] == "count"]
        shares = grp[grp["statistic"] == "proportion"]
        first = grp.iloc[0]
        reported = " = ".join(
            [f"{int(r['numerator'])}/{int(r['denominator'])}" for _, r in counts.iterrows()]
            + [printed_value(r) for _, r in shares.iterrows()]
        )
        k, n, basis = _count(counts, shares)
        low = high = estimate = np.nan
        time_to_event = k is not None and first["endpoint"] in TIME_TO_EVENT_ENDPOINTS
        cluster: dict[str, object] = dict.fromkeys(CLUSTER_COLUMNS, np.nan)
        if time_to_event:
            pass  # k/n of a censored endpoint estimates nothing: no estimate, no interval
        elif k is not None:
            estimate = k / n
        elif len(shares):
            estimate = shares["value"].iloc[0] / 100.0
        if time_to_event:
            note = crude_count_note(first["endpoint"], first["unit_of_analysis"])
        elif k is not None:
            low, high = proportion_ci(k, n, method=method, alpha=alpha)
            cluster, note = _cluster(evidence, first, k, n, method, alpha, icc_range)
        else:
            note = _NO_INTERVAL[basis]
        records.append({
            "series_id": first["series_id"],
            "series_label": series_labels.get(first["series_id"], first["series_id"]),
            "outcome_ids": ", ".join(grp["outcome_id"]),
            "source_id": first["source_id"],
            "source_label": source_labels.get(first["source_id"], first["source_id"]),
            "outcome_label": outcome_label(first),
            "endpoint": first["endpoint"],
            "category": _label(first["category"]),
            "subgroup": _label(first["subgroup"]),
            "unit_of_analysis": first["unit_of_analysis"],
            "time_months": first["time_months"],
            "reported": reported,
            "events": k,
            "total": n,
            "events_basis": basis,
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "method": method if pd.notna(low) else "",
            "interval_note": note,
            **cluster,
        })
    table = pd.DataFrame.from_records(records, columns=list(PROPORTION_COLUMNS))
    table["events"] = table["events"].astype("Int64")
    table["total"] = table["total"].astype("Int64")
    return table


def outcome_label(row: pd.Series) -> str:
    """What an outcome row measures, in words: "symptomatic: during RIT", "local efficacy at
    48 mo", "tumor response: partial response [patients with <30% liver involvement]".

    Parameters
    ----------
    row : Series
        A row of ``evidence.outcomes`` (``endpoint``, ``category``, ``subgroup``,
        ``time_months``).

    Returns
    -------
    str
    """
    text = display_label(row["endpoint"])
    category = display_label(row["category"])
    if category and category != text:
        text += f": {category}"
    subgroup = _label(row["subgroup"])
    if subgroup:
        text += f" [{subgroup}]"
    if pd.notna(row["time_months"]):
        text += f" at {row['time_months']:g} mo"
    return text


#: ``interval_note`` of a row without a count, by its ``events_basis``.
_NO_INTERVAL = {
    "time-point rate": "no interval: a time-point rate (actuarial), not k of n; its interval "
                       "comes from the survival reconstruction",
    "no denominator": "no interval: no denominator",
    "percentage fits no k/n": "no interval: the percentage fits no k/n (see the audit)",
}


def crude_count_note(endpoint: str, unit_of_analysis: str) -> str:
    """Why a crude k/n of a time-to-event endpoint gets no binomial interval.

    Parameters
    ----------
    endpoint : str
        One of :data:`thyroid_evidence.vocab.TIME_TO_EVENT_ENDPOINTS`.
    unit_of_analysis : str
        The row's unit (``patient``, ``lesion``...).

    Returns
    -------
    str
        The ``interval_note`` of such a row.
    """
    units = UNIT_OF_ANALYSIS_WORDS.get(unit_of_analysis, unit_of_analysis)
    return (f"no interval: a crude count of a time-to-event endpoint "
            f"({endpoint.replace('_', ' ')}) over {units}; it ignores censoring and "
            "follow-up, so k/n is not a binomial proportion (see the survival reconstruction)")


def _cluster(
    evidence: Evidence,
    row: pd.Series,
    k: int,
    n: int,
    method: str,
    alpha: float,
    icc_range: tuple[float, float],
) -> tuple[dict[str, object], str]:
    """The cluster columns and the ``interval_note`` of a row with a binomial interval."""
    empty: dict[str, object] = dict.fromkeys(CLUSTER_COLUMNS, np.nan)
    unit = row["unit_of_analysis"]
    if unit not in CLUSTERED_UNITS:
        return empty, ""
    units = UNIT_OF_ANALYSIS_WORDS.get(unit, unit)
    info = evidence.series.set_index("series_id").loc[row["series_id"]]
    count = info[CLUSTERED_UNITS[unit]]
    independent = f"per {unit}: the interval takes the {n} {units} as independent"
    if pd.isna(count) or pd.isna(info["n_patients"]) or float(info["n_patients"]) <= 0:
        return empty, (f"{independent}; no cluster adjustment (series.csv gives no count of "
                       f"{units} and patients)")
    m = max(1.0, float(count) / float(info["n_patients"]))
    adj = cluster_adjusted_ci(k, n, m, icc_range=icc_range, method=method, alpha=alpha)
    values = {
        "units_per_patient": m,
        "icc_low": adj.icc_low,
        "icc_high": adj.icc_high,
        "design_effect": adj.design_effect,
        "effective_n": adj.effective_n,
        "cluster_ci_low": adj.ci_low,
        "cluster_ci_high": adj.ci_high,
    }
    note = (f"{independent}; cluster-adjusted [{100 * adj.ci_low:.1f}, "
            f"{100 * adj.ci_high:.1f}]% assumes ICC {adj.icc_low:g}-{adj.icc_high:g} "
            f"(not reported) with {m:.2f} {units} per patient (series.csv): design effect up "
            f"to {adj.design_effect:.2f}, effective n {adj.effective_n:.1f}")
    return values, note


def _count(counts: pd.DataFrame, shares: pd.DataFrame) -> tuple[int | None, int | None, str]:
    return count_for(counts.iloc[0] if len(counts) else shares.iloc[0])


def count_for(row: pd.Series) -> tuple[int | None, int | None, str]:
    """The count k of n behind one outcome row, and where it comes from.

    Parameters
    ----------
    row : Series
        A row of ``evidence.outcomes`` (a proportion, or a count with a denominator).

    Returns
    -------
    tuple (k, n, basis)
        ``basis`` as the ``events_basis`` column of :func:`proportion_table`; ``k`` is None when
        there is no count to give (then ``basis`` says why).
    """
    if pd.notna(row["numerator"]) and pd.notna(row["denominator"]):
        return int(row["numerator"]), int(row["denominator"]), "stated"
    if row["statistic"] == "count" and pd.notna(row["denominator"]):
        return int(row["value"]), int(row["denominator"]), "stated"
    if pd.notna(row["time_months"]):
        return None, None, "time-point rate"
    if pd.isna(row["denominator"]):
        return None, None, "no denominator"
    n = int(row["denominator"])
    result = grim(printed_number(row["value"], row["decimals"]), n)
    if "half_up" in result.modes:
        return result.best("half_up"), n, "from percent"
    if "truncate" in result.modes:
        return result.best("truncate"), n, "from percent, only if truncated"
    return None, n, "percentage fits no k/n"


def reported_proportions(
    outcome_ids: Sequence[str],
    evidence: Evidence,
    *,
    method: str = "clopper-pearson",
    alpha: float = 0.05,
    icc_range: tuple[float, float] = DEFAULT_ICC_RANGE,
) -> pd.DataFrame:
    """Events / total of reported outcomes with a confidence interval for each.

    Parameters
    ----------
    outcome_ids : sequence of str
        ``outcome_id`` values of ``evidence/outcomes.csv`` with statistic ``proportion`` or
        ``count`` and a denominator.
    evidence : Evidence
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Passed to :func:`thyroid_evidence.proportions.proportion_ci`; the exact
        (Clopper-Pearson) interval by default, as the series are small.
    alpha : float in (0, 1)
    icc_range : (float, float) in [0, 1]
        ICCs assumed for the cluster adjustment of per-lesion (per-procedure) rows, as in
        :func:`proportion_table`.

    Returns
    -------
    DataFrame
        ``outcome_id, series_id, series_label, endpoint, category, unit_of_analysis, events,
        total,
        events_basis, proportion, ci_low, ci_high, reported, quote, location``, then
        ``interval_note`` and :data:`CLUSTER_COLUMNS` as in :func:`proportion_table`. The count of
        events comes from ``numerator`` when the evidence has it (``events_basis`` "stated" or
        "implied", as ``denominator_basis``), else from the percentage and the denominator
        (see :func:`count_for`). Unlike :func:`proportion_table`, which groups a count and its
        percentage into one result, this keeps one row per requested outcome and refuses a
        row without a count.

    Raises
    ------
    ValueError
        For an unknown id (listing close ones), a row without a denominator, a crude count of
        a time-to-event endpoint (not a binomial proportion: the message says why), or a
        count that cannot give the reported percentage.
    """
    ev = check_evidence(evidence)
    if isinstance(outcome_ids, str) or not isinstance(outcome_ids, Sequence) or not outcome_ids:
        raise ValueError("outcome_ids must be a non-empty list of outcome_id strings")
    table = ev.outcomes.set_index("outcome_id")
    series_labels = {r["series_id"]: series_label(r) for r in ev.series.to_dict("records")}
    records = []
    for oid in outcome_ids:
        if oid not in table.index:
            usable = table.index[table["denominator"].notna()
                                 & table["statistic"].isin(["proportion", "count"])]
            raise ValueError(f"outcome_id={oid!r} is not in outcomes.csv; outcomes with a "
                             f"denominator: {', '.join(usable)}")
        row = table.loc[oid]
        if row["statistic"] not in ("proportion", "count") or pd.isna(row["denominator"]):
            raise ValueError(f"outcome_id={oid!r} is a {row['statistic']} without a usable "
                             "denominator; allowed: proportion or count rows with a denominator")
        if row["endpoint"] in TIME_TO_EVENT_ENDPOINTS:
            raise ValueError(f"outcome_id={oid!r}: "
                             + crude_count_note(row["endpoint"], row["unit_of_analysis"]))
        events, total, basis = count_for(row)
        if events is None:
            raise ValueError(f"outcome_id={oid!r}: no count out of {total} gives "
                             f"{row['value']}% ({basis})")
        low, high = proportion_ci(events, total, method=method, alpha=alpha)
        cluster, note = _cluster(ev, row, events, total,
                                 method, alpha, icc_range)
        reported = printed_value(row, units=UNIT_WORDS)
        records.append({
            "outcome_id": oid,
            "series_id": row["series_id"],
            "series_label": series_labels.get(row["series_id"], row["series_id"]),
            "endpoint": row["endpoint"],
            "category": None if pd.isna(row["category"]) else row["category"],
            "unit_of_analysis": row["unit_of_analysis"],
            "events": events,
            "total": total,
            "events_basis": basis,
            "proportion": events / total,
            "ci_low": low,
            "ci_high": high,
            "reported": reported,
            "quote": row["quote"],
            "location": row["location"],
            "interval_note": note,
            **cluster,
        })
    return pd.DataFrame.from_records(records)
