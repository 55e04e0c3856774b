"""The plotting namespace gathers every figure helper, each returning the Axes it drew on."""

from __future__ import annotations

import inspect

import matplotlib.pyplot as plt

from thyroid_evidence import load_evidence, plotting
from thyroid_evidence.study import clinical_feature_values


def test_every_plot_helper_accepts_an_axes():
    names = [n for n in plotting.__all__ if n.startswith("plot_")]
    assert len(names) == 17
    for name in names:
        params = inspect.signature(getattr(plotting, name)).parameters
        assert "ax" in params, name
        assert params["ax"].default is None, name
        # one signature: data first (positional), ax a keyword
        assert params["ax"].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert next(iter(params.values())).kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, name


def test_a_helper_draws_on_the_axes_it_is_given():
    fig, ax = plt.subplots()
    frame = clinical_feature_values("prevalence", load_evidence())
    assert plotting.plot_prevalence(frame, ax=ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
