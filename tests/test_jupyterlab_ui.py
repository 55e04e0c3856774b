"""JupyterLab in a real browser: open survival.ipynb, run all cells through the UI, see a figure.

JupyterLab is started on a free port of the loopback interface with a token and no browser,
serving a temporary folder that holds a copy of ``notebooks/survival.ipynb`` (its parameters
cell asks for a smaller ensemble, to keep the run short). Debian's headless Chromium, driven by
Playwright, opens the notebook, picks *Run → Run All Cells* from the menu bar, and waits for a
figure (an ``<img>`` in an output area) that has loaded. The kernel writes its figures to a
temporary scratch folder; JupyterLab saves into the copy: nothing is written into the
repository. Every wait is bounded; the test is skipped only when Chromium is absent (``.ci/run``
installs it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.fixtures.jupyterlab import running_lab
from thyroid_evidence import config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NOTEBOOK = "survival.ipynb"
#: Seconds for JupyterLab to answer, the page to show the notebook, and the run.
START_TIMEOUT, PAGE_TIMEOUT, RUN_TIMEOUT = 90, 60, 120

pytestmark = [
    pytest.mark.heavy,  # a long module: scheduled first (tests/conftest.py)
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def smaller_ensemble(source: Path, target: Path, n_ensemble: int = 40) -> None:
    """Copy the notebook with ``n_ensemble`` set in its parameters cell (outputs dropped)."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    [cell] = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    text = "".join(cell["source"])
    text, count = re.subn(r"^n_ensemble: int = \d+", f"n_ensemble: int = {n_ensemble}", text,
                          flags=re.MULTILINE)
    assert count == 1, "the parameters cell no longer sets n_ensemble as 'n_ensemble: int = N'"
    cell["source"] = text
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")


@pytest.fixture
def lab(tmp_path: Path):
    root = tmp_path / "lab"
    root.mkdir()
    smaller_ensemble(config.notebooks_dir() / NOTEBOOK, root / NOTEBOOK)
    scratch = tmp_path / "scratch"
    env = {k: v for k, v in os.environ.items() if k != config.STAGING_ENV}  # not a build
    env.update({
        config.SCRATCH_ENV: str(scratch),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
    })
    # the user's settings of a fresh JupyterLab, but: render every cell (not only those in
    # view, so the figure is in the page), start the notebook's kernel without asking, and
    # fetch no news
    settings = {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "docmanager-extension/plugin": {"autoStartDefaultKernel": True},
        "apputils-extension/notification": {"fetchNews": "false"},
    }
    for name, values in settings.items():
        folder, plugin = name.split("/")
        path = tmp_path / "settings" / "@jupyterlab" / folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    with running_lab(root, tmp_path, start_timeout=START_TIMEOUT, env=env, cwd=root,
                     args=["--LabApp.news_url=None",
                           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                     ) as server:
        yield server.base, server.token, root, scratch


def test_survival_runs_all_cells_in_jupyterlab_and_shows_its_figure(lab) -> None:
    from playwright.sync_api import sync_playwright

    base, token, root, scratch = lab
    committed = config.notebooks_dir() / NOTEBOOK
    committed_state = committed.stat().st_mtime_ns
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.set_default_timeout(PAGE_TIMEOUT * 1000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
            # the kernel is up when the status bar names it idle
            page.get_by_text(re.compile(r"Python 3 \(ipykernel\) \| Idle")).wait_for()
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
            page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
            # the last cell has run when every code cell shows an execution count
            page.wait_for_function(
                """() => {
                    const prompts = [...document.querySelectorAll(
                        '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt')];
                    return prompts.length > 0
                        && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
                }""", timeout=RUN_TIMEOUT * 1000)
            figure = page.locator(".jp-OutputArea-output img").first
            figure.wait_for()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth > 0", arg=figure.element_handle(),
                timeout=PAGE_TIMEOUT * 1000)
            errors = page.locator(".jp-OutputArea-output[data-mime-type="
                                  "'application/vnd.jupyter.stderr']", has_text="Traceback")
            assert errors.count() == 0, errors.first.inner_text()
            size = figure.evaluate("img => [img.naturalWidth, img.naturalHeight]")
            assert size[0] > 200 and size[1] > 100, size
        finally:
            browser.close()
    # the figure the page shows was written to the scratch folder, not to build/
    assert sorted(p.suffix for p in (scratch / "figures").glob("survival-*")) \
        >= [".pdf", ".png", ".svg"]
    assert committed.stat().st_mtime_ns == committed_state
    shutil.rmtree(root / ".ipynb_checkpoints", ignore_errors=True)
