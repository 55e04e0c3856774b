"""Benchmark of the audit's exact searches; prints its figures (run by `make bench`).

Targets: km_feasible with n = 25 and 3 milestones under 1 s, n = 100 under 10 s;
km_joint_feasible with n = 1,000, 4 milestones, an event count and a median follow-up under 5 s;
mean_sd_feasible (n = 50, with a median) under 1 s; the whole audit of evidence/ under 30 s.
All values are synthetic (generic survival levels, incidences and shares), not study results.
"""

from __future__ import annotations

import time

from thyroid_evidence import load_evidence
from thyroid_evidence.audit import (
    audit_evidence,
    grim,
    infer_denominators,
    km_feasible,
    km_joint_feasible,
    mean_sd_feasible,
)

SETS = {25: (["70.4", "62.9", "51.3"], ["76.0", "64.0", "52.0"]), 100: (["70.4", "62.9", "51.3"],)}
INCIDENCE = ["4.8", "7.9", "9.6", "12.1"]


def _best_of(fn, repeats: int = 3) -> tuple[float, object]:
    best = float("inf")
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    for n, limit in ((25, 1.0), (100, 10.0)):
        for milestones in SETS[n]:
            seconds, result = _best_of(lambda n=n, m=milestones: km_feasible(n, m))
            verdict = "ok" if seconds < limit else "TOO SLOW"
            print(
                f"km_feasible n={n:>4} {'/'.join(milestones)}: {seconds:7.3f} s "
                f"(target < {limit:g} s, {verdict}); feasible={result.feasible}, "
                f"at risk {result.at_risk}, exact={result.at_risk_exact}"
            )
    seconds, result = _best_of(
        lambda: km_feasible(1037, INCIDENCE, complement=True, at_risk_ranges=False),
        repeats=1,
    )
    print(f"km_feasible n=1037 milestones=4 (witness only): {seconds:7.3f} s; "
          f"feasible={result.feasible}")
    seconds, result = _best_of(
        lambda: km_feasible(1037, INCIDENCE, complement=True),
        repeats=1,
    )
    print(f"km_feasible n=1037 milestones=4 (with at-risk ranges): {seconds:7.3f} s; "
          f"bounds={result.at_risk_bounds}, exact={result.at_risk_exact}")
    seconds, _ = _best_of(lambda: [grim(f"{k / 10:.1f}", 54) for k in range(1001)])
    print(f"grim x 1001 values:                 {seconds:7.3f} s")
    seconds, _ = _best_of(
        lambda: infer_denominators(["29.61", "46.37", "5.52", "16.64"], n_max=1000)
    )
    print(f"infer_denominators 4 values, n<=1000: {seconds:7.3f} s")
    seconds, result = _best_of(lambda: km_joint_feasible(
        1000, INCIDENCE, [12, 24, 36, 48], events=90, median_follow_up=30.0,
        complement=True))
    verdict = "ok" if seconds < 5.0 else "TOO SLOW"
    print(f"km_joint_feasible n=1000 milestones=4 events+median: {seconds:7.3f} s "
          f"(target < 5 s, {verdict}); feasible={result.feasible}")
    seconds, result = _best_of(lambda: mean_sd_feasible("3.0", "2.5", 50, median="2.0",
                                                        lower=0, step=1))
    verdict = "ok" if seconds < 1.0 else "TOO SLOW"
    print(f"mean_sd_feasible n=50 whole numbers + median: {seconds:7.3f} s "
          f"(target < 1 s, {verdict}); status={result.status}")
    seconds, result = _best_of(lambda: mean_sd_feasible("62.0", "13.0", 600, lower=0))
    print(f"mean_sd_feasible n=600 continuous:  {seconds:7.3f} s; status={result.status}")
    evidence = load_evidence()
    seconds, table = _best_of(lambda: audit_evidence(evidence), repeats=1)
    verdict = "ok" if seconds < 30.0 else "TOO SLOW"
    print(f"audit_evidence(evidence/): {seconds:7.3f} s (target < 30 s, {verdict}); "
          f"{len(table)} findings")


if __name__ == "__main__":
    main()
