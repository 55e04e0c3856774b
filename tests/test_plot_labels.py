"""Figures name things in words from the evidence and the vocabularies, never by field names
or ids, and no figure is wider than 2.5:1."""

from __future__ import annotations

import struct

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from thyroid_evidence import load_evidence, plotting, study  # noqa: E402
from thyroid_evidence.plotting.figures import render_figure  # noqa: E402
from thyroid_evidence.staging import FIELD_NAMES, stratify  # noqa: E402
from thyroid_evidence.vocab import STAGING_FIELD_LABELS  # noqa: E402


@pytest.fixture(scope="module")
def ev():
    return load_evidence()


def _aspect(fig) -> float:
    png = render_figure(fig, ("png",), dpi=40)["png"]
    width, height = struct.unpack(">II", png[16:24])
    return width / height


def _texts(ax) -> str:
    return " ".join(t.get_text() for t in ax.texts).replace("\n", " ")


def test_every_staging_field_has_a_readable_label():
    assert set(STAGING_FIELD_LABELS) == set(FIELD_NAMES)
    assert all("_" not in label for label in STAGING_FIELD_LABELS.values())


def test_stratification_names_unknown_facts_in_words(ev):
    patients = study.patients_by_label([{"label": "little known", "histology": "papillary",
                                         "t_category": "T2"}])
    table = study.stratification_table(stratify(patients, ev), ev)
    ax = plotting.plot_stratification(table)
    text = _texts(ax)
    assert "unknown:" in text
    for name in FIELD_NAMES:
        assert name not in text or "_" not in name, name
    assert "N category" in text or "M category" in text
    assert _aspect(ax.figure) <= 2.5
    plt.close(ax.figure)


def test_at_presentation_caveat_reads_the_boolean_column(ev):
    frame = study.clinical_feature_values("distant_metastases", ev)
    frame = frame.assign(note="", at_presentation=[True] + [False] * (len(frame) - 1))
    ax = plotting.plot_metastases_at_presentation(frame)
    caveat = _texts(ax)
    assert "'At presentation' is stated for" in caveat and "only" in caveat
    plt.close(ax.figure)
    everything = frame.assign(at_presentation=True, note="not at presentation, said the note")
    ax = plotting.plot_metastases_at_presentation(everything)
    assert "At presentation' is stated" not in _texts(ax)  # the note's prose decides nothing
    assert _aspect(ax.figure) <= 2.5
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="lacks the column at_presentation"):
        plotting.plot_metastases_at_presentation(frame.drop(columns="at_presentation"))


def test_a_wide_figure_given_by_the_caller_is_made_taller(ev):
    fig, ax = plt.subplots(figsize=(12, 2.5), layout="constrained")
    plotting.plot_prevalence(study.clinical_feature_values("prevalence", ev), ax=ax)
    assert fig.get_figwidth() / fig.get_figheight() <= 2.4 + 1e-9
    assert _aspect(fig) <= 2.5
    plt.close(fig)
