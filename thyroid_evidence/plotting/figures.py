"""Deterministic figure files: the same figure gives the same bytes in PNG, SVG and PDF.

Matplotlib writes its version and the current date into SVG and PDF files and its version into
PNG files, and salts SVG ids randomly. :func:`save_figure` strips the software metadata, fixes
``svg.hashsalt`` and writes dates only from ``SOURCE_DATE_EPOCH`` (when set).

Files are written for journals (:data:`PUBLICATION_RC`): PDF (and PostScript) fonts are embedded
as TrueType (Type 42), not as the Type 3 fonts matplotlib embeds by default and many journals
refuse, and SVG text stays text (``svg.fonttype: none``), so that it can be edited and searched.

A figure saved in several formats is laid out once: the layout engine (constrained layout) and
the tight bounding box are computed once and shared by every format, where ``savefig`` with
``bbox_inches="tight"`` would redo both for each file. :func:`show_saved` then shows the saved
bytes in a notebook, so the figure is not drawn a further time for the notebook's output.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thyroid_evidence import config
from thyroid_evidence.files import atomic_write_bytes
from thyroid_evidence.plotting.pdf_fonts import pdf_rc
from thyroid_evidence.vocab import FIGURE_FORMATS

__all__ = ["FIGURE_FORMATS", "PNG_DPI", "PUBLICATION_RC", "SVG_HASHSALT", "render_figure",
           "save_figure", "show_saved", "write_figure"]
#: Fixed salt for the ids matplotlib writes into SVG files.
SVG_HASHSALT = "thyroid-evidence"
#: Default resolution of PNG files.
PNG_DPI = 200
#: Matplotlib settings every saved file is written with: TrueType (Type 42) fonts in PDF and
#: PostScript, SVG text as ``<text>`` elements (not paths), the fixed SVG id salt.
PUBLICATION_RC: dict[str, Any] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": SVG_HASHSALT,
}


def _metadata(fmt: str) -> dict[str, Any]:
    dated = config.source_date_epoch() is not None
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        # With SOURCE_DATE_EPOCH set, matplotlib writes that date; otherwise no date at all.
        return {"Creator": None} if dated else {"Creator": None, "Date": None}
    if fmt == "pdf":
        meta: dict[str, Any] = {"Creator": None, "Producer": None}
        if not dated:
            meta["CreationDate"] = None
        return meta
    raise ValueError(f"format must be one of {', '.join(FIGURE_FORMATS)}; got {fmt!r}")


def render_figure(fig: Any, formats: Sequence[str], *, dpi: int = PNG_DPI) -> dict[str, bytes]:
    """The bytes of ``fig`` in each of ``formats``, deterministically, laid out once.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    formats : sequence of {"png", "svg", "pdf"}
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    dict
        Format -> bytes, in the order of ``formats``.

    Notes
    -----
    The tight bounding box (plus ``savefig.pad_inches``) is measured once, with the figure's
    own Agg renderer at ``dpi``, after one layout pass at ``dpi``; every format is then written
    with that box and that layout (the layout engine paused), so the PNG, SVG and PDF show the
    same layout. A figure whose canvas has no Agg renderer is saved with
    ``bbox_inches="tight"`` per format, as matplotlib does by default.
    """
    import matplotlib

    metadata = {fmt: _metadata(fmt) for fmt in formats}
    bbox: Any = "tight"
    engine = fig.get_layout_engine() if hasattr(fig, "get_layout_engine") else None
    get_renderer = getattr(getattr(fig, "canvas", None), "get_renderer", None)
    if get_renderer is not None:
        # One layout (engine included; nothing is rasterised) at the PNG's resolution, as
        # savefig would make it for the PNG: constrained layout depends a little on the dpi.
        # (forward=False: change the dpi without resizing a window on screen, as savefig
        # does; Figure.dpi's public setter would resize it)
        set_dpi = getattr(fig, "_set_dpi", None) or (lambda v, forward: setattr(fig, "dpi", v))
        figure_dpi = fig.dpi
        set_dpi(dpi, forward=False)
        try:
            fig.draw_without_rendering()
            bbox = fig.get_tightbbox(get_renderer()).padded(
                matplotlib.rcParams["savefig.pad_inches"])
        finally:
            set_dpi(figure_dpi, forward=False)
    out: dict[str, bytes] = {}
    # (autolayout and constrained_layout.use off, so that set_layout_engine(None) removes the
    # engine: with any engine, even "none", savefig lays the figure out again for each file)
    rc = {**PUBLICATION_RC, "figure.autolayout": False, "figure.constrained_layout.use": False}
    with matplotlib.rc_context(rc):
        if bbox != "tight" and engine is not None:
            fig.set_layout_engine(None)  # laid out above: keep that layout for every file
        try:
            for fmt in formats:
                buffer = io.BytesIO()
                # a PDF from the reduced DejaVu Sans faces (the same glyphs, faster subsets)
                with matplotlib.rc_context(pdf_rc(fig) if fmt == "pdf" else {}):
                    fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata[fmt],
                                bbox_inches=bbox)
                out[fmt] = buffer.getvalue()
        finally:
            if bbox != "tight" and engine is not None:
                fig.set_layout_engine(engine)
    return out


def show_saved(fig: Any, rendered: dict[str, bytes], *, dpi: int = PNG_DPI,
               display_dpi: int = 100) -> bool:
    """In a running notebook, show the saved bytes of ``fig`` and close the figure.

    The SVG is shown when it was written (sharp at any zoom), else the PNG (made at ``dpi``)
    sized as at ``display_dpi``. Closing the figure keeps the inline backend from drawing it
    once more at the end of the cell. Outside an IPython kernel, or with only a PDF, nothing
    happens.

    Returns
    -------
    bool
        Whether the figure was shown (and closed).
    """
    shell = None
    if "IPython" in sys.modules:
        from IPython import get_ipython

        shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    from IPython.display import Image, display

    if "svg" in rendered:
        text = rendered["svg"].decode("utf-8")
        # the <svg> element alone (no XML prologue), as IPython.display.SVG would keep it
        display({"image/svg+xml": text[text.find("<svg"):]}, raw=True)
    elif "png" in rendered:
        width = _png_width(rendered["png"])
        display(Image(data=rendered["png"], format="png",
                      width=round(width * display_dpi / dpi) if width else None))
    else:
        return False
    import matplotlib.pyplot as plt

    plt.close(fig)
    return True


def _png_width(data: bytes) -> int | None:
    """Pixel width from a PNG header (the IHDR chunk follows the 8-byte signature)."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big")
    return None


def save_figure(
    fig: Any,
    stem: str | Path,
    formats: Sequence[str] = FIGURE_FORMATS,
    *,
    dpi: int = PNG_DPI,
    show: bool = False,
) -> tuple[Path, ...]:
    """Write ``fig`` to ``<stem>.<format>`` for each format, atomically and deterministically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    stem : str or Path
        Destination without extension, e.g. ``build/figures/survival-bone_ir_cazzato-os``.
    formats : sequence of {"png", "svg", "pdf"}
        Non-empty, without repeats.
    dpi : int
        Resolution of the PNG.
    show : bool
        In a running notebook, show the saved file instead of the figure and close the
        figure (see :func:`show_saved`).

    Returns
    -------
    tuple of Path
        The files written, in the order of ``formats``.

    Notes
    -----
    Two calls with the same figure produce byte-identical files, in any process: the PNG
    ``Software`` key, the SVG ``Creator`` and PDF ``Creator``/``Producer`` are removed, SVG ids
    use the fixed salt :data:`SVG_HASHSALT`, and the SVG/PDF date is omitted unless
    ``SOURCE_DATE_EPOCH`` is set, in which case matplotlib writes that date. Fonts and SVG
    text follow :data:`PUBLICATION_RC`.
    """
    formats = tuple(formats)
    bad = [fmt for fmt in formats if fmt not in FIGURE_FORMATS]
    if bad or not formats or len(set(formats)) != len(formats):
        raise ValueError(
            f"formats must be a non-empty selection of {', '.join(FIGURE_FORMATS)} without "
            f"repeats; got {list(formats)!r}"
        )
    if isinstance(dpi, bool) or not isinstance(dpi, int) or not 10 <= dpi <= 1200:
        raise ValueError(f"dpi must be an int in [10, 1200], got {dpi!r}")
    written = write_figure(fig, stem, formats, dpi=dpi)
    if show:
        show_saved(fig, {path.suffix[1:]: data for path, data in written.items()}, dpi=dpi)
    return tuple(written)


def write_figure(
    fig: Any, stem: str | Path, formats: Sequence[str], *, dpi: int = PNG_DPI
) -> dict[Path, bytes]:
    """Render ``fig`` once per format and write each file atomically; path -> bytes written.

    The checks of :func:`save_figure` are the caller's.
    """
    stem = Path(stem)
    rendered = render_figure(fig, formats, dpi=dpi)
    return {
        atomic_write_bytes(stem.with_name(f"{stem.name}.{fmt}"), data): data
        for fmt, data in rendered.items()
    }
