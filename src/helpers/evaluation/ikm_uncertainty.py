"""Uncertainty of the IKM: a survey wave's interval and the change between two waves.

The IKM itself (NRR per unsur, weights, the 25-100 scale, grades) is :mod:`.ikm`
(PermenPANRB 14/2017); this module adds what the regulation leaves out: how sure a value, a
grade and a change between waves are, from the respondents' answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._common import RowResult, check_ci, round_half_up
from .ikm import _CATEGORIES, PRINTED_WEIGHT, _canonical, ikm_category, ikm_score


@dataclass(frozen=True, eq=False)
class IKMInterval(RowResult):
    """The IKM of one unit and period with its sampling uncertainty.

    Attributes
    ----------
    value : float
        Converted IKM (25-100) as published by :func:`ikm_score` (rounded).
    se : float
        Standard error of the converted IKM (Taylor linearisation, see
        :func:`ikm_interval`).
    ci_low, ci_high : float
        Confidence interval ``value ± t_{df} se``, clipped to 25-100.
    df : int
        Degrees of freedom, ``n - 1``.
    category, label : str or None
        Grade of ``value`` (mutu pelayanan).
    grade_certain : bool
        True when the whole interval lies inside one grade band, i.e. the
        grade would be the same at either end of the interval.
    grades_in_ci : tuple of str
        Grades the interval spans, best last (e.g. ``("B", "A")``).
    n : int
        Questionnaires with at least one answer.
    k : int
        Number of unsur.
    ci : float
        Confidence level.
    method : str
        Description of the computation.
    note : str
        Why the interval is undefined or degenerate, if it is.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    df: int
    category: str | None
    label: str | None
    grade_certain: bool
    grades_in_ci: tuple[str, ...]
    n: int
    k: int
    ci: float
    method: str
    note: str = ""


@dataclass(frozen=True, eq=False)
class IKMChange(RowResult):
    """Change in IKM between two survey waves of one unit.

    Attributes
    ----------
    before, after : float
        Converted IKM (25-100) of each wave, as published (rounded).
    before_category, after_category : str or None
        Their grades (A-D).
    difference : float
        ``after - before`` (points on the 25-100 scale).
    se, ci_low, ci_high : float
        Standard error and interval of the difference (Welch t).
    df : float
        Welch-Satterthwaite degrees of freedom.
    p_value : float
        Two-sided Welch t test of no change.
    before_se, before_ci_low, before_ci_high, after_se, after_ci_low, after_ci_high : float
        Each wave's own standard error and interval (see :class:`IKMInterval`).
    before_grade_certain, after_grade_certain : bool
        Whether each wave's interval lies inside one grade band.
    category_changed : bool
        The published grades differ.
    category_change_certain : bool
        Both waves' grades are certain, so the statement "the grade changed"
        (or "stayed the same") holds at either end of both intervals.
    n_before, n_after : int
        Questionnaires in each wave; ``n`` is their sum.
    ci : float
        Confidence level.
    statement : str
        A plain-language summary of the change and its uncertainty.
    method : str
        Description of the computation.
    note : str
        Caveats (e.g. an undefined wave).
    """

    before: float
    after: float
    before_category: str | None
    after_category: str | None
    difference: float
    se: float
    ci_low: float
    ci_high: float
    df: float
    p_value: float
    before_se: float
    before_ci_low: float
    before_ci_high: float
    after_se: float
    after_ci_low: float
    after_ci_high: float
    before_grade_certain: bool
    after_grade_certain: bool
    category_changed: bool
    category_change_certain: bool
    n_before: int
    n_after: int
    n: int
    ci: float
    statement: str
    method: str
    note: str = ""


def _scores(responses: pd.DataFrame) -> np.ndarray:
    """Scores as an (n x k) float array (NaN = blank), fully blank rows dropped (validate first)."""
    values = np.column_stack(
        [pd.to_numeric(responses[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan) for c in responses.columns]
    )
    return values[~np.isnan(values).all(axis=1)]


def _linearised_variance(y: np.ndarray) -> float:
    """Variance of the unweighted mean of the unsur means, by Taylor linearisation.

    Each NRR_j is a mean over the n_j respondents who answered unsur j. The
    influence of respondent i on ``(1/k) sum_j NRR_j`` is
    ``z_i = (1/k) sum_{j answered by i} (y_ij - NRR_j) / n_j``; the variance
    is ``n / (n - 1) * sum_i z_i²``. Expanded, this is the delta method
    ``(1/k²) sum_j sum_l n_jl s_jl / (n_j n_l)`` with the covariances s_jl
    taken over the n_jl respondents who answered both j and l (centred at
    the NRRs), and it is a sum of squares, so never negative.
    """
    n, k = y.shape
    answered = ~np.isnan(y)
    n_j = answered.sum(axis=0)
    nrr = np.nansum(y, axis=0) / n_j
    centred = np.where(answered, y - nrr, 0.0)
    z = (centred / n_j).sum(axis=1) / k
    return float(n / (n - 1) * np.sum(z**2))


def _grades(low: float, high: float) -> tuple[str, ...]:
    """Grades spanned by [low, high] on the 25-100 scale, worst first."""
    order = [code for code, *_ in reversed(_CATEGORIES)]  # D, C, B, A
    lo, hi = ikm_category(min(max(low, 25.0), 100.0)).code, ikm_category(min(max(high, 25.0), 100.0)).code
    return tuple(order[order.index(lo) : order.index(hi) + 1])


def ikm_interval(
    responses: pd.DataFrame,
    ci: float = 0.95,
    weight: Literal["exact", "printed"] = "exact",
) -> IKMInterval:
    """The IKM of one wave (as :func:`ikm_score`) with a standard error and interval.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per questionnaire, one column per unsur, scores 1-4, blanks
        missing (validated exactly as in :func:`ikm_score`).
    ci : float, default 0.95
        Confidence level.
    weight : {"exact", "printed"}, default "exact"
        As in :func:`ikm_score`.

    Returns
    -------
    IKMInterval

    Notes
    -----
    The respondents are treated as a simple random sample (with replacement,
    i.e. no finite-population correction) and blanks as missing completely at
    random. ``IKM = 25 x w x sum_j NRR_j`` is a smooth function of the unsur
    means, each over its own respondents, so its variance follows from Taylor
    linearisation (the delta method with pairwise-complete covariances; see
    ``_linearised_variance``): ``se = 25 x w x k x sqrt(var)``. The
    linearised form was chosen over (a) a covariance matrix of pairwise-
    complete sample covariances, which need not be positive semi-definite
    with many blanks, and (b) a respondent bootstrap, which is random and
    slow; the test suite checks it against the bootstrap. With no blanks it
    is the usual ``25 x sd(respondent means) / sqrt(n)``.

    The interval is ``value ± t_{n-1} se`` (t rather than z: the SKM
    samples of a unit are small), clipped to the 25-100 scale. It describes
    sampling error only: not non-response bias or the choice of respondents.
    If every answer is identical the se is 0 and the interval a point
    (noted). ``grade_certain`` uses the regulation's bands after rounding.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({f"u{i}": [4, 3, 4, 4] * 5 for i in range(1, 10)})
    >>> r = ikm_interval(df)
    >>> r.value, round(r.se, 2), round(r.ci_low, 2), r.grades_in_ci, r.grade_certain
    (93.75, 2.48, 88.55, ('A',), True)
    """
    ci = check_ci(ci)
    point = ikm_score(responses, weight=weight)
    y = _scores(responses)
    n, k = y.shape
    w = 1.0 / k if weight == "exact" else float(PRINTED_WEIGHT)
    method = (
        f"{point.method}; se by Taylor linearisation over respondents (pairwise-complete answers), "
        f"t on n-1 df {ci:.0%} CI clipped to 25-100"
    )
    if point.category is None or n < 2:
        note = point.note or f"{n} questionnaire(s): no standard error"
        return IKMInterval(
            point.value,
            math.nan,
            math.nan,
            math.nan,
            max(n - 1, 0),
            point.category,
            point.label,
            False,
            (),
            n,
            k,
            ci,
            method,
            note,
        )
    se = 25.0 * w * k * math.sqrt(_linearised_variance(y))
    half = float(stats.t.ppf(0.5 + ci / 2.0, n - 1)) * se
    low, high = max(25.0, point.value - half), min(100.0, point.value + half)
    grades = _grades(low, high)
    return IKMInterval(
        value=point.value,
        se=se,
        ci_low=low,
        ci_high=high,
        df=n - 1,
        category=point.category,
        label=point.label,
        grade_certain=len(grades) == 1,
        grades_in_ci=grades,
        n=n,
        k=k,
        ci=ci,
        method=method,
        note="every answer is the same: se 0, the interval is a point" if se == 0 else "",
    )


def ikm_change(
    before: pd.DataFrame,
    after: pd.DataFrame,
    ci: float = 0.95,
    weight: Literal["exact", "printed"] = "exact",
) -> IKMChange:
    """Change in IKM between two independent survey waves of one unit.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Respondent-by-unsur frames of each wave (as for :func:`ikm_score`),
        with the same unsur (matched by name, in any order).
    ci : float, default 0.95
        Confidence level for each wave and for the difference.
    weight : {"exact", "printed"}, default "exact"
        As in :func:`ikm_score`.

    Returns
    -------
    IKMChange

    Raises
    ------
    ValueError
        If the waves have different unsur (an index over other elements is
        not comparable), or for invalid scores (see :func:`ikm_score`).

    Notes
    -----
    The waves are treated as independent samples (different citizens each
    period, as the SKM samples service users afresh), so
    ``se = sqrt(se_before² + se_after²)`` with each se from
    :func:`ikm_interval`; the interval uses t with Welch-Satterthwaite df.
    ``difference`` is the difference of the two published (rounded) values,
    so it matches what a reader subtracts. The grades are certain when each
    wave's own interval lies inside one band; ``category_change_certain``
    requires both (a deliberately strict reading: a grade change is
    reported as certain only if neither grade could be the neighbouring
    one). An undefined wave gives NaN statistics and a note.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({f"u{i}": [3, 3, 4, 3] * 5 for i in range(1, 10)})
    >>> b = pd.DataFrame({f"u{i}": [4, 4, 3, 4] * 5 for i in range(1, 10)})
    >>> r = ikm_change(a, b)
    >>> r.before, r.after, r.difference, r.category_changed
    (81.25, 93.75, 12.5, True)
    """
    ci = check_ci(ci)
    names_before = sorted(_canonical(c) for c in before.columns)
    names_after = sorted(_canonical(c) for c in after.columns)
    if names_before != names_after:
        raise ValueError(
            f"the waves have different unsur: only before {sorted(set(names_before) - set(names_after))}, "
            f"only after {sorted(set(names_after) - set(names_before))}"
        )
    a, b = ikm_interval(before, ci, weight), ikm_interval(after, ci, weight)
    method = (
        "difference of two independent waves' IKM (PermenPANRB 14/2017, published rounded values); "
        "se of each by Taylor linearisation over respondents (pairwise-complete answers); "
        f"se = sqrt(se1² + se2²), Welch t {ci:.0%} CI; grades certain when each wave's t CI lies in one band"
    )
    if not (math.isfinite(a.se) and math.isfinite(b.se)):
        nan = math.nan
        note = "; ".join(f"{w}: {r.note}" for w, r in (("before", a), ("after", b)) if r.note)
        return IKMChange(
            a.value,
            b.value,
            a.category,
            b.category,
            b.value - a.value,
            nan,
            nan,
            nan,
            nan,
            nan,
            a.se,
            a.ci_low,
            a.ci_high,
            b.se,
            b.ci_low,
            b.ci_high,
            False,
            False,
            a.category != b.category,
            False,
            a.n,
            b.n,
            a.n + b.n,
            ci,
            "The change cannot be assessed: " + note,
            method,
            note,
        )
    difference = float(round_half_up(Fraction(str(b.value)) - Fraction(str(a.value)), 2))
    var_a, var_b = a.se**2, b.se**2
    se = math.sqrt(var_a + var_b)
    if se > 0:
        df = (var_a + var_b) ** 2 / (var_a**2 / a.df + var_b**2 / b.df)
        half = float(stats.t.ppf(0.5 + ci / 2.0, df)) * se
        p_value = float(2 * stats.t.sf(abs(difference) / se, df))
    else:
        df, half = float(a.df + b.df), 0.0
        p_value = 1.0 if difference == 0 else 0.0
    low, high = difference - half, difference + half
    changed = a.category != b.category
    certain = a.grade_certain and b.grade_certain
    statement = _change_statement(a, b, difference, low, high, ci, changed, certain)
    return IKMChange(
        before=a.value,
        after=b.value,
        before_category=a.category,
        after_category=b.category,
        difference=difference,
        se=se,
        ci_low=low,
        ci_high=high,
        df=float(df),
        p_value=p_value,
        before_se=a.se,
        before_ci_low=a.ci_low,
        before_ci_high=a.ci_high,
        after_se=b.se,
        after_ci_low=b.ci_low,
        after_ci_high=b.ci_high,
        before_grade_certain=a.grade_certain,
        after_grade_certain=b.grade_certain,
        category_changed=changed,
        category_change_certain=certain,
        n_before=a.n,
        n_after=b.n,
        n=a.n + b.n,
        ci=ci,
        statement=statement,
        method=method,
    )


def _change_statement(
    a: IKMInterval,
    b: IKMInterval,
    difference: float,
    low: float,
    high: float,
    ci: float,
    changed: bool,
    certain: bool,
) -> str:
    level = f"{ci:.0%}"
    direction = "rose" if difference > 0 else "fell" if difference < 0 else "did not change"
    text = (
        f"IKM {direction} from {a.value:.2f} ({a.category}) to {b.value:.2f} ({b.category}), "
        f"{difference:+.2f} points ({level} CI {low:+.2f} to {high:+.2f}); "
    )
    text += (
        "the change is larger than sampling error. " if low > 0 or high < 0 else "the change is within sampling error. "
    )
    grade = (
        f"The grade changed from {a.category} to {b.category}"
        if changed
        else f"The grade is {a.category} in both waves"
    )
    if certain:
        return text + f"{grade}, and this is certain: each wave's {level} CI lies within one grade band."
    spans = "; ".join(
        f"{w}: {' to '.join(r.grades_in_ci)}" for w, r in (("before", a), ("after", b)) if not r.grade_certain
    )
    return text + f"{grade}, but this is not certain: a {level} CI spans more than one grade ({spans})."
