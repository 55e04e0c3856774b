"""PatientFeatures: what is known about one patient, validated on creation.

Research and teaching material, not clinical decision support.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

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

#: Fields with a fixed list of values, and the values.
FIELD_CHOICES: dict[str, tuple[str, ...]] = {
    "histology": HISTOLOGIES,
    "extrathyroidal_extension": EXTRATHYROIDAL_EXTENSION,
    "rai_avid_foci": RAI_AVID_FOCI,
    "t_category": T_CATEGORIES,
    "n_category": N_CATEGORIES,
    "m_category": M_CATEGORIES,
}
#: Fields that count (whole numbers >= 0), that measure (cm) and that are True/False.
COUNT_FIELDS = ("vascular_invasion_foci", "pathologic_n1_count")
SIZE_FIELDS = ("largest_node_cm",)
BOOLEAN_FIELDS = (
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


def is_missing(value: Any) -> bool:
    """True for None and for the missing values pandas reads from an empty cell."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _clean_value(name: str, value: Any) -> Any:
    """Check one field's value and return it in canonical Python type."""
    if is_missing(value):
        return None
    if name in FIELD_CHOICES:
        allowed = FIELD_CHOICES[name]
        if not isinstance(value, str) or value not in allowed:
            raise ValueError(
                f"{name}={value!r} is not allowed; allowed: {', '.join(allowed)} "
                "or None (unknown)"
            )
        return value
    if name in BOOLEAN_FIELDS:
        if not _is_bool(value):
            raise ValueError(f"{name}={value!r} is not allowed; allowed: True, False or None "
                             "(unknown)")
        return bool(value)
    if name in COUNT_FIELDS:
        number = _as_number(value)
        if number is None or not math.isfinite(number) or number != int(number) or number < 0:
            raise ValueError(
                f"{name}={value!r} is not allowed; allowed: a whole number >= 0 or None (unknown)"
            )
        return int(number)
    if name in SIZE_FIELDS:
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
