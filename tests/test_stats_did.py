"""Results level: difference-in-differences.

Independent references: the difference of the four cell means (the 2x2 DiD
identity), a hand-written CR1 cluster sandwich, and planted effects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.evaluation import difference_in_differences


def _panel(seed=5, n_units=30, n_periods=12, effect=-2.5, train_at=7):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_units):
        treated = u < n_units // 2
        unit_level = rng.normal(20, 3)
        shock = 0.0
        for p in range(1, n_periods + 1):
            shock = 0.5 * shock + rng.normal(0, 1)  # serially correlated within unit
            post = p >= train_at
            rows.append(
                {
                    "unit": f"U{u:02d}",
                    "month": p,
                    "trained": treated,
                    "after": post,
                    "days": unit_level - 0.1 * p + effect * (treated and post) + shock,
                }
            )
    return pd.DataFrame(rows)


def test_estimate_equals_difference_of_cell_mean_differences():
    """Reference: the 2x2 DiD identity (treated post - pre) - (comparison post - pre) of the four cell means."""
    df = _panel()
    r = difference_in_differences(df, "days", "unit", "month", "trained", "after")
    m = df.groupby(["trained", "after"])["days"].mean()
    by_hand = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    assert r.estimate == pytest.approx(by_hand)


def test_standard_error_matches_hand_cr1_sandwich_with_units_minus_one_df():
    """Reference: OLS with the CR1 cluster sandwich written out in NumPy (Cameron & Miller 2015,
    c = G/(G-1) (N-1)/(N-K)) and Student t with G - 1 degrees of freedom.
    """
    df = _panel()
    y = df["days"].to_numpy()
    d, p = df["trained"].to_numpy(float), df["after"].to_numpy(float)
    x = np.column_stack([np.ones(len(y)), d, p, d * p])
    xtx_inv = np.linalg.inv(x.T @ x)
    beta = xtx_inv @ x.T @ y
    e = y - x @ beta
    meat = sum(np.outer(x[g].T @ e[g], x[g].T @ e[g]) for g in df.groupby("unit").indices.values())
    n, k, big_g = len(y), 4, df["unit"].nunique()
    cov = big_g / (big_g - 1) * (n - 1) / (n - k) * xtx_inv @ meat @ xtx_inv
    se = np.sqrt(cov[3, 3])

    r = difference_in_differences(df, "days", "unit", "month", "trained", "after")
    assert r.se == pytest.approx(se)
    tcrit = stats.t.ppf(0.975, big_g - 1)
    assert (r.ci_low, r.ci_high) == pytest.approx((beta[3] - tcrit * se, beta[3] + tcrit * se))
    assert r.p_value == pytest.approx(2 * stats.t.sf(abs(beta[3] / se), big_g - 1))
    assert (r.n, r.n_units, r.n_treated_units, r.df_inference) == (360, 30, 15, 29)


def test_two_way_fixed_effects_equal_the_2x2_estimate_in_a_balanced_panel():
    """Reference: with one treatment date and a balanced panel, unit and period fixed effects give
    exactly the 2x2 estimate (Goodman-Bacon 2021), i.e. the difference of the four cell means.
    """
    df = _panel()
    m = df.groupby(["trained", "after"])["days"].mean()
    by_hand = (m[True, True] - m[True, False]) - (m[False, True] - m[False, False])
    fe = difference_in_differences(df, "days", "unit", "month", "trained", "after", fixed_effects=True)
    assert fe.estimate == pytest.approx(by_hand)
    assert "fixed effects" in fe.method


def test_planted_training_effect_is_recovered():
    """Reference: the effect planted in the simulated panel (-2.5 days)."""
    r = difference_in_differences(_panel(effect=-2.5), "days", "unit", "month", "trained", "after")
    assert r.ci_low < -2.5 < r.ci_high
    assert r.p_value < 0.05


def test_rows_with_missing_values_are_dropped_before_clustering():
    """Reference: the same model on rows cleaned by hand beforehand (3 NaN outcomes + 1 NA indicator)."""
    df = _panel()
    dirty = df.copy()
    dirty.loc[[3, 50, 200], "days"] = np.nan
    dirty["after"] = dirty["after"].astype("boolean")  # nullable, as read from a CSV with blanks
    dirty.loc[[10], "after"] = pd.NA
    r = difference_in_differences(dirty, "days", "unit", "month", "trained", "after")
    ref = difference_in_differences(dirty.dropna().reset_index(drop=True), "days", "unit", "month", "trained", "after")
    assert r.n == 356
    assert r.as_dict() == ref.as_dict()


def test_treatment_indicators_must_be_binary():
    df = _panel()
    df["after"] = df["after"].map({True: "ya", False: "tidak"})
    with pytest.raises(ValueError, match="after"):
        difference_in_differences(df, "days", "unit", "month", "trained", "after")


def test_no_comparison_units_is_an_error():
    df = _panel()
    df["trained"] = True
    with pytest.raises(ValueError, match="comparison"):
        difference_in_differences(df, "days", "unit", "month", "trained", "after")


def _two_unit_panel(seed=3, n_periods=36, train_at=19, effect=-1.5):
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(1, n_periods + 1):
        common = 0.02 * t + rng.normal(0, 0.2)
        for unit, treated in (("trained", True), ("comparison", False)):
            post = t >= train_at
            y = 7.0 + (0.3 if treated else 0.0) + common + (effect if treated and post else 0.0) + rng.normal(0, 0.25)
            rows.append({"unit": unit, "period": t, "y": y, "treated": treated, "post": post})
    return pd.DataFrame(rows)


def test_difference_series_did_equals_cell_means_and_hand_newey_west():
    """Estimate = 2x2 difference of means; SE = hand-built Bartlett sandwich on the difference series."""
    from helpers.evaluation.did import difference_series_did

    df = _two_unit_panel()
    res = difference_series_did(df, "y", "unit", "period", "treated", "post", maxlags=3)
    cell = df.groupby(["treated", "post"])["y"].mean()
    expected = (cell[(True, True)] - cell[(True, False)]) - (cell[(False, True)] - cell[(False, False)])
    assert res.estimate == pytest.approx(expected, abs=1e-10)
    # Hand Newey-West: X'X^-1 (sum_l w_l sum_t x_t e_t e_{t-l} x_{t-l}') X'X^-1, w_l = 1 - l/(L+1).
    wide = df.pivot(index="period", columns="unit", values="y")
    d = (wide["trained"] - wide["comparison"]).to_numpy()
    post = (wide.index.to_numpy() >= 19).astype(float)
    x = np.column_stack([np.ones_like(post), post])
    beta = np.linalg.lstsq(x, d, rcond=None)[0]
    e = d - x @ beta
    meat = (x * e[:, None]).T @ (x * e[:, None])
    for lag in range(1, 4):
        w = 1 - lag / 4
        g = (x[lag:] * e[lag:, None]).T @ (x[:-lag] * e[:-lag, None])
        meat += w * (g + g.T)
    bread = np.linalg.inv(x.T @ x)
    se = np.sqrt((bread @ meat @ bread)[1, 1])
    assert res.se == pytest.approx(se, rel=1e-10)


def test_difference_series_did_recovers_planted_effect_with_two_units():
    """Reference: the planted effect (-1.5) and the nominal 95% coverage over 40 simulated series."""
    from helpers.evaluation.did import difference_series_did

    covered = 0
    for seed in range(40):
        res = difference_series_did(_two_unit_panel(seed=seed), "y", "unit", "period", "treated", "post")
        covered += res.ci_low <= -1.5 <= res.ci_high
    # Nominal 95%; Newey-West without small-sample correction undercovers a little in short series.
    assert covered >= 33
