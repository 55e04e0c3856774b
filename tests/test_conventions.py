"""The conventions researchers expect: licences, citation, changelog, an example CI workflow.

Each file is checked against what the project declares elsewhere (pyproject.toml, the data
package's descriptor, sources.csv), so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib

import yaml

from thyroid_evidence import config

ROOT = config.project_root()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_code_licence_is_the_one_pyproject_declares() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert PYPROJECT["license"] == "MIT"
    assert text.startswith("MIT License\n")
    assert "Permission is hereby granted, free of charge" in text


def test_the_data_licence_is_the_one_the_data_package_declares() -> None:
    descriptor = json.loads((ROOT / "evidence" / "datapackage.json").read_text("utf-8"))
    [declared] = descriptor["licenses"]
    text = (ROOT / "evidence" / "LICENSE.md").read_text(encoding="utf-8")
    assert f"`{declared['name']}`" in text
    assert declared["title"].replace(" 4.0", "") in text
    assert declared["path"].rstrip("/") in text


def _review_row() -> dict[str, str]:
    with (ROOT / "evidence" / "sources.csv").open(encoding="utf-8-sig", newline="") as fh:
        return next(row for row in csv.DictReader(fh) if row["source_id"] == "review")


def test_citation_file_is_cff_1_2_0_for_the_kit() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors"):  # the keys CFF 1.2.0 requires
        assert cff[key], key
    assert cff["type"] == "software"
    assert str(cff["version"]) == PYPROJECT["version"]
    assert cff["license"] == PYPROJECT["license"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    for author in cff["authors"]:  # a person (family-names) or an entity (name)
        assert author.get("family-names") or author.get("name"), author


def test_citation_references_the_review_as_sources_csv_names_it() -> None:
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    review = _review_row()
    [reference] = [r for r in cff["references"] if r["title"] == review["title"]]
    assert reference["type"] == "article"
    names = [f"{a['given-names']} {a['family-names']}" for a in reference["authors"]]
    assert names == review["authors"].split("; ")
    assert reference["url"] in review["address"].split("; ")
    # the kit's authors are not the review's
    assert not {a.get("family-names") for a in cff["authors"]} & {
        a["family-names"] for a in reference["authors"]}


def test_changelog_keeps_a_changelog_with_the_current_version() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## \[([^\]]+)\](.*)$", text, flags=re.MULTILINE)
    assert headings[0] == ("Unreleased", "")
    versions = {name: rest for name, rest in headings[1:]}
    assert PYPROJECT["version"] in versions
    for name, rest in versions.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", name), name
        assert re.fullmatch(r" - \d{4}-\d{2}-\d{2}", rest), rest
    kinds = set(re.findall(r"^### (\w+)", text, flags=re.MULTILINE))
    assert kinds <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}, kinds


def test_the_example_workflow_runs_make_report_and_keeps_build() -> None:
    path = ROOT / ".github" / "workflows" / "report.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = [step["run"] for step in steps if "run" in step]
    assert any(re.match(r"make report\b", line) for line in runs), runs
    [upload] = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert upload["with"]["path"].rstrip("/") == "build"
    assert ".github/workflows/report.yml" in (ROOT / "README.md").read_text(encoding="utf-8")
