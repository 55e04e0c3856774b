"""PDFs written from the reduced DejaVu Sans faces look and read exactly as from the full faces."""

from __future__ import annotations

import hashlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pdfplumber  # noqa: E402
import pypdfium2  # noqa: E402
import pytest  # noqa: E402
from matplotlib import ft2font  # noqa: E402

from thyroid_evidence.plotting import figures, pdf_fonts  # noqa: E402
from thyroid_evidence.plotting.figures import render_figure  # noqa: E402

# every style of face, Latin with diacritics, Greek, mathematical signs, a footnote mark
_TEXTS = ("de Ba\u00e8re 2015: 89%\u1d43 \u2264 95% \u00b1 \u03c4\u00b2 \u2212 1 \u2013 n = 54",
          "Fromigu\u00e9 2006 \u00d7 AVAWAY fi \u2192 \u2265 \u221e")


def _figure(texts=_TEXTS):
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([0, 12, 24], [1.0, 0.8, 0.6], label=texts[0])
    ax.set(title=texts[1], xlabel="Months since treatment", ylabel="Survival (%)")
    ax.text(2, 0.7, texts[0], weight="bold")
    ax.text(2, 0.65, texts[1], style="italic")
    ax.text(2, 0.6, texts[1], weight="bold", style="italic")
    ax.legend()
    return fig


def _pixels(pdf: bytes) -> np.ndarray:
    page = pypdfium2.PdfDocument(pdf)[0]
    return np.asarray(page.render(scale=150 / 72).to_pil().convert("L"))


def _text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "figure.pdf"
    path.write_bytes(pdf)
    with pdfplumber.open(path) as document:
        return document.pages[0].extract_text()


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pdf_fonts_cache")


@pytest.fixture
def cache(shared_cache, monkeypatch):
    """One cache folder for the module (each face is made once)."""
    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(shared_cache))
    return shared_cache


def test_reduced_faces_give_the_same_pixels_and_text_as_the_full_faces(cache, tmp_path,
                                                                        monkeypatch):
    fig = _figure()
    assert pdf_fonts.pdf_rc(fig) == {
        "font.sans-serif": [pdf_fonts.FAMILY, *matplotlib.rcParams["font.sans-serif"]]}
    reduced = render_figure(fig, ("pdf",))["pdf"]
    monkeypatch.setattr(figures, "pdf_rc", lambda fig: {})
    full = render_figure(fig, ("pdf",))["pdf"]
    plt.close(fig)
    assert reduced != full  # a different font program is embedded ...
    assert np.array_equal(_pixels(reduced), _pixels(full))  # ... with the same glyphs
    assert _text(reduced, tmp_path) == _text(full, tmp_path)
    assert b"LastResort" not in reduced
    # the PostScript names readers show are DejaVu Sans's own, as TrueType (Type 42)
    assert {b"DejaVuSans", b"DejaVuSans-Bold", b"DejaVuSans-Oblique",
            b"DejaVuSans-BoldOblique"} <= {
        name.split(b"+")[-1] for name in _base_fonts(reduced)}
    assert b"/FontFile2" in reduced and b"/Subtype /Type3" not in reduced


def _base_fonts(pdf: bytes) -> set[bytes]:
    import re

    return set(re.findall(rb"/BaseFont /([\w+-]+)", pdf))


def test_a_character_outside_the_reduced_faces_keeps_the_full_faces(cache):
    fig = _figure(("\u0416\u0438\u0437\u043d\u044c \u05e9\u05dc\u05d5\u05dd", "Months"))
    assert pdf_fonts.pdf_rc(fig) == {}  # Cyrillic and Hebrew are not in the reduced faces
    pdf = render_figure(fig, ("pdf",))["pdf"]
    plt.close(fig)
    assert b"LastResort" not in pdf  # drawn from the full DejaVu Sans, which has them


def test_only_the_faces_a_figure_uses_are_made(tmp_path, monkeypatch):
    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(tmp_path))
    cache = tmp_path
    fig, ax = plt.subplots()
    ax.set_title("Survival", weight="bold")
    fig.draw_without_rendering()  # tick labels
    assert pdf_fonts.pdf_rc(fig)
    plt.close(fig)
    assert sorted(p.stem.rsplit("-", 1)[0] for p in (cache / "fonts").glob("*.ttf")) == [
        "DejaVuSans", "DejaVuSans-Bold"]


def test_mathematical_text_keeps_the_full_faces(cache):
    fig, ax = plt.subplots()
    ax.set_title(r"$\tau^2$ = 0.03")
    assert pdf_fonts.pdf_rc(fig) == {}
    plt.close(fig)


def test_a_users_choice_of_sans_serif_font_is_kept(cache):
    fig = _figure()
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Serif", "DejaVu Sans"]}):
        assert pdf_fonts.pdf_rc(fig) == {}
    plt.close(fig)


def test_an_unwritable_cache_writes_the_pdf_from_the_full_faces(tmp_path, monkeypatch):
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(blocked))
    fig = _figure()
    assert pdf_fonts.reduced_face("DejaVuSans.ttf") is None
    assert pdf_fonts.pdf_rc(fig) == {}
    pdf = render_figure(fig, ("pdf",))["pdf"]
    plt.close(fig)
    assert pdf.startswith(b"%PDF") and b"/FontFile2" in pdf


def test_reduced_faces_are_the_same_bytes_in_any_cache_and_keep_every_kept_block(
        shared_cache, tmp_path, monkeypatch):
    # the module's cache (faces made by the tests above, or now) against a new one
    digests = []
    for folder in (shared_cache, tmp_path / "two"):
        monkeypatch.setenv("THYROID_EVIDENCE_CACHE", str(folder))
        for face in pdf_fonts.SOURCE_FACES:
            assert pdf_fonts.reduced_face(face).parent == folder / "fonts"
        files = sorted((folder / "fonts").glob("*.ttf"))
        assert len(files) == len(pdf_fonts.SOURCE_FACES)
        digests.append([(f.name, hashlib.sha256(f.read_bytes()).hexdigest()) for f in files])
    assert digests[0] == digests[1]
    source = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    wanted = {u for low, high in pdf_fonts.BLOCKS for u in range(low, high + 1)}
    for face in pdf_fonts.SOURCE_FACES:
        full = ft2font.FT2Font(str(source / face))
        (reduced_path,) = [path for path in (tmp_path / "two" / "fonts").glob("*.ttf")
                           if path.stem.rsplit("-", 1)[0] == Path(face).stem]
        reduced = ft2font.FT2Font(str(reduced_path))
        full_map, reduced_map = full.get_charmap(), reduced.get_charmap()
        assert set(reduced_map) == set(full_map) & wanted, face
        assert reduced.family_name == pdf_fonts.FAMILY
        assert reduced.postscript_name == full.postscript_name
        # same advance widths for every kept character
        for code in sorted(reduced_map)[::37]:
            full.load_char(code)
            width = full.get_width_height()
            reduced.load_char(code)
            assert reduced.get_width_height() == width, hex(code)
