"""Table 2 read from the evidence package, for the staging functions.

:mod:`thyroid_evidence.staging` applies Table 2 to a patient given the table's rows as data;
this module supplies the rows from ``evidence/risk_stratification.csv``
(:func:`criteria_from_table` knows its columns). ``thyroid_evidence.staging.ata_risk``,
``tnm_risk_group``, ``stratify`` and ``criteria_from_table`` are the functions here
(re-exported on first use): the evidence is an optional argument, loaded once when not given.

Research and teaching material, not clinical decision support.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import pandas as pd

from thyroid_evidence.evidence import Evidence, Problem, load_evidence
from thyroid_evidence.staging import risk
from thyroid_evidence.staging.features import PatientFeatures, is_missing
from thyroid_evidence.staging.results import RiskResult
from thyroid_evidence.staging.rules import Criterion, compile_criterion

__all__ = [
    "RULE_COLUMNS",
    "ata_risk",
    "criteria",
    "criteria_from_table",
    "rule_problems",
    "stratify",
    "tnm_risk_group",
]

#: The columns of ``evidence/risk_stratification.csv`` that Table 2's rows are read from.
RULE_COLUMNS = ("criterion_id", "system", "level", "position", "criterion", "fields", "rule",
                "footnote")


def _text(value: Any) -> str | None:
    if is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def criteria_from_table(table: pd.DataFrame) -> tuple[Criterion, ...]:
    """Compile the rows of a ``risk_stratification`` table.

    Each row is :func:`~thyroid_evidence.staging.rules.compile_criterion` of its columns
    (``criterion`` is the text, ``fields`` the space-separated fields the rule reads).

    Parameters
    ----------
    table : DataFrame
        With the columns :data:`RULE_COLUMNS` of ``evidence/risk_stratification.csv``.

    Returns
    -------
    tuple of Criterion
        In table order.

    Raises
    ------
    TypeError
        If ``table`` is not a DataFrame.
    ValueError
        If a column is missing, a system or level is unknown, a rule does not follow the rule
        language, or the ``fields`` column differs from the fields the rule reads; the message
        starts ``risk_stratification: criterion 'ID': ``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({
    ...     "criterion_id": ["x_high"], "system": ["ata"], "level": ["high"], "position": [1],
    ...     "criterion": ["Distant metastases"], "fields": ["distant_metastases"],
    ...     "rule": ["distant_metastases == True"], "footnote": [None]})
    >>> (row,) = criteria_from_table(table)
    >>> row.text, row.fields
    ('Distant metastases', ('distant_metastases',))
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a risk_stratification DataFrame; got "
                        f"{type(table).__name__}")
    missing = [col for col in RULE_COLUMNS if col not in table.columns]
    if missing:
        raise ValueError(f"risk_stratification: missing column(s): {', '.join(missing)}")
    criteria = []
    for row in table.to_dict("records"):
        try:
            criteria.append(compile_criterion(
                str(row["criterion_id"]), row["system"], row["level"], row["position"],
                str(row["criterion"]), _text(row["rule"]) or "",
                fields=tuple((_text(row["fields"]) or "").split()),
                footnote=_text(row["footnote"]),
            ))
        except ValueError as exc:
            raise ValueError(f"risk_stratification: {exc}") from None
    return tuple(criteria)


@lru_cache(maxsize=1)
def _default_criteria() -> tuple[Criterion, ...]:
    return criteria_from_table(load_evidence().risk_stratification)


def criteria(evidence: Evidence | pd.DataFrame | None = None) -> tuple[Criterion, ...]:
    """Table 2's rows, compiled.

    Parameters
    ----------
    evidence : Evidence or DataFrame, optional
        An :class:`~thyroid_evidence.evidence.Evidence` (its ``risk_stratification``) or that
        DataFrame; default ``load_evidence()`` (read and compiled once per process).

    Raises
    ------
    TypeError
        If ``evidence`` is none of these.
    ValueError
        If the table does not compile (the message names the row).
    """
    if evidence is None:
        return _default_criteria()
    if isinstance(evidence, pd.DataFrame):
        return criteria_from_table(evidence)
    if isinstance(evidence, Evidence):
        return criteria_from_table(evidence.risk_stratification)
    raise TypeError("evidence must be None, an Evidence from load_evidence() or a "
                    f"risk_stratification DataFrame; got {type(evidence).__name__}")


def rule_problems(evidence: Evidence) -> list[Problem]:
    """Every row of Table 2 that does not compile, as validation problems (all at once).

    The rule language belongs to :mod:`thyroid_evidence.staging`, above the evidence layer, so
    :func:`~thyroid_evidence.evidence.load_evidence` cannot check it;
    :func:`thyroid_evidence.study.checks.validate_evidence` (``thyroid-evidence validate``, the
    build) does, so that a broken rule is found at validation, not when a notebook runs.

    Returns
    -------
    list of Problem
        ``risk_stratification.csv:LINE: rule: RULE — what is wrong`` (or ``fields``).
    """
    if not isinstance(evidence, Evidence):
        raise TypeError(f"evidence must be an Evidence from load_evidence(); got "
                        f"{type(evidence).__name__}")
    table = evidence.risk_stratification
    problems = []
    for line in table.index:
        row = table.loc[line]
        cid, rule = str(row["criterion_id"]), row["rule"]
        try:
            criteria_from_table(table.loc[[line]])
        except ValueError as exc:
            text = str(exc).removeprefix(f"risk_stratification: criterion {cid!r}: ")
            column = "fields" if text.startswith("fields=") else "rule"
            if isinstance(rule, str):
                text = text.removeprefix(f"rule {rule.strip()!r}: ")
            problems.append(Problem(table.attrs.get("file", "risk_stratification.csv"),
                                    int(line), column, row[column], text))
    return problems


def ata_risk(p: PatientFeatures | Mapping[str, Any],
             evidence: Evidence | pd.DataFrame | None = None) -> RiskResult:
    """ATA risk of structural disease recurrence, Table 2 read from ``evidence``.

    :func:`thyroid_evidence.staging.risk.ata_risk` with the rows of :func:`criteria`.

    Research and teaching material, not clinical decision support.

    Examples
    --------
    >>> from thyroid_evidence.staging import PatientFeatures, ata_risk
    >>> ata_risk(PatientFeatures(extrathyroidal_extension="gross")).level
    'high'
    """
    return risk.ata_risk(p, criteria(evidence))


def tnm_risk_group(p: PatientFeatures | Mapping[str, Any],
                   evidence: Evidence | pd.DataFrame | None = None) -> RiskResult:
    """TNM risk group, Table 2 read from ``evidence``.

    :func:`thyroid_evidence.staging.risk.tnm_risk_group` with the rows of :func:`criteria`.

    Research and teaching material, not clinical decision support.

    Examples
    --------
    >>> from thyroid_evidence.staging import PatientFeatures, tnm_risk_group
    >>> tnm_risk_group(PatientFeatures(t_category="T1a", n_category="N0", m_category="M0")).level
    'very_low'
    """
    return risk.tnm_risk_group(p, criteria(evidence))


def stratify(patients: Mapping[str, PatientFeatures | Mapping[str, Any]],
             evidence: Evidence | pd.DataFrame | None = None) -> pd.DataFrame:
    """ATA and TNM levels of several named patients, Table 2 read from ``evidence``.

    :func:`thyroid_evidence.staging.risk.stratify` with the rows of :func:`criteria`.

    Research and teaching material, not clinical decision support.
    """
    return risk.stratify(patients, criteria(evidence))
