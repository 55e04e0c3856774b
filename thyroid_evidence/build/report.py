"""The HTML report: ``<out>/report/index.html``, one static page that opens from disk.

It indexes every run (title, parameters, thumbnails with captions, links to each figure file,
each table and the executed notebook as HTML and ``.ipynb``), shows the evidence tables (copied
next to the page as CSV) and the consistency audit. The page is the Jinja2 template
``templates/report.html.j2`` with autoescape on, so every piece of text is HTML-escaped; links
are relative, so the folder can be moved or zipped as a whole.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from thyroid_evidence.build.manifest import ORIGIN_RUN, Manifest, library_versions
from thyroid_evidence.files import atomic_write_bytes, atomic_write_text
from thyroid_evidence.notebook.matrix import Matrix
from thyroid_evidence.vocab import DISCLAIMER, UNRECONSTRUCTED_ENDPOINTS

#: The page's template, in ``thyroid_evidence/build/templates/``.
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class ReportResult:
    """The page written and the problem that kept a part of it from being made, if any."""

    path: Path
    problem: str | None = None


@dataclass(frozen=True)
class AuditSection:
    """The audit as the report shows it: CSV rows (header first), or why it could not run."""

    rows: tuple[tuple[str, ...], ...] = ()
    problem: str | None = None


def href(*parts: str) -> str:
    """A relative URL from ``report/`` to ``parts`` below the output folder."""
    return "../" + "/".join(quote(p) for p in "/".join(parts).split("/"))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("thyroid_evidence.build", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the build, not the page
        finalize=lambda value: "" if value is None else value,
    )


def _run(out: Path, run_id: str, entry: Mapping[str, Any], section_title: str = "") -> dict:
    """What the template shows of one built run."""
    title = str(entry.get("title") or run_id)
    if section_title and title.startswith(section_title + " — "):
        title = title[len(section_title) + 3:]  # the section heading already says it
    figures = []
    for figure in entry.get("figures", []):
        files = figure.get("files", [])
        image = next((f for f in files if f.endswith(".png")), None) or next(
            (f for f in files if f.endswith(".svg")), None)
        figures.append({
            "image": href(image) if image else None,
            "caption": figure.get("caption") or figure.get("stem"),
            "links": [{"href": href(f), "label": Path(f).suffix[1:].upper()} for f in files],
        })
    notebooks = [
        {"href": href(rel), "label": label}
        for rel, label in ((f"notebooks/{run_id}.html", "executed notebook (HTML)"),
                           (f"notebooks/{run_id}.ipynb", "executed notebook (.ipynb)"),
                           # a teaching notebook's (thyroid_evidence.build.teaching)
                           (f"report/slides/{run_id}.slides.html", "slides (offline)"),
                           (f"report/slides/{run_id}.handout.pdf", "handout (PDF)"),
                           (f"report/slides/{run_id}.handout.html", "handout (HTML, printable)"))
        if (out / rel).is_file()
    ]
    problem_file = out / "report" / "slides" / f"{run_id}.handout-problem.txt"
    teaching_problem = (problem_file.read_text(encoding="utf-8").strip()
                        if problem_file.is_file() else None)
    return {
        "id": run_id,
        "built": True,
        "title": title,
        "parameters": [(k, json.dumps(v, ensure_ascii=False))
                       for k, v in sorted(entry.get("parameters", {}).items())],
        "notebook_links": notebooks,
        "teaching_problem": teaching_problem,
        "figures": figures,
        "tables": [{"href": href(f), "label": Path(f).name, "caption": table.get("caption")}
                   for table in entry.get("tables", []) for f in table.get("files", [])],
    }


def inside(root: Path, rel: str) -> Path | None:
    """``root / rel`` when it resolves (symlinks followed) to a file inside ``root``, else None.

    An absolute path, a ``..`` that leaves the folder or a symlink that points out of it
    gives None: nothing outside the evidence package is read or published.
    """
    base = Path(root).resolve()
    try:
        target = (base / rel).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte
        return None
    if target != base and base in target.parents and target.is_file():
        return target
    return None


def copy_evidence_tables(out: Path, evidence_dir: Path) -> list[dict]:
    """The evidence tables, each copied next to the page; a missing one says so.

    Only files inside the evidence folder are read (see :func:`inside`); the build refuses
    evidence whose tables lie elsewhere before it gets here, and this page never shows them.
    """
    descriptor_path = inside(evidence_dir, "datapackage.json")
    try:
        if descriptor_path is None:
            raise OSError("datapackage.json is not a file inside the evidence folder")
        descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
        resources = [(r["name"], r["path"], r.get("title", "")) for r in descriptor["resources"]]
    except (OSError, ValueError, KeyError, TypeError):
        resources = []
    target = out / "report" / "evidence"
    target.mkdir(parents=True, exist_ok=True)
    tables = []
    for name, rel, title in resources:
        source = inside(evidence_dir, rel) if isinstance(rel, str) else None
        if source is None:
            tables.append({"path": str(rel), "rows": None})
            continue
        data = source.read_bytes()
        atomic_write_bytes(target / Path(rel).name, data)  # whole or not at all (a full disk)
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        tables.append({
            "name": name,
            "title": title,
            "href": f"evidence/{quote(Path(rel).name)}",
            "header": rows[0] if rows else [],
            "rows": rows[1:],
        })
    return tables


def audit_section(evidence_dir: Path) -> AuditSection:
    """The audit of the evidence in ``evidence_dir`` as the report shows it.

    A failing audit does not stop the report: its problem is shown there and returned, and the
    build reports it.
    """
    from thyroid_evidence.evidence import load_evidence
    from thyroid_evidence.study.audit import audit_evidence
    from thyroid_evidence.study.audit_text import format_audit

    try:
        text = format_audit(audit_evidence(load_evidence(evidence_dir)), "csv")
    except Exception as exc:  # noqa: BLE001 - shown in the page and reported by the build
        return AuditSection(problem=f"the audit failed: {type(exc).__name__}: {exc}")
    return AuditSection(rows=tuple(tuple(row) for row in csv.reader(io.StringIO(text))))


def write_report(
    out: Path, matrix: Matrix, manifest: Manifest, audit: AuditSection | None = None
) -> ReportResult:
    """Write ``<out>/report/index.html`` from the manifest; returns its path and any problem.

    ``audit`` is the result of :func:`audit_section` when already computed.
    """
    out = Path(out)
    runs = matrix.runs()
    sections = []
    for spec in matrix.notebooks:
        spec_runs = [
            _run(out, run.run_id, manifest.runs[run.run_id], spec.title)
            if run.run_id in manifest.runs else {"id": run.run_id, "built": False}
            for run in runs if run.notebook == spec.name
        ]
        if spec_runs:
            sections.append({"id": f"nb-{spec.name}", "title": spec.title, "toc": spec.title,
                             "runs": spec_runs})
    declared = {run.run_id for run in runs}
    # runs asked for by name (thyroid-evidence run); a build's run that left the matrix is not
    # shown (the next build removes its files)
    others = [k for k in sorted(manifest.runs)
              if k not in declared and manifest.runs[k].get("origin") == ORIGIN_RUN]
    if others:
        sections.append({"id": "other-runs", "title": "Other runs",
                         "toc": "Other runs (thyroid-evidence run)",
                         "runs": [_run(out, k, manifest.runs[k]) for k in others]})
    audit = audit if audit is not None else audit_section(matrix.evidence_dir)
    index = matrix.index()
    not_reconstructed = [
        {"series_id": series_id, "endpoint": endpoint, "why": UNRECONSTRUCTED_ENDPOINTS[endpoint]}
        for series_id, endpoint in sorted({(s, e) for s, e, _ in index.outcomes})
        if endpoint in UNRECONSTRUCTED_ENDPOINTS
    ]
    page = _environment().get_template(TEMPLATE).render(
        not_reconstructed=not_reconstructed,
        built=len(manifest.runs),
        disclaimer=DISCLAIMER,
        sections=sections,
        evidence=copy_evidence_tables(out, matrix.evidence_dir),
        audit=audit,
        versions=", ".join(f"{k} {v}" for k, v in library_versions().items()),
    )
    path = atomic_write_text(out / "report" / "index.html", page)
    return ReportResult(path, audit.problem)
