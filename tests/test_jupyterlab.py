"""JupyterLab really starts on this checkout: token, loopback, free port, then shut down."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from thyroid_evidence import config

PROJ_ROOT = config.project_root()
NOTEBOOKS_DIR = config.notebooks_dir()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


@pytest.fixture
def lab(tmp_path: Path):
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
    }
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={PROJ_ROOT}",
            *(["--allow-root"] if os.geteuid() == 0 else []),  # CI runs as root
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            assert proc.poll() is None, (tmp_path / "lab.log").read_text()
            try:
                if get(f"{base}/api/status", token)[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, "JupyterLab did not answer within 120 s"
            time.sleep(0.5)
        yield base, token, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


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
