"""Study glue: the only code besides the evidence layer that knows the evidence schema.

Each module has one job, and reads the evidence tables to feed the science and the plots:

- :mod:`~thyroid_evidence.study.series`: pseudo-IPD of a series and endpoint
  (:func:`reconstruct_series`); :mod:`~thyroid_evidence.study.scenarios`: the declared
  scenario set of a series and endpoint (:func:`reconstruct_scenarios`);
- :mod:`~thyroid_evidence.study.complement`: reported local efficacy against the complement
  of a reconstructed cumulative incidence (:func:`complement_table`);
- :mod:`~thyroid_evidence.study.proportions`: reported proportions with counts and intervals
  (:func:`proportion_table`, :func:`reported_proportions`, :func:`count_for`);
- :mod:`~thyroid_evidence.study.comparison`: the series side by side (:func:`series_curves`,
  :func:`series_styles`, :func:`local_control_table`, :func:`key_numbers`,
  :func:`pooling_rows`);
- :mod:`~thyroid_evidence.study.clinical`: Table 1, context facts and the series overview;
- :mod:`~thyroid_evidence.study.staging`: Table 2's rows read from the evidence
  (:func:`criteria_from_table`) for :mod:`thyroid_evidence.staging`;
- :mod:`~thyroid_evidence.study.stratification`: Table 2 applied to example patients;
- :mod:`~thyroid_evidence.study.audit` and :mod:`~thyroid_evidence.study.audit_text`: the
  consistency audit of every reported number, and its text forms;
- :mod:`~thyroid_evidence.study.formatting`: a value as its source prints it.

Names are imported from their module on first use.
"""

from thyroid_evidence._lazy import lazy_exports

#: Public name -> submodule; imported on first use.
_EXPORTS = {
    "AUDIT_COLUMNS": "audit",
    "COMPLEMENT_ENDPOINTS": "audit",
    "audit_evidence": "audit",
    "complement_table": "complement",
    "format_audit": "audit_text",
    "SHAPES": "clinical",
    "clinical_feature_values": "clinical",
    "context_facts": "clinical",
    "series_overview": "clinical",
    "KEY_ROWS": "comparison",
    "LOCAL_CONTROL_CATEGORIES": "comparison",
    "LOCAL_CONTROL_ENDPOINTS": "comparison",
    "TECHNIQUE_KINDS": "comparison",
    "key_numbers": "comparison",
    "local_control_table": "comparison",
    "pooling_refusal": "comparison",
    "pooling_rows": "comparison",
    "series_curves": "comparison",
    "series_styles": "comparison",
    "printed_number": "formatting",
    "printed_value": "formatting",
    "PROPORTION_COLUMNS": "proportions",
    "count_for": "proportions",
    "proportion_table": "proportions",
    "reported_proportions": "proportions",
    "reconstruct_series": "series",
    "feasible_at_risk": "scenarios",
    "reconstruct_scenarios": "scenarios",
    "scenario_curves": "scenarios",
    "criteria_from_table": "staging",
    "STRATIFICATION_COLUMNS": "stratification",
    "patients_by_label": "stratification",
    "stratification_table": "stratification",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
