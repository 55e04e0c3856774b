"""Raster digitisation against the true Kaplan-Meier estimate of the data drawn.

Each figure is drawn here from a lifelines dataset (tests/test_digitise_draw.py) at 100 dpi,
a modest resolution (a 6 x 4.5 inch figure, 600 x 450 pixels): the accuracy bar is
mean |ΔS| <= 0.01 per curve and RMSE <= 0.012 over all curves, each |ΔS| taken on
an even time grid over the curve's span. The full style grid, JPEG and other resolutions are in
benchmarks/bench_digitise.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from tests.test_digitise_draw import STYLES, draw, errors
from thyroid_evidence.digitise import DigitiseError, digitise_figure, read_image
from thyroid_evidence.digitise.colours import colour_name
from thyroid_evidence.digitise.frame import find_frame

#: The unit-test subset: colours with a legend, black and white with censor ticks, a grid
#: with "+" censor marks and a legend over the curves' corner, three thin curves, no box.
FIGURES = ("colour-legend", "bw-censor", "grid-plus", "thin-three", "no-box")


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raster")
    out = {}
    for name in FIGURES:
        path = folder / f"{name}.png"
        out[name] = (path, *draw(STYLES[name], path, dpi=100))
    return out


@pytest.fixture(scope="module")
def results(drawn):
    out = {}
    for name, (path, true, x_range, y_range) in drawn.items():
        figure = digitise_figure(path, x_range=x_range, y_range=y_range, curves=len(true))
        pairs = []
        for (label, curve), colour in zip(true.items(), STYLES[name].colours, strict=False):
            got = figure.curve(colour_name(to_rgb(colour)))
            pairs.append((label, curve, got))
        out[name] = (figure, pairs)
    return out


@pytest.mark.parametrize("name", FIGURES)
def test_each_curve_within_a_hundredth_on_average(results, name):
    figure, pairs = results[name]
    assert len(figure.curves) == len(pairs)
    for label, true, got in pairs:
        mean = errors(true, (got.time, got.survival)).mean()
        assert mean <= 0.01, f"{name} {label}: mean |ΔS| {mean:.4f}"


def test_rmse_over_all_curves_within_0_012(results):
    squared = [errors(true, (got.time, got.survival)) ** 2
               for _, pairs in results.values() for _, true, got in pairs]
    rmse = float(np.sqrt(np.concatenate(squared).mean()))
    assert rmse <= 0.012, rmse


def test_curves_are_named_by_colour_in_frequency_order(results):
    figure, _ = results["thin-three"]
    assert sorted(c.name for c in figure.curves) == ["blue", "green", "orange"]
    assert [c.name for c in results["bw-censor"][0].curves] == ["black"]


def test_corners_form_a_staircase_from_the_left_edge(results, drawn):
    for name, (figure, _) in results.items():
        x_max = drawn[name][2][1]
        for curve in figure.curves:
            assert np.all(np.diff(curve.time) >= -1e-9), curve.name
            assert np.all(np.diff(curve.survival) <= 1e-9), curve.name
            # matplotlib clips a line lying on the top edge of the axes (grid-plus: y up to
            # exactly 1), so a curve may show from its first drop, a few pixels in
            assert 0.0 <= curve.time[0] <= 0.02 * x_max, (name, curve.name)


def test_a_start_hidden_under_the_other_curve_is_followed_and_reported(results):
    """Both waltons curves start at S = 1 and the orange one is drawn over the blue one until
    its first death (t = 6): the blue trace follows it and says where it was unsure."""
    figure, _ = results["colour-legend"]
    blue = figure.curve("blue")
    assert blue.time[0] == pytest.approx(0.0, abs=1e-9)
    assert blue.survival[0] == pytest.approx(1.0, abs=0.005)
    (span,) = blue.unsure
    assert span.time_start < 1.0 and 5.0 < span.time_end < 7.0
    assert 0.85 < blue.confidence < 0.97
    assert figure.curve("orange").confidence >= 0.99  # drawn on top: a blend pixel at most


def test_black_and_white_single_curve_ignores_censor_ticks(results):
    """The lung curve has 63 censoring ticks drawn on it; none becomes a step."""
    figure, [(label, true, got)] = results["bw-censor"]
    drops = int(np.sum(np.diff(got.survival) < -0.5 / 376))  # more than half a pixel
    true_drops = int(np.sum(np.diff(true[1]) < 0))
    assert drops <= true_drops


def test_frame_found_to_a_pixel(drawn):
    path, *_ = drawn["grid-plus"]
    frame = find_frame(read_image(path))
    # matplotlib draws this axes box from (67.5, 20.6) to (576, 391.4) in pixels (figure
    # coordinates from the top left, pixel centres at whole numbers + 0.5 there): the snapped
    # lines sit within a pixel of it
    assert frame.box
    assert abs(frame.left - 66.7) <= 1 and abs(frame.right - 575.5) <= 1
    assert abs(frame.top - 20.1) <= 1 and abs(frame.bottom - 390.9) <= 1


def test_too_many_curves_asked_is_refused(drawn):
    path, true, x_range, y_range = drawn["colour-legend"]
    with pytest.raises(DigitiseError, match=r"--curves 3: found only 2 curve\(s\) "
                                            r"\(blue, orange\)"):
        digitise_figure(path, x_range=x_range, y_range=y_range, curves=3)


def test_fewer_curves_asked_keeps_the_longest(drawn):
    path, true, x_range, y_range = drawn["thin-three"]
    figure = digitise_figure(path, x_range=x_range, y_range=y_range, curves=1)
    assert len(figure.curves) == 1
    assert any("dropped" in note for note in figure.notes)
