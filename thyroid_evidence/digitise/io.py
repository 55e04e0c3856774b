"""Read a figure file (image or PDF page), digitise it, and write the points.

:func:`digitise_figure` is the one entry point: it checks the parameters, tells a PDF from an
image by its first bytes (never by its name alone), and hands the page's vector paths to
:mod:`~thyroid_evidence.digitise.vector` or the image's pixels to
:mod:`~thyroid_evidence.digitise.raster`. :func:`write_points` writes the points and two
companion files, atomically.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from thyroid_evidence.digitise.calibrate import check_range
from thyroid_evidence.digitise.result import DigitisedFigure, DigitiseError
from thyroid_evidence.files import atomic_write_text

#: The figure formats read: PDF pages (vector paths) and the images Pillow opens.
IMAGE_HINT = "a PNG, JPEG, TIFF, BMP or GIF image, or a PDF page with vector paths"


def _path(path: object) -> Path:
    if not isinstance(path, str | Path):
        raise TypeError(f"path must be a str or Path; got {type(path).__name__}")
    return Path(path)


def is_pdf(path: str | Path) -> bool:
    """True when the file starts like a PDF (``%PDF``, possibly after a few junk bytes)."""
    path = _path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(1024)
    except FileNotFoundError:
        raise DigitiseError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DigitiseError(f"{path}: is a folder, not a figure file") from None
    except OSError as exc:
        raise DigitiseError(f"{path}: cannot be read ({exc.strerror})") from None
    return b"%PDF" in head


def read_image(path: str | Path) -> np.ndarray:
    """An image file as RGB floats in [0, 1], transparency composited on white.

    Raises
    ------
    DigitiseError
        When the file is missing or is not an image Pillow can read.
    """
    from PIL import Image, UnidentifiedImageError

    path = _path(path)
    is_pdf(path)  # the same messages for a missing or unreadable file
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                rgba = image.convert("RGBA")
    except (UnidentifiedImageError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise DigitiseError(f"{path}: not a figure that can be read ({IMAGE_HINT}): "
                            f"{exc}") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise DigitiseError(f"{path}: the image is damaged or truncated ({exc})") from None
    array = np.asarray(rgba, dtype=float) / 255.0
    alpha = array[..., 3:4]
    return array[..., :3] * alpha + (1.0 - alpha)


def _check_curves(curves: object) -> int | None:
    if curves is None:
        return None
    if isinstance(curves, bool) or not isinstance(curves, int | np.integer):
        raise TypeError(f"curves must be a whole number; got {type(curves).__name__}")
    if not 1 <= curves <= 8:
        raise DigitiseError(f"--curves: {curves} — must be between 1 and 8")
    return int(curves)


def digitise_figure(path: str | Path, *, x_range: tuple[float, float],
                    y_range: tuple[float, float], curves: int | None = None,
                    page: int = 1) -> DigitisedFigure:
    """Digitise a Kaplan-Meier figure: an image file or a page of a PDF.

    Parameters
    ----------
    path : str or Path
    x_range : (float, float)
        The times at the left and right edges of the plot frame.
    y_range : (float, float)
        The survival values at the bottom and top edges (0 and 1 for a fraction; 0 and 100
        give survival in percent, which ``reconstruct`` reads too).
    curves : int in [1, 8], optional
        How many curves the figure holds (default: every curve found).
    page : int >= 1
        The PDF page, from 1 (an image has page 1 only).

    Returns
    -------
    DigitisedFigure

    Raises
    ------
    TypeError
        For arguments of the wrong type.
    DigitiseError
        For a parameter out of range (named as on the command line), a file that cannot be
        read, a PDF page without vector curves, no plot frame, or fewer curves than asked.
    """
    path = _path(path)
    try:
        x_range = check_range(x_range, "--x-range")
        y_range = check_range(y_range, "--y-range")
    except ValueError as exc:
        raise DigitiseError(str(exc)) from None
    curves = _check_curves(curves)
    if isinstance(page, bool) or not isinstance(page, int | np.integer):
        raise TypeError(f"page must be a whole number; got {type(page).__name__}")
    if page < 1:
        raise DigitiseError(f"--page: {page} — pages are numbered from 1")
    if is_pdf(path):
        from thyroid_evidence.digitise.vector import digitise_pdf_page

        return digitise_pdf_page(path, page=int(page), x_range=x_range, y_range=y_range,
                                 curves=curves)
    if page != 1:
        raise DigitiseError(f"--page: {page} — {path} is an image, which has one page only")
    from thyroid_evidence.digitise.raster import digitise_raster

    return digitise_raster(read_image(path), x_range=x_range, y_range=y_range, curves=curves,
                           source=str(path))


def figure_image(path: str | Path, *, page: int = 1, resolution: int = 100) -> np.ndarray:
    """The figure as RGB pixels, to draw the points over: an image as read, a PDF page
    rendered at ``resolution`` dots per inch (by pdfplumber's renderer, pypdfium2).

    Raises
    ------
    DigitiseError
        For a file or page that cannot be read.
    """
    path = _path(path)
    if not is_pdf(path):
        return read_image(path)
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            if not 1 <= page <= len(pdf.pages):
                raise DigitiseError(f"--page: {page} — {path} has {len(pdf.pages)} page(s)")
            image = pdf.pages[page - 1].to_image(resolution=resolution).original
            rgb = np.asarray(image.convert("RGB"), dtype=float) / 255.0
    except DigitiseError:
        raise
    except Exception as exc:  # pdfminer and pypdfium2 raise several unrelated types
        raise DigitiseError(f"{path}: the page cannot be rendered ({exc})") from None
    return rgb


def companion_paths(out: str | Path) -> tuple[Path, Path]:
    """The two files written beside ``POINTS.csv``: ``POINTS.curves.csv`` (one row per curve:
    colour, corners, confidence, unsure places) and ``POINTS.unsure.csv`` (one row per unsure
    place)."""
    out = _path(out)
    stem = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{stem}.curves.csv"), out.with_name(f"{stem}.unsure.csv")


def write_points(figure: DigitisedFigure, out: str | Path) -> tuple[Path, Path, Path]:
    """Write ``out`` (``curve,time,survival``) and its two companions
    (:func:`companion_paths`), each atomically.

    Raises
    ------
    DigitiseError
        When a file cannot be written (the path named).
    """
    out = _path(out)
    curves_path, unsure_path = companion_paths(out)
    texts = {
        out: figure.to_frame().to_csv(index=False, float_format="%.10g", lineterminator="\n"),
        curves_path: figure.summary_frame().to_csv(index=False, lineterminator="\n"),
        unsure_path: figure.unsure_frame().to_csv(index=False, float_format="%.10g",
                                                  lineterminator="\n"),
    }
    for target, text in texts.items():
        try:
            atomic_write_text(target, text)
        except OSError as exc:
            raise DigitiseError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    return out, curves_path, unsure_path
