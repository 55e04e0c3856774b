"""The notebook build: run matrix, parameter checks, papermill execution, manifest, report.

What a notebook calls (first code cell after the ``parameters`` cell)::

    run = thyroid_evidence.build.check_notebook_parameters("survival", globals())
    ...
    run.save_figure(fig, caption="Reconstructed overall survival ...")
    run.save_table(frame, key="milestones", caption="Reported vs reproduced milestones")

Names are resolved lazily (PEP 562) so that ``thyroid-evidence build`` with nothing to do
never imports papermill, pandas or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "check_notebook_parameters": "thyroid_evidence.build.params",
    "check_parameters": "thyroid_evidence.build.params",
    "ParameterError": "thyroid_evidence.build.params",
    "RunContext": "thyroid_evidence.build.params",
    "Rule": "thyroid_evidence.build.params",
    "Matrix": "thyroid_evidence.build.matrix",
    "NotebookSpec": "thyroid_evidence.build.matrix",
    "Run": "thyroid_evidence.build.matrix",
    "MATRIX": "thyroid_evidence.build.matrix",
    "save_figure": "thyroid_evidence.plotting.figures",
    "save_table": "thyroid_evidence.build.outputs",
    "build": "thyroid_evidence.build.execute",
    "run_notebook": "thyroid_evidence.build.execute",
    "BuildSummary": "thyroid_evidence.build.execute",
    "write_report": "thyroid_evidence.build.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'thyroid_evidence.build' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
