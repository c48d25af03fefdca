"""Reaction level: Cronbach's alpha.

Independent references: the variance formula k/(k-1)(1 - sum var_i / var_total)
written out in NumPy, a published worked example, Feldt's F-distribution interval
written out, and hand loops for pairwise covariances.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from helpers.evaluation import cronbach_alpha

# Three-item, ten-respondent example whose alpha is reported as 0.773 by
# R's ltm::cronbach.alpha (worked example in jdegenfellner/ZHAW_Teaching,
# Cronbach_alpha.R, where the hand formula gives 0.7734375).
PUBLISHED = pd.DataFrame(
    {
        "Q1": [1, 2, 2, 3, 2, 2, 3, 3, 2, 3],
        "Q2": [1, 1, 1, 2, 3, 3, 2, 3, 3, 3],
        "Q3": [1, 1, 2, 1, 2, 3, 3, 3, 2, 3],
    }
)


def _hand_alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def _feldt(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt, Woodruff & Salih (1987): (1 - alpha) * F ~ F(n-1, (n-1)(k-1))."""
    df1, df2 = n - 1, (n - 1) * (k - 1)
    a = 1 - level
    return (
        1 - (1 - alpha) * stats.f.ppf(1 - a / 2, df1, df2),
        1 - (1 - alpha) * stats.f.ppf(a / 2, df1, df2),
    )


def test_alpha_reproduces_published_example():
    """Reference: R ltm::cronbach.alpha = 0.773 for these data; the hand formula gives 0.7734375."""
    r = cronbach_alpha(PUBLISHED)
    assert round(r.alpha, 3) == 0.773
    assert r.alpha == pytest.approx(0.7734375)
    assert (r.n, r.k) == (10, 3)


def test_alpha_matches_hand_variance_formula_on_random_scale():
    """Reference: k/(k-1) (1 - sum var_i / var_total) written out in ``_hand_alpha``."""
    rng = np.random.default_rng(51)
    latent = rng.normal(size=(120, 1))
    x = np.clip(np.round(3 + latent + rng.normal(scale=0.9, size=(120, 6))), 1, 5)
    r = cronbach_alpha(pd.DataFrame(x, columns=[f"i{j}" for j in range(6)]))
    assert r.alpha == pytest.approx(_hand_alpha(x))


def test_feldt_interval_matches_the_f_distribution_formula():
    """Reference: Feldt, Woodruff & Salih (1987) written out in ``_feldt``, and pingouin's interval."""
    r = cronbach_alpha(PUBLISHED)
    assert (r.ci_low, r.ci_high) == pytest.approx(_feldt(0.7734375, 10, 3))
    # pingouin.cronbach_alpha gave [0.336, 0.939] for these data during development
    assert (round(r.ci_low, 3), round(r.ci_high, 3)) == (0.336, 0.939)
    r90 = cronbach_alpha(PUBLISHED, ci=0.90)
    assert (r90.ci_low, r90.ci_high) == pytest.approx(_feldt(0.7734375, 10, 3, 0.90))


def test_feldt_interval_uses_the_n_left_after_listwise_deletion():
    """Reference: ``_hand_alpha`` and ``_feldt`` on the 8 complete rows selected by hand."""
    data = PUBLISHED.astype(float)
    data.loc[[1, 4], "Q2"] = np.nan
    r = cronbach_alpha(data)
    complete = data.dropna().to_numpy()
    assert r.n == 8
    assert r.alpha == pytest.approx(_hand_alpha(complete))
    assert (r.ci_low, r.ci_high) == pytest.approx(_feldt(r.alpha, 8, 3))
    assert r.ci_low != pytest.approx(_feldt(r.alpha, 10, 3)[0])


def test_item_table_has_corrected_item_total_correlation_and_alpha_if_deleted():
    """Reference: NumPy correlation of each item with the sum of the others, and ``_hand_alpha`` without it."""
    x = PUBLISHED.to_numpy(float)
    table = cronbach_alpha(PUBLISHED).item_table
    assert list(table["item"]) == ["Q1", "Q2", "Q3"]
    for i in range(3):
        rest = np.delete(x, i, axis=1)
        assert table.loc[i, "item_total_r"] == pytest.approx(np.corrcoef(x[:, i], rest.sum(axis=1))[0, 1])
        assert table.loc[i, "alpha_if_deleted"] == pytest.approx(_hand_alpha(rest))


def test_pairwise_policy_uses_all_available_pairs():
    """Reference: the covariance matrix from pairwise-complete pairs written out in loops."""
    data = pd.DataFrame(
        {
            "a": [1, 2, 3, 4, 5, 2, np.nan, 4],
            "b": [2, 2, 3, 5, 4, np.nan, 3, 4],
            "c": [1, 3, 3, 4, np.nan, 2, 2, 5],
        }
    )
    k = 3
    cov = np.empty((k, k))
    counts = np.empty((k, k), dtype=int)
    cols = list(data.columns)
    for i in range(k):
        for j in range(k):
            ok = data[cols[i]].notna() & data[cols[j]].notna()
            xi, xj = data.loc[ok, cols[i]].to_numpy(), data.loc[ok, cols[j]].to_numpy()
            cov[i, j] = np.sum((xi - xi.mean()) * (xj - xj.mean())) / (ok.sum() - 1)
            counts[i, j] = ok.sum()
    expected = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    r = cronbach_alpha(data, nan_policy="pairwise")
    assert r.alpha == pytest.approx(expected)
    assert r.n == counts.min() == 6
    assert cronbach_alpha(data).n == 5  # listwise


def test_all_equal_answers_give_nan_alpha_with_a_note():
    """Reference: var_total = 0 makes the formula 0 / 0."""
    r = cronbach_alpha(pd.DataFrame({"a": [3, 3, 3], "b": [3, 3, 3]}))
    assert math.isnan(r.alpha) and math.isnan(r.ci_low)
    assert "zero variance" in r.note


def test_fewer_than_two_respondents_or_items_give_nan_alpha():
    """Reference: the formula needs two respondents (variances) and two items (k / (k - 1))."""
    one_row = cronbach_alpha(pd.DataFrame({"a": [3, np.nan], "b": [4, 2]}))
    assert one_row.n == 1 and math.isnan(one_row.alpha) and "respondents" in one_row.note
    one_item = cronbach_alpha(PUBLISHED[["Q1"]])
    assert one_item.k == 1 and math.isnan(one_item.alpha) and "items" in one_item.note


def test_text_columns_are_rejected():
    with pytest.raises(TypeError, match="Q2"):
        cronbach_alpha(PUBLISHED.assign(Q2=PUBLISHED["Q2"].astype(str)))


def test_as_dict_has_scalars_only():
    d = cronbach_alpha(PUBLISHED).as_dict()
    assert set(d) == {"alpha", "ci_low", "ci_high", "n", "k", "method", "note"}


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.int64, shape=st.tuples(st.integers(3, 25), st.integers(2, 6)), elements=st.integers(1, 5)),
    st.randoms(use_true_random=False),
)
def test_alpha_is_invariant_to_item_order_and_item_shifts(x, rnd):
    """Reference: properties of the formula: variances ignore item order and constant shifts."""
    df = pd.DataFrame(x, columns=[f"i{j}" for j in range(x.shape[1])])
    base = cronbach_alpha(df)
    order = list(df.columns)
    rnd.shuffle(order)
    shuffled = cronbach_alpha(df[order])
    shifted = cronbach_alpha(df + 10)
    if math.isnan(base.alpha):
        assert math.isnan(shuffled.alpha) and math.isnan(shifted.alpha)
    else:
        assert shuffled.alpha == pytest.approx(base.alpha, abs=1e-9)
        assert shifted.alpha == pytest.approx(base.alpha, abs=1e-9)
        assert base.ci_low <= base.alpha <= base.ci_high
