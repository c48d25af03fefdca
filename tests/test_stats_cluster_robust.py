"""Small-sample cluster-robust inference (CR2, Bell-McCaffrey df) and clustered proportions.

Independent references: Stata's published ``reg y x, cluster()``, ``vce(robust)`` and
``vce(hc2)`` standard errors for the deterministic data set in the test suite of Kolesár's
``dfadjust`` R package (tests/testthat/test_clustervar.R); statsmodels for CR0/CR1; a CR2 and
Bell-McCaffrey df written out below with full n x n hat matrices and ``scipy.linalg.sqrtm``
(``hand_cr2``); closed forms for balanced designs (the unbiased two-sample variance of cluster
means and its Satterthwaite df); the Wilson (1927) interval written out; seeded simulations;
for the vectorised CR2, the previous per-cluster implementation copied below (``_reference_*``)
and Bell-McCaffrey df computed in 60-digit arithmetic (mpmath) for a near-singular design.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import linalg, special, stats

from helpers.evaluation import ClusteredProportion, clustered_proportion
from helpers.evaluation.cluster_robust import cluster_robust, ols_cluster_robust


def hand_cr2(xw: np.ndarray, resid: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CR2 covariance and Bell-McCaffrey df, written out with n x n matrices.

    Bell & McCaffrey (2002) / Pustejovsky & Tipton (2018): H = Xw (Xw'Xw)^-1 Xw',
    A_g = (I - H_gg)^(-1/2) by ``scipy.linalg.sqrtm`` and ``numpy.linalg.inv``,
    V = M sum_g Xw_g' A_g r_g r_g' A_g Xw_g M. For coefficient j with c = e_j, the n x G matrix
    Gm has column g = (I - H)[:, g] A_g Xw_g M c, and df = tr(Gm'Gm)^2 / tr((Gm'Gm)^2)
    (Imbens & Kolesar 2016, eq. for K_BM). Requires every I - H_gg to be invertible.
    """
    n, k = xw.shape
    m = np.linalg.inv(xw.T @ xw)
    h = xw @ m @ xw.T
    resid_maker = np.eye(n) - h
    labels = list(dict.fromkeys(groups.tolist()))
    adjust = {}
    meat = np.zeros((k, k))
    for g in labels:
        idx = np.flatnonzero(groups == g)
        a = np.linalg.inv(np.real(linalg.sqrtm(np.eye(idx.size) - h[np.ix_(idx, idx)])))
        adjust[g] = (idx, a)
        s = xw[idx].T @ a @ resid[idx]
        meat += np.outer(s, s)
    vcov = m @ meat @ m
    df = np.empty(k)
    for j in range(k):
        c = np.eye(k)[j]
        cols = [resid_maker[:, idx] @ (a @ (xw[idx] @ m @ c)) for idx, a in adjust.values()]
        gg = np.column_stack(cols).T @ np.column_stack(cols)
        df[j] = np.trace(gg) ** 2 / np.trace(gg @ gg)
    return vcov, df


# --- reference: the per-cluster implementation this module had before it was vectorised ------
# Copied verbatim (names prefixed ``_reference_``) from helpers.evaluation.cluster_robust as it
# was before the G x G-free df and the batched A_g. It forms the G x G matrix ``Gram`` and calls
# ``eigh`` once per cluster, so it only serves small and medium G; the new code must agree with it
# to floating point (rtol 1e-10) on vcov, the per-coefficient df and any contrast's df.


def _reference_inv_sqrt_psd(matrix: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    vals, vecs = np.linalg.eigh((matrix + matrix.T) / 2.0)
    keep = vals > tol
    inv_root = np.zeros_like(vals)
    inv_root[keep] = 1.0 / np.sqrt(vals[keep])
    return (vecs * inv_root) @ vecs.T


def _reference_bm_df(c: np.ndarray, bread: np.ndarray, parts: tuple) -> float:
    mc = bread @ c
    p_sq = np.empty(len(parts))
    z = np.empty((len(parts), bread.shape[0]))
    for i, (_, xg, ag) in enumerate(parts):
        p = ag @ (xg @ mc)
        p_sq[i] = p @ p
        z[i] = p @ xg
    gram = np.diag(p_sq) - z @ bread @ z.T
    tr = float(np.trace(gram))
    tr2 = float(np.sum(gram * gram))
    if not (tr > 0 and tr2 > 0):
        return float("nan")
    return tr * tr / tr2


def _reference_cluster_robust(xw, resid_w, clusters, kind: str = "CR2"):
    """Return ``(vcov, se, df, n_clusters, bread, parts)``; ``parts`` feeds ``_reference_bm_df``."""
    xw = np.asarray(xw, dtype=float)
    resid_w = np.asarray(resid_w, dtype=float)
    codes, _ = pd.factorize(pd.Series(np.asarray(clusters, dtype=object)), sort=False)
    codes = np.asarray(codes)
    n, k = xw.shape
    n_clusters = int(codes.max() + 1) if n else 0
    bread = np.linalg.inv(xw.T @ xw)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    meat = np.zeros((k, k))
    parts = []
    for rows in np.split(order, bounds):
        xg, rg = xw[rows], resid_w[rows]
        if kind == "CR2":
            ag = _reference_inv_sqrt_psd(np.eye(len(rows)) - xg @ bread @ xg.T)
            u = xg.T @ (ag @ rg)
            parts.append((rows, xg, ag))
        else:
            u = xg.T @ rg
        meat += np.outer(u, u)
    vcov = bread @ meat @ bread
    if kind == "CR1":
        vcov = vcov * n_clusters / (n_clusters - 1) * (n - 1) / (n - k)
    se = np.sqrt(np.clip(np.diag(vcov), 0.0, None))
    if kind == "CR2":
        df = np.array([_reference_bm_df(np.eye(k)[j], bread, tuple(parts)) for j in range(k)])
    else:
        df = np.full(k, float(n_clusters - 1))
    return vcov, se, df, n_clusters, bread, tuple(parts)


# Kolesar's dfadjust test data (tests/testthat/test_clustervar.R): R recycles the 10 cluster
# labels over the 20 rows. Stata 15: reg y x, cluster(clusters) / reg y x, r / reg y x, vce(hc2).
DT_Y = np.r_[np.cos(np.arange(0, 10)), np.tan(np.arange(1, 11))]
DT_X = np.column_stack([np.ones(20), np.r_[np.sin(np.arange(1, 11)), np.sin(np.arange(2, 12))]])
DT_CLUSTERS = np.tile([2, 1, 3, 2, 2, 3, 3, 1, 1, 2], 2)


def test_cr1_reproduces_stata_cluster_standard_errors():
    """Published (Stata, quoted in dfadjust's tests): b = (-0.4456202905, 0.3241183110),
    CR1 SE (0.4827602183, 0.1814501834)."""
    beta, fit = ols_cluster_robust(DT_Y, DT_X, DT_CLUSTERS, kind="CR1")
    assert beta == pytest.approx([-0.4456202905, 0.3241183110], abs=1e-9)
    assert fit.se == pytest.approx([0.4827602183, 0.1814501834], abs=1e-9)
    assert list(fit.df) == [2.0, 2.0] and fit.n_clusters == 3


def test_cr2_with_one_row_per_cluster_is_statas_hc2():
    """Published (Stata ``vce(hc2)``): SE (0.4227339762, 0.4421048122); ``vce(robust)`` = CR1 with
    singletons: (0.4278077455, 0.4392155956)."""
    _, cr2 = ols_cluster_robust(DT_Y, DT_X, np.arange(20), kind="CR2")
    assert cr2.se == pytest.approx([0.4227339762, 0.4421048122], abs=1e-9)
    _, cr1 = ols_cluster_robust(DT_Y, DT_X, np.arange(20), kind="CR1")
    assert cr1.se == pytest.approx([0.4278077455, 0.4392155956], abs=1e-9)


def test_cr2_and_bm_df_match_the_hand_written_version_on_an_unbalanced_design():
    """Reference: ``hand_cr2`` (n x n matrices, scipy's sqrtm) on clusters of 3-25 rows and a
    design with a cluster-level dummy, a within-cluster dummy and a continuous covariate."""
    rng = np.random.default_rng(3)
    sizes = rng.integers(3, 26, 9)
    groups = np.repeat(np.arange(9), sizes)
    n = groups.size
    x = np.column_stack([np.ones(n), (groups % 3 == 0).astype(float), rng.random(n) < 0.4, rng.normal(size=n)])
    y = x @ [1.0, 0.5, -0.3, 0.2] + rng.normal(0, 1, 9)[groups] + rng.normal(size=n)
    beta, fit = ols_cluster_robust(y, x, groups, kind="CR2")
    vcov, df = hand_cr2(x, y - x @ beta, groups)
    assert fit.vcov == pytest.approx(vcov, rel=1e-9, abs=1e-14)
    assert fit.df == pytest.approx(df, rel=1e-9)
    assert np.all(fit.df <= 8 + 1e-9)  # never more than G - 1
    assert fit.contrast_df(np.array([0, 1.0, 0, 0])) == pytest.approx(df[1], rel=1e-12)


def test_cr2_is_unbiased_under_independent_equal_variance_errors():
    """Bell & McCaffrey (2002): with y = Xb + e, e ~ (0, I), E[c'V_CR2 c] = c'(X'X)^-1 c exactly.

    c'V c = e'(I-H) [sum_g q_g q_g'] (I-H) e, so its expectation is sum_g q_g'(I-H)q_g, computed
    here with the adjustment matrices of ``hand_cr2``'s construction.
    """
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(6), [4, 9, 2, 7, 5, 12])
    n = groups.size
    x = np.column_stack([np.ones(n), (groups < 2).astype(float), rng.normal(size=n)])
    m = np.linalg.inv(x.T @ x)
    h = x @ m @ x.T
    for c in (np.array([0, 1.0, 0]), np.array([0, 0, 1.0]), np.array([1.0, 1.0, 0])):
        expectation = 0.0
        for g in range(6):
            idx = np.flatnonzero(groups == g)
            a = np.linalg.inv(np.real(linalg.sqrtm(np.eye(idx.size) - h[np.ix_(idx, idx)])))
            q = np.zeros(n)
            q[idx] = a @ x[idx] @ m @ c
            expectation += q @ (np.eye(n) - h) @ q
        assert expectation == pytest.approx(c @ m @ c, rel=1e-10)


def test_cluster_level_two_group_contrast_has_the_welch_closed_form():
    """Balanced clusters of m rows, treatment constant within cluster: CR2 of the difference is
    s1^2/G1 + s0^2/G0 of the cluster means, and the BM df under the working model is
    (1/G1 + 1/G0)^2 / (1/(G1^2 (G1-1)) + 1/(G0^2 (G0-1))) (Satterthwaite with equal variances).
    The intercept (control mean) gets s0^2/G0 on G0 - 1 df.
    """
    rng = np.random.default_rng(11)
    g1, g0, m = 2, 4, 7
    groups = np.repeat(np.arange(g1 + g0), m)
    d = (groups < g1).astype(float)
    y = 3 + d + rng.normal(0, 1, g1 + g0)[groups] + rng.normal(size=groups.size)
    _, fit = ols_cluster_robust(y, np.column_stack([np.ones_like(d), d]), groups, kind="CR2")
    means = np.array([y[groups == g].mean() for g in range(g1 + g0)])
    v1, v0 = means[:g1].var(ddof=1) / g1, means[g1:].var(ddof=1) / g0
    assert fit.vcov[1, 1] == pytest.approx(v1 + v0, rel=1e-10)
    assert fit.vcov[0, 0] == pytest.approx(v0, rel=1e-10)
    welch_df = (1 / g1 + 1 / g0) ** 2 / (1 / (g1**2 * (g1 - 1)) + 1 / (g0**2 * (g0 - 1)))
    assert fit.df[1] == pytest.approx(welch_df, rel=1e-10)
    assert fit.df[0] == pytest.approx(g0 - 1, rel=1e-10)


def test_cr0_and_cr1_match_statsmodels():
    """Reference: statsmodels OLS ``cov_type="cluster"`` with and without its small-sample correction."""
    rng = np.random.default_rng(8)
    groups = rng.integers(0, 7, 120)
    x = sm.add_constant(rng.normal(size=(120, 2)))
    y = x @ [1, 2, -1] + rng.normal(size=7)[groups] + rng.normal(size=120)
    for kind, correction in (("CR1", True), ("CR0", False)):
        ref = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": correction})
        _, fit = ols_cluster_robust(y, x, groups, kind=kind)
        assert fit.vcov == pytest.approx(ref.cov_params(), rel=1e-10)
        assert list(fit.df) == [6.0, 6.0, 6.0]


def test_cluster_fixed_effects_use_the_pseudo_inverse():
    """With a dummy per cluster, I - H_gg is singular (dfadjust's "noninvertible" case); the
    symmetric pseudo-inverse square root keeps the within-cluster slope finite. Reference: the
    same regression after demeaning y and x within clusters (Frisch-Waugh), whose CR2 slope SE
    is identical because the adjustment acts on the within-cluster projection only."""
    rng = np.random.default_rng(4)
    groups = np.repeat(np.arange(6), 8)
    x1 = rng.normal(size=48)
    y = 0.5 * x1 + rng.normal(size=6)[groups] + rng.normal(size=48)
    fe = (groups[:, None] == np.arange(6)).astype(float)
    beta, fit = ols_cluster_robust(y, np.column_stack([x1, fe]), groups, kind="CR2")
    assert np.isfinite(fit.se[0]) and fit.se[0] > 0

    def demean(v):
        return v - np.array([v[groups == g].mean() for g in range(6)])[groups]

    beta_w, fit_w = ols_cluster_robust(demean(y), demean(x1)[:, None], groups, kind="CR2")
    assert beta[0] == pytest.approx(beta_w[0], rel=1e-10)
    # Same residuals; the FE model's hat block adds the cluster-mean projection, whose
    # pseudo-inverse part vanishes on the (mean-zero) within residuals.
    assert fit.se[0] == pytest.approx(fit_w.se[0], rel=1e-8)


def test_cluster_robust_needs_two_clusters_and_a_known_kind():
    with pytest.raises(ValueError, match="two clusters"):
        cluster_robust(np.ones((5, 1)), np.arange(5.0), np.zeros(5))
    with pytest.raises(ValueError, match="kind"):
        cluster_robust(np.ones((5, 1)), np.arange(5.0), np.arange(5), kind="CR9")


# --- scale: the vectorised CR2 against the per-cluster reference above -----------------------


def _mixed_design(seed: int, n_clusters: int, *, weighted: bool, singleton_share: float = 0.5):
    """A random (weighted) design with clusters of 1-6 rows, labels as shuffled strings.

    Returns ``(xw, resid_w, labels)``. ``weighted`` gives a logistic GLM's scale: ``sqrt(w)``
    times the design and Pearson residuals ``(y - p) / sqrt(w)`` with ``w = p (1 - p)``.
    """
    rng = np.random.default_rng(seed)
    sizes = np.where(rng.random(n_clusters) < singleton_share, 1, rng.integers(2, 7, n_clusters))
    codes = np.repeat(np.arange(n_clusters), sizes)
    order = rng.permutation(codes.size)  # clusters' rows interleaved, not contiguous
    codes = codes[order]
    n = codes.size
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.random(n) < 0.3, rng.normal(size=n) * 50])
    x = np.column_stack([x, rng.normal(size=n_clusters)[codes]])  # a cluster-level covariate
    labels = np.array([f"p{c:05d}" for c in codes], dtype=object)
    eta = x @ [0.2, 0.5, -0.4, 0.004, 0.3] + rng.normal(0, 0.5, n_clusters)[codes]
    if not weighted:
        y = eta + rng.normal(size=n)
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        return x, y - x @ beta, labels
    p = 1.0 / (1.0 + np.exp(-eta))
    w = p * (1.0 - p)
    y = (rng.random(n) < p).astype(float)
    return x * np.sqrt(w)[:, None], (y - p) / np.sqrt(w), labels


def _with_dummy_for(xw: np.ndarray, labels: np.ndarray, label: str) -> np.ndarray:
    """Append a dummy for one cluster: that cluster's hat block gets an eigenvalue of exactly 1."""
    return np.column_stack([xw, (labels == label).astype(float)])


def _assert_same_as_reference(xw, resid_w, labels, contrasts):
    fit = cluster_robust(xw, resid_w, labels, kind="CR2")
    vcov, se, df, n_clusters, bread, parts = _reference_cluster_robust(xw, resid_w, labels)
    scale = np.max(np.abs(vcov))
    np.testing.assert_allclose(fit.vcov, vcov, rtol=1e-10, atol=1e-13 * scale)
    np.testing.assert_allclose(fit.se, se, rtol=1e-10)
    np.testing.assert_allclose(fit.df, df, rtol=1e-10)
    assert fit.n_clusters == n_clusters
    for c in contrasts:
        assert fit.contrast_df(c) == pytest.approx(_reference_bm_df(c, bread, parts), rel=1e-10)
    for kind in ("CR0", "CR1"):
        other = cluster_robust(xw, resid_w, labels, kind=kind)
        ref_vcov = _reference_cluster_robust(xw, resid_w, labels, kind=kind)[0]
        np.testing.assert_allclose(other.vcov, ref_vcov, rtol=1e-10, atol=1e-13 * np.max(np.abs(ref_vcov)))
    return fit


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "logistic_glm_weights"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cr2_matches_the_per_cluster_reference_on_mixed_cluster_sizes(seed, weighted):
    """Reference: ``_reference_cluster_robust`` (the G x G implementation). 300 clusters of 1-6
    rows (half one-row), interleaved rows, string labels; vcov, se, each coefficient's df and
    the df of random and difference contrasts agree to 1e-10, and so do CR0 and CR1."""
    xw, resid_w, labels = _mixed_design(seed, 300, weighted=weighted)
    rng = np.random.default_rng(100 + seed)
    contrasts = [*rng.normal(size=(3, xw.shape[1])), np.array([0, 1.0, -1.0, 0, 0]), np.array([1.0, 0, 0, 0, 1.0])]
    _assert_same_as_reference(xw, resid_w, labels, contrasts)


def test_cr2_matches_the_reference_when_every_cluster_is_one_row():
    """Reference: ``_reference_cluster_robust``. All clusters one row (HC2): only the closed form
    ``(1 - h)^(-1/2)`` is used, no ``eigh``."""
    xw, resid_w, labels = _mixed_design(4, 400, weighted=False, singleton_share=1.0)
    assert len(set(labels)) == len(labels)
    _assert_same_as_reference(xw, resid_w, labels, [np.array([0, 1.0, 1.0, 0, 0])])


@pytest.mark.parametrize("weighted", [False, True], ids=["ols", "logistic_glm_weights"])
def test_cr2_matches_the_reference_when_a_hat_block_has_an_eigenvalue_of_one(weighted):
    """Reference: ``_reference_cluster_robust``. A dummy for one multi-row cluster and one for a
    one-row cluster (leverage exactly 1): the batched ``eigh`` and the closed form both give the
    Moore-Penrose inverse square root (zero on the unit eigenvalue), as the per-cluster version did."""
    xw, resid_w, labels = _mixed_design(5, 200, weighted=weighted)
    sizes = pd.Series(labels).value_counts()
    big, single = sizes.index[sizes >= 3][0], sizes.index[sizes == 1][0]
    xw = _with_dummy_for(_with_dummy_for(xw, labels, big), labels, single)
    # Refit so the residuals are orthogonal to the new columns (zero on the one-row cluster).
    beta, *_ = np.linalg.lstsq(xw, resid_w, rcond=None)
    resid_w = resid_w - xw @ beta
    k = xw.shape[1]
    fit = _assert_same_as_reference(xw, resid_w, labels, [np.eye(k)[k - 2], np.eye(k)[1] - np.eye(k)[k - 2]])
    assert np.all(np.isfinite(fit.vcov)) and np.all(np.isfinite(fit.df[:5]))


def test_bm_df_is_accurate_when_one_row_has_leverage_near_one():
    """Reference: the Bell-McCaffrey df computed in 60-digit arithmetic (mpmath 1.4: M, the hat
    blocks, ``eigsy`` for A_g and the full G x G Gram, all with ``mp.dps = 60``) for this
    deterministic design, whose row 0 has leverage 1 - 1.4e-7. ``tr(Gram^2)`` written as
    ``sum s_g^2 - 2 sum s_g z_g'Mz_g + tr((MZ'Z)^2)`` is off by 2% (one-row cluster) or 3e-5
    (three-row cluster) for the third coefficient; the form used keeps 1e-10."""
    truth = {
        1: [12.592937202075966, 10.924358931457052, 1.071493723731813, 10.924498669389932],
        3: [13.367580336594578, 11.560677289607318, 1.061225372231981, 11.560050757426096],
    }
    for first_size, expected in truth.items():
        sizes = [first_size] + [1] * 14 + [2, 3, 4, 2, 3]
        groups = np.repeat(np.arange(len(sizes)), sizes)
        i = np.arange(groups.size, dtype=float)
        x = np.column_stack([np.ones(groups.size), np.sin(i), np.cos(2 * i)])
        x[0, 2] = 1e4
        _, fit = ols_cluster_robust(np.cos(3 * i) + 0.5 * np.sin(5 * i), x, groups, kind="CR2")
        contrasts = [*np.eye(3), np.array([0, 1.0, -1.0])]
        assert [fit.contrast_df(c) for c in contrasts] == pytest.approx(expected, rel=1e-9)
        assert fit.df == pytest.approx(expected[:3], rel=1e-9)


def test_gram_traces_without_the_g_by_g_matrix_equal_the_explicit_ones():
    """Reference: ``Gram = diag(s) - Z M Z'`` formed explicitly from ``_reference_cluster_robust``'s
    parts. Both rearrangements (module docstring) give tr(Gram) and tr(Gram^2) to 1e-12:
    ``sum s - tr(MZ'Z)`` / ``sum s^2 - 2 sum s_g z_g'Mz_g + tr((MZ'Z)^2)`` and the one used,
    ``sum e_g`` / ``sum e_g^2 + 2 sum_{h<g} (z_g'Mz_h)^2`` with ``e_g = s_g - z_g'Mz_g``."""
    from helpers.evaluation.cluster_robust import _sum_squares_below_diagonal

    xw, resid_w, labels = _mixed_design(6, 150, weighted=True)
    *_, bread, parts = _reference_cluster_robust(xw, resid_w, labels)
    mc = bread @ np.array([0, 1.0, 0, 0, 0.5])
    p = [ag @ (xg @ mc) for _, xg, ag in parts]
    s = np.array([v @ v for v in p])
    z = np.array([v @ xg for v, (_, xg, _) in zip(p, parts, strict=True)])
    gram = np.diag(s) - z @ bread @ z.T
    m_ztz = bread @ z.T @ z
    zmz = np.einsum("gk,kl,gl->g", z, bread, z)
    assert s.sum() - np.trace(m_ztz) == pytest.approx(np.trace(gram), rel=1e-12)
    assert s @ s - 2 * s @ zmz + np.sum(m_ztz * m_ztz.T) == pytest.approx(np.trace(gram @ gram), rel=1e-12)
    e = s - zmz
    assert e.sum() == pytest.approx(np.trace(gram), rel=1e-12)
    pairs = _sum_squares_below_diagonal(z @ bread, z)
    assert e @ e + 2 * pairs == pytest.approx(np.trace(gram @ gram), rel=1e-12)


@pytest.mark.parametrize("n_rows", [1, 2, 63, 64, 65, 200])
def test_pair_sum_equals_the_explicit_lower_triangle_across_chunk_boundaries(n_rows):
    """Reference: ``np.tril(L @ R', -1)`` squared and summed, with chunks of 64 rows."""
    from helpers.evaluation.cluster_robust import _sum_squares_below_diagonal

    rng = np.random.default_rng(n_rows)
    left, right = rng.normal(size=(n_rows, 3)), rng.normal(size=(n_rows, 3))
    explicit = float(np.sum(np.tril(left @ right.T, -1) ** 2))
    assert _sum_squares_below_diagonal(left, right) == pytest.approx(explicit, rel=1e-12, abs=1e-300)


def test_inv_sqrt_psd_of_a_stack_equals_one_call_per_matrix():
    """Reference: ``_reference_inv_sqrt_psd`` matrix by matrix, including a singular matrix
    (pseudo-inverse: zero on the null space) and a 2-D call, as other modules make it."""
    from helpers.evaluation.cluster_robust import inv_sqrt_psd

    rng = np.random.default_rng(9)
    roots = rng.normal(size=(5, 4, 4))
    stack = roots @ np.swapaxes(roots, 1, 2)
    v = rng.normal(size=4)
    stack[2] = np.eye(4) - np.outer(v, v) / (v @ v)  # eigenvalues 1, 1, 1, 0
    batched = inv_sqrt_psd(stack)
    for matrix, got in zip(stack, batched, strict=True):
        np.testing.assert_allclose(got, _reference_inv_sqrt_psd(matrix), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(inv_sqrt_psd(matrix), _reference_inv_sqrt_psd(matrix), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(batched[2] @ batched[2], stack[2], atol=1e-12)  # projection: its own pinv


def test_cr2_with_60000_one_row_clusters_needs_no_g_by_g_matrix():
    """Reference: the size of a G x G float64 matrix, 8 G^2 bytes = 28.8 GB for G = 60,000 (the
    previous version raised MemoryError here). Peak traced memory of the whole CR2 fit with its
    four df stays below 200 MB, and it takes seconds, not the minutes of 60,000 ``eigh`` calls."""
    import tracemalloc

    rng = np.random.default_rng(12)
    n = 60_000
    x = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    resid = rng.normal(size=n)
    start = time.perf_counter()
    tracemalloc.start()
    try:
        fit = cluster_robust(x, resid, np.arange(n), kind="CR2")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    elapsed = time.perf_counter() - start
    assert peak < 200e6 < 8 * n**2
    assert elapsed < 5
    assert fit.n_clusters == n
    assert np.all(np.isfinite(fit.df)) and np.all((fit.df > 1) & (fit.df <= n - 1))


# --- clustered_proportion -------------------------------------------------------------------


def _wilson(p: float, n: float, crit: float) -> tuple[float, float]:
    """Wilson (1927) written out: (p + c^2/2n +- c sqrt(p(1-p)/n + c^2/4n^2)) / (1 + c^2/n)."""
    centre = p + crit**2 / (2 * n)
    half = crit * math.sqrt(p * (1 - p) / n + crit**2 / (4 * n**2))
    return (centre - half) / (1 + crit**2 / n), (centre + half) / (1 + crit**2 / n)


def test_one_row_per_person_gives_the_plain_wilson_interval():
    """Reference: ``_wilson`` with z = 1.959964 for 7 of 20."""
    y = [1] * 7 + [0] * 13
    r = clustered_proportion(y, list(range(20)))
    assert isinstance(r, ClusteredProportion)
    assert (r.ci_low, r.ci_high) == pytest.approx(_wilson(0.35, 20, stats.norm.ppf(0.975)), abs=1e-12)
    assert r.design_effect == 1.0 and r.n_effective == 20 and r.n_clusters == 20 and r.df == math.inf


def test_repeated_rows_widen_the_interval_by_the_design_effect_worked_by_hand():
    """Worked example: 6 people, 12 rows (7 successes); p = 7/12; cluster residual sums
    y_g - p m_g; v = G/(G-1) sum (.)^2 / n^2; deff = v / (p(1-p)/n); Wilson with n/deff and t_5."""
    people = ["a", "a", "a", "b", "b", "c", "d", "d", "e", "e", "e", "f"]
    y = [1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0, 0]
    r = clustered_proportion(y, people)
    p, n = 7 / 12, 12
    sums = {"a": (3, 3), "b": (0, 2), "c": (1, 1), "d": (1, 2), "e": (2, 3), "f": (0, 1)}
    v = 6 / 5 * sum((k - p * m) ** 2 for k, m in sums.values()) / n**2
    deff = v / (p * (1 - p) / n)
    assert deff > 1
    assert r.design_effect == pytest.approx(deff)
    assert r.n_effective == pytest.approx(n / deff)
    assert (r.ci_low, r.ci_high) == pytest.approx(_wilson(p, n / deff, stats.t.ppf(0.975, 5)), abs=1e-12)
    assert (r.successes, r.n, r.n_clusters, r.df) == (7, 12, 6, 5.0)
    wider = _wilson(p, n, stats.norm.ppf(0.975))
    assert r.ci_high - r.ci_low > wider[1] - wider[0]


def test_all_or_no_successes_use_the_largest_design_effect():
    """p = 0 or 1 leaves no residual; the effective n is n^2 / sum m_g^2 (rows of a person identical):
    here 3 people with 3, 2, 1 rows: 36 / 14. The interval still touches 0 (or 1)."""
    people = [1, 1, 1, 2, 2, 3]
    r0 = clustered_proportion([0] * 6, people)
    r1 = clustered_proportion([True] * 6, people)
    n_eff = 36 / 14
    crit = stats.t.ppf(0.975, 2)
    assert r0.n_effective == pytest.approx(n_eff) and r0.ci_low == 0.0
    assert r0.ci_high == pytest.approx(_wilson(0.0, n_eff, crit)[1])
    assert r1.ci_high == 1.0 and r1.ci_low == pytest.approx(_wilson(1.0, n_eff, crit)[0])
    assert "maximum" in r0.note


def test_clustered_proportion_edge_cases():
    """Reference: definitions. No rows: undefined; one person: effective n = 1; bad values: error."""
    empty = clustered_proportion([], [])
    assert empty.n == 0 and math.isnan(empty.proportion)
    one = clustered_proportion([1, 0, 1], ["x", "x", "x"])
    assert one.n_effective == pytest.approx(1.0) and one.n_clusters == 1
    assert (one.ci_low, one.ci_high) == pytest.approx(_wilson(2 / 3, 1.0, stats.norm.ppf(0.975)))
    missing = clustered_proportion([1, None, 0, 1], [1, 1, 2, 3])
    assert missing.n == 3
    with pytest.raises(ValueError, match="0/1"):
        clustered_proportion([1, 2], [1, 2])


@pytest.mark.parametrize("share", [0.3, 0.85])
def test_clustered_proportion_covers_in_simulated_enrolments(share):
    """Seeded simulation: 80 people with 1-3 enrolments each, a person effect of SD 2 on the logit
    scale (strong within-person correlation), marginal completion share 0.3 or 0.85. The 95% interval
    must cover the marginal share >= 91% of 400 draws; Wilson on the rows covers clearly less."""
    rng = np.random.default_rng(2025 if share == 0.3 else 2026)
    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(60)
    intercept = _solve_intercept(share, 2.0, gh_x, gh_w / gh_w.sum())
    start = time.perf_counter()
    hits = naive = 0
    reps = 400
    for _ in range(reps):
        m = rng.integers(1, 4, 80)
        person = np.repeat(np.arange(80), m)
        y = rng.random(person.size) < special.expit(intercept + rng.normal(0, 2.0, 80))[person]
        r = clustered_proportion(y, person)
        hits += r.ci_low <= share <= r.ci_high
        lo, hi = _wilson(y.mean(), y.size, stats.norm.ppf(0.975))
        naive += lo <= share <= hi
    assert hits / reps >= 0.91
    assert naive < hits
    assert time.perf_counter() - start < 15


def _solve_intercept(share, sigma, gh_x, gh_w):
    from scipy import optimize

    return optimize.brentq(lambda a: np.sum(gh_w * special.expit(a + sigma * gh_x)) - share, -20, 20)


def test_support_association_matches_ols_and_uses_cr2_bell_mccaffrey():
    """Reference: statsmodels OLS for the coefficients (a second implementation); the standard
    errors are the CR2 of ``cluster_robust`` (checked against Stata and a hand-written CR2 above),
    and each interval is estimate +- t(df_BM) x se."""
    from helpers.evaluation import support_association

    rng = np.random.default_rng(7)
    people = np.repeat(np.arange(40), 3)
    support = np.repeat(rng.normal(3.4, 0.9, 40), 3)
    colleague = rng.normal(3.6, 0.8, len(people))
    outcome = 1.8 + 0.4 * support + np.repeat(rng.normal(0, 0.4, 40), 3) + rng.normal(0, 0.6, len(people))
    df = pd.DataFrame({"y": outcome, "s": support, "c": colleague, "p": people})
    res = support_association(df, outcome="y", predictors=["s", "c"], cluster="p")
    table = res.to_frame().set_index("term")
    ols = sm.OLS(df["y"], sm.add_constant(df[["s", "c"]])).fit()
    assert table.loc["s", "coefficient"] == pytest.approx(ols.params["s"], rel=1e-10)
    assert table.loc["c", "coefficient"] == pytest.approx(ols.params["c"], rel=1e-10)
    row = table.loc["s"]
    assert 1 < row["df"] <= 39
    half = stats.t.ppf(0.975, row["df"]) * row["se"]
    assert row["ci_high"] - row["ci_low"] == pytest.approx(2 * half, rel=1e-10)
    assert "CR2" in res.method
