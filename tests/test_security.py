"""Nothing outside the evidence package is read or published; evidence text is escaped.

The build's own defences (the report copies only files inside the evidence folder, the manifest
hashes nothing a symlink points to outside it) and the notebooks' escaping helper. The browser
checks of the pages are in ``test_report_browser.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from thyroid_evidence.build.manifest import tree_digest
from thyroid_evidence.build.report import copy_evidence_tables, inside
from thyroid_evidence.notebook import escape_markdown, markdown_list, markdown_text

SECRET = "root:x:0:0:secret line\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the evidence folder that must never be read."""
    path = tmp_path / "elsewhere" / "passwd.csv"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    return path


def _point_at(evidence: Path, outside: Path, how: str) -> str:
    """Make the descriptor's ``series`` resource reach ``outside``; returns its new path."""
    if how == "absolute":
        rel = str(outside)
    elif how == "dotdot":
        rel = os.path.relpath(outside, evidence)
    else:  # a symlink inside the folder pointing out of it
        (evidence / "series.csv").unlink()
        (evidence / "series.csv").symlink_to(outside)
        rel = "series.csv"
    descriptor = json.loads((evidence / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "series":
            resource["path"] = rel
    (evidence / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    return rel


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_the_report_publishes_no_file_from_outside(how: str, evidence_copy: Path,
                                                   outside: Path, tmp_path: Path) -> None:
    rel = _point_at(evidence_copy, outside, how)
    assert inside(evidence_copy, rel) is None
    tables = copy_evidence_tables(tmp_path / "out", evidence_copy)
    assert {"path": rel, "rows": None} in tables
    published = tmp_path / "out" / "report" / "evidence"
    assert sorted(p.name for p in published.iterdir()) == sorted(
        f"{t['name']}.csv" for t in tables if t["rows"] is not None)
    assert all(SECRET not in p.read_text(encoding="utf-8") for p in published.iterdir())
    assert "series" not in {t.get("name") for t in tables}


def test_a_symlinked_descriptor_is_not_read(evidence_copy: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.json"
    real.write_text((evidence_copy / "datapackage.json").read_text(encoding="utf-8"),
                    encoding="utf-8")
    (evidence_copy / "datapackage.json").unlink()
    (evidence_copy / "datapackage.json").symlink_to(real)
    assert inside(evidence_copy, "datapackage.json") is None
    assert copy_evidence_tables(tmp_path / "out", evidence_copy) == []
    assert list((tmp_path / "out" / "report" / "evidence").iterdir()) == []


def test_a_file_inside_the_folder_is_published(evidence_copy: Path) -> None:
    assert inside(evidence_copy, "series.csv") == (evidence_copy / "series.csv").resolve()
    assert inside(evidence_copy, "./sub/../series.csv") == (evidence_copy / "series.csv").resolve()
    assert inside(evidence_copy, ".") is None and inside(evidence_copy, "nosuch.csv") is None


def test_the_manifest_hashes_no_file_outside(evidence_copy: Path, outside: Path) -> None:
    before = tree_digest(evidence_copy)
    (evidence_copy / "extra.csv").symlink_to(outside)
    assert tree_digest(evidence_copy) == before  # the link's target was not read
    outside.write_text("changed\n", encoding="utf-8")
    assert tree_digest(evidence_copy) == before


def test_escape_markdown_leaves_no_markup() -> None:
    hostile = '<script>alert(1)</script> <img src=x onerror="f()"> [a](javascript:f()) *b* `c`'
    assert escape_markdown(hostile) == (
        "&lt;script&gt;alert\\(1\\)&lt;/script&gt; &lt;img src=x onerror=&quot;f\\(\\)&quot;&gt; "
        "\\[a\\]\\(javascript\\:f\\(\\)\\) \\*b\\* \\`c\\`"
    )
    assert escape_markdown("two\nlines") == "two lines"  # a value stays in its sentence
    assert escape_markdown(None) == ""


def test_markdown_text_escapes_every_field_and_keeps_the_template() -> None:
    text = markdown_text("**{title}** — {n} patients, {share:.1f}%; endpoint {endpoint:code}",
                         title="<b>x</b>_y", n=25, share=71.63, endpoint="a`b")
    assert text == "**&lt;b&gt;x&lt;/b&gt;\\_y** — 25 patients, 71\\.6%; endpoint ``a`b``"
    assert markdown_list(["<i>", "b"]) == "- &lt;i&gt;\n- b"
    with pytest.raises(TypeError, match="template must be a str, got int"):
        markdown_text(3)
    with pytest.raises(TypeError, match="items must be an iterable of texts, not a str"):
        markdown_list("abc")


#: What may build the text a notebook passes to Markdown(...) or HTML(...).
_ESCAPING = {"markdown_text", "markdown_list", "escape_markdown", "code_span"}


def _safe(node) -> bool:
    """True when ``node`` can only produce the notebook's own text or escaped values."""
    import ast

    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Call):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in _ESCAPING:
            return True
        if name == "join" and isinstance(func, ast.Attribute) and _safe(func.value):
            (items,) = node.args
            if isinstance(items, ast.GeneratorExp | ast.ListComp):
                return _safe(items.elt)
            return isinstance(items, ast.List | ast.Tuple) and all(map(_safe, items.elts))
        return False
    if isinstance(node, ast.BoolOp):
        return all(map(_safe, node.values))
    if isinstance(node, ast.IfExp):
        return _safe(node.body) and _safe(node.orelse)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) or _safe(v.value) for v in node.values)
    return False


def test_notebooks_show_evidence_text_only_escaped() -> None:
    """Every Markdown(...) or HTML(...) a notebook displays is its own text or goes through
    thyroid_evidence.notebook's escaping helpers (show_markdown, markdown_text, ...)."""
    import ast

    from thyroid_evidence import config

    offenders, calls = [], 0
    for path in sorted(config.notebooks_dir().glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            for node in ast.walk(ast.parse("".join(cell["source"]))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in ("Markdown", "HTML")):
                    calls += 1
                    if not all(map(_safe, node.args)):
                        offenders.append(f"{path.name} cell {index}: {ast.unparse(node)[:80]}")
    assert calls > 0
    assert offenders == []


def test_the_notebook_check_finds_raw_evidence_text() -> None:
    import ast

    raw = ast.parse('Markdown(f"**{series[\'title\']}**")').body[0].value
    escaped = ast.parse('Markdown(f"**{escape_markdown(title)}**")').body[0].value
    joined = ast.parse('Markdown("\\n".join(f"- {a}" for a in items))').body[0].value
    assert [_safe(raw.args[0]), _safe(escaped.args[0]), _safe(joined.args[0])] == [
        False, True, False]


def test_the_run_matrix_reads_no_table_from_outside(evidence_copy: Path, outside: Path) -> None:
    from thyroid_evidence.notebook import EvidenceIndex

    plain = EvidenceIndex.from_dir(evidence_copy)
    (evidence_copy / "tables").mkdir()  # the descriptor's paths are the ones read
    (evidence_copy / "series.csv").rename(evidence_copy / "tables" / "series.csv")
    (evidence_copy / "series.csv").symlink_to(outside)  # a decoy under the default name
    descriptor = json.loads((evidence_copy / "datapackage.json").read_text(encoding="utf-8"))
    for resource in descriptor["resources"]:
        if resource["name"] == "series":
            resource["path"] = "tables/series.csv"
    (evidence_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    assert EvidenceIndex.from_dir(evidence_copy) == plain
    for how in ("absolute", "dotdot"):
        rel = _point_at(evidence_copy, outside, how)
        with pytest.raises(ValueError) as info:
            EvidenceIndex.from_dir(evidence_copy)
        assert str(info.value) == f"evidence table {rel} is not a file inside {evidence_copy}"
