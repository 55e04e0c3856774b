"""Table 1 and the review's context as tidy tables: clinical features, context facts, series.

Every number is read from ``evidence/`` (``clinical_features.csv``, ``context.csv``,
``outcomes.csv``, ``series.csv``); nothing is typed in.

How ranges are read
-------------------
Table 1 prints ranges ("80–85%"), single values ("lungs (50%)"), and open bounds ("<10%",
"up to 25%", ">65 years"). :func:`clinical_feature_values` gives each row a ``shape``:

* ``"range"``: ``low < high``;
* ``"value"``: ``low == high``;
* ``"upper_bound"``: only ``high`` (comparator ``<`` or ``<=``): the true value lies anywhere
  below it;
* ``"lower_bound"``: only ``low`` (comparator ``>`` or ``>=``): the mirror image.

:mod:`thyroid_evidence.plotting.clinical` draws them.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pandas as pd

from thyroid_evidence.evidence import Evidence
from thyroid_evidence.exceptions import ThyroidEvidenceWarning
from thyroid_evidence.study.checks import check_evidence
from thyroid_evidence.study.formatting import number_or_none, printed_value
from thyroid_evidence.vocab import POPULATION_KIND_LABELS, REVIEW_SOURCE

__all__ = ["SHAPES", "clinical_feature_values", "context_facts", "series_overview"]

#: How a row of :func:`clinical_feature_values` is drawn, by what the review prints.
SHAPES = ("range", "value", "upper_bound", "lower_bound")
#: Feature names the evidence no longer uses -> their name now. The text gives the MTC and
#: DTC figures without "at presentation", so the feature is ``distant_metastases`` and the
#: ``at_presentation`` column says which rows the text places at presentation. Kept for one
#: release so that callers of the old name get a warning, not an error.
RENAMED_FEATURES = {"distant_metastases_at_presentation": "distant_metastases"}


def _shape(comparator: Any, low: float | None, high: float | None) -> str | None:
    if low is not None and high is not None:
        if low > high:
            raise ValueError(f"low={low:g} exceeds high={high:g}")
        return "range" if low < high else "value"
    if high is not None:
        return "upper_bound"
    if low is not None:
        return "lower_bound"
    return None


def _printed_value(text: str) -> str:
    """The numeric part of a Table 1 cell: "Liver (49–62%)" -> "49–62%"."""
    found = re.search(r"\(([^()]*\d[^()]*)\)\s*$", text)
    return found.group(1).strip() if found else text.strip()


def _where(refs: pd.Series, source_id: str, location: str) -> str:
    """Where a Table 1 number is printed, and the reference the review adapted it from."""
    where = f"review, {location}"
    ref = refs.get(source_id)
    if source_id != REVIEW_SOURCE and ref is not None and not pd.isna(ref):
        where += f", adapted from ref. {int(ref)}"
    return where


def clinical_feature_values(feature: str, evidence: Evidence) -> pd.DataFrame:
    """Numeric rows of one Table 1 feature, tidy, with how each should be drawn.

    Parameters
    ----------
    feature : str
        A ``feature`` of ``evidence/clinical_features.csv`` with numbers, e.g.
        ``"prevalence"``, ``"ten_year_survival"``, ``"metastatic_site"``,
        ``"distant_metastases"``.
    evidence : Evidence

    Returns
    -------
    DataFrame
        ``feature_id, histotype, site, printed, comparator, low, high, unit, shape,
        source_id, quote, location, source, note, at_presentation`` in file order;
        ``printed`` is the review's wording of the number (e.g. ``"49–62%"``), ``shape`` one
        of :data:`SHAPES`, ``source`` where the review prints it (and the reference it
        adapted it from), ``note`` the evidence's note on the row (None when it has none),
        ``at_presentation`` (bool) whether the text says the number holds at presentation
        (the evidence's ``at_presentation`` column, False where empty).

    Raises
    ------
    ValueError
        If ``feature`` has no numeric rows; the message lists the features that have.
    """
    ev = check_evidence(evidence)
    if feature in RENAMED_FEATURES:
        warnings.warn(
            f"feature={feature!r} is now {RENAMED_FEATURES[feature]!r} (the rows the text "
            "places at presentation have at_presentation True); the old name will go",
            ThyroidEvidenceWarning, stacklevel=2)
        feature = RENAMED_FEATURES[feature]
    refs = ev.sources.set_index("source_id")["ref_number"]
    table = ev.clinical_features
    numeric = table[table["low"].notna() | table["high"].notna()]
    allowed = list(dict.fromkeys(numeric["feature"]))
    if feature not in allowed:
        raise ValueError(f"feature={feature!r} has no numeric rows; allowed: {', '.join(allowed)}")
    rows = numeric[numeric["feature"] == feature]
    records = []
    for row in rows.itertuples(index=False):
        low, high = number_or_none(row.low), number_or_none(row.high)
        records.append({
            "feature_id": row.feature_id,
            "histotype": row.histotype,
            "site": None if pd.isna(row.site) else row.site,
            "printed": _printed_value(str(row.text)),
            "comparator": None if pd.isna(row.comparator) else row.comparator,
            "low": low,
            "high": high,
            "unit": row.unit,
            "shape": _shape(row.comparator, low, high),
            "source_id": row.source_id,
            "quote": row.quote,
            "location": row.location,
            "source": _where(refs, row.source_id, row.location),
            "note": None if pd.isna(row.note) else row.note,
            "at_presentation": bool(row.at_presentation),
        })
    return pd.DataFrame.from_records(records)


def context_facts(topic: str | None, evidence: Evidence) -> pd.DataFrame:
    """Rows of ``evidence/context.csv`` (one topic, or all for None), with the value as printed.

    Returns
    -------
    DataFrame
        ``fact_id, topic, description, printed, comparator, value, unit, quote, location``;
        ``printed`` joins comparator, value and unit (``"≥55 ℃"``).

    Raises
    ------
    ValueError
        For an unknown topic; the message lists the topics.
    """
    facts = check_evidence(evidence).context
    topics = list(dict.fromkeys(facts["topic"]))
    if topic is not None:
        if topic not in topics:
            raise ValueError(f"topic={topic!r} is not in context.csv; allowed: "
                             f"{', '.join(topics)}")
        facts = facts[facts["topic"] == topic]
    out = facts.assign(
        printed=[printed_value(row, comparator=True) for _, row in facts.iterrows()]
    )
    return out[["fact_id", "topic", "description", "printed", "comparator", "value", "unit",
                "quote", "location"]].reset_index(drop=True)


def series_overview(evidence: Evidence) -> pd.DataFrame:
    """One row per series: size, population, design, follow-up.

    Returns
    -------
    DataFrame
        ``series_id, label, title, target_site, n_patients, n_lesions, population_kind,
        thyroid_share_percent, design, follow_up, location`` (where the source reports the
        series). ``label`` is the series' display label; ``population_kind`` the series'
        ``population_kind`` in words (:data:`thyroid_evidence.vocab.POPULATION_KIND_LABELS`:
        "thyroid cancer", "mixed primaries", "other primary (no thyroid cancer)",
        "population not stated"); ``thyroid_share_percent`` the reported share of thyroid
        primaries (an ``outcomes.csv`` row of endpoint ``primary_tumor``, category
        ``thyroid``), None when not reported.
    """
    ev = check_evidence(evidence)
    out = ev.outcomes
    records = []
    for row in ev.series.itertuples(index=False):
        thyroid = out[(out["series_id"] == row.series_id)
                      & (out["endpoint"] == "primary_tumor") & (out["category"] == "thyroid")]
        records.append({
            "series_id": row.series_id,
            "label": row.label,
            "title": row.title,
            "target_site": row.target_site,
            "n_patients": None if pd.isna(row.n_patients) else int(row.n_patients),
            "n_lesions": None if pd.isna(row.n_lesions) else int(row.n_lesions),
            "population_kind": POPULATION_KIND_LABELS[row.population_kind],
            "thyroid_share_percent": float(thyroid["value"].iloc[0]) if len(thyroid) else None,
            "design": row.design,
            "follow_up": None if pd.isna(row.follow_up) else row.follow_up,
            "location": row.location,
        })
    return pd.DataFrame.from_records(records)
