"""``make notebooks``: re-execute the committed notebooks in place with their default parameters.

The committed notebooks carry the outputs of a real run so that a reader sees results on
GitHub and nbval (``pytest --nbval-lax``) has something to compare. Figures and tables the
notebooks save go to a temporary folder (through the build's staging variable), never into
``build/``. Each notebook is written back atomically, and only when it ran without error.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from thyroid_evidence import config
from thyroid_evidence.files import atomic_write_text

#: Seconds one cell may run.
CELL_TIMEOUT = 900


def refresh(paths: list[Path] | None = None) -> int:
    """Execute each notebook (default: every ``notebooks/*.ipynb``) and store its outputs.

    Returns
    -------
    int
        0 when every notebook ran, 1 otherwise (failing notebooks are left unchanged).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    paths = paths or sorted(config.notebooks_dir().glob("*.ipynb"))
    failures = 0
    with tempfile.TemporaryDirectory(prefix="thyroid-evidence-refresh-") as scratch:
        os.environ[config.STAGING_ENV] = scratch
        for path in paths:
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                    resources={"metadata": {"path": str(path.parent)}})
            try:
                client.execute()
            except CellExecutionError as exc:
                failures += 1
                print(f"FAILED {path.name}: {str(exc).splitlines()[-1]}", file=sys.stderr)
                continue
            atomic_write_text(path, nbformat.writes(nb) + "\n")
            print(f"refreshed {path.relative_to(path.parent.parent)}")
    return 1 if failures else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m thyroid_evidence.build.refresh [NOTEBOOK ...]``."""
    args = sys.argv[1:] if argv is None else argv
    missing = [a for a in args if not Path(a).is_file()]
    if missing:
        print(f"not found: {', '.join(missing)}", file=sys.stderr)
        return 1
    return refresh([Path(a) for a in args] or None)


if __name__ == "__main__":
    sys.exit(main())
