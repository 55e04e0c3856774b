"""ATA and TNM risk stratification as printed in Table 2 of the review, with explanations.

**Research and teaching material, not clinical decision support.** The functions here replay
one table of one narrative review so that a class can see which line of the table applies to
a made-up patient and why. They are not a validated implementation of the ATA guideline or of
the AJCC/UICC staging manual and must not be used to make decisions about real patients.

The table lives in ``evidence/risk_stratification.csv`` (one row per line of Table 2, with its
verbatim quote); this package only knows how to compile and combine the rows, which the study
layer reads from the evidence. Each row carries a rule, a small boolean expression over the
fields of :class:`PatientFeatures`.

Rule language
-------------
A rule is a Python-style expression, parsed with :mod:`ast` (never ``eval``) and restricted to:

* comparisons of one field with constants: ``field == 'papillary'``, ``field != False``,
  ``field < 0.2``, ``field >= 1``, ``field in ('T1b', 'T2')``, ``field not in (...)``;
* ``field is None`` / ``field is not None`` (whether the field is known);
* ``and``, ``or``, ``not`` and parentheses.

Names must be :class:`PatientFeatures` fields and constants must be allowed values of the field
they are compared with. A row's declared fields (the table's ``fields`` column) must be the
names the rule reads.

Rules are evaluated in three-valued (Kleene) logic, because every feature may be unknown
(None): a comparison with an unknown field is *unknown*; ``False and unknown`` is False,
``True or unknown`` is True, any other mix with unknown is unknown; ``is None`` is always
known. A row therefore *holds*, *does not hold*, or is *unknown*.

How rows combine
----------------
Rows form *descriptions*: a row together with every row of the same level whose id extends
its id by ``_...`` is one description (the ``and`` of all of them); any other row is a
description of its own. In Table 2 the only multi-row description is the ATA low-risk header
"Papillary thyroid cancer (with all of the following)" (``ata_low_ptc``) with its seven
conditions (``ata_low_ptc_*``). A level's status is the ``or`` of its descriptions.

The level is the most severe one that holds, provided no more severe level is still unknown.
For ATA (:func:`ata_risk`): one high row is enough for high; intermediate needs every high row
known not to hold; low needs a low-risk description known to hold in full *and* every
intermediate and high row known not to hold. The TNM groups (:func:`tnm_risk_group`) combine
the same way, and their footnotes (``*`` and ``**``) are returned as notes.

Otherwise the level is ``"indeterminate"`` with the levels still possible and, in
``missing``, the unknown fields that could narrow them on their own (found by trying every
value that reaches a different branch of the rules; fields that matter only together with
another unknown field show up once that one is known). When every relevant row is known and
none places the patient, the patient falls in a gap of the table: the level is
``"indeterminate"`` with no possible level and no missing field, and the notes say which
low-risk descriptions failed and why.

Derived values
--------------
Some fields settle others by definition; before the rules are read, an unknown field is filled
from the known ones (the :class:`PatientFeatures` object itself is left as given, and
contradictions are rejected when it is built):

* ``distant_metastases`` from ``m_category`` (M1 -> True, M0 -> False) or from
  ``rai_avid_foci="distant"`` (True); ``m_category`` from ``distant_metastases``;
* ``n_category="N0"`` gives ``clinical_n1=False`` and ``pathologic_n1_count=0``; an unknown
  ``n_category`` is N0 when ``clinical_n1`` is False and ``pathologic_n1_count`` is 0, and N1
  when either shows nodal disease;
* ``t_category`` T3b/T4a/T4b gives ``extrathyroidal_extension="gross"``; T1a gives
  ``microcarcinoma=True`` and T1b/T2/T3a give ``microcarcinoma=False`` (a microcarcinoma
  measures at most 1 cm).

So the ATA rows read ``distant_metastases`` only, and ``missing`` may name a field that another
one would also settle (e.g. ``distant_metastases``, which ``m_category`` also fills).

Readings of Table 2 (interpretation choices)
--------------------------------------------
* The printed line "No vascular invasion; clinical N0 or ≤5 pathologic N1 micro-metastases
  (0.2 cm in largest dimension);" holds two conditions separated by a semicolon, like every
  other condition; it is stored as two rows (``ata_low_ptc_no_vascular_invasion`` and
  ``ata_low_ptc_n0_or_micrometastases``), as in the ATA 2015 guideline (ref. 5) the table
  reproduces.
* Micro-metastasis: the review prints "(0.2 cm in largest dimension)" without a comparator; the
  guideline reads "<0.2 cm". We use **strictly below 0.2 cm**: a 0.2 cm deposit is not a
  micro-metastasis.
* "clinical N0 or ≤5 pathologic N1 micro-metastases" is read as "no known nodal disease
  (clinically N0 and no metastatic node at pathology) or 1-5 pathologic N1 nodes, all
  micro-metastases". Set ``pathologic_n1_count=0`` when no node was found metastatic,
  including when none was removed. A clinically N0 patient with 1-5 metastatic nodes of which
  one measures 0.2 cm or more (and all <3 cm) is then neither low, nor intermediate
  (">5 pathologic N1" or "Clinical N1"), nor high: a **gap** of the table, reported as such.
* Node counts: ≤5 pathologic N1 may be low, 6 or more is intermediate (">5"). Node size:
  ``largest_node_cm`` is the largest dimension of the largest metastatic node (deposit); it is
  used both for the 0.2 cm micro-metastasis limit and for the 3 cm limit; <3 cm is
  intermediate, **3 cm or more is high** ("≥3 cm").
* FTC vascular invasion: "<4 foci" is low and ">4 foci" is high, as printed. **Exactly 4 foci is
  neither** and is reported as a gap, not silently assigned (histopathology conventions that
  split limited/extensive invasion at <4/≥4 vessels would call it extensive).
* "Intra-thyroidal" (encapsulated follicular variant, FTC and microcarcinoma rows) means no
  extrathyroidal extension, clinically N0, no metastatic node at pathology and no distant
  metastasis. The FTC row also needs ``capsular_invasion=True``, as printed.
* "No local or distant metastases" reads ``distant_metastases``; nodal disease is judged by the
  nodal condition and local invasion by the invasion condition, as the table itself separates
  them.
* "If RIT is given, there are no radioiodine-avid metastatic foci outside the thyroid bed":
  ``rai_avid_foci`` records the farthest site on the first post-treatment scan; the value
  ``"not_given"`` (no radioiodine therapy, hence no scan) fulfils the condition, None means
  unknown. Without ``"not_given"`` (a value added to the four scan results) a patient who has
  not had radioiodine, the very patient Table 2 is meant to select for it, could never be
  classified. ``"distant"`` means distant metastases (see "Derived values").
* "Multifocal papillary microcarcinoma with extra-capsular extension": extension beyond the
  thyroid capsule, i.e. extrathyroidal extension (microscopic or gross), which is the
  guideline's wording ("with ETE"); ``extranodal_extension`` is therefore not read by any row
  of Table 2. "BRAFV600E mutated (if known)": an unknown BRAF status does not prevent the row
  from holding, a known wild type does. Read this way the row never holds without the
  microscopic- (or macroscopic-) invasion row, so it adds a reason, never a level.
* "PTC with vascular invasion": any focus (``vascular_invasion_foci >= 1``) in a papillary
  cancer. "Aggressive histology" does not name a histotype and reads ``aggressive_variant``.
* Scope: Table 2 is for differentiated thyroid cancer. Medullary, anaplastic and poorly
  differentiated cancers are outside it (level ``"indeterminate"``, no possible level, a note).
  Hürthle cell cancer, which the review names separately from PTC and FTC, is in scope for the
  rows that name no histotype; the rows naming PTC or FTC do not apply to it, so Table 2 has
  no low-risk description for it. With histology unknown, rows that do not need it still
  decide (e.g. distant metastases -> high) and a note says so.
* TNM: T categories are those of the 8th AJCC/UICC edition (T1a ... T4b); "pT3, pT4" are
  T3a/T3b/T4a/T4b, "each N1" is N1/N1a/N1b, "cN0/pN0" is N0.

Where things are
----------------
The rules are compiled by :func:`compile_criterion` (:mod:`thyroid_evidence.staging.rules`)
and applied by :mod:`thyroid_evidence.staging.risk`, whose functions take Table 2's rows as
data. ``ata_risk``, ``tnm_risk_group``, ``stratify`` and ``criteria_from_table`` here are the
functions of :mod:`thyroid_evidence.study.staging`, which read the rows from the evidence
package (when no ``evidence`` is given) or from a ``risk_stratification`` table; they are
imported on first use: the science neither loads the evidence nor knows its columns. With
Table 2 from the evidence, ``ata_risk(PatientFeatures(distant_metastases=True)).level`` is
``'high'``.

Examples
--------
Rows given as data (three made-up lines, one per ATA level):

>>> from thyroid_evidence.staging import PatientFeatures, compile_criterion, risk
>>> rows = tuple(
...     compile_criterion(f"ata_{level}", "ata", level, 1, f"{extension} extension",
...                       f"extrathyroidal_extension == {extension!r}")
...     for level, extension in [("low", "none"), ("intermediate", "microscopic"),
...                              ("high", "gross")])
>>> risk.ata_risk(PatientFeatures(histology="papillary", extrathyroidal_extension="gross"),
...               rows).level
'high'
"""

from thyroid_evidence._lazy import lazy_exports
from thyroid_evidence.staging.features import (
    ATA_LEVELS,
    EXTRATHYROIDAL_EXTENSION,
    FIELD_NAMES,
    HISTOLOGIES,
    INDETERMINATE,
    M_CATEGORIES,
    N_CATEGORIES,
    RAI_AVID_FOCI,
    T_CATEGORIES,
    TNM_LEVELS,
    PatientFeatures,
)
from thyroid_evidence.staging.results import CriterionCheck, RiskResult
from thyroid_evidence.staging.rules import Criterion, compile_criterion
from thyroid_evidence.vocab import DISCLAIMER

#: The convenience forms that read Table 2 from the evidence (study layer), on first use.
_EXPORTS = {
    "ata_risk": "thyroid_evidence.study.staging",
    "criteria_from_table": "thyroid_evidence.study.staging",
    "stratify": "thyroid_evidence.study.staging",
    "tnm_risk_group": "thyroid_evidence.study.staging",
}

__all__ = [
    "ATA_LEVELS",
    "DISCLAIMER",
    "EXTRATHYROIDAL_EXTENSION",
    "FIELD_NAMES",
    "HISTOLOGIES",
    "INDETERMINATE",
    "M_CATEGORIES",
    "N_CATEGORIES",
    "RAI_AVID_FOCI",
    "T_CATEGORIES",
    "TNM_LEVELS",
    "Criterion",
    "CriterionCheck",
    "PatientFeatures",
    "RiskResult",
    "ata_risk",
    "compile_criterion",
    "criteria_from_table",
    "stratify",
    "tnm_risk_group",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
