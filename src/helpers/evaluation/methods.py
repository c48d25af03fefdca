"""Differences in learning gain between training methods: OLS clustered by programme (CR2,
Bell-McCaffrey degrees of freedom), refusing methods taught in a single programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ._common import (
    EstimationRefused,
    TableResult,
    check_ci,
    dummies,
    require_columns,
    to_python,
)
from .cluster_robust import ols_cluster_robust


@dataclass(frozen=True, eq=False)
class MethodDifferences(TableResult):
    """OLS comparison of an outcome across groups with small-sample cluster-robust errors.

    Attributes
    ----------
    n : int
        Rows used in the model (after dropping missing values and refused groups).
    n_clusters : int
        Distinct clusters among those rows.
    n_dropped : int
        Rows dropped for missing values.
    reference : object
        The reference group (absorbed in the intercept).
    df_inference : float
        Smallest Bell-McCaffrey degrees of freedom among the group contrasts (each row of
        the table has its own ``df``); at most clusters - 1.
    method : str
        Description of the computation.
    table : pandas.DataFrame
        One row per coefficient, see :func:`method_differences`.
    note : str
        Caveats (few clusters, refused groups).
    refused : dict
        Groups left out of the model, mapped to a reason code: ``"single_programme"`` when
        the group occurs in fewer than two clusters (its contrast would be confounded with
        that one programme).
    n_refused : int
        Rows left out because their group was refused.
    """

    n: int
    n_clusters: int
    n_dropped: int
    reference: Any
    df_inference: float
    method: str
    table: pd.DataFrame = field(repr=False)
    note: str = ""
    refused: dict = field(default_factory=dict)
    n_refused: int = 0


#: A group must occur in at least this many clusters (programmes) for its contrast to be estimated.
MIN_CLUSTERS_PER_GROUP = 2


def _design(df: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Numeric and boolean columns as is; anything else dummy-coded."""
    parts = []
    for column in columns:
        series = df[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            parts.append(series.astype(float).rename(column))
        else:
            parts.append(dummies(series, column)[0])
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=df.index)


def method_differences(
    df: pd.DataFrame,
    outcome: str,
    group: str,
    cluster: str,
    covariates: Sequence[str] = (),
    reference: Any = None,
    ci: float = 0.95,
) -> MethodDifferences:
    """Compare an outcome (e.g. learning gain) across training methods.

    Fits ``outcome ~ 1 + C(group) + covariates`` by OLS with the small-sample
    cluster-robust CR2 covariance by ``cluster`` (the programme) and Student-t
    inference on the Bell-McCaffrey Satterthwaite degrees of freedom of each
    coefficient (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018; as
    clubSandwich's ``coef_test(vcov = "CR2", test = "Satterthwaite")``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per participant.
    outcome : str
        Numeric outcome column, e.g. post - pre or a normalised gain.
    group : str
        Categorical column (method or delivery); dummy-coded.
    cluster : str
        Cluster identifier, normally the programme.
    covariates : sequence of str, optional
        Extra adjustment columns; non-numeric ones are dummy-coded.
    reference : optional
        Reference level of ``group``; default the first level in sorted order among
        the levels that are not refused.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    MethodDifferences
        ``to_frame()`` columns: ``term``, ``coefficient``, ``se``, ``df``,
        ``ci_low``, ``ci_high``, ``p_value``, ``n``, ``n_clusters``.

    Raises
    ------
    ValueError
        Fewer than two groups in the data, an unknown reference, a non-numeric outcome.
    EstimationRefused
        ``reason="single_programme"``: the requested reference, or all but one group,
        occurs in fewer than two clusters. ``reason="collinear"``: a covariate is
        constant or collinear with the groups.

    Notes
    -----
    A method is a programme-level attribute. A method taught in a single programme
    cannot be told apart from that programme (its random effect), and no sandwich
    estimator can see that: its contrast had the intercept's standard error and covered
    the truth about 60% of the time. Such groups are *refused*: their rows leave the model
    and the group is listed in ``refused`` with reason ``"single_programme"``.

    In simulations with 5-12 programmes (methods in 2-5 programmes each, programme
    effects SD 2-4, individual SD 8), CR1 with t on G - 1 df covered 79-88%, CR2 with t on
    G - 1 85-92%, and CR2 with the Bell-McCaffrey df 94.0-98.5%, because a contrast
    carried by two or three programmes has only 1-4 effective df
    (``benchmarks/coverage_clusters.py``). The intervals are accordingly wide.

    Rows with a missing value in any used column are dropped *before* the
    model is built so that cluster labels stay aligned with the rows.
    """
    ci = check_ci(ci)
    used = [outcome, group, cluster, *covariates]
    require_columns(df, used, "method_differences")
    data = df.loc[:, list(dict.fromkeys(used))].dropna()
    n_dropped = int(len(df) - len(data))
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise TypeError(f"outcome {outcome!r} must be numeric")
    if data[group].nunique() < 2:
        raise ValueError(f"group {group!r} needs at least two levels after dropping missing rows")
    levels = data[group].unique().tolist()
    if reference is not None and reference not in levels:
        raise ValueError(f"reference level {reference!r} not found in {group!r}: {sorted(map(str, levels))}")

    programmes = data.groupby(group, sort=True)[cluster].nunique()
    refused = {to_python(level): "single_programme" for level, k in programmes.items() if k < MIN_CLUSTERS_PER_GROUP}
    if reference is not None and reference in refused:
        raise EstimationRefused(
            "single_programme",
            f"reference {group} {reference!r} is taught in only {programmes[reference]} {cluster}: "
            f"contrasts against it are confounded with that programme",
        )
    kept = data[~data[group].isin(list(refused))]
    if kept[group].nunique() < 2:
        raise EstimationRefused(
            "single_programme",
            f"fewer than two {group} levels are taught in at least {MIN_CLUSTERS_PER_GROUP} {cluster} values "
            f"(programmes per level: {programmes.to_dict()})",
        )
    n_refused = int(len(data) - len(kept))

    group_x, reference = dummies(kept[group], group, reference)
    x = pd.concat([pd.Series(1.0, index=kept.index, name="Intercept"), group_x, _design(kept, covariates)], axis=1)
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise EstimationRefused(
            "collinear", "design matrix is rank deficient (a covariate is constant or collinear with group)"
        )
    y = kept[outcome].astype(float).to_numpy()
    clusters = pd.factorize(kept[cluster])[0]
    n_clusters = int(clusters.max() + 1)

    beta, fit = ols_cluster_robust(y, x.to_numpy(), clusters, kind="CR2")
    df_terms = fit.df
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = beta / fit.se
    crit = stats.t.ppf(0.5 + ci / 2.0, df_terms)
    p_value = 2.0 * stats.t.sf(np.abs(t_stat), df_terms)

    notes = []
    if refused:
        notes.append("not compared (taught in fewer than two programmes): " + ", ".join(str(k) for k in refused))
    if n_clusters < 20:
        notes.append(f"only {n_clusters} clusters: small-sample (CR2) errors, intervals wide by design")
    table = pd.DataFrame(
        {
            "term": x.columns,
            "coefficient": beta,
            "se": fit.se,
            "df": df_terms,
            "ci_low": beta - crit * fit.se,
            "ci_high": beta + crit * fit.se,
            "p_value": p_value,
            "n": len(kept),
            "n_clusters": n_clusters,
        }
    )
    contrast_df = df_terms[1 : 1 + group_x.shape[1]]
    return MethodDifferences(
        n=int(len(kept)),
        n_clusters=n_clusters,
        n_dropped=n_dropped,
        reference=reference,
        df_inference=float(np.min(contrast_df)),
        method=(
            f"OLS, CR2 cluster-robust SE by {cluster!r} (Bell & McCaffrey 2002), "
            "t on Satterthwaite (BM) df per term; methods in fewer than 2 programmes refused"
        ),
        table=table,
        note="; ".join(notes),
        refused=refused,
        n_refused=n_refused,
    )
