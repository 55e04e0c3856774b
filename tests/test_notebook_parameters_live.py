"""The check cell in a live kernel: names of the parameters cell that are not parameters.

A real kernel runs cells one by one as JupyterLab sends them (nbclient, no papermill): a
parameters cell with a misspelt name, then the notebook's check cell. The check warns, naming
the stray and the nearest parameter; an interactive run writes to the scratch folder, not to
build/; a path the notebook shows is relative to the project root.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from thyroid_evidence import config


def _notebook(parameters: str, *after: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_code_cell("import thyroid_evidence.notebook"),
        cell,
        nbformat.v4.new_code_cell(
            'run = thyroid_evidence.notebook.check_notebook_parameters("data_audit", globals())'),
        *(nbformat.v4.new_code_cell(source) for source in after),
    ]
    return nb


def _text(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[nbformat.NotebookNode, Path]:
    scratch = tmp_path_factory.mktemp("scratch")
    nb = _notebook(
        'status_filtre: list[str] = ["inconsistent"]  # misspelt\noutput_dir = None',
        "print(run.output_dir)",
        "from pathlib import Path\n"
        "Path(thyroid_evidence.config.project_root()) / 'build' / 'x.csv'",
        "Path('/elsewhere/y.csv')",
        'run = thyroid_evidence.notebook.check_notebook_parameters("data_audit", globals())',
        'status_filter: list[str] = ["inconsistent"]\noutput_dir = None',
        'run = thyroid_evidence.notebook.check_notebook_parameters("data_audit", globals())',
    )
    with pytest.MonkeyPatch.context() as mp:  # the kernel inherits this environment
        mp.delenv(config.STAGING_ENV, raising=False)  # an interactive run: no build
        mp.setenv(config.SCRATCH_ENV, str(scratch))
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path_factory.mktemp("cwd"))}}
                       ).execute()
    return nb, scratch


def test_a_misspelt_name_in_the_parameters_cell_is_named(executed) -> None:
    nb, _ = executed
    warning = _text(nb.cells[2])
    assert warning.startswith("parameters cell:1: ParameterWarning: ")
    assert "ParameterWarning: 'status_filtre' is assigned in the parameters cell of notebook " \
           "'data_audit' but is not one of its parameters, so it has no effect (did you mean " \
           "'status_filter'?); parameters: status_filter, output_dir" in warning
    assert "output_dir" not in warning.split("parameters:")[0]  # a real parameter: no warning


def test_an_interactive_run_writes_to_the_scratch_folder(executed) -> None:
    nb, scratch = executed
    assert _text(nb.cells[3]).strip() == str(scratch)


def test_paths_are_shown_relative_to_the_project_root(executed) -> None:
    nb, _ = executed
    assert _text(nb.cells[4]) == "PosixPath('<project>/build/x.csv')"
    assert str(config.project_root()) not in _text(nb.cells[4])
    assert _text(nb.cells[5]) == "PosixPath('/elsewhere/y.csv')"


def test_a_rerun_warns_again_and_the_corrected_cell_not_at_all(executed) -> None:
    nb, _ = executed
    assert _text(nb.cells[6]) == _text(nb.cells[2])
    assert _text(nb.cells[8]) == ""
