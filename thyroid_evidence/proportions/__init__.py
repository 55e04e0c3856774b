"""Single proportions: exact intervals, random-effects pooling as R metafor, forest plots.

Most numbers the review cites are proportions from small denominators (5 of 12 partial
responses, 4 of 54 asymptomatic lesions). :func:`proportion_ci` gives an honest interval for
one of them; :func:`pool_proportions` pools several the way R's ``metafor`` does
(``rma.uni`` for the inverse-variance methods, ``rma.glmm(measure="PLO")`` for the GLMM);
:func:`thyroid_evidence.plotting.plot_forest` draws the result. :func:`cluster_adjusted_ci`
widens the interval of a per-lesion proportion by a design effect over a stated ICC range
(the lesions of one patient are not independent).

Research and teaching material, not clinical decision support: a pooled proportion of
series as heterogeneous as the review's is a description, not a treatment effect.
"""

from thyroid_evidence._lazy import lazy_exports

#: Public name -> submodule; imported on first use (statsmodels and scipy are slow to load).
_EXPORTS = {
    "CI_METHODS": "_checks",
    "DEFAULT_ICC_RANGE": "clustering",
    "MIN_STUDIES_FOR_HETEROGENEITY": "pooling",
    "ClusterAdjustedInterval": "clustering",
    "cluster_adjusted_ci": "clustering",
    "design_effect": "clustering",
    "effective_counts": "clustering",
    "POOLING_METHODS": "_checks",
    "TRANSFORMS": "_checks",
    "PooledProportion": "pooling",
    "pool_proportions": "pooling",
    "proportion_ci": "intervals",
}
__all__ = [
    "CI_METHODS",
    "DEFAULT_ICC_RANGE",
    "MIN_STUDIES_FOR_HETEROGENEITY",
    "ClusterAdjustedInterval",
    "cluster_adjusted_ci",
    "design_effect",
    "effective_counts",
    "POOLING_METHODS",
    "TRANSFORMS",
    "PooledProportion",
    "pool_proportions",
    "proportion_ci",
]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
