"""``make lab`` works as root (containers, CI): JupyterLab is asked to allow it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from thyroid_evidence import config


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_allows_root_only_for_root() -> None:
    # -n: print the commands only; -o: take the environment's install stamp as done
    result = subprocess.run(["make", "-n", "-o", ".venv/.installed", "lab"],
                            cwd=config.project_root(), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    [command] = [line for line in result.stdout.splitlines() if " lab " in f"{line} "]
    assert command.split()[:3] == [".venv/bin/jupyter", "lab", "--notebook-dir=notebooks"]
    assert ("--allow-root" in command.split()) == (os.geteuid() == 0)
