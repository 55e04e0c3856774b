"""Tests for thyroid_evidence.staging: Table 2 of the review as data and as rules."""

from __future__ import annotations

import dataclasses
import doctest
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from thyroid_evidence import load_evidence, staging
from thyroid_evidence.config import review_text_path
from thyroid_evidence.staging import (
    FIELD_NAMES,
    PatientFeatures,
    ata_risk,
    criteria_from_table,
    stratify,
    tnm_risk_group,
)

# A papillary cancer meeting every low-risk condition, everything else unknown.
BASE = dict(
    histology="papillary",
    aggressive_variant=False,
    extrathyroidal_extension="none",
    complete_resection=True,
    vascular_invasion_foci=0,
    clinical_n1=False,
    pathologic_n1_count=0,
    distant_metastases=False,
    rai_avid_foci="not_given",
    tg_suggests_distant_metastases=False,
)
PTC_LOW = (
    "ata_low_ptc",
    "ata_low_ptc_no_metastases",
    "ata_low_ptc_macroscopic_tumor_resected",
    "ata_low_ptc_no_locoregional_invasion",
    "ata_low_ptc_no_aggressive_histology",
    "ata_low_ptc_no_rai_avid_foci_outside_bed",
    "ata_low_ptc_no_vascular_invasion",
    "ata_low_ptc_n0_or_micrometastases",
)
FTC_MINIMAL = dict(BASE, histology="follicular", capsular_invasion=True)
GAP = "No row of Table 2 places this patient"


def patient(**changes) -> PatientFeatures:
    return PatientFeatures(**{**BASE, **changes})


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


@pytest.fixture(scope="module")
def table(evidence) -> pd.DataFrame:
    return evidence.risk_stratification


# --------------------------------------------------------------------------- the CSV


def test_one_row_per_table_2_line(table):
    counts = table.groupby(["system", "level"]).size().to_dict()
    assert counts == {
        ("ata", "low"): 11,
        ("ata", "intermediate"): 6,
        ("ata", "high"): 6,
        ("tnm", "very_low"): 1,
        ("tnm", "low"): 1,
        ("tnm", "high"): 1,
    }
    for _, rows in table.groupby(["system", "level"]):
        assert list(rows["position"]) == list(range(1, len(rows) + 1))
    assert set(table["location"]) == {"Table 2"}


def test_quotes_criteria_and_footnotes_occur_in_the_review():
    path = review_text_path()
    if path is None:
        pytest.skip("review text not found: set THYROID_EVIDENCE_SOURCE")
    text = re.sub(r"\s+", " ", path.read_text(encoding="utf-8"))
    rows = load_evidence().risk_stratification
    absent = []
    for _, row in rows.iterrows():
        for column in ("quote", "criterion", "footnote"):
            value = row[column]
            if value is not None and re.sub(r"\s+", " ", value) not in text:
                absent.append(f"{row['criterion_id']}.{column}: {value!r}")
    assert absent == []


def test_footnotes_are_attached_to_the_rows_that_carry_them(table):
    by_id = table.set_index("criterion_id")
    assert by_id.loc["tnm_very_low", "criterion"].startswith("Very low risk-group*:")
    assert by_id.loc["tnm_very_low", "footnote"].startswith(
        "*, radioiodine is indicated in cases of multifocality"
    )
    for cid, start in (("tnm_low", "Low-risk group**:"), ("tnm_high", "High-risk**:")):
        assert by_id.loc[cid, "criterion"].startswith(start)
        assert by_id.loc[cid, "footnote"] == "**, RIT is indicated"
    assert table.loc[table["system"] == "ata", "footnote"].isna().all()


def test_every_rule_compiles_and_lists_the_fields_it_reads(table):
    criteria = criteria_from_table(table)
    assert len(criteria) == 26
    for c, declared in zip(criteria, table["fields"], strict=True):
        assert tuple(declared.split()) == c.fields, c.criterion_id
    read = {name for c in criteria for name in c.fields}
    # extranodal_extension is recorded but no Table 2 line reads it (see the module notes).
    assert set(FIELD_NAMES) - read == {"extranodal_extension"}


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("rule", "histology == 'squamous'", "histology compares with 'squamous'; allowed: "),
        ("rule", "stage == 'I'", "'stage' is not a PatientFeatures field"),
        ("rule", "__import__('os').system('true')", "is not a comparison, and/or/not"),
        ("rule", "histology == 'papillary' and", "not a valid expression"),
        ("rule", "1 < vascular_invasion_foci < 4", "use one comparison at a time"),
        ("rule", "vascular_invasion_foci > True", "allowed: a number"),
        ("rule", "braf_v600e > False", "allowed: True, False with ==, !="),
        ("rule", "histology is 'papillary'", "'is' / 'is not' compare with None only"),
        ("rule", "histology == histology", "is not a constant"),
        ("rule", "", "the rule is empty"),
        ("fields", "histology braf_v600e", "fields='histology braf_v600e' but the rule reads"),
        ("level", "medium", "level='medium'; allowed for ata: low, intermediate, high"),
        ("system", "who", "system='who'; allowed: ata, tnm"),
    ],
)
def test_bad_rows_are_rejected_naming_the_criterion(table, column, value, message):
    bad = table.copy()
    bad.loc[bad["criterion_id"] == "ata_low_ptc", column] = value
    with pytest.raises(ValueError, match="criterion 'ata_low_ptc'") as info:
        criteria_from_table(bad)
    assert message in str(info.value)


def test_missing_column_and_missing_level_are_rejected(table):
    with pytest.raises(ValueError, match="missing column\\(s\\): rule"):
        criteria_from_table(table.drop(columns="rule"))
    no_high = table[table["criterion_id"] != "tnm_high"]
    with pytest.raises(ValueError, match="no tnm row for level 'high'"):
        tnm_risk_group(patient(), evidence=no_high)


def test_rules_and_texts_come_from_the_data(table):
    edited = table.copy()
    n1 = edited["criterion_id"] == "ata_intermediate_n1"
    edited.loc[n1, "rule"] = "clinical_n1 == True or (pathologic_n1_count > 4 and " \
                             "largest_node_cm < 3)"
    edited.loc[n1, "criterion"] = "EDITED nodal line"
    five_micro = patient(pathologic_n1_count=5, largest_node_cm=0.1)
    assert ata_risk(five_micro).level == "low"
    result = ata_risk(five_micro, evidence=edited)
    assert (result.level, result.criteria) == ("intermediate", ("ata_intermediate_n1",))
    assert "EDITED nodal line [ata_intermediate_n1]" in result.explain()


def test_evidence_object_dataframe_and_default_agree(evidence, table):
    p = patient(extrathyroidal_extension="microscopic")
    assert ata_risk(p) == ata_risk(p, evidence=evidence) == ata_risk(p, evidence=table)
    with pytest.raises(TypeError, match="evidence must be None, an Evidence"):
        ata_risk(p, evidence="evidence/")


# --------------------------------------------------------------------------- PatientFeatures


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("histology", "squamous",
         "allowed: papillary, follicular, medullary, anaplastic, hurthle, poorly_differentiated"),
        ("t_category", "T9", "allowed: T1a, T1b, T2, T3a, T3b, T4a, T4b or None"),
        ("n_category", "N2", "allowed: N0, N1, N1a, N1b or None"),
        ("m_category", "MX", "allowed: M0, M1 or None"),
        ("extrathyroidal_extension", "minimal", "allowed: none, microscopic, gross or None"),
        ("rai_avid_foci", "lungs", "allowed: not_given, none, thyroid_bed, neck, distant"),
        ("histology", 1, "allowed: papillary"),
        ("pathologic_n1_count", -1, "allowed: a whole number >= 0"),
        ("vascular_invasion_foci", -2, "allowed: a whole number >= 0"),
        ("vascular_invasion_foci", 2.5, "allowed: a whole number >= 0"),
        ("pathologic_n1_count", "3", "allowed: a whole number >= 0"),
        ("pathologic_n1_count", True, "allowed: a whole number >= 0"),
        ("pathologic_n1_count", math.inf, "allowed: a whole number >= 0"),
        ("largest_node_cm", 0, "allowed: a size in cm > 0"),
        ("largest_node_cm", -0.5, "allowed: a size in cm > 0"),
        ("largest_node_cm", math.inf, "allowed: a size in cm > 0"),
        ("distant_metastases", 1, "allowed: True, False or None"),
        ("braf_v600e", "yes", "allowed: True, False or None"),
    ],
)
def test_invalid_values_name_the_field_and_the_allowed_values(name, value, allowed):
    with pytest.raises(ValueError) as info:
        PatientFeatures(**{name: value})
    message = str(info.value)
    assert message.startswith(f"{name}={value!r} is not allowed; ")
    assert allowed in message


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (dict(distant_metastases=False, m_category="M1"),
         "distant_metastases=False contradicts m_category='M1'"),
        (dict(distant_metastases=True, m_category="M0"),
         "distant_metastases=True contradicts m_category='M0'"),
        (dict(rai_avid_foci="distant", distant_metastases=False),
         "rai_avid_foci='distant' contradicts distant_metastases=False"),
        (dict(rai_avid_foci="distant", m_category="M0"),
         "rai_avid_foci='distant' contradicts m_category='M0'"),
        (dict(pathologic_n1_count=0, largest_node_cm=1.0),
         "largest_node_cm=1.0 contradicts pathologic_n1_count=0"),
        (dict(pathologic_n1_count=0, extranodal_extension=True),
         "extranodal_extension=True contradicts pathologic_n1_count=0"),
        (dict(n_category="N0", pathologic_n1_count=3),
         "n_category='N0' contradicts pathologic_n1_count=3"),
        (dict(n_category="N0", clinical_n1=True), "n_category='N0' contradicts clinical_n1=True"),
        (dict(n_category="N1a", clinical_n1=False, pathologic_n1_count=0),
         "n_category='N1a' contradicts pathologic_n1_count=0"),
        (dict(extrathyroidal_extension="gross", t_category="T2"),
         "extrathyroidal_extension='gross' contradicts t_category='T2'"),
        (dict(extrathyroidal_extension="microscopic", t_category="T4a"),
         "extrathyroidal_extension='microscopic' contradicts t_category='T4a'"),
        (dict(microcarcinoma=True, t_category="T1b"),
         "microcarcinoma=True contradicts t_category='T1b'"),
        (dict(microcarcinoma=False, t_category="T1a"),
         "microcarcinoma=False contradicts t_category='T1a'"),
        (dict(encapsulated_follicular_variant=True, histology="follicular"),
         "encapsulated_follicular_variant=True contradicts histology='follicular'"),
    ],
)
def test_contradictory_fields_are_rejected(features, message):
    with pytest.raises(ValueError) as info:
        PatientFeatures(**features)
    assert str(info.value).startswith(message)


def test_values_are_normalised():
    p = PatientFeatures(
        histology="papillary",
        multifocal=np.bool_(True),
        pathologic_n1_count=np.int64(3),
        vascular_invasion_foci=2.0,
        largest_node_cm=1,
        braf_v600e=float("nan"),
        t_category=pd.NA,
    )
    assert p.multifocal is True
    assert p.pathologic_n1_count == 3 and type(p.pathologic_n1_count) is int
    assert p.vascular_invasion_foci == 2 and type(p.vascular_invasion_foci) is int
    assert p.largest_node_cm == 1.0 and type(p.largest_node_cm) is float
    assert p.braf_v600e is None and p.t_category is None
    assert p.known() == {"histology": "papillary", "multifocal": True, "vascular_invasion_foci": 2,
                         "pathologic_n1_count": 3, "largest_node_cm": 1.0}


def test_patient_features_are_frozen_and_from_dict_checks_keys():
    p = PatientFeatures.from_dict({"histology": "follicular"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.histology = "papillary"
    with pytest.raises(ValueError, match=r"unknown PatientFeatures field\(s\): 'stage'; "
                                         r"allowed: histology, aggressive_variant, "):
        PatientFeatures.from_dict({"histology": "papillary", "stage": "I"})
    with pytest.raises(TypeError, match="p must be a PatientFeatures or a mapping"):
        ata_risk(42)
    assert ata_risk(BASE) == ata_risk(PatientFeatures(**BASE))


# --------------------------------------------------------------------------- ATA rows


def test_low_risk_papillary_cancer_lists_the_header_and_every_condition():
    result = ata_risk(patient())
    assert result.level == "low"
    assert result.criteria == PTC_LOW
    assert result.missing == () and result.possible_levels == ("low",)
    assert result.notes == ()
    # Fields no low-risk decision needs stay unknown in BASE.
    for name in ("braf_v600e", "multifocal", "microcarcinoma", "capsular_invasion",
                 "encapsulated_follicular_variant", "extranodal_extension", "t_category"):
        assert getattr(patient(), name) is None


@pytest.mark.parametrize(
    ("changes", "criterion_id"),
    [
        (dict(extrathyroidal_extension="gross"), "ata_high_macroscopic_invasion"),
        (dict(complete_resection=False), "ata_high_incomplete_resection"),
        (dict(distant_metastases=True), "ata_high_distant_metastases"),
        (dict(distant_metastases=None, m_category="M1"), "ata_high_distant_metastases"),
        (dict(distant_metastases=None, rai_avid_foci="distant"), "ata_high_distant_metastases"),
        (dict(tg_suggests_distant_metastases=True), "ata_high_tg_distant_metastases"),
        (dict(pathologic_n1_count=2, largest_node_cm=3.5), "ata_high_pn1_node_3cm"),
        (dict(FTC_MINIMAL, vascular_invasion_foci=7), "ata_high_ftc_extensive_vascular_invasion"),
        (dict(extrathyroidal_extension=None, t_category="T4a"), "ata_high_macroscopic_invasion"),
    ],
)
def test_each_high_risk_row(changes, criterion_id):
    result = ata_risk(patient(**changes))
    assert (result.level, result.criteria, result.missing) == ("high", (criterion_id,), ())


def test_one_high_row_is_enough_whatever_is_unknown():
    result = ata_risk(PatientFeatures(distant_metastases=True))
    assert (result.level, result.criteria) == ("high", ("ata_high_distant_metastases",))
    assert result.notes == ("histology is unknown: the level assumes a differentiated thyroid "
                            "cancer, the scope of Table 2.",)
    several = ata_risk(patient(complete_resection=False, tg_suggests_distant_metastases=True))
    assert several.criteria == ("ata_high_incomplete_resection", "ata_high_tg_distant_metastases")


@pytest.mark.parametrize(
    ("changes", "criterion_id"),
    [
        (dict(extrathyroidal_extension="microscopic"), "ata_intermediate_microscopic_invasion"),
        (dict(rai_avid_foci="neck"), "ata_intermediate_rai_avid_neck"),
        (dict(aggressive_variant=True), "ata_intermediate_aggressive_histology"),
        (dict(vascular_invasion_foci=1), "ata_intermediate_ptc_vascular_invasion"),
        (dict(clinical_n1=True), "ata_intermediate_n1"),
        (dict(clinical_n1=True, pathologic_n1_count=2, largest_node_cm=0.5),
         "ata_intermediate_n1"),
        (dict(pathologic_n1_count=8, largest_node_cm=1.0), "ata_intermediate_n1"),
        (dict(FTC_MINIMAL, vascular_invasion_foci=2, aggressive_variant=True),
         "ata_intermediate_aggressive_histology"),
    ],
)
def test_each_intermediate_risk_row(changes, criterion_id):
    result = ata_risk(patient(**changes))
    assert (result.level, result.criteria, result.missing) == ("intermediate", (criterion_id,), ())


@pytest.mark.parametrize(
    ("braf", "multifocal", "expected"),
    [
        (True, True, ("ata_intermediate_microscopic_invasion",
                      "ata_intermediate_multifocal_microcarcinoma")),
        # "BRAFV600E mutated (if known)": unknown status does not stop the row.
        (None, True, ("ata_intermediate_microscopic_invasion",
                      "ata_intermediate_multifocal_microcarcinoma")),
        (False, True, ("ata_intermediate_microscopic_invasion",)),
        (True, False, ("ata_intermediate_microscopic_invasion",)),
    ],
)
def test_multifocal_microcarcinoma_with_extension(braf, multifocal, expected):
    result = ata_risk(patient(microcarcinoma=True, multifocal=multifocal, braf_v600e=braf,
                              extrathyroidal_extension="microscopic"))
    assert (result.level, result.criteria) == ("intermediate", expected)


def test_intermediate_and_high_rows_together_give_high():
    result = ata_risk(patient(extrathyroidal_extension="microscopic", distant_metastases=True))
    assert (result.level, result.criteria) == ("high", ("ata_high_distant_metastases",))


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (dict(encapsulated_follicular_variant=True), PTC_LOW + ("ata_low_encapsulated_fvptc",)),
        (dict(microcarcinoma=True, multifocal=True, braf_v600e=True),
         PTC_LOW + ("ata_low_papillary_microcarcinoma",)),
        (dict(microcarcinoma=None, t_category="T1a"),
         PTC_LOW + ("ata_low_papillary_microcarcinoma",)),
        (dict(FTC_MINIMAL, vascular_invasion_foci=3), ("ata_low_ftc_minimal_vascular_invasion",)),
        (dict(FTC_MINIMAL, vascular_invasion_foci=0), ("ata_low_ftc_minimal_vascular_invasion",)),
    ],
)
def test_each_low_risk_description(changes, expected):
    result = ata_risk(patient(**changes))
    assert (result.level, result.criteria) == ("low", expected)


def test_microcarcinoma_with_nodes_is_not_intra_thyroidal_but_can_be_low_as_ptc():
    result = ata_risk(patient(microcarcinoma=True, pathologic_n1_count=2, largest_node_cm=0.1))
    assert (result.level, result.criteria) == ("low", PTC_LOW)
    check = {c.criterion_id: c.holds for c in result.checks}
    assert check["ata_low_papillary_microcarcinoma"] is False


# --------------------------------------------------------------------------- boundaries


@pytest.mark.parametrize(
    ("count", "level", "criteria"),
    [(5, "low", PTC_LOW), (6, "intermediate", ("ata_intermediate_n1",))],
)
def test_boundary_five_versus_six_pathologic_nodes(count, level, criteria):
    result = ata_risk(patient(pathologic_n1_count=count, largest_node_cm=0.1))
    assert (result.level, result.criteria) == (level, criteria)


@pytest.mark.parametrize(
    ("count", "size", "level", "criteria"),
    [
        (6, 2.99, "intermediate", ("ata_intermediate_n1",)),
        (6, 3.0, "high", ("ata_high_pn1_node_3cm",)),
        (1, 3.0, "high", ("ata_high_pn1_node_3cm",)),
    ],
)
def test_boundary_three_centimetre_node(count, size, level, criteria):
    result = ata_risk(patient(pathologic_n1_count=count, largest_node_cm=size))
    assert (result.level, result.criteria) == (level, criteria)


def test_boundary_micrometastasis_below_0_2_cm():
    below = ata_risk(patient(pathologic_n1_count=3, largest_node_cm=0.19))
    assert (below.level, below.criteria) == ("low", PTC_LOW)
    # 0.2 cm is not a micro-metastasis ("<0.2 cm"); with 1-5 nodes and clinical N0 no row of
    # Table 2 fits: neither low, nor ">5 pathologic N1" / "Clinical N1", nor ">=3 cm".
    at = ata_risk(patient(pathologic_n1_count=3, largest_node_cm=0.2))
    assert (at.level, at.possible_levels, at.missing, at.criteria) == (
        "indeterminate", (), (), ())
    assert at.notes[0].startswith(GAP)
    assert "'clinical N0 or ≤5 pathologic N1 micro-metastases (0.2 cm in largest dimension)'" \
        in at.notes[0]
    assert "largest_node_cm=0.2" in at.notes[0]
    assert "Table 2 places this patient in no level" in at.explain()


@pytest.mark.parametrize(
    ("foci", "level", "criteria"),
    [
        (3, "low", ("ata_low_ftc_minimal_vascular_invasion",)),
        (4, "indeterminate", ()),
        (5, "high", ("ata_high_ftc_extensive_vascular_invasion",)),
    ],
)
def test_boundary_four_foci_of_vascular_invasion_in_ftc(foci, level, criteria):
    result = ata_risk(patient(**dict(FTC_MINIMAL, vascular_invasion_foci=foci)))
    assert (result.level, result.criteria) == (level, criteria)
    if foci == 4:  # "<4 foci" is low, ">4 foci" is high: exactly 4 is a gap of the table
        assert result.possible_levels == () and result.missing == ()
        assert "vascular_invasion_foci < 4 (vascular_invasion_foci=4)" in result.notes[0]
    assert (result.in_gap, result.out_of_scope) == (foci == 4, False)


def test_ftc_without_capsular_invasion_is_not_the_minimal_ftc_row():
    result = ata_risk(patient(**dict(FTC_MINIMAL, capsular_invasion=False,
                                     vascular_invasion_foci=2)))
    assert (result.level, result.possible_levels) == ("indeterminate", ())
    assert "capsular_invasion == True (capsular_invasion=False)" in result.notes[0]


@pytest.mark.parametrize(("foci", "level"), [(0, "low"), (1, "intermediate")])
def test_boundary_any_vascular_invasion_in_ptc(foci, level):
    assert ata_risk(patient(vascular_invasion_foci=foci)).level == level


# --------------------------------------------------------------------------- unknowns


@pytest.mark.parametrize(
    ("name", "possible", "missing"),
    [
        ("histology", ("low",), ("histology",)),
        ("aggressive_variant", ("low", "intermediate"), ("aggressive_variant",)),
        ("extrathyroidal_extension", ("low", "intermediate", "high"),
         ("extrathyroidal_extension",)),
        ("complete_resection", ("low", "high"), ("complete_resection",)),
        ("vascular_invasion_foci", ("low", "intermediate"), ("vascular_invasion_foci",)),
        ("clinical_n1", ("low", "intermediate"), ("clinical_n1",)),
        # Knowing the node size alone already rules out ">=3 cm", hence it is listed too.
        ("pathologic_n1_count", ("low", "intermediate", "high"),
         ("pathologic_n1_count", "largest_node_cm")),
        ("distant_metastases", ("low", "high"), ("distant_metastases",)),
        ("rai_avid_foci", ("low", "intermediate"), ("rai_avid_foci",)),
        ("tg_suggests_distant_metastases", ("low", "high"), ("tg_suggests_distant_metastases",)),
    ],
)
def test_each_unknown_low_risk_field_leaves_it_indeterminate(name, possible, missing):
    result = ata_risk(patient(**{name: None}))
    assert (result.level, result.possible_levels, result.missing) == (
        "indeterminate", possible, missing)
    # Tg is not one of the low-risk conditions: the papillary description still holds in full.
    assert result.criteria == (PTC_LOW if name == "tg_suggests_distant_metastases" else ())
    lines = result.explain().splitlines()
    assert lines[0].endswith(f"indeterminate (still possible: {', '.join(possible)})")
    assert f"Unknown fields that could change the answer: {', '.join(missing)}" in lines


def test_unknown_rai_scan_suggests_not_given():
    result = ata_risk(patient(rai_avid_foci=None))
    assert result.notes == ("rai_avid_foci is unknown; use 'not_given' when no radioiodine "
                            "therapy was given (the low-risk condition starts 'If RIT is given').",)


def test_intermediate_fired_but_high_still_open():
    result = ata_risk(patient(extrathyroidal_extension="microscopic", distant_metastases=None))
    assert result.level == "indeterminate"
    assert result.possible_levels == ("intermediate", "high")
    assert result.criteria == ("ata_intermediate_microscopic_invasion",)
    assert result.missing == ("distant_metastases",)
    assert "Rows that already hold:" in result.explain()


def test_node_count_known_size_unknown():
    result = ata_risk(patient(pathologic_n1_count=6))
    assert (result.possible_levels, result.missing) == (("intermediate", "high"),
                                                        ("largest_node_cm",))


def test_nothing_known():
    result = ata_risk(PatientFeatures())
    assert result.level == "indeterminate"
    assert result.possible_levels == ("low", "intermediate", "high")
    assert result.criteria == ()
    for name in ("histology", "distant_metastases", "complete_resection",
                 "extrathyroidal_extension", "tg_suggests_distant_metastases"):
        assert name in result.missing
    # Fields that only matter once another is known are not listed yet.
    assert "braf_v600e" not in result.missing


def test_derived_values_fill_unknown_fields():
    by_m = ata_risk(patient(distant_metastases=None, m_category="M0"))
    assert by_m.level == "low"
    by_n = ata_risk(patient(clinical_n1=None, pathologic_n1_count=None, n_category="N0"))
    assert by_n.level == "low"


# --------------------------------------------------------------------------- scope


@pytest.mark.parametrize("histology", ["medullary", "anaplastic", "poorly_differentiated"])
def test_histologies_outside_table_2(histology):
    for result in (ata_risk(patient(histology=histology, distant_metastases=True)),
                   tnm_risk_group(PatientFeatures(histology=histology, t_category="T4a"))):
        assert (result.level, result.possible_levels, result.criteria) == (
            "indeterminate", (), ())
        assert result.notes == (
            f"Table 2 stratifies differentiated thyroid cancer; histology='{histology}' is "
            "outside it (in scope: papillary, follicular, hurthle).",)
        assert (result.out_of_scope, result.in_gap) == (True, False)


def test_hurthle_cell_cancer_has_no_low_risk_description():
    high = ata_risk(patient(histology="hurthle", distant_metastases=True))
    assert high.level == "high"
    clean = ata_risk(patient(histology="hurthle"))
    assert (clean.level, clean.possible_levels) == ("indeterminate", ())
    assert clean.notes[1].startswith("Table 2's low-risk descriptions name PTC and FTC only")
    assert (clean.in_gap, clean.out_of_scope, high.in_gap) == (True, False, False)


# --------------------------------------------------------------------------- TNM


@pytest.mark.parametrize(
    ("t", "n", "m", "level"),
    [
        ("T1a", "N0", "M0", "very_low"),
        ("T1b", "N0", "M0", "low"),
        ("T2", "N0", "M0", "low"),
        ("T3a", "N0", "M0", "high"),
        ("T3b", "N0", "M0", "high"),
        ("T4a", "N0", "M0", "high"),
        ("T4b", "N0", "M0", "high"),
        ("T1a", "N1", "M0", "high"),
        ("T1a", "N1a", "M0", "high"),
        ("T2", "N1b", "M0", "high"),
        ("T1a", "N0", "M1", "high"),
        (None, "N1b", None, "high"),
        (None, None, "M1", "high"),
    ],
)
def test_tnm_groups(t, n, m, level):
    result = tnm_risk_group(PatientFeatures(histology="papillary", t_category=t, n_category=n,
                                            m_category=m))
    assert (result.level, result.criteria, result.missing) == (level, (f"tnm_{level}",), ())


def test_tnm_footnotes_are_notes():
    very_low = tnm_risk_group(PatientFeatures(histology="papillary", t_category="T1a",
                                              n_category="N0", m_category="M0", multifocal=True))
    assert very_low.notes == (
        "Footnote *, radioiodine is indicated in cases of multifocality, infiltration of the "
        "thyroid gland, PTC variant; low degree of differentiation; tumor diameter 6–10 mm",
        "This patient's tumour is multifocal, one of the cases footnote * names.",
    )
    low = tnm_risk_group(PatientFeatures(histology="follicular", t_category="T2",
                                         n_category="N0", m_category="M0"))
    assert low.notes == ("Footnote **, RIT is indicated",)
    high = tnm_risk_group(PatientFeatures(t_category="T3a", n_category="N0", m_category="M0"))
    assert high.notes == ("Footnote **, RIT is indicated",
                          "histology is unknown: the group assumes a differentiated thyroid "
                          "cancer, the scope of Table 2.")


@pytest.mark.parametrize(
    ("features", "possible", "missing"),
    [
        (dict(t_category="T1a", n_category="N0"), ("very_low", "high"), ("m_category",)),
        (dict(t_category="T2", m_category="M0"), ("low", "high"), ("n_category",)),
        (dict(n_category="N0", m_category="M0"), ("very_low", "low", "high"), ("t_category",)),
        ({}, ("very_low", "low", "high"), ("t_category", "n_category", "m_category")),
    ],
)
def test_tnm_unknowns(features, possible, missing):
    result = tnm_risk_group(PatientFeatures(histology="papillary", **features))
    assert (result.level, result.possible_levels, result.missing, result.notes) == (
        "indeterminate", possible, missing, ())


def test_tnm_reads_clinical_fields_through_derived_categories():
    result = tnm_risk_group(patient(t_category="T1b"))  # BASE: cN0, 0 nodes, no metastases
    assert (result.level, result.criteria) == ("low", ("tnm_low",))


# --------------------------------------------------------------------------- display


def test_explain_and_str():
    result = ata_risk(patient(distant_metastases=True))
    assert str(result) == result.explain() == (
        "ATA risk of structural disease recurrence (Table 2 of the review): high\n"
        "Decided by:\n"
        "  - Distant metastases [ata_high_distant_metastases]\n"
        "Research and teaching material, not clinical decision support."
    )


def test_repr_html_escapes_the_printed_text():
    result = ata_risk(patient(**dict(FTC_MINIMAL, vascular_invasion_foci=1)))
    page = result._repr_html_()
    assert "no or minimal (&lt;4 foci) vascular invasion" in page
    assert "(<4 foci)" not in page
    assert "<code>low</code>" in page
    assert "<em>Research and teaching material, not clinical decision support.</em>" in page


def test_summary_frame_lists_every_row_and_what_decided():
    result = ata_risk(patient(pathologic_n1_count=6))
    frame = result.summary_frame()
    assert list(frame.columns) == ["criterion_id", "level", "criterion", "holds", "decisive",
                                   "unknown"]
    assert len(frame) == 23 and str(frame["holds"].dtype) == "boolean"
    row = frame.set_index("criterion_id").loc["ata_high_pn1_node_3cm"]
    assert pd.isna(row["holds"]) and row["unknown"] == "largest_node_cm"
    assert result.criterion_text("ata_intermediate_n1").startswith("Clinical N1 or >5")
    with pytest.raises(ValueError, match="criterion_id='tnm_low' is not a ata row"):
        result.criterion_text("tnm_low")


def test_stratify_several_patients():
    frame = stratify({
        "A": BASE,
        "B": PatientFeatures(histology="papillary", t_category="T1a", n_category="N0",
                             m_category="M0", distant_metastases=False),
    })
    assert list(frame["patient"]) == ["A", "B"]
    assert list(frame["ata_level"]) == ["low", "indeterminate"]
    assert frame.loc[0, "ata_criteria"] == ", ".join(PTC_LOW)
    assert list(frame["tnm_level"]) == ["indeterminate", "very_low"]
    assert frame.loc[0, "tnm_missing"] == "t_category"
    flags = ["ata_in_gap", "ata_out_of_scope", "tnm_in_gap", "tnm_out_of_scope"]
    assert not frame[flags].to_numpy().any()
    edge = stratify({
        "gap": dict(FTC_MINIMAL, vascular_invasion_foci=4),
        "mtc": {"histology": "medullary", "t_category": "T4a"},
    })
    assert edge[flags].to_numpy().tolist() == [[True, False, False, False],
                                               [False, True, False, True]]
    with pytest.raises(ValueError, match="patient 'C': t_category='T9' is not allowed"):
        stratify({"C": {"t_category": "T9"}})


@pytest.mark.parametrize("name", ["thyroid_evidence.staging", "thyroid_evidence.staging.rules",
                                  "thyroid_evidence.staging.risk",
                                  "thyroid_evidence.study.staging"])
def test_module_examples_run_as_doctests(name):
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0


def test_science_functions_take_table_2_as_data(evidence, table):
    from thyroid_evidence import study
    from thyroid_evidence.staging import risk

    p = patient(extrathyroidal_extension="microscopic")
    rows = study.criteria_from_table(table)
    assert risk.ata_risk(p, rows) == ata_risk(p, table) == ata_risk(p, evidence)
    for other in (evidence, table):  # an Evidence or a table is read by the study layer
        with pytest.raises(TypeError, match="criteria must be the rows from criteria_from_table"):
            risk.ata_risk(p, other)
    with pytest.raises(TypeError, match="patients must be a mapping"):
        risk.stratify([BASE], rows)
    assert risk.stratify({"A": BASE}, rows).equals(stratify({"A": BASE}, evidence))


def test_the_table_is_read_by_the_study_layer_and_the_science_doctests_need_no_evidence():
    import subprocess
    import sys

    from thyroid_evidence import study

    assert staging.criteria_from_table is study.criteria_from_table
    code = ("import doctest, importlib, sys\n"
            "for name in ('thyroid_evidence.staging', 'thyroid_evidence.staging.rules',\n"
            "             'thyroid_evidence.staging.risk'):\n"
            "    assert doctest.testmod(importlib.import_module(name)).failed == 0, name\n"
            "print(sorted(m for m in sys.modules if m.startswith(('thyroid_evidence.evidence',\n"
            "                                                     'thyroid_evidence.study'))))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_a_row_given_as_values_compiles_as_the_table_row():
    from thyroid_evidence.staging import compile_criterion

    row = compile_criterion("x_high", "ata", "high", 1, "Distant metastases",
                            " distant_metastases == True ", fields=["distant_metastases"])
    assert (row.rule, row.fields, row.footnote) == ("distant_metastases == True",
                                                    ("distant_metastases",), None)
    with pytest.raises(ValueError, match="^criterion 'x': the rule is empty$"):
        compile_criterion("x", "ata", "high", 1, "text", "  ")
    with pytest.raises(TypeError, match="rule must be a str"):
        compile_criterion("x", "ata", "high", 1, "text", None)


# --------------------------------------------------------------------------- properties

ATA_FIELDS = tuple(name for name in FIELD_NAMES
                   if name not in ("t_category", "n_category", "m_category",
                                   "extranodal_extension"))


@st.composite
def fully_known_patients(draw) -> dict:
    """A consistent patient with every field the ATA rows read known."""
    histology = draw(st.sampled_from(["papillary", "follicular", "hurthle"]))
    count = draw(st.sampled_from([0, 1, 3, 5, 6, 9]))
    rai = draw(st.sampled_from(staging.RAI_AVID_FOCI))
    return dict(
        histology=histology,
        aggressive_variant=draw(st.booleans()),
        encapsulated_follicular_variant=draw(st.booleans()) and histology == "papillary",
        microcarcinoma=draw(st.booleans()),
        multifocal=draw(st.booleans()),
        extrathyroidal_extension=draw(st.sampled_from(staging.EXTRATHYROIDAL_EXTENSION)),
        complete_resection=draw(st.booleans()),
        vascular_invasion_foci=draw(st.sampled_from([0, 1, 3, 4, 5, 8])),
        capsular_invasion=draw(st.booleans()),
        clinical_n1=draw(st.booleans()),
        pathologic_n1_count=count,
        largest_node_cm=(draw(st.sampled_from([0.1, 0.19, 0.2, 1.0, 2.99, 3.0, 4.5]))
                         if count else None),
        distant_metastases=True if rai == "distant" else draw(st.booleans()),
        rai_avid_foci=rai,
        braf_v600e=draw(st.booleans()),
        tg_suggests_distant_metastases=draw(st.booleans()),
    )


@settings(max_examples=300, deadline=None)
@given(full=fully_known_patients(), hidden=st.sets(st.sampled_from(ATA_FIELDS)))
def test_ata_never_guesses_and_lists_every_possible_level(full, hidden):
    complete = ata_risk(full)
    # With everything known, Table 2 either decides or has a gap: never "still possible".
    assert complete.decided or complete.possible_levels == ()
    partial = ata_risk({name: (None if name in hidden else value)
                        for name, value in full.items()})
    if partial.decided:
        assert partial.level == complete.level
    elif complete.decided:
        assert complete.level in partial.possible_levels
        assert partial.missing != ()


@settings(max_examples=100, deadline=None)
@given(t=st.sampled_from(staging.T_CATEGORIES), n=st.sampled_from(staging.N_CATEGORIES),
       m=st.sampled_from(staging.M_CATEGORIES),
       hidden=st.sets(st.sampled_from(["t_category", "n_category", "m_category"])))
def test_tnm_never_guesses(t, n, m, hidden):
    full = dict(t_category=t, n_category=n, m_category=m)
    complete = tnm_risk_group(full)
    assert complete.decided  # every T/N/M combination falls in exactly one printed group
    partial = tnm_risk_group({k: (None if k in hidden else v) for k, v in full.items()})
    if partial.decided:
        assert partial.level == complete.level
    else:
        assert complete.level in partial.possible_levels and partial.missing != ()
