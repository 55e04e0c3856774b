"""ATA and TNM risk stratification as printed in Table 2 of the review, with explanations.

**Research and teaching material, not clinical decision support.** The functions here replay
one table of one narrative review so that a class can see which line of the table applies to
a made-up patient and why. They are not a validated implementation of the ATA guideline or of
the AJCC/UICC staging manual and must not be used to make decisions about real patients.

The table lives in ``evidence/risk_stratification.csv`` (one row per line of Table 2, with its
verbatim quote); this module only knows how to read and combine the rows. Each row carries a
``rule`` column, a small boolean expression over the fields of :class:`PatientFeatures`.

Rule language
-------------
A rule is a Python-style expression, parsed with :mod:`ast` (never ``eval``) and restricted to:

* comparisons of one field with constants: ``field == 'papillary'``, ``field != False``,
  ``field < 0.2``, ``field >= 1``, ``field in ('T1b', 'T2')``, ``field not in (...)``;
* ``field is None`` / ``field is not None`` (whether the field is known);
* ``and``, ``or``, ``not`` and parentheses.

Names must be :class:`PatientFeatures` fields and constants must be allowed values of the field
they are compared with. The ``fields`` column lists the names the rule reads, in field order.

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

Examples
--------
>>> p = PatientFeatures(histology="papillary", distant_metastases=True)
>>> ata_risk(p).level
'high'
"""

from __future__ import annotations

import ast
import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ATA_LEVELS",
    "FIELD_NAMES",
    "TNM_LEVELS",
    "Criterion",
    "CriterionCheck",
    "PatientFeatures",
    "RiskResult",
    "ata_risk",
    "criteria_from_table",
    "stratify",
    "tnm_risk_group",
]

DISCLAIMER = "Research and teaching material, not clinical decision support."

#: ATA levels, least to most severe.
ATA_LEVELS = ("low", "intermediate", "high")
#: TNM risk groups of Table 2, least to most severe.
TNM_LEVELS = ("very_low", "low", "high")
INDETERMINATE = "indeterminate"

HISTOLOGIES = (
    "papillary",
    "follicular",
    "medullary",
    "anaplastic",
    "hurthle",
    "poorly_differentiated",
)
#: Histologies Table 2 covers (differentiated thyroid cancer).
IN_SCOPE_HISTOLOGIES = ("papillary", "follicular", "hurthle")
EXTRATHYROIDAL_EXTENSION = ("none", "microscopic", "gross")
RAI_AVID_FOCI = ("not_given", "none", "thyroid_bed", "neck", "distant")
T_CATEGORIES = ("T1a", "T1b", "T2", "T3a", "T3b", "T4a", "T4b")
N_CATEGORIES = ("N0", "N1", "N1a", "N1b")
M_CATEGORIES = ("M0", "M1")

_CHOICES: dict[str, tuple[str, ...]] = {
    "histology": HISTOLOGIES,
    "extrathyroidal_extension": EXTRATHYROIDAL_EXTENSION,
    "rai_avid_foci": RAI_AVID_FOCI,
    "t_category": T_CATEGORIES,
    "n_category": N_CATEGORIES,
    "m_category": M_CATEGORIES,
}
_COUNTS = ("vascular_invasion_foci", "pathologic_n1_count")
_SIZES = ("largest_node_cm",)
_BOOLEANS = (
    "aggressive_variant",
    "encapsulated_follicular_variant",
    "microcarcinoma",
    "multifocal",
    "complete_resection",
    "capsular_invasion",
    "clinical_n1",
    "distant_metastases",
    "braf_v600e",
    "tg_suggests_distant_metastases",
    "extranodal_extension",
)


@dataclass(frozen=True)
class PatientFeatures:
    """What is known about one (made-up) patient; every field is optional, None = unknown.

    Parameters
    ----------
    histology : {"papillary", "follicular", "medullary", "anaplastic", "hurthle", \
"poorly_differentiated"}, optional
    aggressive_variant : bool, optional
        Aggressive histology (e.g. tall cell, hobnail, columnar cell).
    encapsulated_follicular_variant : bool, optional
        Encapsulated follicular variant of PTC.
    microcarcinoma : bool, optional
        Papillary microcarcinoma (tumour ≤1 cm).
    multifocal : bool, optional
    extrathyroidal_extension : {"none", "microscopic", "gross"}, optional
        Invasion of the peri-thyroidal soft tissues: none, microscopic or macroscopic.
    complete_resection : bool, optional
        All macroscopic tumour has been resected.
    vascular_invasion_foci : int >= 0, optional
        Number of foci of vascular invasion (0 = none).
    capsular_invasion : bool, optional
    clinical_n1 : bool, optional
        Clinically evident nodal metastases (False = clinical N0).
    pathologic_n1_count : int >= 0, optional
        Number of metastatic lymph nodes at pathology (0 when none was found metastatic,
        including when no node was removed).
    largest_node_cm : float > 0, optional
        Largest dimension (cm) of the largest metastatic lymph node (deposit); only when
        ``pathologic_n1_count`` is at least 1.
    distant_metastases : bool, optional
    rai_avid_foci : {"not_given", "none", "thyroid_bed", "neck", "distant"}, optional
        Farthest radioiodine-avid focus on the first post-treatment whole-body scan;
        ``"not_given"`` when no radioiodine therapy was given.
    braf_v600e : bool, optional
    tg_suggests_distant_metastases : bool, optional
        Postoperative serum thyroglobulin suggestive of distant metastases.
    extranodal_extension : bool, optional
        Extension of a nodal metastasis beyond the node capsule (recorded; no Table 2 row
        reads it, see the module notes).
    t_category : {"T1a", "T1b", "T2", "T3a", "T3b", "T4a", "T4b"}, optional
    n_category : {"N0", "N1", "N1a", "N1b"}, optional
    m_category : {"M0", "M1"}, optional

    Raises
    ------
    ValueError
        For a value outside the allowed ones (the message names the field and lists them), a
        negative or fractional count, a non-positive size, or fields that contradict each
        other (e.g. ``n_category="N0"`` with ``pathologic_n1_count=3``).

    Notes
    -----
    Missing values from pandas (NaN, NA) are read as None. Booleans must be ``True`` or
    ``False`` (not 0/1); whole-number floats are accepted for counts.
    """

    histology: str | None = None
    aggressive_variant: bool | None = None
    encapsulated_follicular_variant: bool | None = None
    microcarcinoma: bool | None = None
    multifocal: bool | None = None
    extrathyroidal_extension: str | None = None
    complete_resection: bool | None = None
    vascular_invasion_foci: int | None = None
    capsular_invasion: bool | None = None
    clinical_n1: bool | None = None
    pathologic_n1_count: int | None = None
    largest_node_cm: float | None = None
    distant_metastases: bool | None = None
    rai_avid_foci: str | None = None
    braf_v600e: bool | None = None
    tg_suggests_distant_metastases: bool | None = None
    extranodal_extension: bool | None = None
    t_category: str | None = None
    n_category: str | None = None
    m_category: str | None = None

    def __post_init__(self) -> None:
        for name in FIELD_NAMES:
            object.__setattr__(self, name, _clean_value(name, getattr(self, name)))
        _check_consistency(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> PatientFeatures:
        """Build from a mapping (e.g. a notebook's parameters); unknown keys are an error.

        Raises
        ------
        ValueError
            If a key is not a field (the message lists the fields) or a value is invalid.
        """
        if not isinstance(values, Mapping):
            raise ValueError(
                f"patient features must be a mapping of field names to values; got "
                f"{type(values).__name__}"
            )
        unknown = [key for key in values if key not in FIELD_NAMES]
        if unknown:
            raise ValueError(
                f"unknown PatientFeatures field(s): {', '.join(map(repr, unknown))}; "
                f"allowed: {', '.join(FIELD_NAMES)}"
            )
        return cls(**values)

    def known(self) -> dict[str, Any]:
        """The fields whose value is known, in field order."""
        return {name: getattr(self, name) for name in FIELD_NAMES
                if getattr(self, name) is not None}


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(PatientFeatures))


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _clean_value(name: str, value: Any) -> Any:
    """Check one field's value and return it in canonical Python type."""
    if _is_missing(value):
        return None
    if name in _CHOICES:
        allowed = _CHOICES[name]
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(
                f"{name}={value!r} is not allowed; allowed: {', '.join(allowed)} "
                "or None (unknown)"
            )
        return value
    if name in _BOOLEANS:
        if not _is_bool(value):
            raise ValueError(f"{name}={value!r} is not allowed; allowed: True, False or None "
                             "(unknown)")
        return bool(value)
    if name in _COUNTS:
        number = _as_number(value)
        if number is None or not math.isfinite(number) or number != int(number) or number < 0:
            raise ValueError(
                f"{name}={value!r} is not allowed; allowed: a whole number >= 0 or None (unknown)"
            )
        return int(number)
    if name in _SIZES:
        number = _as_number(value)
        if number is None or not math.isfinite(number) or number <= 0:
            raise ValueError(
                f"{name}={value!r} is not allowed; allowed: a size in cm > 0 or None (unknown)"
            )
        return float(number)
    raise AssertionError(f"field {name} has no kind")  # pragma: no cover - programming error


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _as_number(value: Any) -> float | None:
    if _is_bool(value) or isinstance(value, str):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _contradiction(first: str, first_value: Any, second: str, second_value: Any,
                   why: str) -> ValueError:
    return ValueError(
        f"{first}={first_value!r} contradicts {second}={second_value!r} ({why}); "
        "correct one of them or set it to None (unknown)"
    )


def _check_consistency(p: PatientFeatures) -> None:
    """Reject combinations of fields that cannot both be true."""
    dm, m = p.distant_metastases, p.m_category
    if dm is not None and m is not None and dm != (m == "M1"):
        raise _contradiction("distant_metastases", dm, "m_category", m,
                             "M1 means distant metastases")
    if p.rai_avid_foci == "distant":
        if dm is False:
            raise _contradiction("rai_avid_foci", "distant", "distant_metastases", False,
                                 "radioiodine-avid distant foci are distant metastases")
        if m == "M0":
            raise _contradiction("rai_avid_foci", "distant", "m_category", "M0",
                                 "radioiodine-avid distant foci are distant metastases")
    count = p.pathologic_n1_count
    if count == 0:
        if p.largest_node_cm is not None:
            raise _contradiction("largest_node_cm", p.largest_node_cm, "pathologic_n1_count", 0,
                                 "the size is that of the largest metastatic node")
        if p.extranodal_extension is True:
            raise _contradiction("extranodal_extension", True, "pathologic_n1_count", 0,
                                 "extranodal extension needs a metastatic node")
    n = p.n_category
    if n == "N0":
        if p.clinical_n1 is True:
            raise _contradiction("n_category", n, "clinical_n1", True,
                                 "N0 means no nodal metastases")
        if count is not None and count > 0:
            raise _contradiction("n_category", n, "pathologic_n1_count", count,
                                 "N0 means no nodal metastases")
    elif n is not None and p.clinical_n1 is False and count == 0:
        raise _contradiction("n_category", n, "pathologic_n1_count", 0,
                             f"{n} needs a nodal metastasis, and clinical_n1 is False")
    ete, t = p.extrathyroidal_extension, p.t_category
    gross_t = ("T3b", "T4a", "T4b")
    if ete is not None and t is not None and (ete == "gross") != (t in gross_t):
        raise _contradiction("extrathyroidal_extension", ete, "t_category", t,
                             "T3b, T4a and T4b are exactly the tumours with gross "
                             "extrathyroidal extension")
    if p.microcarcinoma is True and t in ("T1b", "T2", "T3a"):
        raise _contradiction("microcarcinoma", True, "t_category", t,
                             "a microcarcinoma measures at most 1 cm")
    if p.microcarcinoma is False and t == "T1a":
        raise _contradiction("microcarcinoma", False, "t_category", t,
                             "a T1a tumour measures at most 1 cm")
    if p.encapsulated_follicular_variant is True and p.histology not in (None, "papillary"):
        raise _contradiction("encapsulated_follicular_variant", True, "histology", p.histology,
                             "the follicular variant is a variant of papillary cancer")


# --------------------------------------------------------------------------- rules


_COMPARISONS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


@dataclass(frozen=True)
class Criterion:
    """One row of Table 2 with its compiled rule."""

    criterion_id: str
    system: str
    level: str
    position: int
    text: str
    fields: tuple[str, ...]
    rule: str
    footnote: str | None
    tree: ast.Expression = field(repr=False, compare=False)


def _rule_error(criterion_id: str, rule: str, problem: str) -> ValueError:
    return ValueError(f"risk_stratification: criterion {criterion_id!r}: rule {rule!r}: {problem}")


def _compile_rule(criterion_id: str, rule: str) -> tuple[ast.Expression, tuple[str, ...]]:
    """Parse and check one rule; return its tree and the fields it reads, in field order."""
    try:
        tree = ast.parse(rule, mode="eval")
    except SyntaxError as exc:
        raise _rule_error(criterion_id, rule, f"not a valid expression ({exc.msg})") from None
    names: set[str] = set()
    _check_node(tree.body, criterion_id, rule, names)
    return tree, tuple(name for name in FIELD_NAMES if name in names)


def _check_node(node: ast.AST, cid: str, rule: str, names: set[str]) -> None:
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check_node(value, cid, rule, names)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check_node(node.operand, cid, rule, names)
        return
    if not isinstance(node, ast.Compare):
        raise _rule_error(cid, rule, f"{ast.unparse(node)!r} is not a comparison, and/or/not")
    if len(node.ops) != 1 or type(node.ops[0]) not in _COMPARISONS:
        raise _rule_error(cid, rule, f"{ast.unparse(node)!r}: use one comparison at a time")
    if not isinstance(node.left, ast.Name) or node.left.id not in FIELD_NAMES:
        raise _rule_error(
            cid, rule, f"{ast.unparse(node.left)!r} is not a PatientFeatures field; "
            f"allowed: {', '.join(FIELD_NAMES)}"
        )
    name, op = node.left.id, type(node.ops[0])
    names.add(name)
    right = node.comparators[0]
    if op in (ast.Is, ast.IsNot):
        if not (isinstance(right, ast.Constant) and right.value is None):
            raise _rule_error(cid, rule, "'is' / 'is not' compare with None only")
        return
    if op in (ast.In, ast.NotIn):
        if not isinstance(right, ast.Tuple | ast.List | ast.Set):
            raise _rule_error(cid, rule, f"'in' needs a tuple of constants after {name}")
        constants = right.elts
    else:
        constants = [right]
    for const in constants:
        if not isinstance(const, ast.Constant):
            raise _rule_error(cid, rule, f"{ast.unparse(const)!r} is not a constant")
        _check_constant(name, op, const.value, cid, rule)


def _check_constant(name: str, op: type, value: Any, cid: str, rule: str) -> None:
    ordered = op in (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    if name in _CHOICES:
        if ordered or not isinstance(value, str) or value not in _CHOICES[name]:
            raise _rule_error(cid, rule, f"{name} compares with {value!r}; allowed: "
                              f"{', '.join(_CHOICES[name])} with ==, !=, in, not in")
    elif name in _BOOLEANS:
        if ordered or not isinstance(value, bool):
            raise _rule_error(cid, rule, f"{name} compares with {value!r}; allowed: True, "
                              "False with ==, !=")
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _rule_error(cid, rule, f"{name} compares with {value!r}; allowed: a number")


def _evaluate(node: ast.AST, p: Mapping[str, Any]) -> bool | None:
    """Three-valued (Kleene) value of a checked rule node; None = unknown."""
    if isinstance(node, ast.BoolOp):
        is_and = isinstance(node.op, ast.And)
        result: bool | None = is_and
        for value in node.values:
            outcome = _evaluate(value, p)
            if outcome is (not is_and):
                return outcome
            if outcome is None:
                result = None
        return result
    if isinstance(node, ast.UnaryOp):
        outcome = _evaluate(node.operand, p)
        return None if outcome is None else not outcome
    assert isinstance(node, ast.Compare)  # guaranteed by _check_node
    value = p[node.left.id]
    op = type(node.ops[0])
    right = node.comparators[0]
    if op is ast.Is:
        return value is None
    if op is ast.IsNot:
        return value is not None
    if value is None:
        return None
    if op in (ast.In, ast.NotIn):
        members = {const.value for const in right.elts}
        return (value in members) == (op is ast.In)
    other = right.value
    return {
        ast.Eq: value == other,
        ast.NotEq: value != other,
        ast.Lt: value < other,
        ast.LtE: value <= other,
        ast.Gt: value > other,
        ast.GtE: value >= other,
    }[op]


_TABLE_COLUMNS = ("criterion_id", "system", "level", "position", "criterion", "fields", "rule",
                  "footnote")
_LEVELS_OF = {"ata": ATA_LEVELS, "tnm": TNM_LEVELS}


def _text(value: Any) -> str | None:
    if _is_missing(value):
        return None
    text = str(value).strip()
    return text or None


def criteria_from_table(table: pd.DataFrame) -> tuple[Criterion, ...]:
    """Compile the rows of a ``risk_stratification`` table.

    Parameters
    ----------
    table : DataFrame
        With the columns of ``evidence/risk_stratification.csv``.

    Returns
    -------
    tuple of Criterion
        In table order.

    Raises
    ------
    ValueError
        If a column is missing, a system or level is unknown, a rule does not follow the rule
        language, or the ``fields`` column differs from the fields the rule reads.
    """
    missing = [col for col in _TABLE_COLUMNS if col not in table.columns]
    if missing:
        raise ValueError(f"risk_stratification: missing column(s): {', '.join(missing)}")
    criteria = []
    for row in table.to_dict("records"):
        cid = str(row["criterion_id"])
        system, level = row["system"], row["level"]
        if system not in _LEVELS_OF:
            raise ValueError(f"risk_stratification: criterion {cid!r}: system={system!r}; "
                             f"allowed: {', '.join(_LEVELS_OF)}")
        if level not in _LEVELS_OF[system]:
            raise ValueError(f"risk_stratification: criterion {cid!r}: level={level!r}; "
                             f"allowed for {system}: {', '.join(_LEVELS_OF[system])}")
        rule = _text(row["rule"])
        if rule is None:
            raise ValueError(f"risk_stratification: criterion {cid!r}: the rule is empty")
        tree, names = _compile_rule(cid, rule)
        declared = tuple((_text(row["fields"]) or "").split())
        if sorted(declared) != sorted(names):
            raise ValueError(
                f"risk_stratification: criterion {cid!r}: fields={' '.join(declared)!r} but "
                f"the rule reads {' '.join(names)!r}"
            )
        criteria.append(Criterion(
            criterion_id=cid, system=system, level=level, position=int(row["position"]),
            text=str(row["criterion"]), fields=names, rule=rule,
            footnote=_text(row["footnote"]), tree=tree,
        ))
    return tuple(criteria)


@lru_cache(maxsize=1)
def _default_criteria() -> tuple[Criterion, ...]:
    from thyroid_evidence.evidence import load_evidence

    return criteria_from_table(load_evidence().risk_stratification)


def _criteria(evidence: Any, system: str) -> tuple[Criterion, ...]:
    if evidence is None:
        rows = _default_criteria()
    elif isinstance(evidence, pd.DataFrame):
        rows = criteria_from_table(evidence)
    elif isinstance(getattr(evidence, "risk_stratification", None), pd.DataFrame):
        rows = criteria_from_table(evidence.risk_stratification)
    else:
        raise ValueError("evidence must be None, an Evidence from load_evidence() or a "
                         f"risk_stratification DataFrame; got {type(evidence).__name__}")
    chosen = tuple(c for c in rows if c.system == system)
    for level in _LEVELS_OF[system]:
        if not any(c.level == level for c in chosen):
            raise ValueError(f"risk_stratification: no {system} row for level {level!r}")
    return chosen


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CriterionCheck:
    """How one row of Table 2 evaluated for one patient.

    Attributes
    ----------
    criterion_id, level, criterion : str
        The row's id, level and printed text.
    holds : bool or None
        True if the row holds, False if not, None if unknown fields leave it open.
    unknown : tuple of str
        Fields the row reads whose value is unknown.
    """

    criterion_id: str
    level: str
    criterion: str
    holds: bool | None
    unknown: tuple[str, ...]


@dataclass(frozen=True)
class RiskResult:
    """A risk level from Table 2 and why.

    Attributes
    ----------
    system : {"ata", "tnm"}
    level : str
        ``{"low", "intermediate", "high", "indeterminate"}`` for ATA,
        ``{"very_low", "low", "high", "indeterminate"}`` for TNM.
    criteria : tuple of str
        Ids (``evidence/risk_stratification.csv``) of the rows that decided the level. For an
        indeterminate level: the rows that already hold.
    missing : tuple of str
        Unknown fields that could change the answer (empty unless indeterminate).
    possible_levels : tuple of str
        Levels still possible; one element when decided, empty when Table 2 places the patient
        nowhere (out of scope or a gap of the table).
    notes : tuple of str
        Footnotes that apply, gaps, scope remarks.
    checks : tuple of CriterionCheck
        Every row of the system, evaluated.
    """

    system: str
    level: str
    criteria: tuple[str, ...]
    missing: tuple[str, ...]
    possible_levels: tuple[str, ...]
    notes: tuple[str, ...]
    checks: tuple[CriterionCheck, ...] = field(repr=False)

    @property
    def decided(self) -> bool:
        """Whether Table 2 gives a level (not indeterminate)."""
        return self.level != INDETERMINATE

    def criterion_text(self, criterion_id: str) -> str:
        """Printed text of one of the system's rows."""
        for check in self.checks:
            if check.criterion_id == criterion_id:
                return check.criterion
        raise ValueError(f"criterion_id={criterion_id!r} is not a {self.system} row; allowed: "
                         + ", ".join(c.criterion_id for c in self.checks))

    def summary_frame(self) -> pd.DataFrame:
        """Every row of the system with its evaluation (holds: True/False/None)."""
        return pd.DataFrame(
            {
                "criterion_id": [c.criterion_id for c in self.checks],
                "level": [c.level for c in self.checks],
                "criterion": [c.criterion for c in self.checks],
                "holds": pd.array([c.holds for c in self.checks], dtype="boolean"),
                "decisive": [c.criterion_id in self.criteria for c in self.checks],
                "unknown": [" ".join(c.unknown) for c in self.checks],
            }
        )

    def _title(self) -> str:
        name = {"ata": "ATA risk of structural disease recurrence",
                "tnm": "TNM risk group"}[self.system]
        return f"{name} (Table 2 of the review)"

    def _level_phrase(self) -> str:
        if self.decided:
            return self.level
        if self.possible_levels:
            return f"indeterminate (still possible: {', '.join(self.possible_levels)})"
        return "indeterminate (Table 2 places this patient in no level)"

    def explain(self) -> str:
        """A readable account: level, deciding rows, unknown fields, notes."""
        lines = [f"{self._title()}: {self._level_phrase()}"]
        if self.criteria:
            lines.append("Decided by:" if self.decided else "Rows that already hold:")
            lines += [f"  - {self.criterion_text(cid)} [{cid}]" for cid in self.criteria]
        if self.missing:
            lines.append("Unknown fields that could change the answer: " + ", ".join(self.missing))
        if self.notes:
            lines.append("Notes:")
            lines += [f"  - {note}" for note in self.notes]
        lines.append(DISCLAIMER)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain()

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<div class='risk-result'><p><strong>{esc(self._title())}:</strong> "
                 f"<code>{esc(self._level_phrase())}</code></p>"]
        if self.criteria:
            heading = "Decided by" if self.decided else "Rows that already hold"
            items = "".join(f"<li>{esc(self.criterion_text(cid))} <code>{esc(cid)}</code></li>"
                            for cid in self.criteria)
            parts.append(f"<p>{heading}:</p><ul>{items}</ul>")
        if self.missing:
            parts.append("<p>Unknown fields that could change the answer: "
                         + ", ".join(f"<code>{esc(m)}</code>" for m in self.missing) + "</p>")
        if self.notes:
            parts.append("<p>Notes:</p><ul>"
                         + "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "</ul>")
        parts.append(f"<p><em>{esc(DISCLAIMER)}</em></p></div>")
        return "".join(parts)


# --------------------------------------------------------------------------- stratification


def _as_patient(p: Any) -> PatientFeatures:
    if isinstance(p, PatientFeatures):
        return p
    if isinstance(p, Mapping):
        return PatientFeatures.from_dict(p)
    raise ValueError(f"p must be a PatientFeatures or a mapping of its fields; got "
                     f"{type(p).__name__}")


def _effective_values(p: PatientFeatures) -> dict[str, Any]:
    """The patient's values with the unknowns that other fields settle by definition filled in.

    See "Derived values" in the module docstring; the patient object itself is not changed.
    """
    v = {name: getattr(p, name) for name in FIELD_NAMES}
    if v["distant_metastases"] is None:
        if p.m_category == "M1" or p.rai_avid_foci == "distant":
            v["distant_metastases"] = True
        elif p.m_category == "M0":
            v["distant_metastases"] = False
    if v["m_category"] is None and v["distant_metastases"] is not None:
        v["m_category"] = "M1" if v["distant_metastases"] else "M0"
    if p.n_category == "N0":
        if v["clinical_n1"] is None:
            v["clinical_n1"] = False
        if v["pathologic_n1_count"] is None:
            v["pathologic_n1_count"] = 0
    if v["n_category"] is None:
        if p.clinical_n1 is True or (p.pathologic_n1_count or 0) > 0:
            v["n_category"] = "N1"
        elif p.clinical_n1 is False and p.pathologic_n1_count == 0:
            v["n_category"] = "N0"
    if v["extrathyroidal_extension"] is None and p.t_category in ("T3b", "T4a", "T4b"):
        v["extrathyroidal_extension"] = "gross"
    if v["microcarcinoma"] is None and p.t_category is not None:
        if p.t_category == "T1a":
            v["microcarcinoma"] = True
        elif p.t_category in ("T1b", "T2", "T3a"):
            v["microcarcinoma"] = False
    return v


def _kleene_and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _kleene_or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def _descriptions(rows: tuple[Criterion, ...]) -> list[list[Criterion]]:
    """Group rows: a row and the rows whose id extends it by ``_...`` (its conditions) form one
    description; a row that extends no other row's id and has no conditions stands alone."""
    ids = [c.criterion_id for c in rows]
    groups = []
    for c in rows:
        if any(c.criterion_id.startswith(other + "_") for other in ids):
            continue
        members = [d for d in rows if d.criterion_id.startswith(c.criterion_id + "_")]
        groups.append([c, *members])
    return groups


@dataclass(frozen=True)
class _Outcome:
    level: str
    possible: tuple[str, ...]
    status: dict[str, bool | None]
    holds: dict[str, bool | None]
    descriptions: tuple[tuple[str, tuple[Criterion, ...], bool | None], ...]


def _stratify(order: tuple[str, ...], rows: tuple[Criterion, ...],
              values: Mapping[str, Any]) -> _Outcome:
    """Evaluate every row, combine into descriptions and levels, resolve the level."""
    holds = {c.criterion_id: _evaluate(c.tree.body, values) for c in rows}
    descriptions = []
    status: dict[str, bool | None] = {}
    for level in order:
        at_level = []
        for parts in _descriptions(tuple(c for c in rows if c.level == level)):
            value = _kleene_and([holds[c.criterion_id] for c in parts])
            descriptions.append((level, tuple(parts), value))
            at_level.append(value)
        status[level] = _kleene_or(at_level)
    level, possible = _resolve(order, status)
    return _Outcome(level, possible, status, holds, tuple(descriptions))


def _resolve(order: tuple[str, ...], status: dict[str, bool | None]) -> tuple[str, tuple[str, ...]]:
    """Level and still-possible levels from each level's three-valued status."""
    holding = [level for level in order if status[level] is True]
    if holding:
        top = holding[-1]
        above = order[order.index(top) + 1:]
        possible = (top,) + tuple(level for level in above if status[level] is None)
        return (top if len(possible) == 1 else INDETERMINATE), possible
    return INDETERMINATE, tuple(level for level in order if status[level] is None)


def _fields_in_order(names: set[str]) -> tuple[str, ...]:
    return tuple(name for name in FIELD_NAMES if name in names)


def _candidate_values(name: str, rows: tuple[Criterion, ...]) -> list[Any]:
    """Values of one field that reach every branch of the rules (for the sensitivity check)."""
    if name in _CHOICES:
        return list(_CHOICES[name])
    if name in _BOOLEANS:
        return [True, False]
    limits = sorted({
        const.value
        for c in rows for node in ast.walk(c.tree)
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name)
        and node.left.id == name
        for const in ast.walk(node.comparators[0])
        if isinstance(const, ast.Constant) and isinstance(const.value, int | float)
        and not isinstance(const.value, bool)
    })
    if not limits:
        return []
    if name in _COUNTS:
        return sorted({v for c in limits for v in (c - 1, c, c + 1) if v >= 0})
    between = [(a + b) / 2 for a, b in zip(limits, limits[1:], strict=False)]
    return sorted({limits[0] / 2, *limits, *between, limits[-1] * 2})


def _missing(order: tuple[str, ...], rows: tuple[Criterion, ...], values: Mapping[str, Any],
             outcome: _Outcome) -> tuple[str, ...]:
    """Unknown fields whose value alone would narrow the possible levels.

    Falls back to every unknown field of the open rows when no single field does (fields that
    only matter together).
    """
    if outcome.level != INDETERMINATE or not outcome.possible:
        return ()
    read = {name for c in rows for name in c.fields if values[name] is None}
    found = set()
    for name in read:
        for candidate in _candidate_values(name, rows):
            trial = {**values, name: candidate}
            if _stratify(order, rows, trial).possible != outcome.possible:
                found.add(name)
                break
    if not found:
        for level, parts, value in outcome.descriptions:
            if value is None and level in outcome.possible:
                found.update(n for c in parts for n in c.fields if values[n] is None)
    return _fields_in_order(found)


def _out_of_scope(system: str, p: PatientFeatures, values: Mapping[str, Any],
                  rows: tuple[Criterion, ...]) -> RiskResult | None:
    if p.histology is None or p.histology in IN_SCOPE_HISTOLOGIES:
        return None
    note = (f"Table 2 stratifies differentiated thyroid cancer; histology={p.histology!r} is "
            f"outside it (in scope: {', '.join(IN_SCOPE_HISTOLOGIES)}).")
    return RiskResult(system, INDETERMINATE, (), (), (), (note,), _checks(rows, values))


def _checks(rows: tuple[Criterion, ...], values: Mapping[str, Any]) -> tuple[CriterionCheck, ...]:
    return tuple(
        CriterionCheck(c.criterion_id, c.level, c.text, _evaluate(c.tree.body, values),
                       tuple(name for name in c.fields if values[name] is None))
        for c in rows
    )


def _run(system: str, p: Any, evidence: Any
         ) -> tuple[RiskResult, PatientFeatures, _Outcome | None, tuple[Criterion, ...]]:
    """Shared part of :func:`ata_risk` and :func:`tnm_risk_group` (notes are added by them)."""
    p = _as_patient(p)
    rows = _criteria(evidence, system)
    values = _effective_values(p)
    out = _out_of_scope(system, p, values, rows)
    if out is not None:
        return out, p, None, rows
    order = _LEVELS_OF[system]
    outcome = _stratify(order, rows, values)
    shown = (outcome.level,) if outcome.level != INDETERMINATE else outcome.possible
    criteria = tuple(c.criterion_id for level, parts, value in outcome.descriptions
                     if level in shown and value is True for c in parts)
    result = RiskResult(system, outcome.level, criteria, _missing(order, rows, values, outcome),
                        outcome.possible, (), _checks(rows, values))
    return result, p, outcome, rows


def ata_risk(p: PatientFeatures | Mapping[str, Any], evidence: Any = None) -> RiskResult:
    """ATA risk of structural disease recurrence, as Table 2 of the review prints it.

    Research and teaching material, not clinical decision support.

    Parameters
    ----------
    p : PatientFeatures or mapping
        The patient; a mapping is passed to :meth:`PatientFeatures.from_dict`.
    evidence : Evidence or DataFrame, optional
        Where the rows come from: an :class:`~thyroid_evidence.evidence.Evidence` (its
        ``risk_stratification``) or that DataFrame; default ``load_evidence()``.

    Returns
    -------
    RiskResult
        ``level`` in {"low", "intermediate", "high", "indeterminate"}.

    Notes
    -----
    One high row that holds gives "high" whatever else is unknown; "intermediate" needs every
    high row known not to hold; "low" needs a low-risk description that holds in full and every
    intermediate and high row known not to hold. See the module docstring for the rule
    language and for how each ambiguous line of Table 2 is read.

    Examples
    --------
    >>> r = ata_risk(PatientFeatures(extrathyroidal_extension="gross"))
    >>> r.level, r.criteria
    ('high', ('ata_high_macroscopic_invasion',))
    """
    result, p, outcome, _ = _run("ata", p, evidence)
    if outcome is None:
        return result
    notes = []
    if not result.possible_levels:
        low = [(parts, value) for level, parts, value in outcome.descriptions if level == "low"]
        notes.append(_gap_note(low, _effective_values(p)))
        if p.histology == "hurthle":
            notes.append("Table 2's low-risk descriptions name PTC and FTC only; the review "
                         "names Hürthle cell cancer separately, so no low-risk row applies.")
    if p.histology is None and result.decided:
        notes.append("histology is unknown: the level assumes a differentiated thyroid cancer, "
                     "the scope of Table 2.")
    if "rai_avid_foci" in result.missing:
        notes.append("rai_avid_foci is unknown; use 'not_given' when no radioiodine therapy was "
                     "given (the low-risk condition starts 'If RIT is given').")
    return replace(result, notes=tuple(notes))


def _false_terms(node: ast.AST, values: Mapping[str, Any]) -> list[ast.AST]:
    """The parts of a rule that make it fail: the failing conjuncts of an ``and``, else itself."""
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.And):
        return [term for value in node.values if _evaluate(value, values) is False
                for term in _false_terms(value, values)]
    return [node]


def _why_not(c: Criterion, values: Mapping[str, Any]) -> str:
    """E.g. ``vascular_invasion_foci < 4 (vascular_invasion_foci=4)``."""
    reasons = []
    for term in _false_terms(c.tree.body, values):
        names = _fields_in_order({n.id for n in ast.walk(term) if isinstance(n, ast.Name)})
        shown = ", ".join(f"{name}={values[name]!r}" for name in names)
        reasons.append(f"{ast.unparse(term)} ({shown})")
    return "; ".join(reasons)


def _gap_note(low: list[tuple[tuple[Criterion, ...], bool | None]],
              values: Mapping[str, Any]) -> str:
    failed = []
    for parts, _ in low:
        not_met = [c for c in parts if _evaluate(c.tree.body, values) is False]
        if parts[0] in not_met:
            not_met = [parts[0]]  # the header fails: its conditions do not matter
        why = " and ".join(
            _why_not(c, values) if c is parts[0] else f"'{c.text}': {_why_not(c, values)}"
            for c in not_met
        )
        failed.append(f"'{parts[0].text}' [{why}]")
    return ("No row of Table 2 places this patient: no high or intermediate row holds and no "
            "low-risk description is met. Not met: " + " | ".join(failed))


def tnm_risk_group(p: PatientFeatures | Mapping[str, Any], evidence: Any = None) -> RiskResult:
    """TNM risk group (very low, low, high) as Table 2 of the review prints it.

    Research and teaching material, not clinical decision support.

    Parameters
    ----------
    p : PatientFeatures or mapping
        Reads ``t_category``, ``n_category`` and ``m_category`` (and ``histology`` for scope).
    evidence : Evidence or DataFrame, optional
        As for :func:`ata_risk`.

    Returns
    -------
    RiskResult
        ``level`` in {"very_low", "low", "high", "indeterminate"}; the footnotes of the group
        (``*`` for very low, ``**`` for low and high: when radioiodine therapy is indicated)
        are in ``notes``.

    Examples
    --------
    >>> tnm_risk_group(PatientFeatures(t_category="T2", n_category="N0", m_category="M0")).level
    'low'
    """
    result, p, outcome, rows = _run("tnm", p, evidence)
    if outcome is None:
        return result
    notes = []
    if result.decided:
        for c in rows:
            note = f"Footnote {c.footnote}" if c.footnote else None
            if c.criterion_id in result.criteria and note and note not in notes:
                notes.append(note)
        if result.level == "very_low" and p.multifocal is True:
            notes.append("This patient's tumour is multifocal, one of the cases footnote * names.")
        if p.histology is None:
            notes.append("histology is unknown: the group assumes a differentiated thyroid "
                         "cancer, the scope of Table 2.")
    return replace(result, notes=tuple(notes))


def stratify(patients: Mapping[str, PatientFeatures | Mapping[str, Any]],
             evidence: Any = None) -> pd.DataFrame:
    """ATA and TNM levels of several named patients, one row each (for notebooks).

    Research and teaching material, not clinical decision support.

    Parameters
    ----------
    patients : mapping of str to PatientFeatures or mapping
        Patient label -> features (plain dicts as in a notebook's parameters cell).
    evidence : Evidence or DataFrame, optional
        As for :func:`ata_risk`.

    Returns
    -------
    DataFrame
        Columns ``patient``, ``ata_level``, ``ata_criteria``, ``ata_missing``, ``tnm_level``,
        ``tnm_criteria``, ``tnm_missing``, ``notes`` (lists joined with ", " or " / ").

    Raises
    ------
    ValueError
        Naming the patient, for invalid features.
    """
    if not isinstance(patients, Mapping):
        raise ValueError("patients must be a mapping of patient labels to features; got "
                         f"{type(patients).__name__}")
    records = []
    for label, features in patients.items():
        try:
            p = _as_patient(features)
        except ValueError as exc:
            raise ValueError(f"patient {label!r}: {exc}") from None
        ata, tnm = ata_risk(p, evidence), tnm_risk_group(p, evidence)
        records.append({
            "patient": label,
            "ata_level": ata.level,
            "ata_criteria": ", ".join(ata.criteria),
            "ata_missing": ", ".join(ata.missing),
            "tnm_level": tnm.level,
            "tnm_criteria": ", ".join(tnm.criteria),
            "tnm_missing": ", ".join(tnm.missing),
            "notes": " / ".join(ata.notes + tnm.notes),
        })
    columns = ["patient", "ata_level", "ata_criteria", "ata_missing", "tnm_level",
               "tnm_criteria", "tnm_missing", "notes"]
    return pd.DataFrame.from_records(records, columns=columns)
