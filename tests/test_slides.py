"""Slides, handout and the report's copy of a teaching notebook (build/teaching.py).

A small made-up teaching notebook (two sections, two questions, answers in Markdown and code,
a figure) goes through the exporters the build uses; the pages are opened in Debian's headless
Chromium to see what a class sees: one slide per section, the answers only in the speaker
notes (shown by N), the report's copy with the answers collapsed, nothing from the network.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from thyroid_evidence.build import teaching
from thyroid_evidence.build.worker import html_exporter

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: A 1x1 PNG, as a figure output.
PIXEL = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a2ee2e8f0000000049454e44ae426082"
)).decode()
ANSWER_ONE = "Because the sky scatters blue light"
ANSWER_CODE_OUTPUT = "computed answer: 42"
ANSWER_TWO = "Three lesions, one patient"
LABEL = "Answer below (collapsed, click to open)"


def _cell(kind: str, source: str, tags: tuple[str, ...] = (), outputs: list | None = None):
    cell = (nbformat.v4.new_markdown_cell(source) if kind == "md"
            else nbformat.v4.new_code_cell(source, outputs=outputs or []))
    if tags:
        cell.metadata["tags"] = list(tags)
    if "answer" in tags:
        cell.metadata["jupyter"] = {"source_hidden": True}
    return cell


def teaching_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    stream = nbformat.v4.new_output("stream", name="stdout", text=ANSWER_CODE_OUTPUT + "\n")
    figure = nbformat.v4.new_output("display_data", data={"image/png": PIXEL,
                                                          "text/plain": "<Figure>"})
    nb.cells = [
        _cell("md", "# A walkthrough\n\nIntroduction for the class."),
        _cell("code", "n_draws: int = 10", tags=("parameters",)),
        _cell("md", "## Step 1 — Colours\n\nFigure 1 shows a pixel."),
        _cell("code", "show_pixel()", outputs=[figure]),
        _cell("md", "> **Check your understanding.** Why is the sky blue?"),
        _cell("md", LABEL, tags=("answer-label",)),
        _cell("md", ANSWER_ONE + ".", tags=("answer",)),
        _cell("code", "print('computed answer:', 6 * 7)", tags=("answer",), outputs=[stream]),
        _cell("md", "## Step 2 — Counting\n\nLesions are not patients."),
        _cell("md", "> **Check your understanding.** How many patients?"),
        _cell("md", ANSWER_TWO + ".", tags=("answer",)),
        _cell("md", "Closing words."),
    ]
    for index, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{index}"
    return nb


def test_roles_come_from_tags_and_position() -> None:
    assert teaching.cell_roles(teaching_notebook()) == [
        "content", "left_out", "content", "content", "content", "label", "answer", "answer",
        "content", "content", "answer", "content"]
    assert teaching.has_answers(teaching_notebook())
    plain = teaching_notebook()
    plain.cells = [c for c in plain.cells if "answer" not in c.metadata.get("tags", [])]
    assert not teaching.has_answers(plain)


def test_one_slide_per_heading_with_the_answers_in_its_notes() -> None:
    page = teaching.slides_html(teaching_notebook(), "walk")
    soup = BeautifulSoup(page, "html.parser")
    sections = soup.find_all("section", class_="te-slide")
    assert [s["id"] for s in sections] == ["slide-1", "slide-2", "slide-3"]
    first, second, third = sections
    assert "Introduction for the class" in first.get_text() and "n_draws" not in page
    [notes] = second.find_all("aside", class_="notes")
    assert ANSWER_ONE in notes.get_text() and ANSWER_CODE_OUTPUT in notes.get_text()
    notes.extract()
    assert "Step 1" in second.get_text() and "Why is the sky blue?" in second.get_text()
    assert ANSWER_ONE not in second.get_text() and ANSWER_CODE_OUTPUT not in second.get_text()
    [notes] = third.find_all("aside", class_="notes")
    assert ANSWER_TWO in notes.get_text()
    assert "Step 2" in third.get_text() and "How many patients?" in third.get_text()
    assert LABEL.split(" (")[0] not in page  # the label only announced a collapsed answer
    assert "print(" not in page  # code is hidden
    assert f"data:image/png;base64,{PIXEL}" in page


def _network_references(page: str) -> list[str]:
    """Every src, href or CSS url() of a page that is not local (data:, #anchor, relative)."""
    found = re.findall(r'''(?:src|href)\s*=\s*["']([^"']+)["']''', page)
    found += re.findall(r'''url\(\s*["']?([^"')]+)''', page)
    found += re.findall(r"@import\s+[\"']([^\"']+)", page)
    return [u for u in found if re.match(r"(?i)(https?:)?//", u)]


@pytest.mark.parametrize("render", [teaching.slides_html, teaching.handout_html])
def test_pages_need_nothing_from_the_network(render) -> None:
    page = render(teaching_notebook(), "walk")
    assert _network_references(page) == []
    assert not re.search(r"<script[^>]*\ssrc=", page)
    assert not re.search(r"<link[^>]*stylesheet", page)


def test_the_handout_keeps_questions_in_the_text_and_answers_after_it() -> None:
    soup = BeautifulSoup(teaching.handout_html(teaching_notebook(), "walk"), "html.parser")
    breaks = soup.find_all("div", class_="te-page-break")
    assert [b.get("class") for b in breaks] == [["te-page-break"]] * 2 + [
        ["te-page-break", "te-answers"]]  # a page per step, then the answers
    text = "".join(e.get_text() if hasattr(e, "get_text") else str(e)
                   for e in breaks[-1].find_all_previous(string=True))
    answers = " ".join(breaks[-1].find_all_next(string=True))
    assert "Why is the sky blue?" in text and "How many patients?" in text
    for answer in (ANSWER_ONE, ANSWER_CODE_OUTPUT, ANSWER_TWO):
        assert answer not in text and answer in answers
    assert answers.index("Question 1") < answers.index("Why is the sky blue?") \
        < answers.index(ANSWER_ONE) < answers.index("Question 2") < answers.index(ANSWER_TWO)
    assert LABEL.split(" (")[0] not in soup.get_text()


def test_the_report_copy_keeps_answers_collapsed() -> None:
    soup = BeautifulSoup(html_exporter().from_notebook_node(teaching_notebook())[0],
                         "html.parser")
    blocks = soup.find_all("details", class_="te-answer")
    assert [b.summary.get_text() for b in blocks] == ["Show the answer"] * 3
    assert not any(b.has_attr("open") for b in blocks)
    assert ANSWER_ONE in blocks[0].get_text() and ANSWER_CODE_OUTPUT in blocks[1].get_text()
    assert ANSWER_TWO in blocks[2].get_text()
    for block in blocks:
        block.extract()
    for answer in (ANSWER_ONE, ANSWER_CODE_OUTPUT, ANSWER_TWO):
        assert answer not in soup.get_text()


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("teaching")
    nb = teaching_notebook()
    written = teaching.write_teaching_exports(nb, folder, "walk", browser=str(CHROMIUM)
                                              if CHROMIUM.is_file() else None)
    report_copy = folder / "walk.html"
    report_copy.write_text(html_exporter().from_notebook_node(nb)[0], encoding="utf-8")
    return {"written": written, "folder": folder, "report": report_copy}


def test_the_exports_are_written_under_their_names(pages) -> None:
    names = [p.name for p in pages["written"]]
    assert names[:2] == ["walk.slides.html", "walk.handout.html"]
    if CHROMIUM.is_file():
        assert names[2] == "walk.handout.pdf"
    else:
        assert names[2] == "walk.handout-problem.txt"
        assert "no browser found on PATH" in pages["written"][2].read_text(encoding="utf-8")


def test_print_to_pdf_names_a_missing_browser(tmp_path: Path) -> None:
    html = tmp_path / "h.html"
    html.write_text("<p>x</p>", encoding="utf-8")
    problem = teaching.print_to_pdf(html, tmp_path / "h.pdf", browser=str(tmp_path / "nope"))
    assert problem.startswith(f"the handout PDF was not made: {tmp_path / 'nope'} could not run")
    assert not (tmp_path / "h.pdf").exists()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@needs_chromium
def test_slides_in_a_browser(browser, pages) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto((pages["folder"] / "walk.slides.html").as_uri())
    slides = page.locator("section.te-slide")
    assert slides.count() == 3
    box = slides.nth(0).bounding_box()
    assert box["height"] >= 720  # each slide fills the screen
    answer = page.get_by_text(ANSWER_ONE)
    assert not answer.is_visible()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Math.abs(window.scrollY - document.getElementById('slide-2')"
                           ".offsetTop) < 2", timeout=5000)
    page.keyboard.press("n")
    assert answer.is_visible()
    page.keyboard.press("End")
    page.wait_for_function("Math.abs(window.scrollY - document.getElementById('slide-3')"
                           ".offsetTop) < 2 || window.innerHeight + window.scrollY >= "
                           "document.body.scrollHeight - 2", timeout=5000)
    assert [u for u in requested if not u.startswith(("file:", "data:"))] == []
    page.close()


@needs_chromium
def test_report_copy_in_a_browser(browser, pages) -> None:
    page = browser.new_page()
    page.goto(pages["report"].as_uri())
    answer = page.get_by_text(ANSWER_ONE)
    assert not answer.is_visible()
    page.locator("details.te-answer summary").first.click()
    assert answer.is_visible()
    page.close()


@needs_chromium
def test_the_handout_pdf_has_the_answers_on_pages_of_their_own(pages) -> None:
    import pdfplumber

    with pdfplumber.open(pages["folder"] / "walk.handout.pdf") as pdf:
        texts = [p.extract_text() or "" for p in pdf.pages]
    first_answers = next(i for i, t in enumerate(texts) if t.lstrip().startswith("Answers"))
    assert first_answers >= 1
    before, after = "\n".join(texts[:first_answers]), "\n".join(texts[first_answers:])
    assert "Why is the sky blue?" in before and "How many patients?" in before
    for answer in (ANSWER_ONE, ANSWER_CODE_OUTPUT, ANSWER_TWO):
        assert answer not in before and answer in after
    assert texts[0].lstrip().startswith("A walkthrough")
    assert not any(t.lstrip().startswith("Step 2") for t in texts[:1])  # a page per step
