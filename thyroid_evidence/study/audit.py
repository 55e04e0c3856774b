"""Run every consistency check over an evidence package and tabulate the findings.

Which numbers are checked together is read from the evidence only: ``group`` and
``group_kind`` (partition | shared_denominator) tie outcomes together, ``denominator`` and
``denominator_basis`` give the base of a percentage, ``numerator`` a reported count,
``unit_of_analysis`` what is counted, ``time_months`` and ``statistic`` which values are
time-point estimates, and series.csv the series sizes. No study is named in this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import pandas as pd

from thyroid_evidence.audit.grim import grim, infer_denominators, status_from_modes
from thyroid_evidence.audit.km_feasibility import KmFeasibility, km_feasible
from thyroid_evidence.audit.partition import check_complement, check_partition
from thyroid_evidence.audit.rounding import (
    MODES,
    NEAREST_MODES,
    parse_reported,
    round_fraction,
    show,
    show_exact,
)
from thyroid_evidence.study.formatting import printed_number
from thyroid_evidence.vocab import UNIT_OF_ANALYSIS_WORDS

#: Columns of the audit table, in order.
AUDIT_COLUMNS = ("series_id", "outcome_ids", "check", "status", "detail")
#: Order of the checks within a series.
CHECK_ORDER = (
    "count_percent",
    "grim",
    "shared_denominator",
    "partition",
    "complement",
    "km_feasibility",
)
#: Endpoint pairs whose percentages at the same time point should add to 100%: the first is a
#: proportion or survival-type estimate, the second its cumulative incidence.
COMPLEMENT_ENDPOINTS: tuple[tuple[str, str], ...] = (
    ("local_efficacy", "local_tumor_progression"),
)
#: Largest n for which the audit asks km_feasible for the numbers at risk (the full search).
KM_RANGE_MAX_N = 200
#: Largest denominator tried when inferring implied denominators.
N_MAX = 1000

#: The series.csv column that counts each unit of analysis.
_SERIES_SIZE = {"patient": "n_patients", "lesion": "n_lesions", "procedure": "n_procedures"}


def _present(value: object) -> bool:
    return value is not None and not pd.isna(value)


def _reported(row: pd.Series) -> str:
    return printed_number(row["value"], row["decimals"])


def _row(series_id: str, ids: Sequence[str], check: str, status: str, detail: str) -> dict:
    return {
        "series_id": series_id,
        "outcome_ids": ", ".join(ids),
        "check": check,
        "status": status,
        "detail": detail,
    }


def _list(numbers: Sequence[object], limit: int = 5) -> str:
    items = [str(x) for x in numbers]
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _months(values: Sequence[float]) -> str:
    return _list([f"{v:g}" for v in values], limit=10) + " months"


def audit_evidence(evidence: object) -> pd.DataFrame:
    """Check every reported percentage in an evidence package for arithmetic consistency.

    Parameters
    ----------
    evidence : Evidence
        As returned by :func:`thyroid_evidence.load_evidence` (anything with ``outcomes`` and
        ``series`` DataFrames in the evidence schema).

    Returns
    -------
    pandas.DataFrame
        Columns ``series_id``, ``outcome_ids`` (comma-separated), ``check``, ``status``,
        ``detail``; one row per check, series in evidence order, checks in
        :data:`CHECK_ORDER`.

    Notes
    -----
    Checks:

    ``count_percent``
        A percentage reported with its count and denominator: does count/denominator print
        as the percentage?
    ``grim``
        A percentage with a denominator but no count: does some k/denominator print as it
        (:func:`~thyroid_evidence.audit.grim`)? Without a denominator: cannot_check, listing
        the smallest denominators it fits.
    ``shared_denominator`` / ``partition``
        Members of a ``group``: do they fit the group's denominator together, and (partition)
        do shares and counts make up the whole? When the stated or implied denominator fails,
        the denominators that work are named.
    ``complement``
        Pairs in :data:`COMPLEMENT_ENDPOINTS` at the same time, series and unit: do they add
        to 100%?
    ``km_feasibility``
        Time-point estimates (survival, 1 - cumulative incidence, proportions at a time) of
        one endpoint: can any Kaplan-Meier curve of n subjects print them
        (:func:`~thyroid_evidence.audit.km_feasible`)? n is the rows' common denominator,
        else the series size for the unit of analysis.

    Status: ``consistent`` (reproduced with round-to-nearest), ``consistent_only_if_truncated``
    (reproduced only if digits were cut off or rounded up), ``inconsistent``, ``cannot_check``.
    The audit reports; it never edits the evidence.
    """
    outcomes = getattr(evidence, "outcomes", None)
    series = getattr(evidence, "series", None)
    if not isinstance(outcomes, pd.DataFrame) or not isinstance(series, pd.DataFrame):
        raise TypeError(
            "evidence must have DataFrames `outcomes` and `series` (use load_evidence())"
        )
    sizes = series.set_index("series_id")
    rows: list[dict] = []
    for series_id in series["series_id"]:
        chunk = outcomes[outcomes["series_id"] == series_id]
        found: list[dict] = []
        found += _row_checks(series_id, chunk)
        found += _group_checks(series_id, chunk)
        found += _complement_checks(series_id, chunk)
        found += _km_checks(series_id, chunk, sizes.loc[series_id])
        found.sort(key=lambda r: CHECK_ORDER.index(r["check"]))
        rows += found
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def _is_percent_proportion(row: pd.Series) -> bool:
    return (
        row["statistic"] == "proportion"
        and row["unit"] == "percent"
        and not _present(row.get("time_months"))
    )


def _row_checks(series_id: str, chunk: pd.DataFrame) -> list[dict]:
    out = []
    for _, row in chunk.iterrows():
        if not _is_percent_proportion(row):
            continue
        reported = _reported(row)
        counted = UNIT_OF_ANALYSIS_WORDS[row["unit_of_analysis"]]
        oid = [row["outcome_id"]]
        if not _present(row["denominator"]):
            fits = infer_denominators([reported], n_max=N_MAX, modes=NEAREST_MODES)
            detail = (
                f"No denominator is given for {reported}%; it fits {len(fits)} denominators up "
                f"to {N_MAX}, the smallest {_list(fits[:5])}."
                if fits
                else f"No denominator is given for {reported}%, and it fits none up to {N_MAX}."
            )
            out.append(_row(series_id, oid, "grim", "cannot_check", detail))
            continue
        n = int(row["denominator"])
        result = grim(reported, n)
        if _present(row["numerator"]):
            k = int(row["numerator"])
            modes = [m for m in MODES if k in result.numerators_for(m)]
            status = status_from_modes(modes)
            x = Fraction(100 * k, n)
            rounded = show(round_fraction(x, result.decimals, "half_up"), result.decimals)
            if status == "consistent":
                detail = f"{result.ratio(k)} rounds to {reported}%."
            elif status == "consistent_only_if_truncated":
                how = "truncated" if "truncate" in modes else "rounded up"
                detail = (
                    f"{result.ratio(k)} rounds to {rounded}%; it prints as {reported}% only "
                    f"if {how}."
                )
            else:
                detail = (
                    f"{result.ratio(k)} does not print as {reported}% under any rounding "
                    f"(it rounds to {rounded}%)."
                )
            out.append(_row(series_id, oid, "count_percent", status, detail))
        else:
            out.append(_row(series_id, oid, "grim", result.status, result.describe(counted)))
    return out


def _group_checks(series_id: str, chunk: pd.DataFrame) -> list[dict]:
    out = []
    grouped = chunk[chunk["group"].notna() & (chunk["group"] != "")]
    for _group_id, members in grouped.groupby("group", sort=False):
        kinds = set(members["group_kind"].dropna())
        kind = kinds.pop() if len(kinds) == 1 else None
        ids = list(members["outcome_id"])
        if kind is None:
            continue  # time-point groups (curves) carry no kind; the KM check covers them
        shares = members[members.apply(_is_percent_proportion, axis=1)]
        counts = members[(members["statistic"] == "count")]
        if not shares.empty:
            out.append(_share_group(series_id, ids, kind, shares))
        elif not counts.empty and kind == "partition":
            out.append(_count_group(series_id, ids, counts))
    return out


def _count_group(series_id: str, ids: list[str], counts: pd.DataFrame) -> dict:
    values = [
        int(r["numerator"]) if _present(r["numerator"]) else int(r["value"])
        for _, r in counts.iterrows()
    ]
    totals = set(counts["denominator"].dropna().astype(int))
    unit = UNIT_OF_ANALYSIS_WORDS[counts["unit_of_analysis"].iloc[0]]
    if len(totals) != 1:
        return _row(
            series_id, ids, "partition", "cannot_check",
            f"The parts ({_list(values, 10)}) have no single stated or implied total.",
        )
    total = totals.pop()
    result = check_partition(counts=values, total=total, unit=unit)
    return _row(series_id, ids, "partition", result.status, result.detail)


def _share_group(series_id: str, ids: list[str], kind: str, shares: pd.DataFrame) -> dict:
    texts = [_reported(r) for _, r in shares.iterrows()]
    labels = [
        str(r["category"]).replace("_", " ") if _present(r["category"]) else r["outcome_id"]
        for _, r in shares.iterrows()
    ]
    units = set(shares["unit_of_analysis"])
    unit = UNIT_OF_ANALYSIS_WORDS[units.pop()] if len(units) == 1 else "units"
    denominators = set(shares["denominator"].dropna().astype(int))
    partition = kind == "partition"
    implied = infer_denominators(texts, n_max=N_MAX, modes=NEAREST_MODES, partition=partition)
    implied_text = _implied_text(texts, implied, partition)
    if len(denominators) > 1:
        return _row(
            series_id, ids, kind, "cannot_check",
            f"The members give different denominators ({_list(sorted(denominators))}), so they "
            f"cannot be checked together.",
        )
    if not denominators:
        if partition:
            result = check_partition(texts, labels=labels, unit=unit)
            detail = f"{result.detail[:-1]}; {implied_text}"
            return _row(series_id, ids, kind, result.status, detail)
        return _row(
            series_id, ids, kind, "cannot_check",
            f"No denominator is given for {_list([t + '%' for t in texts], 10)}; {implied_text}",
        )
    n = denominators.pop()
    basis = set(shares["denominator_basis"].dropna())
    basis_text = f" ({basis.pop()})" if len(basis) == 1 else ""
    if partition:
        counts = [int(r["numerator"]) if _present(r["numerator"]) else None
                  for _, r in shares.iterrows()]
        result = check_partition(texts, n, counts=counts, labels=labels, unit=unit)
        detail = result.detail
        if result.status == "inconsistent" and None in counts:
            detail = f"{detail[:-1]}; {implied_text}"
        return _row(series_id, ids, kind, result.status, detail)
    results = [grim(t, n) for t in texts]
    common = [m for m in MODES if all(m in r.modes for r in results)]
    status = status_from_modes(common)
    if status == "inconsistent" and all(r.consistent for r in results):
        status = "consistent_only_if_truncated"
    if status == "consistent":
        mode = next(m for m in NEAREST_MODES if m in common)
        ks = [r.best(mode) for r in results]
        pairs = [f"{t}% = {k}/{n}" for t, k in zip(texts, ks, strict=True)]
        detail = (
            f"All {len(texts)} percentages fit the shared denominator of {n} {unit}"
            f"{basis_text}: {_list(pairs, 10)}."
        )
    else:
        failing = [f"{t}%" for t, r in zip(texts, results, strict=True)
                   if r.status != "consistent"]
        detail = (
            f"With the shared denominator of {n} {unit}{basis_text}, {_list(failing, 10)} "
            f"{'does' if len(failing) == 1 else 'do'} not fit k/{n} with round-to-nearest; "
            f"{implied_text}"
        )
    return _row(series_id, ids, kind, status, detail)


def _implied_text(texts: list[str], implied: list[int], partition: bool) -> str:
    what = "as parts of one whole" if partition else "together"
    if not implied:
        any_mode = infer_denominators(texts, n_max=N_MAX, modes=MODES, partition=partition)
        if any_mode:
            return (
                f"taken {what} they fit no n up to {N_MAX} with round-to-nearest, only with "
                f"truncation or rounding up (n = {_list(any_mode)})."
            )
        return f"taken {what} they fit no n up to {N_MAX} under any rounding."
    first = implied[0]
    ks = []
    for t in texts:
        result = grim(t, first)
        ks.append(next(result.best(m) for m in NEAREST_MODES if m in result.modes))
    example = f"{' + '.join(str(k) for k in ks)} = {sum(ks)}" if partition else (
        ", ".join(f"{k}/{first}" for k in ks)
    )
    return (
        f"taken {what} they fit n = {_list(implied)} (up to {N_MAX}), e.g. {example}."
    )


def _time_point_rows(chunk: pd.DataFrame) -> pd.DataFrame:
    mask = (
        (chunk["unit"] == "percent")
        & chunk["time_months"].notna()
        & chunk["statistic"].isin(["survival", "cumulative_incidence", "proportion"])
    )
    return chunk[mask]


def _complement_checks(series_id: str, chunk: pd.DataFrame) -> list[dict]:
    out = []
    points = _time_point_rows(chunk)
    for first, second in COMPLEMENT_ENDPOINTS:
        a_rows = points[
            (points["endpoint"] == first) & (points["statistic"] != "cumulative_incidence")
        ]
        b_rows = points[
            (points["endpoint"] == second) & (points["statistic"] == "cumulative_incidence")
        ]
        for _, a in a_rows.iterrows():
            same = b_rows[
                (b_rows["time_months"] == a["time_months"])
                & (b_rows["unit_of_analysis"] == a["unit_of_analysis"])
            ]
            for _, b in same.iterrows():
                result = check_complement(_reported(a), _reported(b))
                detail = (
                    f"At {a['time_months']:g} months, {first.replace('_', ' ')} plus cumulative "
                    f"{second.replace('_', ' ')} (per {a['unit_of_analysis']}): "
                    f"{result.detail[0].lower()}{result.detail[1:]}"
                )
                out.append(
                    _row(series_id, [a["outcome_id"], b["outcome_id"]], "complement",
                         result.status, detail)
                )
    return out


def _km_checks(series_id: str, chunk: pd.DataFrame, size: pd.Series) -> list[dict]:
    out = []
    points = _time_point_rows(chunk)
    if points.empty:
        return out
    points = points.assign(
        _kind=points["statistic"].where(points["statistic"] == "cumulative_incidence", "survival"),
        _subgroup=points["subgroup"].fillna(""),
        _category=points["category"].fillna(""),
    )
    keys = ["endpoint", "_kind", "unit_of_analysis", "_subgroup", "_category"]
    for (_endpoint, kind, unit, _sub, _cat), rows in points.groupby(keys, sort=False):
        rows = rows.sort_values("time_months")
        ids = list(rows["outcome_id"])
        counted = UNIT_OF_ANALYSIS_WORDS[unit]
        if rows["time_months"].duplicated().any():
            out.append(_row(series_id, ids, "km_feasibility", "cannot_check",
                            "Two values share a time point, so they are not one curve."))
            continue
        denominators = set(rows["denominator"].dropna().astype(int))
        if len(denominators) == 1:
            n = denominators.pop()
        else:
            size_value = size.get(_SERIES_SIZE[unit])
            if not _present(size_value):
                out.append(_row(series_id, ids, "km_feasibility", "cannot_check",
                                f"The number of {counted} is not reported."))
                continue
            n = int(size_value)
        texts = [_reported(r) for _, r in rows.iterrows()]
        times = list(rows["time_months"])
        complement = kind == "cumulative_incidence"
        out.append(_row(series_id, ids, "km_feasibility",
                        *_km_verdict(n, texts, times, complement, counted)))
    return out


def _km_verdict(
    n: int, texts: list[str], times: list[float], complement: bool, counted: str
) -> tuple[str, str]:
    ranges = n <= KM_RANGE_MAX_N
    what = "1 - cumulative incidence" if complement else "survival"
    shown = _list([t + "%" for t in texts], 10)
    subject = (
        f"{shown} at {_months(times)}"
        if not complement
        else f"cumulative incidence {shown} at {_months(times)}"
    )
    result = km_feasible(n, texts, complement=complement, at_risk_ranges=ranges)
    status = "consistent"
    if result.feasible is False:
        # any mode per milestone (a mix of rounding and truncation included)
        directed = km_feasible(n, texts, complement=complement, modes=MODES,
                               at_risk_ranges=ranges)
        if directed.feasible:
            result, status = directed, "consistent_only_if_truncated"
        elif directed.feasible is None:
            return "inconsistent", (
                f"No Kaplan-Meier curve of {n} {counted}, with any pattern of events and "
                f"censoring, prints {subject} with round-to-nearest; truncation could not be "
                f"decided ({directed.reason})."
            )
        else:
            return "inconsistent", (
                f"No Kaplan-Meier curve of {n} {counted}, with any pattern of events and "
                f"censoring, prints {subject} under any rounding."
            )
    if result.feasible is None:
        return "cannot_check", (
            f"Whether a Kaplan-Meier curve of {n} {counted} can print {subject} was not "
            f"decided: {result.reason}."
        )
    return status, _km_feasible_text(result, n, subject, counted, what, status)


def _km_feasible_text(
    result: KmFeasibility, n: int, subject: str, counted: str, what: str, status: str
) -> str:
    if result.witness_survival is None or result.witness_at_risk is None:
        raise RuntimeError("internal error: a feasible result must carry its witness path")
    values = [
        show_exact(
            s * 100 if what == "survival" else (1 - s) * 100, parse_reported(text).decimals
        )
        for s, text in zip(result.witness_survival, result.milestones, strict=True)
    ]
    at_risk = _list([str(a) for a in result.witness_at_risk], 10)
    how = "" if status == "consistent" else " only if truncated or rounded up"
    text = (
        f"A Kaplan-Meier curve of {n} {counted} can print {subject}{how}, e.g. "
        f"{_list([v + '%' for v in values], 10)} with {at_risk} still at risk"
    )
    if result.at_risk is not None and result.at_risk_bounds is not None:
        if result.at_risk_exact:
            spans = _list([f"{lo}-{hi}" for lo, hi in result.at_risk], 10)
            text += f"; the numbers at risk compatible with the report are {spans}"
        else:
            spans = _list(
                [f"{lo}-{hi}" for lo, hi in result.at_risk_bounds], 10
            )
            text += f"; the numbers at risk compatible with the report lie within {spans}"
    return text + "."
