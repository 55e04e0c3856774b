"""Charts and tables for teaching: Table 1 as pictures, Table 2 applied, the review's numbers.

**Research and teaching material, not clinical decision support.** Every number drawn here is
read from ``evidence/`` (``clinical_features.csv``, ``context.csv``, ``outcomes.csv``,
``series.csv``) through :func:`thyroid_evidence.load_evidence`; nothing is typed in.

How ranges are drawn
--------------------
Table 1 prints ranges ("80–85%"), single values ("lungs (50%)"), and open bounds ("<10%",
"up to 25%", ">65 years"). :func:`clinical_feature_values` gives each row a ``shape``:

* ``"range"``: ``low < high``, drawn as a thick bar from low to high;
* ``"value"``: ``low == high``, drawn as a dot;
* ``"upper_bound"``: only ``high`` (comparator ``<`` or ``<=``): the true value lies anywhere
  below it; drawn as a pale band from 0 to the bound, closed by a bar at the bound;
* ``"lower_bound"``: only ``low`` (comparator ``>`` or ``>=``): the mirror image.

Every chart labels each mark with the review's own wording (``"80–85%"``, ``"up to 25%"``).

Every plotting function takes ``ax=None`` (a new figure) and returns the Axes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from thyroid_evidence import DISCLAIMER

__all__ = [
    "HISTOTYPE_COLORS",
    "HISTOTYPE_LABELS",
    "LEVEL_COLORS",
    "clinical_feature_values",
    "context_facts",
    "patients_by_label",
    "plot_ablation_temperatures",
    "plot_feature_ranges",
    "plot_metastases_at_presentation",
    "plot_metastatic_sites",
    "plot_prevalence",
    "plot_proportions",
    "plot_series_overview",
    "plot_stratification",
    "plot_ten_year_survival",
    "reported_proportions",
    "series_overview",
    "stratification_table",
]


#: Display names of the histotypes of Table 1 (and "differentiated" = PTC + FTC).
HISTOTYPE_LABELS: Mapping[str, str] = {
    "papillary": "Papillary (PTC)",
    "follicular": "Follicular (FTC)",
    "medullary": "Medullary (MTC)",
    "anaplastic": "Anaplastic (ATC)",
    "differentiated": "Differentiated (DTC)",
}
#: Okabe-Ito colours (readable with the common colour-vision deficiencies and in grey).
HISTOTYPE_COLORS: Mapping[str, str] = {
    "papillary": "#0072B2",
    "follicular": "#009E73",
    "medullary": "#E69F00",
    "anaplastic": "#D55E00",
    "differentiated": "#56B4E9",
}
#: Colours of the risk levels in :func:`plot_stratification`.
LEVEL_COLORS: Mapping[str, str] = {
    "very low": "#9ad9c4",
    "low": "#009E73",
    "intermediate": "#F0C05A",
    "high": "#C2410C",
    "indeterminate": "#e0e0e0",
}
SHAPES = ("range", "value", "upper_bound", "lower_bound")

_SITE_LABELS = {"lung_mediastinum": "lung / mediastinum"}
_UNIT_SUFFIX = {"percent": "%", "years": " years", "ratio": ""}
_TEXT_COLOR = "#333333"
_NOTE_COLOR = "#555555"


# --------------------------------------------------------------------------------------------
# helpers


def _evidence(evidence: Any) -> Any:
    if evidence is None:
        from thyroid_evidence import load_evidence

        return load_evidence()
    if not hasattr(evidence, "clinical_features"):
        raise ValueError(
            f"evidence must be an Evidence from thyroid_evidence.load_evidence(); got "
            f"{type(evidence).__name__}"
        )
    return evidence


def _new_axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


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


def _site_label(site: str) -> str:
    return _SITE_LABELS.get(site, site.replace("_", " "))


def _footer(ax: Any, text: str) -> None:
    """Source line under the x label (an Axes child, so constrained layout makes room)."""
    import textwrap

    width = max(60, int(ax.figure.get_figwidth() * 13))
    ax.annotate(textwrap.fill(text, width), xy=(0, 0),
                xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -6),
                textcoords="offset points", fontsize=8, color=_NOTE_COLOR, ha="left",
                va="top", annotation_clip=False)


def _source_note(ev: Any, frame: pd.DataFrame) -> str:
    refs = ev.sources.set_index("source_id")["ref_number"]
    parts = []
    for (source_id, location), _ in frame.groupby(["source_id", "location"], sort=False):
        where = f"review, {location}"
        ref = refs.get(source_id)
        if source_id != "review" and ref is not None and not pd.isna(ref):
            where += f", adapted from ref. {int(ref)}"
        parts.append(where)
    return "Source: " + "; ".join(dict.fromkeys(parts)) + ". " + DISCLAIMER


# --------------------------------------------------------------------------------------------
# Table 1


def clinical_feature_values(feature: str, evidence: Any = None) -> pd.DataFrame:
    """Numeric rows of one Table 1 feature, tidy, with how each should be drawn.

    Parameters
    ----------
    feature : str
        A ``feature`` of ``evidence/clinical_features.csv`` with numbers, e.g.
        ``"prevalence"``, ``"ten_year_survival"``, ``"metastatic_site"``,
        ``"distant_metastases_at_presentation"``.
    evidence : Evidence, optional
        Default ``load_evidence()``.

    Returns
    -------
    DataFrame
        ``feature_id, histotype, site, printed, comparator, low, high, unit, shape,
        source_id, quote, location`` in file order; ``printed`` is the review's wording of
        the number (e.g. ``"49–62%"``), ``shape`` one of :data:`SHAPES`.

    Raises
    ------
    ValueError
        If ``feature`` has no numeric rows; the message lists the features that have.
    """
    ev = _evidence(evidence)
    table = ev.clinical_features
    numeric = table[table["low"].notna() | table["high"].notna()]
    allowed = list(dict.fromkeys(numeric["feature"]))
    if feature not in allowed:
        raise ValueError(f"feature={feature!r} has no numeric rows; allowed: {', '.join(allowed)}")
    rows = numeric[numeric["feature"] == feature]
    records = []
    for row in rows.itertuples(index=False):
        low, high = _num(row.low), _num(row.high)
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
        })
    return pd.DataFrame.from_records(records)


def plot_feature_ranges(
    frame: pd.DataFrame,
    ax: Any = None,
    *,
    labels: Sequence[str] | None = None,
    colors: Sequence[str] | None = None,
    positions: Sequence[float] | None = None,
    xlabel: str = "Percent of patients",
    title: str | None = None,
    xmax: float = 100.0,
    bound_note: str = "upper bound",
    legend: bool = True,
    legend_loc: str = "lower right",
) -> Any:
    """Draw rows of :func:`clinical_feature_values` as ranges, dots and open bounds.

    Parameters
    ----------
    frame : DataFrame
        Columns ``low``, ``high``, ``shape`` and ``printed`` (as from
        :func:`clinical_feature_values`).
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        One y label per row (default: the histotype names).
    colors : sequence of str, optional
        One colour per row (default: by histotype).
    positions : sequence of float, optional
        y position of each row (default: top to bottom, one unit apart).
    xlabel, title : str
    xmax : float
        Right end of the x axis (0 on the left).
    bound_note : str
        Added to the printed wording of an upper bound, e.g. "up to 25% (upper bound)".
    legend : bool
        Explain the marks in a legend.
    legend_loc : str
        Where the legend goes (a matplotlib ``loc``).

    Returns
    -------
    matplotlib Axes
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    missing = [c for c in ("low", "high", "shape", "printed") if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks the column(s) {', '.join(missing)}")
    n = len(frame)
    if n == 0:
        raise ValueError("frame has no rows to draw")
    if labels is None:
        labels = [HISTOTYPE_LABELS.get(h, h) for h in frame.get("histotype", [""] * n)]
    if colors is None:
        colors = [HISTOTYPE_COLORS.get(h, "#444444") for h in frame.get("histotype", [""] * n)]
    ys = np.arange(n, 0, -1, dtype=float) if positions is None else np.asarray(positions, float)
    if not len(labels) == len(colors) == len(ys) == n:
        raise ValueError("labels, colors and positions must have one entry per row of frame")
    ax = _new_axes(ax, (8.0, 1.2 + 0.55 * n))
    bar_height = 0.42
    for y, color, row in zip(ys, colors, frame.itertuples(index=False), strict=True):
        low, high, shape = _num(row.low), _num(row.high), row.shape
        if shape == "range":
            ax.barh(y, high - low, left=low, height=bar_height, color=color, zorder=3)
            end = high
            text = row.printed
        elif shape == "value":
            ax.plot([low], [y], "o", ms=11, color=color, mec="white", mew=1.2, zorder=4)
            end = low
            text = row.printed
        elif shape == "upper_bound":
            ax.barh(y, high, left=0, height=bar_height, color=color, alpha=0.22, zorder=2,
                    hatch="///", edgecolor=color, linewidth=0)
            ax.plot([high, high], [y - bar_height / 1.6, y + bar_height / 1.6], color=color,
                    lw=3.5, solid_capstyle="butt", zorder=4)
            end = high
            text = f"{row.printed} ({bound_note})" if bound_note else row.printed
        elif shape == "lower_bound":
            ax.barh(y, xmax - low, left=low, height=bar_height, color=color, alpha=0.22,
                    zorder=2, hatch="\\\\\\", edgecolor=color, linewidth=0)
            ax.plot([low, low], [y - bar_height / 1.6, y + bar_height / 1.6], color=color,
                    lw=3.5, solid_capstyle="butt", zorder=4)
            end = low
            text = f"{row.printed} (lower bound)"
        else:
            raise ValueError(f"shape={shape!r} is not drawable; allowed: {', '.join(SHAPES)}")
        ax.annotate(text, (end, y), xytext=(9, 0), textcoords="offset points", va="center",
                    fontsize=11, color=_TEXT_COLOR, fontweight="bold", zorder=5)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=11)
    ax.set_xlim(0, xmax)
    ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    ax.set_xlabel(xlabel, fontsize=11)
    ax.tick_params(axis="x", labelsize=10)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    if legend:
        shapes = set(frame["shape"])
        handles = []
        if "range" in shapes:
            handles.append(Patch(color="#777777", label="range printed in the review"))
        if "value" in shapes:
            handles.append(Line2D([], [], marker="o", ls="", ms=9, color="#777777",
                                  label="single value"))
        if "upper_bound" in shapes:
            handles.append(Patch(facecolor="#dddddd", hatch="///", edgecolor="#777777",
                                 label="upper bound: the value lies anywhere below the bar"))
        if "lower_bound" in shapes:
            handles.append(Patch(facecolor="#dddddd", hatch="\\\\\\", edgecolor="#777777",
                                 label="lower bound: the value lies anywhere above the bar"))
        ax.legend(handles=handles, loc=legend_loc, frameon=True, framealpha=0.95,
                  edgecolor="#dddddd", fontsize=9.5)
    return ax


def plot_prevalence(ax: Any = None, *, evidence: Any = None) -> Any:
    """Share of thyroid cancers that are PTC, FTC, MTC and ATC (Table 1, "Prevalence").

    Returns
    -------
    matplotlib Axes
    """
    ev = _evidence(evidence)
    frame = clinical_feature_values("prevalence", ev)
    ax = plot_feature_ranges(frame, ax, xlabel="Share of all thyroid cancers (%)",
                             title="How common is each histotype?")
    _footer(ax, _source_note(ev, frame))
    return ax


def plot_ten_year_survival(ax: Any = None, *, evidence: Any = None) -> Any:
    """Ten-year survival by histotype (Table 1, "Prognosis (10-year survival)").

    Returns
    -------
    matplotlib Axes
    """
    ev = _evidence(evidence)
    frame = clinical_feature_values("ten_year_survival", ev)
    ax = plot_feature_ranges(frame, ax, xlabel="Patients alive 10 years after diagnosis (%)",
                             title="Ten-year survival by histotype")
    _footer(ax, _source_note(ev, frame))
    return ax


def plot_metastatic_sites(ax: Any = None, *, evidence: Any = None) -> Any:
    """Common sites of metastases per histotype, with their frequencies (Table 1).

    One block of rows per histotype (in Table 1's order), one row per site; printed ranges are
    bars, single values dots.

    Returns
    -------
    matplotlib Axes
    """
    ev = _evidence(evidence)
    frame = clinical_feature_values("metastatic_site", ev)
    positions, labels, colors, headers = [], [], [], []
    y = 0.0
    for histotype, block in frame.groupby("histotype", sort=False):
        y -= 1.0
        headers.append((y, histotype))
        for site in block["site"]:
            y -= 1.0
            positions.append(y)
            labels.append(_site_label(site))
            colors.append(HISTOTYPE_COLORS.get(histotype, "#444444"))
        y -= 0.4
    ax = _new_axes(ax, (8.5, 0.42 * (len(frame) + 2 * len(headers)) + 1.6))
    plot_feature_ranges(frame, ax, labels=labels, colors=colors, positions=positions,
                        xlabel="Frequency printed in Table 1 (%)",
                        title="Where does each histotype spread?")
    for y_head, histotype in headers:
        ax.text(0, y_head, HISTOTYPE_LABELS.get(histotype, histotype),
                transform=ax.get_yaxis_transform(), ha="left", va="center", fontsize=12,
                fontweight="bold", color=HISTOTYPE_COLORS.get(histotype, "#444444"))
    ax.set_ylim(min(positions) - 0.8, max(y for y, _ in headers) + 0.8)
    _footer(ax, _source_note(ev, frame))
    return ax


def plot_metastases_at_presentation(ax: Any = None, *, evidence: Any = None) -> Any:
    """Distant metastases already present at diagnosis, by histotype (section "Metastatic
    disease"); "up to" values are drawn as upper bounds.

    Returns
    -------
    matplotlib Axes
    """
    ev = _evidence(evidence)
    frame = clinical_feature_values("distant_metastases_at_presentation", ev)
    labels = [
        HISTOTYPE_LABELS.get(h, h) + (" = PTC + FTC" if h == "differentiated" else "")
        for h in frame["histotype"]
    ]
    ax = plot_feature_ranges(frame, ax, labels=labels,
                             xlabel="Patients with distant metastases (%)",
                             title="Distant metastases at presentation", xmax=100.0)
    rows = ev.clinical_features.set_index("feature_id").loc[frame["feature_id"]]
    unstated = [HISTOTYPE_LABELS.get(h, h).split(" (")[-1].rstrip(")")
                for h, note in zip(rows["histotype"], rows["note"], strict=True)
                if isinstance(note, str) and "at presentation" in note]
    named = " and ".join(unstated)
    caveat = (f"'At presentation' is stated for ATC only; the review gives the {named} figures "
              "in the same breath without saying so. " if unstated else "")
    _footer(ax, caveat + _source_note(ev, frame))
    return ax


# --------------------------------------------------------------------------------------------
# Table 2 applied to example patients


def patients_by_label(patients: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Turn a list of plain dicts with a ``label`` key into ``{label: features}``.

    The form a notebook's parameters cell can hold (a list of dicts of literals), ready for
    :func:`thyroid_evidence.staging.stratify`.

    Raises
    ------
    ValueError
        If ``patients`` is not a list of dicts, a dict has no non-empty string ``label``, two
        patients share a label, or a patient's features are not valid
        :class:`~thyroid_evidence.staging.PatientFeatures` (the message names the patient,
        the field and the allowed values).
    """
    from thyroid_evidence.staging import PatientFeatures

    if isinstance(patients, str | bytes | Mapping) or not isinstance(patients, Sequence):
        raise ValueError(f"patients must be a list of dicts; got {type(patients).__name__}")
    out: dict[str, dict[str, Any]] = {}
    for i, patient in enumerate(patients):
        if not isinstance(patient, Mapping):
            raise ValueError(f"patients[{i}] must be a dict; got {type(patient).__name__}")
        label = patient.get("label")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"patients[{i}] needs a non-empty string 'label'; got {label!r}")
        if label in out:
            raise ValueError(f"patients[{i}]: label {label!r} is used twice; labels must be "
                             "unique")
        features = {k: v for k, v in patient.items() if k != "label"}
        try:
            PatientFeatures.from_dict(features)
        except ValueError as exc:
            raise ValueError(f"patients[{i}] ({label!r}): {exc}") from None
        out[label] = features
    return out


def _criterion_texts(ev: Any) -> dict[str, str]:
    rows = ev.risk_stratification
    return dict(zip(rows["criterion_id"], rows["criterion"], strict=True))


def stratification_table(stratified: pd.DataFrame, evidence: Any = None) -> pd.DataFrame:
    """A :func:`~thyroid_evidence.staging.stratify` result as a table to read in class.

    Two rows per patient (ATA, then TNM): the level in words, the Table 2 lines that hold for
    it in the table's own wording (for an indeterminate level: the lines that hold for the
    levels still possible), the unknown fields that could change it, and the notes.

    Parameters
    ----------
    stratified : DataFrame
        Output of :func:`thyroid_evidence.staging.stratify`.
    evidence : Evidence, optional
        For the wording of the criteria; default ``load_evidence()``.

    Returns
    -------
    DataFrame
        ``patient, system, level, criteria_met, criterion_ids, missing, notes``; ``system`` in
        {"ATA", "TNM"}, ``level`` with spaces (``"very low"``).

    Raises
    ------
    ValueError
        If a column of :func:`stratify`'s output is missing or a criterion id is not in
        ``evidence/risk_stratification.csv``.
    """
    need = ["patient", "ata_level", "ata_criteria", "ata_missing", "tnm_level", "tnm_criteria",
            "tnm_missing", "ata_notes", "tnm_notes"]
    if not isinstance(stratified, pd.DataFrame):
        raise ValueError(f"stratified must be the DataFrame from stratify(); got "
                         f"{type(stratified).__name__}")
    lacking = [c for c in need if c not in stratified.columns]
    if lacking:
        raise ValueError(f"stratified lacks the column(s) {', '.join(lacking)}; pass the "
                         "output of thyroid_evidence.staging.stratify")
    texts = _criterion_texts(_evidence(evidence))
    records = []
    for row in stratified.itertuples(index=False):
        for system in ("ata", "tnm"):
            ids = [c for c in str(getattr(row, f"{system}_criteria") or "").split(", ") if c]
            unknown = [c for c in ids if c not in texts]
            if unknown:
                raise ValueError(f"criterion id(s) {', '.join(unknown)} are not in "
                                 "evidence/risk_stratification.csv")
            records.append({
                "patient": row.patient,
                "system": system.upper(),
                "level": str(getattr(row, f"{system}_level")).replace("_", " "),
                "criteria_met": "; ".join(texts[c] for c in ids),
                "criterion_ids": ", ".join(ids),
                "missing": str(getattr(row, f"{system}_missing") or ""),
                "notes": str(getattr(row, f"{system}_notes") or ""),
            })
    return pd.DataFrame.from_records(
        records,
        columns=["patient", "system", "level", "criteria_met", "criterion_ids", "missing", "notes"],
    )


def plot_stratification(table: pd.DataFrame, ax: Any = None) -> Any:
    """Grid of the example patients (rows) by system (ATA, TNM), coloured by level.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`stratification_table`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    import textwrap

    from matplotlib.patches import Rectangle

    lacking = [c for c in ("patient", "system", "level", "missing", "notes")
               if c not in table.columns]
    if lacking:
        raise ValueError(f"table lacks the column(s) {', '.join(lacking)}; pass the output of "
                         "stratification_table")
    patients = list(dict.fromkeys(table["patient"]))
    systems = list(dict.fromkeys(table["system"]))
    ax = _new_axes(ax, (10.0, 1.0 + 0.8 * len(patients)))
    for row in table.itertuples(index=False):
        y = len(patients) - patients.index(row.patient)
        x = systems.index(row.system)
        color = LEVEL_COLORS.get(row.level, LEVEL_COLORS["indeterminate"])
        ax.add_patch(Rectangle((x + 0.02, y - 0.46), 0.96, 0.92, color=color, zorder=2))
        dark = row.level in ("low", "high")
        detail = ""
        if row.missing:
            names = str(row.missing).split(", ")
            detail = "unknown: " + ", ".join(names[:2]) + (
                f" (+{len(names) - 2} more)" if len(names) > 2 else "")
        elif row.level == "indeterminate" and "No row of Table 2" in str(row.notes):
            detail = "a gap: no row of Table 2 applies"
        elif row.level == "indeterminate" and "is outside it" in str(row.notes):
            detail = "outside the scope of Table 2"
        ax.text(x + 0.5, y + (0.2 if detail else 0), row.level, ha="center",
                va="center", zorder=3, fontsize=12, fontweight="bold",
                color="white" if dark else "#222222")
        if detail:
            ax.text(x + 0.5, y - 0.17, textwrap.fill(detail, 36), ha="center", va="center",
                    zorder=3, fontsize=8.5, linespacing=1.1,
                    color="white" if dark else "#222222")
    ax.set_xlim(0, len(systems))
    ax.set_ylim(0.5, len(patients) + 0.5)
    ax.set_xticks([i + 0.5 for i in range(len(systems))])
    ax.set_xticklabels([f"{s} risk (Table 2)" for s in systems], fontsize=12,
                       fontweight="bold")
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(patients), 0, -1))
    ax.set_yticklabels([textwrap.fill(str(p), 28) for p in patients], fontsize=11)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    _footer(ax, "Table 2 of the review applied by thyroid_evidence.staging to made-up "
            "patients. " + DISCLAIMER)
    return ax


# --------------------------------------------------------------------------------------------
# context facts and techniques


def context_facts(topic: str | None = None, evidence: Any = None) -> pd.DataFrame:
    """Rows of ``evidence/context.csv`` (optionally one topic), with the value as printed.

    Returns
    -------
    DataFrame
        ``fact_id, topic, description, printed, value, unit, quote, location``; ``printed``
        joins comparator, value and unit (``"≥55 ℃"``).

    Raises
    ------
    ValueError
        For an unknown topic; the message lists the topics.
    """
    ev = _evidence(evidence)
    facts = ev.context
    topics = list(dict.fromkeys(facts["topic"]))
    if topic is not None:
        if topic not in topics:
            raise ValueError(f"topic={topic!r} is not in context.csv; allowed: "
                             f"{', '.join(topics)}")
        facts = facts[facts["topic"] == topic]
    symbols = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "~": "around "}
    units = {"celsius": " ℃", "percent": "%", "cm": " cm", "mCi": " mCi"}
    out = facts.assign(
        printed=[
            f"{symbols.get(c, '') if isinstance(c, str) else ''}"
            f"{_fmt(v, d)}{units.get(u, ' ' + str(u))}"
            for c, v, d, u in zip(facts["comparator"], facts["value"], facts["decimals"],
                                  facts["unit"], strict=True)
        ]
    )
    return out[["fact_id", "topic", "description", "printed", "value", "unit", "quote",
                "location"]].reset_index(drop=True)


def _fmt(value: float, decimals: Any) -> str:
    d = 0 if decimals is None or pd.isna(decimals) else int(decimals)
    text = f"{float(value):.{d}f}"
    return text.replace("-", "−")


_TECHNIQUE_NAMES = {
    "rfa_mwa_temperature": "Radiofrequency /\nmicrowave ablation",
    "cryoablation_temperature": "Cryo-ablation",
}


def plot_ablation_temperatures(ax: Any = None, *, evidence: Any = None) -> Any:
    """Intra-tumoral temperatures that ablation reaches (context.csv, topic
    ``ablation_temperature``): heat above a threshold, cold around a value.

    Returns
    -------
    matplotlib Axes
    """
    ev = _evidence(evidence)
    facts = context_facts("ablation_temperature", ev)
    comparators = ev.context.set_index("fact_id")["comparator"]
    values = facts["value"].to_numpy(float)
    top = max(values.max(), 0.0) + 45.0
    bottom = min(values.min(), 0.0) - 30.0
    ax = _new_axes(ax, (8.0, 5.4))
    ax.axhspan(bottom, 0, color="#deebf7", zorder=0)
    ax.axhspan(0, top, color="#fee0d2", zorder=0)
    ax.axhline(0, color="#777777", lw=1, zorder=1)
    ax.text(-0.55, 0, "0 ℃", ha="left", va="bottom", fontsize=10, color="#555555")
    for i, row in enumerate(facts.itertuples(index=False)):
        comparator = comparators.get(row.fact_id)
        color = "#cb181d" if row.value > 0 else "#2171b5"
        if comparator in (">=", ">", "<=", "<"):
            tip = top - 3 if comparator.startswith(">") else bottom + 3
            ax.annotate("", xy=(i, tip), xytext=(i, row.value),
                        arrowprops={"arrowstyle": "simple,head_width=1.6,head_length=1.2",
                                    "color": color, "alpha": 0.45, "mutation_scale": 22},
                        zorder=3)
            ax.plot([i - 0.2, i + 0.2], [row.value, row.value], color=color, lw=5,
                    solid_capstyle="butt", zorder=4)
        else:
            ax.plot([i], [row.value], "o", ms=20, color=color, zorder=4, mec="white", mew=2)
        ax.text(i + 0.27, row.value, row.printed, va="center", ha="left", fontsize=14,
                fontweight="bold", color=color, zorder=5)
    ax.set_xticks(range(len(facts)))
    ax.set_xticklabels([_TECHNIQUE_NAMES.get(f, f) for f in facts["fact_id"]], fontsize=12)
    ax.set_xlim(-0.6, len(facts) + 0.2)
    ax.set_ylim(bottom, top)
    ax.set_ylabel("Intra-tumoral temperature (℃)", fontsize=11)
    ax.set_title("Ablation kills tumour tissue by heat or by cold", fontsize=13, loc="left",
                 fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    _footer(ax, "Source: review, " + facts["location"].iloc[0] + " (ref. 13). " + DISCLAIMER)
    return ax


# --------------------------------------------------------------------------------------------
# reported proportions with intervals


def reported_proportions(
    outcome_ids: Sequence[str],
    evidence: Any = None,
    *,
    method: str = "clopper-pearson",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Events / total of reported outcomes with a confidence interval for each.

    Parameters
    ----------
    outcome_ids : sequence of str
        ``outcome_id`` values of ``evidence/outcomes.csv`` with statistic ``proportion`` or
        ``count`` and a denominator.
    evidence : Evidence, optional
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Passed to :func:`thyroid_evidence.proportions.proportion_ci`; the exact
        (Clopper-Pearson) interval by default, as the series are small.
    alpha : float in (0, 1)

    Returns
    -------
    DataFrame
        ``outcome_id, series_id, endpoint, category, unit_of_analysis, events, total,
        events_basis, proportion, ci_low, ci_high, reported, quote, location``. The count of
        events comes from ``numerator`` when the evidence has it (``events_basis`` "stated" or
        "implied", as ``denominator_basis``), else from the percentage and the denominator
        (see :func:`thyroid_evidence.summaries.count_for`).

    Raises
    ------
    ValueError
        For an unknown id (listing close ones), a row without a denominator, or a count that
        cannot give the reported percentage.
    """
    from thyroid_evidence.proportions import proportion_ci
    from thyroid_evidence.summaries import count_for

    ev = _evidence(evidence)
    if isinstance(outcome_ids, str) or not isinstance(outcome_ids, Sequence) or not outcome_ids:
        raise ValueError("outcome_ids must be a non-empty list of outcome_id strings")
    table = ev.outcomes.set_index("outcome_id")
    records = []
    for oid in outcome_ids:
        if oid not in table.index:
            usable = table.index[table["denominator"].notna()
                                 & table["statistic"].isin(["proportion", "count"])]
            raise ValueError(f"outcome_id={oid!r} is not in outcomes.csv; outcomes with a "
                             f"denominator: {', '.join(usable)}")
        row = table.loc[oid]
        if row["statistic"] not in ("proportion", "count") or pd.isna(row["denominator"]):
            raise ValueError(f"outcome_id={oid!r} is a {row['statistic']} without a usable "
                             "denominator; allowed: proportion or count rows with a denominator")
        events, total, basis = count_for(row)
        if events is None:
            raise ValueError(f"outcome_id={oid!r}: no count out of {total} gives "
                             f"{row['value']}% ({basis})")
        low, high = proportion_ci(events, total, method=method, alpha=alpha)
        reported = (f"{_fmt(row['value'], row['decimals'])}%" if row["unit"] == "percent"
                    else f"{int(row['value'])} {row['unit']}")
        records.append({
            "outcome_id": oid,
            "series_id": row["series_id"],
            "endpoint": row["endpoint"],
            "category": None if pd.isna(row["category"]) else row["category"],
            "unit_of_analysis": row["unit_of_analysis"],
            "events": events,
            "total": total,
            "events_basis": basis,
            "proportion": events / total,
            "ci_low": low,
            "ci_high": high,
            "reported": reported,
            "quote": row["quote"],
            "location": row["location"],
        })
    return pd.DataFrame.from_records(records)


def plot_proportions(
    table: pd.DataFrame,
    ax: Any = None,
    *,
    labels: Sequence[str] | None = None,
    title: str | None = None,
    level: float = 0.95,
) -> Any:
    """Reported proportions as dots with their confidence intervals, one row each; no
    pooling (the rows measure different things).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`reported_proportions`.
    ax : matplotlib Axes, optional
    labels : sequence of str, optional
        One label per row (default: endpoint and category).
    title : str, optional
    level : float
        Confidence level used for ``table`` (for the legend only).

    Returns
    -------
    matplotlib Axes
    """
    lacking = [c for c in ("events", "total", "proportion", "ci_low", "ci_high", "series_id")
               if c not in table.columns]
    if lacking:
        raise ValueError(f"table lacks the column(s) {', '.join(lacking)}; pass the output of "
                         "reported_proportions")
    n = len(table)
    if labels is None:
        labels = [
            (r.endpoint.replace("_", " ") + (f": {r.category.replace('_', ' ')}"
                                             if isinstance(r.category, str) else ""))
            for r in table.itertuples(index=False)
        ]
    if len(labels) != n:
        raise ValueError(f"labels must have one entry per row ({n}); got {len(labels)}")
    palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
    series = list(dict.fromkeys(table["series_id"]))
    ax = _new_axes(ax, (9.0, 1.4 + 0.6 * n))
    ys = np.arange(n, 0, -1, dtype=float)
    for y, row in zip(ys, table.itertuples(index=False), strict=True):
        color = palette[series.index(row.series_id) % len(palette)]
        ax.plot([100 * row.ci_low, 100 * row.ci_high], [y, y], color=color, lw=3,
                solid_capstyle="butt", zorder=3)
        ax.plot([100 * row.proportion], [y], "o", ms=10, color=color, mec="white", mew=1.2,
                zorder=4)
        ax.text(1.03, y, f"{row.events}/{row.total} {row.unit_of_analysis}s   "
                f"{100 * row.proportion:.0f}% [{100 * row.ci_low:.0f}–{100 * row.ci_high:.0f}]",
                transform=ax.get_yaxis_transform(), va="center", fontsize=10, color=color)
    ax.set_yticks(ys)
    ax.set_yticklabels(labels, fontsize=10.5)
    ax.set_xlim(0, 100)
    ax.set_ylim(0.4, n + 0.6)
    ax.set_xlabel(f"Proportion (%), dot = reported, line = exact {level:.0%} confidence "
                  "interval", fontsize=10)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(title, fontsize=13, loc="left", fontweight="bold")
    _footer(ax, "Counts and denominators from evidence/outcomes.csv. " + DISCLAIMER)
    return ax


# --------------------------------------------------------------------------------------------
# the series behind the evidence


def series_overview(evidence: Any = None) -> pd.DataFrame:
    """One row per series of the review: size, population, design, follow-up.

    Returns
    -------
    DataFrame
        ``series_id, title, target_site, n_patients, n_lesions, population_kind,
        thyroid_share_percent, design, follow_up``. ``population_kind`` is "mixed primaries"
        when the evidence lists the primary tumours of the series, "thyroid cancer" when the
        population names thyroid cancer, else "other primary (no thyroid cancer)";
        ``thyroid_share_percent`` is the reported share of thyroid primaries (mixed series).
    """
    ev = _evidence(evidence)
    out = ev.outcomes
    records = []
    for row in ev.series.itertuples(index=False):
        mix = out[(out["series_id"] == row.series_id) & (out["endpoint"] == "primary_tumor")]
        thyroid = mix[mix["category"] == "thyroid"]
        if len(mix):
            kind = "mixed primaries"
        elif "thyroid" in str(row.population).lower():
            kind = "thyroid cancer"
        else:
            kind = "other primary (no thyroid cancer)"
        records.append({
            "series_id": row.series_id,
            "title": row.title,
            "target_site": row.target_site,
            "n_patients": None if pd.isna(row.n_patients) else int(row.n_patients),
            "n_lesions": None if pd.isna(row.n_lesions) else int(row.n_lesions),
            "population_kind": kind,
            "thyroid_share_percent": float(thyroid["value"].iloc[0]) if len(thyroid) else None,
            "design": row.design,
            "follow_up": None if pd.isna(row.follow_up) else row.follow_up,
        })
    return pd.DataFrame.from_records(records)


_KIND_COLORS = {
    "thyroid cancer": "#0072B2",
    "mixed primaries": "#E69F00",
    "other primary (no thyroid cancer)": "#999999",
}


def plot_series_overview(ax: Any = None, *, evidence: Any = None) -> Any:
    """How many patients each series treated, whose cancers they were, and how long they
    were followed: the limits of the evidence in one picture.

    Returns
    -------
    matplotlib Axes
    """
    import textwrap

    from matplotlib.patches import Patch

    ev = _evidence(evidence)
    table = series_overview(ev)
    n = len(table)
    ax = _new_axes(ax, (11.0, 1.6 + 0.95 * n))
    ys = np.arange(n, 0, -1, dtype=float)
    sizes = [_num(v) or 0.0 for v in table["n_patients"]]
    largest = max(sizes)
    for y, n_pat, row in zip(ys, sizes, table.itertuples(index=False), strict=True):
        ax.barh(y, n_pat, height=0.6, color=_KIND_COLORS[row.population_kind], zorder=3)
        share = _num(row.thyroid_share_percent)
        if share is not None:
            ax.barh(y, n_pat * share / 100.0, height=0.6, color=_KIND_COLORS["thyroid cancer"],
                    zorder=4)
        lesions = _num(row.n_lesions)
        first = f"{n_pat:.0f} patients" + (f", {lesions:.0f} lesions" if lesions else "")
        if share is not None:
            first += f"; thyroid primaries {share:g}%"
        second = f"follow-up: {row.follow_up if isinstance(row.follow_up, str) else 'not reported'}"
        ax.annotate(first, (n_pat, y), xytext=(7, 5), textcoords="offset points",
                    va="bottom", fontsize=11, fontweight="bold", color=_TEXT_COLOR)
        ax.annotate(second, (n_pat, y), xytext=(7, -3), textcoords="offset points",
                    va="top", fontsize=10, color=_NOTE_COLOR)
    ax.set_yticks(ys)
    ax.set_yticklabels([textwrap.fill(f"{t} [{s}]", 34)
                        for t, s in zip(table["title"], table["target_site"], strict=True)],
                       fontsize=10)
    ax.set_xlim(0, largest * 1.75)
    ax.set_ylim(0.4, n + 0.6)
    ax.set_xlabel("Patients in the series", fontsize=11)
    ax.grid(axis="x", color="#e3e3e3", lw=0.8, zorder=0)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.tick_params(axis="y", length=0)
    ax.set_title("The series behind the review's evidence", fontsize=13, loc="left",
                 fontweight="bold")
    handles = [Patch(color=c, label=k) for k, c in _KIND_COLORS.items()]
    ax.legend(handles=handles, loc="center right", frameon=True, framealpha=0.95,
              edgecolor="#dddddd", fontsize=9.5, title="population treated", title_fontsize=9.5)
    _footer(ax, "Source: evidence/series.csv and outcomes.csv (review, 'Interventional "
            "techniques and available results'). " + DISCLAIMER)
    return ax
