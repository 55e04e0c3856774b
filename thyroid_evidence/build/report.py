"""The HTML report: ``<out>/report/index.html``, one static page that opens from disk.

It indexes every run (title, parameters, thumbnails with captions, links to each figure file,
each table and the executed notebook as HTML and ``.ipynb``), shows the evidence tables (copied
next to the page as CSV) and the consistency audit. Every piece of text is HTML-escaped; links
are relative, so the folder can be moved or zipped as a whole.
"""

from __future__ import annotations

import csv
import html
import io
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from thyroid_evidence import DISCLAIMER
from thyroid_evidence.build.manifest import Manifest, library_versions
from thyroid_evidence.build.matrix import Matrix
from thyroid_evidence.build.outputs import atomic_write_text

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;
padding:0 1.5rem 4rem;color:#1d1d1f;line-height:1.45}
header{border-bottom:2px solid #334;margin-bottom:1rem}
.disclaimer{background:#fff4e5;border-left:4px solid #e69500;padding:.5rem .8rem}
nav ul{columns:3;font-size:.9rem}
article.run{border:1px solid #ccd;border-radius:6px;padding:.6rem 1rem;margin:1rem 0}
table{border-collapse:collapse;font-size:.82rem;margin:.4rem 0}
td,th{border:1px solid #ccd;padding:.15rem .4rem;vertical-align:top;text-align:left}
th{background:#eef}
.params td:first-child{font-family:monospace}
.run-body{display:flex;flex-wrap:wrap;gap:1.2rem;align-items:flex-start}
.meta{flex:0 0 300px}
.tables{flex:1 1 100%}
h3 small{font-weight:normal;color:#556}
.figures{display:flex;flex-wrap:wrap;gap:1rem;flex:1 1 600px}
figure{margin:0;max-width:420px}
figure img{max-width:420px;max-height:320px;border:1px solid #ddd;background:#fff}
figcaption{font-size:.85rem}
.links a{margin-right:.6rem}
.missing{color:#a00}
.scroll{overflow-x:auto;max-height:32rem;overflow-y:auto}
pre{white-space:pre-wrap;font-size:.8rem;background:#f6f6f8;padding:.5rem}
"""


@dataclass(frozen=True)
class ReportResult:
    """The page written and the problem that kept a part of it from being made, if any."""

    path: Path
    problem: str | None = None


def esc(value: object) -> str:
    """HTML-escape any value (quotes too)."""
    return html.escape("" if value is None else str(value), quote=True)


def href(*parts: str) -> str:
    """A relative URL from ``report/`` to ``parts`` below the output folder."""
    return "../" + "/".join(quote(p) for p in "/".join(parts).split("/"))


def _table(header: Sequence[str], rows: Iterable[Sequence[object]], cls: str = "") -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    attr = f' class="{cls}"' if cls else ""
    return f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _run_section(out: Path, run_id: str, entry: Mapping, section_title: str = "") -> str:
    title = str(entry.get("title") or run_id)
    if section_title and title.startswith(section_title + " — "):
        title = title[len(section_title) + 3:]  # the section heading already says it
    parts = [f'<article class="run" id="{esc(run_id)}">',
             f"<h3>{esc(title)} <small><code>{esc(run_id)}</code></small></h3>",
             '<div class="run-body"><div class="meta">']
    params = entry.get("parameters", {})
    parts.append(
        _table(("parameter", "value"),
               ((k, json.dumps(v, ensure_ascii=False)) for k, v in sorted(params.items())),
               "params")
    )
    parts.append(_notebook_links(out, run_id))
    parts.append("</div>")
    figures = entry.get("figures", [])
    if figures:
        parts.append('<div class="figures">')
        for fig in figures:
            files = fig.get("files", [])
            image = next((f for f in files if f.endswith(".png")), None) or next(
                (f for f in files if f.endswith(".svg")), None)
            caption = fig.get("caption") or fig.get("stem")
            links = " ".join(
                f'<a href="{esc(href(f))}">{esc(Path(f).suffix[1:].upper())}</a>' for f in files
            )
            img = (
                f'<a href="{esc(href(image))}"><img src="{esc(href(image))}" alt="{esc(caption)}">'
                "</a>"
                if image else ""
            )
            parts.append(
                f"<figure>{img}<figcaption>{esc(caption)}<br>"
                f'<span class="links">{links}</span></figcaption></figure>'
            )
        parts.append("</div>")
    tables = entry.get("tables", [])
    if tables:
        items = "".join(
            f'<li><a href="{esc(href(f))}">{esc(Path(f).name)}</a> — {esc(t.get("caption"))}</li>'
            for t in tables for f in t.get("files", [])
        )
        parts.append(f'<div class="tables"><p>Tables (CSV):</p><ul>{items}</ul></div>')
    parts.append("</div></article>")
    return "\n".join(parts)


def _notebook_links(out: Path, run_id: str) -> str:
    nb_html = f"notebooks/{run_id}.html"
    nb_ipynb = f"notebooks/{run_id}.ipynb"
    links = []
    if (out / nb_html).is_file():
        links.append(f'<a href="{esc(href(nb_html))}">executed notebook (HTML)</a>')
    if (out / nb_ipynb).is_file():
        links.append(f'<a href="{esc(href(nb_ipynb))}">executed notebook (.ipynb)</a>')
    return f'<p class="links">{" ".join(links)}</p>'


def _evidence_section(out: Path, evidence_dir: Path) -> str:
    try:
        descriptor = json.loads((evidence_dir / "datapackage.json").read_text(encoding="utf-8"))
        resources = [(r["name"], r["path"], r.get("title", "")) for r in descriptor["resources"]]
    except (OSError, ValueError, KeyError):
        resources = [(p.stem, p.name, "") for p in sorted(evidence_dir.glob("*.csv"))]
    target = out / "report" / "evidence"
    target.mkdir(parents=True, exist_ok=True)
    parts = ['<section id="evidence"><h2>Evidence tables</h2>',
             "<p>As curated from the review, values as reported. Each table is also linked as "
             "CSV.</p>"]
    for name, rel, title in resources:
        source = evidence_dir / rel
        if not source.is_file():
            parts.append(f'<p class="missing">{esc(rel)} is missing.</p>')
            continue
        shutil.copyfile(source, target / Path(rel).name)
        with source.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header, body = (rows[0], rows[1:]) if rows else ([], [])
        parts.append(
            f'<h3 id="evidence-{esc(name)}">{esc(name)} <small>({len(body)} rows) — '
            f'<a href="evidence/{esc(quote(Path(rel).name))}">CSV</a></small></h3>'
            f"<p>{esc(title)}</p><div class=\"scroll\">{_table(header, body)}</div>"
        )
    parts.append("</section>")
    return "\n".join(parts)


def audit_section(evidence_dir: Path) -> tuple[str, str | None]:
    """HTML of the audit section and the problem that kept the audit from running, if any."""
    head = '<section id="audit"><h2>Consistency audit</h2>'
    try:
        from thyroid_evidence.audit import audit_evidence, format_audit
    except ImportError as exc:
        return (
            f"{head}<p class=\"missing\">The audit is not part of this build: "
            f"<code>thyroid_evidence.audit</code> could not be imported ({esc(exc)}).</p>"
            "</section>",
            None,
        )
    try:
        from thyroid_evidence.evidence import load_evidence

        result = audit_evidence(load_evidence(evidence_dir))
        try:
            text = format_audit(result, "csv")
        except (TypeError, ValueError):
            return f"{head}<pre>{esc(format_audit(result))}</pre></section>", None
    except Exception as exc:  # the report is still written; the build reports the problem
        problem = f"the audit failed: {type(exc).__name__}: {exc}"
        return f'{head}<p class="missing">{esc(problem)}</p></section>', problem
    rows = list(csv.reader(io.StringIO(text)))
    body = _table(rows[0], rows[1:]) if rows else "<p>No findings.</p>"
    count = max(len(rows) - 1, 0)
    return f'{head}<p>{count} finding(s).</p><div class="scroll">{body}</div></section>', None


def write_report(
    out: Path, matrix: Matrix, manifest: Manifest, audit: tuple[str, str | None] | None = None
) -> ReportResult:
    """Write ``<out>/report/index.html`` from the manifest; returns its path and any problem.

    ``audit`` is the result of :func:`audit_section` when already computed.
    """
    out = Path(out)
    runs = matrix.runs()
    order = [r.run_id for r in runs]
    sections = []
    toc = []
    for spec in matrix.notebooks:
        spec_runs = [r for r in runs if r.notebook == spec.name]
        if not spec_runs:
            continue
        toc.append(f'<li><a href="#nb-{esc(spec.name)}">{esc(spec.title)}</a></li>')
        sections.append(f'<section id="nb-{esc(spec.name)}"><h2>{esc(spec.title)}</h2>')
        for run in spec_runs:
            entry = manifest.runs.get(run.run_id)
            if entry is None:
                sections.append(
                    f'<p class="missing" id="{esc(run.run_id)}">{esc(run.run_id)}: not built '
                    "(failed or not yet run).</p>"
                )
            else:
                sections.append(_run_section(out, run.run_id, entry, spec.title))
        sections.append("</section>")
    others = [k for k in sorted(manifest.runs) if k not in order]
    if others:
        toc.append('<li><a href="#other-runs">Other runs (thyroid-evidence run)</a></li>')
        sections.append('<section id="other-runs"><h2>Other runs</h2>')
        sections += [_run_section(out, k, manifest.runs[k]) for k in others]
        sections.append("</section>")
    evidence = _evidence_section(out, matrix.evidence_dir)
    audit, problem = audit if audit is not None else audit_section(matrix.evidence_dir)
    toc += ['<li><a href="#evidence">Evidence tables</a></li>',
            '<li><a href="#audit">Consistency audit</a></li>']
    versions = ", ".join(f"{k} {v}" for k, v in library_versions().items())
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>thyroid-evidence — report</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>thyroid-evidence: figures, tables and audit</h1>
<p>Evidence kit for the review <em>Current role of interventional radiology in the management
of visceral and bone metastases from thyroid cancer</em>. {len(manifest.runs)} run(s) built.</p>
<p class="disclaimer">{esc(DISCLAIMER)}</p>
</header>
<nav><ul>
{chr(10).join(toc)}
</ul></nav>
<main>
{chr(10).join(sections)}
{evidence}
{audit}
</main>
<footer><p><small>Built with {esc(versions)}.</small></p></footer>
</body>
</html>
"""
    path = atomic_write_text(out / "report" / "index.html", page)
    return ReportResult(path, problem)
