"""The distant-metastases figure claims 'at presentation' only when every row says so."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from thyroid_evidence import load_evidence, plotting, study  # noqa: E402


@pytest.fixture(scope="module")
def frame():
    return study.clinical_feature_values("distant_metastases", load_evidence())


@pytest.mark.parametrize(("flags", "title"), [
    ("all", "Distant metastases at presentation"),
    ("none", "Distant metastases by histotype"),
    ("first", "Distant metastases by histotype"),
])
def test_title_follows_the_at_presentation_column(frame, flags, title):
    table = frame.copy()
    table["at_presentation"] = [flags == "all" or (flags == "first" and i == 0)
                                for i in range(len(table))]
    ax = plotting.plot_metastases_at_presentation(table)
    assert ax.get_title(loc="left") == title or ax.get_title() == title
    plt.close("all")
