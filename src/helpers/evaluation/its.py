"""Interrupted time series (Kirkpatrick Level 4, Hasil): segmented regression."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ._common import Result, check_ci

__all__ = [
    "ITSRateResult",
    "ITSResult",
    "newey_west_maxlags",
    "segmented_poisson",
    "segmented_regression",
]


@dataclass(frozen=True, eq=False)
class ITSResult(Result):
    """Segmented-regression estimates of an interruption.

    Attributes
    ----------
    level_change, level_se, level_p, level_ci_low, level_ci_high : float
        Coefficient of the post-period indicator (see Notes of
        :func:`segmented_regression` for exactly which gap it measures).
    slope_change, slope_se, slope_p, slope_ci_low, slope_ci_high : float
        Change in slope per time unit after the interruption.
    pre_slope, pre_slope_se : float
        Slope per time unit before the interruption.
    post_slope : float
        ``pre_slope + slope_change``.
    n, n_pre, n_post : int
        Observations used, before and from ``start``.
    t0 : float
        Last observed period before ``start`` (centre of the slope term).
    maxlags : int
        Newey-West truncation lag.
    seasonal : int
        Number of sine/cosine pairs in the model.
    method : str
        Description of the computation.
    fitted : pandas.Series
        Fitted values indexed by time.
    counterfactual : pandas.Series
        The pre-interruption trend (and seasonality) extended over all
        periods, indexed by time; equal to ``fitted`` before ``start``.
    """

    level_change: float
    level_se: float
    level_p: float
    level_ci_low: float
    level_ci_high: float
    slope_change: float
    slope_se: float
    slope_p: float
    slope_ci_low: float
    slope_ci_high: float
    pre_slope: float
    pre_slope_se: float
    post_slope: float
    n: int
    n_pre: int
    n_post: int
    t0: float
    maxlags: int
    seasonal: int
    method: str
    fitted: pd.Series = field(repr=False)
    counterfactual: pd.Series = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy table of the pre-slope, level and slope change."""
        rows = [
            ("pre_slope", self.pre_slope, self.pre_slope_se, math.nan, math.nan, math.nan),
            ("level_change", self.level_change, self.level_se, self.level_ci_low, self.level_ci_high, self.level_p),
            ("slope_change", self.slope_change, self.slope_se, self.slope_ci_low, self.slope_ci_high, self.slope_p),
        ]
        return pd.DataFrame(rows, columns=["term", "estimate", "se", "ci_low", "ci_high", "p_value"])


@dataclass(frozen=True, eq=False)
class ITSRateResult(Result):
    """Poisson / quasi-Poisson segmented regression of counts, as rate ratios.

    Attributes
    ----------
    level_rr, level_rr_ci_low, level_rr_ci_high, level_p : float
        Rate ratio of the step at the interruption.
    slope_rr, slope_rr_ci_low, slope_rr_ci_high, slope_p : float
        Rate ratio of the change in trend per time unit (NaN if the model
        has no slope change).
    pre_trend_rr : float
        Rate ratio per time unit before the interruption.
    dispersion : float
        Pearson dispersion used to scale the errors (1 for plain Poisson).
    n, n_pre, n_post : int
        Observations used, before and from ``start``.
    t0 : float
        Last observed period before ``start``.
    seasonal : int
        Number of sine/cosine pairs.
    method : str
        Description of the computation.
    fitted, counterfactual : pandas.Series
        Expected counts (with the offset), and the same without the
        interruption terms, indexed by time.
    """

    level_rr: float
    level_rr_ci_low: float
    level_rr_ci_high: float
    level_p: float
    slope_rr: float
    slope_rr_ci_low: float
    slope_rr_ci_high: float
    slope_p: float
    pre_trend_rr: float
    dispersion: float
    n: int
    n_pre: int
    n_post: int
    t0: float
    seasonal: int
    method: str
    fitted: pd.Series = field(repr=False)
    counterfactual: pd.Series = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Return a tidy table of the rate ratios."""
        rows = [
            ("level_change", self.level_rr, self.level_rr_ci_low, self.level_rr_ci_high, self.level_p),
            ("slope_change", self.slope_rr, self.slope_rr_ci_low, self.slope_rr_ci_high, self.slope_p),
        ]
        return pd.DataFrame(rows, columns=["term", "rate_ratio", "ci_low", "ci_high", "p_value"])


def newey_west_maxlags(n: int) -> int:
    """Newey-West (1994) rule of thumb ``floor(4 (n/100)^(2/9))`` for the HAC lag."""
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def _numeric_time(time: pd.Series, start: Any) -> tuple[pd.Series, float]:
    """Map time (numbers or pandas Periods) and ``start`` onto a numeric axis."""
    if isinstance(time.dtype, pd.PeriodDtype):
        freq = time.dtype.freq
        start_period = start if isinstance(start, pd.Period) else pd.Period(start, freq=freq)
        numeric = pd.Series([p.ordinal for p in time], index=time.index, dtype=float)
        return numeric, float(start_period.ordinal)
    if not pd.api.types.is_numeric_dtype(time):
        raise TypeError("time must be numeric (e.g. 1, 2, 3, ...) or a pandas Period series")
    return time.astype(float), float(start)


def _as_series(values: Any) -> pd.Series:
    """Positional series (pandas indexes are ignored, like NumPy input)."""
    if isinstance(values, pd.Series):
        return values.reset_index(drop=True)
    return pd.Series(np.asarray(values))


def _prepare(y: Any, time: Any, start: Any, exposure: Any = None) -> tuple[pd.DataFrame, float]:
    """Align inputs, drop periods with a missing outcome, sort by time."""
    y_s = _as_series(y).astype(float)
    t_s = _as_series(time)
    if len(y_s) != len(t_s):
        raise ValueError(f"y and time must have the same length ({len(y_s)} != {len(t_s)})")
    t_num, start_num = _numeric_time(t_s, start)
    data = pd.DataFrame({"y": y_s, "t": t_num, "label": t_s})
    if exposure is not None:
        e_s = _as_series(exposure).astype(float)
        if len(e_s) != len(y_s):
            raise ValueError(f"exposure must have the same length as the counts ({len(e_s)} != {len(y_s)})")
        data["exposure"] = e_s
    data = data[np.isfinite(data["y"]) & np.isfinite(data["t"])].sort_values("t", kind="stable")
    if data["t"].duplicated().any():
        raise ValueError("time has duplicated periods; aggregate to one value per period first")
    return data.reset_index(drop=True), start_num


def _design(t: pd.Series, start: float, t0: float, seasonal: int, period: float, slope: bool = True) -> pd.DataFrame:
    post = (t >= start).astype(float)
    x = pd.DataFrame({"const": 1.0, "time": t, "post": post}, index=t.index)
    if slope:
        x["time_since"] = (t - t0) * post
    for k in range(1, seasonal + 1):
        angle = 2.0 * math.pi * k * t / period
        x[f"sin{k}"] = np.sin(angle)
        x[f"cos{k}"] = np.cos(angle)
    return x


def _check_segments(data: pd.DataFrame, start: float, n_params: int) -> tuple[int, int, float]:
    pre = data["t"] < start
    n_pre, n_post = int(pre.sum()), int((~pre).sum())
    if n_pre < 2 or n_post < 1:
        raise ValueError(f"need at least two periods before and one from start; got {n_pre} and {n_post}")
    if len(data) <= n_params:
        raise ValueError(f"{len(data)} observations cannot identify {n_params} parameters")
    return n_pre, n_post, float(data.loc[pre, "t"].max())


def segmented_regression(
    y: Sequence[float] | pd.Series,
    time: Sequence[float] | pd.Series,
    start: Any,
    maxlags: int | None = None,
    seasonal: int = 0,
    period: float = 12.0,
    ci: float = 0.95,
) -> ITSResult:
    """Fit an interrupted-time-series segmented regression with Newey-West errors.

    Model: ``y = b0 + b1*t + b2*post + b3*(t - t0)*post [+ seasonal terms]``,
    ``post = (t >= start)``, fitted by OLS; inference uses Newey-West HAC
    standard errors with Bartlett weights ``1 - j/(maxlags + 1)``, no
    small-sample correction, and normal (z) quantiles
    (statsmodels ``cov_type="HAC"``, ``use_correction=False``).

    Parameters
    ----------
    y : array-like
        Outcome per period (e.g. mean processing days per month). Missing
        values are dropped.
    time : array-like
        Period index: equally spaced numbers (1, 2, ...) or a pandas Period
        series (e.g. monthly ``2024-03``).
    start : number or Period-like
        First period in which the intervention is in force.
    maxlags : int, optional
        HAC truncation lag; default :func:`newey_west_maxlags` of n.
    seasonal : int, default 0
        Number of Fourier pairs ``sin/cos(2*pi*k*t/period)``, k = 1..seasonal
        (Lopez Bernal et al. use 2 pairs with period 12 for monthly data).
    period : float, default 12
        Length of the seasonal cycle in time units.
    ci : float, default 0.95
        Confidence level.

    Returns
    -------
    ITSResult

    Notes
    -----
    ``t0`` is the last observed period before ``start``, the convention of
    Lopez Bernal, Cummins & Gasparrini (2017, Int J Epidemiol 46:348-355)
    whose published code models the slope change as ``I(time-36):smokban``
    with the ban in force from time 37. Consequently ``b2`` (``level_change``)
    is the gap between the post-period line and the extended pre-trend at
    ``t0``; at the first post period (``t0 + 1`` for consecutive data) the
    gap is ``b2 + b3``. Other texts centre on ``start`` instead (then b2 is
    the gap at the first post period); the two agree when there is no
    slope change. Newey & West (1987) errors assume consecutive, equally
    spaced periods: gaps from dropped missing values shorten the lags.
    """
    ci = check_ci(ci)
    data, start_num = _prepare(y, time, start)
    n_params = 4 + 2 * int(seasonal)
    n_pre, n_post, t0 = _check_segments(data, start_num, n_params)
    n = len(data)
    lags = newey_west_maxlags(n) if maxlags is None else int(maxlags)
    if lags < 0:
        raise ValueError("maxlags must be >= 0")

    x = _design(data["t"], start_num, t0, int(seasonal), period)
    fit = sm.OLS(data["y"], x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    conf = fit.conf_int(alpha=1.0 - ci)

    cf_x = x.copy()
    cf_x[["post", "time_since"]] = 0.0
    index = pd.Index(data["label"], name="time")
    fitted = pd.Series(fit.fittedvalues.to_numpy(), index=index, name="fitted")
    counterfactual = pd.Series(cf_x.to_numpy() @ fit.params.to_numpy(), index=index, name="counterfactual")

    params, bse, pvalues = fit.params, fit.bse, fit.pvalues
    return ITSResult(
        level_change=float(params["post"]),
        level_se=float(bse["post"]),
        level_p=float(pvalues["post"]),
        level_ci_low=float(conf.loc["post", 0]),
        level_ci_high=float(conf.loc["post", 1]),
        slope_change=float(params["time_since"]),
        slope_se=float(bse["time_since"]),
        slope_p=float(pvalues["time_since"]),
        slope_ci_low=float(conf.loc["time_since", 0]),
        slope_ci_high=float(conf.loc["time_since", 1]),
        pre_slope=float(params["time"]),
        pre_slope_se=float(bse["time"]),
        post_slope=float(params["time"] + params["time_since"]),
        n=n,
        n_pre=n_pre,
        n_post=n_post,
        t0=t0,
        maxlags=lags,
        seasonal=int(seasonal),
        method=(
            f"segmented OLS (Lopez Bernal et al. 2017 parametrisation), Newey-West HAC SE "
            f"(Bartlett, maxlags={lags}, no small-sample correction), z-based {ci:.0%} CI"
            + (f", {seasonal} Fourier pair(s) period {period:g}" if seasonal else "")
        ),
        fitted=fitted,
        counterfactual=counterfactual,
    )


def segmented_poisson(
    counts: Sequence[float] | pd.Series,
    time: Sequence[float] | pd.Series,
    start: Any,
    exposure: Sequence[float] | pd.Series | None = None,
    seasonal: int = 0,
    period: float = 12.0,
    slope_change: bool = True,
    quasi: bool = True,
    ci: float = 0.95,
) -> ITSRateResult:
    """Fit a (quasi-)Poisson segmented regression of counts with a log-exposure offset.

    Model: ``log E[count] = log(exposure) + b0 + b1*t + b2*post
    [+ b3*(t - t0)*post] [+ seasonal terms]``; results are rate ratios
    ``exp(b)``. With ``quasi=True`` the standard errors are scaled by the
    Pearson dispersion ``X2 / (n - p)``, as R's ``family=quasipoisson``
    does; Wald intervals use normal quantiles (as ``Epi::ci.exp``).

    Parameters
    ----------
    counts : array-like
        Event counts per period (e.g. complaints received).
    time, start, seasonal, period, ci
        As in :func:`segmented_regression`.
    exposure : array-like, optional
        Population or cases at risk per period; its log is the offset.
    slope_change : bool, default True
        Include the ``(t - t0)*post`` term. Lopez Bernal et al.'s main model
        is a step change only (``slope_change=False``).
    quasi : bool, default True
        Scale errors for overdispersion.

    Returns
    -------
    ITSRateResult

    Notes
    -----
    Reproduces the worked example of Lopez Bernal, Cummins & Gasparrini
    (2017): Sicilian acute coronary events, smoking ban from time 37,
    ``aces ~ offset(log(stdpop)) + smokban + time + harmonic(month, 2, 12)``
    with ``family=quasipoisson``. No autocorrelation correction is applied.
    """
    ci = check_ci(ci)
    data, start_num = _prepare(counts, time, start, exposure)
    if exposure is None:
        data["exposure"] = 1.0
    if (data["y"] < 0).any() or not np.allclose(data["y"], np.round(data["y"])):
        raise ValueError("counts must be non-negative integers")
    if (data["exposure"] <= 0).any():
        raise ValueError("exposure must be positive")

    n_params = 3 + int(slope_change) + 2 * int(seasonal)
    n_pre, n_post, t0 = _check_segments(data, start_num, n_params)
    x = _design(data["t"], start_num, t0, int(seasonal), period, slope=slope_change)
    offset = np.log(data["exposure"].to_numpy())
    model = sm.GLM(data["y"], x, family=sm.families.Poisson(), offset=offset)
    fit = model.fit(scale="X2" if quasi else None)
    conf = fit.conf_int(alpha=1.0 - ci)

    def rr(term: str) -> tuple[float, float, float, float]:
        if term not in fit.params.index:
            return (math.nan, math.nan, math.nan, math.nan)
        return (
            float(np.exp(fit.params[term])),
            float(np.exp(conf.loc[term, 0])),
            float(np.exp(conf.loc[term, 1])),
            float(fit.pvalues[term]),
        )

    cf_x = x.copy()
    cf_x[[c for c in ("post", "time_since") if c in cf_x]] = 0.0
    index = pd.Index(data["label"], name="time")
    fitted = pd.Series(fit.fittedvalues.to_numpy(), index=index, name="fitted")
    counterfactual = pd.Series(
        np.exp(cf_x.to_numpy() @ fit.params.to_numpy() + offset), index=index, name="counterfactual"
    )
    level, slope = rr("post"), rr("time_since")
    return ITSRateResult(
        level_rr=level[0],
        level_rr_ci_low=level[1],
        level_rr_ci_high=level[2],
        level_p=level[3],
        slope_rr=slope[0],
        slope_rr_ci_low=slope[1],
        slope_rr_ci_high=slope[2],
        slope_p=slope[3],
        pre_trend_rr=float(np.exp(fit.params["time"])),
        dispersion=float(fit.scale),
        n=len(data),
        n_pre=n_pre,
        n_post=n_post,
        t0=t0,
        seasonal=int(seasonal),
        method=(
            f"{'quasi-' if quasi else ''}Poisson segmented regression with log-exposure offset"
            + ("" if slope_change else " (step change only)")
            + (f", {seasonal} Fourier pair(s) period {period:g}" if seasonal else "")
            + f", Wald {ci:.0%} CI"
        ),
        fitted=fitted,
        counterfactual=counterfactual,
    )
