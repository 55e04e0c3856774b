"""Test-session set-up shared by tests/ and the nbval run over notebooks/.

Notebooks save their figures through the build's staging variable; during the tests that is
a temporary folder, so running the suite never writes into the repository's build/.
"""

import os
import tempfile

os.environ.setdefault("THYROID_EVIDENCE_STAGING_DIR",
                      tempfile.mkdtemp(prefix="thyroid-evidence-tests-"))
