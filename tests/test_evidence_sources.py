"""Rows quoted from a cited paper's abstract: named source, location and a checkable address."""

from __future__ import annotations

import re

from thyroid_evidence import load_evidence

_URL = re.compile(r"^https?://\S+$")


def test_every_primary_paper_row_says_where_it_can_be_checked():
    evidence = load_evidence()
    sources = evidence.sources.set_index("source_id")
    primary = evidence.outcomes[evidence.outcomes["source_id"] != "review"]
    for _, row in primary.iterrows():
        if (evidence.root / "sources" / f"{row['source_id']}.txt").is_file():
            continue  # an added study whose text is in the package: validate --quotes checks it
        assert row["location"] == "abstract", row["outcome_id"]
        address = sources.loc[row["source_id"], "address"]
        assert isinstance(address, str) and address, row["source_id"]
        assert all(_URL.match(part) for part in address.split("; ")), address


def _filled(value) -> bool:
    return value is not None and str(value) not in ("", "<NA>", "nan")


def test_identifiers_only_with_an_address():
    # a DOI or PMID is recorded only where a page was seen; a title, author list, year or
    # journal where a page was seen or where the source's own text is in the package (a study
    # added as docs/adding-a-study.md shows, with sources/<source_id>.txt)
    evidence = load_evidence()
    for _, row in evidence.sources.iterrows():
        has_address = isinstance(row["address"], str) and bool(row["address"])
        has_text = (evidence.root / "sources" / f"{row['source_id']}.txt").is_file()
        if any(_filled(row[c]) for c in ("doi", "pmid")):
            assert has_address, row["source_id"]
        if any(_filled(row[c]) for c in ("title", "authors", "year", "journal")):
            assert has_address or has_text, row["source_id"]


def test_series_counts_name_their_source():
    evidence = load_evidence()
    known = set(evidence.sources["source_id"])
    for _, row in evidence.series.iterrows():
        if row["n_procedures_source"] is not None:
            assert row["n_procedures_source"] in known
