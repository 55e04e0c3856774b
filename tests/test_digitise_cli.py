"""``thyroid-evidence digitise``: points for ``reconstruct``, and bad input refused plainly.

Every refusal exits 1 with one message naming the file or parameter, writes nothing, and never
shows a traceback.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_waltons
from PIL import Image

from tests.test_digitise_draw import STYLES, draw
from thyroid_evidence.cli import main
from thyroid_evidence.digitise import digitise_figure, figure_image
from thyroid_evidence.plotting.digitise import plot_digitised


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    png = folder / "waltons.png"
    true, x_range, y_range = draw(STYLES["colour-legend"], png)
    pdf = folder / "waltons.pdf"
    draw(STYLES["colour-legend"], pdf)
    return folder, png, pdf, true, x_range, y_range


def _run(capsys, *argv):
    code = main(["digitise", *map(str, argv)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_points_go_straight_into_reconstruct(figures, tmp_path, capsys):
    folder, png, pdf, true, x_range, y_range = figures
    out = tmp_path / "points.csv"
    code, printed, _ = _run(capsys, png, "--x-range", *x_range, "--y-range", *y_range,
                            "--curves", 2, "--out", out)
    assert code == 0
    assert "blue: " in printed and "orange: " in printed and "confidence" in printed
    points = pd.read_csv(out)
    assert list(points.columns) == ["curve", "time", "survival"]
    assert list(dict.fromkeys(points["curve"])) == ["blue", "orange"]
    summary = pd.read_csv(tmp_path / "points.curves.csv")
    assert list(summary.columns) == ["curve", "colour", "corners", "confidence", "unsure"]
    assert summary.set_index("curve").loc["blue", "colour"] == "#1f77b4"
    unsure = pd.read_csv(tmp_path / "points.unsure.csv")
    assert list(unsure["curve"]) == ["blue"]  # its start is hidden under the orange curve
    # numbers at risk of the control mice, from the data drawn
    data = load_waltons()  # the data the colour-legend figure draws
    control = data.loc[data["group"] == "control", "T"]
    risk = tmp_path / "risk.csv"
    risk.write_text("time,n_risk\n" + "".join(f"{x},{int((control >= x).sum())}\n"
                                             for x in range(0, 71, 10)))
    assert main(["reconstruct", str(out), "--risk-table", str(risk), "--out",
                 str(tmp_path / "rec")]) == 1
    assert "name one with curve (--curve): blue, orange" in capsys.readouterr().err
    assert main(["reconstruct", str(out), "--risk-table", str(risk), "--curve", "blue",
                 "--out", str(tmp_path / "rec")]) == 0
    ipd = pd.read_csv(tmp_path / "rec" / "ipd.csv")
    assert len(ipd) == len(control)


def test_vector_pdf_names_curves_by_legend(figures, tmp_path, capsys):
    folder, png, pdf, true, x_range, y_range = figures
    out = tmp_path / "points.csv"
    code, printed, _ = _run(capsys, pdf, "--x-range", *x_range, "--y-range", *y_range,
                            "--out", out)
    assert code == 0 and "vector paths read exactly" in printed
    assert list(dict.fromkeys(pd.read_csv(out)["curve"])) == ["control", "miR-137"]


def _blank_png(path):
    Image.new("RGB", (400, 300), "white").save(path)
    return path


def _text_only_pdf(path):
    fig = plt.figure(figsize=(4, 3))
    fig.text(0.3, 0.5, "Figure 2: see the next page")
    fig.savefig(path, metadata={"CreationDate": None})
    plt.close(fig)
    return path


def _truncated_png(figures, path):
    data = figures[1].read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("case, extra, message", [
    ("blank", (), "blank.png: no plot area found"),
    ("curves3", ("--curves", "3"), "--curves 3: found only 2 curve(s) (blue, orange)"),
    ("curves0", ("--curves", "0"), "--curves: 0 — must be between 1 and 8"),
    ("text", (), "notes.png: not a figure that can be read"),
    ("missing", (), "missing.png: no such file"),
    ("truncated", (), "cut.png: the image is damaged or truncated"),
    ("textpdf", (), "text.pdf#page=1: the page has no vector paths"),
    ("page", ("--page", "2"), "--page: 2 — "),
    ("pdfpage", ("--page", "3"), "waltons.pdf has 1 page"),
    ("xinverted", ("--x-range", "80", "0"), "--x-range: 80 0 — the first value (at the left "
                                            "edge) must be smaller than the second"),
    ("ynan", ("--y-range", "nan", "1"), "--y-range: nan is not a finite number"),
])
def test_bad_input_exits_1_with_a_message_and_writes_nothing(figures, tmp_path, capsys, case,
                                                              extra, message):
    folder, png, pdf, true, x_range, y_range = figures
    figure = {
        "blank": lambda: _blank_png(tmp_path / "blank.png"),
        "text": lambda: (tmp_path / "notes.png").write_text("time,survival\n") and
        tmp_path / "notes.png",
        "missing": lambda: tmp_path / "missing.png",
        "truncated": lambda: _truncated_png(figures, tmp_path / "cut.png"),
        "textpdf": lambda: _text_only_pdf(tmp_path / "text.pdf"),
        "pdfpage": lambda: pdf,
    }.get(case, lambda: png)()
    ranges = {"--x-range": [str(v) for v in x_range], "--y-range": [str(v) for v in y_range]}
    extra = list(extra)
    for flag in ranges:
        if flag in extra:
            i = extra.index(flag)
            ranges[flag] = extra[i + 1:i + 3]
            del extra[i:i + 3]
    out = tmp_path / "points.csv"
    code, printed, err = _run(capsys, figure, "--x-range", *ranges["--x-range"], "--y-range",
                              *ranges["--y-range"], *extra, "--out", out)
    assert code == 1
    assert err.startswith("error: ") and message in err, err
    assert printed == ""
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("points")) == []


def test_plot_digitised_puts_the_points_over_the_figure(figures):
    folder, png, pdf, true, x_range, y_range = figures
    for path in (png, pdf):
        figure = digitise_figure(path, x_range=x_range, y_range=y_range)
        image = figure_image(path, resolution=72)
        ax = plot_digitised(figure, image)
        try:
            assert len(ax.lines) == len(figure.curves) == 2
            left, right, bottom, top = ax.images[0].get_extent()
            # the frame's edges land on the data ranges: the image spans a little more
            assert left < x_range[0] < x_range[1] < right
            assert bottom < y_range[0] < y_range[1] < top
            width, height = figure.size
            np.testing.assert_allclose(
                [left, right, bottom, top], figure.calibration.extent(width, height))
            assert ax.get_legend().get_texts()[0].get_text().startswith(figure.curves[0].name)
        finally:
            plt.close(ax.figure)
    with pytest.raises(TypeError, match="must be a DigitisedFigure"):
        plot_digitised(pd.DataFrame())
