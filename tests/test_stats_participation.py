"""Participation: 20 JP attainment, Wilson intervals, logistic models.

Independent references: the closed-form Wilson (1927) interval written out, JP
totals by hand, a hand-coded Newton-Raphson logistic fit in NumPy with a hand-written
cluster sandwich, and planted odds ratios in simulated data.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.evaluation import jp_attainment, participation_model, proportion_ci


def _wilson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    z = stats.norm.ppf(0.5 + level / 2)
    p = x / n
    centre = p + z**2 / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    denom = 1 + z**2 / n
    return ((centre - half) / denom, (centre + half) / denom)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_proportion_ci_is_the_wilson_interval(xn):
    """Reference: the closed-form Wilson (1927) interval written out in ``_wilson``."""
    x, n = xn
    r = proportion_ci(x, n)
    assert (r.ci_low, r.ci_high) == pytest.approx(_wilson(x, n), abs=1e-12)
    assert 0 <= r.ci_low <= r.proportion <= r.ci_high <= 1


def test_proportion_ci_handles_zero_n():
    """Reference: 0 / 0 is undefined; 5 successes cannot come from 3 trials."""
    r = proportion_ci(0, 0)
    assert r.n == 0 and math.isnan(r.proportion) and math.isnan(r.ci_low)
    with pytest.raises(ValueError):
        proportion_ci(5, 3)


@pytest.fixture
def enrollments() -> pd.DataFrame:
    return pd.DataFrame(
        [
            # participant A 2024: 12 + 10 completed = 22 JP -> reached
            ("A", 2024, 12, True),
            ("A", 2024, 10, True),
            ("A", 2024, 30, False),
            # B 2024: only a dropped 40 JP course -> 0 JP, still counted
            ("B", 2024, 40, False),
            # C 2024: exactly 20 JP -> reached (at least 20)
            ("C", 2024, 20, True),
            # D 2024: 19 JP -> not reached
            ("D", 2024, 9, True),
            ("D", 2024, 10, True),
            # A 2025: 8 JP -> not reached; E 2025: 24 -> reached
            ("A", 2025, 8, True),
            ("E", 2025, 24, True),
        ],
        columns=["participant_key", "year", "jp", "completed"],
    )


def test_jp_attainment_counts_completed_hours_per_participant_year(enrollments):
    """Reference: the JP totals by hand in the fixture's comments; 3 of 6 reach 20 JP; Wilson for 3/6."""
    r = jp_attainment(enrollments, target=20)
    per = r.per_participant.set_index(["participant_key", "year"])["jp_completed"]
    assert per.to_dict() == {
        ("A", 2024): 22,
        ("B", 2024): 0,
        ("C", 2024): 20,
        ("D", 2024): 19,
        ("A", 2025): 8,
        ("E", 2025): 24,
    }
    assert (r.n, r.n_reaching) == (6, 3)
    assert r.share == pytest.approx(0.5)
    assert (r.ci_low, r.ci_high) == pytest.approx(_wilson(3, 6))


def test_enrolled_participant_completing_nothing_counts_as_zero_jp(enrollments):
    """Reference: by hand: B's only course was not completed, so 0 JP."""
    r = jp_attainment(enrollments)
    row = r.per_participant.query("participant_key == 'B'").iloc[0]
    assert row["jp_completed"] == 0 and not row["reached"]


def test_jp_attainment_reports_each_year(enrollments):
    """Reference: by hand: 2024 A, C reach of A B C D (2 of 4); 2025 E of A E (1 of 2); Wilson for 2/4."""
    by_year = jp_attainment(enrollments).to_frame().set_index("year")
    assert by_year.loc[2024, ["n", "n_reaching"]].tolist() == [4, 2]
    assert by_year.loc[2025, "share"] == pytest.approx(0.5)
    assert (by_year.loc[2024, "ci_low"], by_year.loc[2024, "ci_high"]) == pytest.approx(_wilson(2, 4))


def test_completed_programme_without_jp_is_an_error(enrollments):
    enrollments.loc[0, "jp"] = np.nan
    with pytest.raises(ValueError, match="JP"):
        jp_attainment(enrollments)


def _newton_logit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Newton-Raphson for the logistic log-likelihood; SE from the inverse information."""
    beta = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ beta))
        info = x.T @ (x * (p * (1 - p))[:, None])
        step = np.linalg.solve(info, x.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = 1 / (1 + np.exp(-x @ beta))
    info = x.T @ (x * (p * (1 - p))[:, None])
    return beta, np.sqrt(np.diag(np.linalg.inv(info)))


@pytest.fixture
def completions() -> pd.DataFrame:
    """Planted odds ratios: schedule conflict 0.4, incentive 1.8, workload per 10 h 0.8."""
    rng = np.random.default_rng(11)
    n = 3000
    conflict = rng.random(n) < 0.35
    incentive = rng.choice(["no", "yes"], size=n)
    workload = rng.normal(40, 8, n)
    logit = 1.2 + np.log(0.4) * conflict + np.log(1.8) * (incentive == "yes") + np.log(0.8) * (workload - 40) / 10
    completed = rng.random(n) < 1 / (1 + np.exp(-logit))
    return pd.DataFrame(
        {
            "completed": completed,
            "schedule_conflict": conflict,
            "incentive": incentive,
            "workload_10h": (workload - 40) / 10,
            "program_id": rng.integers(0, 40, n),
        }
    )


def test_logistic_model_recovers_planted_odds_ratios(completions):
    """Reference: the odds ratios planted in the simulation (0.4, 1.8, 0.8)."""
    r = participation_model(completions, predictors=["schedule_conflict", "incentive", "workload_10h"])
    table = r.to_frame().set_index("term")
    for term, truth in {"schedule_conflict": 0.4, "incentive[yes]": 1.8, "workload_10h": 0.8}.items():
        assert table.loc[term, "ci_low"] < truth < table.loc[term, "ci_high"]
    assert r.n == 3000 and r.events == int(completions["completed"].sum())


def test_logistic_model_matches_hand_newton_raphson(completions):
    """Reference: ``_newton_logit`` (ML by Newton-Raphson in NumPy), SE from the inverse information,
    Wald interval exp(b +- z se).
    """
    r = participation_model(completions, predictors=["schedule_conflict", "incentive", "workload_10h"])
    x = np.column_stack(
        [
            np.ones(len(completions)),
            completions["schedule_conflict"].to_numpy(float),
            (completions["incentive"] == "yes").to_numpy(float),
            completions["workload_10h"].to_numpy(),
        ]
    )
    beta, se = _newton_logit(x, completions["completed"].to_numpy(float))
    table = r.to_frame()
    assert table["coefficient"].to_numpy() == pytest.approx(beta, abs=1e-8)
    assert table["se"].to_numpy() == pytest.approx(se, rel=1e-6)
    z = stats.norm.ppf(0.975)
    assert table["ci_low"].to_numpy() == pytest.approx(np.exp(beta - z * se), rel=1e-6)
    assert table["odds_ratio"].to_numpy() == pytest.approx(np.exp(beta), rel=1e-8)


def test_logistic_model_drops_missing_rows_and_supports_clusters(completions):
    """Reference: ``_newton_logit`` on the rows cleaned by hand, with the cluster sandwich written out:
    V = c H^-1 (sum_g s_g s_g') H^-1, s_g = sum over the cluster of x_i (y_i - p_i),
    c = G/(G-1) (N-1)/(N-K) (Cameron & Miller 2015), Wald interval on normal quantiles.
    """
    dirty = completions.copy()
    dirty["workload_10h"] = dirty["workload_10h"].mask(dirty.index % 50 == 0)
    r = participation_model(dirty, predictors=["schedule_conflict", "workload_10h"], cluster="program_id")
    assert r.n == 3000 - 60 and r.n_clusters == 40
    assert "cluster" in r.method

    clean = dirty.dropna()
    x = np.column_stack(
        [np.ones(len(clean)), clean["schedule_conflict"].to_numpy(float), clean["workload_10h"].to_numpy()]
    )
    y = clean["completed"].to_numpy(float)
    beta, _ = _newton_logit(x, y)
    p = 1 / (1 + np.exp(-x @ beta))
    bread = np.linalg.inv(x.T @ (x * (p * (1 - p))[:, None]))
    scores = x * (y - p)[:, None]
    groups = clean["program_id"].to_numpy()
    meat = sum(np.outer(scores[groups == g].sum(axis=0), scores[groups == g].sum(axis=0)) for g in np.unique(groups))
    big_g, (n, k) = len(np.unique(groups)), x.shape
    se = np.sqrt(np.diag(big_g / (big_g - 1) * (n - 1) / (n - k) * bread @ meat @ bread))
    table = r.to_frame()
    assert table["coefficient"].to_numpy() == pytest.approx(beta, abs=1e-8)
    assert table["se"].to_numpy() == pytest.approx(se, rel=1e-6)
    z = stats.norm.ppf(0.975)
    assert table["ci_low"].to_numpy() == pytest.approx(np.exp(beta - z * se), rel=1e-6)


def test_outcome_without_variation_is_an_error(completions):
    with pytest.raises(ValueError, match="variation"):
        participation_model(completions.assign(completed=True), predictors=["schedule_conflict"])
