"""Input checks shared by the survival modules (every failure is a ValueError naming the value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Event codes of pseudo-IPD: 0 censored, 1 event of interest, 2 competing event.
EVENT_CODES = (0, 1, 2)


def survival_arrays(
    data: pd.DataFrame, *, competing: bool = False, name: str = "data"
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(time, event)`` arrays from a DataFrame with columns ``time`` and ``event``.

    Raises
    ------
    ValueError
        If a column is missing, a time is negative or not finite, or an event code is not in
        {0, 1} (or {0, 1, 2} when ``competing``).
    """
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame with columns 'time' and 'event'")
    missing = [c for c in ("time", "event") if c not in data.columns]
    if missing:
        raise ValueError(
            f"{name} lacks column(s) {missing}; it needs 'time' (months) and 'event' "
            "(0 censored, 1 event" + (", 2 competing event)" if competing else ")")
        )
    if len(data) == 0:
        raise ValueError(f"{name} is empty; at least one subject is needed")
    time = np.asarray(data["time"], dtype=float)
    event = np.asarray(data["event"])
    bad = ~np.isfinite(time) | (time < 0)
    if bad.any():
        raise ValueError(
            f"{name}['time'] must be finite and >= 0; found {time[bad][0]!r} "
            f"(row {int(np.flatnonzero(bad)[0])})"
        )
    allowed = EVENT_CODES if competing else EVENT_CODES[:2]
    ok = np.isin(event, allowed)
    if not ok.all():
        raise ValueError(
            f"{name}['event'] must be one of {set(allowed)}; found {event[~ok][0]!r} "
            f"(row {int(np.flatnonzero(~ok)[0])})"
        )
    return time, event.astype(int)


def check_level(level: float) -> float:
    """Check a confidence level in (0, 1)."""
    if not (isinstance(level, int | float) and 0 < float(level) < 1):
        raise ValueError(f"level must be a number in (0, 1); got {level!r}")
    return float(level)


def positive_int(value: object, name: str) -> int:
    """Check a strictly positive whole number (bool rejected)."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        if isinstance(value, float) and float(value).is_integer() and value > 0:
            return int(value)
        raise ValueError(f"{name} must be a whole number > 0; got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a whole number > 0; got {value!r}")
    return int(value)
