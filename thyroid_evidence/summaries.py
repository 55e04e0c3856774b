"""Tidy tables of the series' reported proportions, with intervals.

Collects every reported proportion of the evidence (response categories, complete treatment,
local efficacy and control, complications, ...) into one table with a count ``k`` of ``n``
where the source gives or implies it, and an interval from
:func:`thyroid_evidence.proportions.proportion_ci`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from thyroid_evidence.audit import grim
from thyroid_evidence.audit.rounding import reported_from_value
from thyroid_evidence.evidence import Evidence
from thyroid_evidence.proportions import proportion_ci

#: Columns of :func:`proportion_table`.
PROPORTION_COLUMNS = (
    "series_id", "outcome_ids", "endpoint", "category", "subgroup", "unit_of_analysis",
    "time_months", "reported", "k", "n", "k_basis", "estimate", "ci_low", "ci_high", "method",
)


def _label(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


def _reported(row: pd.Series) -> str:
    text = reported_from_value(row["value"], row["decimals"])
    return f"{text}%" if row["unit"] == "percent" else text


def proportion_table(
    evidence: Evidence,
    *,
    method: str = "wilson",
    alpha: float = 0.05,
    series_ids: Sequence[str] | None = None,
    endpoints: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every reported proportion with its count and a confidence interval.

    Parameters
    ----------
    evidence : Evidence
        From :func:`thyroid_evidence.load_evidence`.
    method : {"wilson", "clopper-pearson", "jeffreys", "agresti-coull"}
        Interval method, passed to :func:`~thyroid_evidence.proportions.proportion_ci`.
    alpha : float in (0, 1)
        One minus the confidence level.
    series_ids, endpoints : sequence of str, optional
        Restrict the table.

    Returns
    -------
    DataFrame
        One row per reported result (a count and its percentage reported together make one
        row), with :data:`PROPORTION_COLUMNS`. ``k_basis`` says where ``k`` comes from:
        ``stated``; ``from percent`` (the k/n nearest the printed percentage among those that
        round to it); ``from percent, only if truncated`` (no k/n rounds to it, one truncates
        to it: see the audit);
        or why there is no interval: ``no denominator``, ``time-point rate`` (an actuarial
        rate at a time point is not k of n: see the survival notebooks for its interval) or
        ``percentage fits no k/n`` (see the audit).
    """
    out = evidence.outcomes
    is_share = (out["statistic"] == "proportion") | (
        (out["statistic"] == "count") & out["numerator"].notna() & out["denominator"].notna()
    )
    rows = out[is_share]
    if series_ids is not None:
        rows = rows[rows["series_id"].isin(series_ids)]
    if endpoints is not None:
        rows = rows[rows["endpoint"].isin(endpoints)]
    records = []
    keys = ["series_id", "endpoint", "category", "subgroup", "time_months"]
    for _, grp in rows.groupby(keys, dropna=False, sort=False):
        counts = grp[grp["statistic"] == "count"]
        shares = grp[grp["statistic"] == "proportion"]
        first = grp.iloc[0]
        reported = " = ".join(
            [f"{int(r['numerator'])}/{int(r['denominator'])}" for _, r in counts.iterrows()]
            + [_reported(r) for _, r in shares.iterrows()]
        )
        k, n, basis = _count(counts, shares)
        low = high = estimate = np.nan
        if k is not None:
            estimate = k / n
            low, high = proportion_ci(k, n, method=method, alpha=alpha)
        elif len(shares):
            estimate = shares["value"].iloc[0] / 100.0
        records.append({
            "series_id": first["series_id"],
            "outcome_ids": ", ".join(grp["outcome_id"]),
            "endpoint": first["endpoint"],
            "category": _label(first["category"]),
            "subgroup": _label(first["subgroup"]),
            "unit_of_analysis": first["unit_of_analysis"],
            "time_months": first["time_months"],
            "reported": reported,
            "k": k,
            "n": n,
            "k_basis": basis,
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "method": method if k is not None else "",
        })
    table = pd.DataFrame.from_records(records, columns=list(PROPORTION_COLUMNS))
    table["k"] = table["k"].astype("Int64")
    table["n"] = table["n"].astype("Int64")
    table.attrs["alpha"] = alpha
    return table


def _count(counts: pd.DataFrame, shares: pd.DataFrame) -> tuple[int | None, int | None, str]:
    return count_for(counts.iloc[0] if len(counts) else shares.iloc[0])


def count_for(row: pd.Series) -> tuple[int | None, int | None, str]:
    """The count k of n behind one outcome row, and where it comes from.

    Parameters
    ----------
    row : Series
        A row of ``evidence.outcomes`` (a proportion, or a count with a denominator).

    Returns
    -------
    tuple (k, n, basis)
        ``basis`` as the ``k_basis`` column of :func:`proportion_table`; ``k`` is None when
        there is no count to give (then ``basis`` says why).
    """
    if pd.notna(row["numerator"]) and pd.notna(row["denominator"]):
        return int(row["numerator"]), int(row["denominator"]), "stated"
    if row["statistic"] == "count" and pd.notna(row["denominator"]):
        return int(row["value"]), int(row["denominator"]), "stated"
    if pd.notna(row["time_months"]):
        return None, None, "time-point rate"
    if pd.isna(row["denominator"]):
        return None, None, "no denominator"
    n = int(row["denominator"])
    result = grim(reported_from_value(row["value"], row["decimals"]), n)
    if "half_up" in result.modes:
        return result.best("half_up"), n, "from percent"
    if "truncate" in result.modes:
        return result.best("truncate"), n, "from percent, only if truncated"
    return None, n, "percentage fits no k/n"


def _row_label(row: pd.Series, with_series: bool) -> str:
    parts = [row["endpoint"].replace("_", " ")]
    if row["category"]:
        parts.append(row["category"].replace("_", " "))
    if row["subgroup"]:
        parts.append(f"[{row['subgroup']}]")
    if pd.notna(row["time_months"]):
        parts.append(f"at {row['time_months']:g} mo")
    text = ": ".join(parts[:2]) + "".join(f" {p}" for p in parts[2:])
    return f"{row['series_id']} · {text}" if with_series else text


def plot_proportion_table(
    table: pd.DataFrame,
    *,
    ax=None,
    title: str | None = None,
    with_series: bool = False,
):
    """Forest-style plot of reported proportions, one row each, nothing pooled.

    Rows with a count show the observed proportion (filled square) and its interval; rows
    without one (a time-point rate, no denominator, a percentage that fits no k/n) show the
    reported value as an open square with the reason on the right.

    Parameters
    ----------
    table : DataFrame
        From :func:`proportion_table`.
    ax : matplotlib Axes, optional
    title : str, optional
    with_series : bool
        Prefix each label with its series id (for tables spanning several series).

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    if table.empty:
        raise ValueError("table is empty: no reported proportion to plot")
    n_rows = len(table)
    if ax is None:
        _, ax = plt.subplots(figsize=(10.0, 1.4 + 0.38 * n_rows))
    ys = np.arange(n_rows, 0, -1, dtype=float)
    text_tf = blended_transform_factory(ax.transAxes, ax.transData)
    methods = {m for m in table["method"] if m}
    for y, (_, row) in zip(ys, table.iterrows(), strict=True):
        estimate = 100.0 * row["estimate"]
        if pd.notna(row["ci_low"]):
            ax.hlines(y, 100 * row["ci_low"], 100 * row["ci_high"], color="0.2", lw=1.3)
            ax.plot(estimate, y, "s", color="0.2", markersize=6)
            note = (f"{int(row['k'])}/{int(row['n'])}  {estimate:.1f}% "
                    f"[{100 * row['ci_low']:.1f}, {100 * row['ci_high']:.1f}]")
            if row["k_basis"] != "stated":
                note += f"  (k {row['k_basis']})"
        else:
            ax.plot(estimate, y, "s", mfc="white", mec="0.2", markersize=6)
            note = f"{row['reported']}  no interval: {row['k_basis']}"
        ax.text(1.02, y, note, transform=text_tf, va="center", fontsize=8)
    ax.set_yticks(ys)
    ax.set_yticklabels([_row_label(r, with_series) for _, r in table.iterrows()], fontsize=8.5)
    ax.set_xlim(-2, 102)
    ax.set_ylim(0.3, n_rows + 0.7)
    ax.set_xlabel("Proportion (%)")
    ax.grid(axis="x", color="0.9", lw=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    level = ", ".join(sorted(methods)) or "none"
    confidence = f"{100 * (1 - table.attrs.get('alpha', 0.05)):g}"
    ax.annotate(f"Filled squares: k/n with {confidence}% interval ({level}); open squares: "
                "reported "
                "value without a binomial interval. Nothing is pooled.",
                xy=(0, 0), xycoords="axes fraction", xytext=(0, -40),
                textcoords="offset points", fontsize=7.5, color="0.35", va="top")
    if title:
        ax.set_title(title, loc="left", fontsize=10)
    return ax
