"""Plotting: every ``plot_*`` function and figure saving.

Every plot takes its data first (tables and results from :mod:`thyroid_evidence.study` or the
science packages; never the evidence itself), ``ax=None`` as a keyword (a new figure when
omitted), and returns the matplotlib Axes it drew on. :mod:`~thyroid_evidence.plotting.style`
is the one axes/style helper; :func:`save_figure` writes deterministic PNG, SVG and PDF files.

Names are imported from their module on first use, so that importing the package does not
import matplotlib.
"""

from thyroid_evidence._lazy import lazy_exports

#: Public name -> submodule; imported on first use.
_EXPORTS = {
    "plot_ablation_temperatures": "clinical",
    "plot_feature_ranges": "clinical",
    "plot_metastases_at_presentation": "clinical",
    "plot_metastatic_sites": "clinical",
    "plot_prevalence": "clinical",
    "plot_series_overview": "clinical",
    "plot_ten_year_survival": "clinical",
    "plot_digitised": "digitise",
    "FIGURE_FORMATS": "figures",
    "render_figure": "figures",
    "save_figure": "figures",
    "show_saved": "figures",
    "plot_forest": "forest",
    "plot_proportion_table": "proportions",
    "plot_proportions": "proportions",
    "plot_stratification": "stratification",
    "plot_complement": "survival",
    "plot_curve": "survival",
    "plot_scenarios": "survival",
    "plot_reconstruction_check": "survival",
    "plot_survival_comparison": "survival",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
