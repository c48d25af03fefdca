"""Print how often 95% intervals of the interrupted time series and few-unit DiD cover the truth.

Run from the project root:  .venv/bin/python benchmarks/coverage_its.py [--reps 1000] [--jobs 2]
(``--reps 200`` for a quick look; Monte Carlo standard error of a coverage near 0.95 is about
0.007 at 1000 replications and 0.015 at 200.)

Simulated series: n = 24, 36, 48 periods; stationary AR(1) noise with innovation sd 1 and
phi = 0, 0.3, 0.6; one interruption after a pre-period drawn uniformly between n/3 and n/2.

* Interrupted time series: ``y = 10 + 0.1 t - 2 post - 0.1 (t - t0) post + e`` (the
  parametrisation of :func:`helpers.evaluation.segmented_regression`); the level change -2 and
  slope change -0.1 are the truths.
* Few-unit difference-in-differences: a trained and a comparison unit share a trend and a
  common AR(1) shock; each has its own AR(1) noise (sd 1/sqrt(2), so the difference series has
  innovation sd 1); the planted training effect is -1.5 from the interruption on.

Candidates (all with Student t or normal quantiles as named):

``OLS t(n-k), iid SE``  OLS ignoring autocorrelation (the efficient choice when phi = 0).
``NW z, L=3``           OLS, Newey-West (Bartlett, 3 lags), no small-sample correction, z
                        (the former ``segmented_regression`` with the report's setting).
``NW z, L=auto``        the same with floor(4 (n/100)^(2/9)) lags (former ``difference_series_did``).
``NW t(n-k) corr, L=auto`` / ``L=3``  statsmodels ``use_correction=True`` and t on n - k df.
``Prais-Winsten t(n-k)``  statsmodels ``GLSAR(rho=1).iterative_fit()``, t on n - k df.
``REML GLS t(n-k)``     REML rho, GLS, model-based SE, t on n - k df (``nlme::gls`` + t).
``REML GLS Satterthwaite (df>=2)``  the same SE, t on Satterthwaite df (floored at 2).
``REML GLS KR full (df>=2)``  Kenward-Roger (1997) adjusted SE including second derivatives.
``IMPLEMENTED``         the package's functions as called by the report: REML GLS with the
                        first-order Kenward-Roger SE and df floored at 2 (Kenward & Roger 2009;
                        see :mod:`helpers.evaluation.timeseries`).

Target: every interval covers 0.93-0.985 of the time in every scenario.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # one BLAS thread per worker process; the workers share the cores

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import statsmodels.api as sm  # noqa: E402
from scipy import stats  # noqa: E402

from helpers.evaluation import difference_series_did, segmented_regression  # noqa: E402
from helpers.evaluation.timeseries import fit_ar1_regression  # noqa: E402

NS = (24, 36, 48)
PHIS = (0.0, 0.3, 0.6)
LEVEL, SLOPE, DID_EFFECT = -2.0, -0.1, -1.5
TARGET = (0.93, 0.985)
IMPLEMENTED = "IMPLEMENTED (REML GLS, KR first-order)"


def ar1_noise(rng: np.random.Generator, n: int, phi: float, sd: float = 1.0) -> np.ndarray:
    """Stationary AR(1) with innovation sd ``sd`` (first value from the stationary law)."""
    e = rng.normal(0.0, sd, n)
    u = np.empty(n)
    u[0] = e[0] / math.sqrt(1.0 - phi * phi)
    for i in range(1, n):
        u[i] = phi * u[i - 1] + e[i]
    return u


def _nw(y, x, lags, correction, idx):
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": correction})
    return [(fit.params[j], fit.bse[j]) for j in idx]


def _kr_full_se(x: np.ndarray, rho: float, sigma2: float, idx: list[int]) -> list[float]:
    """Kenward-Roger (1997) adjusted SE with the second-derivative term R (consecutive periods)."""
    n = x.shape[0]
    lag = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    r = rho**lag
    dr = np.where(lag > 0, lag * rho ** np.maximum(lag - 1, 0), 0.0)
    d2r = np.where(lag > 1, lag * (lag - 1) * rho ** np.maximum(lag - 2, 0), 0.0)
    vi = np.linalg.inv(sigma2 * r)
    phi = np.linalg.inv(x.T @ vi @ x)
    proj = vi - vi @ x @ phi @ x.T @ vi
    vh = (r, sigma2 * dr)
    vhh = ((np.zeros_like(r), dr), (dr, sigma2 * d2r))
    pv = [proj @ m for m in vh]
    w = np.linalg.inv(np.array([[0.5 * np.sum(pv[i] * pv[j].T) for j in range(2)] for i in range(2)]))
    xvi = x.T @ vi
    ph = [-(xvi @ m @ xvi.T) for m in vh]
    lam = sum(
        w[i, j] * (xvi @ vh[i] @ vi @ vh[j] @ xvi.T - ph[i] @ phi @ ph[j] - 0.25 * xvi @ vhh[i][j] @ xvi.T)
        for i in range(2)
        for j in range(2)
    )
    cov = phi + 2 * phi @ lam @ phi
    return [math.sqrt(max(cov[j, j], 0.0)) for j in idx]


def candidates(y: np.ndarray, x: np.ndarray, idx: list[int]) -> dict[str, list[tuple[float, float, float]]]:
    """``{method: [(estimate, se, df) per coefficient in idx]}``; df = inf means normal quantiles."""
    n, k = x.shape
    auto = int(math.floor(4 * (n / 100) ** (2 / 9)))
    ols = sm.OLS(y, x).fit()
    out = {
        "OLS t(n-k), iid SE": [(ols.params[j], ols.bse[j], n - k) for j in idx],
        "NW z, L=3": [(b, s, math.inf) for b, s in _nw(y, x, 3, False, idx)],
        "NW z, L=auto": [(b, s, math.inf) for b, s in _nw(y, x, auto, False, idx)],
        "NW t(n-k) corr, L=auto": [(b, s, n - k) for b, s in _nw(y, x, auto, True, idx)],
        "NW t(n-k) corr, L=3": [(b, s, n - k) for b, s in _nw(y, x, 3, True, idx)],
    }
    glsar = sm.GLSAR(y, x, rho=1).iterative_fit(maxiter=50)
    out["Prais-Winsten t(n-k)"] = [(glsar.params[j], glsar.bse[j], n - k) for j in idx]
    fit = fit_ar1_regression(y, x)
    naive = np.sqrt(np.diag(fit.cov_unadjusted))
    out["REML GLS t(n-k)"] = [(fit.params[j], naive[j], n - k) for j in idx]
    out["REML GLS Satterthwaite (df>=2)"] = [(fit.params[j], naive[j], fit.df[j]) for j in idx]
    full = _kr_full_se(x, fit.rho, fit.sigma2, idx)
    out["REML GLS KR full (df>=2)"] = [(fit.params[j], full[i], fit.df[j]) for i, j in enumerate(idx)]
    return out


def _coverage(draws: np.ndarray, truth: float) -> np.ndarray:
    """``[reps, 3]`` rows of (estimate, se, df) -> rows of (covered, width); df = inf means z."""
    est, se, df = draws.T
    q = np.where(np.isinf(df), stats.norm.ppf(0.975), stats.t.ppf(0.975, np.where(np.isinf(df), 1.0, df)))
    return np.column_stack([np.abs(est - truth) <= q * se, 2 * q * se])


def its_scenario(args: tuple[int, float, int, int]) -> dict[str, np.ndarray]:
    """Per method ``[reps, 4]``: level covered, level width, slope covered, slope width."""
    n, phi, reps, seed = args
    rng = np.random.default_rng([seed, n, int(round(phi * 10)), 1])
    draws: dict[str, list] = {}
    implemented = []
    t = np.arange(1, n + 1, dtype=float)
    for _ in range(reps):
        n_pre = int(rng.integers(math.ceil(n / 3), n // 2 + 1))
        post = (t > n_pre).astype(float)
        x = np.column_stack([np.ones(n), t, post, (t - n_pre) * post])
        y = x @ np.array([10.0, 0.1, LEVEL, SLOPE]) + ar1_noise(rng, n, phi)
        for name, pair in candidates(y, x, [2, 3]).items():
            draws.setdefault(name, []).append(pair)
        # The package's own intervals, as the report gets them.
        res = segmented_regression(y, t, start=n_pre + 1, maxlags=3)
        implemented.append(
            [
                res.level_ci_low <= LEVEL <= res.level_ci_high,
                res.level_ci_high - res.level_ci_low,
                res.slope_ci_low <= SLOPE <= res.slope_ci_high,
                res.slope_ci_high - res.slope_ci_low,
            ]
        )
    out = {}
    for name, rows in draws.items():
        a = np.array(rows, dtype=float)  # reps x 2 terms x (est, se, df)
        out[name] = np.hstack([_coverage(a[:, 0], LEVEL), _coverage(a[:, 1], SLOPE)])
    out[IMPLEMENTED] = np.array(implemented, dtype=float)
    return out


def did_scenario(args: tuple[int, float, int, int]) -> dict[str, np.ndarray]:
    """Per method ``[reps, 2]``: effect covered, width."""
    n, phi, reps, seed = args
    rng = np.random.default_rng([seed, n, int(round(phi * 10)), 2])
    draws: dict[str, list] = {}
    implemented = []
    t = np.arange(1, n + 1)
    for _ in range(reps):
        n_pre = int(rng.integers(math.ceil(n / 3), n // 2 + 1))
        post = t > n_pre
        common = 0.02 * t + ar1_noise(rng, n, phi, 0.3)
        trained = 7.3 + common + DID_EFFECT * post + ar1_noise(rng, n, phi, 1 / math.sqrt(2))
        comparison = 7.0 + common + ar1_noise(rng, n, phi, 1 / math.sqrt(2))
        x = np.column_stack([np.ones(n), post.astype(float)])
        for name, pair in candidates(trained - comparison, x, [1]).items():
            draws.setdefault(name, []).append(pair[0])
        panel = pd.DataFrame(
            {
                "unit": ["trained"] * n + ["comparison"] * n,
                "period": np.concatenate([t, t]),
                "y": np.concatenate([trained, comparison]),
                "treated": [True] * n + [False] * n,
                "post": np.concatenate([post, post]),
            }
        )
        res = difference_series_did(panel, "y", "unit", "period", "treated", "post")
        implemented.append([res.ci_low <= DID_EFFECT <= res.ci_high, res.ci_high - res.ci_low])
    out = {name: _coverage(np.array(rows, dtype=float), DID_EFFECT) for name, rows in draws.items()}
    out[IMPLEMENTED] = np.array(implemented, dtype=float)
    return out


def _flag(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return "meets target" if lo >= TARGET[0] and hi <= TARGET[1] else "misses target"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000, help="replications per scenario (default 1000; 200 is quick)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    scenarios = [(n, phi, args.reps, args.seed) for n in NS for phi in PHIS]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=max(args.jobs, 1)) as pool:
        its = list(pool.map(its_scenario, scenarios))
        did = list(pool.map(did_scenario, scenarios))

    print(
        f"Coverage of nominal 95% intervals, {args.reps} replications per scenario "
        f"(MC s.e. ~{math.sqrt(0.95 * 0.05 / args.reps):.3f}); target {TARGET[0]}-{TARGET[1]}\n"
    )
    print("Interrupted time series (segmented regression): level change and slope change")
    header = (
        f"{'method':40s} {'n':>3s} {'phi':>4s} {'level cov':>9s} {'mean width':>10s} "
        f"{'slope cov':>9s} {'mean width':>10s}"
    )
    print(header)
    print("-" * len(header))
    summary = []
    for name in its[0]:
        covs = []
        for (n, phi, *_), res in zip(scenarios, its, strict=True):
            a = res[name]
            covs += [a[:, 0].mean(), a[:, 2].mean()]
            print(
                f"{name:40s} {n:3d} {phi:4.1f} {a[:, 0].mean():9.3f} {a[:, 1].mean():10.3f} "
                f"{a[:, 2].mean():9.3f} {a[:, 3].mean():10.3f}"
            )
        summary.append(("ITS", name, min(covs), max(covs)))
        print()
    print("Few-unit difference-in-differences (treated-minus-comparison series): training effect")
    header = f"{'method':40s} {'n':>3s} {'phi':>4s} {'coverage':>9s} {'mean width':>10s}"
    print(header)
    print("-" * len(header))
    for name in did[0]:
        covs = []
        for (n, phi, *_), res in zip(scenarios, did, strict=True):
            a = res[name]
            covs.append(a[:, 0].mean())
            print(f"{name:40s} {n:3d} {phi:4.1f} {a[:, 0].mean():9.3f} {a[:, 1].mean():10.3f}")
        summary.append(("DiD", name, min(covs), max(covs)))
        print()
    print("Summary: range of coverage over all scenarios (and both terms for ITS)")
    for kind, name, lo, hi in summary:
        print(f"{kind:4s} {name:40s} {lo:6.3f} - {hi:6.3f}  {_flag([lo, hi])}")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
