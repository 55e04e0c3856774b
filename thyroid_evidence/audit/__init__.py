"""Consistency audit of reported numbers: GRIM, denominators, partitions, complements, KM.

Statuses (see :data:`STATUSES`): ``consistent`` (reproduced with round-to-nearest),
``consistent_only_if_truncated`` (reproduced only if digits were cut off or rounded up),
``inconsistent``, ``cannot_check``. All rounding checks use exact fractions, never floats.

Research and teaching material, not clinical decision support. The audit reports on the
literature; it never edits evidence/.
"""

from thyroid_evidence.audit.evidence_audit import (
    AUDIT_COLUMNS,
    COMPLEMENT_ENDPOINTS,
    audit_evidence,
)
from thyroid_evidence.audit.formatting import FORMATS, format_audit
from thyroid_evidence.audit.grim import GrimResult, grim, infer_denominators, status_from_modes
from thyroid_evidence.audit.km_feasibility import KmFeasibility, km_feasible
from thyroid_evidence.audit.partition import (
    ComplementResult,
    PartitionResult,
    check_complement,
    check_partition,
)
from thyroid_evidence.audit.rounding import MODES, NEAREST_MODES, STATUSES

__all__ = [
    "AUDIT_COLUMNS",
    "COMPLEMENT_ENDPOINTS",
    "FORMATS",
    "MODES",
    "NEAREST_MODES",
    "STATUSES",
    "ComplementResult",
    "GrimResult",
    "KmFeasibility",
    "PartitionResult",
    "audit_evidence",
    "check_complement",
    "check_partition",
    "format_audit",
    "grim",
    "infer_denominators",
    "km_feasible",
    "status_from_modes",
]
