"""thyroid-evidence: a reproducible evidence kit for one narrative review.

Research and teaching material, not clinical decision support.
"""

from thyroid_evidence.evidence import Evidence, EvidenceError, load_evidence

__all__ = ["Evidence", "EvidenceError", "load_evidence"]
__version__ = "0.1.0"
