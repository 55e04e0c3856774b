"""JupyterLab really starts on this checkout: token, loopback, free port, then shut down."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.jupyterlab import get, running_lab
from thyroid_evidence import config

PROJ_ROOT = config.project_root()
NOTEBOOKS_DIR = config.notebooks_dir()


@pytest.fixture
def lab(tmp_path: Path):
    with running_lab(PROJ_ROOT, tmp_path, start_timeout=120) as server:
        yield server.base, server.token, server.proc


def test_jupyterlab_serves_the_notebooks_and_shuts_down(lab) -> None:
    base, token, proc = lab
    status, body = get(f"{base}/api/contents/notebooks", token)
    assert status == 200
    listing = json.loads(body)
    assert listing["type"] == "directory" and listing["path"] == "notebooks"
    expected = sorted(p.name for p in NOTEBOOKS_DIR.iterdir() if not p.name.startswith("."))
    assert sorted(item["name"] for item in listing["content"]) == expected

    status, page = get(f"{base}/lab", token)
    assert status == 200
    assert "<title>JupyterLab</title>" in page

    assert get(f"{base}/api/contents/notebooks", None)[0] == 403

    request = urllib.request.Request(f"{base}/api/shutdown", method="POST")
    request.add_header("Authorization", f"token {token}")
    with urllib.request.urlopen(request, timeout=20):
        pass
    assert proc.wait(timeout=60) == 0
