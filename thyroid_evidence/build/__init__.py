"""The notebook build: parallel papermill runs of the run matrix, manifest, report.

``thyroid-evidence build`` runs every run of ``notebooks/matrix.toml``; see
:func:`thyroid_evidence.build.execute.build`. The notebook-facing names (the parameter check,
the run context) live in :mod:`thyroid_evidence.notebook` and are re-exported here for
notebooks written as ``thyroid_evidence.build.check_notebook_parameters(...)``.

Names are resolved lazily (PEP 562) so that ``thyroid-evidence build`` with nothing to do
never imports papermill, pandas or matplotlib.
"""

from __future__ import annotations

from thyroid_evidence._lazy import lazy_exports

#: Seconds each run may take unless told otherwise (``--timeout``, ``build(timeout=...)``).
DEFAULT_TIMEOUT = 600.0

__all__ = [
    "DEFAULT_TIMEOUT",
    "BuildSummary",
    "Matrix",
    "NotebookSpec",
    "ParameterError",
    "Rule",
    "Run",
    "RunContext",
    "build",
    "check_notebook_parameters",
    "check_parameters",
    "load_matrix",
    "run_notebook",
    "save_table",
    "write_report",
]

#: Public name -> module that defines it; imported on first use.
_EXPORTS = {
    "BuildSummary": "thyroid_evidence.build.execute",
    "build": "thyroid_evidence.build.execute",
    "run_notebook": "thyroid_evidence.build.execute",
    "write_report": "thyroid_evidence.build.report",
    **{name: "thyroid_evidence.notebook" for name in (
        "Matrix", "NotebookSpec", "ParameterError", "Rule", "Run", "RunContext",
        "check_notebook_parameters", "check_parameters", "load_matrix", "save_table",
    )},
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
