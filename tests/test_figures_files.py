"""Figure files a journal accepts: TrueType fonts in PDF, text in SVG, the same bytes every time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from thyroid_evidence.plotting.figures import render_figure, save_figure  # noqa: E402

_DRAW = """
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from thyroid_evidence.plotting.figures import save_figure
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot([0, 12, 24], [1.0, 0.8, 0.6], label="de Ba\\u00e8re 2015")
ax.set(title="I\\u00b2 = 38%, \\u03c4\\u00b2 = 0.03", xlabel="Months", ylabel="Survival")
ax.legend()
save_figure(fig, sys.argv[1])
"""


def _figure():
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([0, 12, 24], [1.0, 0.8, 0.6], label="de Ba\u00e8re 2015")
    ax.set(title="I\u00b2 = 38%, \u03c4\u00b2 = 0.03", xlabel="Months", ylabel="Survival")
    ax.legend()
    return fig


def test_pdf_embeds_truetype_fonts_not_type3():
    fig = _figure()
    pdf = render_figure(fig, ("pdf",))["pdf"]
    plt.close(fig)
    assert b"/Subtype /Type3" not in pdf
    assert re.search(rb"/Subtype /(CIDFontType2|TrueType)", pdf)
    assert b"/FontFile2" in pdf  # the TrueType program itself is embedded


def test_svg_keeps_text_as_text():
    fig = _figure()
    svg = render_figure(fig, ("svg",))["svg"].decode("utf-8")
    plt.close(fig)
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "Months" in texts and "Survival" in texts
    assert any("Ba\u00e8re" in t for t in texts)


def test_two_processes_write_byte_identical_files(tmp_path: Path, monkeypatch):
    """Ids, fonts and dates do not vary between runs (SOURCE_DATE_EPOCH sets the one date),
    and each process makes its own reduced PDF faces (plotting.pdf_fonts) in its own cache."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    outs = []
    for name in ("a", "b"):
        stem = tmp_path / name / "figure"
        stem.parent.mkdir()
        monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(tmp_path / name / "cache"))
        subprocess.run([sys.executable, "-c", _DRAW, str(stem)], check=True)
        outs.append({fmt: stem.with_suffix(f".{fmt}").read_bytes() for fmt in ("png", "svg",
                                                                             "pdf")})
    assert outs[0] == outs[1]
    assert all(any((tmp_path / name / "cache" / "fonts").glob("*.ttf")) for name in "ab")
    assert b"2023-11-14" in outs[0]["svg"]  # the date is SOURCE_DATE_EPOCH's
    assert b"D:20231114" in outs[0]["pdf"]


@pytest.mark.parametrize("dated", [False, True])
def test_saving_twice_gives_the_same_bytes(tmp_path: Path, monkeypatch, dated):
    if dated:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    else:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    fig = _figure()
    first = save_figure(fig, tmp_path / "one")
    second = save_figure(fig, tmp_path / "two")
    plt.close(fig)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix
    pdf = first[2].read_bytes()
    assert (b"/CreationDate" in pdf) is dated
