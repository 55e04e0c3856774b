"""thyroid-evidence: a reproducible evidence kit for one narrative review.

Research and teaching material, not clinical decision support.

The top level is lazy: ``import thyroid_evidence`` loads nothing heavy, so that commands with
nothing to do (a no-op ``thyroid-evidence build``) stay fast.
"""

from thyroid_evidence._lazy import lazy_exports
from thyroid_evidence.vocab import DISCLAIMER

__all__ = [
    "DISCLAIMER",
    "Evidence",
    "EvidenceError",
    "ThyroidEvidenceError",
    "ThyroidEvidenceWarning",
    "load_evidence",
]
__version__ = "0.1.0"

#: Public name -> submodule; imported on first use.
_EXPORTS = {
    "Evidence": "evidence",
    "EvidenceError": "exceptions",
    "ThyroidEvidenceError": "exceptions",
    "ThyroidEvidenceWarning": "exceptions",
    "load_evidence": "evidence",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
