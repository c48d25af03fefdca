"""Internal consistency of a multi-item scale (Cronbach's alpha)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._common import Result, check_ci

__all__ = ["AlphaResult", "cronbach_alpha"]


@dataclass(frozen=True, eq=False)
class AlphaResult(Result):
    """Cronbach's alpha of a scale with its Feldt confidence interval.

    Attributes
    ----------
    alpha, ci_low, ci_high : float
        Coefficient alpha and its confidence interval (NaN when undefined).
    n : int
        Respondents used: complete rows under listwise deletion, the smallest
        pairwise count under pairwise deletion.
    k : int
        Number of items.
    method : str
        Human-readable description of the computation.
    item_table : pandas.DataFrame
        One row per item: ``item``, ``item_total_r`` (corrected item-total
        correlation) and ``alpha_if_deleted``.
    note : str
        Why the statistic is undefined, if it is.
    """

    alpha: float
    ci_low: float
    ci_high: float
    n: int
    k: int
    method: str
    item_table: pd.DataFrame = field(repr=False)
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return the item table (a copy)."""
        return self.item_table.copy()


def _alpha_from_cov(cov: np.ndarray) -> float:
    """Alpha from an item covariance matrix: k/(k-1) * (1 - tr(C) / sum(C))."""
    k = cov.shape[0]
    total = cov.sum()
    if k < 2 or not np.isfinite(total) or total <= 0:
        return math.nan
    return k / (k - 1) * (1.0 - np.trace(cov) / total)


def _item_table(cov: np.ndarray, names: list[str]) -> pd.DataFrame:
    k = len(names)
    rows = []
    for i, name in enumerate(names):
        rest = [j for j in range(k) if j != i]
        # cov(item, sum of the others) / sqrt(var(item) * var(sum of the others))
        cov_rest = cov[i, rest].sum()
        var_rest = cov[np.ix_(rest, rest)].sum()
        denom = math.sqrt(cov[i, i] * var_rest) if cov[i, i] > 0 and var_rest > 0 else 0.0
        r = cov_rest / denom if denom > 0 else math.nan
        a = _alpha_from_cov(cov[np.ix_(rest, rest)]) if k > 2 else math.nan
        rows.append({"item": name, "item_total_r": r, "alpha_if_deleted": a})
    return pd.DataFrame(rows, columns=["item", "item_total_r", "alpha_if_deleted"])


def cronbach_alpha(
    items: pd.DataFrame,
    ci: float = 0.95,
    nan_policy: Literal["listwise", "pairwise"] = "listwise",
) -> AlphaResult:
    """Compute Cronbach's alpha of a scale with a Feldt confidence interval.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item (already coded,
        reverse-keyed items already reversed).
    ci : float, default 0.95
        Confidence level of the interval.
    nan_policy : {"listwise", "pairwise"}, default "listwise"
        ``"listwise"`` drops every respondent with a missing item (the
        textbook definition). ``"pairwise"`` builds the covariance matrix
        from all available pairs; the interval then uses the smallest
        pairwise n, which is conservative.

    Returns
    -------
    AlphaResult
        NaN alpha with a ``note`` (never an exception) when fewer than two
        respondents or items remain, or the total score has no variance.

    Notes
    -----
    Alpha = k/(k-1) * (1 - sum of item variances / variance of the total)
    (Cronbach, 1951), computed from the item covariance matrix (ddof=1).
    The interval is Feldt's (Feldt, Woodruff & Salih, 1987,
    Applied Psychological Measurement 11:93-103):
    ``1 - (1 - alpha) * F_{1-a/2}(n-1, (n-1)(k-1))`` for the lower bound and
    ``1 - (1 - alpha) * F_{a/2}(n-1, (n-1)(k-1))`` for the upper bound,
    with n the respondents actually used.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"q1": [1, 2, 2, 3, 2, 2, 3, 3, 2, 3],
    ...                    "q2": [1, 1, 1, 2, 3, 3, 2, 3, 3, 3],
    ...                    "q3": [1, 1, 2, 1, 2, 3, 3, 3, 2, 3]})
    >>> round(cronbach_alpha(df).alpha, 4)
    0.7734
    """
    ci = check_ci(ci)
    if nan_policy not in ("listwise", "pairwise"):
        raise ValueError(f"nan_policy must be 'listwise' or 'pairwise', got {nan_policy!r}")
    non_numeric = [c for c in items.columns if not pd.api.types.is_numeric_dtype(items[c])]
    if non_numeric:
        raise TypeError(f"items must be numeric; non-numeric column(s): {non_numeric}")
    names = [str(c) for c in items.columns]
    data = items.astype(float)
    k = len(names)

    if nan_policy == "listwise":
        data = data.dropna()
        n = len(data)
        cov = data.cov(ddof=1).to_numpy() if n >= 2 else np.full((k, k), np.nan)
        method = "Cronbach's alpha (listwise deletion), Feldt CI"
    else:
        counts = data.notna().astype(int)
        pair_n = counts.T.dot(counts).to_numpy()
        n = int(pair_n.min()) if k else 0
        cov = data.cov(ddof=1).to_numpy()
        method = "Cronbach's alpha (pairwise covariances), Feldt CI with smallest pairwise n"

    empty_table = pd.DataFrame({"item": names, "item_total_r": math.nan, "alpha_if_deleted": math.nan})
    note = ""
    if k < 2:
        note = "fewer than two items"
    elif n < 2:
        note = "fewer than two complete respondents"
    elif not np.all(np.isfinite(cov)) or cov.sum() <= 0:
        note = "total score has zero variance (all respondents answered identically)"
    if note:
        return AlphaResult(math.nan, math.nan, math.nan, int(n), k, method, empty_table, note)

    alpha = _alpha_from_cov(cov)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    level = 1.0 - ci
    ci_low = 1.0 - (1.0 - alpha) * stats.f.ppf(1.0 - level / 2.0, df1, df2)
    ci_high = 1.0 - (1.0 - alpha) * stats.f.ppf(level / 2.0, df1, df2)
    return AlphaResult(
        alpha=float(alpha),
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        n=int(n),
        k=k,
        method=method,
        item_table=_item_table(cov, names),
    )
