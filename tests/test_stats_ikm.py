"""IKM (PermenPANRB 14/2017) and Krejcie & Morgan sample sizes.

Independent references: worked examples computed by hand per the lampiran of the
regulation (NRR = sum / answers, weight 1/9 or 0,111, x 25, two decimals, interval
table) and the published Krejcie & Morgan (1970) table. The IKM standard error is checked
against a second and a third implementation (the delta method written out with pandas'
pairwise-complete covariances, and a respondent bootstrap), the textbook t interval for
complete data, and seeded coverage simulations with the true IKM computed analytically.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.evaluation import UNSUR, ikm_category, ikm_change, ikm_interval, ikm_score, krejcie_morgan

CODES = [f"u{i}" for i in range(1, 10)]


def test_ikm_worked_example_by_hand():
    """Five questionnaires, nine unsur.

    Column sums / 5 answers: u1 18, u2 17, u3 15, u4 20, u5 16, u6 17, u7 18, u8 14, u9 16
    NRR: 3.6 3.4 3.0 4.0 3.2 3.4 3.6 2.8 3.2; sum 30.2; IKM = 30.2 / 9 = 3.35556;
    converted = 83.888... -> 83.89 -> B Baik (76.61-88.30).
    """
    data = pd.DataFrame(
        [
            [4, 3, 3, 4, 3, 4, 4, 3, 3],
            [4, 4, 3, 4, 3, 3, 4, 3, 4],
            [3, 3, 3, 4, 4, 3, 3, 2, 3],
            [4, 4, 3, 4, 3, 4, 4, 3, 3],
            [3, 3, 3, 4, 3, 3, 3, 3, 3],
        ],
        columns=CODES,
    )
    r = ikm_score(data)
    assert r.nrr.to_numpy() == pytest.approx([3.6, 3.4, 3.0, 4.0, 3.2, 3.4, 3.6, 2.8, 3.2])
    assert r.raw_index == pytest.approx(30.2 / 9)
    assert r.value == 83.89
    assert (r.category, r.label) == ("B", "Baik")
    assert (r.n, r.k, r.weight) == (5, 9, "exact")


def test_ikm_blank_answer_is_missing_not_zero():
    """One respondent left u3 blank: NRR(u3) = (3+3+3+3)/4 = 3.0, not 12/5 = 2.4."""
    data = pd.DataFrame({c: [3, 3, 3, 3, 3] for c in CODES}, dtype="float64")
    data.loc[2, "u3"] = np.nan
    r = ikm_score(data)
    assert r.nrr["u3"] == 3.0
    assert r.n_answers["u3"] == 4 and r.n_answers["u1"] == 5
    assert r.value == 75.00  # every NRR is 3.0 -> 3.0 x 25
    assert (r.category, r.label) == ("C", "Kurang Baik")
    assert r.n == 5


def test_fully_blank_questionnaire_does_not_count():
    """Reference: by hand: two answered questionnaires, every NRR 4.0 -> 4.0 x 25 = 100.00."""
    data = pd.DataFrame({c: [4.0, 4.0, np.nan] for c in CODES})
    r = ikm_score(data)
    assert r.n == 2 and r.value == 100.0


def test_printed_weight_0111_can_move_a_unit_across_the_88_30_88_31_boundary():
    """Ten questionnaires; six unsur with NRR 3.5 and three with 3.6: sum NRR = 31.8.

    exact:   31.8 / 9 x 25   = 88.333 -> 88.33 -> A Sangat Baik
    printed: 31.8 x 0.111 x 25 = 88.245 -> 88.25 -> B Baik
    """
    half = [4] * 5 + [3] * 5  # NRR 3.5
    six = [4] * 6 + [3] * 4  # NRR 3.6
    data = pd.DataFrame({c: (half if i < 6 else six) for i, c in enumerate(CODES)})
    exact = ikm_score(data)
    printed = ikm_score(data, weight="printed")
    assert exact.value == 88.33 and exact.category == "A"
    assert printed.value == 88.25 and printed.category == "B"
    assert printed.raw_index == pytest.approx(31.8 * 0.111)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (100.0, "A"),
        (88.31, "A"),
        (88.305, "A"),
        (88.30, "B"),
        (88.3049, "B"),
        (76.61, "B"),
        (76.605, "B"),
        (76.60, "C"),
        (76.6049, "C"),
        (65.0, "C"),
        (64.995, "C"),
        (64.99, "D"),
        (64.9949, "D"),
        (25.0, "D"),
    ],
)
def test_converted_value_is_rounded_to_two_decimals_before_classifying(value, code):
    """Reference: the interval table of the regulation (A 88.31-100, B 76.61-88.30, C 65.00-76.60,
    D 25.00-64.99) applied to the value rounded half up to two decimals.
    """
    assert ikm_category(value).code == code


def test_category_labels_follow_the_regulation():
    """Reference: the labels of the regulation's interval table (mutu pelayanan A-D)."""
    assert [(c.code, c.label) for c in map(ikm_category, [95, 80, 70, 50])] == [
        ("A", "Sangat Baik"),
        ("B", "Baik"),
        ("C", "Kurang Baik"),
        ("D", "Tidak Baik"),
    ]


@pytest.mark.parametrize("value", [24.99, 100.01, float("nan")])
def test_value_outside_25_to_100_is_rejected(value):
    with pytest.raises(ValueError):
        ikm_category(value)


@pytest.mark.parametrize("bad", [5, 0, 2.5])
def test_score_outside_1_to_4_raises_naming_column_and_value(bad):
    data = pd.DataFrame({c: [3, 4, 3] for c in CODES}, dtype="float64")
    data.loc[1, "u7"] = bad
    with pytest.raises(ValueError, match=rf"u7.*{re.escape(str(bad))}"):
        ikm_score(data)


def test_text_score_raises_naming_column_and_value():
    data = pd.DataFrame({c: ["3", "4"] for c in CODES})
    data.loc[0, "u2"] = "Baik"
    with pytest.raises(ValueError, match=r"u2.*Baik"):
        ikm_score(data)


def test_unsur_are_matched_by_name_not_by_position():
    """Reference: the same answers in the regulation's order of unsur."""
    rng = np.random.default_rng(14)
    scores = rng.integers(1, 5, size=(40, 9))
    named = pd.DataFrame(scores, columns=list(UNSUR))
    reordered = named[list(reversed(UNSUR))]
    relabelled = named.rename(columns=lambda c: c.upper().replace(",", ""))
    a, b, c = ikm_score(named), ikm_score(reordered), ikm_score(relabelled)
    assert a.value == b.value == c.value
    pd.testing.assert_series_equal(a.nrr, b.nrr.loc[a.nrr.index])
    assert list(c.nrr.index) == list(UNSUR)


def test_unknown_column_is_rejected():
    data = pd.DataFrame({c: [3] for c in CODES[:8]} | {"Kecepatan": [3]})
    with pytest.raises(ValueError, match="Kecepatan"):
        ikm_score(data)


def test_printed_weight_needs_nine_unsur():
    with pytest.raises(ValueError, match="nine"):
        ikm_score(pd.DataFrame({c: [3] for c in CODES[:5]}), weight="printed")


def test_unsur_without_any_answer_leaves_the_index_undefined():
    data = pd.DataFrame({c: [3.0, 4.0] for c in CODES})
    data["u9"] = np.nan
    r = ikm_score(data)
    assert math.isnan(r.value) and r.category is None and "u9" in r.note


def test_to_frame_lists_nrr_per_unsur():
    """Reference: by hand: every NRR is (3 + 4) / 2 = 3.5, so the weighted NRRs sum to 9 x 3.5 / 9 = 3.5."""
    data = pd.DataFrame({c: [3, 4] for c in CODES})
    table = ikm_score(data).to_frame()
    assert list(table.columns) == ["unsur", "n_answers", "nrr", "nrr_weighted"]
    assert table["nrr_weighted"].sum() == pytest.approx(3.5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=9, max_size=9), min_size=1, max_size=30),
    st.sampled_from(["exact", "printed"]),
)
def test_ikm_always_lies_within_25_and_100_and_matches_its_category(rows, weight):
    """Reference: the regulation's range (every NRR in 1-4, so 1 x 25 to 4 x 25) and interval table;
    the index is undefined exactly when some unsur has no answer at all.
    """
    data = pd.DataFrame(rows, columns=CODES, dtype="float64")
    r = ikm_score(data, weight=weight)
    unanswered = data.isna().all().any()
    if r.category is None:
        assert unanswered and math.isnan(r.value)
        return
    assert not unanswered
    assert 25.0 <= r.value <= 100.0
    assert ikm_category(r.value).code == r.category
    assert r.value == round(r.value, 2)


# ---------------------------------------------------------------------------------------------
# IKM uncertainty: one wave, and the change between two waves
# ---------------------------------------------------------------------------------------------

# Unsur effects of a simulated questionnaire; a score is round(3 + b_j + shift + u_i + e_ij)
# clipped to 1-4, with a respondent effect u ~ N(0, 0.6) (answers of one person correlate)
# and noise e ~ N(0, 0.7); blanks are missing completely at random.
UNSUR_EFFECT = np.array([0.2, -0.1, -0.4, 0.5, 0.0, 0.1, 0.3, -0.6, -0.2])
SD_RESPONDENT, SD_NOISE = 0.6, 0.7


def _simulate(rng, n, shift=0.0, blank=0.12):
    x = 3 + UNSUR_EFFECT + shift + rng.normal(0, SD_RESPONDENT, (n, 1)) + rng.normal(0, SD_NOISE, (n, 9))
    y = np.clip(np.round(x), 1, 4)
    y[rng.random((n, 9)) < blank] = np.nan
    return pd.DataFrame(y, columns=CODES)


def _true_ikm(shift=0.0):
    """25 x mean_j E[y_j], with E[y] = 1 + P(X >= 1.5) + P(X >= 2.5) + P(X >= 3.5) for X normal."""
    mean = 3 + UNSUR_EFFECT + shift
    sd = math.hypot(SD_RESPONDENT, SD_NOISE)
    expected = 1 + sum(stats.norm.sf((cut - mean) / sd) for cut in (1.5, 2.5, 3.5))
    return 25 * float(np.mean(expected))


def test_interval_without_blanks_is_the_t_interval_of_respondent_means():
    """Reference: with no blanks IKM = 25 x mean of the respondents' own mean scores, so its se is
    25 x sd(respondent means) / sqrt(n) and the interval value +- t_{n-1} se (textbook one-sample t)."""
    rng = np.random.default_rng(3)
    data = _simulate(rng, 30, blank=0.0)
    r = ikm_interval(data)
    row_means = data.mean(axis=1).to_numpy()
    se = 25 * row_means.std(ddof=1) / math.sqrt(30)
    assert r.se == pytest.approx(se, rel=1e-12)
    assert r.value == ikm_score(data).value and r.df == 29 and r.n == 30
    half = stats.t.ppf(0.975, 29) * se
    assert (r.ci_low, r.ci_high) == pytest.approx((r.value - half, r.value + half), rel=1e-12)


def _delta_method_pairwise(data):
    """Second implementation: Var(mean_j NRR_j) = (1/k^2) sum_jl n_jl s_jl / (n_j n_l), with s_jl the
    pairwise-complete sample covariance (pandas ``DataFrame.cov``) over the n_jl who answered both."""
    answered = data.notna().to_numpy(dtype=float)
    n_jl = answered.T @ answered
    n_j = np.diag(n_jl)
    cov = data.cov().to_numpy()  # pairwise complete, ddof = 1
    k = data.shape[1]
    return 25 / k * math.sqrt(np.sum(n_jl * cov / np.outer(n_j, n_j)))


def _bootstrap_se(data, reps=2000, seed=11):
    """Third implementation: resample respondents with replacement, recompute 25 x mean_j NRR_j."""
    y = data.to_numpy(dtype=float)
    idx = np.random.default_rng(seed).integers(0, len(y), size=(reps, len(y)))
    sample = y[idx]  # reps x n x k
    ikm = 25 * np.nanmean(np.nanmean(sample, axis=1), axis=1)
    return float(np.std(ikm, ddof=1))


def test_interval_with_blanks_agrees_with_pairwise_delta_method_and_bootstrap():
    """Reference: two other implementations of the se on one simulated wave (n = 80, 12% blanks):
    the pairwise-complete delta method (within 3%) and a 2000-replicate respondent bootstrap (within 8%:
    its own Monte Carlo error is about 1.6%)."""
    data = _simulate(np.random.default_rng(7), 80)
    assert data.isna().to_numpy().mean() > 0.05
    r = ikm_interval(data)
    assert r.se == pytest.approx(_delta_method_pairwise(data), rel=0.03)
    assert r.se == pytest.approx(_bootstrap_se(data), rel=0.08)
    assert r.value == ikm_score(data).value


def test_wave_intervals_and_change_interval_cover_the_truth():
    """Reference: a seeded simulation (300 pairs of waves, n = 40 and 50, 12% blanks, the second wave
    shifted up by 0.3 points per answer) against the true IKMs computed analytically (``_true_ikm``):
    each wave's 95% CI and the CI of the difference cover the truth in >= 92% of pairs.
    """
    rng = np.random.default_rng(2017)
    before_true, after_true = _true_ikm(0.0), _true_ikm(0.3)
    reps, hits_before, hits_after, hits_change = 300, 0, 0, 0
    for _ in range(reps):
        r = ikm_change(_simulate(rng, 40), _simulate(rng, 50, shift=0.3))
        hits_before += r.before_ci_low <= before_true <= r.before_ci_high
        hits_after += r.after_ci_low <= after_true <= r.after_ci_high
        hits_change += r.ci_low <= after_true - before_true <= r.ci_high
    # 93.7%, 93.7% and 95.0% with this seed
    assert hits_before / reps >= 0.92 and hits_after / reps >= 0.92
    assert hits_change / reps >= 0.92


def test_change_between_two_waves_by_hand():
    """Reference: by hand. Wave 1: 20 respondents answering every unsur 3, 3, 4, 3 (repeated): NRR 3.25,
    IKM 81.25 (B); respondent means sd = 0.4443, se = 25 x 0.4443 / sqrt(20) = 2.4835. Wave 2: 4, 4, 3, 4:
    IKM 93.75 (A), same se. Difference 12.50, se = 2.4835 x sqrt(2) = 3.5122, Welch df = 38,
    CI 12.50 +- 2.0244 x 3.5122 = [5.39, 19.61]. Wave 1's own CI 81.25 +- 2.0930 x 2.4835 = [76.05, 86.45]
    reaches into C (below 76.61), so the change of grade is not certain.
    """
    a = pd.DataFrame({c: [3, 3, 4, 3] * 5 for c in CODES})
    b = pd.DataFrame({c: [4, 4, 3, 4] * 5 for c in CODES})
    r = ikm_change(a, b)
    assert (r.before, r.after, r.difference) == (81.25, 93.75, 12.5)
    assert (r.before_category, r.after_category, r.category_changed) == ("B", "A", True)
    assert (r.n_before, r.n_after, r.n) == (20, 20, 40)
    assert r.before_se == pytest.approx(2.4835, abs=1e-4) and r.se == pytest.approx(3.5122, abs=1e-4)
    assert r.df == pytest.approx(38.0)
    assert (r.ci_low, r.ci_high) == (pytest.approx(5.39, abs=5e-3), pytest.approx(19.61, abs=5e-3))
    assert (r.before_ci_low, r.before_ci_high) == (pytest.approx(76.05, abs=5e-3), pytest.approx(86.45, abs=5e-3))
    assert not r.before_grade_certain and r.after_grade_certain and not r.category_change_certain
    assert r.p_value < 0.01
    assert "not certain" in r.statement and "C to B" in r.statement and "+12.50" in r.statement


def test_large_clear_waves_make_the_grade_change_certain():
    """Reference: by hand: 200 respondents per wave, IKM 68.75 (C) then 93.75 (A); each se is
    25 x 0.434 / sqrt(200) = 0.77, so the CIs [67.2, 70.3] and [92.2, 95.3] sit inside their bands."""
    a = pd.DataFrame({c: [3, 3, 2, 3] * 50 for c in CODES})
    b = pd.DataFrame({c: [4, 4, 3, 4] * 50 for c in CODES})
    r = ikm_change(a, b)
    assert (r.before_category, r.after_category) == ("C", "A")
    assert r.before_grade_certain and r.after_grade_certain and r.category_change_certain
    assert "and this is certain" in r.statement


def test_single_wave_grade_uncertainty_near_a_band_edge():
    """Reference: by hand: NRR 3.5 in every unsur -> IKM 87.50 (B), 1.2 below the A band (88.31); with
    20 respondents the se (25 x 0.513 / sqrt(20) = 2.87) makes the interval reach into A."""
    data = pd.DataFrame({c: [4, 3] * 10 for c in CODES})
    r = ikm_interval(data)
    assert r.value == 87.5 and r.category == "B"
    assert r.grades_in_ci == ("B", "A") and not r.grade_certain
    assert r.se == pytest.approx(25 * np.std([4, 3] * 10, ddof=1) / math.sqrt(20))


def test_interval_is_clipped_to_the_25_to_100_scale_and_blanks_stay_missing():
    """Reference: by hand: three respondents all 4 except one 3 in u1 gives IKM 99.07; the upper
    limit cannot exceed 100. A blank counts as missing, as in ikm_score."""
    data = pd.DataFrame({c: [4.0, 4.0, 4.0] for c in CODES})
    data.loc[0, "u1"] = 3.0
    data.loc[1, "u2"] = np.nan
    r = ikm_interval(data)
    assert r.value == ikm_score(data).value == 99.07
    assert r.ci_high == 100.0 and r.ci_low < r.value


def test_undefined_or_tiny_waves_give_nan_not_errors():
    one = pd.DataFrame({c: [3] for c in CODES})
    assert math.isnan(ikm_interval(one).se) and "no standard error" in ikm_interval(one).note
    blank_unsur = pd.DataFrame({c: [3.0, 4.0] for c in CODES}).assign(u9=np.nan)
    r = ikm_change(blank_unsur, pd.DataFrame({c: [3, 4, 4] for c in CODES}))
    assert math.isnan(r.se) and math.isnan(r.before) and "u9" in r.note
    assert not r.category_change_certain


def test_waves_with_different_unsur_are_refused():
    a = pd.DataFrame({c: [3, 4] for c in CODES})
    with pytest.raises(ValueError, match="different unsur"):
        ikm_change(a, a.drop(columns="u9"))


def test_change_matches_unsur_by_name_and_serialises():
    """Reference: the same waves with columns reordered give the same result; as_dict is JSON-ready."""
    rng = np.random.default_rng(1)
    a, b = _simulate(rng, 25), _simulate(rng, 25, shift=0.2)
    r1, r2 = ikm_change(a, b), ikm_change(a, b[list(reversed(CODES))])
    d, d2 = r1.as_dict(), r2.as_dict()
    assert d.keys() == d2.keys()
    for key, value in d.items():  # equal up to the order of floating-point sums
        assert d2[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), key
    assert {"n", "method", "difference", "ci_low", "category_change_certain", "statement"} <= set(d)
    assert isinstance(r1.to_frame(), pd.DataFrame) and len(r1.to_frame()) == 1


# Krejcie, R. V. & Morgan, D. W. (1970), Table 1 (N -> S); kept compact, not one pair per line.
# fmt: off
KREJCIE_MORGAN_TABLE = {
    10: 10, 15: 14, 20: 19, 25: 24, 30: 28, 35: 32, 40: 36, 45: 40, 50: 44, 55: 48,
    60: 52, 65: 56, 70: 59, 75: 63, 80: 66, 85: 70, 90: 73, 95: 76, 100: 80, 110: 86,
    220: 140, 230: 144, 240: 148, 250: 152, 500: 217, 1000: 278, 1200: 291, 1300: 297,
    1400: 302, 1500: 306, 2800: 338, 9000: 368, 10000: 370, 1000000: 384,
}
# fmt: on


@pytest.mark.parametrize(("population", "sample"), sorted(KREJCIE_MORGAN_TABLE.items()))
def test_krejcie_morgan_reproduces_the_published_table(population, sample):
    """Reference: Krejcie & Morgan (1970), Table 1."""
    assert krejcie_morgan(population) == sample


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5_000_000))
def test_krejcie_morgan_never_exceeds_population_or_384(population):
    """Reference: the formula's limit for N -> infinity: chi2 P(1-P) / d^2 = 3.841 x 0.25 / 0.0025 = 384."""
    s = krejcie_morgan(population)
    assert 1 <= s <= min(population, 384)
    assert krejcie_morgan(population + 1) >= s


@pytest.mark.parametrize("bad", [0, -5, 10.5, True])
def test_krejcie_morgan_rejects_non_positive_or_fractional_population(bad):
    with pytest.raises(ValueError):
        krejcie_morgan(bad)


def test_one_unsur_under_two_names_is_refused():
    """PermenPANRB 14/2017 weighs each unsur once: the same unsur under two headers, or a u-code
    beside unsur names (codes are numbered differently by different exports), is refused."""
    same = pd.DataFrame({"Persyaratan": [3, 4], "persyaratan ": [3, 3]})
    with pytest.raises(ValueError, match="one unsur under two column names"):
        ikm_score(same)
    mixed = pd.DataFrame({"u1": [3, 4], "Persyaratan": [3, 3]})
    with pytest.raises(ValueError, match="mix u-codes and unsur names"):
        ikm_score(mixed)
