"""Results level: interrupted time series.

Independent references: a REML log-likelihood written with the full AR(1) covariance matrix,
statsmodels GLS at a given AR(1) correlation matrix, the Kenward & Roger (1997) covariance
adjustment written out with finite-difference derivatives, a hand-written IRLS quasi-Poisson
fit, the published rate ratio of Lopez Bernal, Cummins & Gasparrini (2017), and planted
effects in simulated series (including a coverage check).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from helpers.evaluation import newey_west_maxlags, segmented_poisson, segmented_regression

SICILY = Path(__file__).parent / "reference" / "sicily_acute_coronary_events.csv"


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    data = pd.read_csv(SICILY)
    data["rate"] = data["aces"] / data["stdpop"] * 1e5
    return data


def _design(t, start, t0, harmonics):
    post = (t >= start).astype(float)
    cols = [np.ones_like(t), t, post, (t - t0) * post]
    for k in range(1, harmonics + 1):
        cols += [np.sin(2 * np.pi * k * t / 12), np.cos(2 * np.pi * k * t / 12)]
    return np.column_stack(cols)


def _ar1_corr(t, rho):
    """Stationary AR(1) correlation rho^|t_i - t_j| on the observed periods (gaps included)."""
    return rho ** np.abs(np.subtract.outer(t, t))


def _reml_loglik(rho, y, x, t):
    """REML log-likelihood with sigma^2 profiled out, from the full covariance matrix (Harville 1977):
    -1/2 [(n-k) log s2 + log|R| + log|X'R^-1X|], s2 = (y-Xb)'R^-1(y-Xb)/(n-k).
    """
    n, k = x.shape
    r_inv = np.linalg.inv(_ar1_corr(t, rho))
    xtx = x.T @ r_inv @ x
    b = np.linalg.solve(xtx, x.T @ r_inv @ y)
    e = y - x @ b
    s2 = e @ r_inv @ e / (n - k)
    return -0.5 * ((n - k) * np.log(s2) + np.linalg.slogdet(_ar1_corr(t, rho))[1] + np.linalg.slogdet(xtx)[1])


def _kenward_roger_reference(x, t, rho, s2, h=1e-6):
    """Kenward & Roger (1997) adjusted covariance without the second-derivative term (their 2009
    first-order form), with dV/dtheta by central differences, theta = (sigma^2, rho):
    Phi_A = Phi + 2 Phi [sum W_ij (Q_ij - P_i Phi P_j)] Phi, W^-1_ij = tr(Pi V_i Pi V_j)/2,
    and the df of coefficient c, 2 / (a'Wa) with a_i = (Phi P_i Phi)_cc / Phi_cc.
    """

    def v(theta):
        return theta[0] * _ar1_corr(t, theta[1])

    theta = np.array([s2, rho])
    steps = [np.array([h * s2, 0.0]), np.array([0.0, h])]
    dv = [(v(theta + d) - v(theta - d)) / (2 * np.linalg.norm(d)) for d in steps]
    vi = np.linalg.inv(v(theta))
    phi = np.linalg.inv(x.T @ vi @ x)
    proj = vi - vi @ x @ phi @ x.T @ vi
    w = np.linalg.inv(np.array([[0.5 * np.trace(proj @ a @ proj @ b) for b in dv] for a in dv]))
    p = [-x.T @ vi @ a @ vi @ x for a in dv]
    lam = sum(
        w[i, j] * (x.T @ vi @ dv[i] @ vi @ dv[j] @ vi @ x - p[i] @ phi @ p[j]) for i in range(2) for j in range(2)
    )
    cov = phi + 2 * phi @ lam @ phi
    df = []
    for c in range(x.shape[1]):
        a = np.array([(phi @ pi @ phi)[c, c] for pi in p]) / phi[c, c]
        df.append(2 / (a @ w @ a))
    return cov, np.array(df)


@pytest.mark.parametrize("harmonics", [0, 2])
def test_segmented_regression_matches_reml_gls_and_kenward_roger_by_hand(sicily, harmonics):
    """Reference: on the Sicily series of Lopez Bernal et al. (2017), (1) the REML log-likelihood
    written with the full AR(1) covariance matrix is maximal at the reported rho (no grid point is
    higher, the derivative is zero); (2) statsmodels GLS with sigma = R(rho) gives the coefficients
    and the unadjusted covariance; (3) the first-order Kenward-Roger covariance and df written out
    above with finite differences give the SEs, t intervals and p-values.
    """
    t = sicily["time"].to_numpy(float)
    y = sicily["rate"].to_numpy()
    x = _design(t, 37, 36, harmonics)
    r = segmented_regression(sicily["rate"], sicily["time"], start=37, seasonal=harmonics)

    ll = _reml_loglik(r.rho, y, x, t)
    grid = np.linspace(-0.99, 0.99, 199)
    assert ll >= max(_reml_loglik(g, y, x, t) for g in grid) - 1e-9
    h = 1e-5
    assert (_reml_loglik(r.rho + h, y, x, t) - _reml_loglik(r.rho - h, y, x, t)) / (2 * h) == pytest.approx(0, abs=1e-4)

    gls = sm.GLS(y, x, sigma=_ar1_corr(t, r.rho)).fit()
    assert (r.pre_slope, r.level_change, r.slope_change) == pytest.approx(tuple(gls.params[1:4]), rel=1e-8)
    cov, df = _kenward_roger_reference(x, t, r.rho, gls.scale)
    np.testing.assert_allclose(
        np.diag(gls.cov_params()),
        np.diag(np.linalg.inv(x.T @ np.linalg.inv(gls.scale * _ar1_corr(t, r.rho)) @ x)),
        rtol=1e-8,
    )
    se = np.sqrt(np.diag(cov))
    assert (r.pre_slope_se, r.level_se, r.slope_se) == pytest.approx((se[1], se[2], se[3]), rel=1e-5)
    assert (r.level_df, r.slope_df) == pytest.approx((df[2], df[3]), rel=1e-5)
    q = stats.t.ppf(0.975, df[2])
    assert (r.level_ci_low, r.level_ci_high) == pytest.approx(
        (gls.params[2] - q * se[2], gls.params[2] + q * se[2]), rel=1e-5
    )
    assert r.slope_p == pytest.approx(2 * stats.t.sf(abs(gls.params[3] / se[3]), df[3]), rel=1e-4)
    assert (r.n, r.n_pre, r.n_post, r.t0, r.maxlags) == (59, 36, 23, 36.0, None)
    assert "AR(1)" in r.method and "Kenward-Roger" in r.method


def test_point_estimates_stay_close_to_the_ols_fit_of_lopez_bernal(sicily):
    """Reference: the OLS segmented fit (NumPy least squares) of the Sicily series, the estimator of the
    former Newey-West version. GLS at a moderate rho moves the estimates by a fraction of their SE.
    """
    t = sicily["time"].to_numpy(float)
    x = _design(t, 37, 36, 2)
    beta, *_ = np.linalg.lstsq(x, sicily["rate"].to_numpy(), rcond=None)
    r = segmented_regression(sicily["rate"], sicily["time"], start=37, seasonal=2)
    assert abs(r.level_change - beta[2]) < 0.5 * r.level_se
    assert abs(r.slope_change - beta[3]) < 0.5 * r.slope_se


def test_maxlags_is_accepted_and_ignored(sicily):
    """The report passes maxlags=<int>; the AR(1) model has no truncation lag, so results are identical."""
    a = segmented_regression(sicily["rate"], sicily["time"], start=37, maxlags=3)
    b = segmented_regression(sicily["rate"], sicily["time"], start=37)
    assert a.as_dict() == b.as_dict()


def test_slope_term_is_centred_on_last_pre_period_as_lopez_bernal(sicily):
    """Their code uses I(time-36):smokban with the ban from time 37, so the gap at 37 is b2 + b3."""
    r = segmented_regression(sicily["rate"], sicily["time"], start=37, maxlags=3)
    gap = r.fitted - r.counterfactual
    assert gap.loc[37] == pytest.approx(r.level_change + r.slope_change)
    assert gap.loc[36] == pytest.approx(0.0)
    assert gap.loc[59] == pytest.approx(r.level_change + (59 - 36) * r.slope_change)


def test_counterfactual_extends_the_pre_trend_and_equals_fitted_before_start(sicily):
    """Reference: the definition: the counterfactual drops the post terms, so before the start it is the fit."""
    r = segmented_regression(sicily["rate"], sicily["time"], start=37, seasonal=2)
    pre = r.fitted.index < 37
    pd.testing.assert_series_equal(r.fitted[pre], r.counterfactual[pre], check_names=False)
    assert len(r.counterfactual) == 59


def test_default_maxlags_follow_newey_west_rule():
    """Reference: the Newey & West (1994) rule of thumb floor(4 (n/100)^(2/9)), computed by hand."""
    assert newey_west_maxlags(59) == math.floor(4 * (59 / 100) ** (2 / 9)) == 3
    assert newey_west_maxlags(100) == 4


def test_planted_level_drop_and_slope_change_are_recovered():
    """Synthetic monthly series, AR(1) noise: truth inside the 95% CIs and estimates close."""
    rng = np.random.default_rng(17)
    n, start = 60, 31
    t = np.arange(1, n + 1, dtype=float)
    noise = np.zeros(n)
    for i in range(1, n):
        noise[i] = 0.3 * noise[i - 1] + rng.normal(0, 1.0)
    level, slope = -8.0, -0.4
    post = t >= start
    y = 50 + 0.2 * t + level * post + slope * (t - (start - 1)) * post + noise
    r = segmented_regression(y, t, start=start)
    assert r.level_ci_low < level < r.level_ci_high
    assert r.slope_ci_low < slope < r.slope_ci_high
    assert r.level_change == pytest.approx(level, abs=1.5)
    assert r.slope_change == pytest.approx(slope, abs=0.1)
    assert r.post_slope == pytest.approx(r.pre_slope + r.slope_change)


def test_monthly_periods_give_the_same_estimates_as_integer_time(sicily):
    """Reference: the fit on integer time 1..59 (checked against the hand OLS above)."""
    periods = pd.Series(pd.period_range("2002-01", periods=59, freq="M"))
    by_period = segmented_regression(sicily["rate"], periods, start="2005-01", maxlags=3, seasonal=2)
    by_index = segmented_regression(sicily["rate"], sicily["time"], start=37, maxlags=3, seasonal=2)
    assert by_period.level_change == pytest.approx(by_index.level_change)
    assert by_period.slope_se == pytest.approx(by_index.slope_se)
    assert by_period.fitted.index[0] == pd.Period("2002-01", freq="M")


def test_missing_outcome_periods_are_dropped_and_unsorted_input_is_sorted(sicily):
    """Reference: the fit on the sorted series with the blanked month removed by hand (59 - 1 = 58)."""
    shuffled = sicily.sample(frac=1.0, random_state=3)
    y = shuffled["rate"].copy()
    y.iloc[0] = np.nan
    r = segmented_regression(y, shuffled["time"], start=37, maxlags=3)
    assert r.n == 58
    assert list(r.fitted.index) == sorted(r.fitted.index)
    clean = sicily[sicily["time"] != shuffled["time"].iloc[0]]
    ref = segmented_regression(clean["rate"], clean["time"], start=37, maxlags=3)
    assert (r.level_change, r.slope_change, r.slope_se) == pytest.approx(
        (ref.level_change, ref.slope_change, ref.slope_se)
    )


def test_series_without_pre_period_is_an_error():
    with pytest.raises(ValueError, match="before"):
        segmented_regression([1.0, 2, 3, 4, 5], [1, 2, 3, 4, 5], start=2)


@pytest.mark.parametrize("start", [3, 9])
def test_fewer_than_three_periods_on_either_side_are_refused(start):
    """Two points cannot give a trend with its own noise: 3 before and 3 from the start are required."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="at least 3"):
        segmented_regression(rng.normal(size=10), np.arange(1, 11), start=start)


def test_constant_series_is_refused():
    with pytest.raises(ValueError, match="constant"):
        segmented_regression(np.full(24, 5.0), np.arange(1, 25), start=10)


def test_noise_free_series_is_fitted_exactly_with_zero_width_intervals():
    """Reference: the planted coefficients of a noiseless series (exact fit, nothing to estimate rho from)."""
    t = np.arange(1, 25, dtype=float)
    post = t >= 10
    y = 10 + 0.1 * t + np.where(post, -2.0 - 0.2 * (t - 9), 0.0)
    r = segmented_regression(y, t, start=10)
    assert (r.level_change, r.slope_change) == pytest.approx((-2.0, -0.2), abs=1e-9)
    assert r.level_se == 0 and r.level_ci_low == r.level_ci_high == r.level_change
    assert math.isnan(r.rho) and "exact fit" in r.method


def test_a_missing_month_is_a_gap_in_the_error_correlation(sicily):
    """Reference: the full-matrix REML likelihood with corr = rho^|t_i - t_j| on the periods left
    after removing month 20 (so months 19 and 21 are two steps apart), and statsmodels GLS."""
    kept = sicily[sicily["time"] != 20]
    t = kept["time"].to_numpy(float)
    y = kept["rate"].to_numpy()
    x = _design(t, 37, 36, 0)
    r = segmented_regression(kept["rate"], kept["time"], start=37)
    grid = np.linspace(-0.99, 0.99, 199)
    assert _reml_loglik(r.rho, y, x, t) >= max(_reml_loglik(g, y, x, t) for g in grid) - 1e-9
    gls = sm.GLS(y, x, sigma=_ar1_corr(t, r.rho)).fit()
    assert r.level_change == pytest.approx(gls.params[2], rel=1e-8)
    cov, _ = _kenward_roger_reference(x, t, r.rho, gls.scale)
    assert r.level_se == pytest.approx(math.sqrt(cov[2, 2]), rel=1e-5)


def _ar1(rng, n, phi):
    e = rng.normal(0, 1, n)
    u = np.empty(n)
    u[0] = e[0] / math.sqrt(1 - phi**2)
    for i in range(1, n):
        u[i] = phi * u[i - 1] + e[i]
    return u


def test_intervals_cover_planted_changes_in_short_autocorrelated_series():
    """Reference: the planted level (-2) and slope (-0.1) changes in 300 simulated 36-month series with
    stationary AR(1) noise (phi 0.4), interruption after month 12-18. The former Newey-West z intervals
    covered about 75% here; 95% intervals must cover at least 91% (Monte Carlo s.e. about 1.3%).
    """
    rng = np.random.default_rng(2024)
    n, reps = 36, 300
    t = np.arange(1, n + 1, dtype=float)
    level_hits = slope_hits = 0
    for _ in range(reps):
        n_pre = int(rng.integers(12, 19))
        post = t > n_pre
        y = 10 + 0.1 * t + np.where(post, -2.0 - 0.1 * (t - n_pre), 0.0) + _ar1(rng, n, 0.4)
        r = segmented_regression(y, t, start=n_pre + 1, maxlags=3)
        level_hits += r.level_ci_low <= -2.0 <= r.level_ci_high
        slope_hits += r.slope_ci_low <= -0.1 <= r.slope_ci_high
    assert 0.91 <= level_hits / reps <= 0.99
    assert 0.91 <= slope_hits / reps <= 0.99


def test_as_dict_and_to_frame_are_report_ready(sicily):
    r = segmented_regression(sicily["rate"], sicily["time"], start=37)
    d = r.as_dict()
    assert "fitted" not in d and d["n"] == 59 and isinstance(d["level_change"], float)
    assert list(r.to_frame()["term"]) == ["pre_slope", "level_change", "slope_change"]


def _irls_poisson(x, y, offset, iters=50):
    """Fisher scoring for a log-link Poisson GLM with an offset (McCullagh & Nelder 1989)."""
    beta = np.zeros(x.shape[1])
    beta[0] = np.log(y.sum() / np.exp(offset).sum())
    for _ in range(iters):
        mu = np.exp(x @ beta + offset)
        z = x @ beta + (y - mu) / mu
        beta = np.linalg.solve(x.T @ (mu[:, None] * x), x.T @ (mu * z))
    mu = np.exp(x @ beta + offset)
    return beta, mu, np.linalg.inv(x.T @ (mu[:, None] * x))


def test_quasi_poisson_reproduces_lopez_bernal_2017_rate_ratio(sicily):
    """Published (IJE 2017, seasonally adjusted quasi-Poisson step model): RR 0.885.

    Model as in their code: aces ~ offset(log(stdpop)) + smokban + time + harmonic(month, 2, 12),
    family = quasipoisson. The interval is checked against a hand-written IRLS fit with the
    Pearson dispersion X2/(n-p) and Wald normal quantiles (R's summary.glm + Epi::ci.exp).
    """
    r = segmented_poisson(
        sicily["aces"], sicily["time"], start=37, exposure=sicily["stdpop"], seasonal=2, slope_change=False
    )
    assert round(r.level_rr, 3) == 0.885

    t = sicily["time"].to_numpy(float)
    post = (t >= 37).astype(float)
    month = sicily["month"].to_numpy(float)
    x = np.column_stack(
        [np.ones_like(t), t, post] + [f(2 * np.pi * k * month / 12) for k in (1, 2) for f in (np.sin, np.cos)]
    )
    y = sicily["aces"].to_numpy(float)
    beta, mu, inv_info = _irls_poisson(x, y, np.log(sicily["stdpop"].to_numpy()))
    phi = np.sum((y - mu) ** 2 / mu) / (len(y) - x.shape[1])
    se = math.sqrt(phi * inv_info[2, 2])
    assert r.dispersion == pytest.approx(phi, rel=1e-6)
    assert r.level_rr == pytest.approx(math.exp(beta[2]), rel=1e-8)
    z = stats.norm.ppf(0.975)
    assert r.level_rr_ci_low == pytest.approx(math.exp(beta[2] - z * se), rel=1e-6)
    assert r.level_rr_ci_high == pytest.approx(math.exp(beta[2] + z * se), rel=1e-6)
    assert math.isnan(r.slope_rr)


def test_quasi_poisson_with_slope_change_centres_on_last_pre_period(sicily):
    """Additional model of the tutorial's code: + I(time-36):smokban; slope RR near 1."""
    r = segmented_poisson(sicily["aces"], sicily["time"], start=37, exposure=sicily["stdpop"], seasonal=2)
    assert r.t0 == 36
    assert r.slope_rr_ci_low < 1 < r.slope_rr_ci_high
    assert r.fitted.sum() == pytest.approx(sicily["aces"].sum(), rel=1e-8)  # Poisson score equation for the intercept
