"""The kit's vocabularies, each written once (standard library only).

Every list of allowed words the package checks against or offers lives here, in a stable order
(declaration order; never a ``set``), so that messages and menus do not change with
``PYTHONHASHSEED``. The evidence schema (``evidence/datapackage.json``) holds the vocabularies
of the data; these are the ones the code needs to decide what to compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: The line every figure, report and staging result carries.
DISCLAIMER = "Research and teaching material, not clinical decision support."

# --- pseudo-individual data -------------------------------------------------------------------

#: Event code of a censored observation.
CENSORED = 0
#: Event code of the event of interest.
EVENT = 1
#: Event code of a competing event (for example death before local progression).
COMPETING = 2
#: Event codes of pseudo-IPD, in order.
EVENT_CODES: tuple[int, ...] = (CENSORED, EVENT, COMPETING)

# --- endpoints --------------------------------------------------------------------------------

#: Time-to-event endpoints whose reported rates are survival probabilities (Kaplan-Meier).
SURVIVAL_ENDPOINTS: tuple[str, ...] = (
    "overall_survival",
    "progression_free_survival",
    "local_tumor_progression_free_survival",
)
#: Survival endpoints whose event includes death (progression or death, whichever first): for
#: lesions of one patient the death part is shared.
DEATH_IN_EVENT_ENDPOINTS: tuple[str, ...] = (
    "progression_free_survival",
    "local_tumor_progression_free_survival",
)
#: Time-to-event endpoints whose reported rates are cumulative incidences (competing deaths).
INCIDENCE_ENDPOINTS: tuple[str, ...] = ("local_tumor_progression",)
#: THE list of time-to-event endpoints: every one can be reconstructed from reported numbers.
TIME_TO_EVENT_ENDPOINTS: tuple[str, ...] = SURVIVAL_ENDPOINTS + INCIDENCE_ENDPOINTS
#: Time-to-event endpoints the schema accepts that are NOT reconstructed, each with the reason
#: (the report lists the evidence rows they hold instead of scheduling a run).
UNRECONSTRUCTED_ENDPOINTS: Mapping[str, str] = MappingProxyType({
    "response_duration": "a duration of response is timed from the response, among responders "
                         "only, so no curve of the series from treatment follows from it",
})

# --- reported statistics ----------------------------------------------------------------------

#: Statistics of ``outcomes.csv`` that describe a value at a time point (they need
#: ``time_months``): a survival probability or a cumulative incidence, in that order.
TIME_POINT_STATISTICS: tuple[str, ...] = ("survival", "cumulative_incidence")

# --- statistics -------------------------------------------------------------------------------

#: Interval methods for one proportion (``proportion_ci``).
CI_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson", "jeffreys", "agresti-coull")
#: Pooling methods (metafor's names).
POOLING_METHODS: tuple[str, ...] = ("FE", "DL", "REML", "PM", "ML", "GLMM")
#: Transforms for pooling and the metafor ``measure`` each one reproduces.
TRANSFORMS: Mapping[str, str] = MappingProxyType(
    {"logit": "PLO", "arcsine": "PAS", "log": "PLN", "raw": "PR"}
)

# --- the audit --------------------------------------------------------------------------------

#: Rounding modes the audit tries, round-to-nearest first.
ROUNDING_MODES: tuple[str, ...] = ("half_up", "half_even", "half_down", "truncate", "ceiling")
#: Round-to-nearest modes (they differ only on exact ties).
NEAREST_MODES: tuple[str, ...] = ("half_up", "half_even", "half_down")
#: Directed modes: digits cut off (towards zero) or rounded up (towards +infinity).
DIRECTED_MODES: tuple[str, ...] = ("truncate", "ceiling")
#: The audit's statuses, from best to worst; see :mod:`thyroid_evidence.audit.rounding`.
#: ``review_and_source_disagree``: the review's numbers (or what it attaches them to) differ
#: from the cited paper's own report, although each may be consistent in itself.
STATUSES: tuple[str, ...] = (
    "consistent",
    "consistent_only_if_truncated",
    "review_and_source_disagree",
    "inconsistent",
    "cannot_check",
)
#: What each audit status means, in words (for tables and figures).
STATUS_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "consistent": "consistent",
        "consistent_only_if_truncated": "consistent only under truncation",
        "review_and_source_disagree": "review and source disagree",
        "inconsistent": "inconsistent within the reporting source",
        "cannot_check": "cannot check",
    }
)
#: The source id of the review itself in the evidence tables (every other source is a cited
#: paper whose own abstract may be quoted).
REVIEW_SOURCE = "review"
#: Output formats of ``thyroid-evidence audit``.
AUDIT_FORMATS: tuple[str, ...] = ("table", "csv", "json", "markdown")

# --- series ---------------------------------------------------------------------------------

#: What a source id looks like (``datapackage.json``'s pattern for ``sources.source_id``, without
#: its anchors): a lower-case slug, starting with a letter, ``-`` or ``_`` only between letters
#: and digits (``smith2024``, ``ref20``, ``de-baere-2015``); no dots, slashes or spaces, so an
#: id can name the file of its text (``sources/<source_id>.txt``).
SOURCE_ID_PATTERN = r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*"
#: Kinds of technique a series uses (``series.csv`` ``technique_kind``), for telling series apart
#: in figures: ablation (thermal or cryo), embolization (trans-arterial, with or without drugs),
#: consolidation (cementoplasty, osteoplasty), combined (several of these in one series), other.
TECHNIQUE_KINDS: tuple[str, ...] = (
    "ablation", "embolization", "consolidation", "combined", "other"
)
#: Kinds of primary-tumour population of a series (``series.csv`` ``population_kind``): thyroid
#: cancer only, mixed primaries (thyroid among others), other primaries only, not stated.
POPULATION_KINDS: tuple[str, ...] = ("thyroid_cancer", "mixed_primaries", "other_primary",
                                     "unspecified")
#: Each population kind in words (tables and figure legends).
POPULATION_KIND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "thyroid_cancer": "thyroid cancer",
        "mixed_primaries": "mixed primaries",
        "other_primary": "other primary (no thyroid cancer)",
        "unspecified": "population not stated",
    }
)

# --- outputs ----------------------------------------------------------------------------------

#: File formats every saved figure is written in.
FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")

# --- units ------------------------------------------------------------------------------------

#: Units of analysis and the plural word for counting them.
UNIT_OF_ANALYSIS_WORDS: Mapping[str, str] = MappingProxyType(
    {"patient": "patients", "lesion": "lesions", "procedure": "procedures"}
)
#: Units of analysis, in order.
UNITS_OF_ANALYSIS: tuple[str, ...] = tuple(UNIT_OF_ANALYSIS_WORDS)
#: Units whose values are never negative (a dose, a duration, a size, a count); the audit's
#: mean ± SD check takes 0 as their lower bound. "percent" is not one: a change can be negative.
NON_NEGATIVE_UNITS: tuple[str, ...] = (
    "months", "years", "days", "mm", "cm", "mCi", "ng/mL", "patients", "lesions",
    "procedures", "sessions", "events", "sites",
)
#: Units often recorded in whole numbers (days in hospital, administered activity in mCi): the
#: mean ± SD check adds what whole numbers of them would allow (an assumption, said as such).
WHOLE_NUMBER_UNITS: tuple[str, ...] = ("days", "mCi")
#: Units that convert exactly into another unit of the same quantity: unit -> (other unit,
#: factor as an exact decimal string). 1 mCi = 37 MBq = 0.037 GBq by definition of the curie.
UNIT_CONVERSIONS: Mapping[str, tuple[str, str]] = MappingProxyType({"mCi": ("GBq", "0.037")})
#: Time units and their length in months (a month is 365.25 / 12 days).
MONTHS_PER_UNIT: Mapping[str, float] = MappingProxyType(
    {"months": 1.0, "years": 12.0, "days": 12.0 / 365.25}
)
#: How a value's unit is written after the number in figures and tables, abbreviated.
UNIT_ABBREVIATIONS: Mapping[str, str] = MappingProxyType(
    {
        "percent": "%",
        "months": " mo",
        "years": " y",
        "days": " d",
        "celsius": " ℃",
        "mm": " mm",
        "cm": " cm",
        "mCi": " mCi",
        "ng/mL": " ng/mL",
        "ratio": "",
        "events": "",
        "patients": "",
    }
)
#: How a value's unit is written after the number in words (figure annotations).
UNIT_WORDS: Mapping[str, str] = MappingProxyType(
    {"percent": "%", "years": " years", "months": " months", "days": " days", "ratio": ""}
)
#: How a value's comparator is written before the number (``"≥55 ℃"``, ``"around −40 ℃"``).
COMPARATOR_SYMBOLS: Mapping[str, str] = MappingProxyType(
    {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "~": "around "}
)

# --- display labels ---------------------------------------------------------------------------

#: Abbreviations that keep their capitals when a slug of the evidence (``oral_rit``) becomes a
#: label ("oral RIT"); see :func:`thyroid_evidence.study.formatting.display_label`.
ACRONYMS: tuple[str, ...] = (
    "ATA", "ATC", "BRAF", "CEA", "CT", "DTC", "EBRT", "FTC", "MRI", "MTC", "MWA", "PET",
    "PTC", "RAI", "RFA", "RIT", "TACE", "TAE", "TNM",
)
#: Readable names of the fields of ``thyroid_evidence.staging.PatientFeatures`` (figures and
#: tables name a missing fact by these words, never by the field name).
STAGING_FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "histology": "histology",
        "aggressive_variant": "aggressive variant",
        "encapsulated_follicular_variant": "encapsulated follicular variant",
        "microcarcinoma": "microcarcinoma",
        "multifocal": "multifocality",
        "extrathyroidal_extension": "extrathyroidal extension",
        "complete_resection": "complete resection",
        "vascular_invasion_foci": "foci of vascular invasion",
        "capsular_invasion": "capsular invasion",
        "clinical_n1": "clinical N1",
        "pathologic_n1_count": "pathologic N1 nodes",
        "largest_node_cm": "largest node size",
        "distant_metastases": "distant metastases",
        "rai_avid_foci": "RAI-avid foci",
        "braf_v600e": "BRAF V600E",
        "tg_suggests_distant_metastases": "Tg suggesting distant metastases",
        "extranodal_extension": "extranodal extension",
        "t_category": "T category",
        "n_category": "N category",
        "m_category": "M category",
    }
)
