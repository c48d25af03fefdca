"""Level 3 (behaviour): how application on the job relates to support at work."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from ._common import TableResult, check_ci, require_columns, t_interval
from .cluster_robust import ols_cluster_robust

__all__ = ["SupportAssociation", "mean_ci", "support_association"]


def mean_ci(values: Sequence[float] | np.ndarray, ci: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of a mean; missing values dropped, NaNs when n < 2."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return (math.nan, math.nan)
    return t_interval(float(x.mean()), float(x.std(ddof=1)), int(x.size), check_ci(ci))


@dataclass(frozen=True, eq=False)
class SupportAssociation(TableResult):
    """OLS of an application rating on support ratings, cluster-robust by participant.

    ``to_frame()`` columns: term, coefficient, se, ci_low, ci_high, p_value, n, n_clusters.
    """

    n: int
    n_clusters: int
    method: str
    table: pd.DataFrame = field(repr=False)
    note: str = ""


def support_association(
    df: pd.DataFrame, outcome: str, predictors: Sequence[str], cluster: str, ci: float = 0.95
) -> SupportAssociation:
    """Fit ``outcome ~ 1 + predictors`` by OLS with CR2 errors clustered by ``cluster``.

    A participant answers several follow-up waves, so observations are clustered by
    participant. Rows with a missing value are dropped *before* fitting, because statsmodels
    does not re-align cluster groups with rows it drops itself. Inference uses t with
    Bell-McCaffrey degrees of freedom per coefficient: CR1 with t(G - 1) covered 0.90-0.93 with
    the 50-70 participants of a small region (``benchmarks/coverage.py``).
    """
    ci = check_ci(ci)
    cols = [outcome, *predictors, cluster]
    require_columns(df, cols, "support_association")
    data = df.loc[:, list(dict.fromkeys(cols))].dropna()
    x = sm.add_constant(data[list(predictors)].astype(float), has_constant="add")
    y = data[outcome].astype(float)
    groups = pd.factorize(data[cluster])[0]
    n_clusters = int(groups.max() + 1) if len(groups) else 0
    if len(data) <= x.shape[1] or n_clusters < 2:
        table = pd.DataFrame(
            {
                "term": x.columns,
                "coefficient": math.nan,
                "se": math.nan,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "p_value": math.nan,
                "n": len(data),
                "n_clusters": n_clusters,
            }
        )
        return SupportAssociation(
            len(data), n_clusters, "OLS (not estimable)", table, "too few rows or clusters to fit"
        )
    beta, fit = ols_cluster_robust(y.to_numpy(), x.to_numpy(), groups, "CR2")
    t_stat = beta / fit.se
    half = stats.t.ppf(0.5 + ci / 2, fit.df) * fit.se
    table = pd.DataFrame(
        {
            "term": ["Intercept" if c == "const" else c for c in x.columns],
            "coefficient": beta,
            "se": fit.se,
            "ci_low": beta - half,
            "ci_high": beta + half,
            "p_value": 2 * stats.t.sf(np.abs(t_stat), fit.df),
            "df": fit.df,
            "n": len(data),
            "n_clusters": n_clusters,
        }
    )
    return SupportAssociation(
        len(data), n_clusters, f"OLS, CR2 cluster-robust SE by {cluster!r}, Bell-McCaffrey t", table
    )
