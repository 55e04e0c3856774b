"""Render the audit table as plain text, CSV, JSON or Markdown."""

from __future__ import annotations

import json
import textwrap

import pandas as pd

from thyroid_evidence.study.audit import AUDIT_COLUMNS as _COLUMNS
from thyroid_evidence.validation import check_choice
from thyroid_evidence.vocab import AUDIT_FORMATS, STATUSES

#: Output formats accepted by :func:`format_audit`.
FORMATS = AUDIT_FORMATS


def format_audit(df: pd.DataFrame, fmt: str = "table") -> str:
    """Render an :func:`audit_evidence` table.

    Parameters
    ----------
    df : pandas.DataFrame
        The audit table (columns series_id, outcome_ids, check, status, detail).
    fmt : {"table", "csv", "json", "markdown"}
        ``table``: one block per finding for a terminal, with a count of statuses at the end;
        ``csv``: RFC 4180 with a header; ``json``: a list of objects, one per row;
        ``markdown``: a pipe table.

    Returns
    -------
    str
        Ends with a newline; identical input gives identical output.
    """
    check_choice(fmt, "fmt", FORMATS)
    missing = [c for c in _COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"df lacks the audit column(s) {missing}; pass audit_evidence() output")
    records = [{c: str(row[c]) for c in _COLUMNS} for _, row in df.iterrows()]
    if fmt == "csv":
        return df.loc[:, list(_COLUMNS)].to_csv(index=False, lineterminator="\n")
    if fmt == "json":
        return json.dumps(records, indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        lines = ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
        for rec in records:
            cells = [rec[c].replace("|", "\\|").replace("\n", " ") for c in _COLUMNS]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"
    return _table(records)


def _table(records: list[dict[str, str]]) -> str:
    if not records:
        return "No checks were run: the evidence holds no percentages to audit.\n"
    width = max(len(r["status"]) for r in records)
    blocks = []
    for rec in records:
        head = f"{rec['status']:<{width}}  {rec['series_id']}  {rec['check']}: {rec['outcome_ids']}"
        body = textwrap.fill(
            rec["detail"], width=100, initial_indent=" " * (width + 2),
            subsequent_indent=" " * (width + 2),
        )
        blocks.append(f"{head}\n{body}")
    counts: dict[str, int] = {}
    for rec in records:
        counts[rec["status"]] = counts.get(rec["status"], 0) + 1
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES if s in counts)
    return "\n".join(blocks) + f"\n\n{len(records)} checks: {summary}.\n"
