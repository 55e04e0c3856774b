"""Colour names for curves, and the blend of a line colour with a white background.

A curve without readable legend text is named by its colour's hue (:func:`colour_name`).
"""

from __future__ import annotations

import numpy as np

#: Hue ranges (degrees, upper bounds) and their plain names; brown is a dark orange or red,
#: olive a dark yellow. Hue names survive JPEG's washed-out colours better than the nearest
#: RGB value would.
HUE_NAMES: tuple[tuple[float, str], ...] = (
    (15.0, "red"), (45.0, "orange"), (70.0, "yellow"), (165.0, "green"), (195.0, "cyan"),
    (255.0, "blue"), (290.0, "purple"), (345.0, "pink"), (360.0, "red"),
)
#: Below this saturation (max - min over max) a colour is black or grey.
GREY_SATURATION = 0.2


def colour_name(rgb: tuple[float, float, float]) -> str:
    """A plain name for a curve colour: black, grey, or a hue name of :data:`HUE_NAMES`
    (brown for a dark red or orange, olive for a dark yellow)."""
    r, g, b = (float(v) for v in rgb)
    high, low = max(r, g, b), min(r, g, b)
    if high <= 0.0 or (high - low) / high < GREY_SATURATION:
        return "black" if high < 0.3 else "grey"
    span = high - low
    if high == r:
        hue = (60.0 * (g - b) / span) % 360.0
    elif high == g:
        hue = 60.0 * (b - r) / span + 120.0
    else:
        hue = 60.0 * (r - g) / span + 240.0
    name = next(n for limit, n in HUE_NAMES if hue < limit)
    if name in ("red", "orange") and high < 0.65 and span < 0.45:
        return "brown"
    if name == "yellow" and high < 0.8:
        return "olive"
    return name


def unique_names(names: list[str]) -> list[str]:
    """``names`` with repeats numbered: ``["blue", "blue"] -> ["blue", "blue-2"]``."""
    out, seen = [], {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return out


def blend_weight(pixels: np.ndarray, colour: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How much of ``colour`` over white each pixel holds, and the misfit.

    An anti-aliased or thin line pixel is ``a * colour + (1 - a) * white``; ``a`` is fitted by
    least squares per pixel (clipped to [0, 1]) and the misfit is the RGB distance left.

    Parameters
    ----------
    pixels : ndarray, shape (..., 3)
        RGB in [0, 1].
    colour : ndarray, shape (3,)

    Returns
    -------
    weight, misfit : ndarray, shape (...)
    """
    d = 1.0 - np.asarray(colour, float)  # white minus colour
    q = 1.0 - pixels                      # white minus pixel = a * d
    denom = float(d @ d)
    if denom < 1e-9:  # white itself is no line colour
        return np.zeros(pixels.shape[:-1]), np.full(pixels.shape[:-1], np.inf)
    a = np.clip(q @ d / denom, 0.0, 1.0)
    misfit = np.sqrt(((q - a[..., None] * d) ** 2).sum(axis=-1))
    return a, misfit
