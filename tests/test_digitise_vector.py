"""Vector PDF pages: the drawn step paths read exactly, named by their legend text.

The figures are drawn here from lifelines datasets (tests/test_digitise_draw.py) and saved as
PDF by matplotlib; the accuracy bar is mean |ΔS| <= 0.002 per curve against the true
Kaplan-Meier estimate, and what is met is float precision at every corner.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_digitise_draw import STYLES, draw, errors
from thyroid_evidence.digitise import DigitiseError, digitise_figure

FIGURES = ("colour-legend", "bw-censor", "no-box")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vector")
    out = {}
    for name in FIGURES:
        path = folder / f"{name}.pdf"
        out[name] = (path, *draw(STYLES[name], path))
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_every_curve_read_to_float_precision(drawn, name):
    path, true, x_range, y_range = drawn[name]
    figure = digitise_figure(path, x_range=x_range, y_range=y_range)
    assert figure.kind == "vector"
    assert len(figure.curves) == len(true)
    for label, (time, surv) in true.items():
        # legend text names the curves where the figure has a legend
        curve = figure.curve(label) if STYLES[name].legend else figure.curves[0]
        assert errors((time, surv), (curve.time, curve.survival)).mean() <= 0.002
        # every drop of the true estimate is a corner pair, to float precision
        drops = np.flatnonzero(np.diff(surv) < 0) + 1
        for t, before, after in zip(time[drops], surv[drops - 1], surv[drops], strict=True):
            at = np.flatnonzero(np.abs(curve.time - t) < 1e-6 * x_range[1])
            assert at.size == 2, (label, t)
            np.testing.assert_allclose(np.sort(curve.survival[at]), [after, before],
                                       atol=1e-6)
        assert curve.confidence == 1.0 and curve.unsure == ()


def test_curves_without_legend_are_named_by_colour(drawn):
    path, true, x_range, y_range = drawn["bw-censor"]
    figure = digitise_figure(path, x_range=x_range, y_range=y_range)
    assert [c.name for c in figure.curves] == ["black"]


def test_legend_text_names_the_curves(drawn):
    path, true, x_range, y_range = drawn["colour-legend"]
    figure = digitise_figure(path, x_range=x_range, y_range=y_range)
    assert [c.name for c in figure.curves] == ["control", "miR-137"]


def test_frame_without_a_box_ends_with_the_axis_lines(drawn):
    path, true, x_range, y_range = drawn["no-box"]
    figure = digitise_figure(path, x_range=x_range, y_range=y_range)
    assert "two axis lines" in figure.notes[0]
    cal = figure.calibration
    # matplotlib's axes box of a 6 x 4.5 inch figure after tight_layout, in points
    assert cal.right - cal.left == pytest.approx(373.24, abs=0.5)


def test_too_many_curves_asked_is_refused(drawn):
    path, true, x_range, y_range = drawn["colour-legend"]
    with pytest.raises(DigitiseError, match=r"#page=1: --curves 3: found only 2 step"):
        digitise_figure(path, x_range=x_range, y_range=y_range, curves=3)


def test_page_out_of_range_is_refused(drawn):
    path, true, x_range, y_range = drawn["no-box"]
    with pytest.raises(DigitiseError, match=r"--page: 2 — .*no-box.pdf has 1 page$"):
        digitise_figure(path, x_range=x_range, y_range=y_range, page=2)
