"""Table 2 applied to example patients: the notebook's patient list and a table to read.

:func:`thyroid_evidence.staging.stratify` applies the rules; this module turns a notebook's
patients into its input and its output into rows worded as Table 2 words them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from thyroid_evidence.evidence import Evidence
from thyroid_evidence.study.checks import check_evidence

__all__ = ["STRATIFICATION_COLUMNS", "patients_by_label", "stratification_table"]

#: Columns of :func:`stratification_table`.
STRATIFICATION_COLUMNS = ("patient", "system", "level", "criteria_met", "criterion_ids",
                          "missing", "notes", "in_gap", "out_of_scope")


def patients_by_label(patients: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Turn a list of plain dicts with a ``label`` key into ``{label: features}``.

    The form a notebook's parameters cell can hold (a list of dicts of literals), ready for
    :func:`thyroid_evidence.staging.stratify`.

    Raises
    ------
    TypeError
        If ``patients`` is not a list of dicts, or a feature has the wrong type.
    ValueError
        If a dict has no non-empty string ``label``, two patients share a label, or a
        patient's features are not valid :class:`~thyroid_evidence.staging.PatientFeatures`
        (the message names the patient, the field and the allowed values).
    """
    from thyroid_evidence.staging import PatientFeatures

    if isinstance(patients, str | bytes | Mapping) or not isinstance(patients, Sequence):
        raise TypeError(f"patients must be a list of dicts; got {type(patients).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for i, patient in enumerate(patients):
        if not isinstance(patient, Mapping):
            raise TypeError(f"patients[{i}] must be a dict; got {type(patient).__name__}")
        label = patient.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"patients[{i}] needs a non-empty string 'label'; got {label!r}")
        if label in out:
            raise ValueError(f"patients[{i}]: label {label!r} is used twice; labels must be "
                             "unique")
        features = {k: v for k, v in patient.items() if k != "label"}
        try:
            PatientFeatures.from_dict(features)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"patients[{i}] ({label!r}): {exc}") from None
        out[label] = features
    return out


def _criterion_texts(ev: Evidence) -> dict[str, str]:
    rows = ev.risk_stratification
    return dict(zip(rows["criterion_id"], rows["criterion"], strict=True))


def stratification_table(stratified: pd.DataFrame, evidence: Evidence) -> pd.DataFrame:
    """A :func:`~thyroid_evidence.staging.stratify` result as a table to read in class.

    Two rows per patient (ATA, then TNM): the level in words, the Table 2 lines that hold for
    it in the table's own wording (for an indeterminate level: the lines that hold for the
    levels still possible), the unknown fields that could change it, the notes, and whether
    the level is a gap of Table 2 (no row applies) or the patient is outside its scope.

    Parameters
    ----------
    stratified : DataFrame
        Output of :func:`thyroid_evidence.staging.stratify`.
    evidence : Evidence
        For the wording of the criteria.

    Returns
    -------
    DataFrame
        :data:`STRATIFICATION_COLUMNS`: ``patient, system, level, criteria_met, criterion_ids,
        missing, notes, in_gap, out_of_scope``; ``system`` in {"ATA", "TNM"}, ``level`` with
        spaces (``"very low"``), ``in_gap`` and ``out_of_scope`` booleans
        (:attr:`thyroid_evidence.staging.RiskResult.in_gap`, ``out_of_scope``).

    Raises
    ------
    TypeError
        If ``stratified`` is not a DataFrame or ``evidence`` not an Evidence.
    ValueError
        If a column of :func:`stratify`'s output is missing or a criterion id is not in
        ``evidence/risk_stratification.csv``.
    """
    need = ["patient", "ata_level", "ata_criteria", "ata_missing", "tnm_level", "tnm_criteria",
            "tnm_missing", "ata_notes", "tnm_notes", "ata_in_gap", "ata_out_of_scope",
            "tnm_in_gap", "tnm_out_of_scope"]
    if not isinstance(stratified, pd.DataFrame):
        raise TypeError(f"stratified must be the DataFrame from stratify(); got "
                         f"{type(stratified).__name__}")
    lacking = [c for c in need if c not in stratified.columns]
    if lacking:
        raise ValueError(f"stratified lacks the column(s) {', '.join(lacking)}; pass the "
                         "output of thyroid_evidence.staging.stratify")
    texts = _criterion_texts(check_evidence(evidence))
    records = []
    for row in stratified.itertuples(index=False):
        for system in ("ata", "tnm"):
            ids = [c for c in str(getattr(row, f"{system}_criteria") or "").split(", ") if c]
            unknown = [c for c in ids if c not in texts]
            if unknown:
                raise ValueError(f"criterion id(s) {', '.join(unknown)} are not in "
                                 "evidence/risk_stratification.csv")
            records.append({
                "patient": row.patient,
                "system": system.upper(),
                "level": str(getattr(row, f"{system}_level")).replace("_", " "),
                "criteria_met": "; ".join(texts[c] for c in ids),
                "criterion_ids": ", ".join(ids),
                "missing": str(getattr(row, f"{system}_missing") or ""),
                "notes": str(getattr(row, f"{system}_notes") or ""),
                "in_gap": bool(getattr(row, f"{system}_in_gap")),
                "out_of_scope": bool(getattr(row, f"{system}_out_of_scope")),
            })
    return pd.DataFrame.from_records(
        records,
        columns=list(STRATIFICATION_COLUMNS),
    )
