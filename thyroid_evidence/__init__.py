"""thyroid-evidence: a reproducible evidence kit for one narrative review.

Research and teaching material, not clinical decision support.

The top level is lazy: ``import thyroid_evidence`` loads nothing heavy, so that commands with
nothing to do (a no-op ``thyroid-evidence build``) stay fast.
"""

import importlib
from typing import Any

__all__ = ["Evidence", "EvidenceError", "load_evidence"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("thyroid_evidence.evidence"), name)
    raise AttributeError(f"module 'thyroid_evidence' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
