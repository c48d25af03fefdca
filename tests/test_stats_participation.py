"""Participation: 20 JP attainment, Wilson intervals, logistic models.

Independent references: the closed-form Wilson (1927) interval written out, JP
totals by hand, a hand-coded Newton-Raphson logistic fit in NumPy with the CR2 sandwich and
Bell-McCaffrey df written out (``hand_cr2``), planted odds ratios in simulated data, the
refusal rules (separation: Albert & Anderson 1984, Konis 2007), and seeded coverage simulations.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.evaluation import (
    EstimationRefused,
    clustered_proportion,
    jp_attainment,
    participation_model,
    proportion_ci,
)
from helpers.evaluation.participation import separation_direction

from .test_stats_cluster_robust import hand_cr2


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
    """Reference: ``_newton_logit`` on the rows cleaned by hand, with the CR2 sandwich for a GLM written
    out by ``hand_cr2`` on the IRLS-weighted scale (Xw = W^1/2 X, Pearson residuals (y - p)/sqrt(w),
    bread (X'WX)^-1, as clubSandwich does for ``glm``), t on each coefficient's Bell-McCaffrey df.
    """
    dirty = completions.copy()
    dirty["workload_10h"] = dirty["workload_10h"].mask(dirty.index % 50 == 0)
    r = participation_model(dirty, predictors=["schedule_conflict", "workload_10h"], cluster="program_id")
    assert r.n == 3000 - 60 and r.n_clusters == 40
    assert "CR2" in r.method

    clean = dirty.dropna()
    x = np.column_stack(
        [np.ones(len(clean)), clean["schedule_conflict"].to_numpy(float), clean["workload_10h"].to_numpy()]
    )
    y = clean["completed"].to_numpy(float)
    beta, _ = _newton_logit(x, y)
    p = 1 / (1 + np.exp(-x @ beta))
    w = p * (1 - p)
    vcov, df = hand_cr2(x * np.sqrt(w)[:, None], (y - p) / np.sqrt(w), clean["program_id"].to_numpy())
    se = np.sqrt(np.diag(vcov))
    table = r.to_frame()
    assert table["coefficient"].to_numpy() == pytest.approx(beta, abs=1e-8)
    assert table["se"].to_numpy() == pytest.approx(se, rel=1e-6)
    assert table["df"].to_numpy() == pytest.approx(df, rel=1e-6)
    crit = stats.t.ppf(0.975, df)
    assert table["ci_low"].to_numpy() == pytest.approx(np.exp(beta - crit * se), rel=1e-6)
    assert table["ci_high"].to_numpy() == pytest.approx(np.exp(beta + crit * se), rel=1e-6)
    assert table["p_value"].to_numpy() == pytest.approx(2 * stats.t.sf(np.abs(beta / se), df), rel=1e-6)


def test_model_based_intervals_have_infinite_df(completions):
    """Reference: without clusters the interval is the normal Wald one (df = inf)."""
    r = participation_model(completions, predictors=["schedule_conflict"])
    assert np.isinf(r.to_frame()["df"]).all() and r.n_clusters is None


def _programmes(n_programmes: int, seed: int, incentive_in: int | None = None, size: int = 40) -> pd.DataFrame:
    """Completion data: programme random intercepts (SD 0.4), programme-level incentive, personal conflict."""
    rng = np.random.default_rng(seed)
    prog = np.repeat(np.arange(n_programmes), size)
    k = n_programmes // 2 if incentive_in is None else incentive_in
    incentive = (np.arange(n_programmes) < k).astype(float)[prog]
    conflict = (rng.random(prog.size) < 0.3).astype(float)
    eta = 1.7 + 0.6 * incentive - 0.8 * conflict + rng.normal(0, 0.4, n_programmes)[prog]
    completed = rng.random(prog.size) < 1 / (1 + np.exp(-eta))
    return pd.DataFrame(
        {"completed": completed, "incentive": incentive, "schedule_conflict": conflict, "program_id": prog}
    )


def _refusal(df, **kwargs) -> EstimationRefused:
    with pytest.raises(EstimationRefused) as err:
        participation_model(df, **kwargs)
    assert isinstance(err.value, ValueError)
    return err.value


def test_one_cluster_is_refused_not_a_zero_division():
    """Reference: G - 1 = 0: no between-programme variance can be estimated (was ZeroDivisionError)."""
    df = _programmes(1, 1)
    err = _refusal(df, predictors=["schedule_conflict"], cluster="program_id")
    assert err.reason == "one_cluster" and "one program_id" in str(err)


def test_programme_level_predictor_needs_four_programmes():
    """Rule: a predictor constant within programmes needs >= 4 programmes. With 3 the model is refused;
    an individual-level predictor alone is still estimated with 3 programmes."""
    df = _programmes(3, 2, incentive_in=1)
    err = _refusal(df, predictors=["incentive", "schedule_conflict"], cluster="program_id")
    assert err.reason == "too_few_clusters" and "incentive" in str(err)
    r = participation_model(df, predictors=["schedule_conflict"], cluster="program_id")
    assert r.n_clusters == 3


def test_programme_level_value_in_a_single_programme_is_refused():
    """Rule: each value of a programme-level predictor must occur in >= 2 programmes; an incentive in
    1 of 8 programmes is that programme's random effect, whatever the sandwich says."""
    df = _programmes(8, 3, incentive_in=1)
    err = _refusal(df, predictors=["incentive", "schedule_conflict"], cluster="program_id")
    assert err.reason == "too_few_clusters" and "single program_id" in str(err)
    ok = participation_model(_programmes(8, 3, incentive_in=2), predictors=["incentive"], cluster="program_id")
    assert ok.n_clusters == 8


def test_quasi_complete_separation_is_refused_instead_of_an_absurd_odds_ratio():
    """Reference: Albert & Anderson (1984): when every conflicted enrolment completed, the ML estimate
    of the conflict odds ratio is infinite (Newton reported 5.6e9); the LP check of Konis (2007) finds it."""
    df = _programmes(6, 4)
    df.loc[df["schedule_conflict"] == 1, "completed"] = True
    err = _refusal(df, predictors=["schedule_conflict", "incentive"], cluster="program_id")
    assert err.reason == "separation" and "schedule_conflict" in str(err)
    err = _refusal(df, predictors=["schedule_conflict"])  # without clusters too
    assert err.reason == "separation"


def test_complete_separation_is_refused():
    """Reference: y = 1 exactly when x > 0: a perfectly separating hyperplane exists."""
    x = np.linspace(-2, 2, 40)
    df = pd.DataFrame({"completed": x > 0, "workload": x, "program_id": np.arange(40) % 5})
    assert _refusal(df, predictors=["workload"], cluster="program_id").reason == "separation"


def test_separation_check_finds_no_direction_in_ordinary_data(completions):
    """Reference: the planted data overlap (every cell has events and non-events): no direction."""
    x = np.column_stack(
        [
            np.ones(len(completions)),
            completions["schedule_conflict"].to_numpy(float),
            completions["workload_10h"].to_numpy(),
        ]
    )
    assert separation_direction(x, completions["completed"].to_numpy(float)) is None


def test_constant_predictor_outcome_and_collinearity_are_refused(completions):
    """Reference: definitions: a predictor or outcome with one value, or two identical columns."""
    err = _refusal(completions.assign(grade="III"), predictors=["schedule_conflict", "grade"])
    assert err.reason == "constant_predictor" and "grade" in str(err)
    err = _refusal(completions.assign(completed=True), predictors=["schedule_conflict"])
    assert err.reason == "constant_outcome" and "variation" in str(err)
    err = _refusal(completions.assign(twin=completions["workload_10h"] * 2), predictors=["workload_10h", "twin"])
    assert err.reason == "collinear"


def test_non_convergence_is_refused(completions, monkeypatch):
    """Reference: the refusal rule. Real non-convergence after the separation check is rare, so the
    Newton fit is replaced by one that reports ``converged = False`` after its iterations."""
    import statsmodels.api as sm

    real_fit = sm.Logit.fit

    def stalled(self, *args, **kwargs):
        res = real_fit(self, *args, **{**kwargs, "maxiter": 1})
        res.mle_retvals["converged"] = False
        return res

    monkeypatch.setattr(sm.Logit, "fit", stalled)
    err = _refusal(completions, predictors=["schedule_conflict"])
    assert err.reason == "not_converged" and "converge" in str(err)


def test_estimation_refused_keeps_its_reason_through_pickle():
    """Reference: the exception contract: a ValueError with a ``reason`` code that survives pickling."""
    import pickle

    err = pickle.loads(pickle.dumps(EstimationRefused("separation", "boom")))
    assert err.reason == "separation" and str(err) == "boom" and isinstance(err, ValueError)


def _pseudo_true_log_or(beta, sigma, p_inc, p_conf):
    """Population-averaged coefficients the pooled logit converges to (Gauss-Hermite marginal cell
    probabilities, weighted score equations on the 2 x 2 cells)."""
    from scipy import special

    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(60)
    gh_w = gh_w / gh_w.sum()
    cells = np.array([[1.0, i, c] for i in (0, 1) for c in (0, 1)])
    w = np.array([(p_inc if i else 1 - p_inc) * (p_conf if c else 1 - p_conf) for i in (0, 1) for c in (0, 1)])
    marginal = np.array([np.sum(gh_w * special.expit(c @ beta + sigma * gh_x)) for c in cells])
    b = beta.copy()
    for _ in range(100):
        p = special.expit(cells @ b)
        b = b + np.linalg.solve(cells.T @ (cells * (w * p * (1 - p))[:, None]), cells.T @ (w * (marginal - p)))
    return b


def test_clustered_logistic_intervals_cover_with_few_programmes():
    """Seeded simulation shaped like a region: 6 programmes of 10-60 enrolments, random intercepts SD 0.5,
    baseline completion 85%, incentive in 3 programmes (OR 1.8), schedule conflict 30% (OR 0.45). The CR2/BM
    intervals must cover the population-averaged odds ratios >= 91% of the fitted draws (CR1 with z: ~75%)."""
    import time

    rng = np.random.default_rng(77)
    beta = np.array([math.log(0.85 / 0.15), math.log(1.8), math.log(0.45)])
    truth = _pseudo_true_log_or(beta, 0.5, 0.5, 0.3)
    hits = {"incentive": 0, "schedule_conflict": 0}
    fitted = refused = 0
    start = time.perf_counter()
    for _ in range(200):
        prog = np.repeat(np.arange(6), rng.integers(10, 61, 6))
        inc = (rng.permutation(6) < 3).astype(float)[prog]
        conf = (rng.random(prog.size) < 0.3).astype(float)
        eta = beta[0] + beta[1] * inc + beta[2] * conf + rng.normal(0, 0.5, 6)[prog]
        df = pd.DataFrame(
            {
                "completed": rng.random(prog.size) < 1 / (1 + np.exp(-eta)),
                "incentive": inc,
                "schedule_conflict": conf,
                "program_id": prog,
            }
        )
        try:
            table = (
                participation_model(df, predictors=["incentive", "schedule_conflict"], cluster="program_id")
                .to_frame()
                .set_index("term")
            )
        except EstimationRefused:
            refused += 1
            continue
        fitted += 1
        for term, j in (("incentive", 1), ("schedule_conflict", 2)):
            hits[term] += table.loc[term, "ci_low"] <= math.exp(truth[j]) <= table.loc[term, "ci_high"]
    assert refused < 20
    for term, k in hits.items():
        assert k / fitted >= 0.91, (term, k / fitted)
    assert time.perf_counter() - start < 15


def test_jp_attainment_clustered_by_participant(enrollments):
    """Reference: ``clustered_proportion`` of the per-participant-year flags by participant (A counted in
    2024 and 2025); per year each person appears once, so the yearly intervals stay Wilson's."""
    r = jp_attainment(enrollments, target=20, cluster="participant_key")
    per = r.per_participant
    ref = clustered_proportion(per["reached"].to_numpy(), per["participant_key"].to_numpy())
    assert (r.share, r.ci_low, r.ci_high) == pytest.approx((ref.proportion, ref.ci_low, ref.ci_high))
    assert (r.n, r.n_reaching, r.n_participants, r.n_clusters) == (6, 3, 5, 5)
    assert r.design_effect == pytest.approx(ref.design_effect)
    assert r.denominator.startswith("6 participant-years of 5 participants")
    by_year = r.to_frame().set_index("year")
    assert (by_year.loc[2024, "ci_low"], by_year.loc[2024, "ci_high"]) == pytest.approx(_wilson(2, 4))
    legacy = jp_attainment(enrollments, target=20)
    assert legacy.n_clusters is None and legacy.design_effect == 1.0 and "independent" in legacy.method


def test_jp_attainment_cluster_must_be_constant_within_participant_year(enrollments):
    """Reference: the rule: a participant-year belongs to one cluster."""
    office = enrollments.assign(office=["x", "y", "x", "x", "y", "y", "y", "x", "x"])
    with pytest.raises(ValueError, match="one value per participant-year"):
        jp_attainment(office, cluster="office")
    with pytest.raises(KeyError):
        jp_attainment(enrollments, cluster="unit")


def test_jp_share_interval_covers_when_people_repeat_across_years():
    """Seeded simulation: 60 people counted in 3 years with persistent habits (person effect SD 2 on the
    logit), marginal share 0.3. The clustered interval must cover >= 91% of 200 draws."""
    import time

    from scipy import optimize, special

    gh_x, gh_w = np.polynomial.hermite_e.hermegauss(60)
    gh_w = gh_w / gh_w.sum()
    a = optimize.brentq(lambda v: np.sum(gh_w * special.expit(v + 2.0 * gh_x)) - 0.3, -20, 20)
    rng = np.random.default_rng(303)
    hits = 0
    start = time.perf_counter()
    for _ in range(200):
        key = np.repeat(np.arange(60), 3)
        reached = rng.random(key.size) < special.expit(a + rng.normal(0, 2.0, 60))[key]
        frame = pd.DataFrame(
            {"participant_key": key, "year": np.tile([2023, 2024, 2025], 60), "jp": 24.0, "completed": reached}
        )
        r = jp_attainment(frame, cluster="participant_key")
        hits += r.ci_low <= 0.3 <= r.ci_high
    assert hits / 200 >= 0.91
    assert time.perf_counter() - start < 15
