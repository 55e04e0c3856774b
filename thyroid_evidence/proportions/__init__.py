"""Single proportions: exact intervals, random-effects pooling as R metafor, forest plots.

Most numbers the review cites are proportions from small denominators (5 of 12 partial
responses, 4 of 54 asymptomatic lesions). :func:`proportion_ci` gives an honest interval for
one of them; :func:`pool_proportions` pools several the way R's ``metafor`` does
(``rma.uni`` for the inverse-variance methods, ``rma.glmm(measure="PLO")`` for the GLMM);
:func:`plot_forest` draws the result.

Research and teaching material, not clinical decision support: a pooled proportion of
series as heterogeneous as the review's is a description, not a treatment effect.
"""

from thyroid_evidence.proportions._checks import CI_METHODS, POOLING_METHODS, TRANSFORMS
from thyroid_evidence.proportions.forest import plot_forest
from thyroid_evidence.proportions.intervals import proportion_ci
from thyroid_evidence.proportions.pooling import PooledProportion, pool_proportions

__all__ = [
    "CI_METHODS",
    "POOLING_METHODS",
    "TRANSFORMS",
    "PooledProportion",
    "plot_forest",
    "pool_proportions",
    "proportion_ci",
]
