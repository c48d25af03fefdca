"""Time and peak memory of the CR2 fit (with Bell-McCaffrey df) as the number of clusters grows.

Not part of the test suite. For each number of clusters G it draws one OLS design with
participant-level clusters of mixed size (70% one row, 30% two to four rows, about 1.6 G rows)
and ``--k`` columns (intercept, a binary and normal covariates), then runs
``helpers.evaluation.cluster_robust.cluster_robust(..., kind="CR2")``, which computes the
covariance and the df of every coefficient. Beside it runs the previous implementation, the
reference copy ``_reference_cluster_robust`` kept in ``tests/test_stats_cluster_robust.py``: it
builds the G x G matrix of the df and calls ``eigh`` once per cluster, so it is skipped where
8 G^2 bytes exceed ``--old-limit-gb`` (default 2 GB) and the row shows what it would need.

Usage (from the project root)::

    .venv/bin/python benchmarks/cr2_memory.py
    .venv/bin/python benchmarks/cr2_memory.py --clusters 1000,10000 --k 8

Columns: ``rows`` (n), ``new_s`` / ``old_s`` (wall time of one fit, without tracing), ``new_MiB`` /
``old_MiB`` (peak of ``tracemalloc`` during a second fit: numpy's arrays are traced, LAPACK's
work space is not), ``rel_diff`` (largest relative difference between the two, over vcov and df).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import tracemalloc
from pathlib import Path

import numpy as np

from helpers.evaluation.cluster_robust import cluster_robust

REFERENCE = Path(__file__).resolve().parents[1] / "tests" / "test_stats_cluster_robust.py"
MIB = 2**20
GIB = 2**30


def load_reference():
    """The previous per-cluster implementation, from the test file (one copy, not two)."""
    spec = importlib.util.spec_from_file_location("cr2_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._reference_cluster_robust


def mixed_design(n_clusters: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OLS design, residuals and cluster codes: 70% one-row clusters, 30% of 2-4 rows."""
    rng = np.random.default_rng(seed)
    sizes = np.where(rng.random(n_clusters) < 0.7, 1, rng.integers(2, 5, n_clusters))
    codes = np.repeat(np.arange(n_clusters), sizes)
    n = codes.size
    x = np.column_stack([np.ones(n), rng.random(n) < 0.4, rng.normal(size=(n, k - 2))])
    y = x @ rng.normal(size=k) + rng.normal(size=n_clusters)[codes] + rng.normal(size=n)
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return x, y - x @ beta, codes


def measure(fit_once) -> tuple[float, float, object]:
    """Wall seconds of one call, then the traced peak (MiB) of a second call, and its result."""
    start = time.perf_counter()
    fit_once()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    try:
        result = fit_once()
        peak = tracemalloc.get_traced_memory()[1] / MIB
    finally:
        tracemalloc.stop()
    return seconds, peak, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clusters", default="1000,10000,100000,300000", help="comma-separated G")
    parser.add_argument("--k", type=int, default=5, help="columns of the design (>= 3)")
    parser.add_argument("--old-limit-gb", type=float, default=2.0, help="skip the old version above 8 G^2 bytes")
    args = parser.parse_args(argv)
    reference = load_reference()

    print(f"{'G':>8} {'rows':>8} {'k':>3} {'new_s':>8} {'new_MiB':>9} {'old_s':>8} {'old_MiB':>9} {'rel_diff':>9}")
    for n_clusters in (int(g) for g in args.clusters.split(",")):
        x, resid, codes = mixed_design(n_clusters, args.k)
        new_s, new_mib, new = measure(lambda x=x, r=resid, c=codes: cluster_robust(x, r, c, kind="CR2"))
        gram_bytes = 8.0 * n_clusters**2
        if gram_bytes > args.old_limit_gb * 1e9:
            old = f"{'-':>8} {'-':>9} {'-':>9}   old would need {gram_bytes / GIB:,.1f} GiB for its G x G matrix"
        else:
            old_s, old_mib, (vcov, _, df, *_) = measure(lambda x=x, r=resid, c=codes: reference(x, r, c, "CR2"))
            rel = max(np.max(np.abs(new.vcov - vcov)) / np.max(np.abs(vcov)), np.max(np.abs(new.df / df - 1)))
            old = f"{old_s:8.2f} {old_mib:9.1f} {rel:9.1e}"
        print(f"{n_clusters:8d} {x.shape[0]:8d} {args.k:3d} {new_s:8.2f} {new_mib:9.1f} {old}", flush=True)


if __name__ == "__main__":
    main()
