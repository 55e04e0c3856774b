"""RiskResult: the level, the Table 2 rows that decided it, what is missing, and why.

Research and teaching material, not clinical decision support.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from thyroid_evidence.staging.features import INDETERMINATE
from thyroid_evidence.vocab import DISCLAIMER


@dataclass(frozen=True)
class CriterionCheck:
    """How one row of Table 2 evaluated for one patient.

    Attributes
    ----------
    criterion_id, level, criterion : str
        The row's id, level and printed text.
    holds : bool or None
        True if the row holds, False if not, None if unknown fields leave it open.
    unknown : tuple of str
        Fields the row reads whose value is unknown.
    """

    criterion_id: str
    level: str
    criterion: str
    holds: bool | None
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class RiskResult:
    """A risk level from Table 2 and why.

    Attributes
    ----------
    system : {"ata", "tnm"}
    level : str
        ``{"low", "intermediate", "high", "indeterminate"}`` for ATA,
        ``{"very_low", "low", "high", "indeterminate"}`` for TNM.
    criteria : tuple of str
        Ids (``evidence/risk_stratification.csv``) of the rows that decided the level. For an
        indeterminate level: the rows that already hold.
    missing : tuple of str
        Unknown fields that could change the answer (empty unless indeterminate).
    possible_levels : tuple of str
        Levels still possible; one element when decided, empty when Table 2 places the patient
        nowhere (out of scope or a gap of the table).
    notes : tuple of str
        Footnotes that apply, gaps, scope remarks.
    checks : tuple of CriterionCheck
        Every row of the system, evaluated.
    in_gap : bool
        True when the patient is in the table's scope but Table 2 as printed places them in no
        level: every row is known and none decides (a gap of the table; ``possible_levels`` is
        empty and ``notes`` says which descriptions were not met).
    out_of_scope : bool
        True when the patient is outside the table's scope (a histology other than
        differentiated thyroid cancer); no row is applied and ``possible_levels`` is empty.
        At most one of ``in_gap`` and ``out_of_scope`` is True.
    """

    system: str
    level: str
    criteria: tuple[str, ...]
    missing: tuple[str, ...]
    possible_levels: tuple[str, ...]
    notes: tuple[str, ...]
    checks: tuple[CriterionCheck, ...] = field(repr=False)
    in_gap: bool = False
    out_of_scope: bool = False

    @property
    def decided(self) -> bool:
        """Whether Table 2 gives a level (not indeterminate)."""
        return self.level != INDETERMINATE

    def criterion_text(self, criterion_id: str) -> str:
        """Printed text of one of the system's rows."""
        for check in self.checks:
            if check.criterion_id == criterion_id:
                return check.criterion
        raise ValueError(f"criterion_id={criterion_id!r} is not a {self.system} row; allowed: "
                         + ", ".join(c.criterion_id for c in self.checks))

    def summary_frame(self) -> pd.DataFrame:
        """Every row of the system with its evaluation (holds: True/False/None)."""
        return pd.DataFrame(
            {
                "criterion_id": [c.criterion_id for c in self.checks],
                "level": [c.level for c in self.checks],
                "criterion": [c.criterion for c in self.checks],
                "holds": pd.array([c.holds for c in self.checks], dtype="boolean"),
                "decisive": [c.criterion_id in self.criteria for c in self.checks],
                "unknown": [" ".join(c.unknown) for c in self.checks],
            }
        )

    def _title(self) -> str:
        name = {"ata": "ATA risk of structural disease recurrence",
                "tnm": "TNM risk group"}[self.system]
        return f"{name} (Table 2 of the review)"

    def _level_phrase(self) -> str:
        if self.decided:
            return self.level
        if self.possible_levels:
            return f"indeterminate (still possible: {', '.join(self.possible_levels)})"
        return "indeterminate (Table 2 places this patient in no level)"

    def explain(self) -> str:
        """A readable account: level, deciding rows, unknown fields, notes."""
        lines = [f"{self._title()}: {self._level_phrase()}"]
        if self.criteria:
            lines.append("Decided by:" if self.decided else "Rows that already hold:")
            lines += [f"  - {self.criterion_text(cid)} [{cid}]" for cid in self.criteria]
        if self.missing:
            lines.append("Unknown fields that could change the answer: " + ", ".join(self.missing))
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {note}" for note in self.notes]
        lines.append(DISCLAIMER)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<div class='risk-result'><p><strong>{esc(self._title())}:</strong> "
                 f"<code>{esc(self._level_phrase())}</code></p>"]
        if self.criteria:
            heading = "Decided by" if self.decided else "Rows that already hold"
            items = "".join(f"<li>{esc(self.criterion_text(cid))} <code>{esc(cid)}</code></li>"
                            for cid in self.criteria)
            parts.append(f"<p>{heading}:</p><ul>{items}</ul>")
        if self.missing:
            parts.append("<p>Unknown fields that could change the answer: "
                         + ", ".join(f"<code>{esc(m)}</code>" for m in self.missing) + "</p>")
        if self.notes:
            parts.append("<p>Notes:</p><ul>"
                         + "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "</ul>")
        parts.append(f"<p><em>{esc(DISCLAIMER)}</em></p></div>")
        return "".join(parts)
