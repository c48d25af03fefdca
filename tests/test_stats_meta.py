"""Cross-region summary: random-effects pooling.

Independent references: the BCG vaccine meta-analysis (Colditz et al. 1994, JAMA
271:698-702; ``metafor::dat.bcg``) with metafor's published DerSimonian-Laird results
(metafor test suite, checked against Stata ``metan``), and a hand-coded Paule-Mandel
estimator solving the generalised Q equation with SciPy's ``brentq``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from helpers.evaluation import pool_effects

# trial: (tpos, tneg, cpos, cneg) - vaccinated TB+, TB-, control TB+, TB-
BCG = {
    "Aronson 1948": (4, 119, 11, 128),
    "Ferguson & Simes 1949": (6, 300, 29, 274),
    "Rosenthal et al 1960": (3, 228, 11, 209),
    "Hart & Sutherland 1977": (62, 13536, 248, 12619),
    "Frimodt-Moller et al 1973": (33, 5036, 47, 5761),
    "Stein & Aronson 1953": (180, 1361, 372, 1079),
    "Vandiviere et al 1973": (8, 2537, 10, 619),
    "TPT Madras 1980": (505, 87886, 499, 87892),
    "Coetzee & Berjak 1968": (29, 7470, 45, 7232),
    "Rosenthal et al 1961": (17, 1699, 65, 1600),
    "Comstock et al 1974": (186, 50448, 141, 27197),
    "Comstock & Webster 1969": (5, 2493, 3, 2338),
    "Comstock et al 1976": (27, 16886, 29, 17825),
}


def _log_risk_ratios():
    """log RR = log(a/(a+b)) - log(c/(c+d)); var = 1/a - 1/(a+b) + 1/c - 1/(c+d)."""
    a, b, c, d = (np.array(v, float) for v in zip(*BCG.values(), strict=True))
    y = np.log(a / (a + b)) - np.log(c / (c + d))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return y, v, list(BCG)


def test_dersimonian_laird_reproduces_metafor_bcg_results():
    """metafor rma(method="DL"), measure RR: -0.7141 [-1.0644, -0.3638], z -3.9952,
    tau2 0.3088, I2 92.1173%, QE 152.2330."""
    y, v, labels = _log_risk_ratios()
    r = pool_effects(y, v, labels, method="dl")
    assert r.estimate == pytest.approx(-0.7141, abs=5e-5)
    assert r.ci_low == pytest.approx(-1.0644, abs=5e-5)
    assert r.ci_high == pytest.approx(-0.3638, abs=5e-5)
    assert r.estimate / r.se == pytest.approx(-3.9952, abs=5e-4)
    assert r.tau2 == pytest.approx(0.3088, abs=5e-5)
    assert 100 * r.i2 == pytest.approx(92.1173, abs=5e-4)
    assert r.q == pytest.approx(152.2330, abs=5e-4)
    assert r.k == 13
    assert math.exp(r.estimate) == pytest.approx(0.4896, abs=5e-5)


def _paule_mandel(y, v):
    """Paule & Mandel (1982): tau2 solving sum w_i (y_i - mu_w)^2 = k - 1, w_i = 1/(v_i + tau2)."""

    def excess(tau2):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return np.sum(w * (y - mu) ** 2) - (len(y) - 1)

    return 0.0 if excess(0.0) <= 0 else optimize.brentq(excess, 0.0, 100.0, xtol=1e-12)


def test_paule_mandel_matches_hand_estimator_on_bcg():
    """Reference: the Paule-Mandel equation solved by hand with ``brentq`` (``_paule_mandel``) and the
    inverse-variance pooling formulas; 0.3181 is that hand value rounded (a regression pin).
    """
    y, v, labels = _log_risk_ratios()
    tau2 = _paule_mandel(y, v)
    r = pool_effects(y, v, labels, method="pm")
    assert r.tau2 == pytest.approx(tau2, abs=1e-6)
    assert round(r.tau2, 4) == 0.3181
    w = 1 / (v + tau2)
    assert r.estimate == pytest.approx(np.sum(w * y) / np.sum(w), abs=1e-6)
    assert r.se == pytest.approx(1 / math.sqrt(np.sum(w)), abs=1e-6)


def test_study_table_has_random_effects_weights_that_sum_to_one():
    """Reference: weights 1/(v_i + tau2) / sum, with tau2 from the hand Paule-Mandel estimator
    (the default method), and each study's se = sqrt(v_i) and z interval written out.
    """
    y, v, labels = _log_risk_ratios()
    studies = pool_effects(y, v, labels).studies
    assert list(studies.columns) == ["label", "effect", "se", "ci_low", "ci_high", "weight"]
    w = 1 / (v + _paule_mandel(y, v))
    assert studies["weight"].to_numpy() == pytest.approx(w / w.sum(), abs=1e-8)
    assert studies["weight"].sum() == pytest.approx(1.0)
    assert studies["se"].to_numpy() == pytest.approx(np.sqrt(v))
    assert studies["ci_low"].to_numpy() == pytest.approx(y - 1.959964 * np.sqrt(v), abs=1e-6)


@pytest.mark.parametrize("method", ["dl", "pm"])
def test_homogeneous_studies_truncate_tau2_and_i2_at_zero(method):
    """Q < k - 1: the raw DL estimate (Q - df)/C and I2 = (Q - df)/Q are negative; both are set to 0."""
    y = np.array([0.30, 0.31, 0.29, 0.30])
    v = np.array([0.04, 0.05, 0.03, 0.06])
    r = pool_effects(y, v, method=method)
    assert r.q < 3
    assert r.tau2 == 0.0 and r.i2 == 0.0
    w = 1 / v
    assert r.estimate == pytest.approx(np.sum(w * y) / np.sum(w))  # fixed-effect weights


def test_single_region_is_returned_as_is_without_crashing():
    """Reference: by hand: one study is its own estimate, se = sqrt(0.09) = 0.3, 0.8 - 1.96 x 0.3."""
    r = pool_effects([0.8], [0.09], ["Salatiga"])
    assert (r.estimate, r.se, r.tau2, r.k) == (0.8, pytest.approx(0.3), 0.0, 1)
    assert math.isnan(r.i2) and math.isnan(r.q_p)
    assert r.ci_low == pytest.approx(0.8 - 1.959964 * 0.3, abs=1e-6)
    assert "single" in r.note


@pytest.mark.parametrize(("effects", "variances"), [([0.1, np.nan], [0.1, 0.1]), ([0.1, 0.2], [0.1, 0.0]), ([], [])])
def test_missing_effects_or_non_positive_variances_are_errors(effects, variances):
    with pytest.raises(ValueError):
        pool_effects(effects, variances)


def test_to_frame_appends_the_pooled_row():
    """Reference: 13 BCG trials + 1 pooled row."""
    y, v, labels = _log_risk_ratios()
    frame = pool_effects(y, v, labels, method="dl").to_frame()
    assert len(frame) == 14 and frame.iloc[-1]["label"] == "Pooled (RE)"
