"""Every figure helper of the package in one namespace.

Each takes ``ax=None`` (a new figure when omitted) and returns the matplotlib Axes; figures are
saved deterministically (fixed metadata, ``svg.hashsalt``, ``SOURCE_DATE_EPOCH``) by
:func:`save_figure`. The helpers live next to the statistics they draw; this module only
gathers them so that a reader finds them in one place.
"""

from thyroid_evidence.build.figures import save_figure
from thyroid_evidence.clinical_plots import (
    plot_ablation_temperatures,
    plot_feature_ranges,
    plot_metastases_at_presentation,
    plot_metastatic_sites,
    plot_prevalence,
    plot_proportions,
    plot_series_overview,
    plot_stratification,
    plot_ten_year_survival,
)
from thyroid_evidence.comparison import plot_survival_comparison
from thyroid_evidence.proportions import plot_forest
from thyroid_evidence.summaries import plot_proportion_table
from thyroid_evidence.survival import (
    plot_complement,
    plot_curve,
    plot_reconstruction_check,
)

__all__ = [
    "plot_ablation_temperatures",
    "plot_complement",
    "plot_curve",
    "plot_feature_ranges",
    "plot_forest",
    "plot_metastases_at_presentation",
    "plot_metastatic_sites",
    "plot_prevalence",
    "plot_proportion_table",
    "plot_proportions",
    "plot_reconstruction_check",
    "plot_series_overview",
    "plot_stratification",
    "plot_survival_comparison",
    "plot_ten_year_survival",
    "save_figure",
]
