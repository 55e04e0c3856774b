"""docs/adding-a-study.md, followed literally: its rows and its source text, added to a copy of
the evidence, validate, pass the quote check and get the defaults the guide promises.

(The whole build of such a study is tests/test_add_a_study.py.)"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from thyroid_evidence import load_evidence
from thyroid_evidence.config import project_root
from thyroid_evidence.study import series_overview, series_styles
from thyroid_evidence.study.quotes import check_quotes

GUIDE = project_root() / "docs" / "adding-a-study.md"
#: A fenced block of the guide whose info string names the file it goes into.
BLOCK = re.compile(r"^```(?:csv|text) (\S+)\n(.*?)^```$", re.S | re.M)


def guide_blocks() -> dict[str, str]:
    return {name: body for name, body in BLOCK.findall(GUIDE.read_text(encoding="utf-8"))}


def add_rows(root: Path, table: str, body: str) -> list[int]:
    """Append the guide's CSV lines to ``table`` (a header-less block, in the table's column
    order as the guide prints it); returns their line numbers."""
    path = root / table
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(csv.reader([lines[0]]))
    added = list(csv.reader(io.StringIO(body)))
    assert all(len(row) == len(header) for row in added), table
    path.write_text("\n".join(lines + [line for line in body.splitlines() if line]) + "\n",
                    encoding="utf-8")
    return list(range(len(lines) + 1, len(lines) + 1 + len(added)))


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    import shutil

    from thyroid_evidence.config import evidence_dir

    root = tmp_path_factory.mktemp("guide") / "evidence"
    shutil.copytree(evidence_dir(), root)
    blocks = guide_blocks()
    for table in ("sources.csv", "series.csv", "outcomes.csv"):
        add_rows(root, table, blocks[table])
    text = root / "sources" / "smith2024.txt"
    text.parent.mkdir(exist_ok=True)
    text.write_text(blocks["sources/smith2024.txt"], encoding="utf-8")
    return root


def test_the_guide_names_the_files_of_its_blocks():
    assert set(guide_blocks()) == {"sources.csv", "series.csv", "outcomes.csv",
                                   "sources/smith2024.txt"}


def test_the_guides_study_validates_with_the_promised_defaults(study):
    evidence = load_evidence(study)
    series = evidence.series.set_index("series_id").loc["brain_lita_smith"]
    assert (series["label"], series["technique_kind"], series["population_kind"],
            series["target_site"]) == ("Smith 2024", "ablation", "thyroid_cancer", "brain")
    overview = series_overview(evidence).set_index("series_id").loc["brain_lita_smith"]
    assert overview["population_kind"] == "thyroid cancer"
    styles = series_styles(evidence, ["brain_lita_smith"])
    assert styles.loc["brain_lita_smith", "label"] == "Smith 2024 (n = 20, brain)"


def test_every_quote_of_the_guides_study_is_found_in_its_text(study):
    result = check_quotes(load_evidence(study), None)
    assert [str(p) for p in result.not_found] == []
    assert "smith2024" not in dict(result.not_checked)
    outcomes = load_evidence(study).outcomes
    assert result.checked >= int((outcomes["source_id"] == "smith2024").sum()) > 0


def test_a_quote_the_text_does_not_hold_is_named_by_file_and_row(study, tmp_path):
    import shutil

    root = tmp_path / "evidence"
    shutil.copytree(study, root)
    path = root / "outcomes.csv"
    text = path.read_text(encoding="utf-8").replace("80% at 12 months", "85% at 12 months")
    path.write_text(text, encoding="utf-8")
    line = next(i for i, row in enumerate(text.splitlines(), start=1)
                if row.startswith("smith_os_12m,"))
    found = [str(p) for p in check_quotes(load_evidence(root), None).not_found]
    assert len(found) == 1 and found[0].startswith(f"outcomes.csv:{line}: quote: ")
