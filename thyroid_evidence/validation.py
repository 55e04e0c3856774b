"""Input checks shared by every layer: one wording per kind of mistake.

Wrong types raise ``TypeError``, wrong values ``ValueError``; each message names the argument,
what is allowed and what was given. Allowed choices are listed in the order they are declared
(never in ``set`` order, which changes with ``PYTHONHASHSEED``).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def choices_text(allowed: Iterable[Any]) -> str:
    """Allowed values as a message lists them: ``'a', 'b', 'c'``, in the order given."""
    return ", ".join(repr(v) for v in allowed)


def check_choice(value: Any, name: str, allowed: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``allowed``.

    Raises
    ------
    ValueError
        Naming ``name``, the allowed values in their declared order, and ``value``.
    """
    if isinstance(value, str | int | float | bool | None | tuple) and value in allowed:
        return value
    raise ValueError(f"{name} must be one of {{{choices_text(allowed)}}}; got {value!r}")


def is_real(value: Any) -> bool:
    """True for a real number (int, float, numpy number), False for bool and everything else."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def check_alpha(alpha: Any, name: str = "alpha") -> float:
    """Return ``alpha`` as a float in the open interval (0, 1).

    ``alpha`` is the error rate of an interval: a 95% interval has ``alpha = 0.05``.

    Raises
    ------
    TypeError
        If ``alpha`` is not a real number.
    ValueError
        If it is outside (0, 1).
    """
    if not is_real(alpha):
        raise TypeError(f"{name} must be a number in (0, 1); got {alpha!r}")
    value = float(alpha)
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie in the open interval (0, 1); got {alpha!r}")
    return value


def nonnegative_rate(value: Any, name: str) -> float:
    """Return ``value`` as a finite float >= 0: a hazard per month.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If it is negative, infinite or NaN.
    """
    if not is_real(value):
        raise TypeError(f"{name} must be a number >= 0 per month; got {value!r}")
    rate = float(value)
    if not (math.isfinite(rate) and rate >= 0):
        raise ValueError(f"{name} must be a number >= 0 per month; got {value!r}")
    return rate


def positive_int(value: Any, name: str) -> int:
    """Return a strictly positive whole number (a float such as ``5.0`` is accepted).

    Raises
    ------
    TypeError
        If ``value`` is not a number (text and bool included).
    ValueError
        If it is not whole or not positive.
    """
    if not is_real(value):
        raise TypeError(f"{name} must be a whole number > 0; got {value!r}")
    if isinstance(value, numbers.Integral):
        number = int(value)
    elif float(value).is_integer():
        number = int(float(value))
    else:
        raise ValueError(f"{name} must be a whole number > 0; got {value!r}")
    if number <= 0:
        raise ValueError(f"{name} must be a whole number > 0; got {value!r}")
    return number


#: Whole numbers beyond this cannot all be held exactly by a float (2**53).
MAX_EXACT_COUNT = 2**53


def as_counts(values: Any, name: str) -> np.ndarray:
    """Return a 1-D int64 array of non-negative whole numbers.

    Raises
    ------
    TypeError
        If an element is text, bytes or a bool.
    ValueError
        If the values are not one-dimensional, not finite, not whole, negative, or beyond
        :data:`MAX_EXACT_COUNT`.
    """
    raw = np.asarray(values, dtype=object)
    if any(isinstance(v, str | bytes | bool | np.bool_) for v in raw.reshape(-1)):
        raise TypeError(f"{name} must be whole numbers (counts), not text or booleans; "
                        f"got {values!r}")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a sequence of whole numbers; got {values!r}") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    if np.any(arr != np.round(arr)):
        bad = arr[arr != np.round(arr)][0]
        raise ValueError(f"{name} must be whole numbers (counts); got {bad!r}")
    if np.any(arr < 0):
        bad = arr[arr < 0][0]
        raise ValueError(f"{name} must be non-negative counts; got {bad!r}")
    if np.any(arr >= MAX_EXACT_COUNT):
        raise ValueError(f"{name} must be below 2**53 (a count a float holds exactly)")
    return arr.astype(np.int64)
