"""Vocabulary and input checks shared by the proportions modules.

The vocabularies themselves live in :mod:`thyroid_evidence.vocab`; the names here are the
package's public re-exports (``thyroid_evidence.proportions.CI_METHODS`` ...).
"""

from __future__ import annotations

import numpy as np

from thyroid_evidence.vocab import CI_METHODS, POOLING_METHODS, TRANSFORMS

__all__ = ["CI_METHODS", "FREEMAN_TUKEY_NAMES", "POOLING_METHODS", "STATSMODELS_CI",
           "TRANSFORMS", "check_pair"]

#: Our interval method -> the ``method`` of statsmodels' ``proportion_confint``.
STATSMODELS_CI = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
}
#: Spellings of the Freeman-Tukey transform, refused by name with the reason.
FREEMAN_TUKEY_NAMES = ("freeman-tukey", "freeman_tukey", "ft", "pft", "double-arcsine")


def check_pair(events: np.ndarray, totals: np.ndarray) -> None:
    """Check counts per study (from :func:`~thyroid_evidence.validation.as_counts`).

    Raises
    ------
    ValueError
        For different lengths, no study, a total of 0 or events above the total.
    """
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
