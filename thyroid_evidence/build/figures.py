"""Deterministic figure files: the same figure gives the same bytes in PNG, SVG and PDF.

Matplotlib writes its version and the current date into SVG and PDF files and its version into
PNG files, and salts SVG ids randomly. :func:`save_figure` strips the software metadata, fixes
``svg.hashsalt`` and writes dates only from ``SOURCE_DATE_EPOCH`` (when set).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from thyroid_evidence.build.outputs import atomic_write_bytes

#: Formats :func:`save_figure` writes.
FIGURE_FORMATS = ("png", "svg", "pdf")
#: Fixed salt for the ids matplotlib writes into SVG files.
SVG_HASHSALT = "thyroid-evidence"
#: Default resolution of PNG files.
PNG_DPI = 200


def _metadata(fmt: str) -> dict[str, Any]:
    dated = bool(os.environ.get("SOURCE_DATE_EPOCH"))
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


def figure_bytes(fig: Any, fmt: str, *, dpi: int = PNG_DPI) -> bytes:
    """The bytes of ``fig`` in ``fmt`` ({"png", "svg", "pdf"}), deterministically."""
    import matplotlib

    metadata = _metadata(fmt)
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": SVG_HASHSALT}):
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(
    fig: Any,
    stem: str | Path,
    formats: Sequence[str] = FIGURE_FORMATS,
    *,
    dpi: int = PNG_DPI,
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

    Returns
    -------
    tuple of Path
        The files written, in the order of ``formats``.

    Notes
    -----
    Two calls with the same figure produce byte-identical files, in any process: the PNG
    ``Software`` key, the SVG ``Creator`` and PDF ``Creator``/``Producer`` are removed, SVG ids
    use the fixed salt :data:`SVG_HASHSALT`, and the SVG/PDF date is omitted unless
    ``SOURCE_DATE_EPOCH`` is set, in which case matplotlib writes that date.
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
    stem = Path(stem)
    written = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        written.append(atomic_write_bytes(path, figure_bytes(fig, fmt, dpi=dpi)))
    return tuple(written)
