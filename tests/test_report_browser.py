"""The report in a real browser: Debian's headless Chromium driven by Playwright.

Builds the fixture matrix on an evidence copy whose series title carries HTML, opens
``report/index.html`` from disk and checks that every image loads, every local link resolves,
no link needs the network, and the evidence text is shown as text, never run as markup.
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.fixtures.fixture_matrix import matrix_file
from thyroid_evidence import config
from thyroid_evidence.build.execute import build

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

pytestmark = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's chromium is not installed (.ci/run installs it)"
)


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
        "../figures/fx_series-liver_rfa_crc-overall_survival.png",
        "../figures/fx_series-bone_ir_cazzato-overall_survival.png",
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
