"""Coverage of the clustered intervals in simulations shaped like the training data.

Not part of the test suite. Every scenario draws data the way the workbook sees it (people
nested in 3-12 programmes, or rows repeating within people), runs the *public* function of
``helpers.evaluation`` and counts how often its 95% interval covers the truth. For comparison
it also reports the textbook interval the function used before (CR1 with z or t on G - 1,
Wilson on rows), computed with statsmodels.

Usage::

    .venv/bin/python benchmarks/coverage_clusters.py --reps 1000
    .venv/bin/python benchmarks/coverage_clusters.py --reps 300 --only logistic

Columns: ``cover`` (coverage of the function's interval), ``mc_se`` (Monte-Carlo standard error
of that coverage), ``width`` (mean interval width; odds ratios on the log scale), ``old`` (coverage
of the previous method on the same draws: CR1 with t on G - 1 for the means and methods, CR1 with z for the
logistic model, Wilson on the rows for shares), ``cr2_tG1`` (CR2 standard errors with t on G - 1 instead of
the Bell-McCaffrey df), ``refused`` (share of draws the function refused;
coverage is over the others). The target is ``cover >= 0.93`` everywhere.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, special, stats
from statsmodels.stats.proportion import proportion_confint

from helpers.evaluation import (
    EstimationRefused,
    clustered_mean,
    clustered_proportion,
    jp_attainment,
    method_differences,
    participation_model,
)

SIZES = (10, 60)  # people per programme, uniform
NOISE_SD = 8.0  # individual SD of the gain
GH_X, GH_W = np.polynomial.hermite_e.hermegauss(80)
GH_W = GH_W / GH_W.sum()


def _row(
    scenario: str,
    term: str,
    hits: list[bool],
    widths: list[float],
    old: list[bool],
    refused: int,
    reps: int,
    cr2_g1: list[bool] | None = None,
):
    k = len(hits)
    cover = float(np.mean(hits)) if k else math.nan
    return {
        "scenario": scenario,
        "term": term,
        "reps": reps,
        "refused": refused / reps,
        "cover": cover,
        "mc_se": math.sqrt(cover * (1 - cover) / k) if k else math.nan,
        "width": float(np.mean(widths)) if k else math.nan,
        "old": float(np.mean(old)) if old else math.nan,
        "cr2_tG1": float(np.mean(cr2_g1)) if cr2_g1 else math.nan,
    }


def _programmes(rng, g):
    sizes = rng.integers(SIZES[0], SIZES[1] + 1, g)
    return np.repeat(np.arange(g), sizes)


def means(reps: int, rng) -> list[dict]:
    """clustered_mean: mean gain of a region, programme random effects SD 2-4, noise SD 8."""
    out = []
    for g in (3, 5, 8, 12):
        for sd_u in (2.0, 4.0):
            hits, widths, old, alt = [], [], [], []
            for _ in range(reps):
                cl = _programmes(rng, g)
                y = 10 + rng.normal(0, sd_u, g)[cl] + rng.normal(0, NOISE_SD, cl.size)
                r = clustered_mean(y, cl)
                hits.append(r.ci_low <= 10 <= r.ci_high)
                widths.append(r.ci_high - r.ci_low)
                alt.append(abs(r.mean - 10) <= stats.t.ppf(0.975, g - 1) * r.se)
                fit = sm.OLS(y, np.ones_like(y)).fit(cov_type="cluster", cov_kwds={"groups": cl}, use_t=True)
                lo, hi = fit.conf_int()[0]
                old.append(lo <= 10 <= hi)
            out.append(_row(f"mean G={g} sd_u={sd_u:g}", "mean", hits, widths, old, 0, reps, alt))
    return out


# Methods per programme (one letter per programme) and the planted method effects.
ALLOCATIONS = {5: "AABBC", 8: "AAABBCCC", 12: "AAAAABBCCCDD"}
EFFECTS = {"A": 0.0, "B": -3.0, "C": 6.0, "D": 2.0}


def methods(reps: int, rng) -> list[dict]:
    """method_differences: method is a programme attribute; contrasts against method A."""
    out = []
    for g, alloc in ALLOCATIONS.items():
        for sd_u in (2.0, 4.0):
            labels = np.array(list(alloc))
            terms = sorted(set(alloc) - {"A"})
            hits = {t: [] for t in terms}
            widths = {t: [] for t in terms}
            old = {t: [] for t in terms}
            alt = {t: [] for t in terms}
            refused = dict.fromkeys(terms, 0)
            for _ in range(reps):
                rng.shuffle(labels)
                cl = _programmes(rng, g)
                method = labels[cl]
                effect = np.vectorize(EFFECTS.get)(method)
                y = 10 + effect + rng.normal(0, sd_u, g)[cl] + rng.normal(0, NOISE_SD, cl.size)
                df = pd.DataFrame({"gain": y, "method": method, "programme": cl})
                r = method_differences(df, "gain", "method", "programme", reference="A")
                table = r.to_frame().set_index("term")
                x = pd.get_dummies(df["method"], dtype=float).drop(columns="A")
                fit = sm.OLS(y, sm.add_constant(x)).fit(cov_type="cluster", cov_kwds={"groups": cl}, use_t=True)
                conf = fit.conf_int()
                for t in terms:
                    if t in r.refused:
                        refused[t] += 1
                        continue
                    row = table.loc[f"method[{t}]"]
                    hits[t].append(row["ci_low"] <= EFFECTS[t] <= row["ci_high"])
                    widths[t].append(row["ci_high"] - row["ci_low"])
                    old[t].append(conf.loc[t, 0] <= EFFECTS[t] <= conf.loc[t, 1])
                    alt[t].append(abs(row["coefficient"] - EFFECTS[t]) <= stats.t.ppf(0.975, g - 1) * row["se"])
            for t in terms:
                n_prog = alloc.count(t)
                out.append(
                    _row(
                        f"methods G={g} sd_u={sd_u:g}",
                        f"{t} ({n_prog} prog.) vs A ({alloc.count('A')})",
                        hits[t],
                        widths[t],
                        old[t],
                        refused[t],
                        reps,
                        alt[t],
                    )
                )
    return out


def _pseudo_truth(beta: np.ndarray, sigma: float, p_inc: float, p_conf: float) -> np.ndarray:
    """Population-averaged log odds ratios that the pooled logistic model converges to.

    Cells (incentive x conflict) with their expected shares; the marginal completion
    probability of a cell integrates the programme effect out (Gauss-Hermite); the pooled
    ML estimate solves the weighted score equations on those marginal probabilities.
    """
    cells = np.array([[1.0, i, c] for i in (0, 1) for c in (0, 1)])
    w = np.array([(p_inc if i else 1 - p_inc) * (p_conf if c else 1 - p_conf) for i in (0, 1) for c in (0, 1)])
    marginal = np.array([np.sum(GH_W * special.expit(c @ beta + sigma * GH_X)) for c in cells])
    b = beta.copy()
    for _ in range(100):
        p = special.expit(cells @ b)
        b = b + np.linalg.solve(cells.T @ (cells * (w * p * (1 - p))[:, None]), cells.T @ (w * (marginal - p)))
    return b


def logistic(reps: int, rng) -> list[dict]:
    """participation_model: completion ~ incentive (programme level) + schedule conflict (person level)."""
    out = []
    b0 = math.log(0.85 / 0.15)
    for g in (5, 8, 12):
        for sigma in (0.3, 0.5):
            for p_conf, b_conf in ((0.15, -0.5), (0.40, -1.2)):
                n_inc = g // 2
                beta = np.array([b0, 0.6, b_conf])
                truth = _pseudo_truth(beta, sigma, n_inc / g, p_conf)
                terms = {"incentive": 1, "schedule_conflict": 2}
                hits = {t: [] for t in terms}
                widths = {t: [] for t in terms}
                old = {t: [] for t in terms}
                alt = {t: [] for t in terms}
                refused = 0
                for _ in range(reps):
                    cl = _programmes(rng, g)
                    inc = (rng.permutation(g) < n_inc).astype(float)[cl]
                    conf = (rng.random(cl.size) < p_conf).astype(float)
                    eta = b0 + 0.6 * inc + b_conf * conf + rng.normal(0, sigma, g)[cl]
                    y = rng.random(cl.size) < special.expit(eta)
                    df = pd.DataFrame({"completed": y, "incentive": inc, "schedule_conflict": conf, "programme": cl})
                    try:
                        r = participation_model(df, predictors=["incentive", "schedule_conflict"], cluster="programme")
                    except EstimationRefused:
                        refused += 1
                        continue
                    table = r.to_frame().set_index("term")
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        fit = sm.Logit(y.astype(float), sm.add_constant(df[["incentive", "schedule_conflict"]])).fit(
                            disp=False, cov_type="cluster", cov_kwds={"groups": cl}
                        )
                    conf_int = fit.conf_int()
                    for t, j in terms.items():
                        lo, hi = np.log(table.loc[t, "ci_low"]), np.log(table.loc[t, "ci_high"])
                        hits[t].append(lo <= truth[j] <= hi)
                        widths[t].append(hi - lo)
                        old[t].append(conf_int.loc[t, 0] <= truth[j] <= conf_int.loc[t, 1])
                        alt[t].append(
                            abs(table.loc[t, "coefficient"] - truth[j])
                            <= stats.t.ppf(0.975, g - 1) * table.loc[t, "se"]
                        )
                for t in terms:
                    out.append(
                        _row(
                            f"logit G={g} sigma={sigma:g} conflict={p_conf:.0%}",
                            f"log OR {t}",
                            hits[t],
                            widths[t],
                            old[t],
                            refused,
                            reps,
                            alt[t],
                        )
                    )
    return out


def _intercept_for(share: float, sigma: float) -> float:
    return optimize.brentq(lambda a: np.sum(GH_W * special.expit(a + sigma * GH_X)) - share, -20, 20)


def proportions(reps: int, rng) -> list[dict]:
    """clustered_proportion: rows (enrolments) repeat 1-3 times per person; person effect on the logit."""
    out = []
    for share in (0.3, 0.85):
        for people in (50, 150, 500):
            for sigma in (0.5, 1.5, 3.0):
                a = _intercept_for(share, sigma)
                hits, widths, old = [], [], []
                for _ in range(reps):
                    m = rng.integers(1, 4, people)
                    person = np.repeat(np.arange(people), m)
                    y = rng.random(person.size) < special.expit(a + rng.normal(0, sigma, people))[person]
                    r = clustered_proportion(y, person)
                    hits.append(r.ci_low <= share <= r.ci_high)
                    widths.append(r.ci_high - r.ci_low)
                    lo, hi = proportion_confint(int(y.sum()), y.size, method="wilson")
                    old.append(lo <= share <= hi)
                out.append(
                    _row(
                        f"share={share:g} people={people} sigma={sigma:g}",
                        "share (1-3 rows/person)",
                        hits,
                        widths,
                        old,
                        0,
                        reps,
                    )
                )
    return out


def jp(reps: int, rng) -> list[dict]:
    """jp_attainment(cluster='participant_key'): each person counted in 3 years, persistent habits."""
    out = []
    for share in (0.3, 0.85):
        for people in (60, 260):
            sigma = 2.0
            a = _intercept_for(share, sigma)
            hits, widths, old = [], [], []
            for _ in range(reps):
                key = np.repeat(np.arange(people), 3)
                year = np.tile([2023, 2024, 2025], people)
                reached = rng.random(key.size) < special.expit(a + rng.normal(0, sigma, people))[key]
                frame = pd.DataFrame({"participant_key": key, "year": year, "jp": 24.0, "completed": reached})
                r = jp_attainment(frame, target=20, cluster="participant_key")
                hits.append(r.ci_low <= share <= r.ci_high)
                widths.append(r.ci_high - r.ci_low)
                legacy = jp_attainment(frame, target=20)
                old.append(legacy.ci_low <= share <= legacy.ci_high)
            out.append(
                _row(f"JP share={share:g} people={people} x 3 years", "share >= 20 JP", hits, widths, old, 0, reps)
            )
    return out


def single_programme(reps: int, rng) -> list[dict]:
    """A method taught in one programme: the contrast must be refused, every time."""
    refused = 0
    for _ in range(reps):
        cl = _programmes(rng, 6)
        method = np.array(list("AAABBC"))[cl]
        y = 10 + rng.normal(0, 3, 6)[cl] + rng.normal(0, NOISE_SD, cl.size)
        r = method_differences(pd.DataFrame({"gain": y, "method": method, "p": cl}), "gain", "method", "p")
        refused += r.refused.get("C") == "single_programme"
    return [_row("methods G=6, C in one programme", "C vs A", [], [], [], refused, reps)]


SUITES = {
    "means": means,
    "methods": methods,
    "logistic": logistic,
    "proportions": proportions,
    "jp": jp,
    "refusal": single_programme,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="simulated data sets per scenario (default 1000)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--only", choices=sorted(SUITES), action="append", help="run only these suites")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    rows = []
    for name in args.only or list(SUITES):
        start = time.perf_counter()
        rows += SUITES[name](args.reps, rng)
        print(f"# {name}: {time.perf_counter() - start:.0f} s", flush=True)
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.max_colwidth", 60):
        print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    ok = table["cover"].dropna()
    print(
        f"\nminimum coverage {ok.min():.3f} over {len(ok)} rows (target >= 0.93); "
        f"{int((ok < 0.93).sum())} rows below target"
    )


if __name__ == "__main__":
    main()
