"""Time pool_proportions on 1,000 random meta-analyses of k = 10 studies (one core), and the
cluster-adjusted interval of a per-lesion proportion.

Targets: REML under 2 ms per call, GLMM under 50 ms per call, cluster_adjusted_ci (11 ICCs
across the range, Clopper-Pearson) under 5 ms per call. Run with
``make bench`` or ``python benchmarks/bench_proportions.py [n_meta]``. Prints figures only;
it is not a test.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from thyroid_evidence.proportions import cluster_adjusted_ci, pool_proportions

K = 10
TARGET_MS = {"REML": 2.0, "GLMM": 50.0}
CLUSTER_TARGET_MS = 5.0


def random_meta_analyses(n_meta: int, seed: int = 20240601) -> list[tuple[np.ndarray, ...]]:
    """Binomial series with totals 10-200 and true logits ~ N(-1, 0.8^2)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_meta):
        totals = rng.integers(10, 201, size=K)
        p = 1.0 / (1.0 + np.exp(-rng.normal(-1.0, 0.8, size=K)))
        events = rng.binomial(totals, p)
        out.append((events, totals))
    return out


def time_method(data: list[tuple[np.ndarray, ...]], method: str) -> list[float]:
    pool_proportions(*data[0], method=method)  # warm-up (imports, caches)
    times = []
    for events, totals in data:
        start = time.perf_counter()
        pool_proportions(events, totals, method=method)
        times.append(time.perf_counter() - start)
    return times


def main() -> int:
    n_meta = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    data = random_meta_analyses(n_meta)
    print(f"pool_proportions: {n_meta} random meta-analyses, k = {K}, one process")
    ok = True
    for method in ("DL", "REML", "GLMM"):
        times_ms = [1000.0 * t for t in time_method(data, method)]
        mean = statistics.fmean(times_ms)
        line = (
            f"{method:5s} mean {mean:7.3f} ms/call  median {statistics.median(times_ms):7.3f}  "
            f"p95 {np.percentile(times_ms, 95):7.3f}  max {max(times_ms):7.3f}  "
            f"total {sum(times_ms) / 1000:6.2f} s"
        )
        if method in TARGET_MS:
            met = mean < TARGET_MS[method]
            ok &= met
            line += f"  target < {TARGET_MS[method]:g} ms: {'met' if met else 'MISSED'}"
        print(line)
    events, totals = data[0]
    cluster_adjusted_ci(int(events[0]), int(totals[0]), 2.0)  # warm-up
    times_ms = []
    for events, totals in data:
        start = time.perf_counter()
        cluster_adjusted_ci(int(events[0]), int(totals[0]), 2.0, method="clopper-pearson")
        times_ms.append(1000.0 * (time.perf_counter() - start))
    mean = statistics.fmean(times_ms)
    met = mean < CLUSTER_TARGET_MS
    ok &= met
    print(f"cluster_adjusted_ci mean {mean:7.3f} ms/call  p95 {np.percentile(times_ms, 95):7.3f}"
          f"  target < {CLUSTER_TARGET_MS:g} ms: {'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
