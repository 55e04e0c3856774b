"""Colour names for curves, and the blend of a line colour with a white background.

A curve without readable legend text is named by its colour: the nearest of a short list of
plain names (those of matplotlib's default cycle and of print figures), by distance in RGB.
"""

from __future__ import annotations

import numpy as np

#: Plain colour names and their RGB values, in the order ties are broken.
NAMED_COLOURS: dict[str, tuple[float, float, float]] = {
    "black": (0.0, 0.0, 0.0),
    "grey": (0.5, 0.5, 0.5),
    "red": (0.84, 0.15, 0.16),
    "blue": (0.12, 0.47, 0.71),
    "orange": (1.0, 0.5, 0.05),
    "green": (0.17, 0.63, 0.17),
    "purple": (0.58, 0.4, 0.74),
    "brown": (0.55, 0.34, 0.29),
    "pink": (0.89, 0.47, 0.76),
    "olive": (0.74, 0.74, 0.13),
    "cyan": (0.09, 0.75, 0.81),
    "navy": (0.0, 0.0, 0.5),
    "darkred": (0.55, 0.0, 0.0),
    "darkgreen": (0.0, 0.39, 0.0),
    "magenta": (1.0, 0.0, 1.0),
    "yellow": (1.0, 0.85, 0.0),
    "pure red": (1.0, 0.0, 0.0),
    "pure blue": (0.0, 0.0, 1.0),
    "pure green": (0.0, 0.5, 0.0),
}


def colour_name(rgb: tuple[float, float, float]) -> str:
    """The nearest plain name of :data:`NAMED_COLOURS` (``"pure red"`` is reported as
    ``"red"``)."""
    names = list(NAMED_COLOURS)
    table = np.array([NAMED_COLOURS[n] for n in names])
    best = names[int(np.argmin(((table - np.asarray(rgb)) ** 2).sum(axis=1)))]
    return best.removeprefix("pure ")


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
