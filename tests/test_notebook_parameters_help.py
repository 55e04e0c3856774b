"""``papermill --help-notebook`` shows a type and a help text for every parameter.

papermill infers both from the parameters cell (``name: type = value  # help``, or
``# type: T  help`` for a None default); without them it prints "Unknown type". Read here
through papermill's own ``inspect_notebook``, as the command line does.
"""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest

from thyroid_evidence import config
from thyroid_evidence.notebook import read_parameter_defaults

NOTEBOOKS = sorted(config.notebooks_dir().glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_parameter_has_a_type_and_a_help_text(notebook: Path) -> None:
    inferred = papermill.inspect_notebook(str(notebook))
    assert list(inferred) == list(read_parameter_defaults(notebook))
    for name, parameter in inferred.items():
        assert parameter["inferred_type_name"] not in ("None", "", None), name
        assert parameter["help"].strip(), name


def test_the_command_line_shows_types(tmp_path: Path) -> None:
    from click.testing import CliRunner
    from papermill.cli import papermill as papermill_cli

    result = CliRunner().invoke(papermill_cli, ["--help-notebook",
                                                str(config.notebooks_dir() / "survival.ipynb")])
    assert result.exit_code == 0, result.output
    assert "Unknown type" not in result.output
    assert 'series_id: str (default "' in result.output
    assert "output_dir: Optional[str] (default None)" in result.output
