"""Survival engine: pseudo-individual data from published curves and summaries.

- :func:`reconstruct_km` rebuilds data from a digitised Kaplan-Meier curve (Guyot et al.
  2012); diagnostics are in ``result.attrs["diagnostics"]``.
- :func:`reconstruct_from_summary` and :func:`reconstruct_series` build deterministic
  pseudo-IPD that reproduce reported milestones within rounding (:class:`PseudoIPD`).
- :func:`ensemble` gives bands that include the reconstruction's own uncertainty.
- Estimators: :func:`kaplan_meier`, :func:`cumulative_incidence` (Aalen-Johansen, checked
  against R cmprsk), :func:`rmst`, :func:`fit_parametric` (extrapolation, marked as such).
- Plots: :func:`plot_curve`, :func:`plot_reconstruction_check`.

Research and teaching material, not clinical decision support.
"""

from thyroid_evidence.survival.complement import complement_table, plot_complement
from thyroid_evidence.survival.ensemble import EnsembleResult, ensemble
from thyroid_evidence.survival.estimators import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    ParametricFit,
    RMSTResult,
    cumulative_incidence,
    fit_parametric,
    kaplan_meier,
    rmst,
)
from thyroid_evidence.survival.guyot import KMReconstructionDiagnostics, reconstruct_km
from thyroid_evidence.survival.plotting import plot_curve, plot_reconstruction_check
from thyroid_evidence.survival.series import ENDPOINTS, reconstruct_series
from thyroid_evidence.survival.summary import PseudoIPD, SummarySpec, reconstruct_from_summary

__all__ = [
    "complement_table",
    "plot_complement",
    "ENDPOINTS",
    "CumulativeIncidenceResult",
    "EnsembleResult",
    "KMReconstructionDiagnostics",
    "KaplanMeierResult",
    "ParametricFit",
    "PseudoIPD",
    "RMSTResult",
    "SummarySpec",
    "cumulative_incidence",
    "ensemble",
    "fit_parametric",
    "kaplan_meier",
    "plot_curve",
    "plot_reconstruction_check",
    "reconstruct_from_summary",
    "reconstruct_km",
    "reconstruct_series",
    "rmst",
]
