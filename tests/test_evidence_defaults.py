"""Optional columns and their defaults, and the vocabularies open to a study the review does
not cite (a slug source id, the metastatic sites of Table 1)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from thyroid_evidence import EvidenceError, load_evidence
from thyroid_evidence.evidence import DEFAULTS, derived_label
from thyroid_evidence.vocab import POPULATION_KINDS, SOURCE_ID_PATTERN, TECHNIQUE_KINDS

#: The columns a study may leave out of series.csv and clinical_features.csv.
OPTIONAL = {"series": ["label", "technique_kind", "population_kind"],
            "clinical_features": ["at_presentation"]}


def problems_of(root: Path) -> list[str]:
    with pytest.raises(EvidenceError) as info:
        load_evidence(root)
    return [str(p) for p in info.value.problems]


def drop_columns(root: Path, table: str, columns: list[str]) -> None:
    frame = pd.read_csv(root / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=columns).to_csv(root / f"{table}.csv", index=False)


def append_row(root: Path, table: str, values: dict[str, str]) -> int:
    """Add one row (missing columns empty); returns its CSV line number."""
    path = root / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    rows.append({column: values.get(column, "") for column in header})
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows) + 1


def schema_field(evidence, table: str, name: str) -> dict:
    resource = next(r for r in evidence.schema["resources"] if r["name"] == table)
    return next(f for f in resource["schema"]["fields"] if f["name"] == name)


def test_the_optional_columns_are_optional_in_the_schema():
    evidence = load_evidence()
    for table, columns in OPTIONAL.items():
        for column in columns:
            assert not schema_field(evidence, table, column).get("constraints", {}).get(
                "required", False), f"{table}.{column}"


def test_a_package_without_the_optional_columns_loads_with_defaults(evidence_copy):
    for table, columns in OPTIONAL.items():
        drop_columns(evidence_copy, table, columns)
    evidence = load_evidence(evidence_copy)
    series = evidence.series
    assert list(series["technique_kind"]) == [DEFAULTS["series"]["technique_kind"]] * len(series)
    assert list(series["population_kind"]) == ["unspecified"] * len(series)
    assert evidence.clinical_features["at_presentation"].dtype == bool
    assert not evidence.clinical_features["at_presentation"].any()
    sources = evidence.sources.set_index("source_id")
    for row in series.itertuples():
        source = sources.loc[row.source_id]
        assert row.label == derived_label(row.series_id, source["authors"], source["year"])
    # the full package has the same columns, in the same order
    assert list(series.columns) == list(load_evidence().series.columns)


def test_every_series_of_the_package_has_an_explicit_label_and_kinds():
    series = load_evidence().series
    raw = pd.read_csv(load_evidence().root / "series.csv", dtype=str, keep_default_na=False)
    assert (raw["label"] != "").all()
    assert set(series["technique_kind"]) <= set(TECHNIQUE_KINDS)
    assert set(series["population_kind"]) <= set(POPULATION_KINDS)
    assert series["label"].is_unique


def test_the_kinds_in_the_schema_are_the_vocabularies_of_the_code():
    evidence = load_evidence()
    assert evidence.enum("series", "technique_kind") == TECHNIQUE_KINDS
    assert evidence.enum("series", "population_kind") == POPULATION_KINDS
    source_id = schema_field(evidence, "sources", "source_id")
    assert source_id["constraints"]["pattern"] == f"^{SOURCE_ID_PATTERN}$"


@pytest.mark.parametrize("authors, year, expected", [
    ("T de Baère et al.", 2015, "de Baère 2015"),
    ("Fromigué J; De Baere T; Baudin E", 2006, "Fromigué 2006"),
    ("Roberto Luigi Cazzato; Julien Garnon", None, "Cazzato et al."),
    ("Jan van der Berg", 2024, "van der Berg 2024"),
    ("Smith AB", None, "Smith"),
    ("J.-P. Martin; A Smith", 2001, "Martin 2001"),
    (None, 2020, "liver rfa crc"),
    ("", None, "liver rfa crc"),
])
def test_derived_label(authors, year, expected):
    assert derived_label("liver_rfa_crc", authors, year) == expected


def test_labels_derived_alike_are_told_apart_by_a_letter(evidence_copy, edit_cell):
    for line in (2, 3):
        edit_cell(evidence_copy, "series", line, "label", "")
        edit_cell(evidence_copy, "series", line, "source_id", "ref20")
    labels = list(load_evidence(evidence_copy).series["label"])
    authors = load_evidence().sources.set_index("source_id").loc["ref20"]
    base = derived_label("x", authors["authors"], authors["year"])
    assert labels[:2] == [f"{base}a", f"{base}b"]


def test_two_series_with_one_label_are_refused(evidence_copy, edit_cell):
    label = load_evidence().series["label"].iloc[0]
    edit_cell(evidence_copy, "series", 3, "label", label)
    assert problems_of(evidence_copy) == [
        f"series.csv:{line}: label: {label} — series labels must be unique (figures tell "
        "series apart by them)" for line in (2, 3)
    ]


def test_at_presentation_must_be_a_boolean(evidence_copy, edit_cell):
    edit_cell(evidence_copy, "clinical_features", 2, "at_presentation", "yes")
    assert problems_of(evidence_copy) == [
        "clinical_features.csv:2: at_presentation: yes — not a valid boolean"]


def test_a_study_the_review_does_not_cite_with_a_site_of_table_1(evidence_copy):
    append_row(evidence_copy, "sources", {
        "source_id": "smith2024", "short_citation": "Smith et al. 2024", "role": "series",
        "authors": "Smith AB; Jones C", "year": "2024"})
    append_row(evidence_copy, "series", {
        "series_id": "brain_srs_smith", "source_id": "smith2024", "title": "A made-up series",
        "techniques": "laser ablation", "target_site": "brain",
        "population": "brain metastases from thyroid cancer", "design": "retrospective",
        "n_patients": "20", "location": "abstract"})
    evidence = load_evidence(evidence_copy)
    row = evidence.series.set_index("series_id").loc["brain_srs_smith"]
    assert (row["label"], row["technique_kind"], row["population_kind"]) == (
        "Smith 2024", "other", "unspecified")
    assert "smith2024" in set(evidence.sources["source_id"])


def test_a_source_id_must_be_a_lower_case_slug(evidence_copy):
    bad = ["Smith2024", "smith 2024", "../x", "2024smith", "smith.txt", "smith_", "-smith"]
    lines = [append_row(evidence_copy, "sources", {
        "source_id": source_id, "short_citation": "x", "role": "series"}) for source_id in bad]
    append_row(evidence_copy, "sources", {  # slugs that are fine
        "source_id": "smith-jones_2024b", "short_citation": "x", "role": "series"})
    pattern = schema_field(load_evidence(), "sources", "source_id")["constraints"]["pattern"]
    assert problems_of(evidence_copy) == [
        f"sources.csv:{line}: source_id: {source_id} — must match the pattern {pattern}"
        for line, source_id in zip(lines, bad, strict=True)]


def test_every_site_of_table_1_is_a_target_site():
    evidence = load_evidence()
    sites = evidence.enum("series", "target_site")
    for site in ("lung", "liver", "bone", "brain", "adrenal", "cervical_lymph_nodes",
                 "mediastinal_lymph_nodes", "other"):
        assert site in sites


def test_a_table_with_columns_in_another_order_keeps_its_line_numbers(evidence_copy,
                                                                      edit_cell):
    frame = pd.read_csv(evidence_copy / "series.csv", dtype=str, keep_default_na=False)
    frame[list(reversed(frame.columns))].to_csv(evidence_copy / "series.csv", index=False)
    edit_cell(evidence_copy, "series", 4, "n_patients", "many")
    assert problems_of(evidence_copy) == ["series.csv:4: n_patients: many — not a valid integer"]


def test_the_descriptor_matches_columns_by_name():
    descriptor = json.loads((load_evidence().root / "datapackage.json").read_text("utf-8"))
    assert {r["schema"].get("fieldsMatch") for r in descriptor["resources"]} == {"superset"}
