"""Vocabulary and input checks shared by the proportions modules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Interval methods of :func:`proportion_ci`.
CI_METHODS = ("wilson", "clopper-pearson", "jeffreys", "agresti-coull")
#: Pooling methods of :func:`pool_proportions` (metafor's names).
POOLING_METHODS = ("FE", "DL", "REML", "PM", "ML", "GLMM")
#: Transforms of :func:`pool_proportions` and the metafor ``measure`` each one reproduces.
TRANSFORMS = {"logit": "PLO", "arcsine": "PAS", "log": "PLN", "raw": "PR"}

_STATSMODELS_CI = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
}
_FREEMAN_TUKEY = {"freeman-tukey", "freeman_tukey", "ft", "pft", "double-arcsine"}


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, int | float | np.floating | np.integer):
        raise ValueError(f"alpha must be a number in (0, 1); got {alpha!r}")
    alpha = float(alpha)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in the open interval (0, 1); got {alpha!r}")
    return alpha


def _as_counts(values: Any, name: str) -> np.ndarray:
    """Return a 1-D int64 array of non-negative whole numbers or raise ValueError."""
    raw = np.asarray(values, dtype=object)
    if any(isinstance(v, str | bytes | bool | np.bool_) for v in raw.reshape(-1)):
        raise ValueError(f"{name} must be whole numbers (counts), not text or booleans; "
                         f"got {values!r}")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a sequence of whole numbers; got {values!r}") from exc
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
    return arr.astype(np.int64)


def _check_pair(events: np.ndarray, totals: np.ndarray) -> None:
    if events.shape != totals.shape:
        raise ValueError(
            f"events and totals must have the same length; got {events.size} events and "
            f"{totals.size} totals"
        )
    if events.size == 0:
        raise ValueError("events and totals must hold at least one study (k >= 1); got k = 0")
    if np.any(totals == 0):
        raise ValueError("totals must be positive (a proportion needs a denominator of >= 1)")
    if np.any(events > totals):
        i = int(np.argmax(events > totals))
        raise ValueError(
            f"events must not exceed totals; study {i + 1} has {events[i]} events of {totals[i]}"
        )


def _check_choice(value: Any, name: str, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{name} must be one of {set(allowed)}; got {value!r}")
    return value
