"""Separate the inks inside a plot frame: one weight map per candidate curve colour.

A curve's pixels are its colour blended with the white background (anti-aliasing, thin lines),
so each candidate colour gets a weight map ``a`` in [0, 1] (:func:`~thyroid_evidence.digitise.
colours.blend_weight`) kept where the blend explains the pixel. Candidate colours are found by
frequency: the most common strongly coloured pixel value, then the next among the pixels it
does not explain, and so on. Colourless dark ink (black or grey curves, text, censor marks)
is one more candidate, ``black``. Light grey (gridlines, legend frames, faded ink under a
legend box) weighs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from thyroid_evidence.digitise.colours import blend_weight

#: A pixel is strongly coloured when max - min of its RGB is at least this.
CORE_SATURATION = 0.2
#: A pixel is colourless when max - min of its RGB is below this.
COLOURLESS = 0.18
#: A blend that leaves more than this RGB distance does not explain a pixel.
MISFIT = 0.18
#: Colourless ink weighs (WHITE_GREY - grey) / (WHITE_GREY - BLACK_GREY), clipped: matplotlib's
#: default grid grey (0.69) weighs almost nothing, black 1.
WHITE_GREY, BLACK_GREY = 0.72, 0.17
#: At most this many coloured candidates.
MAX_COLOURS = 8


@dataclass(frozen=True, eq=False)
class Ink:
    """One candidate curve colour and its weight map over the plot interior."""

    colour: tuple[float, float, float]
    weight: np.ndarray


def colourless_weight(rgb: np.ndarray) -> np.ndarray:
    """Weight of dark colourless ink per pixel (0 for coloured pixels)."""
    grey = rgb.mean(axis=-1)
    colourless = (rgb.max(axis=-1) - rgb.min(axis=-1)) < COLOURLESS
    w = np.clip((WHITE_GREY - grey) / (WHITE_GREY - BLACK_GREY), 0.0, 1.0)
    return np.where(colourless, w, 0.0)


def _same_colour(a: np.ndarray, b: tuple[float, float, float]) -> bool:
    """True when one colour is (nearly) a blend of the other with white."""
    pa, pb = np.asarray(a, float), np.asarray(b, float)
    wa, ma = blend_weight(pa[None], pb)
    wb, mb = blend_weight(pb[None], pa)
    return bool(min(ma[0], mb[0]) < MISFIT / 2)


def find_inks(rgb: np.ndarray, min_pixels: int) -> list[Ink]:
    """Candidate curve inks in a plot interior, most frequent colour first, black last.

    Parameters
    ----------
    rgb : ndarray, shape (height, width, 3)
        The plot interior, floats in [0, 1].
    min_pixels : int
        A colour needs at least this many strongly coloured pixels to be a candidate.

    Returns
    -------
    list of Ink
    """
    shape = rgb.shape[:2]
    # only pixels that are not white can hold ink: work on those (a tenth of a plot or less)
    inked = rgb.min(axis=-1) < 0.97
    where = np.nonzero(inked)
    px = rgb[where]
    sat = px.max(axis=-1) - px.min(axis=-1)
    remaining = sat >= CORE_SATURATION
    inks: list[Ink] = []
    for _ in range(MAX_COLOURS):
        pixels = px[remaining]
        if pixels.shape[0] < min_pixels:
            break
        codes = np.floor(pixels * 7.999).astype(int) @ np.array([64, 8, 1])
        counts = np.bincount(codes, minlength=512)
        top = int(np.argmax(counts))
        if counts[top] < min_pixels:
            break
        colour = pixels[codes == top].mean(axis=0)
        # the most common value of a thin or anti-aliased line is a blend with white: the
        # line's own colour is the strong end of the pixels that blend explains
        weight, misfit = blend_weight(px, colour)
        strong = (misfit < MISFIT) & (weight >= 0.999)
        if strong.sum() >= 5:
            colour = px[strong].mean(axis=0)
            weight, misfit = blend_weight(px, colour)
        explained = (weight >= 0.1) & (misfit < 1.5 * MISFIT)
        remaining &= ~explained
        if any(_same_colour(colour, ink.colour) for ink in inks):
            continue
        full = np.zeros(shape)
        full[where] = np.where(misfit < MISFIT, weight, 0.0)
        inks.append(Ink(colour=tuple(float(v) for v in colour), weight=full))
    black = np.zeros(shape)
    black[where] = colourless_weight(px)
    if (black >= 0.5).sum() >= min_pixels:
        inks.append(Ink(colour=(0.0, 0.0, 0.0), weight=black))
    return inks
