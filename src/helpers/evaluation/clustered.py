"""Means and proportions whose rows are correlated within clusters.

``clustered_mean``: a mean whose uncertainty allows for correlation within programmes
(CR2 with Bell-McCaffrey degrees of freedom). ``clustered_proportion``: a share over rows
that repeat within people (enrolments, person-years), as a Wilson interval on the
design-effect-adjusted sample size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._common import RowResult, check_ci
from .cluster_robust import ols_cluster_robust

__all__ = ["ClusteredMean", "ClusteredProportion", "clustered_mean", "clustered_proportion"]


@dataclass(frozen=True, eq=False)
class ClusteredMean(RowResult):
    """A mean with a small-sample cluster-robust (CR2) standard error.

    Attributes
    ----------
    mean, se : float
        Mean of the values and its CR2 standard error.
    ci_low, ci_high : float
        ``mean ± t_df · se``.
    n, n_clusters : int
        Values and clusters used.
    method : str
        Description of the computation.
    note : str
        Caveats (no SE with one cluster, few clusters).
    df : float
        Bell-McCaffrey Satterthwaite degrees of freedom (``G - 1`` with equal cluster
        sizes, fewer when a few large clusters dominate); NaN without an SE.
    """

    mean: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_clusters: int
    method: str
    note: str = ""
    df: float = math.nan


_MEAN_METHOD = "mean; CR2 cluster-robust SE (Bell & McCaffrey 2002), t on Satterthwaite (BM) df"


def clustered_mean(values, clusters, ci: float = 0.95) -> ClusteredMean:
    """Mean of ``values`` with its standard error allowing for correlation within ``clusters``.

    Participants trained in the same programme share an instructor, a cohort and a test, so
    their gains are not independent; ``sd / sqrt(n)`` would understate the uncertainty of a
    region's mean gain. The variance is the CR2 sandwich of the intercept-only OLS
    (:mod:`helpers.evaluation.cluster_robust`; Bell & McCaffrey 2002, Pustejovsky & Tipton
    2018), the interval uses Student t on the Bell-McCaffrey Satterthwaite df. With equal
    cluster sizes this is ``s_c / sqrt(G)`` of the G cluster means on ``G - 1`` df exactly.

    In simulations with 3-12 programmes of 10-60 people and programme effects of SD 2-4
    against individual SD 8, the 95% interval covered 94.1-95.9% (CR1 with t on G - 1:
    92.8-94.6%); see ``benchmarks/coverage_clusters.py``. With one cluster the SE is NaN.
    """
    ci = check_ci(ci)
    frame = pd.DataFrame({"y": np.asarray(values, dtype=float), "g": np.asarray(clusters)}).dropna()
    n = len(frame)
    g = int(frame["g"].nunique())
    if n == 0:
        return ClusteredMean(math.nan, math.nan, math.nan, math.nan, 0, 0, _MEAN_METHOD, "no values")
    mean = float(frame["y"].mean())
    if g < 2:
        return ClusteredMean(mean, math.nan, math.nan, math.nan, n, g, _MEAN_METHOD, "one cluster: no SE")
    _, fit = ols_cluster_robust(frame["y"].to_numpy(), np.ones((n, 1)), frame["g"].to_numpy(), kind="CR2")
    se, df = float(fit.se[0]), float(fit.df[0])
    if not (se > 0 and np.isfinite(df)):
        return ClusteredMean(
            mean,
            se,
            math.nan,
            math.nan,
            n,
            g,
            _MEAN_METHOD,
            "no variation between clusters' residuals: no interval",
            df,
        )
    half = stats.t.ppf(0.5 + ci / 2, df) * se
    note = f"only {g} clusters: the interval is wide by design" if g < 20 else ""
    return ClusteredMean(mean, se, mean - half, mean + half, n, g, _MEAN_METHOD, note, df)


@dataclass(frozen=True, eq=False)
class ClusteredProportion(RowResult):
    """A proportion over rows that repeat within clusters (people), with its interval.

    Attributes
    ----------
    proportion : float
        successes / n, each row weighted equally.
    ci_low, ci_high : float
        Wilson interval on the effective sample size ``n / design_effect`` (see
        :func:`clustered_proportion`).
    successes, n : int
        Rows with a success and rows used (the denominator is rows, e.g. enrolments).
    n_clusters : int
        Distinct clusters (e.g. people) among the rows.
    design_effect : float
        Estimated variance inflation over independent rows (>= 1).
    n_effective : float
        ``n / design_effect``.
    df : float
        Degrees of freedom of the critical value (``n_clusters - 1``; infinite when every
        cluster has one row, i.e. the plain Wilson interval).
    method : str
    note : str
    """

    proportion: float
    ci_low: float
    ci_high: float
    successes: int
    n: int
    n_clusters: int
    design_effect: float
    n_effective: float
    df: float
    method: str
    note: str = ""


def _wilson(p: float, n: float, crit: float) -> tuple[float, float]:
    denom = 1.0 + crit**2 / n
    centre = (p + crit**2 / (2.0 * n)) / denom
    half = crit * math.sqrt(p * (1.0 - p) / n + crit**2 / (4.0 * n**2)) / denom
    return max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p))


def clustered_proportion(successes, clusters, ci: float = 0.95) -> ClusteredProportion:
    """Share of rows with a success when rows repeat within clusters (people).

    Use it for a completion rate over enrolments (a person enrolled in several programmes
    appears several times) or for a share of person-years (the same person in each year):
    rows of the same person are positively correlated, so a Wilson interval on the rows
    is too narrow.

    Parameters
    ----------
    successes : array-like of bool or 0/1
        One value per row; missing values are dropped.
    clusters : array-like
        Cluster (person) of each row.
    ci : float, default 0.95

    Returns
    -------
    ClusteredProportion

    Notes
    -----
    Wilson score interval with the effective sample size of survey practice (Kish 1965;
    Korn & Graubard 1998, Survey Methodology 24:193-201): the ratio estimate
    ``p = sum y / n`` has the linearisation (CR1, intercept-only) variance
    ``v = G/(G-1) * sum_g (y_g - p m_g)^2 / n^2`` (``y_g`` successes and ``m_g`` rows of
    cluster g); the design effect ``deff = max(1, v / (p(1-p)/n))``; the interval is
    Wilson's with ``n / deff`` in place of n and the t quantile on ``G - 1`` df in place of z.
    It stays inside [0, 1] and behaves near 0 and 1 like Wilson's.

    - Every cluster has one row: the plain Wilson interval (deff = 1, z quantile).
    - No or only successes (p = 0 or 1): v is 0 and says nothing about the correlation;
      the design effect takes its largest possible value, ``sum m_g^2 / n`` (every row of
      a person identical), i.e. the effective n is ``n^2 / sum m_g^2`` (the number of people
      when they have equally many rows).
    - One cluster: the same worst case (effective n = 1).

    Coverage in simulations with 50-500 people of 1-3 rows each, a person effect of SD
    0.5-3 on the logit scale and shares 0.3 and 0.85: 94.4-96.0% (Wilson on rows: 86-95%);
    60 or 260 people counted in 3 years: 93.8-95.5% (Wilson on rows: 86-88%); see
    ``benchmarks/coverage_clusters.py``.
    """
    ci = check_ci(ci)
    frame = pd.DataFrame({"y": pd.Series(np.asarray(successes, dtype=object)), "g": np.asarray(clusters)})
    frame = frame.dropna()
    values = frame["y"].to_numpy()
    bad = [v for v in pd.unique(values) if v not in (True, False, 0, 1, 0.0, 1.0)]
    if bad:
        raise ValueError(f"successes must be boolean or 0/1; found {bad[:5]!r}")
    y = values.astype(float)
    n = int(y.size)
    codes = pd.factorize(frame["g"])[0]
    g = int(codes.max() + 1) if n else 0
    base = "share of rows; Wilson interval"
    if n == 0:
        return ClusteredProportion(math.nan, math.nan, math.nan, 0, 0, 0, math.nan, math.nan, math.nan, base, "no rows")
    k = int(y.sum())
    p = k / n
    sizes = np.bincount(codes)
    z = stats.norm.ppf(0.5 + ci / 2)
    if sizes.max() == 1:
        low, high = _wilson(p, n, z)
        return ClusteredProportion(
            p, low, high, k, n, g, 1.0, float(n), math.inf, f"Wilson score {ci:.0%} interval (one row per cluster)"
        )
    notes = []
    worst = float(np.sum(sizes.astype(float) ** 2) / n)
    if g < 2:
        deff, crit = worst, z
        notes.append("one cluster: effective sample size 1")
    elif k in (0, n):
        deff, crit = worst, stats.t.ppf(0.5 + ci / 2, g - 1)
        notes.append("all rows alike: design effect set to its maximum (rows of a cluster identical)")
    else:
        resid = np.bincount(codes, weights=y - p)
        v = g / (g - 1) * float(np.sum(resid**2)) / n**2
        deff = max(1.0, v / (p * (1 - p) / n))
        crit = stats.t.ppf(0.5 + ci / 2, g - 1)
    n_eff = n / deff
    low, high = _wilson(p, n_eff, crit)
    df = float(g - 1) if g >= 2 else math.inf
    method = (
        f"share of rows; Wilson {ci:.0%} interval on the effective sample size n/deff, design effect "
        f"from the cluster-robust variance by cluster ({g} clusters), t on clusters-1 df"
    )
    return ClusteredProportion(p, low, high, k, n, g, float(deff), float(n_eff), df, method, "; ".join(notes))
