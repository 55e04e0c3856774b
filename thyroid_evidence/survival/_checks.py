"""Input checks shared by the survival modules (the message names the value)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from thyroid_evidence.validation import choices_text
from thyroid_evidence.vocab import EVENT_CODES


def survival_arrays(
    data: pd.DataFrame, *, competing: bool = False, name: str = "data"
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(time, event)`` arrays from a DataFrame with columns ``time`` and ``event``.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        If a column is missing, a time is negative or not finite, or an event code is not in
        {0, 1} (or {0, 1, 2} when ``competing``).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame with columns 'time' and 'event'; "
                        f"got {type(data).__name__}")
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
            f"{name}['event'] must be one of {{{choices_text(allowed)}}}; found "
            f"{event[~ok][0]!r} (row {int(np.flatnonzero(~ok)[0])})"
        )
    return time, event.astype(int)
