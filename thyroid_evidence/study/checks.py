"""The study layer's input check: an evidence package from ``load_evidence()``."""

from __future__ import annotations

from typing import Any

from thyroid_evidence.evidence import Evidence


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
