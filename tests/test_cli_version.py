"""``thyroid-evidence --version``: the installed distribution's version."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from thyroid_evidence.cli import main


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"thyroid-evidence {metadata.version('thyroid-evidence')}\n"


def test_version_from_python_dash_m() -> None:
    result = subprocess.run([sys.executable, "-m", "thyroid_evidence", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["thyroid-evidence", metadata.version("thyroid-evidence")]
