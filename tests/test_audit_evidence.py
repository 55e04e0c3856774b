"""audit_evidence over a small synthetic evidence folder, and format_audit in every format."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from tests.fixtures.evidence_rows import outcome_row, write_rows
from thyroid_evidence import load_evidence
from thyroid_evidence.audit import AUDIT_COLUMNS, STATUSES, audit_evidence, format_audit
from thyroid_evidence.config import evidence_dir

#: long (a build, kernels or subprocesses): scheduled first (tests/conftest.py)
pytestmark = pytest.mark.heavy

SERIES = [
    {
        "series_id": "syn_bone", "source_id": "review", "title": "Synthetic bone series",
        "techniques": "cementoplasty", "target_site": "bone", "population": "synthetic",
        "design": "synthetic", "n_patients": "4", "n_lesions": "54", "n_procedures": "",
        "follow_up": "", "location": "test",
    },
    {
        "series_id": "syn_liver", "source_id": "review", "title": "Synthetic liver series",
        "techniques": "TAE", "target_site": "liver", "population": "synthetic",
        "design": "synthetic", "n_patients": "12", "n_lesions": "", "n_procedures": "",
        "follow_up": "", "location": "test",
    },
    {
        "series_id": "syn_src", "source_id": "ref16", "title": "Synthetic series with a source",
        "techniques": "cementoplasty", "target_site": "bone", "population": "synthetic",
        "design": "synthetic", "n_patients": "25", "n_lesions": "54", "n_procedures": "49",
        "n_procedures_source": "ref16", "follow_up": "", "location": "test",
    },
]


def _mix(oid: str, category: str, value: str) -> dict[str, str]:
    return outcome_row(oid, "syn_bone", "technique", "proportion", "lesion", "percent", value, 2,
                    category=category, denominator="54", denominator_basis="implied",
                    group="mix", group_kind="partition")


def _response(oid: str, value: str, k: str) -> dict[str, str]:
    return outcome_row(oid, "syn_liver", "tumor_response", "proportion", "patient", "percent",
                    value, 0, category=oid, numerator=k, denominator="12",
                    denominator_basis="implied", group="resp", group_kind="partition")


def _context(oid: str, value: str) -> dict[str, str]:
    return outcome_row(oid, "syn_bone", "symptomatic", "proportion", "lesion", "percent", value,
                    1, denominator="54", denominator_basis="implied", group="ctx",
                    group_kind="shared_denominator")


def _survival(oid: str, months: str, value: str) -> dict[str, str]:
    return outcome_row(oid, "syn_bone", "overall_survival", "survival", "patient", "percent",
                    value, 0, time_months=months)


OUTCOMES = [
    _mix("mix_a", "a", "77.55"),
    _mix("mix_b", "b", "14.29"),
    _mix("mix_c", "c", "8.16"),
    _context("ctx_a", "31.5"),
    _context("ctx_b", "42.6"),
    outcome_row("anaesthesia", "syn_bone", "anesthesia", "proportion", "procedure", "percent",
             "71.4", 1),
    _survival("os_12", "12", "75"),
    _survival("os_24", "24", "50"),
    _survival("os_36", "36", "25"),
    outcome_row("pfs_12", "syn_bone", "progression_free_survival", "survival", "patient",
             "percent", "80", 0, time_months="12"),
    outcome_row("efficacy_48", "syn_bone", "local_efficacy", "proportion", "lesion", "percent",
             "89", 0, time_months="48"),
    outcome_row("ltp_48", "syn_bone", "local_tumor_progression", "cumulative_incidence", "lesion",
             "percent", "11.0", 1, time_months="48"),
    _response("pr", "42", "5"),
    _response("sd", "42", "5"),
    _response("pd", "16", "2"),
    outcome_row("pd_count", "syn_liver", "tumor_response", "count", "patient", "patients", "2", 0,
             numerator="2", denominator="12", denominator_basis="implied", group="resp_n",
             group_kind="partition"),
    outcome_row("rest_count", "syn_liver", "tumor_response", "count", "patient", "patients", "9",
             0, numerator="9", denominator="12", denominator_basis="implied", group="resp_n",
             group_kind="partition"),
    outcome_row("liver_anaesthesia", "syn_liver", "anesthesia", "proportion", "patient",
             "percent", "71.4", 1),
    # syn_src: the review's rows (source "review") and the primary paper's (source "ref16")
    *[outcome_row(f"src_{c}", "syn_src", "technique", "proportion", "lesion", "percent", v, 2,
               category=c, denominator="54", denominator_basis="implied", group="src_mix",
               group_kind="partition")
      for c, v in (("a", "77.55"), ("b", "14.29"), ("c", "8.16"))],
    *[outcome_row(f"abs_{c}", "syn_src", "technique", "proportion", "procedure", "percent", v, 1,
               category=c, denominator="49", denominator_basis="stated", group="abs_mix",
               group_kind="partition", source_id="ref16", location="abstract")
      for c, v in (("a", "77.5"), ("b", "14.3"), ("c", "8.2"))],
    outcome_row("src_anaesthesia", "syn_src", "anesthesia", "proportion", "procedure", "percent",
             "71.4", 1),
    outcome_row("abs_sessions", "syn_src", "procedure_count", "count", "procedure", "sessions",
             "49", 0, source_id="ref16", location="abstract"),
    outcome_row("src_symptomatic", "syn_src", "symptomatic", "proportion", "lesion", "percent",
             "92.6", 1, category="symptomatic", numerator="50", denominator="54",
             denominator_basis="implied"),
    outcome_row("abs_symptomatic", "syn_src", "symptomatic", "proportion", "lesion", "percent",
             "92.6", 1, category="symptomatic", numerator="50", denominator="54",
             denominator_basis="stated", source_id="ref16", location="abstract"),
    outcome_row("src_remission", "syn_src", "complete_treatment", "proportion", "lesion",
             "percent", "55.6", 1, denominator="54", denominator_basis="implied"),
    outcome_row("abs_remission", "syn_src", "complete_treatment", "proportion", "lesion",
             "percent", "57.4", 1, source_id="ref16", location="abstract"),
    outcome_row("stay_mean", "syn_src", "hospital_stay", "mean", "procedure", "days", "2.0", 1),
    outcome_row("stay_sd", "syn_src", "hospital_stay", "sd", "procedure", "days", "1.9", 1),
    outcome_row("stay_median", "syn_src", "hospital_stay", "median", "procedure", "days", "2.0",
             1),
    outcome_row("dose_mean", "syn_src", "radioiodine_dose", "mean", "patient", "mCi", "10.0", 1),
    outcome_row("dose_sd", "syn_src", "radioiodine_dose", "sd", "patient", "mCi", "80.0", 1),
    *[outcome_row(f"src_os_{m}", "syn_src", "overall_survival", "survival", "patient", "percent",
               v, 1, time_months=m) for m, v in (("12", "71.6"), ("24", "66.8"), ("36", "60.1"))],
    outcome_row("src_followup", "syn_src", "follow_up", "median", "patient", "years", "4.6", 1),
    outcome_row("dose_fixed", "syn_src", "radioiodine_dose", "value", "patient", "mCi", "100", 0,
             category="initial_ablation"),
    outcome_row("abs_dose_fixed", "syn_src", "radioiodine_dose", "value", "patient", "GBq", "3.7",
             1, category="initial_ablation", source_id="ref16", location="abstract"),
    outcome_row("dose_other", "syn_src", "radioiodine_dose", "value", "patient", "mCi", "150", 0,
             category="other_activity"),
    outcome_row("abs_dose_other", "syn_src", "radioiodine_dose", "value", "patient", "GBq", "3.7",
             1, category="other_activity", source_id="ref16", location="abstract"),
    outcome_row("ltp_12", "syn_src", "local_tumor_progression", "cumulative_incidence", "lesion",
             "percent", "5.6", 1, time_months="12"),
    outcome_row("ltp_count", "syn_src", "local_tumor_progression", "count", "lesion", "events",
             "3", 0, numerator="3", denominator="54", denominator_basis="stated"),
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny evidence folder: the real schema, two synthetic series, hand-made outcomes."""
    root = tmp_path_factory.mktemp("audit") / "evidence"
    root.mkdir()
    shutil.copy(evidence_dir() / "datapackage.json", root)
    for table in ("sources", "clinical_features", "risk_stratification", "context"):
        shutil.copy(evidence_dir() / f"{table}.csv", root)
    descriptor = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    fields = {
        r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in descriptor["resources"]
    }
    write_rows(root / "series.csv", fields["series"], SERIES)
    write_rows(root / "outcomes.csv", fields["outcomes"], OUTCOMES)
    return root


@pytest.fixture(scope="module")
def audit(synthetic: Path) -> pd.DataFrame:
    return audit_evidence(load_evidence(synthetic))


def _find(audit: pd.DataFrame, check: str, ids: str) -> pd.Series:
    rows = audit[(audit["check"] == check) & (audit["outcome_ids"] == ids)]
    assert len(rows) == 1, (check, ids, audit[["check", "outcome_ids"]])
    return rows.iloc[0]


def test_every_status_has_words() -> None:
    from thyroid_evidence.vocab import STATUS_LABELS

    assert tuple(STATUS_LABELS) == STATUSES
    assert STATUS_LABELS["review_and_source_disagree"] == "review and source disagree"


def test_columns_and_vocabulary(audit: pd.DataFrame) -> None:
    assert tuple(audit.columns) == AUDIT_COLUMNS
    assert set(audit["status"]) <= set(STATUSES)
    assert list(audit["series_id"].unique()) == ["syn_bone", "syn_liver", "syn_src"]


def test_partition_with_failing_denominator_names_the_implied_one(audit: pd.DataFrame) -> None:
    row = _find(audit, "partition", "mix_a, mix_b, mix_c")
    assert row["status"] == "inconsistent"
    assert row["detail"] == (
        "The shares cannot close on 54 lesions: a 77.55%, b 14.29% and c 8.16% fit no k/54 "
        "under any rounding, and they add to 100.00%; taken as parts of one whole they fit "
        "n = 49, 98, 147, 196, 245 and 15 more (up to 1000), e.g. 38 + 7 + 4 = 49."
    )
    member = _find(audit, "grim", "mix_a")
    assert member["status"] == "inconsistent"
    assert member["detail"].startswith("77.55% fits no k/54 under any rounding")


def test_shared_denominator_group(audit: pd.DataFrame) -> None:
    row = _find(audit, "shared_denominator", "ctx_a, ctx_b")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "All 2 percentages fit the shared denominator of 54 lesions (implied): "
        "31.5% = 17/54 and 42.6% = 23/54."
    )


def test_missing_denominator_cannot_be_checked(audit: pd.DataFrame) -> None:
    # 71.4% of 12 patients would be 8.57 patients: the series offers no denominator
    row = _find(audit, "grim", "liver_anaesthesia")
    assert row["status"] == "cannot_check"
    assert row["detail"] == (
        "No denominator is given for 71.4%; it fits 515 denominators up to 1000, the "
        "smallest 7, 14, 21, 28 and 35."
    )


def test_denominator_a_partition_establishes_is_tried_but_proves_nothing(
    audit: pd.DataFrame,
) -> None:
    # the mix partition fails on 54 but closes on 49 (38 + 7 + 4); 35/49 = 71.43% is a lead
    row = _find(audit, "cross_denominator", "anaesthesia")
    assert row["status"] == "cannot_check"
    assert row["detail"] == (
        "The review gives 71.4% of procedures with no denominator; on the denominator 49 that "
        "the partition (mix_a, mix_b, mix_c) establishes: 35/49 = 71.429%; it fits no k/n for "
        "4 patients and 54 lesions."
    )


def test_primary_papers_count_is_tried_on_a_lone_percentage(audit: pd.DataFrame) -> None:
    # the series' 49 procedures come from ref16 (n_procedures_source), also a count row
    row = _find(audit, "cross_denominator", "src_anaesthesia")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "The review gives 71.4% of procedures with no denominator; on the 49 sessions of the "
        "primary paper (ref16): 35/49 = 71.429%; it fits no k/n for 25 patients and 54 lesions."
    )
    assert _find(audit, "grim", "mix_a")["status"] == "inconsistent"  # no source: unchanged


def test_shares_that_fit_the_sources_sessions_are_a_disagreement(audit: pd.DataFrame) -> None:
    # 77.55, 14.29, 8.16 fit no k/54 but are 38/49, 7/49, 4/49; ref16 reports 49 sessions
    row = _find(audit, "cross_denominator", "src_a, src_b, src_c")
    assert row["status"] == "review_and_source_disagree"
    assert row["detail"] == (
        "The review attaches 77.55%, 14.29% and 8.16% to 54 lesions, which they do not fit; "
        "they fit the 49 sessions of the primary paper (ref16): 38/49 = 77.5510%, 7/49 = "
        "14.2857% and 4/49 = 8.1633% (38 + 7 + 4 = 49); the primary paper (ref16) attaches "
        "its own shares (77.5%, 14.3% and 8.2%, rows abs_a, abs_b, abs_c) to those sessions."
    )
    # the failing checks it explains are re-classed and point to it
    for check, ids in (("partition", "src_a, src_b, src_c"), ("grim", "src_a")):
        failing = _find(audit, check, ids)
        assert failing["status"] == "review_and_source_disagree"
        assert failing["detail"].endswith(
            "They fit the 49 sessions of the primary paper (ref16) (see cross_denominator).")


def test_sources_own_shares_are_audited_too(audit: pd.DataFrame) -> None:
    # 38/49 = 77.551% prints as 77.5% only if truncated
    row = _find(audit, "partition", "abs_a, abs_b, abs_c")
    assert row["status"] == "consistent_only_if_truncated"
    assert "38/49 = 77.551% printed as 77.5% (it rounds to 77.6%)" in row["detail"]


def test_review_against_source(audit: pd.DataFrame) -> None:
    unit = _find(audit, "review_vs_source", "src_a, abs_a")
    assert unit["status"] == "review_and_source_disagree"
    assert unit["detail"] == (
        "technique a: the review gives 77.55% per lesion of 54 (implied), the primary paper "
        "(ref16) 77.5% per procedure of 49 (stated): they count different things."
    )
    same = _find(audit, "review_vs_source", "src_symptomatic, abs_symptomatic")
    assert same["status"] == "consistent"
    assert same["detail"].endswith(
        "the same value; the primary paper states the denominator that the review only "
        "implies.")
    differ = _find(audit, "review_vs_source", "src_remission, abs_remission")
    assert differ["status"] == "review_and_source_disagree"
    assert differ["detail"].endswith("55.6% per lesion of 54 (implied), the primary paper "
                                     "(ref16) 57.4% per lesion: the numbers differ beyond "
                                     "rounding.")


def test_review_against_source_converts_mci_to_gbq(audit: pd.DataFrame) -> None:
    # 1 mCi = 0.037 GBq: 100 mCi is 3.7 GBq; 150 mCi is 5.55 GBq, not 3.7
    same = _find(audit, "review_vs_source", "dose_fixed, abs_dose_fixed")
    assert same["status"] == "consistent"
    assert same["detail"].endswith("the same value (100 mCi = 3.7 GBq).")
    other = _find(audit, "review_vs_source", "dose_other, abs_dose_other")
    assert other["status"] == "review_and_source_disagree"
    assert other["detail"].endswith("the numbers differ beyond rounding.")


def test_joint_km_with_median_follow_up(audit: pd.DataFrame) -> None:
    # 25 patients at 71.6/66.8/60.1%: at most 9 at risk after 36 months (km_feasibility),
    # but a median follow-up of 4.6 years = 55.2 months needs 13 followed that long
    row = _find(audit, "km_joint", "src_os_12, src_os_24, src_os_36")
    assert row["status"] == "inconsistent"
    assert ("The milestones allow at most 9 of the 25 subjects at risk just after time 36, but "
            "a median follow-up of 55.2 needs at least 13 still under observation then.") in (
        row["detail"])
    assert "reverse Kaplan-Meier median" in row["detail"]


def test_joint_km_with_an_event_count(audit: pd.DataFrame) -> None:
    # 3/54 = 5.56% prints as 5.6% with no censoring: 3 events by 12 months, and 51 lesions
    # still followed leave room for the median follow-up of 55.2 months (28 needed)
    row = _find(audit, "km_joint", "ltp_12, ltp_count")
    assert row["status"] == "consistent"
    assert row["detail"].startswith(
        "Cumulative incidence 5.6% at 12 months of 54 lesions, 3 events in all and median "
        "follow-up 4.6 years (reported per patient): possible together; without censoring "
        "before 12 months a path would have 3 events by then")
    assert "Assumed: the median follow-up holds for the lesions too" in row["detail"]
    plain = _find(audit, "km_feasibility", "ltp_12")
    assert plain["detail"].endswith(
        "The example need not have the 3 events reported; km_joint checks the milestones "
        "with that count.")


def test_mean_sd_uses_the_sources_count_and_the_lower_bound(audit: pd.DataFrame) -> None:
    stay = _find(audit, "mean_sd", "stay_mean, stay_sd, stay_median")
    assert stay["status"] == "consistent"
    assert stay["detail"].startswith(
        "Hospital stay 2.0 ± 1.9 days (median 2.0) over 49 procedures (the count of the "
        "primary paper (ref16)) with every value at least 0: possible")
    assert "In whole days: possible, e.g." in stay["detail"]
    # 25 doses >= 0 with mean < 10.05 have an SD of at most 5 x 10.1 = 50.5 (any rounding)
    dose = _find(audit, "mean_sd", "dose_mean, dose_sd")
    assert dose["status"] == "inconsistent"
    assert dose["detail"] == (
        "Radioiodine dose 10.0 ± 80.0 mCi over 25 patients with every value at least 0: "
        "impossible: with every value at least 0 and a mean printing as 10.0, the SD of 25 "
        "values is at most 50.5, below 80.0. In whole mCi: impossible (with every value at "
        "least 0 and a mean printing as 10.0, the SD of 25 values is at most 50.5, below 80.0)."
    )


def test_count_percent_truncated(audit: pd.DataFrame) -> None:
    row = _find(audit, "count_percent", "pd")
    assert row["status"] == "consistent_only_if_truncated"
    assert row["detail"] == "2/12 = 16.67% rounds to 17%; it prints as 16% only if truncated."
    assert _find(audit, "count_percent", "pr")["detail"] == "5/12 = 41.67% rounds to 42%."


def test_response_partition_needs_truncation(audit: pd.DataFrame) -> None:
    row = _find(audit, "partition", "pr, sd, pd")
    assert row["status"] == "consistent_only_if_truncated"
    assert "2/12 = 16.67% printed as 16% (it rounds to 17%)" in row["detail"]


def test_count_partition_that_does_not_close(audit: pd.DataFrame) -> None:
    row = _find(audit, "partition", "pd_count, rest_count")
    assert row["status"] == "inconsistent"
    assert row["detail"] == "The counts add to 2 + 9 = 11, 1 short of the total of 12 patients."


def test_complement(audit: pd.DataFrame) -> None:
    row = _find(audit, "complement", "efficacy_48, ltp_48")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "At 48 months, local efficacy plus cumulative local tumor progression (per lesion): "
        "89% + 11.0% = 100.0%, which matches 100% within rounding (allowance 0.55 points)."
    )


def test_km_feasible_curve_uses_series_size(audit: pd.DataFrame) -> None:
    row = _find(audit, "km_feasibility", "os_12, os_24, os_36")
    assert row["status"] == "consistent"
    assert row["detail"] == (
        "A Kaplan-Meier curve of 4 patients can print 75%, 50% and 25% at 12, 24 and 36 "
        "months, e.g. 75%, 50% and 25% with 3, 2 and 1 still at risk; the numbers at risk "
        "compatible with the report are 3-3, 2-2 and 1-1."
    )


def test_km_impossible_value(audit: pd.DataFrame) -> None:
    row = _find(audit, "km_feasibility", "pfs_12")
    assert row["status"] == "inconsistent"
    assert row["detail"] == (
        "No Kaplan-Meier curve of 4 patients, with any pattern of events and censoring, "
        "prints 80% at 12 months under any rounding."
    )


def test_audit_needs_evidence_frames() -> None:
    with pytest.raises(TypeError, match="evidence must have DataFrames `outcomes` and `series`"):
        audit_evidence(object())


# --- format_audit -------------------------------------------------------------------------------


def test_format_csv_round_trips(audit: pd.DataFrame) -> None:
    text = format_audit(audit, "csv")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(back, audit.astype(str))
    assert text.splitlines()[0] == "series_id,outcome_ids,check,status,detail"


def test_format_json(audit: pd.DataFrame) -> None:
    records = json.loads(format_audit(audit, "json"))
    assert len(records) == len(audit)
    assert records[0] == {c: str(audit.iloc[0][c]) for c in AUDIT_COLUMNS}


def test_format_markdown(audit: pd.DataFrame) -> None:
    lines = format_audit(audit, "markdown").splitlines()
    assert lines[0] == "| series_id | outcome_ids | check | status | detail |"
    assert lines[1] == "|---|---|---|---|---|"
    assert len(lines) == len(audit) + 2
    assert lines[2].startswith("| syn_bone | ")


def test_format_table(audit: pd.DataFrame) -> None:
    text = format_audit(audit, "table")
    counts = audit["status"].value_counts()
    summary = ", ".join(
        f"{counts[s]} {s}" for s in STATUSES if s in counts
    )
    assert text.endswith(f"\n\n{len(audit)} checks: {summary}.\n")
    assert "inconsistent                  syn_bone  partition: mix_a, mix_b, mix_c\n" in text


def test_format_markdown_escapes_pipes() -> None:
    frame = pd.DataFrame([dict.fromkeys(AUDIT_COLUMNS, "a|b")])
    assert "a\\|b" in format_audit(frame, "markdown")


def test_format_rejects_unknown_format(audit: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="fmt must be one of"):
        format_audit(audit, "html")


def test_format_rejects_other_tables() -> None:
    with pytest.raises(ValueError, match="lacks the audit column"):
        format_audit(pd.DataFrame({"x": [1]}), "csv")


# --- The repository's evidence ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_audit() -> pd.DataFrame:
    return audit_evidence(load_evidence())


def test_real_evidence_statuses(real_audit: pd.DataFrame) -> None:
    assert set(real_audit["status"]) <= set(STATUSES)
    # a check is left undecided only with the reason said
    unchecked = real_audit[real_audit["status"] == "cannot_check"]
    for detail in unchecked["detail"]:
        assert detail.startswith(("No denominator is given", "The review gives")) or (
            "not decided" in detail), detail


def _source_counts(evidence, series_id: str) -> list[tuple[int, str, str]]:
    """(n, unit of analysis, source) of every count a cited paper reports for the series."""
    out = []
    info = evidence.series.set_index("series_id").loc[series_id]
    if pd.notna(info["n_procedures"]) and info["n_procedures_source"] not in (None, "review"):
        out.append((int(info["n_procedures"]), "procedure", info["n_procedures_source"]))
    rows = evidence.outcomes[(evidence.outcomes["series_id"] == series_id)
                             & (evidence.outcomes["source_id"] != "review")
                             & (evidence.outcomes["statistic"] == "count")
                             & evidence.outcomes["endpoint"].isin(
                                 ["patient_count", "tumor_count", "procedure_count"])]
    out += [(int(r["value"]), r["unit_of_analysis"], r["source_id"]) for _, r in rows.iterrows()]
    return out


def test_review_shares_that_fit_a_cited_papers_count_are_named_as_disagreements(
    real_audit: pd.DataFrame,
) -> None:
    from thyroid_evidence.audit import check_partition

    evidence = load_evidence()
    outcomes = evidence.outcomes
    review = outcomes[(outcomes["source_id"] == "review") & (outcomes["unit"] == "percent")
                      & (outcomes["statistic"] == "proportion") & outcomes["time_months"].isna()
                      & (outcomes["group_kind"] == "partition")]
    expected = 0
    for (series_id, _group), members in review.groupby(["series_id", "group"]):
        texts = [f"{v:.{int(d)}f}" for v, d in zip(members["value"], members["decimals"],
                                                    strict=True)]
        own = members["denominator"].dropna().astype(int).unique()
        if len(own) != 1 or check_partition(texts, int(own[0])).status != "inconsistent":
            continue
        for n, unit, source in _source_counts(evidence, series_id):
            if unit == members["unit_of_analysis"].iloc[0]:
                continue
            if check_partition(texts, n).status in ("consistent",
                                                    "consistent_only_if_truncated"):
                expected += 1
                row = _find(real_audit, "cross_denominator", ", ".join(members["outcome_id"]))
                assert row["status"] == "review_and_source_disagree"
                assert f"they fit the {n} " in row["detail"]
                assert f"of the primary paper ({source})" in row["detail"]
                break
    found = real_audit[(real_audit["check"] == "cross_denominator")
                       & (real_audit["status"] == "review_and_source_disagree")]
    assert len(found) == expected


def test_review_percentages_without_denominator_are_tried_on_cited_counts(
    real_audit: pd.DataFrame,
) -> None:
    from thyroid_evidence.audit import grim

    evidence = load_evidence()
    outcomes = evidence.outcomes
    lone = outcomes[(outcomes["source_id"] == "review") & (outcomes["unit"] == "percent")
                    & (outcomes["statistic"] == "proportion") & outcomes["time_months"].isna()
                    & outcomes["denominator"].isna()]
    for _, row in lone.iterrows():
        text = f"{row['value']:.{int(row['decimals'])}f}"
        fits = [(n, source) for n, unit, source in _source_counts(evidence, row["series_id"])
                if unit == row["unit_of_analysis"] and grim(text, n).status == "consistent"]
        if fits:
            found = _find(real_audit, "cross_denominator", row["outcome_id"])
            assert found["status"] == "consistent"
            n, source = fits[0]
            assert f"on the {n} " in found["detail"]
            assert f"of the primary paper ({source})" in found["detail"]


def test_real_evidence_partition_failure_names_implied_denominators(
    real_audit: pd.DataFrame,
) -> None:
    partitions = real_audit[
        (real_audit["check"] == "partition") & (real_audit["status"] == "inconsistent")
    ]
    assert not partitions.empty
    # every failing partition either names denominators that work or says none does
    for detail in partitions["detail"]:
        assert "taken as parts of one whole they fit" in detail
