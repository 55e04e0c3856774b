"""The metastatic-site chart says which percentages share a denominator (from the data)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402

from thyroid_evidence import plotting  # noqa: E402


def _frame(rows):
    return pd.DataFrame(
        [dict(feature_id=f"{h}_{s}", histotype=h, site=s, printed=p, comparator=None, low=lo,
              high=hi, unit="percent", shape="range" if lo != hi else "value", source_id="ref4",
              quote=p, location="Table 1", source="Table 1", note=None)
         for h, s, p, lo, hi in rows]
    )


def _footer(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts if "denominator" in t.get_text()).replace(
        "\n", " ")


def test_footer_names_histotypes_whose_shares_overlap():
    # medullary lows 60 + 50 = 110 > 100: one patient counts at several sites; papillary 30 + 20
    frame = _frame([("papillary", "lungs", "30%", 30, 30), ("papillary", "bones", "20%", 20, 20),
                    ("medullary", "liver", "60–70%", 60, 70),
                    ("medullary", "bones", "50%", 50, 50)])
    text = _footer(plotting.plot_metastatic_sites(frame))
    assert "The table states no denominators" in text
    assert "add to more than 100% (MTC 110%)" in text
    assert "PTC" not in text.split("Source:")[0]
    assert "different histotypes have different denominators" in text


def test_footer_without_overlap_says_no_more_than_the_shared_denominator():
    frame = _frame([("papillary", "lungs", "30%", 30, 30), ("papillary", "bones", "20%", 20, 20)])
    text = _footer(plotting.plot_metastatic_sites(frame))
    assert "more than 100%" not in text
    assert "not parts of a whole; percentages of different histotypes" in text
