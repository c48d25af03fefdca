"""Results level: interrupted time series.

Independent references: a NumPy least-squares fit with a hand-written Newey-West
sandwich (Bartlett weights), a hand-written IRLS quasi-Poisson fit, the published
rate ratio of Lopez Bernal, Cummins & Gasparrini (2017), and planted effects in
synthetic series.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
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


def _newey_west(x, e, lags):
    """Newey & West (1987): S = sum_t e_t^2 x_t x_t' + sum_j w_j sum_t e_t e_{t-j}(x_t x_{t-j}' + x_{t-j} x_t')."""
    bread = np.linalg.inv(x.T @ x)
    u = x * e[:, None]
    s = u.T @ u
    for j in range(1, lags + 1):
        w = 1 - j / (lags + 1)
        gamma = u[j:].T @ u[:-j]
        s += w * (gamma + gamma.T)
    return bread @ s @ bread


@pytest.mark.parametrize("harmonics", [0, 2])
def test_segmented_regression_matches_hand_built_ols_and_newey_west(sicily, harmonics):
    """Reference: NumPy least squares on the design written out, with the Newey-West (1987) sandwich
    (Bartlett weights, no small-sample correction) and normal quantiles; Sicily data of Lopez Bernal 2017.
    """
    t = sicily["time"].to_numpy(float)
    y = sicily["rate"].to_numpy()
    x = _design(t, 37, 36, harmonics)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    cov = _newey_west(x, y - x @ beta, lags=3)
    se = np.sqrt(np.diag(cov))

    r = segmented_regression(sicily["rate"], sicily["time"], start=37, maxlags=3, seasonal=harmonics)
    assert r.pre_slope == pytest.approx(beta[1])
    assert r.level_change == pytest.approx(beta[2])
    assert r.slope_change == pytest.approx(beta[3])
    assert (r.pre_slope_se, r.level_se, r.slope_se) == pytest.approx((se[1], se[2], se[3]))
    z = stats.norm.ppf(0.975)
    assert (r.level_ci_low, r.level_ci_high) == pytest.approx((beta[2] - z * se[2], beta[2] + z * se[2]))
    assert r.slope_p == pytest.approx(2 * stats.norm.sf(abs(beta[3] / se[3])))
    assert (r.n, r.n_pre, r.n_post, r.t0) == (59, 36, 23, 36.0)


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
