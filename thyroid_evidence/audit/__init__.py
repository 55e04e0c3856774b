"""Consistency audit of reported numbers: GRIM, denominators, partitions, complements, KM,
Kaplan-Meier paths with event counts and follow-up, and mean ± SD feasibility.

Statuses (see :data:`STATUSES`): ``consistent`` (reproduced with round-to-nearest),
``consistent_only_if_truncated`` (reproduced only if digits were cut off or rounded up),
``review_and_source_disagree`` (the review and the cited paper report differently),
``inconsistent``, ``cannot_check``. All rounding checks use exact fractions, never floats.

Research and teaching material, not clinical decision support. The audit reports on the
literature; it never edits evidence/.
"""

from thyroid_evidence._lazy import lazy_exports

# Light modules (exact fractions only), imported at once; ``grim`` must be: it is also the name
# of its submodule, which would shadow a lazily looked-up function.
from thyroid_evidence.audit.grim import GrimResult, grim, infer_denominators, status_from_modes
from thyroid_evidence.audit.partition import (
    ComplementResult,
    PartitionResult,
    check_complement,
    check_partition,
)
from thyroid_evidence.audit.rounding import MODES, NEAREST_MODES, STATUSES

#: Public names of the modules that load pandas, imported on first use; the audit of an
#: evidence package and its text forms live in the study layer (full module paths).
_EXPORTS = {
    "AUDIT_COLUMNS": "thyroid_evidence.study.audit",
    "COMPLEMENT_ENDPOINTS": "thyroid_evidence.study.audit",
    "FORMATS": "thyroid_evidence.study.audit_text",
    "JointSegment": "km_joint",
    "KmFeasibility": "km_feasibility",
    "KmJointFeasibility": "km_joint",
    "MeanSdFeasibility": "moments",
    "audit_evidence": "thyroid_evidence.study.audit",
    "format_audit": "thyroid_evidence.study.audit_text",
    "km_feasible": "km_feasibility",
    "km_joint_feasible": "km_joint",
    "max_sample_sd": "moments",
    "mean_sd_feasible": "moments",
}
__all__ = [
    "AUDIT_COLUMNS",
    "COMPLEMENT_ENDPOINTS",
    "FORMATS",
    "MODES",
    "NEAREST_MODES",
    "STATUSES",
    "ComplementResult",
    "GrimResult",
    "JointSegment",
    "KmFeasibility",
    "KmJointFeasibility",
    "MeanSdFeasibility",
    "PartitionResult",
    "audit_evidence",
    "check_complement",
    "check_partition",
    "format_audit",
    "grim",
    "infer_denominators",
    "km_feasible",
    "km_joint_feasible",
    "max_sample_sd",
    "mean_sd_feasible",
    "status_from_modes",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
