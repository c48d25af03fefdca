"""Interrupted time series of counts: segmented (quasi-)Poisson regression with an offset."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from ._common import Result, check_ci
from .its import _check_segments, _design, _prepare


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
