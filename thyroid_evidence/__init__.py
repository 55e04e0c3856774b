"""thyroid-evidence: a reproducible evidence kit for one narrative review.

Research and teaching material, not clinical decision support.

The top level is lazy: ``import thyroid_evidence`` loads nothing heavy, so that commands with
nothing to do (a no-op ``thyroid-evidence build``) stay fast.
"""

from thyroid_evidence._lazy import lazy_exports

__all__ = ["DISCLAIMER", "Evidence", "EvidenceError", "load_evidence"]
__version__ = "0.1.0"

#: The line every figure, report and staging result carries.
DISCLAIMER = "Research and teaching material, not clinical decision support."

#: Public name -> submodule; imported on first use.
_EXPORTS = {"Evidence": "evidence", "EvidenceError": "evidence", "load_evidence": "evidence"}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
