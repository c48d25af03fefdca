"""Learning outcomes (Kirkpatrick Level 2, Pembelajaran): pre/post tests."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ._common import (
    RowResult,
    check_ci,
    t_interval,
)

__all__ = [
    "PairedEffect",
    "dz_confidence_interval",
    "paired_effect",
]


@dataclass(frozen=True)
class PairedEffect(RowResult):
    """Pre/post comparison of the same participants.

    Differences are ``post - pre``, so a drop gives negative values.

    Attributes
    ----------
    n : int
        Complete pairs used.
    mean_pre, mean_post, mean_diff, sd_diff : float
        Means of both occasions, mean and SD (ddof=1) of the differences.
    diff_ci_low, diff_ci_high : float
        Student-t confidence interval of the mean difference.
    t, df, p_value : float
        Paired t-test (two-sided).
    wilcoxon_w, wilcoxon_p : float
        Wilcoxon signed-rank statistic (the smaller rank sum, SciPy's
        convention) and two-sided p; zero differences dropped (Wilcoxon).
    d_z, d_av, g_av : float
        Standardised effects per Lakens (2013).
    ci_low, ci_high : float
        Confidence interval of ``d_z`` (noncentral t inversion).
    normalized_gain : float
        Hake's normalised gain of the class averages.
    method : str
        Description of the computation.
    note : str
        Why some statistics are NaN or infinite, if they are.
    """

    n: int
    mean_pre: float
    mean_post: float
    mean_diff: float
    sd_diff: float
    diff_ci_low: float
    diff_ci_high: float
    t: float
    df: float
    p_value: float
    wilcoxon_w: float
    wilcoxon_p: float
    d_z: float
    d_av: float
    g_av: float
    ci_low: float
    ci_high: float
    normalized_gain: float
    method: str
    note: str = ""


def dz_confidence_interval(d_z: float, n: int, ci: float = 0.95) -> tuple[float, float]:
    """Confidence interval of Cohen's d_z by inverting the noncentral t distribution.

    The observed ``t = d_z * sqrt(n)`` follows a noncentral t with ``n - 1``
    degrees of freedom and noncentrality ``delta * sqrt(n)``. The bounds are
    the noncentralities at which the observed t is the upper / lower
    ``(1 - ci)/2`` quantile, divided by ``sqrt(n)`` (Steiger & Fouladi,
    1997; Cumming & Finch, 2001). Returns NaNs when ``n < 2`` or d_z is
    not finite.
    """
    ci = check_ci(ci)
    if n < 2 or not np.isfinite(d_z):
        return (math.nan, math.nan)
    df = n - 1
    t_obs = d_z * math.sqrt(n)
    tail = (1.0 - ci) / 2.0

    def solve(target: float) -> float:
        def fn(ncp: float) -> float:
            value = stats.nct.cdf(t_obs, df, ncp)
            if not np.isfinite(value):
                # SciPy's nct can return NaN far in the tails; the cdf there is 0 or 1.
                value = 0.0 if ncp > t_obs else 1.0
            return value - target

        # nct.cdf(t_obs; ncp) decreases in ncp. Start from a bracket a few large-sample
        # standard errors wide (sd of t is about sqrt(1 + t^2 / (2 df))) and widen.
        width = 10.0 * math.sqrt(1.0 + t_obs**2 / (2.0 * df))
        lo, hi = t_obs - width, t_obs + width
        for _ in range(60):
            if fn(lo) > 0 > fn(hi):
                break
            width *= 2.0
            lo, hi = t_obs - width, t_obs + width
        return optimize.brentq(fn, lo, hi, xtol=1e-12, rtol=1e-12)

    ncp_low = solve(1.0 - tail)
    ncp_high = solve(tail)
    return (ncp_low / math.sqrt(n), ncp_high / math.sqrt(n))


def paired_effect(
    pre: Sequence[float] | pd.Series | np.ndarray,
    post: Sequence[float] | pd.Series | np.ndarray,
    ci: float = 0.95,
    max_score: float = 100.0,
) -> PairedEffect:
    """Compare pre- and post-test scores of the same participants.

    Parameters
    ----------
    pre, post : array-like
        Scores in the same participant order (positional; pandas indexes
        are ignored). A pair with a missing value on either side is dropped.
    ci : float, default 0.95
        Confidence level for the mean difference and for d_z.
    max_score : float, default 100
        Maximum attainable score, used by the normalised gain.

    Returns
    -------
    PairedEffect

    Notes
    -----
    Formulas (Lakens, 2013, Frontiers in Psychology 4:863, eqs. 6-10):

    - ``d_z = mean_diff / sd_diff`` (= t / sqrt(n));
    - ``d_av = mean_diff / ((sd_pre + sd_post) / 2)``;
    - ``g_av = d_av * J`` with Hedges' small-sample factor as Lakens (2013)
      applies it to d_av, ``J = 1 - 3 / (4 (2n) - 9)`` (the two occasions'
      2n scores, as for independent groups of n each): his worked example
      reports g_av = 1.08 for d_av = 1.13 and n = 10. (A paired-df variant,
      ``1 - 3 / (4 (n - 1) - 1)``, would give 1.03.)
    - CI of d_z: noncentral t inversion (:func:`dz_confidence_interval`).
    - Hake (1998) normalised gain of class averages:
      ``(mean_post - mean_pre) / (max_score - mean_pre)``.

    Edge cases, all without raising: fewer than two pairs gives NaN for
    every statistic except n and the means. When every difference is the
    same (sd_diff = 0), t and d_z are +/-inf if that difference is non-zero
    and NaN if it is zero; their p-value follows (0 or NaN) and the d_z CI
    is NaN. A class already at ``max_score`` has NaN normalised gain.

    Examples
    --------
    >>> r = paired_effect([60, 55, 70, 65], [70, 60, 80, 66])
    >>> r.n, r.mean_diff
    (4, 6.5)
    """
    ci = check_ci(ci)
    pre_arr = np.asarray(pre, dtype=float).ravel()
    post_arr = np.asarray(post, dtype=float).ravel()
    if pre_arr.shape != post_arr.shape:
        raise ValueError(f"pre and post must have the same length ({pre_arr.size} != {post_arr.size})")
    keep = np.isfinite(pre_arr) & np.isfinite(post_arr)
    pre_arr, post_arr = pre_arr[keep], post_arr[keep]
    n = int(pre_arr.size)
    diff = post_arr - pre_arr
    nan = math.nan

    mean_pre = float(pre_arr.mean()) if n else nan
    mean_post = float(post_arr.mean()) if n else nan
    mean_diff = float(diff.mean()) if n else nan
    denom_gain = max_score - mean_pre
    gain = (mean_post - mean_pre) / denom_gain if n and denom_gain != 0 else nan
    method = (
        f"paired t-test; Wilcoxon signed-rank; d_z, d_av, g_av (Lakens 2013); "
        f"d_z {ci:.0%} CI by noncentral t inversion; Hake normalised gain"
    )
    if n < 2:
        return PairedEffect(
            n,
            mean_pre,
            mean_post,
            mean_diff,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            nan,
            gain,
            method,
            note="fewer than two complete pairs",
        )

    notes = []
    sd_diff = float(diff.std(ddof=1))
    df = n - 1
    diff_low, diff_high = t_interval(mean_diff, sd_diff, n, ci)
    if sd_diff > 0:
        t_stat = mean_diff / (sd_diff / math.sqrt(n))
        p_value = float(2.0 * stats.t.sf(abs(t_stat), df))
        d_z = mean_diff / sd_diff
    else:
        notes.append("all differences are equal (sd_diff = 0): t and d_z are infinite or undefined")
        t_stat = math.copysign(math.inf, mean_diff) if mean_diff != 0 else nan
        p_value = 0.0 if mean_diff != 0 else nan
        d_z = t_stat
    ci_low, ci_high = dz_confidence_interval(d_z, n, ci)

    sd_pre = float(pre_arr.std(ddof=1))
    sd_post = float(post_arr.std(ddof=1))
    sd_av = (sd_pre + sd_post) / 2.0
    if sd_av > 0:
        d_av = mean_diff / sd_av
    else:
        notes.append("pre and post scores have no spread: d_av undefined")
        d_av = nan if mean_diff == 0 else math.copysign(math.inf, mean_diff)
    hedges_j = 1.0 - 3.0 / (4.0 * (2 * n) - 9.0)
    g_av = d_av * hedges_j

    if np.any(diff != 0):
        with warnings.catch_warnings():
            # SciPy warns about ties/zeros and switches to the normal approximation;
            # that is the documented behaviour we want, not something to surface.
            warnings.simplefilter("ignore")
            w = stats.wilcoxon(diff, zero_method="wilcox", alternative="two-sided")
        wilcoxon_w, wilcoxon_p = float(w.statistic), float(w.pvalue)
    else:
        notes.append("all differences are zero: Wilcoxon test undefined")
        wilcoxon_w, wilcoxon_p = nan, nan

    return PairedEffect(
        n=n,
        mean_pre=mean_pre,
        mean_post=mean_post,
        mean_diff=mean_diff,
        sd_diff=sd_diff,
        diff_ci_low=diff_low,
        diff_ci_high=diff_high,
        t=float(t_stat),
        df=float(df),
        p_value=p_value,
        wilcoxon_w=wilcoxon_w,
        wilcoxon_p=wilcoxon_p,
        d_z=float(d_z),
        d_av=float(d_av),
        g_av=float(g_av),
        ci_low=ci_low,
        ci_high=ci_high,
        normalized_gain=gain,
        method=method,
        note="; ".join(notes),
    )
