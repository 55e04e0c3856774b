"""Test-session set-up shared by tests/ and the nbval run over notebooks/.

Notebooks save their figures through the build's staging variable; during the tests that is
a temporary folder, so running the suite never writes into the repository's build/. The
evidence loader remembers passed validations in a temporary folder too.
"""

import os
import tempfile

from thyroid_evidence.config import CACHE_ENV, STAGING_ENV

_scratch = tempfile.mkdtemp(prefix="thyroid-evidence-tests-")
os.environ.setdefault(STAGING_ENV, os.path.join(_scratch, "staging"))
os.environ.setdefault(CACHE_ENV, os.path.join(_scratch, "cache"))
