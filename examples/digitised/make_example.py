"""Write the EXAMPLE digitised curve of examples/digitised/ (not evidence of the review).

The example is R's `lung` data set (NCCTG advanced lung cancer, survival package), whose
Kaplan-Meier curves and individual data tests/reference/make_guyot_reference.R stored in
tests/reference/guyot_reference.json. Its two curves (men, women) are turned into what a
person clicking the printed figure in WebPlotDigitizer would save: both corners of every step,
with small click noise (fixed seed), time in months, survival in percent. Written:

- lung_wpd_all.csv        "Export All Data" (datasets Male and Female over X,Y columns)
- lung_female_wpd_de.csv  the Female dataset as a per-dataset CSV of a comma-decimal locale
- lung_male_risk.csv, lung_female_risk.csv   numbers at risk every 3 months (time,n_risk)
- lung_quoted.csv         values "the text quotes" for the example, one row per value with
                          the curve (dataset) it belongs to: survival at 6 and 12 months
                          (whole percent) and the median (months, one decimal), read from
                          R's Kaplan-Meier curve

Run from the project root: python examples/digitised/make_example.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parents[1] / "tests" / "reference" / "guyot_reference.json"
DAYS_PER_MONTH = 365.25 / 12
ARMS = (("Male", 0), ("Female", 1))


def _clicks(arm: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    km = arm["km"]
    keep = np.asarray(km["n_event"]) > 0
    t = np.asarray(km["time"], float)[keep] / DAYS_PER_MONTH
    s = 100 * np.asarray(km["survival"], float)[keep]
    prev = np.concatenate(([100.0], s[:-1]))
    t = np.concatenate(([0.0], np.repeat(t, 2)))
    s = np.concatenate(([100.0], np.column_stack((prev, s)).ravel()))
    axis = 36.0
    return (np.round(t + rng.normal(0, 0.002 * axis, t.size), 3),
            np.round(s + rng.normal(0, 0.3, s.size), 2))


def main() -> None:
    ref = json.loads(REFERENCE.read_text())["datasets"]["lung"]
    rng = np.random.default_rng(20240601)
    clicks = {name: _clicks(ref["arms"][i], rng) for name, i in ARMS}
    longest = max(len(t) for t, _ in clicks.values())
    lines = ["Male,,Female,", "X,Y,X,Y"]
    for k in range(longest):
        cells = []
        for name, _ in ARMS:
            t, s = clicks[name]
            cells += [f"{t[k]:g}", f"{s[k]:g}"] if k < len(t) else ["", ""]
        lines.append(",".join(cells))
    (HERE / "lung_wpd_all.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    t, s = clicks["Female"]
    (HERE / "lung_female_wpd_de.csv").write_text(
        "".join(f"{a:g}; {b:g}\n".replace(".", ",") for a, b in zip(t, s, strict=True)),
        encoding="utf-8")
    quoted = ["curve,outcome_id,quantity,time_months,reported,lower,upper"]
    for name, i in ARMS:
        arm = ref["arms"][i]
        times = np.asarray(arm["data"]["time"], float) / DAYS_PER_MONTH
        grid = np.arange(0, 33, 3)
        rows = ["time,n_risk"] + [f"{g},{int((times >= g).sum())}" for g in grid]
        (HERE / f"lung_{name.lower()}_risk.csv").write_text("\n".join(rows) + "\n",
                                                             encoding="utf-8")
        km_t = np.asarray(arm["km"]["time"], float) / DAYS_PER_MONTH
        km_s = np.asarray(arm["km"]["survival"], float)
        for month in (6, 12):
            value = round(100 * km_s[km_t <= month][-1])
            quoted.append(f"{name},{name}_os_{month}m,survival,{month},{value / 100:g},"
                          f"{(value - 0.5) / 100:g},{(value + 0.5) / 100:g}")
        median = round(float(km_t[np.argmax(km_s <= 0.5)]), 1)
        quoted.append(f"{name},{name}_os_median,median,,{median:g},{median - 0.05:g},"
                      f"{median + 0.05:g}")
    (HERE / "lung_quoted.csv").write_text("\n".join(quoted) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
