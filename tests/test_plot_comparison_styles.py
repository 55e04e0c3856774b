"""The comparison figure tells every series apart by colour and line style, even two series of
the same organ and technique."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from thyroid_evidence import load_evidence  # noqa: E402
from thyroid_evidence.plotting import plot_survival_comparison  # noqa: E402
from thyroid_evidence.plotting.survival import series_line_styles  # noqa: E402
from thyroid_evidence.study import reconstruct_series  # noqa: E402
from thyroid_evidence.vocab import TECHNIQUE_KINDS  # noqa: E402


def test_two_series_of_the_same_site_are_drawn_differently():
    evidence = load_evidence()
    first = evidence.series_ids[0]
    pseudo = reconstruct_series(evidence, first, "overall_survival")
    # the same reconstruction under two ids, both lung ablation: only the styles differ
    series = pd.DataFrame(
        {"label": ["Study A 2020 (n = 10, lung)", "Study B 2021 (n = 12, lung)"],
         "target_site": ["lung", "lung"], "technique_kind": ["ablation", "ablation"]},
        index=pd.Index(["a", "b"], name="series_id"))
    ax = plot_survival_comparison({"a": pseudo, "b": pseudo}, series)
    lines = {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    a, b = lines["Study A 2020 (n = 10, lung)"], lines["Study B 2021 (n = 12, lung)"]
    assert (a.get_color(), a.get_linestyle()) != (b.get_color(), b.get_linestyle())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Study A 2020 (n = 10, lung)", "Study B 2021 (n = 12, lung)"]
    plt.close(ax.figure)


def test_every_technique_kind_has_a_style_and_no_two_series_share_one():
    kinds = list(TECHNIQUE_KINDS) * 4  # more series than colours
    series = pd.DataFrame({"technique_kind": kinds},
                          index=pd.Index([f"s{i}" for i in range(len(kinds))]))
    styles = series_line_styles(series)
    assert len({(c, repr(s)) for c, s in styles.values()}) == len(kinds)
    # the technique kind decides the style while colours last
    assert styles["s0"][1] == "-" and styles["s1"][1] == "--"
