"""A value of the evidence as its source prints it: digits, unit, comparator.

Every table and figure label that shows a reported number goes through :func:`printed_value`
(or :func:`printed_number` for the bare digits the audit's arithmetic parses), so that a value
is written the same way everywhere. The unit styles are vocabularies of
:mod:`thyroid_evidence.vocab`: :data:`~thyroid_evidence.vocab.UNIT_ABBREVIATIONS` for tables
(``"62 mo"``) and :data:`~thyroid_evidence.vocab.UNIT_WORDS` for sentences and annotations
(``"5 patients"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from thyroid_evidence.audit.rounding import reported_from_value
from thyroid_evidence.vocab import COMPARATOR_SYMBOLS, UNIT_ABBREVIATIONS

#: The typographic minus sign used in printed values (the evidence stores ``-``).
MINUS = "\N{MINUS SIGN}"


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def printed_number(value: float, decimals: Any) -> str:
    """The digits of a stored value as printed: ``value`` with ``decimals`` digits.

    A missing ``decimals`` means a whole number. The result keeps the ASCII ``-`` so that
    :func:`thyroid_evidence.audit.rounding.parse_reported` can read it back.
    """
    return reported_from_value(value, 0 if _missing(decimals) else int(decimals))


def unit_text(unit: Any, units: Mapping[str, str] = UNIT_ABBREVIATIONS) -> str:
    """What follows the number for ``unit`` in the style ``units`` (else a space and the unit)."""
    if _missing(unit):
        return ""
    return units.get(unit, f" {unit}")


def printed_value(
    row: Mapping[str, Any],
    *,
    units: Mapping[str, str] = UNIT_ABBREVIATIONS,
    comparator: bool = False,
) -> str:
    """One evidence row's value as printed: ``"71.6%"``, ``"62 mo"``, ``"≥55 ℃"``.

    Parameters
    ----------
    row : mapping
        An evidence row with ``value``, ``decimals`` and ``unit`` (and ``comparator`` when
        ``comparator`` is true).
    units : mapping of str to str
        The unit style (default abbreviations; see the module docstring).
    comparator : bool
        Write the row's comparator before the number (``"<"``, ``"≥"``, ``"around "``).

    Returns
    -------
    str
        Negative numbers with the typographic minus.
    """
    prefix = ""
    if comparator and not _missing(row.get("comparator")):
        prefix = COMPARATOR_SYMBOLS.get(row["comparator"], "")
    number = printed_number(row["value"], row["decimals"]).replace("-", MINUS)
    return prefix + number + unit_text(row["unit"], units)


def number_or_none(value: Any) -> float | None:
    """``value`` as a float, or None when it is missing (None, NaN, ``pd.NA``)."""
    return None if _missing(value) else float(value)
