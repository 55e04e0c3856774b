"""Slides and a printable handout of a teaching notebook, both offline.

A notebook is teaching material when some of its cells are tagged ``answer`` (the answers to
its "check your understanding" questions; JupyterLab shows them collapsed). From its executed
copy the build writes, under ``report/slides/`` of the output folder:

- ``<run_id>.slides.html``: one full-screen slide per section (a new slide at each Markdown
  heading), code hidden, figures and tables as the notebook shows them; the answers are the
  slide's speaker notes, hidden until ``N`` is pressed. Arrow keys, Page Up/Down and Space move
  between slides (a small inline script; nothing is loaded from the network, and without the
  script the slides still scroll and snap). Printing gives one slide per page.
- ``<run_id>.handout.html``: the notebook as a printable handout, code hidden, every section on
  a new page, the answers left out of the text and printed after it, each with its question,
  starting on a page of their own.
- ``<run_id>.handout.pdf``: that handout printed to PDF by a headless Chromium (or Chrome)
  found on ``PATH``; when none is found or printing fails, ``<run_id>.handout-problem.txt``
  says why and the HTML handout remains (print it from any browser).

The answers' place is read from the cells' tags only: ``answer`` for an answer cell (Markdown
or code), ``answer-label`` for a cell that only announces an answer ("**Answer** (collapsed:
...)"), left out of slides and handout. Cells tagged ``parameters`` or ``injected-parameters``
are left out too.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

from thyroid_evidence.files import atomic_write_text

#: Tag of an answer cell.
ANSWER_TAG = "answer"
#: Tag of a cell that only announces the answer after it.
ANSWER_LABEL_TAG = "answer-label"
#: Cells left out of slides and handout.
LEFT_OUT_TAGS = ("parameters", "injected-parameters")
#: Templates in ``build/templates``.
SLIDES_TEMPLATE, HANDOUT_TEMPLATE = "slides.html.j2", "handout.html.j2"
#: Browsers tried, in this order, for the handout PDF.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: Seconds the browser may take to print the handout.
PRINT_TIMEOUT = 180.0
#: The flags of a headless browser that touches no network and no profile of the user's.
BROWSER_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)

_HEADING = re.compile(r"^\s*#{1,6}\s")
_EXPORTERS: dict[str, Any] = {}
_LOCK = threading.Lock()


def _tags(cell: Any) -> list[str]:
    tags = cell.get("metadata", {}).get("tags", [])
    return list(tags) if isinstance(tags, list) else []


def _source(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def is_heading(cell: Any) -> bool:
    """True for a Markdown cell whose first line is a heading (``#`` to ``######``)."""
    return cell.get("cell_type") == "markdown" and bool(_HEADING.match(_source(cell)))


def has_answers(nb: Any) -> bool:
    """True when a cell of ``nb`` is tagged ``answer`` (the notebook is teaching material)."""
    return any(ANSWER_TAG in _tags(cell) for cell in nb.get("cells", []))


def cell_roles(nb: Any) -> list[str]:
    """The role of each cell: ``"answer"``, ``"label"``, ``"left_out"`` or ``"content"``."""
    cells = nb.get("cells", [])
    roles = []
    for cell in cells:
        tags = _tags(cell)
        if ANSWER_TAG in tags:
            roles.append("answer")
        elif any(tag in tags for tag in LEFT_OUT_TAGS):
            roles.append("left_out")
        elif ANSWER_LABEL_TAG in tags:
            roles.append("label")
        else:
            roles.append("content")
    return roles


def _plain(cell: Any, **flags: Any) -> Any:
    """A copy of ``cell`` without its tags and hidden state (shown as plain content), with
    the template's flags in ``metadata.teaching``."""
    cell = copy.deepcopy(cell)
    metadata = cell.setdefault("metadata", {})
    metadata.pop("tags", None)
    metadata.pop("jupyter", None)
    metadata.pop("collapsed", None)
    metadata["teaching"] = flags
    return cell


def slide_deck(nb: Any) -> Any:
    """A copy of ``nb`` laid out as slides: one per heading, answers as speaker notes.

    Every cell gets ``metadata.teaching`` flags the slides template reads: ``start`` (opens a
    slide, with its ``number``), ``notes_start`` / ``notes_end`` (around the notes), ``end``.
    Within a slide the notes come after what is shown, in the notebook's order.
    """
    roles = cell_roles(nb)
    slides: list[tuple[list[Any], list[Any]]] = []
    for cell, role in zip(nb.get("cells", []), roles, strict=True):
        if role == "left_out":
            continue
        if not slides or (role == "content" and is_heading(cell)):
            slides.append(([], []))
        shown, notes = slides[-1]
        if role == "answer":
            notes.append(cell)
        elif role == "content":
            shown.append(cell)  # a label only announces a collapsed answer: not on a slide
    deck = copy.copy(nb)
    deck.cells = []
    for number, (shown, notes) in enumerate(slides, start=1):
        cells = [_plain(c) for c in shown] + [_plain(c, note=True) for c in notes]
        cells[0]["metadata"]["teaching"]["start"] = True
        cells[0]["metadata"]["teaching"]["number"] = number
        if notes:
            cells[len(shown)]["metadata"]["teaching"]["notes_start"] = True
        cells[-1]["metadata"]["teaching"]["end"] = True
        deck.cells += cells
    return deck


def handout_notebook(nb: Any) -> Any:
    """A copy of ``nb`` laid out as a handout: the answers out of the text, after it.

    The text keeps every question; the answers follow on pages of their own, each under its
    question (the last content cell before the answer). Flags in ``metadata.teaching``:
    ``page_break`` (a section heading: new page), ``answers_start`` (the answers' page).
    """
    import nbformat

    roles = cell_roles(nb)
    text: list[Any] = []
    answers: list[tuple[Any, list[Any]]] = []
    last_content: Any = None
    for cell, role in zip(nb.get("cells", []), roles, strict=True):
        if role == "content":
            flags = {"page_break": True} if is_heading(cell) and text else {}
            text.append(_plain(cell, **flags))
            last_content = cell
        elif role == "answer":
            if answers and answers[-1][0] is last_content:
                answers[-1][1].append(cell)
            else:
                answers.append((last_content, [cell]))
    out = copy.copy(nb)
    out.cells = text
    if answers:
        # the cells added get fixed ids (the same handout for the same notebook), the
        # repeated questions ids of their own (a notebook's cell ids are unique)
        heading = nbformat.v4.new_markdown_cell("## Answers", id="te-answers")
        out.cells.append(_plain(heading, page_break=True, answers_start=True))
        for number, (question, cells) in enumerate(answers, start=1):
            title = nbformat.v4.new_markdown_cell(f"### Question {number}",
                                                  id=f"te-question-{number}")
            out.cells.append(_plain(title))
            if question is not None:
                repeated = _plain(question, question=True)
                repeated["id"] = f"te-question-{number}-text"
                out.cells.append(repeated)
            out.cells += [_plain(c, answer=True) for c in cells]
    return out


def _exporter(template: str) -> Any:
    """nbconvert's HTML exporter for ``template`` (lab page, no input, no prompts), made once."""
    with _LOCK:
        if template not in _EXPORTERS:
            from nbconvert import HTMLExporter

            _EXPORTERS[template] = HTMLExporter(
                template_name="lab", template_file=template,
                extra_template_paths=[str(Path(__file__).with_name("templates"))],
                exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
            )
        return _EXPORTERS[template]


def _render(nb: Any, template: str, name: str) -> str:
    exporter = _exporter(template)
    with _LOCK:  # an exporter is not safe to share between threads
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    return body


def slides_html(nb: Any, name: str) -> str:
    """The slides page of the executed notebook ``nb`` (see the module doc)."""
    return _render(slide_deck(nb), SLIDES_TEMPLATE, name)


def handout_html(nb: Any, name: str) -> str:
    """The handout page of the executed notebook ``nb`` (see the module doc)."""
    return _render(handout_notebook(nb), HANDOUT_TEMPLATE, name)


def find_browser() -> str | None:
    """The first of :data:`BROWSERS` on ``PATH``, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def print_to_pdf(html: Path, pdf: Path, browser: str | None = None,
                 timeout: float = PRINT_TIMEOUT) -> str | None:
    """Print the page ``html`` to ``pdf`` with a headless browser; returns why not, or None.

    The browser runs with a profile of its own in a temporary folder and the flags of
    :data:`BROWSER_FLAGS`; the page is read from disk. The PDF is written next to its final
    name and moved there when whole.
    """
    browser = browser or find_browser()
    if browser is None:
        return (f"the handout PDF was not made: no browser found on PATH (tried "
                f"{', '.join(BROWSERS)}); print {html.name} from a browser instead")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="thyroid-evidence-print-") as profile:
        partial = Path(profile) / "handout.pdf"
        command = [browser, *BROWSER_FLAGS, f"--user-data-dir={profile}/profile",
                   "--no-pdf-header-footer", f"--print-to-pdf={partial}",
                   html.resolve().as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return f"the handout PDF was not made: {browser} took longer than {timeout:g} s"
        except OSError as exc:
            return f"the handout PDF was not made: {browser} could not run ({exc})"
        if done.returncode != 0 or not partial.is_file() or partial.stat().st_size == 0:
            last = (done.stderr.strip().splitlines() or ["no message"])[-1]
            return (f"the handout PDF was not made: {browser} exited with status "
                    f"{done.returncode} ({last})")
        shutil.move(str(partial), str(pdf.with_name(f".{pdf.name}.tmp")))
        os.replace(pdf.with_name(f".{pdf.name}.tmp"), pdf)
    return None


def write_teaching_exports(nb: Any, folder: Path, name: str,
                           browser: str | None = None) -> list[Path]:
    """Write the slides, the handout and its PDF of ``nb`` into ``folder``; returns the paths.

    When the PDF cannot be made, ``<name>.handout-problem.txt`` says why instead.
    """
    folder = Path(folder)
    slides = atomic_write_text(folder / f"{name}.slides.html", slides_html(nb, name))
    handout = atomic_write_text(folder / f"{name}.handout.html", handout_html(nb, name))
    pdf = folder / f"{name}.handout.pdf"
    problem = print_to_pdf(handout, pdf, browser)
    if problem is None:
        return [slides, handout, pdf]
    return [slides, handout, atomic_write_text(folder / f"{name}.handout-problem.txt",
                                               problem + "\n")]
