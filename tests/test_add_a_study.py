"""A study added by following the guide (docs/adding-a-study.md) flows through the whole kit.

Its ids start with ``madeup_`` so that they never collide with a study someone adds to evidence/.

A made-up study is added to a temporary copy of evidence/: its own source (a slug id, not a
reference of the review), its own source text holding every quote, a site the review's
series do not cover (brain) and a progression-free survival endpoint. The copy must pass
``validate --quotes``; then one build of the copy (shared by the tests of this module), of the
study's own runs and of every run that gathers all series (comparison, audit, clinical
context), must exit 0 and show the study in every run, table and report page it qualifies for.
What it qualifies for is read from the run matrix and the evidence, never listed here.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from thyroid_evidence.config import EVIDENCE_ENV, SOURCE_ENV, evidence_dir, project_root

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

SOURCE_ID = "madeup_smith2024"
SERIES_ID = "madeup_brain_litt_smith"
SITE = "brain"
LABEL = "Smith 2024 (made-up)"
#: Seconds the build of the copy may take (it takes about 20-40 s on two cores).
BUILD_TIMEOUT = 600

# The made-up paper: every quote of the rows below occurs in it, re-typeset as a PDF's text
# layer prints it (line breaks, a word hyphenated across a line, typographic apostrophes).
SOURCE_TEXT = """\
Laser interstitial thermal therapy of brain metastases from differentiated thyroid
cancer: a made-up retrospective series (not a real study)

Forty patients with 52 brain metastases were treated in 46 sessions. Median follow-
up was 30 months. Overall survival was 85.0% at 12 months, 62.5% at 24 months and
45.0% at 36 months. Progression-free survival was 70.0% at 12 months and 50.0% at
24 months. Local tumour progression
occurred in 9.6% of the treated metastases at 12 months, after complete ablation of 50
of 52 metastases (96.2%). Three patients (7.5%) had a complication; the patients\u2019
symptoms improved in 30 of 40 (75.0%).
"""

# No title, authors or year: the kit records them only as shown on a stored page (address).
SOURCE_ROW = {
    "source_id": SOURCE_ID, "short_citation": "Smith et al. 2024 (made-up study)",
    "role": "series",
    "note": "A made-up study written by tests/test_add_a_study.py; no identifiers.",
}
SERIES_ROW = {
    "series_id": SERIES_ID, "source_id": SOURCE_ID,
    "title": "Laser ablation of brain metastases (Smith et al., made-up)", "label": LABEL,
    "techniques": "laser interstitial thermal therapy", "technique_kind": "ablation",
    "target_site": SITE, "population": "brain metastases from differentiated thyroid cancer",
    "population_kind": "thyroid_cancer", "design": "retrospective single-centre series",
    "n_patients": "40", "n_lesions": "52", "n_procedures": "46",
    "n_procedures_source": SOURCE_ID, "follow_up": "median 30 months", "location": "Results",
}


def _outcome(outcome_id, endpoint, statistic, unit_of_analysis, unit, value, decimals, quote,
             time_months="", numerator="", denominator="", basis=""):
    return {
        "outcome_id": f"madeup_{outcome_id}", "series_id": SERIES_ID, "source_id": SOURCE_ID,
        "endpoint": endpoint, "statistic": statistic, "unit_of_analysis": unit_of_analysis,
        "unit": unit, "time_months": time_months, "value": value, "decimals": decimals,
        "numerator": numerator, "denominator": denominator, "denominator_basis": basis,
        "quote": quote, "location": "Results",
    }


OUTCOME_ROWS = [
    _outcome("smith_os_12m", "overall_survival", "survival", "patient", "percent", "85.0", "1",
             "Overall survival was 85.0% at 12 months", "12", denominator="40", basis="implied"),
    _outcome("smith_os_24m", "overall_survival", "survival", "patient", "percent", "62.5", "1",
             "62.5% at 24 months", "24", denominator="40", basis="implied"),
    _outcome("smith_os_36m", "overall_survival", "survival", "patient", "percent", "45.0", "1",
             "45.0% at 36 months", "36", denominator="40", basis="implied"),
    _outcome("smith_pfs_12m", "progression_free_survival", "survival", "patient", "percent",
             "70.0", "1", "Progression-free survival was 70.0% at 12 months", "12",
             denominator="40", basis="implied"),
    _outcome("smith_pfs_24m", "progression_free_survival", "survival", "patient", "percent",
             "50.0", "1", "50.0% at 24 months", "24", denominator="40", basis="implied"),
    _outcome("smith_ltp_12m", "local_tumor_progression", "cumulative_incidence", "lesion",
             "percent", "9.6", "1", "Local tumour progression occurred in 9.6% of the treated "
             "metastases at 12 months", "12", denominator="52", basis="implied"),
    _outcome("smith_local_efficacy", "local_efficacy", "proportion", "lesion", "percent",
             "96.2", "1", "complete ablation of 50 of 52 metastases (96.2%)", numerator="50",
             denominator="52", basis="stated"),
    _outcome("smith_complications", "complications", "proportion", "patient", "percent", "7.5",
             "1", "Three patients (7.5%) had a complication", numerator="3", denominator="40",
             basis="implied"),
    _outcome("smith_symptom_relief", "symptom_relief", "proportion", "patient", "percent",
             "75.0", "1", "the patients' symptoms improved in 30 of 40 (75.0%)", numerator="30",
             denominator="40", basis="stated"),
]


def _append(root: Path, table: str, rows: list[dict[str, str]]) -> None:
    """Append rows to a table of the package, leaving the columns a row does not name empty
    (the guide: a study fills the columns it reports)."""
    path = root / f"{table}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    unknown = sorted({key for row in rows for key in row} - set(header))
    assert not unknown, f"{table}.csv has no column {unknown}: the schema changed"
    text = path.read_text(encoding="utf-8")
    with path.open("a", encoding="utf-8", newline="") as fh:
        if not text.endswith("\n"):
            fh.write("\n")
        writer = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        writer.writerows(rows)


def add_made_up_study(root: Path) -> None:
    """Add the made-up study to the evidence package at ``root`` (a copy), as the guide says:
    a row in sources.csv, series.csv and outcomes.csv, and sources/<source_id>.txt."""
    _append(root, "sources", [SOURCE_ROW])
    _append(root, "series", [SERIES_ROW])
    _append(root, "outcomes", OUTCOME_ROWS)
    (root / "sources").mkdir(exist_ok=True)
    (root / "sources" / f"{SOURCE_ID}.txt").write_text(SOURCE_TEXT, encoding="utf-8")


def _cli(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "thyroid_evidence", *args], cwd=project_root(),
                          env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict:
    """The evidence copy with the made-up study, and the environment the commands run in."""
    base = tmp_path_factory.mktemp("add_a_study")
    root = base / "evidence"
    shutil.copytree(evidence_dir(), root)
    add_made_up_study(root)
    env = {k: v for k, v in os.environ.items() if k != EVIDENCE_ENV}
    env["THYROID_EVIDENCE_CACHE"] = str(base / "cache")
    return {"root": root, "base": base, "env": env}


@pytest.fixture(scope="module")
def built(study) -> dict:
    """One build of the copy (``build --evidence COPY --out TMP``), shared by the tests."""
    out = study["base"] / "build"
    # the runs of the study's series and every run that gathers all series; the whole matrix
    # on the review's evidence is built by tests/test_build_matrix.py
    result = _cli("build", "--evidence", str(study["root"]), "--out", str(out),
                  "--only", f"*-{SERIES_ID}*,comparison,data_audit,clinical_context",
                  env=study["env"], timeout=BUILD_TIMEOUT)
    return {"out": out, "result": result}


# --- the package ----------------------------------------------------------------------------


def test_the_study_validates_with_its_quotes_checked(study):
    # the review's own text may be missing on this machine: its quotes are then "not
    # checked"; the study's quotes are always checked, against sources/madeup_smith2024.txt
    env = dict(study["env"])
    env.pop(SOURCE_ENV, None)
    result = _cli("validate", "--quotes", str(study["root"]), env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout.splitlines()[-1]
    assert re.match(r"quotes: \d+ checked, 0 not found, ", summary), summary
    assert f"{SOURCE_ID}:" not in summary  # the study's text was found: nothing unchecked


def test_a_quote_the_study_does_not_print_fails_validation(study, tmp_path):
    root = tmp_path / "evidence"
    shutil.copytree(study["root"], root)
    text = (root / "outcomes.csv").read_text(encoding="utf-8")
    (root / "outcomes.csv").write_text(text.replace("45.0% at 36 months", "45.0% at 48 months"),
                                       encoding="utf-8")
    result = _cli("validate", "--quotes", str(root), env=study["env"], timeout=120)
    assert result.returncode == 1
    line = next(n for n, row in enumerate(text.splitlines(), start=1)
                if row.startswith("madeup_smith_os_36m,"))
    assert (f"outcomes.csv:{line}: quote: 45.0% at 48 months — not found in "
            f"sources/{SOURCE_ID}.txt") in result.stdout


# --- the build --------------------------------------------------------------------------------


def _matrix() -> list[dict]:
    with (project_root() / "notebooks" / "matrix.toml").open("rb") as fh:
        return tomllib.load(fh)["notebooks"]


def _vocab_list(value) -> list[str]:
    """A matrix list, given inline or as the name of a list in thyroid_evidence.vocab."""
    if isinstance(value, str):
        from thyroid_evidence import vocab

        return list(getattr(vocab, value))
    return list(value)


def _qualifying_runs() -> list[tuple[str, str | None]]:
    """(notebook, endpoint or None) of every per-series run the study qualifies for, read from
    the run matrix: the notebook's endpoints the study reports with one of its statistics."""
    reported = {(r["endpoint"], r["statistic"]) for r in OUTCOME_ROWS}
    runs = []
    for entry in _matrix():
        for_each = entry.get("for_each", [])
        if "series_id" not in for_each:
            continue
        endpoints = _vocab_list(entry["endpoints"])
        statistics = _vocab_list(entry["statistics"])
        hits = [e for e in endpoints if any((e, s) in reported for s in statistics)]
        if "endpoint" in for_each:
            runs += [(entry["name"], e) for e in hits]
        elif hits:
            runs.append((entry["name"], None))
    return runs


def _study_runs(out: Path) -> dict[str, dict]:
    """The manifest's runs of the study (parameter series_id), by run id."""
    manifest = json.loads((out / ".build" / "manifest.json").read_text(encoding="utf-8"))
    return {run_id: entry for run_id, entry in manifest["runs"].items()
            if entry.get("parameters", {}).get("series_id") == SERIES_ID}


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _names_the_study(text: str) -> bool:
    return any(name in text for name in (SERIES_ID, LABEL, SERIES_ROW["title"]))


def test_the_build_exits_0(built):
    result = built["result"]
    assert result.returncode == 0, result.stderr[-4000:]


def test_the_study_qualifies_for_survival_and_progression_free_survival():
    # what the matrix says, checked so that the run tests below test something
    runs = _qualifying_runs()
    assert ("survival", "progression_free_survival") in runs
    assert ("survival", "overall_survival") in runs
    assert len({notebook for notebook, _ in runs}) >= 3, runs


def test_every_run_the_study_qualifies_for_was_built_with_its_outputs(built):
    runs = _study_runs(built["out"])
    missing = []
    for notebook, endpoint in _qualifying_runs():
        found = [run_id for run_id, entry in runs.items() if entry["notebook"] == notebook
                 and entry["parameters"].get("endpoint") == endpoint]
        if not found:
            missing.append(f"no {notebook} run for {endpoint or 'the series'}")
        for run_id in found:
            if not runs[run_id]["figures"] and not runs[run_id]["tables"]:
                missing.append(f"{run_id}: no figure and no table")
            missing += [f"{run_id}: {rel} not written" for rel in runs[run_id]["outputs"]
                        if not (built["out"] / rel).is_file()]
    assert missing == [], built["result"].stderr[-2000:]


def test_the_report_links_every_figure_and_table_of_the_study(built):
    index = html.unescape((built["out"] / "report" / "index.html").read_text(encoding="utf-8"))
    runs = _study_runs(built["out"])
    assert runs, "the manifest holds no run of the study"
    unlinked = [f"{run_id}: {rel}" for run_id, entry in runs.items()
                for item in entry["figures"] + entry["tables"] for rel in item["files"]
                if f'href="../{rel}"' not in index]
    assert unlinked == []
    assert _names_the_study(index)


def test_the_reports_evidence_copy_holds_the_study(built):
    series = _csv(built["out"] / "report" / "evidence" / "series.csv")
    assert SERIES_ID in [row["series_id"] for row in series]


def test_the_comparison_tables_include_the_study(built):
    tables = built["out"] / "tables"
    key_numbers = _csv(tables / "comparison-key_numbers.csv")
    assert SERIES_ID in key_numbers[0], list(key_numbers[0])  # one column per series
    local_control = _csv(tables / "comparison-local_control.csv")
    assert SERIES_ID in [row["series_id"] for row in local_control]
    scenarios = _csv(tables / "comparison-survival_scenarios.csv")
    assert SERIES_ID in [row["series_id"] for row in scenarios]


def test_the_survival_comparison_figure_names_the_study(built):
    # SVG text is text (not paths): the legend is read, not the pixels
    svg = html.unescape((built["out"] / "figures" / "comparison-overall_survival.svg")
                        .read_text(encoding="utf-8"))
    texts = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    assert _names_the_study(texts), texts[:500]


def test_the_audit_covers_the_study(built):
    audit = _csv(built["out"] / "tables" / "data_audit.csv")
    assert SERIES_ID in {row.get("series_id") for row in audit}


def test_the_report_says_which_time_to_event_endpoints_are_not_reconstructed(built, study):
    from thyroid_evidence.vocab import UNRECONSTRUCTED_ENDPOINTS

    index = html.unescape((built["out"] / "report" / "index.html").read_text(encoding="utf-8"))
    rows = {(row["series_id"], row["endpoint"]) for row in _csv(study["root"] / "outcomes.csv")
            if row["endpoint"] in UNRECONSTRUCTED_ENDPOINTS}
    for series_id, endpoint in rows:
        line = f"<code>{endpoint}</code> of <code>{series_id}</code>: "
        assert line + UNRECONSTRUCTED_ENDPOINTS[endpoint] in index, line
    assert ('id="not-reconstructed"' in index) == bool(rows)
