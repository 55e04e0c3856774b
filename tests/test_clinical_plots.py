"""Table 1 charts, Table 2 tables, teaching figures: thyroid_evidence.study.clinical and
stratification (the tables) and thyroid_evidence.plotting (the charts)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from tests.conftest import find_line  # noqa: E402
from thyroid_evidence import load_evidence, plotting, study  # noqa: E402
from thyroid_evidence.config import notebooks_dir  # noqa: E402
from thyroid_evidence.plotting import style  # noqa: E402
from thyroid_evidence.proportions import proportion_ci  # noqa: E402
from thyroid_evidence.staging import stratify  # noqa: E402
from thyroid_evidence.vocab import POPULATION_KIND_LABELS  # noqa: E402


@pytest.fixture(scope="module")
def ev():
    return load_evidence()


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


def _bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


LOW_RISK_PTC = {
    "label": "low",
    "histology": "papillary",
    "distant_metastases": False,
    "complete_resection": True,
    "extrathyroidal_extension": "none",
    "aggressive_variant": False,
    "rai_avid_foci": "not_given",
    "vascular_invasion_foci": 0,
    "clinical_n1": False,
    "pathologic_n1_count": 0,
    "tg_suggests_distant_metastases": False,
    "t_category": "T1b",
    "n_category": "N0",
    "m_category": "M0",
}


# --- Table 1 values ------------------------------------------------------------------------


def test_prevalence_rows_are_ranges_in_table_order(ev):
    frame = study.clinical_feature_values("prevalence", ev)
    assert list(frame["histotype"]) == ["papillary", "follicular", "medullary", "anaplastic"]
    assert list(frame["shape"]) == ["range"] * 4
    assert frame.loc[0, ["low", "high"]].tolist() == [80.0, 85.0]
    assert list(frame["printed"]) == ["80–85%", "10–15%", "3–5%", "1–2%"]


def test_open_bounds_and_single_values(ev):
    survival = study.clinical_feature_values("ten_year_survival", ev).set_index("histotype")
    assert survival.loc["anaplastic", "shape"] == "upper_bound"
    assert survival.loc["anaplastic", "high"] == 10.0
    assert pd.isna(survival.loc["anaplastic", "low"])
    assert survival.loc["anaplastic", "printed"] == "<10%"
    # the text's prevalence of distant metastases: each row drawn by what the evidence holds
    distant = study.clinical_feature_values("distant_metastases", ev)
    rows = ev.clinical_features.set_index("feature_id").loc[distant["feature_id"]]
    expected = ["value" if lo == hi else "range" if pd.notna(lo) and pd.notna(hi)
                else "upper_bound" if pd.notna(hi) else "lower_bound"
                for lo, hi in zip(rows["low"], rows["high"], strict=True)]
    assert list(distant["shape"]) == expected
    assert list(distant["printed"]) == list(rows["text"])


def test_at_presentation_comes_from_the_evidence_not_from_the_notes(evidence_copy, edit_cell):
    ev = load_evidence(evidence_copy)
    distant = study.clinical_feature_values("distant_metastases", ev)
    assert distant["at_presentation"].dtype == bool
    assert list(distant["at_presentation"]) == list(
        ev.clinical_features.set_index("feature_id").loc[distant["feature_id"],
                                                          "at_presentation"])
    # flip one row's flag and leave its note as it is: only the flag changes the table
    first = distant["feature_id"].iloc[0]
    line = find_line(evidence_copy, "clinical_features", "feature_id", first)
    edit_cell(evidence_copy, "clinical_features", line, "at_presentation",
              "false" if distant["at_presentation"].iloc[0] else "true")
    flipped = study.clinical_feature_values("distant_metastases", load_evidence(evidence_copy))
    assert flipped["at_presentation"].iloc[0] != distant["at_presentation"].iloc[0]
    assert list(flipped["note"]) == list(distant["note"])
    # an empty flag reads as False
    edit_cell(evidence_copy, "clinical_features", line, "at_presentation", "")
    empty = study.clinical_feature_values("distant_metastases", load_evidence(evidence_copy))
    assert not empty["at_presentation"].iloc[0]


def test_the_old_feature_name_warns_and_gives_the_renamed_feature(ev):
    from thyroid_evidence.exceptions import ThyroidEvidenceWarning

    with pytest.warns(ThyroidEvidenceWarning,
                      match="'distant_metastases_at_presentation' is now 'distant_metastases'"):
        old = study.clinical_feature_values("distant_metastases_at_presentation", ev)
    assert old.equals(study.clinical_feature_values("distant_metastases", ev))


def test_at_presentation_is_claimed_only_where_the_quote_says_so(ev):
    rows = ev.clinical_features
    flagged = rows[rows["at_presentation"]]
    assert len(flagged) >= 1
    assert all("at presentation" in quote for quote in flagged["quote"])


def test_site_rows_keep_the_printed_number_only(ev):
    sites = study.clinical_feature_values("metastatic_site", ev)
    assert len(sites) == 13
    row = sites[(sites["histotype"] == "medullary") & (sites["site"] == "liver")].iloc[0]
    assert (row["printed"], row["low"], row["high"], row["shape"]) == ("49–62%", 49, 62, "range")
    assert (sites["shape"] == "range").sum() == 4


def test_unknown_feature_lists_the_numeric_features(ev):
    with pytest.raises(ValueError, match=r"feature='cell_of_origin' has no numeric rows; "
                                         r"allowed: prevalence, common_age"):
        study.clinical_feature_values("cell_of_origin", ev)


def test_evidence_of_the_wrong_type_is_refused():
    with pytest.raises(TypeError, match="evidence must be an Evidence"):
        study.clinical_feature_values("prevalence", pd.DataFrame())


# --- Table 1 charts ------------------------------------------------------------------------


def test_prevalence_chart_draws_each_range_from_the_evidence(ev):
    ax = plotting.plot_prevalence(study.clinical_feature_values("prevalence", ev))
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Papillary (PTC)", "Follicular (FTC)", "Medullary (MTC)", "Anaplastic (ATC)"]
    spans = [(b.get_x(), b.get_x() + b.get_width()) for b in _bars(ax)]
    assert spans == [(80, 85), (10, 15), (3, 5), (1, 2)]
    assert "80–85%" in _texts(ax)
    assert ax.get_xlim() == (0.0, 100.0)


def test_chart_follows_an_edited_evidence_file(evidence_copy, edit_cell):
    line = find_line(evidence_copy, "clinical_features", "feature_id", "papillary_prevalence")
    edit_cell(evidence_copy, "clinical_features", line, "high", "90")
    edit_cell(evidence_copy, "clinical_features", line, "text", "80–90%")
    ax = plotting.plot_prevalence(
        study.clinical_feature_values("prevalence", load_evidence(evidence_copy)))
    first = _bars(ax)[0]
    assert (first.get_x(), first.get_width()) == (80, 10)
    assert "80–90%" in _texts(ax)


def test_upper_bound_is_a_band_from_zero_with_its_wording(ev):
    ax = plotting.plot_metastases_at_presentation(
        study.clinical_feature_values("distant_metastases", ev))
    bars = _bars(ax)
    assert len(bars) == 1  # MTC only: ATC and DTC are single values
    assert (bars[0].get_x(), bars[0].get_width()) == (0, 25)
    assert bars[0].get_hatch() == "///"
    assert "up to 25% (upper bound)" in _texts(ax)
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert sorted(float(ln.get_xdata()[0]) for ln in dots) == [10.0, 43.0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["single value", "upper bound: the value lies anywhere below the bar"]


def test_ten_year_survival_marks_the_anaplastic_bound(ev):
    ax = plotting.plot_ten_year_survival(study.clinical_feature_values("ten_year_survival", ev))
    assert "<10% (upper bound)" in _texts(ax)
    assert "95–98%" in _texts(ax)


def test_metastatic_sites_chart_has_one_row_per_site_and_histotype_headers(ev):
    ax = plotting.plot_metastatic_sites(study.clinical_feature_values("metastatic_site", ev))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 13
    assert labels[:3] == ["cervical lymph nodes", "lungs", "bones"]
    assert "lung / mediastinum" in labels
    assert {"Papillary (PTC)", "Anaplastic (ATC)"} <= set(_texts(ax))
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert len(dots) == 9
    assert len(_bars(ax)) == 4


def test_plot_feature_ranges_checks_its_inputs(ev):
    frame = study.clinical_feature_values("prevalence", ev)
    with pytest.raises(ValueError, match="frame lacks the column"):
        plotting.plot_feature_ranges(frame.drop(columns="shape"))
    with pytest.raises(ValueError, match="one entry per row"):
        plotting.plot_feature_ranges(frame, labels=["a"])
    bad = frame.assign(shape="blob")
    with pytest.raises(ValueError, match="shape='blob' is not drawable; allowed: range"):
        plotting.plot_feature_ranges(bad)


def test_given_axes_are_used_and_returned(ev):
    fig, (a, b) = plt.subplots(1, 2)
    assert plotting.plot_prevalence(study.clinical_feature_values("prevalence", ev), ax=a) is a
    assert plotting.plot_ten_year_survival(
        study.clinical_feature_values("ten_year_survival", ev), ax=b) is b


# --- Table 2 applied -----------------------------------------------------------------------


def test_patients_by_label():
    out = study.patients_by_label([{"label": "x", "histology": "papillary"}, {"label": "y"}])
    assert out == {"x": {"histology": "papillary"}, "y": {}}
    with pytest.raises(ValueError, match=r"patients\[1\] needs a non-empty string 'label'"):
        study.patients_by_label([{"label": "x"}, {"histology": "papillary"}])
    with pytest.raises(ValueError, match="label 'x' is used twice"):
        study.patients_by_label([{"label": "x"}, {"label": "x"}])
    with pytest.raises(TypeError, match="patients must be a list of dicts; got dict"):
        study.patients_by_label({"label": "x"})
    with pytest.raises(ValueError, match=r"patients\[0\] \('x'\): histology='thyroid' is not "
                                         r"allowed; allowed: papillary"):
        study.patients_by_label([{"label": "x", "histology": "thyroid"}])
    with pytest.raises(ValueError, match=r"patients\[0\] \('x'\): .*t_stage"):
        study.patients_by_label([{"label": "x", "t_stage": "T1"}])


def test_stratification_table_names_the_rows_that_hold(ev):
    patients = [
        LOW_RISK_PTC,
        {"label": "mtc", "histology": "medullary"},
        {"label": "unknown", "t_category": "T1a"},
    ]
    table = study.stratification_table(stratify(study.patients_by_label(patients), ev), ev)
    assert list(table.columns) == ["patient", "system", "level", "criteria_met",
                                   "criterion_ids", "missing", "notes", "in_gap",
                                   "out_of_scope"]
    assert list(table["system"]) == ["ATA", "TNM"] * 3
    low_ata, low_tnm = table.iloc[0], table.iloc[1]
    assert low_ata["level"] == "low"
    assert low_ata["criteria_met"].startswith(
        "Papillary thyroid cancer (with all of the following); No local or distant metastases;")
    assert low_ata["criterion_ids"].split(", ")[0] == "ata_low_ptc"
    assert low_ata["notes"] == ""
    assert low_tnm["level"] == "low"
    assert low_tnm["criteria_met"] == "Low-risk group**: pT1b, pT2, cN0/pN0, cM0"
    assert low_tnm["notes"] == "Footnote **, RIT is indicated"
    mtc = table[table["patient"] == "mtc"]
    assert list(mtc["level"]) == ["indeterminate", "indeterminate"]
    assert all("outside it" in note and " / " not in note for note in mtc["notes"])
    unknown_tnm = table[(table["patient"] == "unknown") & (table["system"] == "TNM")].iloc[0]
    assert unknown_tnm["missing"] == "n_category, m_category"


def test_very_low_tnm_group_is_written_with_a_space(ev):
    patient = {"label": "tiny", "histology": "papillary", "t_category": "T1a",
               "n_category": "N0", "m_category": "M0", "multifocal": True}
    table = study.stratification_table(stratify(study.patients_by_label([patient]), ev), ev)
    tnm = table.iloc[1]
    assert tnm["level"] == "very low"
    assert tnm["notes"].startswith("Footnote *, radioiodine is indicated in cases of")
    assert "multifocal" in tnm["notes"]


def test_stratification_table_refuses_other_frames(ev):
    with pytest.raises(ValueError, match="stratified lacks the column"):
        study.stratification_table(pd.DataFrame({"patient": ["a"]}), ev)
    frame = stratify({"a": {"histology": "papillary"}}, ev).assign(ata_criteria="no_such_row")
    with pytest.raises(ValueError, match="no_such_row are not in"):
        study.stratification_table(frame, ev)


def test_plot_stratification_colours_each_cell_by_level(ev):
    patients = [LOW_RISK_PTC, {"label": "meta", "histology": "papillary", "m_category": "M1"}]
    table = study.stratification_table(stratify(study.patients_by_label(patients), ev), ev)
    ax = plotting.plot_stratification(table)
    colours = [matplotlib.colors.to_hex(p.get_facecolor()) for p in _bars(ax)]
    assert colours == [style.LEVEL_COLORS[level].lower()
                       for level in ["low", "low", "high", "high"]]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["low", "meta"]


# --- context and techniques ----------------------------------------------------------------


def test_context_facts_print_comparator_value_and_unit(ev):
    temps = study.context_facts("ablation_temperature", ev)
    assert list(temps["printed"]) == ["≥55 ℃", "around −40 ℃"]
    assert study.context_facts("radioiodine", ev)["printed"].tolist() == ["600 mCi"]
    with pytest.raises(ValueError, match="topic='nope' is not in context.csv; allowed: "
                                         "epidemiology"):
        study.context_facts("nope", ev)


def test_ablation_temperature_chart(ev):
    ax = plotting.plot_ablation_temperatures(study.context_facts("ablation_temperature", ev))
    assert {"≥55 ℃", "around −40 ℃"} <= set(_texts(ax))
    low, high = ax.get_ylim()
    assert low < -40 and high > 55
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"]
    assert [float(ln.get_ydata()[0]) for ln in dots] == [-40.0]


# --- reported proportions ------------------------------------------------------------------


def test_reported_proportions_counts_and_exact_intervals(ev):
    table = study.reported_proportions(
        ["tae_partial_response_count", "bone_complete_treatment", "song_symptom_relief"], ev)
    assert table[["events", "total"]].values.tolist() == [[5, 12], [30, 54], [8, 8]]
    assert list(table["events_basis"]) == ["stated", "from percent", "stated"]
    assert table.loc[1, "reported"] == "55.6%"
    low, high = proportion_ci(30, 54, method="clopper-pearson")
    np.testing.assert_allclose(table.loc[1, ["ci_low", "ci_high"]].astype(float), [low, high])
    assert table.loc[2, "ci_high"] == 1.0
    # exact lower limit for 8 of 8: (alpha / 2) ** (1 / n)
    np.testing.assert_allclose(table.loc[2, "ci_low"], 0.025 ** (1 / 8), rtol=1e-10)


def test_reported_proportions_refuses_unusable_rows(ev, evidence_copy, edit_cell):
    with pytest.raises(ValueError, match="outcome_id='nope' is not in outcomes.csv"):
        study.reported_proportions(["nope"], ev)
    with pytest.raises(ValueError, match="'lung_os_median' is a median without a usable"):
        study.reported_proportions(["lung_os_median"], ev)
    with pytest.raises(ValueError, match="non-empty list"):
        study.reported_proportions("bone_complete_treatment", ev)
    line = find_line(evidence_copy, "outcomes", "outcome_id", "bone_complete_treatment")
    edit_cell(evidence_copy, "outcomes", line, "value", "55.0")
    with pytest.raises(ValueError, match="no count out of 54 gives 55.0%"):
        study.reported_proportions(["bone_complete_treatment"], load_evidence(evidence_copy))


def test_plot_proportions_annotates_counts(ev):
    table = study.reported_proportions(["tae_progressive_disease_count", "song_symptom_relief"], ev)
    ax = plotting.plot_proportions(table, title="Rates")
    assert _texts(ax)[:2] == ["2/12 patients   17% [2–48]", "8/8 patients   100% [63–100]"]
    assert _texts(ax)[2].startswith("Counts and denominators from evidence/outcomes.csv.")
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "tumor response: progressive disease", "symptom relief: pain and neurologic"]
    with pytest.raises(ValueError, match="labels must have one entry per row"):
        plotting.plot_proportions(table, labels=["one"])


# --- the series ----------------------------------------------------------------------------


def test_series_overview_classifies_populations_by_the_evidence_column(evidence_copy,
                                                                       edit_cell):
    ev = load_evidence(evidence_copy)
    table = study.series_overview(ev).set_index("series_id")
    series = ev.series.set_index("series_id")
    assert list(table.index) == list(series.index)
    assert list(table["label"]) == list(series["label"])
    assert list(table["population_kind"]) == [
        POPULATION_KIND_LABELS[kind] for kind in series["population_kind"]]
    assert list(table["n_patients"]) == list(series["n_patients"])
    out = ev.outcomes
    thyroid = out[(out["endpoint"] == "primary_tumor") & (out["category"] == "thyroid")]
    for series_id, share in table["thyroid_share_percent"].items():
        reported = thyroid[thyroid["series_id"] == series_id]["value"]
        assert share == reported.iloc[0] if len(reported) else pd.isna(share)
    # the population's words do not decide: a population text naming thyroid cancer, coded
    # as other primaries, stays other primaries
    edit_cell(evidence_copy, "series", 2, "population", "thyroid cancer lung metastases")
    edit_cell(evidence_copy, "series", 2, "population_kind", "other_primary")
    edited = study.series_overview(load_evidence(evidence_copy))
    assert edited["population_kind"].iloc[0] == "other primary (no thyroid cancer)"
    edit_cell(evidence_copy, "series", 2, "population_kind", "")
    edited = study.series_overview(load_evidence(evidence_copy))
    assert edited["population_kind"].iloc[0] == POPULATION_KIND_LABELS["unspecified"]


def test_series_overview_chart(ev):
    table = study.series_overview(ev)
    ax = plotting.plot_series_overview(table)
    widths = sorted(b.get_width() for b in _bars(ax) if b.get_height() == pytest.approx(0.6))
    # one bar per series (its patients) plus one per series that gives its thyroid share
    shared = table[table["thyroid_share_percent"].notna()]
    assert len(shared) > 0, "the evidence has a mixed series (the lung series' 3% thyroid)"
    expected = [*table["n_patients"],
                *(shared["n_patients"] * shared["thyroid_share_percent"] / 100)]
    assert widths == pytest.approx(sorted(float(w) for w in expected))
    texts = _texts(ax)
    for _, row in ev.series.iterrows():  # follow-up as series.csv words it
        follow_up = row["follow_up"] if isinstance(row["follow_up"], str) else "not reported"
        assert f"follow-up: {follow_up}" in texts, row["series_id"]


# --- the two notebooks that use this module ------------------------------------------------

NOTEBOOKS = ("clinical_context", "teaching_walkthrough")


def _cells(name: str) -> list[dict]:
    import json

    return json.loads((notebooks_dir() / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_thin_with_one_parameters_cell_then_the_check(name):
    import ast

    cells = _cells(name)
    tagged = [i for i, c in enumerate(cells) if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    following = next(c for c in cells[tagged[0] + 1:] if c["cell_type"] == "code")
    assert _source(following).startswith(
        f'run = thyroid_evidence.notebook.check_notebook_parameters("{name}", globals())')
    for cell in cells:
        if cell["cell_type"] == "code":
            tree = ast.parse(_source(cell))
            assert not [n for n in ast.walk(tree)
                        if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)]
    assert "not clinical decision support" in _source(cells[0])
    assert any("# NBVAL_CHECK_OUTPUT" in _source(c) for c in cells if c["cell_type"] == "code")


#: Numbers a notebook may type: 100% (a whole) and arithmetic examples that are no study's result.
TYPED_EXAMPLES = {"data_audit": {"16.66%", "16.67%", "1/6"}, "survival": {"50.0%", "50.05%"}}
ALL_NOTEBOOKS = sorted(p.stem for p in notebooks_dir().glob("*.ipynb"))


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_notebook_types_no_percentage_or_count_from_the_review(name):
    import re

    typed = {
        match.replace(" ", "")
        for cell in _cells(name)
        if "parameters" not in cell["metadata"].get("tags", [])
        for match in re.findall(r"(?<![\d.])\d+(?:[.,]\d+)?\s*%|\b\d+ ?(?:/|of) ?\d+\b",
                                _source(cell))
    }
    allowed = {"100%"} | TYPED_EXAMPLES.get(name, set())
    assert typed <= allowed, f"numbers typed into {name}: {sorted(typed - allowed)}"


def test_walkthrough_answers_are_collapsed():
    cells = _cells("teaching_walkthrough")
    answers = [c for c in cells if "answer" in c["metadata"].get("tags", [])]
    questions = [c for c in cells if _source(c).startswith("> **Check your understanding.**")]
    assert len(questions) >= 8
    assert len([c for c in answers if c["cell_type"] == "markdown"]) == len(questions)
    for cell in answers:
        assert cell["metadata"]["jupyter"]["source_hidden"] is True
        if cell["cell_type"] == "code":
            assert cell["metadata"]["jupyter"]["outputs_hidden"] is True
            assert cell["metadata"]["collapsed"] is True
