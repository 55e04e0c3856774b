"""Loader and validation: one test per rule, each corrupting a temporary copy of evidence/."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import find_line
from thyroid_evidence import EvidenceError, load_evidence
from thyroid_evidence.config import CACHE_ENV, evidence_dir, review_text_path
from thyroid_evidence.evidence import TABLES
from thyroid_evidence.study.quotes import check_quotes

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy


def problems_of(root: Path) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load_evidence(root)
    return [str(p) for p in info.value.problems]


# --- the real package -------------------------------------------------------------------


def test_real_evidence_loads_with_typed_columns():
    evidence = load_evidence()
    # whatever series the package holds, in file order (read here with the csv module)
    with (evidence_dir() / "series.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert evidence.series_ids == tuple(row["series_id"] for row in rows)
    assert str(evidence.outcomes["numerator"].dtype) == "Int64"
    assert evidence.outcomes["value"].dtype == "float64"
    assert str(evidence.series["n_lesions"].dtype) == "Int64"
    lesions = evidence.series.set_index("series_id")["n_lesions"]
    for row in rows:
        if row["n_lesions"]:
            assert lesions[row["series_id"]] == int(row["n_lesions"]), row["series_id"]
        else:
            assert pd.isna(lesions[row["series_id"]]), row["series_id"]


def test_outcomes_for_filters_and_sorts_by_time():
    evidence = load_evidence()
    out = evidence.outcomes
    for (series_id, endpoint), expected in out.groupby(["series_id", "endpoint"], sort=False):
        rows = evidence.outcomes_for(series_id, endpoint)
        assert sorted(rows["outcome_id"]) == sorted(expected["outcome_id"])
        times = list(rows["time_months"])
        untimed = sum(pd.isna(t) for t in times)
        assert all(pd.isna(t) for t in times[:untimed])  # rows without a time come first
        assert times[untimed:] == sorted(times[untimed:])


def test_outcomes_for_rejects_unknown_names_listing_allowed_values():
    evidence = load_evidence()
    with pytest.raises(ValueError, match=r"series_id='nope'.*allowed: lung_rfa_debaere"):
        evidence.outcomes_for("nope")
    with pytest.raises(ValueError, match=r"endpoint='os'.*allowed: overall_survival"):
        evidence.outcomes_for("bone_ir_cazzato", "os")


def test_every_table_has_rows_and_values_keep_reported_precision():
    evidence = load_evidence()
    for name in TABLES:
        assert len(getattr(evidence, name)) > 0, name
    row = evidence.outcomes.set_index("outcome_id").loc["lung_ltp_48m"]
    assert (row["value"], row["decimals"], row["unit"]) == (11.0, 1, "percent")
    follow_up = evidence.outcomes.set_index("outcome_id").loc["bone_followup_median"]
    assert (follow_up["value"], follow_up["unit"]) == (4.6, "years")


def test_every_quote_occurs_in_the_review_text():
    # the quote check of `validate --quotes` against the real review: every quote of the
    # review (and of the tables it adapts) found; a source with a text of its own in
    # evidence/sources/ is checked too (made-up texts: tests/test_quotes.py)
    path = review_text_path()
    if path is None:
        pytest.skip("review text not found: set THYROID_EVIDENCE_SOURCE or provide "
                    "../shared/source/review.txt")
    result = check_quotes(load_evidence(), path)
    assert [str(p) for p in result.not_found] == []
    assert "review" not in dict(result.not_checked)
    assert result.checked > 0


def test_numbers_from_a_cited_paper_name_their_source_and_where_to_read_them():
    # a number not quoted from the review can be checked: quoted from a paper's abstract, its
    # source gives the address of the page; otherwise the source's text is in the package
    # (sources/<source_id>.txt, what validate --quotes reads)
    evidence = load_evidence()
    sources = evidence.sources.set_index("source_id")
    primary = evidence.outcomes[evidence.outcomes["source_id"] != "review"]
    for _, row in primary.iterrows():
        has_text = (evidence.root / "sources" / f"{row['source_id']}.txt").is_file()
        if row["location"] == "abstract":
            assert sources.loc[row["source_id"], "address"], row["source_id"]
        else:
            assert has_text, f"{row['outcome_id']}: no address and no text of its source"
    assert set(evidence.outcomes["series_id"]) == set(evidence.series_ids)


def test_loading_never_writes_into_evidence():
    root = evidence_dir()

    def files() -> dict[str, str]:  # every file, sources/ and curves/ included
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(root.rglob("*")) if p.is_file()}

    before = files()
    load_evidence()
    assert files() == before


# --- schema rules (from datapackage.json, checked by Frictionless) ----------------------


def test_type_error_is_reported_with_file_row_column(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "outcomes", 2, "value", "abc")
    assert "outcomes.csv:2: value: abc — not a valid number" in problems_of(evidence_copy)


def test_required_field(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "outcomes", 5, "quote", "")
    assert "outcomes.csv:5: quote: (empty) — a value is required" in problems_of(evidence_copy)


def test_enum(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "outcomes", 3, "endpoint", "survival_rate")
    [problem] = problems_of(evidence_copy)
    assert problem.startswith("outcomes.csv:3: endpoint: survival_rate — not an allowed value;")
    assert "overall_survival" in problem


def test_minimum(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "series", 2, "n_patients", "0")
    assert "series.csv:2: n_patients: 0 — must be at least 1" in problems_of(evidence_copy)


def test_pattern(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "sources", 3, "doi", "not-a-doi")
    [problem] = problems_of(evidence_copy)
    assert problem.startswith("sources.csv:3: doi: not-a-doi — must match the pattern")


def test_primary_key_unique(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "outcomes", 3, "outcome_id", "lung_primary_colorectal")
    assert ("outcomes.csv:3: outcome_id: lung_primary_colorectal — duplicate primary key"
            in problems_of(evidence_copy))


def test_foreign_key(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "outcomes", 4, "series_id", "lung_rfa_unknown")
    assert ("outcomes.csv:4: series_id: lung_rfa_unknown — not found in series.csv (series_id)"
            in problems_of(evidence_copy))


def test_all_problems_are_collected_not_just_the_first(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "outcomes", 2, "value", "abc")
    edit_cell(evidence_copy, "series", 3, "n_patients", "-4")
    edit_cell(evidence_copy, "outcomes", 5, "numerator", "999")
    found = problems_of(evidence_copy)
    assert len(found) == 3
    assert {p.split(":")[0] for p in found} == {"outcomes.csv", "series.csv"}


# --- cross-field rules (ours) -----------------------------------------------------------


def test_numerator_not_above_denominator(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "tae_partial_response_count")
    edit_cell(evidence_copy, "outcomes", line, "numerator", "13")
    assert (f"outcomes.csv:{line}: numerator: 13 — numerator must not exceed denominator (12)"
            in problems_of(evidence_copy))


def test_percent_within_0_100(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "bone_complete_treatment")
    edit_cell(evidence_copy, "outcomes", line, "value", "155.6")
    assert (f"outcomes.csv:{line}: value: 155.6 — a percentage must lie within 0-100"
            in problems_of(evidence_copy))


def test_survival_must_not_increase(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "bone_os_36m")
    edit_cell(evidence_copy, "outcomes", line, "value", "68.8")
    assert any(
        p.startswith(f"outcomes.csv:{line}: value: 68.8 — survival must not increase")
        and "(66.8 earlier, at 36 months)" in p
        for p in problems_of(evidence_copy)
    )


def test_cumulative_incidence_must_not_decrease(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "lung_ltp_36m")
    edit_cell(evidence_copy, "outcomes", line, "value", "7.2")
    assert any(
        p.startswith(f"outcomes.csv:{line}: value: 7.2 — cumulative incidence must not decrease")
        for p in problems_of(evidence_copy)
    )


def test_time_point_statistics_need_time(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "liver_rfa_os_60m")
    edit_cell(evidence_copy, "outcomes", line, "time_months", "")
    assert any(
        p.startswith(f"outcomes.csv:{line}: time_months: (empty) — time_months is required")
        for p in problems_of(evidence_copy)
    )


def test_decimals_match_value(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "bone_os_12m")
    edit_cell(evidence_copy, "outcomes", line, "decimals", "0")
    assert (f"outcomes.csv:{line}: value: 71.6 — value has more decimal places than "
            "`decimals` says (0)" in problems_of(evidence_copy))


def test_counts_are_whole(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "tae_procedures")
    edit_cell(evidence_copy, "outcomes", line, "value", "18.5")
    edit_cell(evidence_copy, "outcomes", line, "decimals", "1")
    assert (f"outcomes.csv:{line}: value: 18.5 — a count must be a whole number"
            in problems_of(evidence_copy))


def test_range_low_not_above_high(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "outcomes", "outcome_id", "lung_size_min")
    edit_cell(evidence_copy, "outcomes", line, "value", "80")
    assert (f"outcomes.csv:{line}: value: 80.0 — range_low must not exceed range_high (70.0)"
            in problems_of(evidence_copy))


def test_table1_low_not_above_high(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "clinical_features", "feature_id", "papillary_prevalence")
    edit_cell(evidence_copy, "clinical_features", line, "low", "90")
    assert (f"clinical_features.csv:{line}: low: 90.0 — low must not exceed high (85.0)"
            in problems_of(evidence_copy))


# --- file-level problems ----------------------------------------------------------------


def test_missing_file(evidence_copy):
    (evidence_copy / "series.csv").unlink()
    assert problems_of(evidence_copy) == ["series.csv: file not found"]


def test_missing_folder(tmp_path):
    missing = tmp_path / "nowhere"
    assert problems_of(missing) == [f"{missing}: evidence folder not found"]


def test_missing_or_broken_descriptor(evidence_copy):
    (evidence_copy / "datapackage.json").write_text("{not json", encoding="utf-8")
    [problem] = problems_of(evidence_copy)
    assert problem.startswith("datapackage.json: not valid UTF-8 JSON")
    (evidence_copy / "datapackage.json").unlink()
    assert problems_of(evidence_copy) == ["datapackage.json: file not found"]


def test_wrong_encoding(evidence_copy):
    path = evidence_copy / "sources.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Baère", "Ba\udce8re",).encode(
        "utf-8", "surrogateescape"))
    [problem] = problems_of(evidence_copy)
    assert re.fullmatch(r"sources.csv:\d+: not valid UTF-8 \(save the file as UTF-8\)", problem)


def header_width(path: Path) -> int:
    """Number of columns in the header of a CSV file."""
    with path.open(encoding="utf-8", newline="") as fh:
        return len(next(csv.reader(fh)))


def test_malformed_csv_row(evidence_copy):
    path = evidence_copy / "series.csv"
    width = header_width(path)
    text = path.read_text(encoding="utf-8")
    line = len(text.splitlines()) + 1  # the appended row's line
    path.write_text(text + "x,y\n", encoding="utf-8")
    assert f"series.csv:{line}: malformed CSV: 2 cells where the header has {width}" in (
        problems_of(evidence_copy))


def test_empty_table(evidence_copy):
    path = evidence_copy / "context.csv"
    path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert problems_of(evidence_copy) == ["context.csv: empty table: a header but no rows"]
    path.write_text("", encoding="utf-8")
    assert problems_of(evidence_copy) == ["context.csv: empty file: no header, no rows"]


def test_extra_cells_and_a_blank_row_are_named_once_per_row(evidence_copy):
    path = evidence_copy / "series.csv"
    width = header_width(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] += ",zz"
    lines.insert(4, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert problems_of(evidence_copy) == [
        f"series.csv:3: malformed CSV: {width + 1} cells where the header has {width}",
        f"series.csv:5: malformed CSV: 0 cells where the header has {width}",
    ]


def test_an_empty_lookup_table_is_one_problem_not_one_per_referring_row(evidence_copy):
    (evidence_copy / "sources.csv").write_text("", encoding="utf-8")
    assert problems_of(evidence_copy) == ["sources.csv: empty file: no header, no rows"]


def test_columns_are_matched_by_name_in_any_order(evidence_copy):
    frame = pd.read_csv(evidence_copy / "context.csv", dtype=str, keep_default_na=False)
    columns = list(frame.columns)
    columns[0], columns[1] = columns[1], columns[0]
    frame[columns].to_csv(evidence_copy / "context.csv", index=False)
    assert load_evidence(evidence_copy).context.equals(load_evidence().context)


def test_unknown_and_missing_columns(evidence_copy):
    frame = pd.read_csv(evidence_copy / "series.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"follow_up": "followup", "population": "populations"})
    frame.to_csv(evidence_copy / "series.csv", index=False)
    found = problems_of(evidence_copy)
    assert [p.split(" — ")[0] for p in found] == [
        "series.csv:1: populations: populations", "series.csv:1: followup: followup",
        "series.csv:1: population: (empty)"]
    assert found[0].endswith("unknown column; allowed: " + ", ".join(
        f["name"] for f in next(r for r in load_evidence().schema["resources"]
        if r["name"] == "series")["schema"]["fields"]))
    assert found[2].endswith("required column is missing")
    # an optional column may be left out: follow_up is not reported missing
    assert not any(p.startswith("series.csv:1: follow_up:") for p in found)


# --- remembered validations -------------------------------------------------------------


def test_a_passed_validation_is_remembered_only_for_identical_bytes(
    evidence_copy, edit_cell, tmp_path, monkeypatch
):
    import thyroid_evidence.evidence as ev

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    calls = []
    real = ev._schema_problems
    monkeypatch.setattr(ev, "_schema_problems", lambda *a: calls.append(1) or real(*a))
    load_evidence(evidence_copy)
    load_evidence(evidence_copy)
    assert len(calls) == 1
    assert len(list((tmp_path / "cache").glob("validated-*"))) == 1
    edit_cell(evidence_copy, "series", 2, "n_patients", "0")
    assert "series.csv:2: n_patients: 0 — must be at least 1" in problems_of(evidence_copy)
    assert "series.csv:2: n_patients: 0 — must be at least 1" in problems_of(evidence_copy)
    assert len(calls) == 3  # failures are never remembered
    assert len(list((tmp_path / "cache").glob("validated-*"))) == 1


def _rewrite_descriptor(root: Path, change) -> None:
    import json

    path = root / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(descriptor)), encoding="utf-8")


def test_descriptor_of_the_wrong_shape_is_named_not_a_traceback(evidence_copy):
    _rewrite_descriptor(evidence_copy, lambda d: [])
    assert problems_of(evidence_copy) == [
        "datapackage.json: must hold a JSON object with a 'resources' list"]

    def no_path(d):
        d["resources"][0]["path"] = None
        return d

    (evidence_copy / "datapackage.json").write_text(
        (evidence_dir() / "datapackage.json").read_text(encoding="utf-8"), encoding="utf-8")
    _rewrite_descriptor(evidence_copy, no_path)
    assert problems_of(evidence_copy) == [
        "datapackage.json: resource 'sources': 'path' must be a file name (a string)"]


def test_descriptor_frictionless_rejects_is_reported(evidence_copy):
    def banana(d):
        d["resources"][2]["schema"]["fields"][0]["type"] = "banana"
        return d

    _rewrite_descriptor(evidence_copy, banana)
    assert ('datapackage.json: invalid descriptor: field type "banana" is not supported'
            in problems_of(evidence_copy))
