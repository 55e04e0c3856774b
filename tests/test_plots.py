"""The plots namespace gathers every figure helper, each returning the Axes it drew on."""

from __future__ import annotations

import inspect

import matplotlib.pyplot as plt

from thyroid_evidence import plots


def test_every_plot_helper_accepts_an_axes():
    names = [n for n in plots.__all__ if n.startswith("plot_")]
    assert len(names) == 15
    for name in names:
        params = inspect.signature(getattr(plots, name)).parameters
        assert "ax" in params, name
        assert params["ax"].default is None, name


def test_a_helper_draws_on_the_axes_it_is_given():
    fig, ax = plt.subplots()
    assert plots.plot_prevalence(ax) is ax
    assert [t.get_text() for t in ax.get_yticklabels()]
    plt.close(fig)
