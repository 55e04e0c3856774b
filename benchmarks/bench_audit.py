"""Benchmark of the audit's exact searches; prints its figures (run by `make bench`).

Targets: km_feasible with n = 25 and 3 milestones under 1 s, n = 100 under 10 s.
All values are synthetic (generic survival levels, incidences and shares), not study results.
"""

from __future__ import annotations

import time

from thyroid_evidence.audit import grim, infer_denominators, km_feasible

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


if __name__ == "__main__":
    main()
