"""Shares of people reaching a standard: proportions with their intervals and 20 JP attainment.

PP 11/2017 Pasal 203 ayat (4) (as amended by PP 17/2020): every PNS receives at least 20 JP of
competency development a year; the share of ASN-years reaching it is a headline indicator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from ._common import Result, binary_column, check_ci, require_columns
from .clustered import clustered_proportion


@dataclass(frozen=True)
class ProportionCI(Result):
    """A proportion with its Wilson score interval."""

    proportion: float
    ci_low: float
    ci_high: float
    successes: int
    n: int
    method: str


def proportion_ci(successes: int, n: int, ci: float = 0.95) -> ProportionCI:
    """Return a proportion with its Wilson (1927) score interval.

    Uses ``statsmodels.stats.proportion.proportion_confint(method="wilson")``:
    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. The Wilson
    interval stays inside [0, 1] and behaves at 0 and n successes, unlike
    the Wald interval. ``n = 0`` gives NaNs.

    Examples
    --------
    >>> r = proportion_ci(8, 10)
    >>> round(r.ci_low, 4), round(r.ci_high, 4)
    (0.4902, 0.9433)
    """
    ci = check_ci(ci)
    successes, n = int(successes), int(n)
    if n < 0 or successes < 0 or successes > n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    method = f"Wilson score {ci:.0%} interval"
    if n == 0:
        return ProportionCI(math.nan, math.nan, math.nan, 0, 0, method)
    low, high = proportion_confint(successes, n, alpha=1.0 - ci, method="wilson")
    p = successes / n
    # Rounding leaves the bound at 0/n (or n/n) a hair off 0 (or 1); the exact value is p.
    low, high = min(float(low), p), max(float(high), p)
    return ProportionCI(p, max(low, 0.0), min(high, 1.0), successes, n, method)


@dataclass(frozen=True, eq=False)
class JPAttainment(Result):
    """Share of participant-years reaching the yearly JP target.

    Attributes
    ----------
    share, ci_low, ci_high : float
        Proportion of participant-years with completed JP >= target, and its
        interval: Wilson on the participant-years, or, with ``cluster``, Wilson on
        the design-effect-adjusted sample size (:func:`clustered_proportion`).
    n : int
        Participant-years (the denominator).
    n_reaching : int
        Participant-years reaching the target.
    target : float
        The JP target (20 per PP 11/2017 Pasal 203 ayat 4 as amended).
    method : str
        Description of the computation.
    per_participant : pandas.DataFrame
        ``participant_key``, ``year``, ``jp_completed``, ``reached`` (and the cluster
        column when one was given).
    by_year : pandas.DataFrame
        ``year``, ``n``, ``n_reaching``, ``share``, ``ci_low``, ``ci_high``.
    n_participants : int
        Distinct participants among the participant-years.
    n_clusters : int or None
        Clusters of the interval (None: rows treated as independent).
    design_effect : float
        Variance inflation of the overall share over independent rows (1 without cluster).
    denominator : str
        The denominator in words, e.g. "780 participant-years of 260 participants".
    """

    share: float
    ci_low: float
    ci_high: float
    n: int
    n_reaching: int
    target: float
    method: str
    per_participant: pd.DataFrame = field(repr=False)
    by_year: pd.DataFrame = field(repr=False)
    n_participants: int = 0
    n_clusters: int | None = None
    design_effect: float = 1.0
    denominator: str = ""

    def to_frame(self) -> pd.DataFrame:
        """Return the per-year summary table (a copy)."""
        return self.by_year.copy()


def jp_attainment(
    enrollments: pd.DataFrame, target: float = 20, ci: float = 0.95, cluster: str | None = None
) -> JPAttainment:
    """Compute JP (training hours) per participant-year and the share reaching the target.

    Parameters
    ----------
    enrollments : pandas.DataFrame
        One row per participant x programme with ``participant_key``,
        ``year``, ``jp`` (the programme's JP) and ``completed`` (bool).
    target : float, default 20
        Yearly JP target; PP 11/2017 Pasal 203 ayat (4), as amended by
        PP 17/2020, requires at least 20 JP of competency development a year.
    ci : float, default 0.95
        Confidence level.
    cluster : str, optional
        Column whose values group correlated participant-years, normally
        ``"participant_key"`` itself: the same person counted in several years
        reaches (or misses) the target year after year. It must take one value per
        participant-year and should nest participants (a person in one cluster).
        Without it every participant-year is an independent row (the former behaviour),
        which understates the uncertainty when people repeat across years.

    Returns
    -------
    JPAttainment

    Notes
    -----
    Only completed programmes count. A participant enrolled in a year but
    completing nothing has 0 JP that year and stays in the denominator.
    ASN who were never enrolled are not in the table and therefore not in
    the denominator: pass them with a zero-JP, not-completed row if the
    headline should cover all ASN of an agency.

    The interval with ``cluster`` is :func:`clustered_proportion` (Wilson on n / deff,
    t on clusters - 1 df); per year, where each person appears once, it is the plain
    Wilson interval when ``cluster`` is the participant.

    Raises
    ------
    ValueError
        Missing ``completed`` or ``participant_key``/``year``, a missing JP on
        a completed programme, negative JP, or a cluster that is missing or
        changes within a participant-year.
    """
    ci = check_ci(ci)
    cols = ["participant_key", "year", "jp", "completed"]
    require_columns(enrollments, cols + ([cluster] if cluster else []), "jp_attainment")
    data = enrollments.loc[:, list(dict.fromkeys(cols + ([cluster] if cluster else [])))].copy()
    if data[["participant_key", "year", "completed"]].isna().any().any():
        raise ValueError("participant_key, year and completed must not be missing")
    completed = binary_column(data["completed"], "completed") == 1.0
    jp = pd.to_numeric(data["jp"], errors="raise").astype(float)
    if jp[completed].isna().any():
        raise ValueError("a completed programme has no JP value")
    if (jp.dropna() < 0).any():
        raise ValueError("JP must not be negative")
    data["jp_completed"] = jp.where(completed, 0.0).fillna(0.0)

    keys = ["participant_key", "year"]
    per = data.groupby(keys, as_index=False, sort=True)["jp_completed"].sum()
    if cluster and cluster not in keys:
        if data[cluster].isna().any():
            raise ValueError(f"cluster column {cluster!r} must not be missing")
        labels = data.groupby(keys, sort=True)[cluster].agg(["nunique", "first"]).reset_index()
        if (labels["nunique"] > 1).any():
            raise ValueError(f"cluster column {cluster!r} must take one value per participant-year")
        per = per.merge(labels[[*keys, "first"]].rename(columns={"first": cluster}), on=keys, how="left")
    per["reached"] = per["jp_completed"] >= target
    n_people = int(per["participant_key"].nunique())

    def interval(frame: pd.DataFrame) -> tuple[float, float, float, int, int, float, int | None, str]:
        k, n = int(frame["reached"].sum()), len(frame)
        if cluster:
            r = clustered_proportion(frame["reached"].to_numpy(), frame[cluster].to_numpy(), ci)
            return r.proportion, r.ci_low, r.ci_high, k, n, r.design_effect, r.n_clusters, r.method
        r = proportion_ci(k, n, ci)
        return r.proportion, r.ci_low, r.ci_high, k, n, 1.0, None, f"{r.method} (participant-years independent)"

    share, low, high, k, n, deff, n_clusters, how = interval(per)
    rows = []
    for year, grp in per.groupby("year", sort=True):
        p, lo, hi, ky, ny, *_ = interval(grp)
        rows.append({"year": year, "n": ny, "n_reaching": ky, "share": p, "ci_low": lo, "ci_high": hi})
    by_year = pd.DataFrame(rows, columns=["year", "n", "n_reaching", "share", "ci_low", "ci_high"])
    denominator = f"{n} participant-years of {n_people} participants"
    if cluster:
        denominator += f", clustered by {cluster!r} ({n_clusters} clusters)"
    return JPAttainment(
        share=share,
        ci_low=low,
        ci_high=high,
        n=n,
        n_reaching=k,
        target=float(target),
        method=f"completed JP summed per participant-year; share >= {target:g} JP with {how}",
        per_participant=per,
        by_year=by_year,
        n_participants=n_people,
        n_clusters=n_clusters,
        design_effect=float(deff),
        denominator=denominator,
    )
