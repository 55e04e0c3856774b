"""Round trips of reconstruct_km (Guyot et al. 2012) on real individual data, and its speed.

The references are R's own: tests/reference/guyot_reference.json, written by
tests/reference/make_guyot_reference.R from the `survival` package's data sets (lung, veteran,
colon, gbsg, pbc, aml, ovarian; two arms each). For every arm the Kaplan-Meier step corners
(both corners of every step, as a careful digitiser clicks them) and the printed-style risk
table (8 equally spaced times) are rebuilt into pseudo-IPD, whose Kaplan-Meier curve is then
compared with R's on 200 equally spaced times.

Targets (issue 16):
- exact corners, with risk table and total events: worst max |dS| <= 0.005
- noisy clicks (sd 0.005 in S and 0.5% of the time axis in t; seeds 0, 1, 2; no total
  events): worst mean |dS| <= 0.006
- log hazard ratio between the arms of data sets with >= 100 patients per arm, exact and
  noisy: |reconstructed - R's coxph| <= 0.03
- a reconstruction of 300 clicks with 10 risk intervals < 20 ms.

The clicks are the step corners only; a printed curve also runs on flat to the last
follow-up, and clicking that end tells the reconstruction how long the patients left after
the last event were followed (which the Cox model of the other arm's later events needs): the
same figures with that click are printed too.

Beside these, the same round trips through a plain port of the published R code
(:func:`plain_port`), for comparison.

Run with one thread: OMP_NUM_THREADS=1 python benchmarks/bench_guyot.py
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import CoxPHFitter  # noqa: E402

from thyroid_evidence.survival import reconstruct_km  # noqa: E402
from thyroid_evidence.survival.km import survival_on  # noqa: E402

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "reference" / "guyot_reference.json"
SEEDS = (0, 1, 2)


def corners(arm: dict, with_end: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Both corners of every step of R's Kaplan-Meier curve, from (0, 1); with ``with_end``
    also the curve's end (the last follow-up time, where a printed curve stops)."""
    km = arm["km"]
    t = np.asarray(km["time"], float)
    s = np.asarray(km["survival"], float)
    keep = np.asarray(km["n_event"]) > 0
    t, s = t[keep], s[keep]
    prev = np.concatenate(([1.0], s[:-1]))
    t_out = np.concatenate(([0.0], np.repeat(t, 2)))
    s_out = np.concatenate(([1.0], np.column_stack((prev, s)).ravel()))
    end = float(max(arm["data"]["time"]))
    if with_end and end > t_out[-1]:
        t_out, s_out = np.append(t_out, end), np.append(s_out, s_out[-1])
    return t_out, s_out


def r_survival(arm: dict, grid: np.ndarray) -> np.ndarray:
    """R's Kaplan-Meier estimate (right-continuous step) on ``grid``."""
    t = np.asarray(arm["km"]["time"], float)
    s = np.asarray(arm["km"]["survival"], float)
    idx = np.searchsorted(t, grid, side="right") - 1
    return np.where(idx >= 0, s[np.clip(idx, 0, None)], 1.0)


def round_trip(arm: dict, noise_seed: int | None, engine=None, with_end: bool = False
               ) -> tuple[pd.DataFrame, np.ndarray]:
    """Rebuild one arm (with ``engine``, default reconstruct_km); return the pseudo-IPD and
    |dS| on 200 times over the axis."""
    t, s = corners(arm, with_end)
    axis = float(max(arm["data"]["time"]))
    kwargs = {}
    if noise_seed is None:
        kwargs["total_events"] = int(arm["events"])
    else:
        rng = np.random.default_rng(noise_seed)
        s = s + rng.normal(0, 0.005, s.size)
        t = t + rng.normal(0, 0.005 * axis, t.size)
    out = (engine or reconstruct_km)(t, s, risk_times=arm["risk"]["time"],
                                     n_risk=arm["risk"]["n_risk"], **kwargs)
    data = getattr(out, "data", out)
    grid = np.linspace(0, axis, 200)
    rebuilt = survival_on(data["time"].to_numpy(float), data["event"].to_numpy(int), grid)
    return data, np.abs(rebuilt - r_survival(arm, grid))


def log_hr(frames: list[pd.DataFrame]) -> float:
    data = pd.concat([f[["time", "event"]].assign(arm=i) for i, f in enumerate(frames)],
                     ignore_index=True)
    return float(CoxPHFitter().fit(data, "time", "event").params_["arm"])


def accuracy(reference: dict | None = None, engine=None, with_end: bool = False) -> dict:
    """Worst errors over the reference data sets (see the module docstring); ``with_end``:
    the clicks include each curve's end (see :func:`corners`)."""
    ref = reference or json.loads(REFERENCE.read_text())
    exact_max, noisy_mean, hr_gap = [], [], []
    rows, hr_rows = [], []
    for name, ds in ref["datasets"].items():
        big = min(a["n"] for a in ds["arms"]) >= 100
        for seed in (None, *SEEDS):
            frames = []
            for i, arm in enumerate(ds["arms"]):
                data, diff = round_trip(arm, seed, engine, with_end)
                frames.append(data)
                if seed is None:
                    exact_max.append(diff.max())
                else:
                    noisy_mean.append(diff.mean())
                rows.append((name, i, "exact" if seed is None else f"noisy {seed}",
                             diff.max(), diff.mean()))
            if big:
                hr_gap.append(abs(log_hr(frames) - ds["log_hr"]))
                hr_rows.append((name, "exact" if seed is None else f"noisy {seed}",
                                ds["log_hr"], hr_gap[-1]))
    return {"exact_worst_max": max(exact_max), "noisy_worst_mean": max(noisy_mean),
            "hr_worst": max(hr_gap) if hr_gap else float("nan"),
            "table": pd.DataFrame(rows, columns=["data", "arm", "clicks", "max_abs_dS",
                                                 "mean_abs_dS"]),
            "hr_table": pd.DataFrame(hr_rows, columns=["data", "clicks", "log_hr_R",
                                                       "abs_gap"])}


# --- a plain port of the published algorithm, for comparison ---------------------------------


def _gap_counts(cen_t: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """R's hist(cen_t, breaks, plot = FALSE)$counts: right-closed bins, the first closed."""
    if breaks.size < 2:
        return np.zeros(0, int)
    idx = np.searchsorted(breaks, cen_t, side="left") - 1
    idx = np.clip(idx, 0, breaks.size - 2)
    return np.bincount(idx, minlength=breaks.size - 1)[: breaks.size - 1]


def plain_port(t, s, risk_times, n_risk, total_events=None, max_iter=100):
    """Guyot et al. (2012)'s published R code, ported step by step, for comparison only.

    Only what a port must add: clicks sorted by time, clipped to [0, 1] and t >= 0 and made
    non-increasing by a running minimum (the usual preparation for the published code, which
    assumes a monotone curve), risk times past the last click dropped (the published code
    needs them within the curve), the adjustment loops bounded at ``max_iter`` (the
    published loops can cycle forever).
    """
    t = np.clip(np.asarray(t, float), 0, None)
    s = np.clip(np.asarray(s, float), 0, 1)
    order = np.argsort(t, kind="stable")
    t, s = t[order], np.minimum.accumulate(s[order])
    rt, nr = np.asarray(risk_times, float), np.asarray(n_risk, int)
    keep = rt <= t[-1]
    rt, nr = rt[keep], nr[keep].copy()
    n_pts, n_int = t.size, rt.size
    lower = np.searchsorted(t, rt, side="left")
    upper = np.append(lower[1:] - 1, n_pts - 1)
    n_hat = np.zeros(n_pts + 1)
    d = np.zeros(n_pts)
    cen = np.zeros(n_pts)
    km = np.ones(n_pts)
    last_i = np.zeros(n_int, int)
    n_censor = np.zeros(n_int)
    n_hat[0] = nr[0]

    def run(i, last):
        for k in range(lower[i], upper[i] + 1):
            if i == 0 and k == lower[i]:
                d[k], km[k] = 0, 1.0
            else:
                d[k] = round(n_hat[k] * (1 - s[k] / km[last])) if km[last] != 0 else 0
                km[k] = km[last] * (1 - d[k] / n_hat[k]) if n_hat[k] > 0 else km[last]
            n_hat[k + 1] = n_hat[k] - d[k] - cen[k]
            if n_hat[k + 1] < 0:
                n_hat[k + 1], cen[k] = 0, n_hat[k] - d[k]
            if d[k] != 0:
                last = k
        return last

    def spread(i, t_end):
        cen[lower[i]:upper[i] + 1] = 0
        if n_censor[i] > 0:
            cen_t = rt[i] + np.arange(1, n_censor[i] + 1) * (t_end - rt[i]) / (n_censor[i] + 1)
            breaks = t[lower[i]:upper[i] + 2] if i < n_int - 1 else t[lower[i]:upper[i] + 1]
            counts = _gap_counts(cen_t, breaks)
            cen[lower[i]:lower[i] + counts.size] = counts

    for i in range(n_int - 1):
        nxt = lower[i + 1]
        n_censor[i] = round(nr[i] * s[nxt] / s[lower[i]] - nr[i + 1]) if s[lower[i]] > 0 else 0
        for _ in range(max_iter):
            n_censor[i] = max(n_censor[i], 0)
            spread(i, t[nxt])
            n_hat[lower[i]] = nr[i]
            last = run(i, last_i[i])
            miss = n_hat[nxt] - nr[i + 1]
            if miss == 0 or (n_censor[i] == 0 and miss < 0):
                break
            n_censor[i] += miss
        if n_hat[nxt] < nr[i + 1]:
            nr[i + 1] = int(n_hat[nxt])
        last_i[i + 1] = last
    i = n_int - 1
    if n_int > 1:
        span = t[upper[n_int - 2]] - t[lower[0]]
        n_censor[i] = min(round(n_censor[:i].sum() * (t[upper[i]] - t[lower[i]]) / span)
                          if span > 0 else 0, nr[i])
    spread(i, t[upper[i]])
    n_hat[lower[i]] = nr[i]
    run(i, last_i[i])
    if total_events is not None:
        for _ in range(max_iter):
            sumd = d[: upper[i] + 1].sum()
            if not (sumd > total_events or (sumd < total_events and n_censor[i] > 0)):
                break
            n_censor[i] = max(n_censor[i] + (sumd - total_events), 0)
            spread(i, t[upper[i]])
            n_hat[lower[i]] = nr[i]
            run(i, last_i[i])
    times, events = [], []
    for k in range(n_pts):
        times += [t[k]] * int(d[k])
        events += [1] * int(d[k])
        mid = (t[k] + t[min(k + 1, n_pts - 1)]) / 2
        times += [mid] * int(cen[k])
        events += [0] * int(cen[k])
    left = int(max(n_hat[n_pts], 0))
    times += [t[-1]] * left
    events += [0] * left
    return pd.DataFrame({"time": times, "event": events})


def bench_300_clicks() -> float:
    rng = np.random.default_rng(0)
    n = 400
    t_true = np.sort(rng.exponential(30, n))
    times = np.linspace(0, 60, 300)
    surv = np.exp(-times / 30) + rng.normal(0, 0.003, times.size)
    risk_times = np.linspace(0, 54, 10)
    n_risk = np.array([(t_true >= x).sum() for x in risk_times])
    n_risk = np.maximum.accumulate(n_risk[::-1])[::-1]
    best = np.inf
    for _ in range(20):
        start = time.perf_counter()
        reconstruct_km(times, surv, risk_times=risk_times, n_risk=n_risk)
        best = min(best, time.perf_counter() - start)
    return best


if __name__ == "__main__":
    acc = accuracy()
    with pd.option_context("display.width", 120, "display.max_rows", 200):
        print(acc["table"].to_string(index=False, float_format=lambda x: f"{x:.4f}"))
        print(acc["hr_table"].to_string(index=False, float_format=lambda x: f"{x:.4f}"))
    print(f"exact corners + risk table + total events, worst max |dS|: "
          f"{acc['exact_worst_max']:.4f} (target <= 0.005) "
          f"{'OK' if acc['exact_worst_max'] <= 0.005 else 'MISSED'}")
    noisy = acc["table"][acc["table"]["clicks"] != "exact"]
    worst = noisy.loc[noisy["mean_abs_dS"].idxmax()]
    print(f"noisy clicks (sd 0.005 in S, 0.5% of axis in t), worst mean |dS|: "
          f"{acc['noisy_worst_mean']:.5f} ({worst['data']} arm {worst['arm']}, "
          f"{worst['clicks']}; target <= 0.006) "
          f"{'OK' if acc['noisy_worst_mean'] <= 0.006 else 'MISSED'}")
    worst_hr = acc["hr_table"].loc[acc["hr_table"]["abs_gap"].idxmax()]
    print(f"log hazard ratio, arms >= 100 patients, worst |gap|: {acc['hr_worst']:.4f} "
          f"({worst_hr['data']}, {worst_hr['clicks']}; target <= 0.03) "
          f"{'OK' if acc['hr_worst'] <= 0.03 else 'MISSED'}")
    port = accuracy(engine=plain_port)
    print(f"plain port of the published code, same set: exact worst max |dS| "
          f"{port['exact_worst_max']:.4f}, noisy worst mean |dS| {port['noisy_worst_mean']:.4f}, "
          f"log hazard ratio worst |gap| {port['hr_worst']:.4f}")
    end = accuracy(with_end=True)
    print(f"with each curve's end clicked too (the last follow-up, where a printed curve "
          f"stops): exact worst max |dS| {end['exact_worst_max']:.4f}, noisy worst mean |dS| "
          f"{end['noisy_worst_mean']:.4f}, log hazard ratio worst |gap| {end['hr_worst']:.4f} "
          f"{'OK' if end['hr_worst'] <= 0.03 else 'MISSED'}")
    ms = 1000 * bench_300_clicks()
    print(f"reconstruct_km, 300 clicks, 10 risk intervals: {ms:.1f} ms (target < 20 ms) "
          f"{'OK' if ms < 20 else 'SLOW'}")
