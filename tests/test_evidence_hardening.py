"""Evidence that is hostile or odd: paths out of the package, numbers that are none, blank text,
a byte-order mark, an empty key, a huge field, counts beyond exact floats.

Each case is one edit of a fresh copy of evidence/; each test asserts the exact message (or, for
the byte-order mark, that the tables read as without it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from thyroid_evidence import config
from thyroid_evidence.evidence import MAX_EXACT_COUNT, load_evidence, package_path_problems
from thyroid_evidence.exceptions import EvidenceError
from thyroid_evidence.notebook import EvidenceIndex

PROJ_ROOT = config.project_root()


def problems(root: Path) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load_evidence(root)
    return [str(p) for p in info.value.problems]


# --- paths: nothing outside the package is read -----------------------------------------------


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe outside the package: opening it to read would block, so a validation that
    returns at all has not read it."""
    path = tmp_path / "outside" / "table.csv"
    path.parent.mkdir()
    os.mkfifo(path)
    return path


def _set_path(evidence: Path, resource: str, path: str) -> None:
    descriptor = json.loads((evidence / "datapackage.json").read_text(encoding="utf-8"))
    for entry in descriptor["resources"]:
        if entry["name"] == resource:
            entry["path"] = path
    (evidence / "datapackage.json").write_text(json.dumps(descriptor, indent=1),
                                               encoding="utf-8")


def _validate(*args: str) -> subprocess.CompletedProcess:
    # in a subprocess with a time limit: reading the pipe would hang it
    return subprocess.run([sys.executable, "-m", "thyroid_evidence", *args], cwd=PROJ_ROOT,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
def test_a_table_outside_the_package_is_refused_unread(how: str, evidence_copy: Path,
                                                       fifo: Path, tmp_path: Path) -> None:
    if how == "absolute":
        rel, why = str(fifo), "an absolute path"
    elif how == "dotdot":
        rel, why = os.path.relpath(fifo, evidence_copy), "a path out of the folder"
    else:
        (evidence_copy / "context.csv").unlink()
        (evidence_copy / "context.csv").symlink_to(fifo)
        rel, why = "context.csv", f"a link to {fifo}"
    _set_path(evidence_copy, "context", rel)
    expected = (f"datapackage.json: resource 'context' path: {rel} — must name a file inside "
                f"the evidence folder; this is {why} (nothing outside the package is read)")
    assert [str(p) for p in package_path_problems(evidence_copy)] == [expected]
    done = _validate("validate", str(evidence_copy))
    assert done.returncode == 1
    assert done.stderr == f"error: 1 problem(s) found in {evidence_copy}:\n  {expected}\n"
    out = tmp_path / "out"
    built = _validate("build", "--evidence", str(evidence_copy), "--out", str(out))
    assert built.returncode == 1
    assert built.stderr == done.stderr + "no run was started.\n"
    assert not (out / "report").exists()


def test_a_descriptor_linked_from_outside_is_refused(evidence_copy: Path, tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "datapackage.json"
    real.parent.mkdir()
    real.write_bytes((evidence_copy / "datapackage.json").read_bytes())
    (evidence_copy / "datapackage.json").unlink()
    (evidence_copy / "datapackage.json").symlink_to(real)
    expected = ("datapackage.json: must be a file inside the evidence folder; it links to "
                f"{real}")
    assert problems(evidence_copy) == [expected]
    assert [str(p) for p in package_path_problems(evidence_copy)] == [expected]


def test_a_link_that_stays_inside_is_fine(evidence_copy: Path) -> None:
    (evidence_copy / "tables").mkdir()
    (evidence_copy / "context.csv").rename(evidence_copy / "tables" / "context.csv")
    (evidence_copy / "context.csv").symlink_to(evidence_copy / "tables" / "context.csv")
    assert package_path_problems(evidence_copy) == []
    assert len(load_evidence(evidence_copy).context) > 0


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "NaN", "Infinity"])
def test_a_number_that_is_none_is_refused(text: str, evidence_copy: Path, edit_cell) -> None:
    edit_cell(evidence_copy, "outcomes", 2, "value", text)
    edit_cell(evidence_copy, "outcomes", 3, "time_months", text)
    assert problems(evidence_copy) == [
        f"outcomes.csv:2: value: {text} — must be a finite number",
        f"outcomes.csv:3: time_months: {text} — must be a finite number",
    ]


def test_a_count_beyond_exact_floats_is_refused(evidence_copy: Path, edit_cell) -> None:
    edit_cell(evidence_copy, "series", 2, "n_patients", str(MAX_EXACT_COUNT + 1))
    edit_cell(evidence_copy, "outcomes", 2, "denominator", str(2**63))
    rule = (f"must lie within ±{MAX_EXACT_COUNT} (2**53: a larger count is not held exactly by "
            "the floats it is computed with)")
    assert problems(evidence_copy) == [
        f"outcomes.csv:2: denominator: {2**63} — {rule}",
        f"series.csv:2: n_patients: {MAX_EXACT_COUNT + 1} — {rule}",
    ]
    edit_cell(evidence_copy, "series", 2, "n_patients", str(MAX_EXACT_COUNT))
    assert problems(evidence_copy) == [f"outcomes.csv:2: denominator: {2**63} — {rule}"]


# --- text, keys, encoding, CSV ----------------------------------------------------------------


def test_required_text_of_blanks_is_refused(evidence_copy: Path, edit_cell) -> None:
    edit_cell(evidence_copy, "series", 2, "title", "   ")
    edit_cell(evidence_copy, "outcomes", 2, "quote", "\t")
    assert problems(evidence_copy) == [
        "outcomes.csv:2: quote: '\\t' — a value is required (the cell holds only blanks)",
        "series.csv:2: title: '   ' — a value is required (the cell holds only blanks)",
    ]


def test_an_empty_key_is_reported_once(evidence_copy: Path, edit_cell) -> None:
    edit_cell(evidence_copy, "outcomes", 2, "outcome_id", "")
    assert problems(evidence_copy) == ["outcomes.csv:2: outcome_id: (empty) — a value is required"]


def test_a_byte_order_mark_is_accepted(evidence_copy: Path) -> None:
    plain = load_evidence(evidence_copy)
    for name in ("series", "outcomes"):
        path = evidence_copy / f"{name}.csv"
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    marked = load_evidence(evidence_copy)
    assert list(marked.series.columns) == list(plain.series.columns)
    assert marked.series.equals(plain.series) and marked.outcomes.equals(plain.outcomes)
    index = EvidenceIndex.from_dir(evidence_copy)  # the run matrix reads it too
    assert index.series == plain.series_ids


def test_an_oversized_field_is_named_with_its_row(evidence_copy: Path, edit_cell) -> None:
    edit_cell(evidence_copy, "outcomes", 3, "note", "x" * 200_000)
    assert problems(evidence_copy) == [
        "outcomes.csv:3: a field is longer than 131072 characters"
    ]
