"""The quote check (study/quotes.py, ``validate --quotes``) on made-up texts of the sources.

The texts are written by the tests from the evidence's own quotes, re-typeset the way a PDF's
text layer prints them (line breaks, a word hyphenated across a line, typographic apostrophes,
ligatures), so that nothing here needs the review's text; the check against the real review
is ``tests/test_evidence.py::test_every_quote_occurs_in_the_review_text``.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import find_line
from thyroid_evidence import EvidenceError, load_evidence
from thyroid_evidence.cli import main
from thyroid_evidence.config import SOURCE_ENV
from thyroid_evidence.study.quotes import check_quotes, normalise_for_quotes

# --- the normalisation, one rule per test -------------------------------------------------


@pytest.mark.parametrize(
    ("printed", "quoted"),
    [
        ("overall  survival\nat 3 years", "overall survival at 3 years"),  # whitespace runs
        ("radio-\nfrequency ablation", "radiofrequency ablation"),  # hyphen at a line break
        ("radio-\nfrequency ablation", "radio-frequency ablation"),
        ("radio- frequency", "radiofrequency"),  # a quote copied with the line break collapsed
        ("e\u0301", "\u00e9"),  # decomposed and composed accent (NFC)
        ("\ufb01rst \ufb02uid e\ufb00ect", "first fluid effect"),  # ligatures
        ("patients\u2019 risk \u201cstable\u201d", "patients' risk \"stable\""),  # quotes
        ("12\u201324 months", "12-24 months"),  # en dash
        ("\u22122.5", "-2.5"),  # minus sign
        ("treat\u00adment", "treatment"),  # soft hyphen
        ("1\u00a0037 lesions", "1 037 lesions"),  # non-breaking space
    ],
)
def test_what_is_printed_and_what_is_quoted_compare_equal(printed, quoted):
    assert normalise_for_quotes(printed) == normalise_for_quotes(quoted)


@pytest.mark.parametrize(
    ("printed", "quoted"),
    [
        ("12\u201324 months", "1224 months"),  # a dash between digits stays
        ("10\u2076 cells", "106 cells"),  # superscripts are not digits (no NFKC)
        ("Overall survival", "overall survival"),  # case stays
        ("52%", "52 %"),  # spaces are not invented
        ("(n = 12)", "(n = 13)"),
    ],
)
def test_digits_case_and_punctuation_stay_as_printed(printed, quoted):
    assert normalise_for_quotes(printed) != normalise_for_quotes(quoted)


def test_normalised_form_is_stated():
    assert normalise_for_quotes("  Post-\n  ablation\u2014\u201cfirst\u201d  ") == (
        'Postablation-"first"'
    )


def test_a_non_text_is_a_type_error():
    with pytest.raises(TypeError, match="text must be a str; got float"):
        normalise_for_quotes(float("nan"))


# --- made-up source texts -------------------------------------------------------------------


def _rows(root: Path, table: str) -> list[dict[str, str]]:
    with (root / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _quoted_tables(root: Path) -> list[str]:
    return [t for t in ("outcomes", "clinical_features", "risk_stratification", "context")
            if "quote" in _rows(root, t)[0]]


def _quotes_of(root: Path, wanted: set[str]) -> list[str]:
    """The quotes of every row whose source is in ``wanted`` ('review' for a table without
    source_id)."""
    quotes = []
    for table in _quoted_tables(root):
        for row in _rows(root, table):
            if row.get("source_id", "review") in wanted:
                quotes.append(row["quote"])
    return quotes


def _typeset(quotes: list[str]) -> str:
    """The quotes as a PDF's text layer would print them: wrapped at 38 columns, the first
    long word hyphenated across a line break, apostrophes typographic, 'fi' as a ligature."""
    text = "\n\n".join(textwrap.fill(q, width=38) for q in quotes)
    text = re.sub(r"\b([A-Za-z]{4})([a-z]{4,})\b", r"\1-\n\2", text, count=1)
    return text.replace("'", "\u2019").replace("fi", "\ufb01")


def _own_texts(root: Path) -> set[str]:
    """Sources with a text of their own in the package (sources/<source_id>.txt)."""
    return {p.stem for p in (root / "sources").glob("*.txt")}


def _review_sources(root: Path) -> set[str]:
    """'review' and the sources the review prints a table of (role table_source) that have
    no text of their own."""
    return {"review"} | {r["source_id"] for r in _rows(root, "sources")
                         if r["role"] == "table_source"} - _own_texts(root)


def _checked_with_review(root: Path) -> int:
    """Quotes checked when the review's text is given: the review's, its tables' and those of
    every source with its own text."""
    return len(_quotes_of(root, _review_sources(root) | _own_texts(root)))


def _write_review(root: Path, folder: Path) -> Path:
    path = folder / "review.txt"
    path.write_text(_typeset(_quotes_of(root, _review_sources(root))), encoding="utf-8")
    return path


@pytest.fixture
def typeset_review(tmp_path, evidence_copy) -> Path:
    """The re-typeset review of a copy a test may edit."""
    return _write_review(evidence_copy, tmp_path)


@pytest.fixture(scope="module")
def snapshot(evidence_snapshot):
    """The module's read-only copy, loaded once (loading takes about half a second)."""
    return load_evidence(evidence_snapshot)


@pytest.fixture(scope="module")
def snapshot_review(evidence_snapshot, tmp_path_factory) -> Path:
    return _write_review(evidence_snapshot, tmp_path_factory.mktemp("review"))


def _with_sources_folder(evidence, folder: Path):
    """``evidence`` read from ``folder`` (where a test writes sources/): the tables stay."""
    return dataclasses.replace(evidence, root=folder)


def _other_sources(root: Path) -> list[str]:
    """Sources other than the review that quotes name and that have no text, in order of
    first appearance."""
    review = _review_sources(root) | _own_texts(root)
    seen: dict[str, None] = {}
    for table in _quoted_tables(root):
        for row in _rows(root, table):
            source = row.get("source_id", "review")
            if source not in review:
                seen.setdefault(source)
    return list(seen)


def test_every_quote_is_found_in_a_re_typeset_text(snapshot, snapshot_review,
                                                    evidence_snapshot):
    result = check_quotes(snapshot, snapshot_review)
    assert result.not_found == ()
    assert result.checked == _checked_with_review(evidence_snapshot)
    assert result.texts[0] == str(snapshot_review)
    assert set(result.texts[1:]) == {f"sources/{s}.txt" for s in _own_texts(evidence_snapshot)}


def test_a_quote_not_in_the_text_is_named_by_file_and_row(evidence_copy, typeset_review,
                                                           edit_cell):
    review_rows = [r for r in _rows(evidence_copy, "outcomes") if r["source_id"] == "review"]
    target = review_rows[len(review_rows) // 2]["outcome_id"]
    line = find_line(evidence_copy, "outcomes", "outcome_id", target)
    edit_cell(evidence_copy, "outcomes", line, "quote", "a sentence no source prints")
    [problem] = check_quotes(load_evidence(evidence_copy), typeset_review).not_found
    assert str(problem) == (
        f"outcomes.csv:{line}: quote: a sentence no source prints — not found in the "
        "review's text (review.txt)"
    )


def test_quotes_without_a_text_are_counted_not_failed(snapshot, snapshot_review,
                                                      evidence_snapshot):
    result = check_quotes(snapshot, snapshot_review)
    others = _other_sources(evidence_snapshot)
    assert others, "the copy should quote at least one source besides the review"
    expected = tuple((s, len(_quotes_of(evidence_snapshot, {s}))) for s in others)
    assert result.not_checked == expected
    assert result.ok
    assert result.summary() == (
        f"quotes: {result.checked} checked, 0 not found, {sum(c for _, c in expected)} not "
        "checked (no text for " + ", ".join(f"{s}: {c}" for s, c in expected) + ")"
    )


def test_without_the_review_text_its_quotes_are_not_checked(snapshot, evidence_snapshot):
    result = check_quotes(snapshot, None)
    assert result.checked == len(_quotes_of(evidence_snapshot, _own_texts(evidence_snapshot)))
    assert result.not_found == ()
    counts = dict(result.not_checked)
    assert counts["review"] == len(_quotes_of(evidence_snapshot, {"review"}))


def test_a_source_text_in_the_package_checks_that_source(evidence_copy, typeset_review,
                                                        edit_cell):
    source = _other_sources(evidence_copy)[0]
    (evidence_copy / "sources").mkdir(exist_ok=True)
    (evidence_copy / "sources" / f"{source}.txt").write_text(
        _typeset(_quotes_of(evidence_copy, {source})), encoding="utf-8")
    result = check_quotes(load_evidence(evidence_copy), typeset_review)
    assert source not in dict(result.not_checked)
    assert result.not_found == ()
    assert f"sources/{source}.txt" in result.texts

    row = next(r for r in _rows(evidence_copy, "outcomes") if r["source_id"] == source)
    line = find_line(evidence_copy, "outcomes", "outcome_id", row["outcome_id"])
    edit_cell(evidence_copy, "outcomes", line, "quote", row["quote"] + " and 99%")
    [problem] = check_quotes(load_evidence(evidence_copy), typeset_review).not_found
    assert str(problem).startswith(f"outcomes.csv:{line}: quote: ")
    assert str(problem).endswith(f"— not found in sources/{source}.txt")


def test_a_table_source_without_text_is_read_through_the_review(snapshot, evidence_snapshot,
                                                                tmp_path):
    table_sources = _review_sources(evidence_snapshot) - {"review"}
    if not table_sources:
        pytest.fail("the evidence has no table_source: give this test a made-up one")
    only_review = tmp_path / "only_review.txt"
    only_review.write_text(_typeset(_quotes_of(evidence_snapshot, {"review"})),
                           encoding="utf-8")
    result = check_quotes(snapshot, only_review)
    wanted = {normalise_for_quotes(q) for q in _quotes_of(evidence_snapshot, table_sources)}
    text = normalise_for_quotes(only_review.read_text(encoding="utf-8"))
    missing = sum(1 for q in wanted if q not in text)
    assert missing > 0, "some table quote must be missing from a text without the table"
    assert {p.rule for p in result.not_found} == {
        f"not found in the review's text (only_review.txt), which prints {s}'s table"
        for s in table_sources}


def test_a_symlinked_source_text_is_refused(snapshot, snapshot_review, evidence_snapshot,
                                            tmp_path):
    source = _other_sources(evidence_snapshot)[0]
    outside = tmp_path / "outside.txt"
    outside.write_text("anything", encoding="utf-8")
    (tmp_path / "package" / "sources").mkdir(parents=True)
    os.symlink(outside, tmp_path / "package" / "sources" / f"{source}.txt")
    with pytest.raises(EvidenceError) as info:
        check_quotes(_with_sources_folder(snapshot, tmp_path / "package"), snapshot_review)
    assert [str(p) for p in info.value.problems] == [
        f"sources/{source}.txt: a source's text must be a file inside the evidence package "
        "(symlinks are refused)"]


def test_a_source_text_that_is_not_utf8_is_named(snapshot, snapshot_review, evidence_snapshot,
                                                 tmp_path):
    source = _other_sources(evidence_snapshot)[0]
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / f"{source}.txt").write_bytes(b"ok \xff")
    with pytest.raises(EvidenceError) as info:
        check_quotes(_with_sources_folder(snapshot, tmp_path), snapshot_review)
    assert [str(p) for p in info.value.problems] == [
        f"sources/{source}.txt: must be UTF-8 text (byte 3 is not)"]


def test_a_source_id_that_is_not_a_slug_is_never_a_path(snapshot, snapshot_review, tmp_path):
    evidence = _with_sources_folder(snapshot, tmp_path / "package")
    sources = evidence.sources.copy()
    line = sources.index[-1]
    sources.loc[line, "source_id"] = "../../outside"
    (tmp_path / "package" / "sources").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("anything", encoding="utf-8")
    with pytest.raises(EvidenceError) as info:
        check_quotes(dataclasses.replace(evidence, sources=sources), snapshot_review)
    [problem] = info.value.problems
    assert str(problem).startswith(f"sources.csv:{line}: source_id: ../../outside — its text "
                                   "is looked up only for a lower-case slug")


def test_check_quotes_wants_evidence():
    with pytest.raises(TypeError, match="evidence must be an Evidence"):
        check_quotes(pd.DataFrame(), None)


# --- the command ----------------------------------------------------------------------------


def test_validate_quotes_exits_0_and_prints_the_counts(evidence_snapshot, snapshot_review,
                                                       monkeypatch, capsys):
    monkeypatch.setenv(SOURCE_ENV, str(snapshot_review))
    assert main(["validate", "--quotes", str(evidence_snapshot)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("evidence OK: ")
    checked = _checked_with_review(evidence_snapshot)
    assert out[1].startswith(f"quotes: {checked} checked, 0 not found, ")


def test_validate_quotes_exits_1_naming_each_missing_quote(evidence_copy, typeset_review,
                                                          monkeypatch, capsys, edit_cell):
    monkeypatch.setenv(SOURCE_ENV, str(typeset_review))
    lines = [find_line(evidence_copy, "risk_stratification", "criterion_id", r["criterion_id"])
             for r in _rows(evidence_copy, "risk_stratification")[:2]]
    for line in lines:
        edit_cell(evidence_copy, "risk_stratification", line, "quote", "not in Table 2")
    assert main(["validate", "--quotes", str(evidence_copy)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[1:3] == [f"risk_stratification.csv:{line}: quote: not in Table 2 — not found "
                        "in the review's text (review.txt)" for line in lines]
    assert ", 2 not found, " in out[3]


def test_validate_without_quotes_reads_no_source_text(evidence_snapshot, monkeypatch, capsys,
                                                      tmp_path):
    monkeypatch.setenv(SOURCE_ENV, str(tmp_path / "missing.txt"))
    assert main(["validate", str(evidence_snapshot)]) == 0
    assert "quotes:" not in capsys.readouterr().out
