"""Difference-in-differences against untrained comparison units (Level 4)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ._common import RowResult, binary_column, check_ci, require_columns

__all__ = ["DiDResult", "difference_in_differences"]


@dataclass(frozen=True)
class DiDResult(RowResult):
    """Difference-in-differences estimate of a training effect.

    Attributes
    ----------
    estimate, se, ci_low, ci_high, p_value : float
        Coefficient of ``treated x post`` with cluster-robust inference.
    n : int
        Unit-period observations used.
    n_units : int
        Distinct units (clusters).
    n_treated_units : int
        Units with ``treated`` = 1.
    df_inference : int
        Degrees of freedom of the t reference (units - 1).
    method : str
        Description of the computation.
    note : str
        Caveats (e.g. few clusters).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n: int
    n_units: int
    n_treated_units: int
    df_inference: int
    method: str
    note: str = ""


def difference_in_differences(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    period: str,
    treated: str,
    post: str,
    fixed_effects: bool = False,
    ci: float = 0.95,
) -> DiDResult:
    """Estimate a two-group, two-period style difference-in-differences.

    Parameters
    ----------
    df : pandas.DataFrame
        Long panel, one row per unit and period (e.g. service unit x month).
    outcome : str
        Numeric outcome (e.g. processing days).
    unit : str
        Unit identifier; errors are clustered on it.
    period : str
        Period identifier (used for the fixed-effects variant).
    treated : str
        Boolean / 0-1 column: the unit's staff were trained.
    post : str
        Boolean / 0-1 column: the row is after training.
    fixed_effects : bool, default False
        ``False``: ``outcome ~ treated + post + treated:post``.
        ``True``: two-way fixed effects ``outcome ~ C(unit) + C(period) +
        treated:post`` (the main effects are absorbed). Identical estimates
        in a balanced 2x2 design; the FE form also handles staggered
        periods with a common ``post`` definition per unit.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    DiDResult

    Notes
    -----
    OLS with cluster-robust (CR1) errors by unit and Student-t inference on
    ``units - 1`` degrees of freedom (statsmodels ``cov_type="cluster"``,
    ``use_t=True``), following Bertrand, Duflo & Mullainathan (2004, QJE
    119:249-275) on serially correlated DiD errors. Rows with any missing
    used value are dropped first so clusters stay aligned with rows.
    """
    ci = check_ci(ci)
    require_columns(df, [outcome, unit, period, treated, post], "difference_in_differences")
    data = df.loc[:, list(dict.fromkeys([outcome, unit, period, treated, post]))].dropna()
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise TypeError(f"outcome {outcome!r} must be numeric")
    d_treated = binary_column(data[treated], treated)
    d_post = binary_column(data[post], post)
    if d_treated.nunique() < 2 or d_post.nunique() < 2:
        raise ValueError("need both treated and comparison units, and both pre and post periods")
    interaction = (d_treated * d_post).rename("treated_x_post")

    if fixed_effects:
        unit_fe = pd.get_dummies(data[unit].astype(str), prefix="unit", drop_first=True, dtype=float)
        period_fe = pd.get_dummies(data[period].astype(str), prefix="period", drop_first=True, dtype=float)
        x = pd.concat([pd.Series(1.0, index=data.index, name="const"), unit_fe, period_fe, interaction], axis=1)
        label = "two-way fixed effects (unit, period)"
    else:
        x = pd.concat(
            [pd.Series(1.0, index=data.index, name="const"), d_treated.rename("treated"), d_post.rename("post"), interaction],
            axis=1,
        )
        label = "outcome ~ treated + post + treated:post"
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise ValueError("design matrix is rank deficient; check that treatment varies within periods")

    groups = pd.factorize(data[unit])[0]
    n_units = int(groups.max() + 1)
    if n_units < 2:
        raise ValueError("need at least two units for cluster-robust errors")
    fit = sm.OLS(data[outcome].astype(float), x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    conf = fit.conf_int(alpha=1.0 - ci)
    term = "treated_x_post"
    n_treated_units = int(data.loc[d_treated == 1, unit].nunique())
    note = ""
    if n_units < 20:
        note = f"only {n_units} units: cluster-robust standard errors may be too small"
    return DiDResult(
        estimate=float(fit.params[term]),
        se=float(fit.bse[term]),
        ci_low=float(conf.loc[term, 0]),
        ci_high=float(conf.loc[term, 1]),
        p_value=float(fit.pvalues[term]),
        n=int(len(data)),
        n_units=n_units,
        n_treated_units=n_treated_units,
        df_inference=n_units - 1,
        method=f"difference-in-differences, {label}; OLS with CR1 cluster-robust SE by {unit!r}, t on units-1 df",
        note=note,
    )


def difference_series_did(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    period: str,
    treated: str,
    post: str,
    maxlags: int | None = None,
    ci: float = 0.95,
) -> DiDResult:
    """Difference-in-differences for few units: HAC errors on the treated-minus-comparison series.

    With one trained unit and one comparison unit (the usual case for a regional service
    office), clustering by unit leaves one degree of freedom and a meaningless standard
    error. Instead, average the treated units and the comparison units per period, take the
    difference ``d_t``, and fit ``d_t = a + b * post_t`` by OLS with Newey-West (Bartlett)
    errors, as for an interrupted time series (Lopez Bernal et al. 2017). In a balanced
    panel ``b`` equals the 2x2 difference-in-differences estimate; its standard error allows
    for serial correlation within the series (Bertrand, Duflo & Mullainathan 2004).

    ``maxlags`` defaults to floor(4 (T/100)^(2/9)) for T periods (Newey & West 1994).
    """
    ci = check_ci(ci)
    require_columns(df, [outcome, unit, period, treated, post], "difference_series_did")
    data = df.loc[:, list(dict.fromkeys([outcome, unit, period, treated, post]))].dropna()
    d_treated = binary_column(data[treated], treated)
    d_post = binary_column(data[post], post)
    if d_treated.nunique() < 2:
        raise ValueError("need both treated and comparison units")
    data = data.assign(_treated=d_treated, _post=d_post)
    means = data.groupby([period, "_treated"])[outcome].mean().unstack("_treated").dropna()
    post_by_period = data[data["_treated"] == 1].groupby(period)["_post"].max().reindex(means.index)
    diff = (means[1.0] - means[0.0]).astype(float)
    if post_by_period.nunique() < 2:
        raise ValueError("need periods both before and after training")
    n_periods = len(diff)
    lags = int(np.floor(4 * (n_periods / 100) ** (2 / 9))) if maxlags is None else int(maxlags)
    x = pd.DataFrame({"const": 1.0, "post": post_by_period.astype(float)}, index=diff.index)
    fit = sm.OLS(diff, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    conf = fit.conf_int(alpha=1.0 - ci)
    return DiDResult(
        estimate=float(fit.params["post"]),
        se=float(fit.bse["post"]),
        ci_low=float(conf.loc["post", 0]),
        ci_high=float(conf.loc["post", 1]),
        p_value=float(fit.pvalues["post"]),
        n=int(len(data)),
        n_units=int(data[unit].nunique()),
        n_treated_units=int(data.loc[data["_treated"] == 1, unit].nunique()),
        df_inference=n_periods - 2,
        method=f"difference-in-differences on the treated-minus-comparison series ({n_periods} periods); "
               f"OLS with Newey-West HAC SE (Bartlett, maxlags={lags}), z-based CI",
        note="",
    )
