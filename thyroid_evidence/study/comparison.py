"""Across-series data: survival curves to draw on shared axes, local control, key numbers.

The series differ in organ, technique, primary tumour and unit of analysis; these helpers put
them next to each other for reading, they do not make them comparable. Pooling is left to the
caller (:func:`thyroid_evidence.proportions.pool_proportions`) and off by default in the
notebooks; :func:`pooling_rows` refuses rows that measure different endpoints or units of
analysis (:func:`pooling_refusal` gives the reason without raising).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from thyroid_evidence.evidence import Evidence
from thyroid_evidence.study.formatting import printed_number, printed_value
from thyroid_evidence.study.proportions import proportion_table
from thyroid_evidence.study.series import reconstruct_series
from thyroid_evidence.survival import PseudoIPD
from thyroid_evidence.vocab import TECHNIQUE_KINDS

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
__all__ = [
    "KEY_ROWS",
    "LOCAL_CONTROL_CATEGORIES",
    "LOCAL_CONTROL_ENDPOINTS",
    "TECHNIQUE_KINDS",
    "key_numbers",
    "local_control_table",
    "pooling_refusal",
    "pooling_rows",
    "series_curves",
    "series_styles",
]


def series_curves(evidence: Evidence, endpoint: str = "overall_survival") -> dict[str, PseudoIPD]:
    """Pseudo-IPD of every series that reports ``endpoint`` as milestones or a median.

    Parameters
    ----------
    evidence : Evidence
    endpoint : str
        One of :data:`thyroid_evidence.vocab.TIME_TO_EVENT_ENDPOINTS`.

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


def series_styles(evidence: Evidence, series_ids: Iterable[str]) -> pd.DataFrame:
    """What :func:`~thyroid_evidence.plotting.plot_survival_comparison` needs to tell series apart.

    Parameters
    ----------
    evidence : Evidence
    series_ids : iterable of str
        For example the keys of :func:`series_curves`.

    Returns
    -------
    DataFrame
        Indexed by ``series_id``: ``label`` (the series' display label with its size and
        site, ``"de Baère 2015 (n = 566, lung)"``), ``target_site`` and ``technique_kind``
        (the series' ``technique_kind``, one of :data:`TECHNIQUE_KINDS`).
    """
    info = evidence.series.set_index("series_id")
    records = []
    for series_id in series_ids:
        row = info.loc[series_id]
        site = row["target_site"].replace("_", " ")
        records.append({
            "series_id": series_id,
            "label": f"{row['label']} (n = {int(row['n_patients'])}, {site})",
            "target_site": row["target_site"],
            "technique_kind": row["technique_kind"],
        })
    return pd.DataFrame.from_records(
        records, columns=["series_id", "label", "target_site", "technique_kind"]
    ).set_index("series_id")


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
    value = printed_number(row["value"], row["decimals"])
    text = printed_value(row)
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


def _candidates(table: pd.DataFrame) -> pd.DataFrame:
    keep = table["events"].notna() & table["ci_low"].notna() & (table["subgroup"] == "")
    return table[keep].reset_index(drop=True)


def _measure(row: pd.Series) -> str:
    text = row["endpoint"].replace("_", " ")
    return f"{text}: {row['category'].replace('_', ' ')}" if row["category"] else text


def pooling_refusal(table: pd.DataFrame) -> str:
    """Why the rows :func:`pooling_rows` would keep cannot be pooled ("" when they can).

    Parameters
    ----------
    table : DataFrame
        From :func:`~thyroid_evidence.study.proportion_table` (or
        :func:`local_control_table`).

    Returns
    -------
    str
        Empty when the candidate rows measure one endpoint (endpoint and category) on one
        unit of analysis, one row per series; otherwise a sentence naming every endpoint and
        unit found, each with its series, and any series that appears twice (for example the
        review's number and the paper's).
    """
    rows = _candidates(table)
    measures = [_measure(row) for _, row in rows.iterrows()]
    problems = []
    for what, values in (("endpoints", measures),
                         ("units of analysis", list(rows["unit_of_analysis"]))):
        found = list(dict.fromkeys(values))
        if len(found) > 1:
            listed = "; ".join(
                f"{value} [" + ", ".join(dict.fromkeys(
                    sid for sid, v in zip(rows["series_id"], values, strict=True) if v == value
                )) + "]"
                for value in found
            )
            problems.append(f"{len(found)} different {what} ({listed})")
    repeated = [sid for sid, n in rows["series_id"].value_counts(sort=False).items() if n > 1]
    if repeated:
        problems.append("the same patients more than once (" + "; ".join(
            f"{sid}: {int((rows['series_id'] == sid).sum())} rows, from "
            + ", ".join(dict.fromkeys(rows.loc[rows['series_id'] == sid, 'source_id']
                                      if 'source_id' in rows else ['?']))
            for sid in repeated) + ")")
    if not problems:
        return ""
    return ("pooling refused: the rows with a count measure " + " and ".join(problems)
            + "; a pooled proportion needs one endpoint on one unit of analysis")


def pooling_rows(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of a proportion table that may enter a pooled estimate.

    Only rows with a binomial interval (a count that is a proportion: a crude count of a
    time-to-event endpoint is not), and only whole-series rows: a subgroup shares its patients
    with the whole series, so pooling both would count them twice.

    Parameters
    ----------
    table : DataFrame
        From :func:`~thyroid_evidence.study.proportion_table` (or
        :func:`local_control_table`).

    Returns
    -------
    DataFrame
        The rows, renumbered.

    Raises
    ------
    ValueError
        When the rows measure different endpoints or units of analysis; the message
        (:func:`pooling_refusal`) names each one with its series.
    """
    refusal = pooling_refusal(table)
    if refusal:
        raise ValueError(refusal)
    return _candidates(table)
