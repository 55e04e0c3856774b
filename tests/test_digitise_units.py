"""The small pieces of digitise: calibration, ranges, colour names, and reading its points."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from thyroid_evidence.digitise import Calibration
from thyroid_evidence.digitise.calibrate import check_range
from thyroid_evidence.digitise.colours import blend_weight, colour_name, unique_names
from thyroid_evidence.digitised import DigitisedInputError, UnknownCurveError, read_points

CAL = Calibration(left=50.0, top=10.0, right=550.0, bottom=410.0, x_range=(0.0, 60.0),
                  y_range=(0.0, 1.0))


def test_frame_edges_map_to_the_ranges_and_back():
    t, s = CAL.to_data(np.array([50.0, 550.0, 300.0]), np.array([410.0, 10.0, 210.0]))
    np.testing.assert_allclose(t, [0.0, 60.0, 30.0])
    np.testing.assert_allclose(s, [0.0, 1.0, 0.5])
    x, y = CAL.to_figure(t, s)
    np.testing.assert_allclose(x, [50.0, 550.0, 300.0])
    np.testing.assert_allclose(y, [410.0, 10.0, 210.0])
    # a 600 x 450 figure spans a little beyond the ranges: 50 units of 500 to the left, ...
    assert CAL.extent(600, 450) == pytest.approx((-6.0, 66.0, -0.1, 1.025))


@pytest.mark.parametrize("values, error, message", [
    ((1, 0), ValueError, "--x-range: 1 0 — the first value (at the left edge) must be smaller"),
    ((0, 0), ValueError, "inverted or empty ranges are refused"),
    ((0, float("inf")), ValueError, "--x-range: inf is not a finite number"),
    ((0,), TypeError, "--x-range must be two numbers (low, high); got (0,)"),
    (("0", 1), TypeError, "must be two numbers"),
])
def test_a_range_is_two_increasing_finite_numbers(values, error, message):
    with pytest.raises(error) as info:
        check_range(values, "--x-range")
    assert message in str(info.value)
    assert check_range((0, 100), "--y-range") == (0.0, 100.0)


def test_y_range_message_names_the_bottom_edge():
    with pytest.raises(ValueError, match=r"\(at the bottom edge\)"):
        check_range((1, 0), "--y-range")


@pytest.mark.parametrize("colour, name", [
    ("tab:blue", "blue"), ("tab:orange", "orange"), ("tab:green", "green"), ("tab:red", "red"),
    ("tab:purple", "purple"), ("tab:brown", "brown"), ("tab:pink", "pink"),
    ("tab:gray", "grey"), ("tab:olive", "olive"), ("tab:cyan", "cyan"), ("black", "black"),
    ("#0072B2", "blue"), ("#E69F00", "orange"), ("#009E73", "green"),
    ((0.81, 0.54, 0.29), "orange"),  # tab:orange after JPEG compression
])
def test_curve_colours_get_plain_names(colour, name):
    assert colour_name(to_rgb(colour)) == name


def test_repeated_names_are_numbered():
    assert unique_names(["blue", "red", "blue", "blue"]) == ["blue", "red", "blue-2", "blue-3"]


def test_blend_weight_recovers_the_share_of_a_colour_over_white():
    colour = np.array(to_rgb("tab:blue"))
    pixels = np.array([colour, 0.4 * colour + 0.6, [1.0, 1.0, 1.0], to_rgb("tab:orange")])
    weight, misfit = blend_weight(pixels, colour)
    np.testing.assert_allclose(weight[:3], [1.0, 0.4, 0.0], atol=1e-12)
    assert misfit[:3].max() < 1e-12 and misfit[3] > 0.5


def test_points_with_a_curve_column_are_one_dataset_per_curve(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("curve,time,survival\nblue,0,1\nblue,5,1\nblue,5,0.8\nred,0,1\n"
                    "red,3,1\nred,3,0.5\n")
    red = read_points(path, curve="red")
    assert red.name == "red" and red.survival.tolist() == [1.0, 1.0, 0.5]
    with pytest.raises(UnknownCurveError, match="holds 2 datasets; .*: blue, red"):
        read_points(path)
    path.write_text("curve,time,survival\nblue,0,1\nblue,x,0.8\n")
    with pytest.raises(DigitisedInputError, match=r"points.csv:3: time: 'x' — must be a "
                                                  "finite number"):
        read_points(path, curve="blue")
