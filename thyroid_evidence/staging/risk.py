"""ata_risk, tnm_risk_group and stratify: Table 2 applied with three-valued logic.

The functions take Table 2's rows as data (compiled :class:`~thyroid_evidence.staging.rules.
Criterion` rows); ``thyroid_evidence.staging.ata_risk`` and its siblings are the convenience
forms of :mod:`thyroid_evidence.study.staging` that read them from the evidence package or
from a ``risk_stratification`` table.

Research and teaching material, not clinical decision support.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from thyroid_evidence.staging.features import (
    BOOLEAN_FIELDS,
    COUNT_FIELDS,
    FIELD_CHOICES,
    FIELD_NAMES,
    IN_SCOPE_HISTOLOGIES,
    INDETERMINATE,
    PatientFeatures,
)
from thyroid_evidence.staging.results import CriterionCheck, RiskResult
from thyroid_evidence.staging.rules import LEVELS_OF, Criterion, evaluate, system_criteria


def _as_patient(p: Any) -> PatientFeatures:
    if isinstance(p, PatientFeatures):
        return p
    if isinstance(p, Mapping):
        return PatientFeatures.from_dict(p)
    raise TypeError(f"p must be a PatientFeatures or a mapping of its fields; got "
                    f"{type(p).__name__}")


def _effective_values(p: PatientFeatures) -> dict[str, Any]:
    """The patient's values with the unknowns that other fields settle by definition filled in.

    See "Derived values" in the module docstring; the patient object itself is not changed.
    """
    v = {name: getattr(p, name) for name in FIELD_NAMES}
    if v["distant_metastases"] is None:
        if p.m_category == "M1" or p.rai_avid_foci == "distant":
            v["distant_metastases"] = True
        elif p.m_category == "M0":
            v["distant_metastases"] = False
    if v["m_category"] is None and v["distant_metastases"] is not None:
        v["m_category"] = "M1" if v["distant_metastases"] else "M0"
    if p.n_category == "N0":
        if v["clinical_n1"] is None:
            v["clinical_n1"] = False
        if v["pathologic_n1_count"] is None:
            v["pathologic_n1_count"] = 0
    if v["n_category"] is None:
        if p.clinical_n1 is True or (p.pathologic_n1_count or 0) > 0:
            v["n_category"] = "N1"
        elif p.clinical_n1 is False and p.pathologic_n1_count == 0:
            v["n_category"] = "N0"
    if v["extrathyroidal_extension"] is None and p.t_category in ("T3b", "T4a", "T4b"):
        v["extrathyroidal_extension"] = "gross"
    if v["microcarcinoma"] is None and p.t_category is not None:
        if p.t_category == "T1a":
            v["microcarcinoma"] = True
        elif p.t_category in ("T1b", "T2", "T3a"):
            v["microcarcinoma"] = False
    return v


def _kleene_and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _kleene_or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _descriptions(rows: tuple[Criterion, ...]) -> list[list[Criterion]]:
    """Group rows: a row and the rows whose id extends it by ``_...`` (its conditions) form one
    description; a row that extends no other row's id and has no conditions stands alone."""
    ids = [c.criterion_id for c in rows]
    groups = []
    for c in rows:
        if any(c.criterion_id.startswith(other + "_") for other in ids):
            continue
        members = [d for d in rows if d.criterion_id.startswith(c.criterion_id + "_")]
        groups.append([c, *members])
    return groups


@dataclass(frozen=True)
class _Outcome:
    level: str
    possible: tuple[str, ...]
    status: dict[str, bool | None]
    holds: dict[str, bool | None]
    descriptions: tuple[tuple[str, tuple[Criterion, ...], bool | None], ...]


def _stratify(order: tuple[str, ...], rows: tuple[Criterion, ...],
              values: Mapping[str, Any]) -> _Outcome:
    """Evaluate every row, combine into descriptions and levels, resolve the level."""
    holds = {c.criterion_id: evaluate(c.tree.body, values) for c in rows}
    descriptions = []
    status: dict[str, bool | None] = {}
    for level in order:
        at_level = []
        for parts in _descriptions(tuple(c for c in rows if c.level == level)):
            value = _kleene_and([holds[c.criterion_id] for c in parts])
            descriptions.append((level, tuple(parts), value))
            at_level.append(value)
        status[level] = _kleene_or(at_level)
    level, possible = _resolve(order, status)
    return _Outcome(level, possible, status, holds, tuple(descriptions))


def _resolve(order: tuple[str, ...], status: dict[str, bool | None]) -> tuple[str, tuple[str, ...]]:
    """Level and still-possible levels from each level's three-valued status."""
    holding = [level for level in order if status[level] is True]
    if holding:
        top = holding[-1]
        above = order[order.index(top) + 1:]
        possible = (top,) + tuple(level for level in above if status[level] is None)
        return (top if len(possible) == 1 else INDETERMINATE), possible
    return INDETERMINATE, tuple(level for level in order if status[level] is None)


def _fields_in_order(names: set[str]) -> tuple[str, ...]:
    return tuple(name for name in FIELD_NAMES if name in names)


def _candidate_values(name: str, rows: tuple[Criterion, ...]) -> list[Any]:
    """Values of one field that reach every branch of the rules (for the sensitivity check)."""
    if name in FIELD_CHOICES:
        return list(FIELD_CHOICES[name])
    if name in BOOLEAN_FIELDS:
        return [True, False]
    limits = sorted({
        const.value
        for c in rows for node in ast.walk(c.tree)
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)
        and node.left.id == name
        for const in ast.walk(node.comparators[0])
        if isinstance(const, ast.Constant) and isinstance(const.value, int | float)
        and not isinstance(const.value, bool)
    })
    if not limits:
        return []
    if name in COUNT_FIELDS:
        return sorted({v for c in limits for v in (c - 1, c, c + 1) if v >= 0})
    between = [(a + b) / 2 for a, b in zip(limits, limits[1:], strict=False)]
    return sorted({limits[0] / 2, *limits, *between, limits[-1] * 2})


def _missing(order: tuple[str, ...], rows: tuple[Criterion, ...], values: Mapping[str, Any],
             outcome: _Outcome) -> tuple[str, ...]:
    """Unknown fields whose value alone would narrow the possible levels.

    Falls back to every unknown field of the open rows when no single field does (fields that
    only matter together).
    """
    if outcome.level != INDETERMINATE or not outcome.possible:
        return ()
    read = {name for c in rows for name in c.fields if values[name] is None}
    found = set()
    for name in read:
        for candidate in _candidate_values(name, rows):
            trial = {**values, name: candidate}
            if _stratify(order, rows, trial).possible != outcome.possible:
                found.add(name)
                break
    if not found:
        for level, parts, value in outcome.descriptions:
            if value is None and level in outcome.possible:
                found.update(n for c in parts for n in c.fields if values[n] is None)
    return _fields_in_order(found)


def _out_of_scope(system: str, p: PatientFeatures, values: Mapping[str, Any],
                  rows: tuple[Criterion, ...]) -> RiskResult | None:
    if p.histology is None or p.histology in IN_SCOPE_HISTOLOGIES:
        return None
    note = (f"Table 2 stratifies differentiated thyroid cancer; histology={p.histology!r} is "
            f"outside it (in scope: {', '.join(IN_SCOPE_HISTOLOGIES)}).")
    return RiskResult(system=system, level=INDETERMINATE, criteria=(), missing=(),
                      possible_levels=(), notes=(note,), checks=_checks(rows, values),
                      out_of_scope=True)


def _checks(rows: tuple[Criterion, ...], values: Mapping[str, Any]) -> tuple[CriterionCheck, ...]:
    return tuple(
        CriterionCheck(c.criterion_id, c.level, c.text, evaluate(c.tree.body, values),
                       tuple(name for name in c.fields if values[name] is None))
        for c in rows
    )


#: What the functions accept as Table 2: its compiled rows.
Criteria = tuple[Criterion, ...]


def _run(system: str, p: Any, criteria: Criteria
         ) -> tuple[RiskResult, PatientFeatures, _Outcome | None, tuple[Criterion, ...]]:
    """Shared part of :func:`ata_risk` and :func:`tnm_risk_group` (notes are added by them)."""
    p = _as_patient(p)
    rows = system_criteria(criteria, system)
    values = _effective_values(p)
    out = _out_of_scope(system, p, values, rows)
    if out is not None:
        return out, p, None, rows
    order = LEVELS_OF[system]
    outcome = _stratify(order, rows, values)
    shown = (outcome.level,) if outcome.level != INDETERMINATE else outcome.possible
    criteria = tuple(c.criterion_id for level, parts, value in outcome.descriptions
                     if level in shown and value is True for c in parts)
    result = RiskResult(system=system, level=outcome.level, criteria=criteria,
                        missing=_missing(order, rows, values, outcome),
                        possible_levels=outcome.possible, notes=(),
                        checks=_checks(rows, values), in_gap=not outcome.possible)
    return result, p, outcome, rows


def ata_risk(p: PatientFeatures | Mapping[str, Any], criteria: Criteria) -> RiskResult:
    """ATA risk of structural disease recurrence, as Table 2 of the review prints it.

    Research and teaching material, not clinical decision support.

    Parameters
    ----------
    p : PatientFeatures or mapping
        The patient; a mapping is passed to :meth:`PatientFeatures.from_dict`.
    criteria : tuple of Criterion
        Table 2: its rows, compiled once (by
        :func:`~thyroid_evidence.study.staging.criteria_from_table` from the evidence, or
        :func:`~thyroid_evidence.staging.rules.compile_criterion` each).

    Returns
    -------
    RiskResult
        ``level`` in {"low", "intermediate", "high", "indeterminate"}.

    Notes
    -----
    One high row that holds gives "high" whatever else is unknown; "intermediate" needs every
    high row known not to hold; "low" needs a low-risk description that holds in full and every
    intermediate and high row known not to hold. See the module docstring for the rule
    language and for how each ambiguous line of Table 2 is read.

    Raises
    ------
    TypeError
        If ``p`` is neither a PatientFeatures nor a mapping, or ``criteria`` is not Table 2.
    ValueError
        For invalid features or a table that does not compile.

    Examples
    --------
    Three made-up rows, one per level:

    >>> from thyroid_evidence.staging.rules import compile_criterion
    >>> rows = (
    ...     compile_criterion("ata_low_intrathyroidal", "ata", "low", 1, "Intrathyroidal",
    ...                       "extrathyroidal_extension == 'none'"),
    ...     compile_criterion("ata_intermediate_microscopic_invasion", "ata", "intermediate", 1,
    ...                       "Microscopic invasion", "extrathyroidal_extension == 'microscopic'"),
    ...     compile_criterion("ata_high_macroscopic_invasion", "ata", "high", 1,
    ...                       "Macroscopic invasion", "extrathyroidal_extension == 'gross'"),
    ... )
    >>> r = ata_risk(PatientFeatures(extrathyroidal_extension="gross"), rows)
    >>> r.level, r.criteria
    ('high', ('ata_high_macroscopic_invasion',))
    """
    result, p, outcome, _ = _run("ata", p, criteria)
    if outcome is None:
        return result
    notes = []
    if not result.possible_levels:
        low = [(parts, value) for level, parts, value in outcome.descriptions if level == "low"]
        notes.append(_gap_note(low, _effective_values(p)))
        if p.histology == "hurthle":
            notes.append("Table 2's low-risk descriptions name PTC and FTC only; the review "
                         "names Hürthle cell cancer separately, so no low-risk row applies.")
    if p.histology is None and result.decided:
        notes.append("histology is unknown: the level assumes a differentiated thyroid cancer, "
                     "the scope of Table 2.")
    if "rai_avid_foci" in result.missing:
        notes.append("rai_avid_foci is unknown; use 'not_given' when no radioiodine therapy was "
                     "given (the low-risk condition starts 'If RIT is given').")
    return replace(result, notes=tuple(notes))


def _false_terms(node: ast.AST, values: Mapping[str, Any]) -> list[ast.AST]:
    """The parts of a rule that make it fail: the failing conjuncts of an ``and``, else itself."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return [term for value in node.values if evaluate(value, values) is False
                for term in _false_terms(value, values)]
    return [node]


def _why_not(c: Criterion, values: Mapping[str, Any]) -> str:
    """E.g. ``vascular_invasion_foci < 4 (vascular_invasion_foci=4)``."""
    reasons = []
    for term in _false_terms(c.tree.body, values):
        names = _fields_in_order({n.id for n in ast.walk(term) if isinstance(n, ast.Name)})
        shown = ", ".join(f"{name}={values[name]!r}" for name in names)
        reasons.append(f"{ast.unparse(term)} ({shown})")
    return "; ".join(reasons)


def _gap_note(low: list[tuple[tuple[Criterion, ...], bool | None]],
              values: Mapping[str, Any]) -> str:
    failed = []
    for parts, _ in low:
        not_met = [c for c in parts if evaluate(c.tree.body, values) is False]
        if parts[0] in not_met:
            not_met = [parts[0]]  # the header fails: its conditions do not matter
        why = " and ".join(
            _why_not(c, values) if c is parts[0] else f"'{c.text}': {_why_not(c, values)}"
            for c in not_met
        )
        failed.append(f"'{parts[0].text}' [{why}]")
    return ("No row of Table 2 places this patient: no high or intermediate row holds and no "
            "low-risk description is met. Not met: " + " | ".join(failed))


def tnm_risk_group(p: PatientFeatures | Mapping[str, Any], criteria: Criteria) -> RiskResult:
    """TNM risk group (very low, low, high) as Table 2 of the review prints it.

    Research and teaching material, not clinical decision support.

    Parameters
    ----------
    p : PatientFeatures or mapping
        Reads ``t_category``, ``n_category`` and ``m_category`` (and ``histology`` for scope).
    criteria : tuple of Criterion
        Table 2, as for :func:`ata_risk`.

    Returns
    -------
    RiskResult
        ``level`` in {"very_low", "low", "high", "indeterminate"}; the footnotes of the group
        (``*`` for very low, ``**`` for low and high: when radioiodine therapy is indicated)
        are in ``notes``.

    Examples
    --------
    Three made-up rows, one per group:

    >>> from thyroid_evidence.staging.rules import compile_criterion
    >>> rows = (
    ...     compile_criterion("tnm_very_low", "tnm", "very_low", 1, "pT1a", "t_category == 'T1a'"),
    ...     compile_criterion("tnm_low", "tnm", "low", 1, "pT1b, pT2",
    ...                       "t_category in ('T1b', 'T2')", footnote="**, RIT is indicated"),
    ...     compile_criterion("tnm_high", "tnm", "high", 1, "pT3, pT4",
    ...                       "t_category in ('T3a', 'T3b', 'T4a', 'T4b')"),
    ... )
    >>> r = tnm_risk_group(PatientFeatures(histology="papillary", t_category="T2"), rows)
    >>> r.level, r.notes
    ('low', ('Footnote **, RIT is indicated',))
    """
    result, p, outcome, rows = _run("tnm", p, criteria)
    if outcome is None:
        return result
    notes = []
    if result.decided:
        for c in rows:
            note = f"Footnote {c.footnote}" if c.footnote else None
            if c.criterion_id in result.criteria and note and note not in notes:
                notes.append(note)
        if result.level == "very_low" and p.multifocal is True:
            notes.append("This patient's tumour is multifocal, one of the cases footnote * names.")
        if p.histology is None:
            notes.append("histology is unknown: the group assumes a differentiated thyroid "
                         "cancer, the scope of Table 2.")
    return replace(result, notes=tuple(notes))


def stratify(patients: Mapping[str, PatientFeatures | Mapping[str, Any]],
             criteria: Criteria) -> pd.DataFrame:
    """ATA and TNM levels of several named patients, one row each (for notebooks).

    Research and teaching material, not clinical decision support.

    Parameters
    ----------
    patients : mapping of str to PatientFeatures or mapping
        Patient label -> features (plain dicts as in a notebook's parameters cell).
    criteria : tuple of Criterion
        Table 2, as for :func:`ata_risk`.

    Returns
    -------
    DataFrame
        Columns ``patient``, ``ata_level``, ``ata_criteria``, ``ata_missing``, ``tnm_level``,
        ``tnm_criteria``, ``tnm_missing``, ``ata_notes``, ``tnm_notes``, ``notes`` (both
        systems' notes), then the booleans ``ata_in_gap``, ``ata_out_of_scope``,
        ``tnm_in_gap``, ``tnm_out_of_scope`` (:attr:`RiskResult.in_gap` and
        :attr:`RiskResult.out_of_scope` of each system); lists joined with ", " or " / ".

    Raises
    ------
    TypeError
        If ``patients`` is not a mapping (or a patient not features, the message names it).
    ValueError
        Naming the patient, for invalid features.

    Examples
    --------
    A made-up row per level of each system (a medullary cancer is outside all of them):

    >>> from thyroid_evidence.staging.rules import LEVELS_OF, compile_criterion
    >>> rows = tuple(compile_criterion(f"{system}_{level}", system, level, 1, level,
    ...                                "distant_metastases == True")
    ...              for system, levels in LEVELS_OF.items() for level in levels)
    >>> frame = stratify({"A": {"histology": "medullary"}}, rows)
    >>> frame.loc[0, "ata_level"], bool(frame.loc[0, "ata_out_of_scope"])
    ('indeterminate', True)
    """
    if not isinstance(patients, Mapping):
        raise TypeError("patients must be a mapping of patient labels to features; got "
                        f"{type(patients).__name__}")
    rows = system_criteria(criteria, "ata") + system_criteria(criteria, "tnm")  # compile once
    records = []
    for label, features in patients.items():
        try:
            p = _as_patient(features)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"patient {label!r}: {exc}") from None
        ata, tnm = ata_risk(p, rows), tnm_risk_group(p, rows)
        records.append({
            "patient": label,
            "ata_level": ata.level,
            "ata_criteria": ", ".join(ata.criteria),
            "ata_missing": ", ".join(ata.missing),
            "tnm_level": tnm.level,
            "tnm_criteria": ", ".join(tnm.criteria),
            "tnm_missing": ", ".join(tnm.missing),
            "ata_notes": " / ".join(ata.notes),
            "tnm_notes": " / ".join(tnm.notes),
            "notes": " / ".join(ata.notes + tnm.notes),
            "ata_in_gap": ata.in_gap,
            "ata_out_of_scope": ata.out_of_scope,
            "tnm_in_gap": tnm.in_gap,
            "tnm_out_of_scope": tnm.out_of_scope,
        })
    columns = ["patient", "ata_level", "ata_criteria", "ata_missing", "tnm_level",
               "tnm_criteria", "tnm_missing", "ata_notes", "tnm_notes", "notes",
               "ata_in_gap", "ata_out_of_scope", "tnm_in_gap", "tnm_out_of_scope"]
    return pd.DataFrame.from_records(records, columns=columns)
