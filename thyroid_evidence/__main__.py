"""``python -m thyroid_evidence``: the same as the ``thyroid-evidence`` command."""

import sys

from thyroid_evidence.cli import main

sys.exit(main())
