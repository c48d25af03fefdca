"""Learning level: paired pre/post effects and method differences.

Independent references: the published worked example of Lakens (2013), SciPy's
``ttest_rel`` (the code computes t itself), the Wilcoxon signed-rank statistic and its
tie-corrected normal approximation written out (the code calls SciPy's ``wilcoxon``, so
SciPy cannot be the reference there), the noncentral-t definition of the d_z interval,
a CR2 sandwich with Bell-McCaffrey df written out with n x n matrices (``hand_cr2`` in
test_stats_cluster_robust.py), closed forms for balanced clusters, statsmodels for the
coefficients, and seeded coverage simulations.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.evaluation import EstimationRefused, dz_confidence_interval, method_differences, paired_effect

from .test_stats_cluster_robust import hand_cr2

# Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative
# science: a practical primer for t-tests and ANOVAs. Front. Psychol. 4:863, Table 1.
MOVIE_1 = [9, 7, 8, 9, 8, 9, 9, 10, 9, 9]  # mean 8.7, SD 0.82
MOVIE_2 = [9, 6, 7, 8, 7, 9, 8, 8, 8, 7]  # mean 7.7, SD 0.95


def test_paired_effect_reproduces_lakens_2013_movie_example():
    """Published: t(9) = 4.74, p = .001, d_z = 1.50, d_av = 1.13, r = .726."""
    # movie 2 as "pre" so that post - pre = movie 1 - movie 2 = +1.0 as in the paper
    r = paired_effect(pre=MOVIE_2, post=MOVIE_1)
    assert r.n == 10
    assert r.mean_pre == pytest.approx(7.7)
    assert r.mean_post == pytest.approx(8.7)
    assert round(r.t, 2) == 4.74
    assert r.df == 9
    assert round(r.p_value, 3) == 0.001
    assert round(r.d_z, 2) == 1.50
    assert round(r.d_av, 2) == 1.13
    assert round(np.corrcoef(MOVIE_1, MOVIE_2)[0, 1], 3) == 0.726


def test_g_av_matches_lakens_worked_example():
    """Lakens (2013) reports g_av = 1.08 for the movie ratings (d_av = 1.13, n = 10).

    That value is d_av * (1 - 3/(4*2n - 9)): Hedges' correction over the 2n scores.
    """
    r = paired_effect(pre=MOVIE_2, post=MOVIE_1)
    sd_av = (np.std(MOVIE_1, ddof=1) + np.std(MOVIE_2, ddof=1)) / 2
    d_av = 1.0 / sd_av
    assert r.g_av == pytest.approx(d_av * (1 - 3 / (4 * 20 - 9)))
    assert round(r.g_av, 2) == 1.08  # Lakens' published g_av


def _hand_wilcoxon(diff: np.ndarray) -> tuple[float, float, bool]:
    """Wilcoxon (1945) signed-rank test written out: zero differences dropped, average ranks of |d|,
    W = min(R+, R-); normal approximation with the tie correction sum(t^3 - t)/48 and no continuity
    correction (Hollander & Wolfe 1999, sec. 3.1). Also says whether ties made that approximation apply.
    """
    d = diff[diff != 0]
    n = d.size
    ranks = stats.rankdata(np.abs(d))
    w = min(ranks[d > 0].sum(), ranks[d < 0].sum())
    _, tie_sizes = np.unique(np.abs(d), return_counts=True)
    var = n * (n + 1) * (2 * n + 1) / 24 - np.sum(tie_sizes**3 - tie_sizes) / 48
    z = (w - n * (n + 1) / 4) / math.sqrt(var)
    return float(w), float(2 * stats.norm.sf(abs(z))), bool(np.any(tie_sizes > 1) or n < diff.size)


def test_t_and_wilcoxon_match_independent_references_on_random_scores():
    """References: SciPy ``ttest_rel`` for t (the code computes t itself), the Wilcoxon test written
    out in ``_hand_wilcoxon``, and the t interval of the mean difference written out.
    """
    rng = np.random.default_rng(2013)
    pre = rng.normal(60, 10, 35).round()
    post = pre + rng.normal(4, 6, 35).round()
    r = paired_effect(pre, post)
    t_ref = stats.ttest_rel(post, pre)
    assert r.t == pytest.approx(t_ref.statistic)
    assert r.p_value == pytest.approx(t_ref.pvalue)
    diff = post - pre
    w, w_p, approximated = _hand_wilcoxon(diff)
    assert approximated  # rounded scores: ties and zeros, so the normal approximation is the reference
    assert r.wilcoxon_w == w
    assert r.wilcoxon_p == pytest.approx(w_p, rel=1e-9)
    half = stats.t.ppf(0.975, 34) * diff.std(ddof=1) / math.sqrt(35)
    assert (r.diff_ci_low, r.diff_ci_high) == pytest.approx((diff.mean() - half, diff.mean() + half))
    assert r.d_z == pytest.approx(diff.mean() / diff.std(ddof=1))


def test_dz_interval_bounds_invert_the_noncentral_t():
    """At the bounds the observed t sits at the 97.5% / 2.5% quantile of nct(n-1, delta*sqrt(n))."""
    r = paired_effect(pre=MOVIE_2, post=MOVIE_1)
    t_obs, df, sqrt_n = r.t, 9, math.sqrt(10)
    assert stats.nct.cdf(t_obs, df, r.ci_low * sqrt_n) == pytest.approx(0.975, abs=1e-9)
    assert stats.nct.cdf(t_obs, df, r.ci_high * sqrt_n) == pytest.approx(0.025, abs=1e-9)
    assert r.ci_low < r.d_z < r.ci_high


def test_dz_interval_approaches_normal_approximation_in_large_samples():
    """SE(d_z) ~ sqrt(1/n + d^2/(2n)) for large n (Hedges & Olkin 1985 style large-sample formula)."""
    n, d = 4000, 0.4
    low, high = dz_confidence_interval(d, n)
    se = math.sqrt(1 / n + d**2 / (2 * n))
    assert low == pytest.approx(d - 1.959964 * se, abs=2e-3)
    assert high == pytest.approx(d + 1.959964 * se, abs=2e-3)


def test_post_below_pre_gives_negative_effects():
    """Reference: the Lakens example with pre and post swapped: every signed effect changes sign."""
    r = paired_effect(pre=MOVIE_1, post=MOVIE_2)
    forward = paired_effect(pre=MOVIE_2, post=MOVIE_1)
    assert r.mean_diff == pytest.approx(-1.0)
    assert r.t < 0 and r.d_z < 0 and r.d_av < 0 and r.g_av < 0
    assert (r.t, r.d_z, r.d_av, r.g_av) == pytest.approx((-forward.t, -forward.d_z, -forward.d_av, -forward.g_av))
    assert (r.ci_low, r.ci_high) == pytest.approx((-forward.ci_high, -forward.ci_low))
    assert r.ci_high < 0
    assert r.normalized_gain < 0


def test_pairs_with_a_missing_value_are_dropped():
    """Reference: the same statistics on the three complete pairs selected by hand."""
    pre = [50, np.nan, 60, 70, 55]
    post = [60, 80, np.nan, 75, 65]
    r = paired_effect(pre, post)
    ref = paired_effect([50, 70, 55], [60, 75, 65])
    assert r.n == 3
    assert r.as_dict() == ref.as_dict()


def test_all_equal_nonzero_differences_give_infinite_t_without_crashing():
    """Reference: the definitions with sd_diff = 0: t = 5 / (0 / sqrt(3)) and d_z = 5 / 0 are +inf."""
    r = paired_effect([50, 60, 70], [55, 65, 75])
    assert r.sd_diff == 0
    assert r.t == math.inf and r.d_z == math.inf
    assert r.p_value == 0.0
    assert math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert "sd_diff = 0" in r.note


def test_all_zero_differences_give_undefined_statistics():
    """Reference: the definitions: 0 / 0 is undefined; d_av = 0 / sd_av = 0 and the Hake gain is 0."""
    r = paired_effect([50, 60, 70], [50, 60, 70])
    assert math.isnan(r.t) and math.isnan(r.d_z) and math.isnan(r.p_value)
    assert math.isnan(r.wilcoxon_w) and math.isnan(r.wilcoxon_p)
    assert r.d_av == 0.0 and r.normalized_gain == 0.0


def test_fewer_than_two_pairs_gives_nan_statistics():
    """Reference: one pair has no variance (n - 1 = 0 degrees of freedom); its difference is 60 - 50 = 10."""
    r = paired_effect([40, np.nan], [50, 60])
    assert r.n == 1 and r.mean_diff == 10
    assert all(math.isnan(getattr(r, f)) for f in ("t", "p_value", "d_z", "g_av", "ci_low", "wilcoxon_p"))
    assert paired_effect([], []).n == 0


def test_normalized_gain_is_hake_gain_of_class_averages():
    """Hake (1998): <g> = (%post - %pre) / (100 - %pre) on class averages."""
    pre, post = [40, 50, 60], [70, 75, 78]
    r = paired_effect(pre, post)
    assert r.normalized_gain == pytest.approx((74.333333 - 50) / (100 - 50), rel=1e-6)
    # A class already at 100% on the pre-test leaves no room to gain: (95 - 100) / (100 - 100) is undefined.
    assert math.isnan(paired_effect([100, 100], [90, 100]).normalized_gain)


def test_unequal_lengths_are_an_error():
    with pytest.raises(ValueError, match="same length"):
        paired_effect([1, 2, 3], [1, 2])


def _hand_cluster_ols(y, x, g):
    """OLS with the CR2 covariance and Bell-McCaffrey df written out (``hand_cr2``: n x n hat matrix,
    scipy's sqrtm), Student t on each coefficient's df."""
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    vcov, df = hand_cr2(x, y - x @ beta, np.asarray(g))
    return beta, np.sqrt(np.diag(vcov)), df


@pytest.fixture
def training_gains():
    rng = np.random.default_rng(7)
    rows = []
    effects = {"classroom": 0.0, "e_learning": -3.0, "project_based": 6.0}
    for p in range(24):
        method = list(effects)[p % 3]
        programme_shift = rng.normal(0, 2)
        for _ in range(rng.integers(8, 15)):
            rows.append(
                {
                    "program_id": f"P{p:02d}",
                    "method": method,
                    "grade": rng.choice(["II", "III", "IV"]),
                    "gain": 10 + effects[method] + programme_shift + rng.normal(0, 5),
                }
            )
    return pd.DataFrame(rows)


def test_method_differences_match_hand_built_cr2_ols(training_gains):
    """Reference: OLS on dummies with the CR2 sandwich and Bell-McCaffrey df written out in
    ``_hand_cluster_ols`` (via ``hand_cr2``), Student t on each coefficient's df."""
    r = method_differences(training_gains, "gain", "method", "program_id")
    table = r.to_frame().set_index("term")
    y = training_gains["gain"].to_numpy()
    x = np.column_stack(
        [
            np.ones(len(y)),
            (training_gains["method"] == "e_learning").to_numpy(float),
            (training_gains["method"] == "project_based").to_numpy(float),
        ]
    )
    beta, se, df = _hand_cluster_ols(y, x, training_gains["program_id"].to_numpy())
    terms = ["Intercept", "method[e_learning]", "method[project_based]"]
    assert table.loc[terms, "coefficient"].to_numpy() == pytest.approx(beta)
    assert table.loc[terms, "se"].to_numpy() == pytest.approx(se)
    assert table.loc[terms, "df"].to_numpy() == pytest.approx(df)
    tcrit = stats.t.ppf(0.975, df)
    assert table.loc[terms, "ci_low"].to_numpy() == pytest.approx(beta - tcrit * se)
    assert table.loc[terms, "ci_high"].to_numpy() == pytest.approx(beta + tcrit * se)
    assert table.loc[terms, "p_value"].to_numpy() == pytest.approx(2 * stats.t.sf(np.abs(beta / se), df))
    assert r.reference == "classroom" and r.n_clusters == 24
    # 8 programmes per method: each contrast rests on 16 programmes, so df is well below G - 1 = 23.
    assert r.df_inference == pytest.approx(min(df[1:])) and r.df_inference < 23
    assert r.refused == {} and r.n_refused == 0 and "CR2" in r.method
    assert set(table["n"]) == {len(training_gains)} and set(table["n_clusters"]) == {24}


def test_method_differences_with_cr1_correction_off_would_be_statsmodels():
    """Second implementation for the point estimates: statsmodels OLS gives the same coefficients;
    its CR1 SEs are smaller than the CR2 ones with these few programmes (CR2 >= CR0 by construction)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(17)
    programmes = np.repeat(np.arange(6), 12)
    method = np.array(["a", "a", "b", "b", "c", "c"])[programmes]
    gain = 10 + rng.normal(0, 3, 6)[programmes] + rng.normal(0, 8, programmes.size)
    df = pd.DataFrame({"gain": gain, "method": method, "programme": programmes})
    table = method_differences(df, "gain", "method", "programme").to_frame()
    x = sm.add_constant(pd.get_dummies(df["method"], dtype=float).drop(columns="a"))
    ref = sm.OLS(gain, x).fit(cov_type="cluster", cov_kwds={"groups": programmes, "use_correction": False})
    assert table["coefficient"].to_numpy() == pytest.approx(ref.params.to_numpy())
    assert np.all(table["se"].to_numpy() >= ref.bse.to_numpy() - 1e-12)


def test_method_differences_cover_planted_effects_with_few_programmes():
    """Seeded simulation shaped like a region: 8 programmes of 10-60 people, methods taught in 3, 2 and 3
    programmes, programme effects of SD 3 against individual SD 8. The CR2/BM intervals must cover the
    planted contrasts >= 91% of 300 draws (CR1 with t on G - 1 covered about 80-85% here)."""
    rng = np.random.default_rng(2024)
    truth = {"method[B]": -3.0, "method[C]": 6.0}
    labels = np.array(list("AAABBCCC"))
    hits = dict.fromkeys(truth, 0)
    estimates = {term: [] for term in truth}
    reps = 300
    start = time.perf_counter()
    for _ in range(reps):
        programmes = np.repeat(np.arange(8), rng.integers(10, 61, 8))
        method = labels[programmes]
        effect = np.select([method == "B", method == "C"], [-3.0, 6.0], 0.0)
        gain = 10 + effect + rng.normal(0, 3, 8)[programmes] + rng.normal(0, 8, programmes.size)
        df = pd.DataFrame({"program_id": programmes, "method": method, "gain": gain})
        table = method_differences(df, "gain", "method", "program_id").to_frame().set_index("term")
        for term, value in truth.items():
            hits[term] += table.loc[term, "ci_low"] <= value <= table.loc[term, "ci_high"]
            estimates[term].append(table.loc[term, "coefficient"])
    for term, value in truth.items():
        assert hits[term] / reps >= 0.91, (term, hits[term] / reps)
        assert np.mean(estimates[term]) == pytest.approx(value, abs=0.6)
    assert time.perf_counter() - start < 15


def test_method_taught_in_one_programme_is_refused_not_estimated(training_gains):
    """Reference: the model fitted by hand on the rows without the refused method.

    A method in a single programme is confounded with that programme's random effect; its
    contrast once came out with the intercept's SE and covered the truth ~60% of the time."""
    one = training_gains.copy()
    one.loc[one["program_id"] == "P05", "method"] = "simulation"  # simulation only in P05
    r = method_differences(one, "gain", "method", "program_id")
    assert r.refused == {"simulation": "single_programme"}
    assert r.n_refused == int((one["method"] == "simulation").sum())
    assert "method[simulation]" not in set(r.to_frame()["term"])
    assert "simulation" in r.note
    ref = method_differences(one[one["method"] != "simulation"], "gain", "method", "program_id")
    pd.testing.assert_frame_equal(r.to_frame(), ref.to_frame())
    assert r.n == ref.n and r.n_clusters == 23
    assert r.as_dict()["refused"] == {"simulation": "single_programme"}


def test_refused_reference_or_no_two_comparable_methods_raise_estimation_refused(training_gains):
    """Reference: the refusal rules. A contrast against a single-programme reference is as confounded
    as one for a single-programme method; with fewer than two supported methods there is no contrast."""
    one = training_gains.copy()
    one.loc[one["program_id"] == "P05", "method"] = "simulation"
    with pytest.raises(EstimationRefused) as err:
        method_differences(one, "gain", "method", "program_id", reference="simulation")
    assert err.value.reason == "single_programme" and isinstance(err.value, ValueError)
    two = training_gains[training_gains["program_id"].isin(["P00", "P03", "P01"])]  # classroom x2, e_learning x1
    with pytest.raises(EstimationRefused) as err:
        method_differences(two, "gain", "method", "program_id")
    assert err.value.reason == "single_programme"
    with pytest.raises(ValueError, match="reference level"):
        method_differences(training_gains, "gain", "method", "program_id", reference="nope")


def test_collinear_covariate_is_refused(training_gains):
    """Reference: a covariate equal to a method dummy makes X'X singular."""
    data = training_gains.assign(copy=(training_gains["method"] == "e_learning").astype(float))
    with pytest.raises(EstimationRefused) as err:
        method_differences(data, "gain", "method", "program_id", covariates=["copy"])
    assert err.value.reason == "collinear"


def test_method_differences_drop_missing_rows_before_clustering(training_gains):
    """Reference: the model on rows cleaned by hand, and ``_hand_cluster_ols`` on those rows.

    statsmodels does not re-align cluster groups with rows a formula drops; we drop first.
    """
    dirty = training_gains.copy()
    dirty.loc[[0, 5, 17], "gain"] = np.nan
    dirty.loc[[30], "grade"] = None
    r = method_differences(dirty, "gain", "method", "program_id", covariates=["grade"])
    clean = dirty.dropna().reset_index(drop=True)
    ref = method_differences(clean, "gain", "method", "program_id", covariates=["grade"])
    assert r.n == len(clean) and r.n_dropped == 4
    pd.testing.assert_frame_equal(r.to_frame(), ref.to_frame())
    # and the hand computation on the cleaned rows agrees
    x = np.column_stack(
        [np.ones(len(clean))]
        + [(clean["method"] == m).to_numpy(float) for m in ("e_learning", "project_based")]
        + [(clean["grade"] == g).to_numpy(float) for g in ("III", "IV")]
    )
    beta, se, df = _hand_cluster_ols(clean["gain"].to_numpy(), x, clean["program_id"].to_numpy())
    assert r.to_frame()["coefficient"].to_numpy() == pytest.approx(beta)
    assert r.to_frame()["se"].to_numpy() == pytest.approx(se)
    assert r.to_frame()["df"].to_numpy() == pytest.approx(df)


def test_method_differences_warn_about_few_clusters(training_gains):
    few = training_gains[training_gains["program_id"].isin(["P00", "P01", "P02", "P03", "P04", "P05"])]
    r = method_differences(few, "gain", "method", "program_id")
    assert r.n_clusters == 6 and "clusters" in r.note


def test_clustered_mean_with_balanced_clusters_is_the_t_interval_of_cluster_means():
    """Closed form: with equal cluster sizes, CR2 of the mean is s^2/G of the G cluster means and the
    Bell-McCaffrey df is G - 1, i.e. the one-sample t interval on the cluster means."""
    from helpers.evaluation import clustered_mean

    rng = np.random.default_rng(11)
    clusters = np.repeat(np.arange(8), 15)
    y = 10 + rng.normal(0, 6, 8)[clusters] + rng.normal(0, 2, clusters.size)
    res = clustered_mean(y, clusters)
    means = np.array([y[clusters == g].mean() for g in range(8)])
    se = means.std(ddof=1) / np.sqrt(8)
    assert res.mean == pytest.approx(means.mean())
    assert res.se == pytest.approx(se, rel=1e-10)
    assert res.df == pytest.approx(7, rel=1e-10)
    half = stats.t.ppf(0.975, 7) * se
    assert (res.ci_low, res.ci_high) == (pytest.approx(means.mean() - half), pytest.approx(means.mean() + half))
    # Clustering matters here: the naive SE is much smaller.
    assert res.se > 1.5 * y.std(ddof=1) / np.sqrt(y.size)


def test_clustered_mean_matches_hand_cr2_on_unequal_clusters():
    """Reference: ``hand_cr2`` on the intercept-only model; unequal sizes give df below G - 1."""
    from helpers.evaluation import clustered_mean

    rng = np.random.default_rng(12)
    clusters = np.repeat(np.arange(5), [60, 12, 30, 10, 45])
    y = 10 + rng.normal(0, 3, 5)[clusters] + rng.normal(0, 8, clusters.size)
    res = clustered_mean(y, clusters)
    vcov, df = hand_cr2(np.ones((y.size, 1)), y - y.mean(), clusters)
    assert res.se == pytest.approx(math.sqrt(vcov[0, 0]), rel=1e-10)
    assert res.df == pytest.approx(df[0], rel=1e-10) and res.df < 4
    assert res.ci_high - res.mean == pytest.approx(stats.t.ppf(0.975, df[0]) * res.se)


def test_clustered_mean_with_one_cluster_has_no_standard_error():
    """Reference: the mean (1 + 2 + 3) / 3 = 2 by hand; one cluster leaves G - 1 = 0 degrees of freedom."""
    from helpers.evaluation import clustered_mean

    res = clustered_mean([1.0, 2.0, 3.0], ["a", "a", "a"])
    assert res.mean == 2.0 and np.isnan(res.se) and res.n_clusters == 1
