"""Write the EXAMPLE Kaplan-Meier figures of this folder (not evidence of the review).

R's ``lung`` data (NCCTG advanced lung cancer trial; lifelines ships it as ``load_lung``),
Kaplan-Meier by sex in months (365.25 / 12 days), drawn with matplotlib as a journal might:
two colours, censoring ticks, a legend inside the plot, x axis 0-36 months, y axis 0-1. The
same figure as PNG (100 dpi, to be traced) and PDF (vector paths, to be read exactly). The
numbers at risk printed under it are those of ``examples/digitised/lung_*_risk.csv``.

Run from the repository root: ``.venv/bin/python examples/figures/make_figures.py``.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.datasets import load_lung  # noqa: E402

HERE = Path(__file__).resolve().parent
DAYS_PER_MONTH = 365.25 / 12


def main() -> None:
    data = load_lung()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for sex, name, colour in ((1, "Male", "tab:blue"), (2, "Female", "tab:red")):
        group = data[data["sex"] == sex]
        months = group["time"].to_numpy(float) / DAYS_PER_MONTH
        km = KaplanMeierFitter().fit(months, group["status"])
        sf = km.survival_function_.iloc[:, 0]
        time, surv = sf.index.to_numpy(float), sf.to_numpy(float)
        ax.step(time, surv, where="post", color=colour, lw=1.5, label=name)
        censored = np.sort(months[group["status"].to_numpy() == 0])
        ax.plot(censored, surv[np.searchsorted(time, censored, side="right") - 1], ls="none",
                marker="|", ms=6, color=colour)
    ax.set_xlim(0, 36)
    ax.set_ylim(0, 1)
    ax.set_xticks(range(0, 37, 6))
    ax.set_xlabel("Months")
    ax.set_ylabel("Overall survival")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(HERE / "lung_km.png", dpi=100)
    fig.savefig(HERE / "lung_km.pdf", metadata={"CreationDate": None})
    plt.close(fig)


if __name__ == "__main__":
    main()
