"""Run every consistency check over an evidence package and tabulate the findings.

Which numbers are checked together is read from the evidence only: ``group`` and
``group_kind`` (partition | shared_denominator) tie outcomes together, ``denominator`` and
``denominator_basis`` give the base of a percentage, ``numerator`` a reported count,
``unit_of_analysis`` what is counted, ``time_months`` and ``statistic`` which values are
time-point estimates, and series.csv the series sizes. No study is named in this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from fractions import Fraction
from typing import NamedTuple

import pandas as pd

from thyroid_evidence.audit.grim import grim, infer_denominators, status_from_modes
from thyroid_evidence.audit.km_feasibility import KmFeasibility, km_feasible
from thyroid_evidence.audit.km_joint import KmJointFeasibility, km_joint_feasible
from thyroid_evidence.audit.moments import MeanSdFeasibility, mean_sd_feasible
from thyroid_evidence.audit.partition import check_complement, check_partition
from thyroid_evidence.audit.rounding import (
    MODES,
    NEAREST_MODES,
    Interval,
    parse_reported,
    round_fraction,
    show,
    show_exact,
    union_interval,
)
from thyroid_evidence.study.cache import cached
from thyroid_evidence.study.formatting import printed_number
from thyroid_evidence.vocab import (
    MONTHS_PER_UNIT,
    NON_NEGATIVE_UNITS,
    REVIEW_SOURCE,
    UNIT_CONVERSIONS,
    UNIT_OF_ANALYSIS_WORDS,
    WHOLE_NUMBER_UNITS,
)

#: Columns of the audit table, in order.
AUDIT_COLUMNS = ("series_id", "outcome_ids", "check", "status", "detail")
#: Order of the checks within a series.
CHECK_ORDER = (
    "count_percent",
    "grim",
    "cross_denominator",
    "shared_denominator",
    "partition",
    "review_vs_source",
    "complement",
    "km_feasibility",
    "km_joint",
    "mean_sd",
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
    ``cross_denominator``
        A denominator found elsewhere in the series (a series size, a count row, the primary
        paper's stated counts, or the n that a partition of the series establishes) tried on
        the review's percentages that lack one or fail their own. When the review's numbers
        fit only a count of the primary paper (another unit, e.g. sessions for lesions), the
        finding, and the failing checks it explains, are ``review_and_source_disagree``.
    ``review_vs_source``
        A number of the review and the primary paper's own number for the same endpoint,
        category and statistic: same unit of analysis, same denominator, printed values
        compatible within rounding?
    ``km_joint``
        The milestones of ``km_feasibility`` together with the reported number of events of
        that endpoint and unit, the series' median follow-up and the longest follow-up a
        ``study_period`` row allows (:func:`~thyroid_evidence.audit.km_joint_feasible`).
    ``mean_sd``
        A mean and its SD (and median, and range ends) over the series size for the unit:
        can any sample of values that are never negative (units in
        :data:`~thyroid_evidence.vocab.NON_NEGATIVE_UNITS`) print them
        (:func:`~thyroid_evidence.audit.mean_sd_feasible`)? The detail adds what whole
        numbers of the unit (whole days, whole mCi) would allow.

    Status (:data:`~thyroid_evidence.vocab.STATUSES`): ``consistent`` (reproduced with
    round-to-nearest), ``consistent_only_if_truncated`` (reproduced only if digits were cut
    off or rounded up), ``review_and_source_disagree`` (the review's number, or what it
    attaches it to, differs from the cited paper's), ``inconsistent`` (inconsistent within the
    source that reports it), ``cannot_check``. The audit reports; it never edits the evidence.
    """
    outcomes = getattr(evidence, "outcomes", None)
    series = getattr(evidence, "series", None)
    if not isinstance(outcomes, pd.DataFrame) or not isinstance(series, pd.DataFrame):
        raise TypeError(
            "evidence must have DataFrames `outcomes` and `series` (use load_evidence())"
        )
    # The audit reads these two tables only; one build asks for it twice (the data_audit
    # notebook and the report), so it is stored by their content (study/cache.py).
    return cached("audit_evidence", {"tables": _tables_digest(outcomes, series)},
                  lambda: _audit(outcomes, series), _audit_to_data, _audit_from_data)


def _tables_digest(*tables: pd.DataFrame) -> str:
    """SHA-256 of tables' columns, dtypes and values (floats as their shortest repr)."""
    digest = hashlib.sha256()
    for table in tables:
        digest.update(json.dumps([[str(c), str(t)] for c, t in table.dtypes.items()]).encode())
        digest.update(table.to_csv(index=False, lineterminator="\n").encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _audit_to_data(findings: pd.DataFrame) -> dict:
    return {"columns": list(findings.columns), "rows": findings.to_numpy().tolist()}


def _audit_from_data(data: dict) -> pd.DataFrame:
    if data.get("columns") != list(AUDIT_COLUMNS) or not isinstance(data.get("rows"), list):
        raise ValueError("not a stored audit")
    rows = data["rows"]
    if not all(isinstance(r, list) and len(r) == len(AUDIT_COLUMNS)
               and all(isinstance(v, str) for v in r) for r in rows):
        raise ValueError("not a stored audit")
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS), dtype=object)


def _audit(outcomes: pd.DataFrame, series: pd.DataFrame) -> pd.DataFrame:
    sizes = series.set_index("series_id")
    rows: list[dict] = []
    for series_id in series["series_id"]:
        chunk = outcomes[outcomes["series_id"] == series_id]
        found: list[dict] = []
        found += _row_checks(series_id, chunk)
        found += _group_checks(series_id, chunk)
        found += _complement_checks(series_id, chunk)
        found += _km_checks(series_id, chunk, sizes.loc[series_id])
        found += _km_joint_checks(series_id, chunk, sizes.loc[series_id])
        found += _mean_sd_checks(series_id, chunk, sizes.loc[series_id])
        found += _review_vs_source_checks(series_id, chunk)
        found = _cross_denominator_checks(series_id, chunk, sizes.loc[series_id], found)
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


def _time_point_curves(chunk: pd.DataFrame) -> Iterator[tuple[str, str, str, pd.DataFrame]]:
    """``(endpoint, kind, unit_of_analysis, rows)`` for each curve of a series' time-point rows
    (one endpoint, survival or cumulative incidence, unit, subgroup and category), its rows
    sorted by time."""
    points = _time_point_rows(chunk)
    if points.empty:
        return
    points = points.assign(
        _kind=points["statistic"].where(points["statistic"] == "cumulative_incidence", "survival"),
        _subgroup=points["subgroup"].fillna(""),
        _category=points["category"].fillna(""),
    )
    keys = ["endpoint", "_kind", "unit_of_analysis", "_subgroup", "_category"]
    for (endpoint, kind, unit, _sub, _cat), rows in points.groupby(keys, sort=False):
        yield endpoint, kind, unit, rows.sort_values("time_months")


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
    for _endpoint, kind, unit, rows in _time_point_curves(chunk):
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
        status, detail = _km_verdict(n, texts, times, complement, counted)
        counts = chunk[(chunk["endpoint"] == rows["endpoint"].iloc[0])
                       & (chunk["statistic"] == "count") & (chunk["unit_of_analysis"] == unit)
                       & chunk["time_months"].isna()]
        if len(counts) == 1 and status != "inconsistent":
            detail += (f" The example need not have the {int(counts['value'].iloc[0])} events "
                       f"reported; km_joint checks the milestones with that count.")
        out.append(_row(series_id, ids, "km_feasibility", status, detail))
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


# --- sources -----------------------------------------------------------------------------------


def _source_of(row: pd.Series) -> str:
    value = row.get("source_id")
    return value if isinstance(value, str) and value else REVIEW_SOURCE


def _source_name(source_id: str) -> str:
    return "the review" if source_id == REVIEW_SOURCE else f"the primary paper ({source_id})"


def _by_review(chunk: pd.DataFrame) -> pd.Series:
    if "source_id" not in chunk.columns:
        return pd.Series(True, index=chunk.index)
    return chunk["source_id"].fillna(REVIEW_SOURCE) == REVIEW_SOURCE


class _Count(NamedTuple):
    """A count of the series that could serve as a denominator."""

    n: int
    unit: str  # unit of analysis, or "" when a partition establishes it
    source_id: str
    words: str  # e.g. "sessions"

    def text(self) -> str:
        if not self.unit:
            return f"the denominator {self.n} that {self.source_id} establishes"
        return f"the {self.n} {self.words} of {_source_name(self.source_id)}"


_COUNT_ENDPOINTS = ("patient_count", "tumor_count", "procedure_count")


def _series_counts(chunk: pd.DataFrame, size: pd.Series) -> list[_Count]:
    out: list[_Count] = []
    seen: set[tuple[int, str]] = set()

    def add(count: _Count) -> None:
        if (count.n, count.unit) not in seen:
            seen.add((count.n, count.unit))
            out.append(count)

    rows = chunk[chunk["endpoint"].isin(_COUNT_ENDPOINTS) & (chunk["statistic"] == "count")
                 & chunk["subgroup"].isna()]
    for _, row in rows.iterrows():
        add(_Count(int(row["value"]), row["unit_of_analysis"], _source_of(row), row["unit"]))
    for unit, column in _SERIES_SIZE.items():
        value = size.get(column)
        if _present(value):
            source = REVIEW_SOURCE
            if column == "n_procedures" and _present(size.get("n_procedures_source")):
                source = str(size.get("n_procedures_source"))
            add(_Count(int(value), unit, source, UNIT_OF_ANALYSIS_WORDS[unit]))
    return out


# --- cross-row denominators ------------------------------------------------------------------


def _fits(texts: list[str], n: int, partition: bool) -> tuple[str, str] | None:
    """(status, arithmetic) when the printed shares fit n, else None."""
    if partition:
        result = check_partition(texts, n)
        if result.status in ("consistent", "consistent_only_if_truncated") and result.numerators:
            pairs = [f"{k}/{n} = {show_exact(Fraction(100 * k, n), parse_reported(t).decimals)}%"
                     for t, k in zip(texts, result.numerators, strict=True)]
            total = " + ".join(str(k) for k in result.numerators)
            return result.status, f"{_list(pairs, 10)} ({total} = {n})"
        return None
    results = [grim(t, n) for t in texts]
    if not all(r.consistent for r in results):
        return None
    status = "consistent" if all(r.status == "consistent" for r in results) else (
        "consistent_only_if_truncated")
    pairs = []
    for r in results:
        mode = next(m for m in MODES if m in r.modes)
        pairs.append(r.ratio(r.best(mode)))
    return status, _list(pairs, 10)


def _cross_denominator_checks(
    series_id: str, chunk: pd.DataFrame, size: pd.Series, found: list[dict]
) -> list[dict]:
    counts = _series_counts(chunk, size)
    review = chunk[_by_review(chunk)]
    others = chunk[~_by_review(chunk)]
    out = list(found)
    explained: dict[str, str] = {}  # outcome id -> sentence appended to its failing checks
    established: list[_Count] = []
    # 1. groups of the review's shares that fail their own denominator
    for finding in found:
        if finding["check"] not in ("partition", "shared_denominator"):
            continue
        if finding["status"] != "inconsistent":
            continue
        ids = finding["outcome_ids"].split(", ")
        members = review[review["outcome_id"].isin(ids)]
        shares = members[members.apply(_is_percent_proportion, axis=1)]
        if shares.empty or len(shares) != len(ids):
            continue
        partition = finding["check"] == "partition"
        texts = [_reported(r) for _, r in shares.iterrows()]
        own = set(shares["denominator"].dropna().astype(int))
        unit = shares["unit_of_analysis"].iloc[0]
        shown = _list([t + "%" for t in texts], 10)
        fitting = [(c, _fits(texts, c.n, partition)) for c in counts if c.n not in own]
        fitting = [(c, f) for c, f in fitting if f is not None]
        if not fitting:
            implied = infer_denominators(texts, n_max=N_MAX, modes=NEAREST_MODES,
                                         partition=partition)
            if implied:
                established.append(_Count(implied[0], "",
                                          f"the partition ({finding['outcome_ids']})", ""))
            continue
        count, (status, arithmetic) = fitting[0]
        own_text = (f"{next(iter(own))} {UNIT_OF_ANALYSIS_WORDS[unit]}" if own
                    else f"its {UNIT_OF_ANALYSIS_WORDS[unit]}")
        by_source = count.source_id != REVIEW_SOURCE
        own_rows = others[(others["endpoint"].isin(shares["endpoint"]))
                          & (others["unit_of_analysis"] == count.unit)
                          & (others["source_id"] == count.source_id)]
        attached = ""
        if by_source and not own_rows.empty:
            attached = (f"; {_source_name(count.source_id)} attaches its own shares "
                        f"({_list([_reported(r) + '%' for _, r in own_rows.iterrows()], 10)}, "
                        f"rows {', '.join(own_rows['outcome_id'])}) to those "
                        f"{count.words}")
        detail = (
            f"The review attaches {shown} to {own_text}, which they do not fit; they fit "
            f"{count.text()}: {arithmetic}{attached}."
        )
        verdict = "review_and_source_disagree" if by_source and count.unit != unit else status
        out.append(_row(series_id, ids, "cross_denominator", verdict, detail))
        established.append(count)
        for oid in ids:
            explained[oid] = (
                f" They fit {count.text()} (see cross_denominator)."
            )
        if by_source and count.unit != unit:
            for other in out:
                if other is finding or (other["check"] == "grim"
                                        and other["outcome_ids"] in ids
                                        and other["status"] == "inconsistent"):
                    other["status"] = "review_and_source_disagree"
                    other["detail"] += explained[ids[0]]
    # 2. the review's lone percentages without a denominator
    tried = counts + [c for c in established if (c.n, c.unit) not in {(x.n, x.unit)
                                                                      for x in counts}]
    kept = []
    for finding in out:
        if not (finding["check"] == "grim" and finding["status"] == "cannot_check"):
            kept.append(finding)
            continue
        oid = finding["outcome_ids"]
        rows = review[review["outcome_id"] == oid]
        if rows.empty:
            kept.append(finding)
            continue
        row = rows.iloc[0]
        text = _reported(row)
        unit = row["unit_of_analysis"]
        same = [c for c in tried if c.unit == unit]
        other = [c for c in tried if c.unit != unit]
        fits = [(c, _fits([text], c.n, False)) for c in same + other]
        good = [(c, f) for c, f in fits if f is not None]
        misses = [c for c, f in fits if f is None]
        if not good:
            kept.append(finding)
            continue
        count, (status, arithmetic) = good[0]
        if count.unit != unit:
            # a count of another unit, or a denominator inferred from another partition, is a
            # lead, not a check
            status = "cannot_check"
        miss_text = (f"; it fits no k/n for {_list([f'{c.n} {c.words}' for c in misses])}"
                     if misses else "")
        detail = (
            f"The review gives {text}% of {UNIT_OF_ANALYSIS_WORDS[unit]} with no denominator; "
            f"on {count.text()}: {arithmetic}{miss_text}."
        )
        kept.append(_row(series_id, [oid], "cross_denominator", status, detail))
    return kept


# --- review against source -------------------------------------------------------------------


def _overlap(a, b) -> bool:
    lo, hi = max(a.lo, b.lo), min(a.hi, b.hi)
    if lo < hi:
        return True
    if lo > hi:
        return False
    return (a.contains(lo) and b.contains(lo))


def _review_vs_source_checks(series_id: str, chunk: pd.DataFrame) -> list[dict]:
    if "source_id" not in chunk.columns:
        return []
    review = chunk[_by_review(chunk)]
    others = chunk[~_by_review(chunk)]
    out = []
    for _, b in others.iterrows():
        same = review[
            (review["endpoint"] == b["endpoint"])
            & (review["category"].fillna("") == ("" if pd.isna(b["category"]) else
                                                  b["category"]))
            & (review["statistic"] == b["statistic"])
            & (review["time_months"].fillna(-1) == (-1 if pd.isna(b["time_months"]) else
                                                    b["time_months"]))
        ]
        for _, a in same.iterrows():
            out.append(_compare(series_id, a, b))
    return out


def _compare(series_id: str, a: pd.Series, b: pd.Series) -> dict:
    ids = [a["outcome_id"], b["outcome_id"]]
    src = _source_name(_source_of(b))
    unit_a = "%" if a["unit"] == "percent" else f" {a['unit']}"
    unit_b = "%" if b["unit"] == "percent" else f" {b['unit']}"

    def described(row: pd.Series, unit: str) -> str:
        of = ""
        if _present(row["denominator"]):
            of = f" of {int(row['denominator'])} ({row['denominator_basis'] or 'implied'})"
        return (f"{_reported(row)}{unit} per {row['unit_of_analysis']}{of}")

    category = a["category"] if _present(a["category"]) and a["category"] != a["endpoint"] else ""
    head = (f"{str(a['endpoint']).replace('_', ' ')}"
            f"{' ' + str(category).replace('_', ' ') if category else ''}:"
            f" the review gives {described(a, unit_a)}, {src} {described(b, unit_b)}")
    factor, converted = Fraction(1), ""
    if a["unit"] != b["unit"]:
        other, scale = UNIT_CONVERSIONS.get(a["unit"], (None, None))
        back, back_scale = UNIT_CONVERSIONS.get(b["unit"], (None, None))
        if other == b["unit"]:
            factor = Fraction(scale)
        elif back == a["unit"]:
            factor = 1 / Fraction(back_scale)
        else:
            factor = None
        if factor is not None:
            converted = (f" ({_reported(a)} {a['unit']} = "
                         f"{show_exact(parse_reported(_reported(a)).value * factor, 0)} "
                         f"{b['unit']})")
    if a["unit_of_analysis"] != b["unit_of_analysis"] or factor is None:
        return _row(series_id, ids, "review_vs_source", "review_and_source_disagree",
                    f"{head}: they count different things.")
    if (_present(a["denominator"]) and _present(b["denominator"])
            and int(a["denominator"]) != int(b["denominator"])):
        return _row(series_id, ids, "review_vs_source", "review_and_source_disagree",
                    f"{head}: the denominators differ.")
    ra, rb = parse_reported(_reported(a)), parse_reported(_reported(b))
    basis = converted
    if b["denominator_basis"] == "stated" and a["denominator_basis"] != "stated":
        basis += "; the primary paper states the denominator that the review only implies"

    def scaled(interval: Interval) -> Interval:
        return Interval(interval.lo * factor, interval.hi * factor, interval.lo_closed,
                        interval.hi_closed)

    if ra.value * factor == rb.value:
        return _row(series_id, ids, "review_vs_source", "consistent",
                    f"{head}: the same value{basis}.")
    if _overlap(scaled(union_interval(ra, NEAREST_MODES)), union_interval(rb, NEAREST_MODES)):
        return _row(series_id, ids, "review_vs_source", "consistent",
                    f"{head}: equal within rounding{basis}.")
    if _overlap(scaled(union_interval(ra, MODES)), union_interval(rb, MODES)):
        return _row(series_id, ids, "review_vs_source", "consistent_only_if_truncated",
                    f"{head}: equal only if one of them was truncated or rounded up{basis}.")
    return _row(series_id, ids, "review_vs_source", "review_and_source_disagree",
                f"{head}: the numbers differ beyond rounding.")


# --- Kaplan-Meier paths with events and follow-up ---------------------------------------------


def _months_of(row: pd.Series) -> float | None:
    factor = MONTHS_PER_UNIT.get(row["unit"])
    return None if factor is None else float(row["value"]) * factor


def _follow_up(chunk: pd.DataFrame) -> tuple[float | None, str, float | None, str]:
    median, median_text, longest, longest_text = None, "", None, ""
    rows = chunk[(chunk["endpoint"] == "follow_up") & (chunk["statistic"] == "median")]
    for _, row in rows.iterrows():
        median = _months_of(row)
        if median is not None:
            median_text = (f"median follow-up {_reported(row)} {row['unit']} (reported per "
                           f"{row['unit_of_analysis']})")
            break
    rows = chunk[chunk["endpoint"] == "study_period"]
    for _, row in rows.iterrows():
        longest = _months_of(row)
        if longest is not None:
            longest_text = (f"no follow-up beyond {longest:g} months (a study period of "
                            f"{_reported(row)} {row['unit']}, {_source_name(_source_of(row))})")
            break
    return median, median_text, longest, longest_text


def _km_joint_checks(series_id: str, chunk: pd.DataFrame, size: pd.Series) -> list[dict]:
    out = []
    if _time_point_rows(chunk).empty:
        return out
    median, median_text, longest, longest_text = _follow_up(chunk)
    for endpoint, kind, unit, rows in _time_point_curves(chunk):
        if rows["time_months"].duplicated().any():
            continue
        counts = chunk[(chunk["endpoint"] == endpoint) & (chunk["statistic"] == "count")
                       & (chunk["unit_of_analysis"] == unit) & chunk["time_months"].isna()]
        events = int(counts["value"].iloc[0]) if len(counts) == 1 else None
        if events is None and (median is None or len(rows) < 2):
            continue  # a lone milestone and a median follow-up say little together
        counted = UNIT_OF_ANALYSIS_WORDS[unit]
        denominators = set(rows["denominator"].dropna().astype(int))
        if len(denominators) == 1:
            n = denominators.pop()
        else:
            size_value = size.get(_SERIES_SIZE[unit])
            if not _present(size_value):
                continue
            n = int(size_value)
        ids = list(rows["outcome_id"]) + list(counts["outcome_id"][:1] if events is not None
                                              else [])
        texts = [_reported(r) for _, r in rows.iterrows()]
        times = [float(t) for t in rows["time_months"]]
        complement = kind == "cumulative_incidence"
        status, result = "consistent", None
        for modes, verdict in ((NEAREST_MODES, "consistent"),
                               (MODES, "consistent_only_if_truncated")):
            result = km_joint_feasible(n, texts, times, events=events,
                                       median_follow_up=median, max_follow_up=longest,
                                       complement=complement, modes=modes)
            status = verdict
            if result.feasible:
                break
        if not result.feasible:
            status = "inconsistent" if result.feasible is False else "cannot_check"
        out.append(_row(series_id, ids, "km_joint", status,
                        _km_joint_text(result, n, counted, texts, times, complement, events,
                                       median_text, longest_text, unit)))
    return out


def _km_joint_text(
    result: KmJointFeasibility, n: int, counted: str, texts: list[str], times: list[float],
    complement: bool, events: int | None, median_text: str, longest_text: str, unit: str,
) -> str:
    what = "cumulative incidence" if complement else "survival"
    facts = [f"{what} {_list([t + '%' for t in texts], 10)} at {_months(times)} of {n} "
             f"{counted}"]
    if events is not None:
        facts.append(f"{events} events in all")
    if median_text:
        facts.append(median_text)
    if longest_text:
        facts.append(longest_text)
    head = _list(facts, 10)
    notes = []
    if median_text and f"per {unit})" not in median_text:
        notes.append(f"the median follow-up holds for the {counted} too")
    if median_text:
        notes.append("the median follow-up is the median observation time, events included "
                     "(a reverse Kaplan-Meier median of potential follow-up is not bound this "
                     "way)")
    assumption = f" Assumed: {'; '.join(notes)}." if notes else ""
    if result.feasible is False:
        return f"{head[0].upper()}{head[1:]}: impossible together. {result.reason}{assumption}"
    if result.feasible is None:
        return f"{head[0].upper()}{head[1:]}: not decided. {result.reason}{assumption}"
    parts = []
    if result.no_censoring_events is not None:
        parts.append(f"without censoring before {times[-1]:g} months a path would have "
                     f"{result.no_censoring_events} events by then")
    if result.min_events is not None:
        parts.append(f"with censoring, paths with {result.min_events}-{result.max_events} "
                     f"events by {times[-1]:g} months print the milestones")
    if result.witness is not None:
        by_last = sum(seg.events for seg in result.witness)
        at_median = result.at_risk_at_median()
        example = f"e.g. {by_last} by {times[-1]:g} months"
        if events is not None:
            example += f" and {result.events_after} after ({events} in all)"
        if at_median is not None:
            example += f", with {at_median} still followed at the median follow-up"
        parts.append(example)
    return f"{head[0].upper()}{head[1:]}: possible together; {'; '.join(parts)}.{assumption}"


# --- mean ± SD -----------------------------------------------------------------------------------


def _mean_sd_checks(series_id: str, chunk: pd.DataFrame, size: pd.Series) -> list[dict]:
    out = []
    described = chunk.assign(_category=chunk["category"].fillna(""),
                             _subgroup=chunk["subgroup"].fillna(""))
    keys = ["endpoint", "_category", "_subgroup", "unit_of_analysis", "unit"]
    for (endpoint, _cat, _sub, unit, value_unit), rows in described.groupby(keys, sort=False):
        means = rows[rows["statistic"] == "mean"]
        sds = rows[rows["statistic"] == "sd"]
        if len(means) != 1 or len(sds) != 1:
            continue
        mean, sd = means.iloc[0], sds.iloc[0]
        medians = rows[rows["statistic"] == "median"]
        lows = rows[rows["statistic"] == "range_low"]
        highs = rows[rows["statistic"] == "range_high"]
        ids = list(means["outcome_id"]) + list(sds["outcome_id"]) + list(medians["outcome_id"])
        column = _SERIES_SIZE[unit]
        size_value = size.get(column)
        counted = UNIT_OF_ANALYSIS_WORDS[unit]
        if not _present(size_value):
            out.append(_row(series_id, ids, "mean_sd", "cannot_check",
                            f"The number of {counted} is not reported."))
            continue
        n = int(size_value)
        n_source = REVIEW_SOURCE
        if column == "n_procedures" and _present(size.get("n_procedures_source")):
            n_source = str(size.get("n_procedures_source"))
        lower = "0" if value_unit in NON_NEGATIVE_UNITS else None
        if len(lows) == 1:
            lower = _reported(lows.iloc[0])
            ids.append(lows.iloc[0]["outcome_id"])
        upper = None
        if len(highs) == 1:
            upper = _reported(highs.iloc[0])
            ids.append(highs.iloc[0]["outcome_id"])
        median = _reported(medians.iloc[0]) if len(medians) == 1 else None
        kwargs = dict(median=median, lower=lower, upper=upper)
        result = mean_sd_feasible(_reported(mean), _reported(sd), n, **kwargs)
        whole = (mean_sd_feasible(_reported(mean), _reported(sd), n, step=1, **kwargs)
                 if value_unit in WHOLE_NUMBER_UNITS else None)
        out.append(_row(series_id, ids, "mean_sd", result.status,
                        _mean_sd_text(result, whole, n, counted, n_source, value_unit,
                                      str(endpoint))))
    return out


def _mean_sd_text(
    result: MeanSdFeasibility, whole: MeanSdFeasibility | None, n: int, counted: str, n_source: str,
    unit: str, endpoint: str,
) -> str:
    stats = f"{result.mean} ± {result.sd} {unit}"
    if result.median is not None:
        stats += f" (median {result.median})"
    bounds = []
    if result.lower is not None:
        bounds.append(f"at least {show_exact(result.lower, 0)}")
    if result.upper is not None:
        bounds.append(f"at most {show_exact(result.upper, 0)}")
    where = f" with every value {' and '.join(bounds)}" if bounds else ""
    n_text = f"{n} {counted}"
    if n_source != REVIEW_SOURCE:
        n_text += f" (the count of {_source_name(n_source)})"
    head = f"{endpoint.replace('_', ' ').capitalize()} {stats} over {n_text}{where}"
    if result.feasible:
        body = (f"possible; e.g. {result.witness_text()}"
                if result.status == "consistent" else
                f"possible only if truncated or rounded up; e.g. {result.witness_text()}")
        if result.max_sd is not None:
            body += f"; the bounds allow an SD up to {show_exact(result.max_sd, 1)}"
    else:
        reason = result.reason[0].lower() + result.reason[1:].rstrip(".")
        body = ("impossible: " if result.feasible is False else "not decided: ") + reason
    if whole is None:
        return f"{head}: {body}."
    if whole.feasible:
        tail = f"In whole {unit}: possible, e.g. {whole.witness_text()}."
    elif whole.feasible is False:
        tail = f"In whole {unit}: impossible ({whole.reason[0].lower()}{whole.reason[1:-1]})."
    else:
        tail = f"In whole {unit}: not decided."
    return f"{head}: {body}. {tail}"
