"""Per-item summaries of Likert-scale answers (reaction surveys, Level 1)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ._common import TableResult, check_ci, t_interval

__all__ = ["LikertSummary", "likert_summary"]


@dataclass(frozen=True, eq=False)
class LikertSummary(TableResult):
    """Distribution, mean with CI and top/bottom-box shares per item.

    Attributes
    ----------
    n : int
        Rows (respondents) in the input; per-item n is in the table.
    n_items : int
        Number of items summarised.
    scale : tuple
        The scale points, lowest first.
    method : str
        Description of the computation.
    table : pandas.DataFrame
        See :func:`likert_summary` for the columns.
    """

    n: int
    n_items: int
    scale: tuple[int, ...]
    method: str
    table: pd.DataFrame = field(repr=False)


def likert_summary(
    responses: pd.DataFrame,
    scale: Sequence[int] = (1, 2, 3, 4, 5),
    ci: float = 0.95,
) -> LikertSummary:
    """Summarise Likert items: counts, percentages, mean with t CI, median, top/bottom 2.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent, one column per item, answers already coded as
        numbers on ``scale``. Missing answers (NaN) are excluded per item.
    scale : sequence of int, default (1, 2, 3, 4, 5)
        The admissible scale points in ascending order.
    ci : float, default 0.95
        Confidence level of the mean's interval.

    Returns
    -------
    LikertSummary
        Its ``to_frame()`` has one row per item with columns ``item``, ``n``,
        ``count_<s>`` and ``pct_<s>`` for each scale point (percent of the
        item's answers, 0-100), ``mean``, ``ci_low``, ``ci_high``
        (Student-t interval, mean ± t_{n-1}·sd/√n), ``median``, ``top2`` and
        ``bottom2`` (percent of answers in the two highest / lowest scale
        points, e.g. 4-5 and 1-2 on a five-point scale).

    Raises
    ------
    ValueError
        If an answer is not one of the scale points (the message names the
        column and the value): an unknown code is an error, never a NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> s = likert_summary(pd.DataFrame({"overall": [5, 4, 4, None, 2]}))
    >>> row = s.to_frame().iloc[0]
    >>> int(row["n"]), float(row["top2"]), float(row["bottom2"])
    (4, 75.0, 25.0)
    """
    ci = check_ci(ci)
    scale = tuple(int(s) for s in scale)
    if len(scale) < 2 or list(scale) != sorted(set(scale)):
        raise ValueError(f"scale must be at least two distinct ascending points, got {scale}")
    top, bottom = set(scale[-2:]), set(scale[:2])

    rows = []
    for column in responses.columns:
        raw = responses[column]
        values = pd.to_numeric(raw, errors="coerce")
        unparsed = raw[values.isna() & raw.notna()]
        if len(unparsed):
            raise ValueError(f"column {column!r}: answer {unparsed.iloc[0]!r} is not a scale point {scale}")
        answered = values.dropna().astype(float)
        bad = answered[~answered.isin(scale)]
        if len(bad):
            raise ValueError(f"column {column!r}: answer {bad.iloc[0]!r} is not a scale point {scale}")
        n = int(len(answered))
        row: dict[str, Any] = {"item": str(column), "n": n}
        for point in scale:
            row[f"count_{point}"] = int((answered == point).sum())
        for point in scale:
            row[f"pct_{point}"] = 100.0 * row[f"count_{point}"] / n if n else math.nan
        mean = float(answered.mean()) if n else math.nan
        sd = float(answered.std(ddof=1)) if n >= 2 else math.nan
        low, high = t_interval(mean, sd, n, ci)
        row.update(
            mean=mean,
            ci_low=low,
            ci_high=high,
            median=float(answered.median()) if n else math.nan,
            top2=100.0 * float(answered.isin(top).sum()) / n if n else math.nan,
            bottom2=100.0 * float(answered.isin(bottom).sum()) / n if n else math.nan,
        )
        rows.append(row)

    columns = (
        ["item", "n"]
        + [f"count_{p}" for p in scale]
        + [f"pct_{p}" for p in scale]
        + ["mean", "ci_low", "ci_high", "median", "top2", "bottom2"]
    )
    table = pd.DataFrame(rows, columns=columns)
    if len(table):
        table = table.astype({"n": "int64", **{f"count_{p}": "int64" for p in scale}})
    return LikertSummary(
        n=int(len(responses)),
        n_items=int(len(table)),
        scale=scale,
        method=f"per-item counts; mean with Student-t {ci:.0%} CI; top/bottom two of {scale}",
        table=table,
    )
