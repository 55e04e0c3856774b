"""Forest-style plots: the columns a reader of R's meta expects, RevMan 5 and JAMA layouts,
figures sized by their rows (never wider than 2.5:1), labels from the evidence."""

from __future__ import annotations

import json
import struct
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402

from thyroid_evidence import load_evidence  # noqa: E402
from thyroid_evidence.plotting import plot_forest, plot_proportion_table  # noqa: E402
from thyroid_evidence.plotting.figures import render_figure  # noqa: E402
from thyroid_evidence.plotting.forest import heterogeneity_text  # noqa: E402
from thyroid_evidence.proportions import pool_proportions, proportion_ci  # noqa: E402
from thyroid_evidence.study import proportion_table  # noqa: E402

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())


def _column(ax, header: str) -> list[str]:
    """The cells under ``header``, top-down (texts at the header's x, below it)."""
    head = next(t for t in ax.texts if t.get_text() == header)
    x, y0 = head.get_position()
    cells = [t for t in ax.texts if t is not head and t.get_position()[0] == x
             and t.get_position()[1] > y0 and t.get_ha() == head.get_ha()]
    return [t.get_text() for t in sorted(cells, key=lambda t: t.get_position()[1])]


def _aspect(fig) -> float:
    png = render_figure(fig, ("png",), dpi=50)["png"]
    width, height = struct.unpack(">II", png[16:24])
    return width / height


def _all_text(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts).replace("\n", " ")


@pytest.fixture(scope="module")
def four():
    return pool_proportions([5, 9, 2, 30], [12, 20, 10, 40], labels=["a", "b", "c", "d"])


def test_meta_layout_has_study_events_total_proportion_ci_weight(four):
    ax = plot_forest(four)
    assert _column(ax, "Study") == ["a", "b", "c", "d", "Random effects model (REML)",
                                    "Prediction interval"]
    assert _column(ax, "Events") == ["5", "9", "2", "30", "46", ""]
    assert _column(ax, "Total") == ["12", "20", "10", "40", "82", ""]
    lo, hi = proportion_ci(5, 12, method="clopper-pearson")
    assert _column(ax, "Proportion (%)")[0] == "41.7"
    assert _column(ax, "95% CI")[0] == f"[{100 * lo:.1f}; {100 * hi:.1f}]"
    assert _column(ax, "95% CI")[4] == f"[{100 * four.ci_low:.1f}; {100 * four.ci_high:.1f}]"
    assert _column(ax, "95% CI")[5] == f"[{100 * four.pi_low:.1f}; {100 * four.pi_high:.1f}]"
    weights = _column(ax, "Weight")
    assert weights[:4] == [f"{w:.1f}%" for w in four.studies["weight"]]
    assert weights[4] == "100.0%"
    text = _all_text(ax)
    assert f"I\u00b2 = {four.i2:.1f}%" in text and f"\u03c4\u00b2 = {four.tau2:.3g}" in text
    assert f"Q = {four.q:.2f} (df = 3)" in text
    diamonds = [p for p in ax.patches if isinstance(p, Polygon) and len(p.get_xy()) == 5]
    xs = diamonds[0].get_xy()[:, 0]
    assert xs.min() == pytest.approx(100 * four.ci_low)
    assert xs.max() == pytest.approx(100 * four.ci_high)
    # marker area grows with the study weight
    sizes = ax.collections[-1].get_sizes()
    order = np.argsort(four.studies["weight"].to_numpy())
    assert np.all(np.diff(sizes[order]) >= 0)
    plt.close(ax.figure)


def test_revman5_and_jama_layouts(four):
    ax = plot_forest(four, layout="RevMan5")
    assert _column(ax, "Study or Subgroup")[-2:] == ["Total (95% CI)", "Prediction interval"]
    assert _column(ax, "Weight")[0] == f"{four.studies['weight'][0]:.1f}%"
    estimates = _column(ax, "Proportion (%)\nIV, Random, 95% CI")
    lo, hi = proportion_ci(5, 12, method="clopper-pearson")
    assert estimates[0] == f"41.7 [{100 * lo:.1f}, {100 * hi:.1f}]"
    assert (f"Heterogeneity: Tau\u00b2 = {four.tau2:.2f}; Chi\u00b2 = {four.q:.2f}, df = 3 "
            f"(P = {four.q_pvalue:.2f}); I\u00b2 = {four.i2:.0f}%") in _all_text(ax)
    plt.close(ax.figure)
    ax = plot_forest(four, layout="JAMA")
    assert _column(ax, "Source")[0] == "a"
    assert _column(ax, "No. of events/total")[:4] == ["5/12", "9/20", "2/10", "30/40"]
    assert _column(ax, "Proportion (%) (95% CI)")[0] == (
        f"41.7 ({100 * lo:.1f}\u2013{100 * hi:.1f})")
    p_text = f"{four.q_pvalue:.2f}".lstrip("0")
    assert f"(P = {p_text}); I\u00b2 = {four.i2:.0f}%" in _all_text(ax)
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="layout must be one of .*'meta', 'RevMan5', 'JAMA'"):
        plot_forest(four, layout="Lancet")


def test_with_two_studies_no_heterogeneity_claim_and_the_reason():
    res = pool_proportions([5, 30], [12, 54], labels=["x", "y"])
    ax = plot_forest(res)
    text = _all_text(ax)
    assert res.heterogeneity_note and res.heterogeneity_note in text
    assert "I\u00b2 =" not in text and "Prediction interval" not in _column(ax, "Study")
    assert heterogeneity_text(res, "JAMA") == res.heterogeneity_note
    plt.close(ax.figure)


def test_model_intervals_and_proportion_axis():
    res = pool_proportions([0, 9], [12, 20], method="DL")
    ax = plot_forest(res, percent=False, study_ci="model", show_counts=False)
    st = res.studies
    assert _column(ax, "95% CI")[0] == f"[{st['ci_low'][0]:.2f}; {st['ci_high'][0]:.2f}]"
    assert _column(ax, "Events") == ["", "", ""]
    assert ax.get_xlim()[1] == pytest.approx(1.0)
    plt.close(ax.figure)


def test_single_study():
    with pytest.warns(UserWarning):
        res = pool_proportions([5], [12], labels=["TAE partial response"])
    ax = plot_forest(res, title="k = 1")
    assert _column(ax, "Study") == ["TAE partial response", "Single study (not pooled)"]
    assert "Single study: nothing pooled, heterogeneity undefined" in _all_text(ax)
    assert "k = 1" in _all_text(ax)
    plt.close(ax.figure)


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="result must be a PooledProportion; got dict"):
        plot_forest({"estimate": 0.5})
    res = pool_proportions([5, 9], [12, 20])
    with pytest.raises(ValueError, match="study_ci must be one of"):
        plot_forest(res, study_ci="exact")


@pytest.mark.parametrize("k", [1, 2, 4, 12])
def test_forest_is_sized_by_its_rows_and_never_wider_than_2_5(k):
    events = [3 + i for i in range(k)]
    totals = [20 + 2 * i for i in range(k)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pool_proportions(events, totals)
    # a figure made too wide by the caller is refitted to the rows
    fig, ax = plt.subplots(figsize=(10.5, 2.0))
    plot_forest(res, ax=ax)
    height = fig.get_figheight()
    assert _aspect(fig) <= 2.5
    plt.close(fig)
    if k == 12:  # more rows, a taller figure
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            few = plot_forest(pool_proportions(events[:4], totals[:4]))
        assert height > few.figure.get_figheight()
        plt.close(few.figure)


def test_review_proportions_fit_one_figure():
    d = REF["datasets"]["review_all"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = pool_proportions(d["events"], d["totals"], labels=d["labels"])
    ax = plot_forest(res)
    assert _column(ax, "Study")[: len(d["labels"])] == list(d["labels"])
    assert _aspect(ax.figure) <= 2.5
    plt.close(ax.figure)


# ---- plot_proportion_table ---------------------------------------------------------------


@pytest.fixture(scope="module")
def evidence():
    return load_evidence()


def test_proportion_table_labels_come_from_the_evidence(evidence):
    table = proportion_table(evidence)
    ax = plot_proportion_table(table, with_series=True)
    text = _all_text(ax)
    for series_id, label in zip(evidence.series["series_id"],
                                evidence.series.get("label", evidence.series["title"]),
                                strict=True):
        assert series_id not in text
        if series_id in set(table["series_id"]):
            assert str(label) in text
    for source_id in evidence.sources["source_id"]:
        assert f"({source_id})" not in text
    assert "_" not in " ".join(_column(ax, "Outcome"))
    plt.close(ax.figure)


def test_proportion_table_keeps_acronyms_in_capitals(evidence_copy, edit_cell):
    from tests.conftest import find_line

    line = find_line(evidence_copy, "outcomes", "outcome_id",
                     load_evidence(evidence_copy).outcomes["outcome_id"].iloc[0])
    edit_cell(evidence_copy, "outcomes", line, "category", "during_oral_rit_and_ebrt")
    table = proportion_table(load_evidence(evidence_copy))
    ax = plot_proportion_table(table.iloc[:1])
    assert "during oral RIT and EBRT" in _column(ax, "Outcome")[0]
    plt.close(ax.figure)


def test_rows_without_interval_get_a_footnote(evidence):
    table = proportion_table(evidence)
    table = table[table["ci_low"].isna()].head(3)
    ax = plot_proportion_table(table)
    cells = _column(ax, "Proportion")
    notes = [t.get_text() for t in ax.texts]
    for row, cell in zip(table.itertuples(), [c for c in cells if c], strict=True):
        assert cell.startswith(str(row.reported))
        marker = cell[len(str(row.reported)):]
        first = row.interval_note[0].upper() + row.interval_note[1:]
        assert any(n.replace("\n", " ").startswith(f"{marker} {first}") for n in notes)
    plt.close(ax.figure)


@pytest.mark.parametrize("layout", ["meta", "RevMan5", "JAMA"])
def test_proportion_table_layouts_fit_2_5(evidence, layout):
    table = proportion_table(evidence)
    few = table[table["ci_low"].notna()].head(2)  # few rows: the widest figure
    fig, ax = plt.subplots(figsize=(10.0, 1.5))
    plot_proportion_table(few, ax=ax, layout=layout, title="a title")
    assert _aspect(fig) <= 2.5
    assert _column(ax, "Outcome") == list(few["outcome_label"])
    plt.close(fig)
