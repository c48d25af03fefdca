"""Pure statistical functions: DataFrame or arrays in, frozen result objects out.

Every function here is free of I/O and plotting. Each returns a frozen
dataclass that knows its estimate, interval, ``n`` and ``method`` and offers
``as_dict()`` (scalars, for metrics.json) and, where tabular, ``to_frame()``
(a tidy pandas DataFrame for report tables).

Modules
-------
reliability    Cronbach's alpha with Feldt CI and item statistics.
likert         Per-item Likert distributions, mean CI, top/bottom-two boxes.
learning       Paired pre/post effects (t, Wilcoxon, d_z, g_av, Hake gain);
               method differences by OLS with cluster-robust errors.
its            Interrupted time series: segmented OLS with Newey-West errors;
               (quasi-)Poisson variant with an offset.
did            Difference-in-differences with cluster-robust errors.
ikm            IKM per PermenPANRB 14/2017; Krejcie & Morgan sample size.
participation  20 JP attainment, Wilson proportions, logistic models.
meta           Random-effects pooling across regions (PM / DL).
disclosure     Small-cell suppression with complementary suppression.
behaviour      Application on the job vs support (OLS, clustered by participant).
"""

from .behaviour import SupportAssociation, mean_ci, support_association
from .did import DiDResult, difference_in_differences, difference_series_did
from .disclosure import SuppressionResult, suppress_small_cells
from .ikm import UNSUR, IKMCategory, IKMResult, ikm_category, ikm_score, krejcie_morgan
from .its import (
    ITSRateResult,
    ITSResult,
    newey_west_maxlags,
    segmented_poisson,
    segmented_regression,
)
from .learning import (
    ClusteredMean,
    clustered_mean,
    MethodDifferences,
    PairedEffect,
    dz_confidence_interval,
    method_differences,
    paired_effect,
)
from .likert import LikertSummary, likert_summary
from .meta import PooledEffect, pool_effects
from .participation import (
    JPAttainment,
    ParticipationModel,
    ProportionCI,
    jp_attainment,
    participation_model,
    proportion_ci,
)
from .reliability import AlphaResult, cronbach_alpha

__all__ = [
    "UNSUR",
    "AlphaResult",
    "DiDResult",
    "IKMCategory",
    "IKMResult",
    "ITSRateResult",
    "ITSResult",
    "JPAttainment",
    "LikertSummary",
    "MethodDifferences",
    "PairedEffect",
    "ParticipationModel",
    "PooledEffect",
    "ProportionCI",
    "SuppressionResult",
    "cronbach_alpha",
    "difference_in_differences",
    "difference_series_did",
    "clustered_mean",
    "ClusteredMean",
    "mean_ci",
    "support_association",
    "SupportAssociation",
    "dz_confidence_interval",
    "ikm_category",
    "ikm_score",
    "jp_attainment",
    "krejcie_morgan",
    "likert_summary",
    "method_differences",
    "newey_west_maxlags",
    "paired_effect",
    "participation_model",
    "pool_effects",
    "proportion_ci",
    "segmented_poisson",
    "segmented_regression",
    "suppress_small_cells",
]
