"""A digitised curve against the text: the milestones and medians the evidence quotes for the
same series and endpoint.

The curves of ``evidence/curves/`` (:mod:`thyroid_evidence.curves`) are joined to their series
here: :func:`evidence_curve` gives one ready for the reconstruction, and
:func:`evidence_curve_problems` adds to the tables' own rules that each curve's series exists
(``thyroid-evidence validate`` reports both).

A curve rebuilt from a published figure (:func:`thyroid_evidence.survival.reconstruct_km`)
and the numbers the text prints are two readings of one result. :func:`check_curve_against_text`
puts them side by side: each quoted value with its rounding interval, the rebuilt curve's value
with a digitisation interval (the band over digitisation noise when given, otherwise
± :data:`DIGITISATION_ERROR`), and a status. A quoted value that neither interval can reach
is flagged: the figure and the text disagree by more than digitisation can explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from thyroid_evidence.curves import CurveTables, curve_problems, load_curves
from thyroid_evidence.evidence import Evidence
from thyroid_evidence.exceptions import EvidenceError
from thyroid_evidence.validation import is_real
from thyroid_evidence.vocab import INCIDENCE_ENDPOINTS, MONTHS_PER_UNIT, TIME_TO_EVENT_ENDPOINTS

if TYPE_CHECKING:  # imported where used: validation (which imports this module) needs no scipy
    from thyroid_evidence.survival import EnsembleResult, PseudoIPD

#: Default digitisation error in survival (a proportion) when no band is given: clicks on a
#: printed curve are rarely off by more than 2 percentage points.
DIGITISATION_ERROR = 0.02
#: Statuses, in the order they are checked.
STATUSES = ("consistent", "misses the quoted value", "beyond the digitised curve")
COLUMNS = ["outcome_id", "quantity", "time_months", "reported", "lower", "upper", "curve",
           "curve_low", "curve_high", "status"]


def quoted_values(evidence: Evidence, series_id: str, endpoint: str) -> pd.DataFrame:
    """The milestones and median the evidence quotes for ``series_id`` / ``endpoint``.

    Returns
    -------
    DataFrame
        ``outcome_id, quantity, time_months, reported, lower, upper``: quantity
        ``"survival"`` (a proportion; incidence endpoints are turned into 1 - incidence so
        that they read on a survival curve) or ``"median"`` (months); lower/upper the
        rounding interval of the printed digits. Whole-series rows only.

    Raises
    ------
    ValueError
        For an unknown series, or an endpoint without a time-to-event reading.
    """
    if endpoint not in TIME_TO_EVENT_ENDPOINTS:
        raise ValueError(f"endpoint={endpoint!r} has no curve; allowed: "
                         f"{', '.join(TIME_TO_EVENT_ENDPOINTS)}")
    rows = evidence.outcomes_for(series_id, endpoint)
    rows = rows[rows["category"].isna() & rows["subgroup"].isna()]
    out = []
    incidence = endpoint in INCIDENCE_ENDPOINTS
    stat = "cumulative_incidence" if incidence else "survival"
    for r in rows.itertuples():
        if r.statistic == stat and r.unit == "percent" and pd.notna(r.time_months):
            value, half = float(r.value) / 100.0, 0.5 * 10.0 ** (-int(r.decimals)) / 100.0
            if incidence:
                value = 1.0 - value
            out.append((r.outcome_id, "survival", float(r.time_months), value,
                        max(0.0, value - half), min(1.0, value + half)))
        elif r.statistic == "median" and r.unit in MONTHS_PER_UNIT:
            f = MONTHS_PER_UNIT[r.unit]
            value, half = float(r.value) * f, 0.5 * 10.0 ** (-int(r.decimals)) * f
            out.append((r.outcome_id, "median", np.nan, value, value - half, value + half))
    return pd.DataFrame(out, columns=COLUMNS[:6])


def _median(grid: np.ndarray, curve: np.ndarray, level: float) -> float:
    below = np.flatnonzero(curve <= level)
    return float(grid[below[0]]) if below.size else np.inf


def check_curve(
    result: PseudoIPD,
    quoted: pd.DataFrame,
    *,
    band: EnsembleResult | None = None,
    digitisation_error: float = DIGITISATION_ERROR,
) -> pd.DataFrame:
    """Each quoted value against the rebuilt curve (times in months).

    Parameters
    ----------
    result : PseudoIPD
        A reconstruction from a digitised curve whose time axis is in months.
    quoted : DataFrame
        As :func:`quoted_values` returns.
    band : EnsembleResult, optional
        A band over digitisation noise (:func:`~thyroid_evidence.survival.digitisation_band`);
        its pointwise limits and median interval are the curve's interval.
    digitisation_error : float in [0, 1)
        Without a band, the curve's interval is its value ± this.

    Returns
    -------
    DataFrame
        The columns of :func:`quoted_values` and ``curve, curve_low, curve_high, status``
        (one of :data:`STATUSES`).

    Raises
    ------
    TypeError
        For a ``result`` that is not a PseudoIPD, a non-numeric ``digitisation_error`` or a
        ``band`` that is not an EnsembleResult.
    ValueError
        For ``digitisation_error`` outside [0, 1).
    """
    from thyroid_evidence.survival import EnsembleResult, PseudoIPD
    from thyroid_evidence.survival.km import survival_on

    if not isinstance(result, PseudoIPD):
        raise TypeError(f"result must be a PseudoIPD; got {type(result).__name__}")
    if band is not None and not isinstance(band, EnsembleResult):
        raise TypeError(f"band must be an EnsembleResult; got {type(band).__name__}")
    if not is_real(digitisation_error):
        raise TypeError(f"digitisation_error must be a number; got {digitisation_error!r}")
    if not 0 <= digitisation_error < 1:
        raise ValueError(f"digitisation_error must lie in [0, 1); got {digitisation_error!r}")
    data = result.data
    t_obs = data["time"].to_numpy(float)
    e_obs = (data["event"] == 1).to_numpy(int)
    t_end = (float(result.diagnostics.curve["time"].iloc[-1])
             if result.diagnostics is not None else float(t_obs.max()))
    grid = np.linspace(0.0, float(t_obs.max()), 2001)
    curve = survival_on(t_obs, e_obs, grid)
    rows = []
    for q in quoted.itertuples():
        if q.quantity == "survival":
            if q.time_months > t_end:
                rows.append((np.nan, np.nan, np.nan, STATUSES[2]))
                continue
            value = float(survival_on(t_obs, e_obs, np.array([q.time_months]))[0])
            if band is not None:
                lo = float(np.interp(q.time_months, band.times, band.ci_low))
                hi = float(np.interp(q.time_months, band.times, band.ci_high))
                lo, hi = min(lo, value), max(hi, value)
            else:
                lo, hi = value - digitisation_error, value + digitisation_error
        else:
            value = _median(grid, curve, 0.5)
            if band is not None and band.quantity == "survival":
                lo, hi = min(band.median[1], value), max(band.median[2], value)
            else:
                lo = _median(grid, curve, 0.5 + digitisation_error)
                hi = _median(grid, curve, 0.5 - digitisation_error)
            if not np.isfinite(value) and q.lower > t_end:
                rows.append((value, lo, hi, STATUSES[2]))
                continue
        meets = lo <= q.upper + 1e-12 and hi >= q.lower - 1e-12
        rows.append((value, lo, hi, STATUSES[0] if meets else STATUSES[1]))
    out = quoted.reset_index(drop=True)[COLUMNS[:6]].copy()
    extra = pd.DataFrame(rows, columns=COLUMNS[6:])
    return pd.concat([out, extra], axis=1)[COLUMNS]


def check_curve_against_text(
    evidence: Evidence,
    series_id: str,
    endpoint: str,
    result: PseudoIPD,
    *,
    band: EnsembleResult | None = None,
    digitisation_error: float = DIGITISATION_ERROR,
) -> pd.DataFrame:
    """:func:`check_curve` with the values the evidence quotes for the series and endpoint."""
    return check_curve(result, quoted_values(evidence, series_id, endpoint), band=band,
                       digitisation_error=digitisation_error)


# --- the curves of evidence/curves/, joined to their series ---------------------------------


@dataclass(frozen=True, eq=False)
class EvidenceCurve:
    """One digitised curve of ``evidence/curves/``, ready for
    :func:`~thyroid_evidence.survival.reconstruct_km`.

    Attributes
    ----------
    curve_id, series_id, endpoint, arm : str
    time, survival : ndarray
        The clicks, in file order (time in months, survival a proportion).
    risk_times, n_risk : ndarray
        The printed numbers at risk, by time.
    """

    curve_id: str
    series_id: str
    endpoint: str
    arm: str
    time: np.ndarray
    survival: np.ndarray
    risk_times: np.ndarray
    n_risk: np.ndarray

    @property
    def label(self) -> str:
        """``series · endpoint · arm`` for titles."""
        return f"{self.series_id} · {self.endpoint} · {self.arm}"


def curve_series_problems(evidence: Evidence, curves: CurveTables) -> list[str]:
    """Curves whose series is not in ``series.csv``, one problem per curve
    (``curves/points.csv:row: series_id: value — rule``)."""
    known = set(evidence.series_ids)
    rows = curves.points.drop_duplicates("curve_id")
    return [f"curves/points.csv:{r.row}: series_id: {r.series_id} — the series must be in "
            f"series.csv (curve {r.curve_id!r}); known: {', '.join(evidence.series_ids)}"
            for r in rows.itertuples() if r.series_id not in known]


def evidence_curve_problems(evidence: Evidence) -> list[str]:
    """Every problem of the evidence package's curve tables: their own rules
    (:func:`thyroid_evidence.curves.curve_problems`), then whether each curve's series exists.
    Empty without curves."""
    problems = curve_problems(evidence.root)
    if problems:
        return problems
    return curve_series_problems(evidence, load_curves(evidence.root))


def evidence_curve(evidence: Evidence, curve_id: str) -> EvidenceCurve:
    """The digitised curve ``curve_id`` of the evidence package, validated.

    Raises
    ------
    EvidenceError
        When the curve tables or the curve's series fail validation.
    LookupError
        For an unknown ``curve_id`` (the message lists the known ones).
    """
    curves = load_curves(evidence.root)
    problems = curve_series_problems(evidence, curves)
    if problems:
        raise EvidenceError(problems, evidence.root)
    points, risk = curves.curve(curve_id)
    first = points.iloc[0]
    return EvidenceCurve(
        curve_id=curve_id, series_id=str(first["series_id"]), endpoint=str(first["endpoint"]),
        arm=str(first["arm"]), time=points["time_months"].to_numpy(float),
        survival=points["survival"].to_numpy(float),
        risk_times=risk["time_months"].to_numpy(float), n_risk=risk["n_risk"].to_numpy(int))
