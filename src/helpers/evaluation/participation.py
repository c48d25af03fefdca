"""Participation: 20 JP attainment, proportions and completion models."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from ._common import Result, TableResult, binary_column, check_ci, dummies, require_columns

__all__ = [
    "JPAttainment",
    "ParticipationModel",
    "ProportionCI",
    "jp_attainment",
    "participation_model",
    "proportion_ci",
]


@dataclass(frozen=True)
class ProportionCI(Result):
    """A proportion with its Wilson score interval."""

    proportion: float
    ci_low: float
    ci_high: float
    successes: int
    n: int
    method: str


def proportion_ci(successes: int, n: int, ci: float = 0.95) -> ProportionCI:
    """Return a proportion with its Wilson (1927) score interval.

    Uses ``statsmodels.stats.proportion.proportion_confint(method="wilson")``:
    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. The Wilson
    interval stays inside [0, 1] and behaves at 0 and n successes, unlike
    the Wald interval. ``n = 0`` gives NaNs.

    Examples
    --------
    >>> r = proportion_ci(8, 10)
    >>> round(r.ci_low, 4), round(r.ci_high, 4)
    (0.4902, 0.9433)
    """
    ci = check_ci(ci)
    successes, n = int(successes), int(n)
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    method = f"Wilson score {ci:.0%} interval"
    if n == 0:
        return ProportionCI(math.nan, math.nan, math.nan, 0, 0, method)
    low, high = proportion_confint(successes, n, alpha=1.0 - ci, method="wilson")
    p = successes / n
    # Rounding leaves the bound at 0/n (or n/n) a hair off 0 (or 1); the exact value is p.
    low, high = min(float(low), p), max(float(high), p)
    return ProportionCI(p, max(low, 0.0), min(high, 1.0), successes, n, method)


@dataclass(frozen=True, eq=False)
class JPAttainment(Result):
    """Share of participant-years reaching the yearly JP target.

    Attributes
    ----------
    share, ci_low, ci_high : float
        Proportion of participant-years with completed JP >= target, and its
        Wilson interval.
    n : int
        Participant-years.
    n_reaching : int
        Participant-years reaching the target.
    target : float
        The JP target (20 per PP 11/2017 Pasal 203 ayat 4 as amended).
    method : str
        Description of the computation.
    per_participant : pandas.DataFrame
        ``participant_key``, ``year``, ``jp_completed``, ``reached``.
    by_year : pandas.DataFrame
        ``year``, ``n``, ``n_reaching``, ``share``, ``ci_low``, ``ci_high``.
    """

    share: float
    ci_low: float
    ci_high: float
    n: int
    n_reaching: int
    target: float
    method: str
    per_participant: pd.DataFrame = field(repr=False)
    by_year: pd.DataFrame = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return the per-year summary table (a copy)."""
        return self.by_year.copy()


def jp_attainment(enrollments: pd.DataFrame, target: float = 20, ci: float = 0.95) -> JPAttainment:
    """Compute JP (training hours) per participant-year and the share reaching the target.

    Parameters
    ----------
    enrollments : pandas.DataFrame
        One row per participant x programme with ``participant_key``,
        ``year``, ``jp`` (the programme's JP) and ``completed`` (bool).
    target : float, default 20
        Yearly JP target; PP 11/2017 Pasal 203 ayat (4), as amended by
        PP 17/2020, requires at least 20 JP of competency development a year.
    ci : float, default 0.95
        Confidence level of the Wilson interval.

    Returns
    -------
    JPAttainment

    Notes
    -----
    Only completed programmes count. A participant enrolled in a year but
    completing nothing has 0 JP that year and stays in the denominator.
    ASN who were never enrolled are not in the table and therefore not in
    the denominator: pass them with a zero-JP, not-completed row if the
    headline should cover all ASN of an agency.

    Raises
    ------
    ValueError
        Missing ``completed`` or ``participant_key``/``year``, a missing JP on
        a completed programme, or negative JP.
    """
    ci = check_ci(ci)
    cols = ["participant_key", "year", "jp", "completed"]
    require_columns(enrollments, cols, "jp_attainment")
    data = enrollments.loc[:, cols].copy()
    if data[["participant_key", "year", "completed"]].isna().any().any():
        raise ValueError("participant_key, year and completed must not be missing")
    completed = binary_column(data["completed"], "completed") == 1.0
    jp = pd.to_numeric(data["jp"], errors="raise").astype(float)
    if jp[completed].isna().any():
        raise ValueError("a completed programme has no JP value")
    if (jp.dropna() < 0).any():
        raise ValueError("JP must not be negative")
    data["jp_completed"] = jp.where(completed, 0.0).fillna(0.0)

    per = (
        data.groupby(["participant_key", "year"], as_index=False, sort=True)["jp_completed"].sum()
    )
    per["reached"] = per["jp_completed"] >= target
    overall = proportion_ci(int(per["reached"].sum()), len(per), ci)

    rows = []
    for year, grp in per.groupby("year", sort=True):
        p = proportion_ci(int(grp["reached"].sum()), len(grp), ci)
        rows.append(
            {"year": year, "n": p.n, "n_reaching": p.successes, "share": p.proportion, "ci_low": p.ci_low, "ci_high": p.ci_high}
        )
    by_year = pd.DataFrame(rows, columns=["year", "n", "n_reaching", "share", "ci_low", "ci_high"])
    return JPAttainment(
        share=overall.proportion,
        ci_low=overall.ci_low,
        ci_high=overall.ci_high,
        n=overall.n,
        n_reaching=overall.successes,
        target=float(target),
        method=f"completed JP summed per participant-year; share >= {target:g} JP with {overall.method}",
        per_participant=per,
        by_year=by_year,
    )


@dataclass(frozen=True, eq=False)
class ParticipationModel(TableResult):
    """Logistic regression of a binary participation outcome.

    Attributes
    ----------
    n : int
        Rows used (missing values dropped first).
    events : int
        Rows with outcome = 1.
    n_clusters : int or None
        Clusters when cluster-robust errors were requested.
    method : str
        Description of the computation.
    table : pandas.DataFrame
        ``term``, ``coefficient``, ``se``, ``odds_ratio``, ``ci_low``,
        ``ci_high`` (odds-ratio scale), ``p_value``.
    note : str
        Caveats (few events per parameter, convergence).
    """

    n: int
    events: int
    n_clusters: int | None
    method: str
    table: pd.DataFrame = field(repr=False)
    note: str = ""


def participation_model(
    df: pd.DataFrame,
    outcome: str = "completed",
    predictors: Sequence[str] = ("schedule_conflict",),
    cluster: str | None = None,
    ci: float = 0.95,
) -> ParticipationModel:
    """Fit a logistic regression of completion (or attendance) on predictors.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per enrolment.
    outcome : str, default "completed"
        Boolean / 0-1 outcome.
    predictors : sequence of str
        Numeric or boolean columns enter as is; text/categorical columns are
        dummy-coded against their first level in sorted order.
    cluster : str, optional
        Column for cluster-robust (sandwich) errors, e.g. the programme.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    ParticipationModel
        Odds ratios ``exp(b)`` with Wald intervals ``exp(b ± z·se)``.

    Notes
    -----
    Maximum likelihood by Newton-Raphson (statsmodels ``Logit``). Rows with
    a missing outcome, predictor or cluster are dropped first (so cluster
    labels stay aligned). Perfect separation raises ``ValueError``.
    """
    ci = check_ci(ci)
    predictors = list(predictors)
    used = [outcome, *predictors] + ([cluster] if cluster else [])
    require_columns(df, used, "participation_model")
    data = df.loc[:, list(dict.fromkeys(used))].dropna()
    y = binary_column(data[outcome], outcome)
    parts = [pd.Series(1.0, index=data.index, name="Intercept")]
    for column in predictors:
        s = data[column]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).rename(column))
        else:
            parts.append(dummies(s, column)[0])
    x = pd.concat(parts, axis=1)
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise ValueError("design matrix is rank deficient (a predictor is constant or collinear)")
    events = int(y.sum())
    if events == 0 or events == len(y):
        raise ValueError(f"outcome {outcome!r} has no variation ({events} events in {len(y)} rows)")

    if cluster:
        groups = pd.factorize(data[cluster])[0]
        n_clusters = int(groups.max() + 1)
        fit_kwargs: dict[str, Any] = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    else:
        n_clusters = None
        fit_kwargs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=sm.tools.sm_exceptions.PerfectSeparationWarning)
        try:
            fit = sm.Logit(y, x).fit(method="newton", disp=False, maxiter=100, **fit_kwargs)
        except (sm.tools.sm_exceptions.PerfectSeparationWarning, sm.tools.sm_exceptions.PerfectSeparationError) as err:
            raise ValueError(f"perfect separation: {err}") from err

    conf = fit.conf_int(alpha=1.0 - ci)
    table = pd.DataFrame(
        {
            "term": x.columns,
            "coefficient": fit.params.to_numpy(),
            "se": fit.bse.to_numpy(),
            "odds_ratio": np.exp(fit.params.to_numpy()),
            "ci_low": np.exp(conf[0].to_numpy()),
            "ci_high": np.exp(conf[1].to_numpy()),
            "p_value": fit.pvalues.to_numpy(),
        }
    )
    notes = []
    if not fit.mle_retvals.get("converged", True):
        notes.append("maximum likelihood did not converge")
    if min(events, len(y) - events) < 10 * (x.shape[1] - 1):
        notes.append("fewer than 10 events per predictor: odds ratios may be unstable")
    return ParticipationModel(
        n=int(len(y)),
        events=events,
        n_clusters=n_clusters,
        method="logistic regression (ML, Newton-Raphson); Wald CI on the odds-ratio scale"
        + (f"; cluster-robust SE by {cluster!r}" if cluster else ""),
        table=table,
        note="; ".join(notes),
    )
