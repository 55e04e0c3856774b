"""Kaplan-Meier figures drawn from real data (lifelines' datasets) for the digitise tests and
``benchmarks/bench_digitise.py``, and the accuracy measure they are judged by.

Each style draws the Kaplan-Meier estimates of a lifelines dataset with matplotlib (Agg) and
returns the true curves, computed by lifelines' KaplanMeierFitter, so that a digitisation is
compared with the estimate the figure shows, never with itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from lifelines import KaplanMeierFitter  # noqa: E402
from lifelines.datasets import load_lung, load_rossi, load_waltons  # noqa: E402


@dataclass(frozen=True)
class Style:
    """How one figure is drawn."""

    dataset: str                      # "waltons", "rossi", "lung"
    groups: str | None                # column splitting the curves, None for one curve
    colours: tuple[str, ...] = ("tab:blue", "tab:orange", "tab:green")
    linewidth: float = 1.5
    censor_marker: str | None = None  # "|" or "+"
    grid: bool = False
    legend: str | None = None         # a matplotlib legend location inside the axes
    box: bool = True                  # False: only the left and bottom axis lines
    y_top: float = 1.05
    linestyles: tuple[str, ...] = ("-", "-", "-")


STYLES: dict[str, Style] = {
    "colour-legend": Style("waltons", "group", legend="upper right"),
    "bw-censor": Style("lung", None, colours=("black",), censor_marker="|"),
    "grid-plus": Style("rossi", "fin", censor_marker="+", grid=True, legend="lower left",
                       y_top=1.0),
    "thin-three": Style("lung", "ph.ecog", linewidth=0.8, legend="lower left"),
    "no-box": Style("lung", "sex", colours=("tab:red", "tab:blue"), box=False,
                    legend="upper right", censor_marker="|"),
    "bw-grid-legend": Style("waltons", None, colours=("black",), grid=True,
                            legend="upper right"),
    "dashed": Style("waltons", "group", colours=("black", "tab:red"), linestyles=("--", ":"),
                    legend="upper right"),
}


def _data(name: str) -> tuple[pd.DataFrame, str, str]:
    if name == "waltons":
        return load_waltons(), "T", "E"
    if name == "rossi":
        return load_rossi(), "week", "arrest"
    data = load_lung()
    return data[data["ph.ecog"].isin([0, 1, 2])], "time", "status"


def true_curves(style: Style) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Group label -> (timeline, survival) of the Kaplan-Meier estimate, by lifelines."""
    data, t, e = _data(style.dataset)
    groups = [("all", data)] if style.groups is None else \
        [(str(g), d) for g, d in data.groupby(style.groups)]
    out = {}
    for label, d in groups:
        km = KaplanMeierFitter().fit(d[t], d[e])
        sf = km.survival_function_.iloc[:, 0]
        out[label] = (sf.index.to_numpy(float), sf.to_numpy(float))
    return out


def draw(style: Style, path: Path, *, dpi: int = 100, size: tuple[float, float] = (6, 4.5)
         ) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], tuple[float, float],
                    tuple[float, float]]:
    """Draw ``style`` to ``path`` (PNG, JPEG or PDF by suffix).

    Returns
    -------
    curves, x_range, y_range
        The true curves and the data values at the frame's edges.
    """
    curves = true_curves(style)
    data, t, e = _data(style.dataset)
    x_max = float(np.ceil(data[t].max() * 1.05 / 10) * 10)
    fig, ax = plt.subplots(figsize=size)
    for (label, (time, surv)), colour, ls in zip(curves.items(), style.colours,
                                                 style.linestyles, strict=False):
        ax.step(time, surv, where="post", color=colour, lw=style.linewidth, ls=ls, label=label)
        if style.censor_marker:
            d = data if style.groups is None else data[data[style.groups].astype(str) == label]
            censored = np.sort(d.loc[d[e] == 0, t].to_numpy(float))
            level = surv[np.searchsorted(time, censored, side="right") - 1]
            ax.plot(censored, level, ls="none", marker=style.censor_marker, color=colour,
                    ms=6, mew=1)
    ax.set_xlim(0, x_max)
    ax.set_ylim(0, style.y_top)
    if style.grid:
        ax.grid(True)
    if style.legend:
        ax.legend(loc=style.legend)
    if not style.box:
        ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel("Time")
    ax.set_ylabel("Survival probability")
    fig.tight_layout()
    kwargs = {"metadata": {"CreationDate": None}} if path.suffix == ".pdf" else \
        {"pil_kwargs": {"quality": 85}} if path.suffix in (".jpg", ".jpeg") else {}
    fig.savefig(path, dpi=dpi, **kwargs)
    plt.close(fig)
    return curves, (0.0, x_max), (0.0, style.y_top)


def step_values(time: np.ndarray, surv: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """A staircase given by its corners (or a KM timeline), evaluated at ``grid``: the last
    value at or before each time (after the drop at a drop's time)."""
    order = np.lexsort((-surv, time))
    time, surv = time[order], surv[order]
    idx = np.searchsorted(time, grid, side="right") - 1
    return surv[np.clip(idx, 0, None)]


def errors(true: tuple[np.ndarray, np.ndarray], got: tuple[np.ndarray, np.ndarray],
           points: int = 2000) -> np.ndarray:
    """|ΔS| on an even grid over the true curve's time span."""
    grid = np.linspace(0.0, true[0][-1], points)
    return np.abs(step_values(*got, grid) - step_values(*true, grid))


def test_true_curves_are_lifelines_estimates() -> None:
    curves = true_curves(STYLES["colour-legend"])
    assert sorted(curves) == ["control", "miR-137"]
    time, surv = curves["miR-137"]
    assert time[0] == 0 and surv[0] == 1
    assert surv[-1] == 0.0  # every miR-137 mouse died in the waltons data
    assert np.all(np.diff(surv) <= 0)


def test_step_values_reads_a_staircase_after_its_drops() -> None:
    t, s = np.array([0.0, 2.0, 2.0, 5.0]), np.array([1.0, 1.0, 0.5, 0.5])
    assert step_values(t, s, np.array([0.0, 1.9, 2.0, 4.0, 9.0])).tolist() == \
        [1.0, 1.0, 0.5, 0.5, 0.5]
