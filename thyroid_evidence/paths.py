"""Where things live: every path the package uses is resolved here, once."""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (the folder holding ``evidence/``, ``notebooks/`` and this package).
PROJ_ROOT = Path(__file__).resolve().parent.parent
#: The evidence data package shipped with the repository.
EVIDENCE_DIR = PROJ_ROOT / "evidence"
#: Parameterised notebooks.
NOTEBOOKS_DIR = PROJ_ROOT / "notebooks"
#: Default output folder of the build.
BUILD_DIR = PROJ_ROOT / "build"


def review_text_path() -> Path | None:
    """Return the path of the review's full text, or None when it is not available.

    ``THYROID_EVIDENCE_SOURCE`` wins; otherwise ``../shared/source/review.txt`` next to the
    repository (where the project keeps it).
    """
    env = os.environ.get("THYROID_EVIDENCE_SOURCE")
    candidates = [Path(env)] if env else []
    candidates.append(PROJ_ROOT.parent / "shared" / "source" / "review.txt")
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None
