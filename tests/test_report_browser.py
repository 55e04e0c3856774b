"""The report in a real browser: Debian's headless Chromium driven by Playwright.

Builds the fixture matrix on an evidence copy whose series title carries HTML, opens
``report/index.html`` from disk and checks that every image loads, every local link resolves,
no link needs the network, and the evidence text is shown as text, never run as markup. Then
the project's notebooks, run for one series on an evidence copy whose title, population and
section carry ``<script>``, ``<img onerror>`` and a ``javascript:`` link: their pages show that
text and run none of it, and load nothing from the network.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest

from tests.fixtures.fixture_matrix import matrix_file, series_runs
from thyroid_evidence import config
from thyroid_evidence.build.execute import build
from thyroid_evidence.notebook import escape_markdown

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE = '<img src=x onerror="window.__pwned=1">Cazzato & co'

pytestmark = [
    pytest.mark.heavy,  # a long module: scheduled first (tests/conftest.py)
    pytest.mark.skipif(
        not CHROMIUM.is_file(), reason="Debian's chromium is not installed (.ci/run installs it)"
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    evidence = root / "evidence"
    shutil.copytree(config.evidence_dir(), evidence)
    with (evidence / "series.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["series_id"] == "bone_ir_cazzato":
            row["title"] = HOSTILE
    with (evidence / "series.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    matrix = matrix_file(root, evidence_dir=evidence)
    summary = build(root / "out", matrix=matrix, jobs=2, stream=io.StringIO())
    assert summary.exit_code == 0, summary
    return root / "out" / "report" / "index.html"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def test_chromium_is_debians() -> None:
    version = subprocess.run([str(CHROMIUM), "--version"], capture_output=True, text=True,
                             timeout=60)
    assert version.stdout.startswith("Chromium ")


def test_every_image_loads(browser, report: Path) -> None:
    page = browser.new_page()
    page.goto(report.as_uri(), wait_until="load")
    images = page.evaluate(
        "Array.from(document.images).map(i => [i.getAttribute('src'), i.complete,"
        " i.naturalWidth, i.naturalHeight])"
    )
    assert [src for src, *_ in images] == [
        *(f"../figures/{run_id}.png" for run_id in series_runs(config.evidence_dir())),
        "../figures/fx_single.png",
        "../figures/fx_single-line.png",
    ]
    for src, complete, width, height in images:
        assert complete and width > 100 and height > 100, src
    page.close()


def test_every_local_link_resolves(browser, report: Path) -> None:
    page = browser.new_page()
    page.goto(report.as_uri(), wait_until="load")
    links = page.evaluate(
        "Array.from(document.querySelectorAll('a[href]')).map(a => [a.getAttribute('href'),"
        " a.href])"
    )
    ids = set(page.evaluate("Array.from(document.querySelectorAll('[id]')).map(e => e.id)"))
    assert len(links) > 30
    targets = set()
    for raw, absolute in links:
        url = urlparse(absolute)
        assert url.scheme == "file", f"{raw} leaves the disk"
        if raw.startswith("#"):
            assert raw[1:] in ids, raw
            continue
        path = Path(unquote(url.path))
        assert path.is_file(), raw
        targets.add(path)
    suffixes = {p.suffix for p in targets}
    assert suffixes == {".png", ".svg", ".pdf", ".csv", ".html", ".ipynb"}
    for html in sorted(p for p in targets if p.suffix == ".html"):
        response = page.goto(html.as_uri(), wait_until="domcontentloaded")
        assert response is None or response.ok
        assert page.title() == html.stem
    page.close()


def test_evidence_text_is_shown_not_executed(browser, report: Path) -> None:
    page = browser.new_page()
    page.goto(report.as_uri(), wait_until="load")
    assert page.evaluate("window.__pwned === undefined")
    cells = page.evaluate(
        "Array.from(document.querySelectorAll('#evidence td')).map(td => td.textContent)"
    )
    assert HOSTILE in cells
    assert page.evaluate("document.querySelectorAll('#evidence img').length") == 0
    page.close()


# --- the executed notebooks' pages ------------------------------------------------------------

#: Evidence text that would run as script if a page took it for Markdown or HTML.
PAYLOAD = ('<script>document.title="pwned";window.__pwned=1</script>'
           '<img src=x onerror="window.__pwned=2"> [click me](javascript:window.__pwned=3)')
#: The series whose text carries the payload.
HOSTILE_SERIES = "bone_ir_cazzato"


def _hostile_evidence(target: Path) -> Path:
    """A copy of evidence/ whose HOSTILE_SERIES title, population and section carry PAYLOAD."""
    shutil.copytree(config.evidence_dir(), target)
    with (target / "series.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["series_id"] == HOSTILE_SERIES:
            for column in ("title", "population", "location"):
                row[column] = f"{PAYLOAD} {column}"
    with (target / "series.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return target


@pytest.fixture(scope="module")
def notebook_pages(tmp_path_factory: pytest.TempPathFactory):
    """The project's notebooks (a snapshot) built for HOSTILE_SERIES on the hostile copy,
    chosen with ``evidence=`` (``--evidence DIR``) alone."""
    from thyroid_evidence.notebook import load_matrix

    root = tmp_path_factory.mktemp("pages")
    evidence = _hostile_evidence(root / "evidence")
    shutil.copytree(config.notebooks_dir(), root / "notebooks")
    matrix = load_matrix(root / "notebooks" / "matrix.toml")
    stream = io.StringIO()
    summary = build(root / "out", matrix=matrix, jobs=2, only=f"*{HOSTILE_SERIES}*",
                    evidence=evidence, stream=stream)
    assert summary.exit_code == 0, stream.getvalue()
    assert len(summary.executed) >= 2, summary.executed
    return root / "out", evidence, summary


def _visit(browser, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_timeout(100)  # an onerror handler runs after load
    return page, requests


def test_notebook_pages_show_evidence_text_and_run_none_of_it(browser, notebook_pages) -> None:
    out, _, summary = notebook_pages
    pages = sorted((out / "notebooks").glob("*.html"))
    assert sorted(p.stem for p in pages) == sorted(summary.executed)
    for html in pages:
        page, requests = _visit(browser, html)
        assert page.evaluate("window.__pwned === undefined"), html.name
        assert page.title() == html.stem
        assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
        assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0
        text = page.evaluate("document.body.innerText")
        assert f"{PAYLOAD} title" in text, html.name  # shown as typed, Markdown and all
        assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
        page.close()


def test_notebook_pages_load_no_script_from_the_network(notebook_pages) -> None:
    out, _, _ = notebook_pages
    for html in sorted((out / "notebooks").glob("*.html")):
        text = html.read_text(encoding="utf-8")
        assert "<script src=" not in text and "cdnjs" not in text and "require.js" not in text
        assert "mathjax" not in text.lower(), html.name


def test_an_unescaped_page_would_have_fired(browser, tmp_path: Path) -> None:
    """The check above can fail: the same text put raw into Markdown runs in this browser."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from thyroid_evidence.build.worker import html_exporter

    cell = new_code_cell("display(Markdown(title))", outputs=[new_output(
        "display_data", data={"text/markdown": f"**{PAYLOAD}**", "text/plain": "<Markdown>"})])
    body, _ = html_exporter().from_notebook_node(
        new_notebook(cells=[cell]), resources={"metadata": {"name": "raw"}})
    (tmp_path / "raw.html").write_text(body, encoding="utf-8")
    page, _ = _visit(browser, tmp_path / "raw.html")
    assert page.evaluate("window.__pwned") in (1, 2)
    page.close()


def test_every_run_reads_the_evidence_the_build_was_given(notebook_pages) -> None:
    out, evidence, summary = notebook_pages
    shown = escape_markdown(f"{PAYLOAD} title")  # as the notebooks display the copy's title
    for run_id in summary.executed:  # the kernels read the copy (THYROID_EVIDENCE_DIR)
        executed = json.loads((out / "notebooks" / f"{run_id}.ipynb").read_text("utf-8"))
        markdown = ["".join(o["data"]["text/markdown"]) for c in executed["cells"]
                    for o in c.get("outputs", []) if "text/markdown" in o.get("data", {})]
        assert any(shown in text for text in markdown), run_id
    copied = out / "report" / "evidence" / "series.csv"  # the report shows the copy
    assert copied.read_bytes() == (evidence / "series.csv").read_bytes()
    manifest = json.loads((out / ".build" / "manifest.json").read_text(encoding="utf-8"))
    assert {entry["evidence"] for entry in manifest["runs"].values()} == {str(evidence)}
