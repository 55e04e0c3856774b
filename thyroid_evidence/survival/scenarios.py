"""A reconstruction as a declared set of scenarios: what the reported numbers identify, and
what each assumption adds.

A handful of reported numbers (milestones, a median, a median follow-up, an event count)
does not determine a survival curve. :func:`scenario_set` therefore tries a declared grid of
readings of the publication, keeps those that reproduce every reported number, and reports
the envelope over the kept ones, each with its own sampling (see below):

- hazard families fitted to the reported numbers themselves (:data:`FAMILIES`):
  piecewise-exponential through them, exponential, and Weibull, log-normal and
  log-logistic with their shape spanning a declared range (:data:`SHAPE_RANGES`), plus the
  shape that fits best when two or more numbers are reported;
- censoring (:data:`SPREADS`, :data:`NO_FOLLOW_UP_PATTERNS`): follow-up uniform on a
  window; with a reported median follow-up, several spreads around it under both readings
  of that median (reverse Kaplan-Meier: the median potential follow-up; crude: the median
  observed time), and the spread whose expected event count meets a reported count; with a
  reported maximum, windows ending there; without any, several windows beyond the horizon;
- for incidence endpoints both readings (:data:`ESTIMATORS`): Aalen-Johansen with deaths
  competing, and 1 - Kaplan-Meier with deaths censored, each its own scenario;
- for per-lesion endpoints of a series whose patients are known, deaths and follow-up are
  drawn per patient, so the lesions of one patient share one death time.

A scenario is *accepted* when its model lies within the rounding interval of every reported
value (survival or incidence at each time, the median), its follow-up median (in its own
reading) within the rounding of the reported one, its expected number of events within half
an event of a reported count, and at least one subject is expected at risk at each reported
time. Acceptance is decided on the continuous model; whether integer data of the reported
size can print the values at all is the audit's question
(:func:`thyroid_evidence.audit.km_feasible`). Whether the one seeded integer data set of an
accepted scenario (:meth:`ScenarioSet.pseudo_data`) prints them is its own column of
:attr:`ScenarioSet.scenarios` (``pseudo_data_reproduces``).

Sampling, for the curve (:meth:`ScenarioSet.band` and the time rows of
:meth:`ScenarioSet.summary`): every accepted scenario contributes its own asymptotic
pointwise ``1 - alpha`` interval, computed from its model with no simulation
(:mod:`thyroid_evidence.survival.variance`: Greenwood's expected variance for Kaplan-Meier
and 1 - Kaplan-Meier, the Aalen-Johansen variance with deaths competing, on the
arcsine-square-root scale, only where the scenario expects at least one unit at risk).
In addition, for the accepted scenarios that attain the lowest and highest model value at
some requested time, ``n_draws`` data sets of the reported size are simulated (one seeded
generator per scenario) and estimated with the scenario's own estimator, and their pointwise
percentile intervals are added: the band is the envelope of every accepted model curve,
every accepted scenario's asymptotic interval and the simulated intervals of the extreme
ones (so it only widens over the asymptotic envelope). For per-lesion endpoints whose
lesions are grouped into fewer patients, the variance of the Aalen-Johansen death term is
multiplied by the design effect ``sum m_k^2 / n`` (``m_k`` lesions of patient ``k``: one
death removes them all), and progression is taken as independent between the lesions of a
patient (no design effect on the event term); the captions say so. A per-lesion survival
endpoint that counts death as an event (progression-free survival; ``shared_death_rate``) has
its event hazard split into a death part (the series' overall-survival death hazard, at most
the event hazard) and progression (:func:`shared_death_split`): the simulations draw one death
per patient, and Greenwood's variance carries the design effect on the death part.

The median and restricted-mean rows of :meth:`ScenarioSet.summary` hold every accepted
scenario's own sampling too: the Brookmeyer-Crowley interval of its median (where its
pointwise interval holds 50%) and the asymptotic interval of its restricted mean
(:mod:`thyroid_evidence.survival.variance`), with the simulated sampling of the scenarios
with the lowest and highest model median (restricted mean).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from statistics import NormalDist

import numpy as np
import pandas as pd
from scipy.integrate import trapezoid
from scipy.optimize import brentq, minimize_scalar

from thyroid_evidence.survival.ensemble import batch_curves, batch_median_and_area
from thyroid_evidence.survival.models import (
    SHAPE_FAMILIES,
    CensoringModel,
    HazardModel,
    fit_incidence_model,
    fit_survival_model,
)
from thyroid_evidence.survival.summary import SummarySpec, constraint_knots, monotone_constraints
from thyroid_evidence.survival.variance import (
    asymptotic_interval,
    median_interval,
    restricted_mean_variance,
)
from thyroid_evidence.validation import check_alpha, nonnegative_rate, positive_int

#: Hazard families of the grid, in order.
FAMILIES = ("piecewise-exponential", "exponential", "weibull", "log-normal", "log-logistic")
#: Declared range of the free shape of each two-parameter family (geometric grid of
#: :data:`SHAPE_POINTS` points): Weibull shape k, log-normal sigma, log-logistic beta.
SHAPE_RANGES = {"weibull": (0.5, 2.0), "log-normal": (0.5, 2.5), "log-logistic": (0.75, 3.0)}
SHAPE_POINTS = 5
#: Declared range of the piecewise-exponential hazard after the last reported time, as a
#: multiple of the last fitted rate (the reported numbers say nothing about it).
TAIL_FACTORS = (1.0, 0.5, 2.0)
#: Spreads of follow-up around a reported median: uniform on median x [1 - s, 1 + s].
SPREADS = (0.25, 0.5, 0.75, 1.0)
#: Follow-up windows when none is reported, as multiples of the horizon.
NO_FOLLOW_UP_PATTERNS = ((1.0, 1.5), (1.0, 2.0), (1.0, 3.0), (0.5, 2.0))
#: Readings of a reported median follow-up.
FOLLOW_UP_READINGS = ("reverse Kaplan-Meier", "crude")
#: Estimators: survival endpoints; incidence endpoints (two readings).
ESTIMATORS = ("kaplan-meier", "aalen-johansen", "1 - kaplan-meier")
#: Axis text naming each estimator.
ESTIMATOR_AXIS = {
    "kaplan-meier": "Survival (%), Kaplan–Meier",
    "aalen-johansen": "Cumulative incidence (%), Aalen–Johansen, deaths competing",
    "1 - kaplan-meier": "1 − Kaplan–Meier (%), deaths censored",
}
#: Each estimator in words (captions).
ESTIMATOR_WORDS = {
    "kaplan-meier": "Kaplan–Meier",
    "aalen-johansen": "Aalen–Johansen with deaths competing",
    "1 - kaplan-meier": "1 − Kaplan–Meier with deaths censored",
}
#: Each estimator as a file-name key of figures and tables ([a-z0-9_]+).
ESTIMATOR_KEYS = {
    "kaplan-meier": "kaplan_meier",
    "aalen-johansen": "aalen_johansen",
    "1 - kaplan-meier": "one_minus_kaplan_meier",
}
_MODE = {"kaplan-meier": "survival", "aalen-johansen": "aalen-johansen",
         "1 - kaplan-meier": "kaplan-meier"}
_GRID_POINTS = 1201


@dataclass(frozen=True)
class Scenario:
    """One reading of the publication: hazard, censoring, estimator, clustering."""

    hazard: HazardModel
    family: str
    shape_note: str
    censoring: CensoringModel
    censoring_note: str
    estimator: str
    misses: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.misses


def _shown(values: pd.Series) -> str:
    vals = values.dropna().unique()
    if values.dtype.kind == "f":
        return ", ".join(f"{v:.3g}" for v in sorted(vals))
    return ", ".join(str(v) for v in vals)


def _geometric(lo: float, hi: float, k: int) -> tuple[float, ...]:
    return tuple(float(x) for x in np.geomspace(lo, hi, k))


def _fmt(x: float) -> str:
    return f"{x:.3g}"


# ------------------------------------------------------------------------------------------
# model quantities


def _incidence_curve(hz: HazardModel, rate: float, times: np.ndarray) -> np.ndarray:
    """Aalen-Johansen target: integral of exp(-rate u) dF1(u), F1 = 1 - exp(-H1)."""
    times = np.asarray(times, dtype=float)
    top = float(max(times.max(), 1e-6))
    u = np.linspace(0.0, top, _GRID_POINTS)
    f1 = -np.expm1(-hz.cumulative_hazard(u))
    mid = 0.5 * (u[1:] + u[:-1])
    cif = np.concatenate(([0.0], np.cumsum(np.exp(-rate * mid) * np.diff(f1))))
    return np.interp(times, u, cif)


def _quantity(hz: HazardModel, estimator: str, rate: float, times: np.ndarray) -> np.ndarray:
    times = np.asarray(times, dtype=float)
    s = np.exp(-hz.cumulative_hazard(times))
    if estimator == "kaplan-meier":
        return s
    if estimator == "1 - kaplan-meier":
        return 1.0 - s
    return _incidence_curve(hz, rate, times)


def _model_median(hz: HazardModel) -> float:
    return float(hz.time_at_cumulative_hazard(np.array([math.log(2.0)]))[0])


def _expected_events(hz: HazardModel, rate: float, cens: CensoringModel, n: int) -> float:
    u = np.linspace(0.0, cens.high, _GRID_POINTS)
    f1 = -np.expm1(-hz.cumulative_hazard(u))
    mid = 0.5 * (u[1:] + u[:-1])
    return n * float(np.sum(np.exp(-rate * mid) * cens.survival(mid) * np.diff(f1)))


def _crude_median(all_cause: callable, cens: CensoringModel) -> float:
    """Median of the observed times min(T, C) of the follow-up unit."""
    f = lambda t: float(all_cause(np.array([t]))[0] * cens.survival(np.array([t]))[0]) - 0.5  # noqa: E731
    if f(cens.high) >= 0:
        return cens.high
    return brentq(f, 0.0, cens.high, xtol=1e-6)


# ------------------------------------------------------------------------------------------
# fitting the families to the reported numbers


def _targets(spec: SummarySpec, estimator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times, values and weights (1 / rounding step) the families are fitted to."""
    ts = [t for t, _, _ in spec.milestones]
    vs = [v for _, v, _ in spec.milestones]
    ws = [1.0 / max(s, 1e-6) for _, _, s in spec.milestones]
    if spec.median is not None:
        ts.append(spec.median[0])
        vs.append(0.5)
        ws.append(1000.0)
    return np.array(ts), np.array(vs), np.array(ws)


def _fit_scale(family: str, shape: float, spec: SummarySpec, estimator: str, rate: float
               ) -> HazardModel:
    ts, vs, ws = _targets(spec, estimator)

    def model(log_scale: float) -> HazardModel:
        if family == "exponential":
            return HazardModel("exponential", rates=(math.exp(-log_scale),))
        return HazardModel(family, shape=shape, scale=math.exp(log_scale))

    def loss(log_scale: float) -> float:
        got = _quantity(model(log_scale), estimator, rate, ts)
        return float(np.sum((ws * (got - vs)) ** 2))

    top = float(ts.max())
    res = minimize_scalar(loss, bounds=(math.log(top / 1e3), math.log(top * 1e4)),
                          method="bounded", options={"xatol": 1e-7})
    return model(float(res.x))


def _best_shape(family: str, spec: SummarySpec, estimator: str, rate: float) -> float:
    ts, vs, ws = _targets(spec, estimator)

    def loss(log_shape: float) -> float:
        hz = _fit_scale(family, math.exp(log_shape), spec, estimator, rate)
        return float(np.sum((ws * (_quantity(hz, estimator, rate, ts) - vs)) ** 2))

    res = minimize_scalar(loss, bounds=(math.log(0.1), math.log(10.0)), method="bounded",
                          options={"xatol": 1e-4})
    return float(math.exp(res.x))


def _hazards(spec: SummarySpec, estimator: str, rate: float) -> list[tuple[str, str, HazardModel]]:
    """(family, note, hazard) for every family of the grid under one estimator."""
    out = []
    n_cons = len(spec.milestones) + (spec.median is not None)
    if estimator == "aalen-johansen":
        pw = fit_incidence_model([(t, v) for t, v, _ in spec.milestones], rate)
    else:
        cons = [(t, v if estimator == "kaplan-meier" else 1.0 - v)
                for t, v, _ in spec.milestones]
        if spec.median is not None:
            cons.append((spec.median[0], 0.5))
        cons = monotone_constraints([c for c in cons if 0 < c[1] < 1])
        pw = fit_survival_model(cons, "piecewise-exponential")
    pw = replace(pw, name="piecewise-exponential")
    last = max([t for t, _, _ in spec.milestones] + ([spec.median[0]] if spec.median else []))
    for factor in TAIL_FACTORS:
        note = ("hazard constant between the reported times, the last rate carried on"
                if factor == 1 else
                f"hazard constant between the reported times, x{factor:g} after {last:g} months "
                f"(declared tail range x{min(TAIL_FACTORS):g}–x{max(TAIL_FACTORS):g})")
        hz = pw if factor == 1 else replace(pw, knots=tuple(pw.knots) + (last,),
                                            rates=tuple(pw.rates) + (pw.rates[-1] * factor,))
        out.append(("piecewise-exponential", note, hz))
    out.append(("exponential", "one constant hazard fitted to the reported numbers",
                _fit_scale("exponential", 1.0, spec, estimator, rate)))
    for family in SHAPE_FAMILIES:
        lo, hi = SHAPE_RANGES[family]
        shapes = [(s, f"shape {_fmt(s)} (declared range {_fmt(lo)}–{_fmt(hi)})")
                  for s in _geometric(lo, hi, SHAPE_POINTS)]
        if n_cons >= 2:
            best = _best_shape(family, spec, estimator, rate)
            shapes.append((best, f"shape {_fmt(best)} (best fit to the reported numbers)"))
        for shape, note in shapes:
            hz = _fit_scale(family, shape, spec, estimator, rate)
            out.append((family, f"{note}, scale {_fmt(hz.scale)} months fitted to the reported "
                        "numbers", hz))
    return out


# ------------------------------------------------------------------------------------------
# censoring patterns


def _windows(spec: SummarySpec, hz: HazardModel, rate: float, horizon: float,
             all_cause: callable, crude_memo: dict | None = None
             ) -> list[tuple[CensoringModel, str]]:
    """Censoring patterns of one hazard. ``crude_memo`` holds crude-reading windows already
    solved for the same ``all_cause`` (for incidence endpoints the follow-up unit's survival
    is the death hazard's, the same for every hazard of the grid): a pure function of the
    window's shape, so reusing it gives the same floats and skips most root searches."""
    m, fu_max = spec.follow_up_median, spec.follow_up_max
    crude_memo = {} if crude_memo is None else crude_memo
    out: list[tuple[CensoringModel, str]] = []
    if m is None:
        if fu_max is not None:
            for frac in (0.25, 0.5, 0.75):
                out.append((CensoringModel(frac * fu_max, fu_max),
                            f"follow-up uniform on [{_fmt(frac * fu_max)}, {_fmt(fu_max)}] "
                            f"months (maximum {_fmt(fu_max)} as reported; no median reported, "
                            "the lower end assumed)"))
            return out
        for a, b in NO_FOLLOW_UP_PATTERNS:
            out.append((CensoringModel(a * horizon, b * horizon),
                        f"no follow-up reported: follow-up assumed uniform on "
                        f"[{_fmt(a * horizon)}, {_fmt(b * horizon)}] months ({a:g}–{b:g} x the "
                        f"horizon, {_fmt(horizon)} months)"))
        return out

    def crude_window(shape_lo: float, shape_hi: float) -> CensoringModel | None:
        key = (shape_lo, shape_hi)
        if key not in crude_memo:
            crude_memo[key] = solve_crude_window(shape_lo, shape_hi)
        return crude_memo[key]

    def solve_crude_window(shape_lo: float, shape_hi: float) -> CensoringModel | None:
        """Scale the window shape so that the crude median of observed times is m."""
        g = lambda s: _crude_median(all_cause, CensoringModel(s * shape_lo, s * shape_hi)) - m  # noqa: E731
        hi = 50.0 * m / max(0.5 * (shape_lo + shape_hi), 1e-9)
        lo = m / max(shape_hi, 1e-9)
        try:
            if g(lo) > 0 or g(hi) < 0:
                return None
            s = brentq(g, lo, hi, xtol=1e-6)
        except ValueError:
            return None
        return CensoringModel(s * shape_lo, s * shape_hi)

    def add(spread: float, reading: str, why: str) -> None:
        if reading == "reverse Kaplan-Meier":
            cens = CensoringModel(m * (1 - spread), m * (1 + spread))
        else:
            cens = crude_window(1 - spread, 1 + spread)
            if cens is None:
                out.append((CensoringModel(m * (1 - spread), m * (1 + spread)),
                            f"UNREACHABLE crude reading of the median follow-up {_fmt(m)} "
                            f"months with spread ±{spread:.0%}"))
                return
        out.append((cens, f"follow-up uniform on [{_fmt(cens.low)}, {_fmt(cens.high)}] months: "
                    f"median follow-up {_fmt(m)} months read as the {reading} median, "
                    f"spread ±{spread:.0%} {why}"))

    if fu_max is not None:
        low = 2 * m - fu_max
        if low >= 0:
            out.append((CensoringModel(low, fu_max),
                        f"follow-up uniform on [{_fmt(low)}, {_fmt(fu_max)}] months: median "
                        f"{_fmt(m)} read as the reverse Kaplan-Meier median, maximum as "
                        "reported"))
    for reading in FOLLOW_UP_READINGS:
        for spread in SPREADS:
            add(spread, reading, "assumed")
        if spec.events is not None:
            spread = _spread_for_events(spec, hz, rate, reading, m, crude_window)
            if spread is not None:
                add(spread, reading, f"(set so that the expected number of events is the "
                    f"reported {spec.events})")
    if fu_max is not None:  # a stated maximum: no window may run past it
        out = out[:1] + [w for w in out[1:] if w[0].high <= fu_max * (1 + 1e-9)]
    return out


def _spread_for_events(spec, hz, rate, reading, m, crude_window) -> float | None:
    def window(w: float) -> CensoringModel | None:
        if reading == "reverse Kaplan-Meier":
            return CensoringModel(m * (1 - w), m * (1 + w))
        return crude_window(1 - w, 1 + w)

    def gap(w: float) -> float:
        c = window(w)
        return math.nan if c is None else _expected_events(hz, rate, c, spec.n) - spec.events

    grid = np.linspace(0.02, 1.0, 15)
    vals = [gap(w) for w in grid]
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:], strict=True):
        if math.isfinite(fa) and math.isfinite(fb) and fa * fb <= 0:
            try:
                return float(brentq(gap, a, b, xtol=1e-5))
            except ValueError:
                return None
    return None


# ------------------------------------------------------------------------------------------
# the set


@dataclass(frozen=True, eq=False, repr=False)
class ScenarioSet:
    """Every scenario tried for one series and endpoint, and what the accepted ones say.

    Attributes
    ----------
    grid : DataFrame
        One row per scenario tried: ``model`` (family), ``shape``, ``tail`` (the
        piecewise-exponential hazard after the last reported time), ``censoring``,
        ``estimator``, ``accepted``, ``misses`` (what its model fails to reproduce, ""
        when accepted), ``assumption`` (its own specification in words). ``accepted`` is
        decided on the scenario's continuous model (see the module doc);
        :attr:`scenarios` adds the check of its integer pseudo-data.
    horizon_months : float
        The latest time the reported numbers speak to (last milestone, upper end of a
        reported median's rounding interval).
    kind : {"survival", "cumulative_incidence"}
    n, n_patients : int
        Units of analysis at time 0, and patients (equal for per-patient endpoints).
    unit_of_analysis : str
    reported : DataFrame
        ``quantity, time_months, reported, lower, upper``: what was to be reproduced.
    label : str
    alpha, n_draws, seed
        Coverage and size of the sampling part; simulations are seeded per scenario.
    shared_death_rate : float
        Per-lesion survival endpoint that counts death as an event (progression-free
        survival) with patients known: the constant death part of the event hazard (per
        month, from the series' overall survival), shared by a patient's lesions in the
        simulations and in the variance; 0 otherwise.
    """

    grid: pd.DataFrame
    horizon_months: float
    kind: str
    n: int
    n_patients: int
    unit_of_analysis: str
    reported: pd.DataFrame
    competing_rate: float
    competing_note: str
    label: str = ""
    alpha: float = 0.05
    n_draws: int = 200
    seed: int = 0
    shared_death_rate: float = 0.0
    _items: tuple[Scenario, ...] = field(default=(), repr=False)
    _cache: dict = field(default_factory=dict, repr=False)
    #: Estimators of the set this one was restricted from (:meth:`for_estimator`) whose
    #: scenarios were all rejected: the readings a caption says are not shown.
    _rejected_readings: tuple[str, ...] = field(default=(), repr=False)

    def __repr__(self) -> str:
        return (f"ScenarioSet({self.label!r}: {len(self._items)} scenarios tried, "
                f"{len(self.accepted)} accepted, horizon {self.horizon_months:g} months)")

    # --- as plain data -------------------------------------------------------------------
    def to_data(self) -> dict:
        """The grid as plain data (lists, strings, numbers; JSON-serialisable with
        ``allow_nan=False``): everything but ``alpha``, ``n_draws`` and ``seed``, which only
        steer the sampling. :meth:`from_data` rebuilds an equal set, float for float."""
        return {
            "format": DATA_FORMAT,
            "scenarios": _frame_to_data(self.grid),
            "reported": _frame_to_data(self.reported),
            "horizon_months": _float_out(self.horizon_months),
            "kind": self.kind, "n": self.n, "n_patients": self.n_patients,
            "unit_of_analysis": self.unit_of_analysis,
            "competing_rate": _float_out(self.competing_rate),
            "competing_note": self.competing_note, "label": self.label,
            "shared_death_rate": _float_out(self.shared_death_rate),
            "items": [_scenario_to_data(item) for item in self._items],
        }

    @classmethod
    def from_data(cls, data: dict, *, alpha: float = 0.05, n_draws: int = 200, seed: int = 0
                  ) -> ScenarioSet:
        """The set :meth:`to_data` described, with this sampling (see :func:`scenario_set`).

        Raises
        ------
        ValueError
            When ``data`` is not of :data:`DATA_FORMAT` or lacks a field (a cache reader
            treats that as a miss).
        """
        alpha, n_draws = check_alpha(alpha), positive_int(n_draws, "n_draws")
        if not isinstance(data, dict) or data.get("format") != DATA_FORMAT:
            raise ValueError(f"not a scenario set of data format {DATA_FORMAT}")
        try:
            return cls(grid=_frame_from_data(data["scenarios"]),
                       horizon_months=_float_in(data["horizon_months"]), kind=data["kind"],
                       n=int(data["n"]), n_patients=int(data["n_patients"]),
                       unit_of_analysis=data["unit_of_analysis"],
                       reported=_frame_from_data(data["reported"]),
                       competing_rate=_float_in(data["competing_rate"]),
                       competing_note=data["competing_note"], label=data["label"],
                       alpha=alpha, n_draws=n_draws, seed=int(seed),
                       shared_death_rate=_float_in(data["shared_death_rate"]),
                       _items=tuple(_scenario_from_data(d) for d in data["items"]))
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"scenario set data lacks or mistypes a field: {exc!r}") from exc

    # --- what was tried -------------------------------------------------------------------
    @property
    def scenarios(self) -> pd.DataFrame:
        """:attr:`grid` with two more columns on the integer pseudo-data of each scenario.

        ``pseudo_data_reproduces`` is True when the one data set :meth:`pseudo_data` gives
        for the scenario (the reported number of units, drawn with seed ``seed + i`` and
        estimated with the scenario's own estimator) prints every reported value of the
        endpoint within its rounding (each time point, the median) and exactly the reported
        number of events; ``pseudo_data_misses`` says what it misses. Only accepted
        scenarios are drawn: for the others both columns are empty (NA), their model already
        misses. The follow-up median is checked on the model only. ``accepted`` stays the
        model's check: a single draw of an accepted scenario misses by sampling alone more
        often than not (and with few units no integer data may print a value at all: the
        audit's question), which is what the sampling part of the band is for.
        """
        if "scenarios" not in self._cache:
            misses = self._pseudo_data_misses()
            self._cache["scenarios"] = self.grid.assign(
                pseudo_data_reproduces=pd.array([None if m is None else not m for m in misses],
                                                dtype="boolean"),
                pseudo_data_misses=[None if m is None else "; ".join(m) for m in misses])
        return self._cache["scenarios"]

    def _pseudo_data_misses(self) -> list[list[str] | None]:
        rep = self.reported
        pts = rep[rep["quantity"] == self.kind]
        times = pts["time_months"].to_numpy(float)
        med = rep[rep["quantity"] == "median"]
        events = rep[rep["quantity"] == "events"]
        out: list[list[str] | None] = [None] * len(self._items)
        by_mode: dict[str, list[int]] = {}
        for i in self.accepted:
            out[i] = []
            by_mode.setdefault(_MODE[self._items[i].estimator], []).append(i)
        for mode, idx in by_mode.items():
            sims = [self._simulate(i, 1, self.seed + i)[:2] for i in idx]
            t = np.vstack([obs for obs, _ in sims])
            e = np.vstack([code for _, code in sims])
            vals, ts, curve = batch_curves(t, e, times if times.size else np.zeros(1), mode)
            medians = batch_median_and_area(ts, curve, mode, 1.0)[0] if len(med) else None
            counts = (e == 1).sum(axis=1)
            for row, i in enumerate(idx):
                for j, r in enumerate(pts.itertuples()):
                    g = float(vals[row, j])
                    if not r.lower - 1e-9 <= g <= r.upper + 1e-9:
                        out[i].append(f"{r.time_months:g} months ({100 * g:.2f}% vs "
                                      f"{100 * r.reported:g}%)")
                if medians is not None:
                    m = med.iloc[0]
                    got = float(medians[row])
                    if not m["lower"] - 1e-9 <= got <= m["upper"] + 1e-9:
                        shown = "not reached" if math.isinf(got) else f"{got:.1f}"
                        out[i].append(f"median ({shown} vs {m['reported']:g} months)")
                if len(events) and int(counts[row]) != int(events["reported"].iloc[0]):
                    out[i].append(f"events ({int(counts[row])} drawn vs "
                                  f"{int(events['reported'].iloc[0])} reported)")
        return out

    @property
    def accepted(self) -> tuple[int, ...]:
        """Positions (in :attr:`scenarios`) of the accepted scenarios."""
        return tuple(i for i, s in enumerate(self._items) if s.accepted)

    @property
    def estimators(self) -> tuple[str, ...]:
        """Estimators with at least one accepted scenario, in declaration order."""
        found = {self._items[i].estimator for i in self.accepted}
        return tuple(e for e in ESTIMATORS if e in found)

    @property
    def rejected_readings(self) -> tuple[str, ...]:
        """Estimators tried (here, or in the set this one was restricted from) with no
        accepted scenario, in declaration order: readings that reproduce the reported
        numbers nowhere on the grid."""
        tried = {s.estimator for s in self._items} | set(self._rejected_readings)
        return tuple(e for e in ESTIMATORS if e in tried and e not in self.estimators)

    @property
    def varied(self) -> tuple[str, ...]:
        """The factors that take more than one value among the accepted scenarios."""
        acc = self.grid[self.grid["accepted"]]
        names = {"model": "hazard family", "shape": "shape",
                 "tail": "hazard after the last reported time", "censoring": "censoring",
                 "estimator": "estimator"}
        return tuple(v for k, v in names.items() if acc[k].nunique() > 1)

    def factors(self) -> pd.DataFrame:
        """Each factor of the grid: the values tried, the values among the accepted
        scenarios, and whether it varied among them (``factor, tried, accepted, varied``)."""
        acc = self.grid[self.grid["accepted"]]
        names = {"model": "hazard family", "shape": "shape",
                 "tail": "hazard after the last reported time", "censoring": "censoring",
                 "estimator": "estimator"}
        rows = []
        for column, name in names.items():
            rows.append((name, _shown(self.grid[column]), _shown(acc[column]),
                         acc[column].nunique() > 1))
        return pd.DataFrame(rows, columns=["factor", "tried", "accepted", "varied"])

    def tried_table(self) -> pd.DataFrame:
        """Scenarios tried and accepted per hazard family and estimator."""
        g = self.grid.groupby(["estimator", "model"], sort=False)["accepted"]
        return pd.DataFrame({"tried": g.size(), "accepted": g.sum()}).reset_index()

    def for_estimator(self, estimator: str) -> ScenarioSet:
        """The same set restricted to one estimator (one reading of an incidence)."""
        keep = [i for i, s in enumerate(self._items) if s.estimator == estimator]
        if not keep:
            raise ValueError(f"estimator={estimator!r} has no scenario; allowed: "
                             + ", ".join(sorted({s.estimator for s in self._items})))
        if len(keep) == len(self._items):  # the same set: keep its simulations
            return self
        return replace(self, grid=self.grid.iloc[keep].reset_index(drop=True),
                       _items=tuple(self._items[i] for i in keep), _cache={},
                       _rejected_readings=tuple(e for e in self.rejected_readings
                                                if e != estimator))

    @property
    def estimator_axis(self) -> str:
        """Axis text naming the estimator (or both readings when the set mixes them)."""
        ests = self.estimators or tuple(dict.fromkeys(s.estimator for s in self._items))
        if len(ests) == 1:
            return ESTIMATOR_AXIS[ests[0]]
        return "Cumulative incidence (%), " + " or ".join(ests) + " (see the scenarios)"

    # --- model curves ---------------------------------------------------------------------
    def curve(self, i: int, times: np.ndarray) -> np.ndarray:
        s = self._items[i]
        return _quantity(s.hazard, s.estimator, self.competing_rate, times)

    def model_curves(self, times: np.ndarray | list[float]) -> np.ndarray:
        """Model curve of every accepted scenario on ``times`` (accepted x times)."""
        times = np.asarray(times, dtype=float)
        if not self.accepted:
            return np.empty((0, times.size))
        return np.vstack([self.curve(i, times) for i in self.accepted])

    def reference(self) -> int | None:
        """The first accepted scenario (piecewise-exponential when one is accepted)."""
        return self.accepted[0] if self.accepted else None

    def at_risk(self, times: np.ndarray | list[float]) -> pd.DataFrame:
        """Expected numbers at risk over the accepted scenarios: ``time, low, high``."""
        times = np.asarray(times, dtype=float)
        vals = []
        for i in self.accepted:
            s = self._items[i]
            alive = np.exp(-s.hazard.cumulative_hazard(times) - self.competing_rate * times)
            vals.append(self.n * alive * s.censoring.survival(times))
        arr = np.array(vals) if vals else np.full((1, times.size), np.nan)
        return pd.DataFrame({"time": times, "low": np.floor(arr.min(axis=0) + 1e-9),
                             "high": np.floor(arr.max(axis=0) + 1e-9)})

    def _restricted_mean_variance(self, i: int, tau: float) -> float:
        """Asymptotic variance of scenario ``i``'s restricted mean to ``tau`` (NaN when its
        data do not reach ``tau``)."""
        s = self._items[i]
        return restricted_mean_variance(tau, s.hazard, s.censoring, s.estimator, self.n,
                                        self.competing_rate, self.design_effect,
                                        self.shared_death_rate)[1]

    def _median_intervals(self, reported: bool) -> list[tuple[float, float]]:
        """Each accepted Kaplan-Meier scenario's Brookmeyer-Crowley median interval (see
        :func:`thyroid_evidence.survival.variance.median_interval`), on a grid to the last
        time any accepted scenario expects one unit at risk."""
        acc = [i for i in self.accepted if self._items[i].estimator == "kaplan-meier"]
        if not acc:
            return []
        grid = np.linspace(0.0, max(self.last_at_risk_time(), 1e-6), 1201)
        low, high = self.asymptotic_intervals(grid)
        rows = [j for j, i in enumerate(self.accepted) if i in acc]
        return [median_interval(grid, low[j], high[j], reached=reported) for j in rows]

    def last_at_risk_time(self) -> float:
        """Latest time at which some accepted scenario expects one unit still at risk."""
        if not self.accepted:
            return self.horizon_months
        top = max(self._items[i].censoring.high for i in self.accepted)
        grid = np.linspace(0.0, top, 2001)
        alive = self.at_risk(grid)["high"].to_numpy() >= 1
        return float(grid[alive].max()) if alive.any() else 0.0

    # --- sampling -------------------------------------------------------------------------
    def pseudo_data(self, i: int, *, seed: int | None = None) -> pd.DataFrame:
        """One simulated data set of scenario ``i``: ``time, event, patient`` (event 0
        censored, 1 event, 2 death competing). Lesions of one patient share its death and
        follow-up times."""
        t, e, patient = self._simulate(i, 1, self.seed + i if seed is None else seed)
        return pd.DataFrame({"time": t[0], "event": e[0], "patient": patient})

    def _clusters(self) -> np.ndarray:
        p = self.n_patients
        sizes = np.full(p, self.n // p)
        sizes[: self.n - sizes.sum()] += 1
        return np.repeat(np.arange(p), sizes)

    def _simulate(self, i: int, draws: int, seed: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = self._items[i]
        rng = np.random.default_rng(seed)
        patient = self._clusters()
        p = self.n_patients
        if self.kind == "survival" and self.shared_death_rate > 0:
            return self._simulate_shared_deaths(s, rng, draws, patient)
        t1 = s.hazard.time_at_cumulative_hazard(rng.exponential(size=(draws, self.n)))
        death = (rng.exponential(size=(draws, p)) / self.competing_rate
                 if self.competing_rate > 0 else np.full((draws, p), np.inf))
        c = rng.uniform(s.censoring.low, s.censoring.high, size=(draws, p))
        d, c = death[:, patient], c[:, patient]
        obs = np.minimum(np.minimum(t1, d), c)
        code = np.where(t1 <= np.minimum(d, c), 1, np.where(d <= c, 2, 0))
        return obs, code, patient

    def _simulate_shared_deaths(self, s: Scenario, rng: np.random.Generator, draws: int,
                                patient: np.ndarray
                                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A per-lesion survival endpoint that counts death: each lesion's progression, at
        the event hazard less its death part, and one death per patient at the death part
        (:func:`shared_death_split`), both coded as the event (1)."""
        u, h_death, h_prog = shared_death_split(s.hazard, self.shared_death_rate,
                                                s.censoring.high)

        def draw(cumulative: np.ndarray, size: tuple[int, int]) -> np.ndarray:
            e = rng.exponential(size=size)  # beyond the window's end: censored anyway
            return np.where(e <= cumulative[-1], np.interp(e, cumulative, u), np.inf)

        t_prog = draw(h_prog, (draws, self.n))
        death = draw(h_death, (draws, self.n_patients))
        c = rng.uniform(s.censoring.low, s.censoring.high, size=(draws, self.n_patients))
        t_event = np.minimum(t_prog, death[:, patient])
        c = c[:, patient]
        return np.minimum(t_event, c), np.where(t_event <= c, 1, 0), patient

    def _sampled(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        key = ("sim", i)
        if key not in self._cache:
            t, e, _ = self._simulate(i, self.n_draws, self.seed + i)
            self._cache[key] = (t, e)
        return self._cache[key]

    def _draw_curves(self, i: int, times: np.ndarray) -> np.ndarray:
        t, e = self._sampled(i)
        return batch_curves(t, e, times, _MODE[self._items[i].estimator])[0]

    def _draw_summaries(self, i: int, tau: float) -> tuple[np.ndarray, np.ndarray]:
        t, e = self._sampled(i)
        mode = _MODE[self._items[i].estimator]
        _, ts, curve = batch_curves(t, e, np.array([0.0]), mode)
        return batch_median_and_area(ts, curve, mode, tau)

    # --- what the set says ----------------------------------------------------------------
    def band(self, times: np.ndarray | list[float]) -> pd.DataFrame:
        """Envelope over the accepted scenarios, each with its own sampling.

        At each time: the lowest and highest of every accepted scenario's model value and
        its asymptotic pointwise ``1 - alpha`` interval (:meth:`asymptotic_intervals`; not
        where the scenario expects fewer than one unit at risk), and of the simulated
        percentile intervals of the scenarios whose model is lowest or highest at some
        requested time (``n_draws`` data sets each). Per-lesion incidences: see
        :meth:`asymptotic_intervals` for what the variance assumes about lesions of one
        patient.

        Returns
        -------
        DataFrame
            ``time, low, high, extrapolated`` (proportions; ``extrapolated`` is True beyond
            :attr:`horizon_months`). Empty limits (NaN) when no scenario is accepted.
        """
        times = np.asarray(times, dtype=float)
        low, high = self._envelope(times)
        return pd.DataFrame({"time": times, "low": low, "high": high,
                             "extrapolated": times > self.horizon_months + 1e-9})

    @property
    def design_effect(self) -> float:
        """``sum_k m_k^2 / n`` over the patients' numbers of lesions ``m_k`` (1 when every
        unit is its own patient): the factor on the variance of the death term of a
        per-lesion Aalen-Johansen incidence, the lesions of one patient sharing one death."""
        sizes = np.bincount(self._clusters())
        return float(np.sum(sizes.astype(float) ** 2) / self.n)

    def asymptotic_intervals(self, times: np.ndarray | list[float],
                             curves: np.ndarray | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
        """Each accepted scenario's asymptotic pointwise ``1 - alpha`` interval.

        From the scenario's own model (hazard, death hazard, censoring, ``n`` units), with
        no simulation (:func:`thyroid_evidence.survival.variance.asymptotic_interval`):
        Greenwood's expected variance for Kaplan-Meier and 1 - Kaplan-Meier (deaths
        censored), the Aalen-Johansen variance with :attr:`design_effect` on its death
        term for an incidence with deaths competing; arcsine-square-root scale. Progression is taken
        as independent between the lesions of one patient. NaN where the scenario expects
        fewer than one unit at risk (no data there). ``curves``: :meth:`model_curves` on
        ``times`` when the caller has them.

        Returns
        -------
        (low, high) : arrays of shape (accepted, times)
        """
        times = np.asarray(times, dtype=float)
        lows, highs = [], []
        de = self.design_effect
        for j, i in enumerate(self.accepted):
            s = self._items[i]
            value = self.curve(i, times) if curves is None else curves[j]
            lo, hi = asymptotic_interval(times, s.hazard, s.censoring, s.estimator, self.n,
                                         self.competing_rate, self.alpha, de, value=value,
                                         shared_death_rate=self.shared_death_rate)
            lows.append(lo)
            highs.append(hi)
        if not lows:
            return np.empty((0, times.size)), np.empty((0, times.size))
        return np.vstack(lows), np.vstack(highs)

    def _envelope(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        acc = self.accepted
        if not acc:
            return np.full(times.size, np.nan), np.full(times.size, np.nan)
        curves = self.model_curves(times)
        extremes = sorted({acc[j] for j in np.argmin(curves, axis=0)}
                          | {acc[j] for j in np.argmax(curves, axis=0)})
        a = self.alpha / 2
        # every accepted scenario's own asymptotic interval (NaN beyond its data: fmin/fmax
        # keep the model value there), then the simulated intervals of the extreme ones
        a_low, a_high = self.asymptotic_intervals(times, curves)
        low = np.fmin(curves, a_low).min(axis=0)
        high = np.fmax(curves, a_high).max(axis=0)
        for i in extremes:
            q_lo, q_hi = np.quantile(self._draw_curves(i, times), [a, 1 - a], axis=0)
            low, high = np.minimum(low, q_lo), np.maximum(high, q_hi)
        return low, high

    def _knots(self) -> list[tuple[float, float, float]]:
        """(time, lower, upper) the reported numbers put on the curve (a reported median m
        with rounding step d: survival >= 50% before m - d/2 and <= 50% from m + d/2)."""
        rep = self.reported
        pts = rep[rep["quantity"] == self.kind]
        knots = [(float(r.time_months), float(r.lower), float(r.upper))
                 for r in pts.itertuples()]
        med = rep[rep["quantity"] == "median"]
        if len(med):
            m = med.iloc[0]
            knots += [(float(m["lower"]), 0.5, 1.0), (float(m["upper"]), 0.0, 0.5)]
        return sorted(knots)

    def bounds(self, times: np.ndarray | list[float]) -> pd.DataFrame:
        """What the reported numbers alone say about the curve, with no model at all.

        A survival curve does not rise (an incidence does not fall), so between two reported
        values it lies between them; beyond the horizon nothing bounds it but 0 and 1.

        Returns
        -------
        DataFrame
            ``time, low, high`` (proportions).
        """
        times = np.asarray(times, dtype=float)
        knots = self._knots()
        survival = self.kind == "survival"
        low, high = np.zeros(times.size), np.ones(times.size)
        for j, t in enumerate(times):
            before = [k for k in knots if k[0] <= t + 1e-12]
            after = [k for k in knots if k[0] >= t - 1e-12]
            if survival:
                high[j] = min([1.0] + [k[2] for k in before])
                low[j] = max([0.0] + [k[1] for k in after])
            else:
                low[j] = max([0.0] + [k[1] for k in before])
                high[j] = min([1.0] + [k[2] for k in after])
        return pd.DataFrame({"time": times, "low": low, "high": high})

    def _median_bounds(self) -> tuple[float, float]:
        knots = self._knots()
        above = [t for t, lo, _ in knots if lo >= 0.5]
        below = [t for t, _, hi in knots if hi <= 0.5]
        return (max(above) if above else 0.0), (min(below) if below else math.inf)

    def summary(self, times: np.ndarray | list[float] = (), tau: float | None = None
                ) -> pd.DataFrame:
        """What the accepted scenarios say, with what the data identify.

        Parameters
        ----------
        times : array-like
            Times (months) for the curve's value.
        tau : float, optional
            Restriction time of the restricted mean (default: the horizon).

        Returns
        -------
        DataFrame
            ``quantity, time_months, low, high, identified, bound_low, bound_high``.
            For a survival endpoint: ``survival`` at each time, ``median`` and ``rmst``
            (restricted mean survival time up to ``tau``, in ``time_months``). For an
            incidence endpoint the rows are what was reported and estimated, not a survival
            relabelled: ``cumulative_incidence`` at each time, and ``rmtl`` (restricted mean
            time lost to the event up to ``tau``: the area under the incidence, so that
            tau - rmtl is the restricted mean event-free time); no median, since 1 - an
            Aalen-Johansen incidence is not the survival of any one time (the dead are in it)
            and an incidence that stays below 50% has none. ``low``-``high``: over the
            accepted scenarios' model values with sampling. For the curve's rows every
            accepted scenario's own (asymptotic) sampling interval is included, and the
            simulated one of the scenarios at the envelope's edges (as :meth:`band`). The
            ``median`` row holds every accepted scenario's Brookmeyer-Crowley interval (from
            its asymptotic pointwise interval; an end it does not reach within its data is
            "not reached", inf, or with a reported median its last time with data), the
            ``rmst``/``rmtl`` row every accepted scenario's asymptotic interval of its
            restricted mean; both with the simulated sampling of the scenarios with the
            lowest and the highest model median (restricted mean).
            ``identified`` is True only when the quantity lies within the horizon (a curve
            value at or before it, a median that every accepted scenario's model reaches by
            it, an RMST (RMTL) with tau at or before it) and the reported numbers pin it:
            what they alone allow, with no model (``bound_low``-``bound_high``), lies within
            ``low``-``high``, so that no assumption narrows it. A survival at 12 months from a
            reported median alone (bounded only by 50% and 100%) is not identified; survival
            between two reported milestones, or at one, usually is. ``bound_low``-
            ``bound_high``: what the reported numbers alone imply, by monotonicity, without
            any model (see :meth:`bounds`); the distance between these and ``low``-``high``
            is what the declared scenarios add (narrower) and what sampling adds (wider).
        """
        times = np.atleast_1d(np.asarray(times, dtype=float))
        tau = self.horizon_months if tau is None else float(tau)
        if not (math.isfinite(tau) and tau > 0):
            raise ValueError(f"tau must be a number of months > 0; got {tau!r}")
        h = self.horizon_months + 1e-9
        rows = []
        name = "survival" if self.kind == "survival" else "cumulative_incidence"
        area = "rmst" if self.kind == "survival" else "rmtl"
        if times.size:
            low, high = self._envelope(times)
            rows += [(name, float(t), float(lo), float(hi), bool(t <= h and self.accepted))
                     for t, lo, hi in zip(times, low, high, strict=True)]
        acc = self.accepted
        a = self.alpha / 2
        if acc:
            meds, areas = [], []
            grid = np.linspace(0.0, tau, 801)
            for i in acc:
                s = self._items[i]
                meds.append(_model_median(s.hazard) if s.estimator == "kaplan-meier"
                            else math.nan)
                q = self.curve(i, grid)
                areas.append(float(trapezoid(q, grid)))
            if self.kind == "survival":
                lo_i, hi_i = acc[int(np.argmin(meds))], acc[int(np.argmax(meds))]
                reported_median = bool((self.reported["quantity"] == "median").any())

                def drawn(i: int) -> np.ndarray:
                    # with a reported median the publication reached it: draws that never
                    # reach 50% are not readings of it
                    m = self._draw_summaries(i, tau)[0]
                    return m[np.isfinite(m)] if reported_median and np.isfinite(m).any() else m

                m_lo = min(min(meds), float(np.quantile(drawn(lo_i), a, method="inverted_cdf")))
                m_hi = max(max(meds), float(np.quantile(drawn(hi_i), 1 - a,
                                                        method="inverted_cdf")))
                # every accepted scenario's own sampling: the Brookmeyer-Crowley interval of
                # its median from its asymptotic pointwise interval
                for lo_t, hi_t in self._median_intervals(reported_median):
                    m_lo, m_hi = min(m_lo, lo_t), max(m_hi, hi_t)
                rows.append(("median", math.nan, m_lo, m_hi, bool(max(meds) <= h)))
            lo_i, hi_i = acc[int(np.argmin(areas))], acc[int(np.argmax(areas))]
            r_lo = min(min(areas), float(np.quantile(self._draw_summaries(lo_i, tau)[1], a)))
            r_hi = max(max(areas), float(np.quantile(self._draw_summaries(hi_i, tau)[1], 1 - a)))
            # every accepted scenario's own sampling: the asymptotic interval of its
            # restricted mean (survival/variance.py), centred on its model value
            z = NormalDist().inv_cdf(1 - a)
            for j, i in enumerate(acc):
                sd = math.sqrt(self._restricted_mean_variance(i, tau))
                if math.isfinite(sd):
                    r_lo = min(r_lo, max(0.0, areas[j] - z * sd))
                    r_hi = max(r_hi, min(tau, areas[j] + z * sd))
            rows.append((area, tau, r_lo, r_hi, bool(tau <= h)))
        else:
            if self.kind == "survival":
                rows.append(("median", math.nan, math.nan, math.nan, False))
            rows.append((area, tau, math.nan, math.nan, False))
        table = pd.DataFrame(rows, columns=["quantity", "time_months", "low", "high",
                                            "identified"])
        b_low, b_high = [], []
        for row in table.itertuples():
            if row.quantity == "median":
                lo, hi = self._median_bounds()
            elif row.quantity in ("rmst", "rmtl"):
                grid = np.linspace(0.0, tau, 2001)
                bd = self.bounds(grid)
                lo, hi = (float(trapezoid(bd["low"], grid)),
                          float(trapezoid(bd["high"], grid)))
            else:
                bd = self.bounds([row.time_months])
                lo, hi = float(bd["low"].iloc[0]), float(bd["high"].iloc[0])
            b_low.append(lo)
            b_high.append(hi)
        table = table.assign(bound_low=b_low, bound_high=b_high)
        # pinned by the data: what the reported numbers alone allow (no model) lies within the
        # interval shown, so no assumption narrows it (NaN compares False: not identified)
        tol = 1e-9
        pinned = ((table["bound_low"] >= table["low"] - tol)
                  & (table["bound_high"] <= table["high"] + tol))
        return table.assign(identified=table["identified"] & pinned)

    def caption(self) -> str:
        """A plain-language summary for a figure caption."""
        tried, acc = len(self._items), len(self.accepted)
        what = "survival" if self.kind == "survival" else "cumulative incidence"
        if not acc:
            return (f"None of the {tried} scenarios tried reproduces every reported number; "
                    "no curve is shown as a reading of the publication.")
        varied = ", ".join(self.varied) or "nothing besides sampling"
        ests = " and ".join(ESTIMATOR_WORDS[e] for e in self.estimators)
        level = f"{1 - self.alpha:.0%}"
        return (f"{acc} of {tried} scenarios reproduce every reported number (each checked on "
                f"its model).{self._rejected_text()} The reported numbers speak up to "
                f"{self.horizon_months:g} months; any {what} beyond that is an extrapolation "
                f"under assumptions. The band is the "
                f"envelope over every accepted scenario's model curve and its own pointwise "
                f"{level} sampling interval (asymptotic, from the scenario's own hazard, "
                f"censoring and numbers at risk), widened by the sampling of the scenarios "
                f"whose curve is lowest or highest at some time ({self.n_draws} simulated data "
                f"sets, pointwise {level}).{self._cluster_text()} {self._summary_text()} "
                f"Across them varied: {varied}. Estimator: {ests}.")

    def _rejected_text(self) -> str:
        """The readings tried whose every scenario was rejected (they are not shown)."""
        if not self.rejected_readings:
            return ""
        words = " or ".join(ESTIMATOR_WORDS[e] for e in self.rejected_readings)
        return (f" No scenario read as {words} reproduces every reported number (the "
                "scenarios table says what each misses): that reading is not shown.")

    def _summary_text(self) -> str:
        """What the summary's median and restricted-mean rows hold (an incidence has none
        of the first)."""
        if self.kind == "survival":
            return ("The median and restricted-mean intervals hold every accepted scenario's "
                    "own sampling as well (Brookmeyer-Crowley for the median).")
        return ("The restricted-mean-time-lost interval holds every accepted scenario's own "
                "sampling as well.")

    @property
    def unit_assumption(self) -> str:
        """What the reconstruction assumes about the lesions of one patient ("" for a
        per-patient endpoint), for the caption of any figure drawn from this set."""
        return self._cluster_text().strip()

    def _cluster_text(self) -> str:
        """What the sampling intervals assume about the lesions of one patient."""
        if self.unit_of_analysis != "lesion":
            return ""
        if self.n_patients >= self.n:
            return (" Each lesion is treated as its own patient (patients not known): its "
                    "sampling treats the lesions as independent.")
        if self.kind == "survival" and self.shared_death_rate > 0:
            return (f" The {self.n} lesions of {self.n_patients} patients share each "
                    "patient's follow-up and death (part of the event, at the overall-survival "
                    f"death hazard {self.shared_death_rate:.4g} per month, at most the event's "
                    "own); progression is taken as independent between a patient's lesions; "
                    "the death part of "
                    f"Greenwood's variance carries a design effect of {self.design_effect:.2f} "
                    "(Σm²/n).")
        if self.kind == "survival":
            return (f" The {self.n} lesions of {self.n_patients} patients share each "
                    "patient's follow-up; their events are taken as independent.")
        text = (f" The {self.n} lesions of {self.n_patients} patients share each patient's "
                "death and follow-up; progression is taken as independent between a patient's "
                "lesions")
        if "aalen-johansen" in self.estimators:
            text += (f"; the death term of the Aalen–Johansen variance carries a design effect "
                     f"of {self.design_effect:.2f} (Σm²/n)")
        if "1 - kaplan-meier" in self.estimators:
            text += "; for 1 − Kaplan–Meier the shared deaths are censorings (no design effect)"
        return text + "."


#: Version of :meth:`ScenarioSet.to_data`'s layout; a reader refuses any other.
DATA_FORMAT = 2


def _float_out(x: float | None) -> float | str | None:
    """A float as JSON can hold it: non-finite values as the strings nan, inf, -inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def _float_in(x: float | str | None) -> float | None:
    return None if x is None else float(x)


def _frame_to_data(frame: pd.DataFrame) -> dict:
    columns = []
    for name in frame.columns:
        col = frame[name]
        kind = col.dtype.kind
        if kind == "f":
            values = [_float_out(v) for v in col.tolist()]
        elif kind in "biu":
            values = col.tolist()
        else:
            values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
                      for v in col.tolist()]
        columns.append({"name": str(name), "dtype": str(col.dtype), "values": values})
    return {"columns": columns}


def _frame_from_data(data: dict) -> pd.DataFrame:
    out = {}
    for column in data["columns"]:
        dtype = np.dtype(column["dtype"]) if column["dtype"] != "object" else object
        values = column["values"]
        if getattr(dtype, "kind", "O") == "f":
            values = [_float_in(v) for v in values]
        out[column["name"]] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(out)


def _scenario_to_data(item: Scenario) -> dict:
    hz = item.hazard
    return {"hazard": {"name": hz.name, "knots": [_float_out(k) for k in hz.knots],
                       "rates": [_float_out(r) for r in hz.rates],
                       "shape": _float_out(hz.shape), "scale": _float_out(hz.scale),
                       "competing_rate": _float_out(hz.competing_rate)},
            "family": item.family, "shape_note": item.shape_note,
            "censoring": [_float_out(item.censoring.low), _float_out(item.censoring.high)],
            "censoring_note": item.censoring_note, "estimator": item.estimator,
            "misses": list(item.misses)}


def _scenario_from_data(data: dict) -> Scenario:
    hz = data["hazard"]
    hazard = HazardModel(hz["name"], knots=tuple(_float_in(k) for k in hz["knots"]),
                         rates=tuple(_float_in(r) for r in hz["rates"]),
                         shape=_float_in(hz["shape"]), scale=_float_in(hz["scale"]),
                         competing_rate=_float_in(hz["competing_rate"]))
    low, high = data["censoring"]
    return Scenario(hazard, data["family"], data["shape_note"],
                    CensoringModel(_float_in(low), _float_in(high)), data["censoring_note"],
                    data["estimator"], tuple(data["misses"]))


def shared_death_split(hazard: HazardModel, death_rate: float, t_max: float
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An endpoint's event hazard split into a death part and the rest, on a grid.

    The death part is the constant ``death_rate`` wherever the event hazard is at least
    that, else the whole event hazard (a death part cannot exceed the event it is part of);
    the rest is progression. Both cumulative hazards are on :data:`_GRID_POINTS` times from
    0 to ``t_max`` and add up to the model's, so the simulated lesions keep the model's
    survival exactly; the death part is shared by the lesions of one patient.

    Returns
    -------
    (times, death cumulative hazard, progression cumulative hazard) : arrays
    """
    u = np.linspace(0.0, max(float(t_max), 1e-6), _GRID_POINTS)
    d_h = np.maximum(np.diff(hazard.cumulative_hazard(u)), 0.0)
    d_death = np.minimum(d_h, death_rate * np.diff(u))
    death = np.concatenate(([0.0], np.cumsum(d_death)))
    return u, death, np.concatenate(([0.0], np.cumsum(d_h - d_death)))


def scenario_set(spec: SummarySpec, *, n_patients: int | None = None,
                 competing_note: str = "", label: str = "", alpha: float = 0.05,
                 n_draws: int = 200, seed: int = 0, shared_death_rate: float = 0.0
                 ) -> ScenarioSet:
    """The declared grid of scenarios for one normalised specification.

    Parameters
    ----------
    spec : SummarySpec
        From :func:`thyroid_evidence.survival.summary_spec` (its ``model``,
        ``follow_up_spread`` and ``incidence_estimator`` are ignored: the grid varies them).
    n_patients : int, optional
        Patients of a per-lesion endpoint (``spec.n`` lesions are spread over them as evenly
        as possible; lesions of one patient share death and follow-up). Default: ``spec.n``.
    competing_note : str
        Where the death hazard (``spec.competing_rate``, or ``shared_death_rate``) comes
        from, for the texts.
    label : str
    alpha : float in (0, 1)
    n_draws : int > 0
        Simulated data sets per extreme scenario.
    seed : int
        Scenario ``i`` is simulated with seed ``seed + i``.
    shared_death_rate : float >= 0
        For a per-lesion survival endpoint that counts death as an event (progression-free
        survival) and ``n_patients`` below ``spec.n``: the constant death hazard per month
        within the event hazard, which the lesions of one patient share (one death time per
        patient in the simulations; a design effect on its part of the variance). Ignored
        for incidences (their deaths are ``spec.competing_rate``) and per-patient endpoints.

    Returns
    -------
    ScenarioSet
    """
    if not isinstance(spec, SummarySpec):
        raise TypeError(f"spec must be a SummarySpec; got {type(spec).__name__}")
    alpha = check_alpha(alpha)
    n_draws = positive_int(n_draws, "n_draws")
    n_patients = spec.n if n_patients is None else positive_int(n_patients, "n_patients")
    if n_patients > spec.n:
        raise ValueError(f"n_patients={n_patients} exceeds the {spec.n} units of analysis")
    shared_death_rate = nonnegative_rate(shared_death_rate, "shared_death_rate")
    if spec.kind != "survival" or n_patients >= spec.n:
        shared_death_rate = 0.0
    knots = constraint_knots(spec)
    horizon = max([t for t, _, _ in spec.milestones]
                  + ([spec.median[0] + spec.median[1] / 2] if spec.median else []))
    rate = spec.competing_rate if spec.kind != "survival" else 0.0
    estimators = (("kaplan-meier",) if spec.kind == "survival"
                  else ("aalen-johansen", "1 - kaplan-meier") if rate > 0
                  else ("1 - kaplan-meier",))
    reported = pd.DataFrame(
        [(spec.kind, t, v, max(0.0, v - s / 2), min(1.0, v + s / 2)) for t, v, s in spec.milestones]
        + ([("median", math.nan, spec.median[0], spec.median[0] - spec.median[1] / 2,
             spec.median[0] + spec.median[1] / 2)] if spec.median else [])
        + ([("follow_up_median", math.nan, spec.follow_up_median,
             spec.follow_up_median - spec.follow_up_median_step / 2,
             spec.follow_up_median + spec.follow_up_median_step / 2)]
           if spec.follow_up_median is not None else [])
        + ([("events", math.nan, float(spec.events), spec.events - 0.5, spec.events + 0.5)]
           if spec.events is not None else []),
        columns=["quantity", "time_months", "reported", "lower", "upper"])
    del knots
    items: list[Scenario] = []
    # per patient, time to death or censoring: the same for every hazard of an incidence
    death_only = lambda t: np.exp(-rate * np.asarray(t, float))  # noqa: E731
    death_memo: dict = {}
    for est in estimators:
        for family, note, hz in _hazards(spec, est, rate):
            if est == "kaplan-meier":
                all_cause = lambda t, hz=hz: np.exp(-hz.cumulative_hazard(t))  # noqa: E731
                memo: dict = {}
            else:
                all_cause, memo = death_only, death_memo
            misses_hz = _hazard_misses(spec, hz, est, rate, reported)
            for cens, cnote in _windows(spec, hz, rate, horizon, all_cause, memo):
                misses = list(misses_hz)
                if cnote.startswith("UNREACHABLE"):
                    misses.append("follow_up_median (no window gives it)")
                    cnote = cnote.removeprefix("UNREACHABLE ")
                misses += _censoring_misses(spec, hz, est, rate, cens, cnote, all_cause,
                                            reported, n_patients)
                items.append(Scenario(hz, family, note, cens, cnote, est, tuple(misses)))
    table = pd.DataFrame({
        "model": [s.family for s in items],
        "shape": [s.hazard.shape if s.hazard.shape is not None else math.nan for s in items],
        "tail": [_tail(s) for s in items],
        "censoring": [f"[{_fmt(s.censoring.low)}, {_fmt(s.censoring.high)}]" for s in items],
        "estimator": [s.estimator for s in items],
        "accepted": [s.accepted for s in items],
        "misses": ["; ".join(s.misses) for s in items],
        "assumption": [_assumption(s, spec, n_patients, competing_note, shared_death_rate)
                       for s in items],
    })
    return ScenarioSet(grid=table, horizon_months=float(horizon), kind=spec.kind,
                       n=spec.n, n_patients=n_patients, unit_of_analysis=spec.unit_of_analysis,
                       reported=reported, competing_rate=rate, competing_note=competing_note,
                       label=label, alpha=alpha, n_draws=n_draws, seed=int(seed),
                       shared_death_rate=shared_death_rate, _items=tuple(items))


def _tail(s: Scenario) -> str:
    if s.family != "piecewise-exponential":
        return "family"
    for f in TAIL_FACTORS:
        if f != 1 and f"x{f:g} after" in s.shape_note:
            return f"x{f:g}"
    return "x1"


def _hazard_misses(spec, hz, est, rate, reported) -> list[str]:
    misses = []
    pts = reported[reported["quantity"] == spec.kind]
    if len(pts):
        got = _quantity(hz, est, rate, pts["time_months"].to_numpy(float))
        for (_, row), g in zip(pts.iterrows(), got, strict=True):
            if not row["lower"] - 1e-9 <= g <= row["upper"] + 1e-9:
                misses.append(f"{row['time_months']:g} months ({100 * g:.2f}% vs "
                              f"{100 * row['reported']:g}%)")
    if spec.median is not None:
        med = _model_median(hz)
        m, step = spec.median
        if not m - step / 2 - 1e-9 <= med <= m + step / 2 + 1e-9:
            misses.append(f"median ({med:.1f} vs {m:g} months)")
    return misses


def _censoring_misses(spec, hz, est, rate, cens, cnote, all_cause, reported, n_patients
                      ) -> list[str]:
    misses = []
    if spec.follow_up_median is not None and "crude" in cnote:
        got = _crude_median(all_cause, cens)
        row = reported[reported["quantity"] == "follow_up_median"].iloc[0]
        if not row["lower"] - 1e-6 <= got <= row["upper"] + 1e-6:
            misses.append(f"follow-up median ({got:.1f} vs {row['reported']:g} months)")
    if spec.events is not None:
        e = _expected_events(hz, rate, cens, spec.n)
        if abs(e - spec.events) > 0.5:
            misses.append(f"events ({e:.0f} expected vs {spec.events} reported)")
    times = [t for t, _, _ in spec.milestones] + ([spec.median[0]] if spec.median else [])
    for t in times:
        tt = np.array([t])
        alive = float(np.exp(-hz.cumulative_hazard(tt) - rate * tt)[0])
        if spec.n * alive * float(cens.survival(tt)[0]) < 1.0:
            misses.append(f"nobody left at risk at {t:g} months")
            break
    return misses


def _assumption(s: Scenario, spec: SummarySpec, n_patients: int, competing_note: str,
                shared_death_rate: float = 0.0) -> str:
    parts = [f"{s.family} hazard of the event ({s.shape_note})"]
    parts.append(s.censoring_note)
    if s.estimator == "kaplan-meier":
        parts.append("survival read as a Kaplan–Meier estimate")
    elif s.estimator == "aalen-johansen":
        parts.append("the reported incidence read as an Aalen–Johansen cumulative incidence "
                     f"with deaths competing ({competing_note or 'constant death hazard'})")
    else:
        parts.append("the reported incidence read as 1 − Kaplan–Meier with deaths censored"
                     + (f" ({competing_note})" if competing_note else ""))
    if spec.unit_of_analysis == "lesion" and n_patients < spec.n:
        k = spec.n // n_patients
        extra = spec.n - k * n_patients
        if spec.kind != "survival":
            shared = "share its death and follow-up times, progression independent between them"
        elif shared_death_rate > 0:
            shared = ("share its follow-up time and its death (part of the event: a hazard "
                      f"{shared_death_rate:.4g} per month, at most the event's own, "
                      f"{competing_note or 'stated'}), progression independent between them")
        else:
            shared = "share its follow-up time, events independent between them"
        parts.append(f"{spec.n} lesions in {n_patients} patients ({extra} patients with "
                     f"{k + 1} lesions and {n_patients - extra} with {k}, assumed); lesions of "
                     f"one patient {shared}")
    elif spec.unit_of_analysis == "lesion":
        parts.append(f"{spec.n} lesions, patients not known: each lesion treated as its own "
                     "patient")
    return "; ".join(parts)
