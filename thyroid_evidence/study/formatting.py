"""A value of the evidence as its source prints it: digits, unit, comparator.

Every table and figure label that shows a reported number goes through :func:`printed_value`
(or :func:`printed_number` for the bare digits the audit's arithmetic parses), so that a value
is written the same way everywhere. The unit styles are vocabularies of
:mod:`thyroid_evidence.vocab`: :data:`~thyroid_evidence.vocab.UNIT_ABBREVIATIONS` for tables
(``"62 mo"``) and :data:`~thyroid_evidence.vocab.UNIT_WORDS` for sentences and annotations
(``"5 patients"``).

Labels for figures come from here too, from the evidence's own words: :func:`display_label`
turns a slug of the evidence (``still_following_ebrt``) into words with its abbreviations in
capitals ("still following EBRT"), :func:`series_label` and :func:`source_label` name a series
and a source as a reader knows them ("de Baère 2015", "de Baère et al. 2015 (ref. 20)"), never
by their ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from thyroid_evidence.audit.rounding import reported_from_value
from thyroid_evidence.vocab import ACRONYMS, COMPARATOR_SYMBOLS, REVIEW_SOURCE, UNIT_ABBREVIATIONS

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


_ACRONYMS = {a.lower(): a for a in ACRONYMS}


def display_label(slug: Any) -> str:
    """A slug of the evidence as words: underscores become spaces, abbreviations of
    :data:`thyroid_evidence.vocab.ACRONYMS` keep their capitals (``"oral_rit"`` -> "oral RIT");
    ``""`` for a missing value."""
    if _missing(slug):
        return ""
    return " ".join(_ACRONYMS.get(word.lower(), word) for word in str(slug).split("_") if word)


def _text(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if _missing(value) else str(value).strip()


def series_label(row: Mapping[str, Any]) -> str:
    """The short display label of a series (``series.csv``'s ``label``, e.g. "de Baère 2015"),
    else its ``title``."""
    return _text(row, "label") or _text(row, "title") or _text(row, "series_id")


def _first_author(authors: str) -> tuple[str, bool]:
    """Surname of the first of ``authors`` ("T de Baère et al.", "Fromigué J; De Baere T") and
    whether there are others."""
    names = [a.strip() for a in authors.split(";") if a.strip()]
    first = names[0]
    more = len(names) > 1 or first.endswith("et al.")
    first = first.removesuffix("et al.").strip().rstrip(",")
    words = first.split()
    initials = [len(w.rstrip(".")) <= 2 and w[:1].isupper() for w in words]
    if len(words) > 1 and initials[-1]:  # "Fromigué J"
        while words and initials[len(words) - 1]:
            words.pop()
    elif len(words) > 1 and initials[0]:  # "T de Baère"
        words = words[next(i for i, ini in enumerate(initials) if not ini):]
    elif len(words) > 1:  # "Roberto Luigi Cazzato"
        words = words[-1:]
    return " ".join(words), more


def source_label(row: Mapping[str, Any]) -> str:
    """How a figure names a source of ``sources.csv``: "the review" for the review, else
    the first author and year with the review's reference number ("de Baère et al. 2015
    (ref. 20)"), falling back on the part of ``short_citation`` before a colon, the title or
    the id when the table gives no authors."""
    if _text(row, "source_id") == REVIEW_SOURCE or _text(row, "role") == "review":
        return "the review"
    authors = _text(row, "authors")
    if authors:
        surname, more = _first_author(authors)
        name = surname + (" et al." if more else "")
    else:
        name = (_text(row, "short_citation").split(":")[0].strip() or _text(row, "title")
                or _text(row, "source_id"))
    year = row.get("year")
    if not _missing(year):
        name += f" {int(float(year))}"
    ref = row.get("ref_number")
    if not _missing(ref) and str(ref).strip():
        name += f" (ref. {int(float(ref))})"
    return name
