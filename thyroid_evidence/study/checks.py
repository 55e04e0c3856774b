"""The study layer's input checks: an evidence package from ``load_evidence()``, and the
validation that adds the rules only the layers above the evidence know (Table 2's rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from thyroid_evidence.evidence import Evidence, load_evidence
from thyroid_evidence.exceptions import EvidenceError


def check_evidence(evidence: Any) -> Evidence:
    """Return ``evidence`` if it is an :class:`~thyroid_evidence.evidence.Evidence`.

    Raises
    ------
    TypeError
        For anything else (a DataFrame, a path, None), naming what was given.
    """
    if not isinstance(evidence, Evidence):
        raise TypeError(
            f"evidence must be an Evidence from thyroid_evidence.load_evidence(); got "
            f"{type(evidence).__name__}"
        )
    return evidence


def validate_evidence(root: str | Path | None = None) -> Evidence:
    """:func:`~thyroid_evidence.evidence.load_evidence`, then the rules of Table 2 compiled.

    What ``thyroid-evidence validate`` and the build run: every problem of the package,
    Table 2's rules included (:func:`thyroid_evidence.study.staging.rule_problems`) and the
    digitised curves of ``evidence/curves/`` when there are any
    (:func:`thyroid_evidence.study.curves.evidence_curve_problems`), before any notebook does.

    Raises
    ------
    EvidenceError
        Listing every problem, each as ``file:row: column: value — rule``.
    """
    from thyroid_evidence.study.curves import evidence_curve_problems
    from thyroid_evidence.study.staging import rule_problems

    evidence = load_evidence(root)
    problems = rule_problems(evidence) + evidence_curve_problems(evidence)
    if problems:
        raise EvidenceError(problems, evidence.root)
    return evidence
