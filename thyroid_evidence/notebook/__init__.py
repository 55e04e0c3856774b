"""Notebook support: what a notebook calls first (parameter check, run context, saving).

The cell after a notebook's ``parameters`` cell::

    run = thyroid_evidence.notebook.check_notebook_parameters("survival", globals())
    ...
    run.save_figure(fig, caption="Reconstructed overall survival ...")
    run.save_table(frame, key="milestones", caption="Reported vs reproduced milestones")
    thyroid_evidence.notebook.show_markdown("**{title}**", title=series["title"])

Evidence text is shown through :mod:`~thyroid_evidence.notebook.display` (escaped, never read
as Markdown or HTML).

The run matrix (``notebooks/matrix.toml``) says which parameters each notebook accepts beyond
its defaults. Standard library only at import: matplotlib and pandas are the notebook's.
"""

from __future__ import annotations

from thyroid_evidence.exceptions import ParameterError
from thyroid_evidence.notebook.context import RunContext, save_table
from thyroid_evidence.notebook.display import (
    escape_markdown,
    markdown_list,
    markdown_text,
    show_list,
    show_markdown,
)
from thyroid_evidence.notebook.matrix import (
    EvidenceIndex,
    Matrix,
    NotebookSpec,
    Run,
    load_matrix,
    read_matrix,
    run_id_for,
)
from thyroid_evidence.notebook.parameters import (
    check_notebook_parameters,
    check_parameters,
    read_parameter_defaults,
)
from thyroid_evidence.notebook.rules import COMMON_RULES, Rule

__all__ = [
    "COMMON_RULES",
    "EvidenceIndex",
    "Matrix",
    "NotebookSpec",
    "ParameterError",
    "Rule",
    "Run",
    "RunContext",
    "check_notebook_parameters",
    "check_parameters",
    "escape_markdown",
    "load_matrix",
    "markdown_list",
    "markdown_text",
    "read_matrix",
    "read_parameter_defaults",
    "run_id_for",
    "save_table",
    "show_list",
    "show_markdown",
]
