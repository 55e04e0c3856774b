"""Survival engine: pseudo-individual data from published curves and summaries.

- :func:`reconstruct_km` rebuilds data from a digitised Kaplan-Meier curve (Guyot et al.
  2012); diagnostics are in ``result.attrs["diagnostics"]``.
- :func:`reconstruct_from_summary` builds deterministic pseudo-IPD that reproduce reported
  milestones within rounding (:class:`PseudoIPD`); :func:`reconstruct_series` (from
  :mod:`thyroid_evidence.study.series`) reads them from the evidence.
- :func:`scenario_set` (science) and :func:`reconstruct_scenarios` (from
  :mod:`thyroid_evidence.study.scenarios`, reading the evidence): the declared set of
  readings of a publication (hazard families fitted to the reported numbers, censoring,
  estimator), which of them reproduce every reported number, and what the accepted ones
  identify (:class:`ScenarioSet`).
- :func:`ensemble` gives bands that include the reconstruction's own uncertainty.
- Estimators: :func:`kaplan_meier`, :func:`cumulative_incidence` (Aalen-Johansen, checked
  against R cmprsk), :func:`rmst`. (Parametric families are fitted to the reported numbers
  in the scenario set; fitting them to pseudo-data drawn from a model was circular and is
  gone.)
- :mod:`thyroid_evidence.survival.km`: the one Kaplan-Meier kernel (risk sets, product limit,
  events before censorings at tied times) that every hand-written estimate here is built on.

Research and teaching material, not clinical decision support.
"""

from thyroid_evidence._lazy import lazy_exports
from thyroid_evidence.survival.ensemble import EnsembleResult, ensemble
from thyroid_evidence.survival.estimators import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    RMSTResult,
    cumulative_incidence,
    kaplan_meier,
    rmst,
)
from thyroid_evidence.survival.guyot import (
    KMReconstructionDiagnostics,
    digitisation_band,
    reconstruct_km,
)
from thyroid_evidence.survival.scenarios import ScenarioSet, scenario_set
from thyroid_evidence.survival.summary import (
    PseudoIPD,
    SummarySpec,
    reconstruct_from_summary,
    summary_spec,
)

__all__ = [
    "complement_table",
    "CumulativeIncidenceResult",
    "EnsembleResult",
    "KMReconstructionDiagnostics",
    "KaplanMeierResult",
    "PseudoIPD",
    "RMSTResult",
    "ScenarioSet",
    "SummarySpec",
    "cumulative_incidence",
    "digitisation_band",
    "ensemble",
    "kaplan_meier",
    "reconstruct_from_summary",
    "reconstruct_km",
    "reconstruct_scenarios",
    "reconstruct_series",
    "rmst",
    "scenario_set",
    "summary_spec",
]

#: Re-exported from the study layer, imported on first use (the science does not import it).
_EXPORTS = {
    "complement_table": "thyroid_evidence.study.complement",
    "reconstruct_scenarios": "thyroid_evidence.study.scenarios",
    "reconstruct_series": "thyroid_evidence.study.series",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
