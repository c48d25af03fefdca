"""Pure statistical functions: DataFrame or arrays in, frozen result objects out.

Every function here is free of I/O and plotting. Each returns a frozen
dataclass that knows its estimate, interval, ``n`` and ``method`` and offers
``as_dict()`` (scalars, for metrics.json) and, where tabular, ``to_frame()``
(a tidy pandas DataFrame for report tables).

Modules
-------
reliability      Cronbach's alpha with Feldt CI and item statistics.
likert           Per-item Likert distributions, mean CI, top/bottom-two boxes.
learning         Paired pre/post effects (t, Wilcoxon, d_z, g_av, Hake gain).
methods          Differences in gain between methods: OLS, CR2 by programme, Bell-McCaffrey
                 df; a method taught in one programme is refused.
clustered        A mean with a small-sample cluster-robust (CR2) standard error; a share
                 over rows that repeat within people (Wilson on n / design effect).
cluster_robust   CR2 cluster-robust covariance with Bell-McCaffrey degrees of freedom.
timeseries       Regression with AR(1) errors: REML, GLS, Kenward-Roger t.
its              Interrupted time series: segmented regression with AR(1) errors.
its_poisson      Its (quasi-)Poisson variant for counts, with an offset.
did              Difference-in-differences: few units on the difference series (AR(1)),
                 many units clustered by unit.
ikm              IKM per PermenPANRB 14/2017; Krejcie & Morgan sample size.
ikm_uncertainty  The CI of a wave's IKM and of the change between two waves.
attainment       Proportions (Wilson) and 20 JP attainment, clustered by person.
participation    Logistic model of completion: CR2 by programme, refusals under
                 separation or too few programmes.
meta             Random-effects pooling across regions (PM / DL / REML tau²,
                 Hartung-Knapp-Sidik-Jonkman interval).
disclosure       Small-cell suppression with complementary suppression so that
                 no masked cell (or small sum of them) follows from a total.
behaviour        Application on the job vs support (OLS, clustered by participant).
"""

from ._common import EstimationRefused
from .attainment import JPAttainment, ProportionCI, jp_attainment, proportion_ci
from .behaviour import SupportAssociation, mean_ci, support_association
from .clustered import ClusteredMean, ClusteredProportion, clustered_mean, clustered_proportion
from .did import DiDResult, difference_in_differences, difference_series_did
from .disclosure import SuppressionResult, suppress_small_cells
from .ikm import (
    GRADE_LOWER_BOUNDS,
    UNSUR,
    IKMCategory,
    IKMResult,
    ikm_category,
    ikm_score,
    krejcie_morgan,
)
from .ikm_uncertainty import IKMChange, IKMInterval, ikm_change, ikm_interval
from .its import ITSResult, newey_west_maxlags, segmented_regression
from .its_poisson import ITSRateResult, segmented_poisson
from .learning import PairedEffect, dz_confidence_interval, paired_effect
from .likert import LikertSummary, likert_summary
from .meta import PooledEffect, pool_effects
from .methods import MethodDifferences, method_differences
from .participation import ParticipationModel, participation_model
from .reliability import AlphaResult, cronbach_alpha

__all__ = [
    "GRADE_LOWER_BOUNDS",
    "UNSUR",
    "AlphaResult",
    "ClusteredMean",
    "ClusteredProportion",
    "DiDResult",
    "EstimationRefused",
    "IKMCategory",
    "IKMChange",
    "IKMInterval",
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
    "SupportAssociation",
    "SuppressionResult",
    "clustered_mean",
    "clustered_proportion",
    "cronbach_alpha",
    "difference_in_differences",
    "difference_series_did",
    "dz_confidence_interval",
    "ikm_category",
    "ikm_change",
    "ikm_interval",
    "ikm_score",
    "jp_attainment",
    "krejcie_morgan",
    "likert_summary",
    "mean_ci",
    "method_differences",
    "newey_west_maxlags",
    "paired_effect",
    "participation_model",
    "pool_effects",
    "proportion_ci",
    "segmented_poisson",
    "segmented_regression",
    "support_association",
    "suppress_small_cells",
]
