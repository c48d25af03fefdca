"""Random-effects pooling of effects across regions (cross-region summary)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from ._common import Result, check_ci

__all__ = ["PooledEffect", "pool_effects"]


@dataclass(frozen=True, eq=False)
class PooledEffect(Result):
    """Random-effects pooled estimate with heterogeneity statistics.

    Attributes
    ----------
    estimate, se, ci_low, ci_high : float
        Pooled effect, its standard error and z-based interval.
    tau2 : float
        Between-study variance (truncated at 0).
    i2 : float
        Higgins & Thompson I² as a proportion in [0, 1] (NaN when k = 1).
    q, q_p : float
        Cochran's Q and its chi-square p-value (k - 1 df).
    k : int
        Number of studies (regions).
    method : str
        Description of the computation.
    studies : pandas.DataFrame
        ``label``, ``effect``, ``se``, ``ci_low``, ``ci_high``, ``weight``
        (random-effects weight as a proportion summing to 1).
    note : str
        Caveats (e.g. a single study).
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    tau2: float
    i2: float
    q: float
    q_p: float
    k: int
    method: str
    studies: pd.DataFrame = field(repr=False)
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return the study table followed by a ``"Pooled (RE)"`` row."""
        pooled = pd.DataFrame(
            [{"label": "Pooled (RE)", "effect": self.estimate, "se": self.se,
              "ci_low": self.ci_low, "ci_high": self.ci_high, "weight": 1.0}]
        )
        return pd.concat([self.studies, pooled], ignore_index=True)


def pool_effects(
    effects: Sequence[float] | np.ndarray | pd.Series,
    variances: Sequence[float] | np.ndarray | pd.Series,
    labels: Sequence[str] | None = None,
    method: Literal["pm", "dl"] = "pm",
    ci: float = 0.95,
) -> PooledEffect:
    """Pool per-region effects with a random-effects model.

    Parameters
    ----------
    effects : array-like
        Effect estimates on an additive scale (e.g. d_z, log odds ratios).
    variances : array-like
        Their sampling variances (se²), all > 0.
    labels : sequence of str, optional
        Study / region labels; default ``"1"``, ``"2"``, ...
    method : {"pm", "dl"}, default "pm"
        Between-study variance estimator: Paule-Mandel (1982) or
        DerSimonian-Laird (1986), both via statsmodels ``combine_effects``.
    ci : float, default 0.95
        Confidence level (normal quantiles, as metafor's default).

    Returns
    -------
    PooledEffect

    Notes
    -----
    ``tau2`` from statsmodels is truncated at zero (its DL estimator can be
    negative) and the pooled estimate is recomputed with inverse-variance
    weights ``1 / (v_i + tau2)``: ``estimate = sum(w y) / sum(w)``,
    ``se = 1 / sqrt(sum(w))``. ``Q = sum((y - y_FE)² / v)`` and
    ``I² = max(0, (Q - (k-1)) / Q)`` (Higgins & Thompson 2002) for either
    estimator. With ``k = 1`` the single study is returned as is with
    ``tau2 = 0``, ``q = 0`` and ``i2``/``q_p`` NaN (heterogeneity is not
    estimable), and a note. NaN effects or variances raise ``ValueError``:
    filter regions without an estimate explicitly.

    Examples
    --------
    >>> r = pool_effects([0.5, 0.5], [0.04, 0.09], ["a", "b"], method="dl")
    >>> round(r.estimate, 3), r.tau2, r.i2
    (0.5, 0.0, 0.0)
    """
    ci = check_ci(ci)
    if method not in ("pm", "dl"):
        raise ValueError(f"method must be 'pm' or 'dl', got {method!r}")
    y = np.asarray(effects, dtype=float).ravel()
    v = np.asarray(variances, dtype=float).ravel()
    k = y.size
    if v.size != k:
        raise ValueError(f"effects and variances differ in length ({k} != {v.size})")
    if k == 0:
        raise ValueError("no effects to pool")
    labels = [str(i + 1) for i in range(k)] if labels is None else [str(x) for x in labels]
    if len(labels) != k:
        raise ValueError("labels must match effects in length")
    bad = [labels[i] for i in range(k) if not (np.isfinite(y[i]) and np.isfinite(v[i]))]
    if bad:
        raise ValueError(f"missing effect or variance for {bad}")
    if np.any(v <= 0):
        raise ValueError(f"variances must be positive; got {v[v <= 0].tolist()}")

    z = stats.norm.ppf(0.5 + ci / 2.0)
    notes = []
    if k == 1:
        tau2, q, q_p, i2 = 0.0, 0.0, math.nan, math.nan
        notes.append("a single study: returned as is, heterogeneity not estimable")
    else:
        with warnings.catch_warnings():
            # PM iterations may warn on convergence for homogeneous data; tau2 is clipped below anyway.
            warnings.simplefilter("ignore")
            res = combine_effects(y, v, method_re=method)
        tau2 = max(0.0, float(res.tau2))
        w_fe = 1.0 / v
        y_fe = np.sum(w_fe * y) / np.sum(w_fe)
        q = float(np.sum(w_fe * (y - y_fe) ** 2))
        q_p = float(stats.chi2.sf(q, k - 1))
        i2 = max(0.0, (q - (k - 1)) / q) if q > 0 else 0.0

    w = 1.0 / (v + tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    se = float(1.0 / math.sqrt(np.sum(w)))
    se_i = np.sqrt(v)
    studies = pd.DataFrame(
        {
            "label": labels,
            "effect": y,
            "se": se_i,
            "ci_low": y - z * se_i,
            "ci_high": y + z * se_i,
            "weight": w / w.sum(),
        }
    )
    name = {"pm": "Paule-Mandel", "dl": "DerSimonian-Laird"}[method]
    return PooledEffect(
        estimate=estimate,
        se=se,
        ci_low=estimate - z * se,
        ci_high=estimate + z * se,
        tau2=float(tau2),
        i2=float(i2),
        q=float(q),
        q_p=q_p,
        k=int(k),
        method=f"random-effects inverse-variance pooling, {name} tau² truncated at 0; z-based {ci:.0%} CI",
        studies=studies,
        note="; ".join(notes),
    )
