"""The series-overview legend names every population kind drawn, and only those."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from thyroid_evidence import load_evidence, plotting, study  # noqa: E402
from thyroid_evidence.vocab import POPULATION_KIND_LABELS  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_a_series_without_a_stated_population_gets_a_legend_entry():
    table = study.series_overview(load_evidence()).copy()
    table["population_kind"] = POPULATION_KIND_LABELS["unspecified"]
    table["thyroid_share_percent"] = np.nan
    ax = plotting.plot_series_overview(table)
    assert _legend(ax) == [POPULATION_KIND_LABELS["unspecified"]]


def test_legend_lists_the_kinds_drawn_in_vocabulary_order():
    table = study.series_overview(load_evidence()).copy()
    table["thyroid_share_percent"] = np.nan
    kinds = list(POPULATION_KIND_LABELS.values())
    table["population_kind"] = [kinds[i % 2 * 3] for i in range(len(table))]
    ax = plotting.plot_series_overview(table)
    expected = [kinds[0], kinds[3]] if len(table) > 1 else [kinds[0]]
    assert _legend(ax) == expected
    assert "review" not in ax.get_title()
