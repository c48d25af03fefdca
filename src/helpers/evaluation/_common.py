"""Small helpers shared by the evaluation modules (private)."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats


def scalar_dict(result: Any) -> dict[str, Any]:
    """Return the scalar fields of a result dataclass as plain Python values.

    Tables and series are left out so the dictionary can go straight into
    ``metrics.json``; NumPy scalars become Python ``int``/``float``/``bool``.
    """
    out: dict[str, Any] = {}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)):
            continue
        if isinstance(value, (tuple, list)) and not all(
            isinstance(v, (str, int, float, bool, np.generic)) for v in value
        ):
            continue
        out[field.name] = to_python(value)
    return out


def to_python(value: Any) -> Any:
    """Convert NumPy scalars (and tuples of them) to built-in Python types."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [to_python(v) for v in value]
    return value


def check_ci(ci: float) -> float:
    """Validate a confidence level and return it as float."""
    ci = float(ci)
    if not 0.0 < ci < 1.0:
        raise ValueError(f"ci must be between 0 and 1 (exclusive), got {ci!r}")
    return ci


def t_interval(mean: float, sd: float, n: int, ci: float) -> tuple[float, float]:
    """Student-t interval ``mean ± t_{n-1} * sd / sqrt(n)``; NaN when n < 2."""
    if n < 2 or not np.isfinite(sd):
        return (math.nan, math.nan)
    half = stats.t.ppf(0.5 + ci / 2.0, n - 1) * sd / math.sqrt(n)
    return (float(mean - half), float(mean + half))


def round_half_up(value: Fraction | float, ndigits: int = 2) -> Fraction:
    """Round a number half away from zero (as done by hand), exactly.

    Python's ``round`` uses banker's rounding on binary floats, so 88.305 may
    become 88.30; regulations that say "round to two decimals" mean the
    schoolbook rule. Working on a ``Fraction`` keeps the result exact.
    """
    frac = value if isinstance(value, Fraction) else Fraction(str(value))
    scale = 10**ndigits
    scaled = frac * scale
    sign = 1 if scaled >= 0 else -1
    rounded = math.floor(abs(scaled) + Fraction(1, 2))
    return Fraction(sign * rounded, scale)


def require_columns(df: pd.DataFrame, columns: list[str] | tuple[str, ...], what: str) -> None:
    """Raise ``KeyError`` naming every missing column at once."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"{what}: missing column(s) {missing}; available: {list(df.columns)}")


def binary_column(series: pd.Series, name: str) -> pd.Series:
    """Return a 0/1 float series from bool or 0/1 data; anything else is an error.

    Missing values stay NaN so callers decide how to drop them.
    """
    values = series.astype("object")
    allowed = {True, False}
    bad = [v for v in values.dropna().unique() if v not in allowed]
    if bad:
        raise ValueError(f"column {name!r} must be boolean or 0/1; found {bad[:5]!r}")
    return values.map(lambda v: np.nan if pd.isna(v) else float(bool(v))).astype(float)


def dummies(series: pd.Series, prefix: str, reference: Any = None) -> tuple[pd.DataFrame, Any]:
    """Treatment-coded dummies for a categorical series, reference level dropped.

    The reference defaults to the first level in sorted order so results do
    not depend on row order.
    """
    levels = sorted(series.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
    if reference is None:
        reference = levels[0]
    elif reference not in levels:
        raise ValueError(f"reference level {reference!r} not found in {prefix!r}: {levels}")
    cols = {}
    for level in levels:
        if level == reference:
            continue
        cols[f"{prefix}[{level}]"] = (series == level).astype(float)
    return pd.DataFrame(cols, index=series.index), reference


class Result:
    """Base of every result object: ``as_dict()`` gives its scalar fields for JSON."""

    def as_dict(self) -> dict[str, Any]:
        """Return the scalar fields as plain Python values (tables and series left out)."""
        return scalar_dict(self)


class RowResult(Result):
    """A result that is one row of a report table."""

    def to_frame(self) -> pd.DataFrame:
        """Return the result as a one-row DataFrame."""
        return pd.DataFrame([self.as_dict()])


class TableResult(Result):
    """A result that carries its own table in a ``table`` field."""

    def to_frame(self) -> pd.DataFrame:
        """Return the result's table (a copy)."""
        return self.table.copy()


class EstimationRefused(ValueError):
    """An estimate the data cannot support was refused rather than computed.

    ``reason`` is a stable code the presentation layer can translate; the message says
    what was wrong in words. A subclass of ``ValueError`` so callers that already catch
    ``ValueError`` keep working.

    Reason codes
    ------------
    ``one_cluster``
        All rows come from a single cluster (programme): no between-cluster variance.
    ``too_few_clusters``
        A predictor varies only between clusters and there are fewer than 4 clusters, or one of
        its values occurs in a single cluster (its effect is confounded with that cluster).
    ``single_programme``
        A group (training method) is taught in fewer than two programmes; used when a
        comparison cannot be made at all (e.g. the requested reference method).
    ``separation``
        (Quasi-)complete separation: some combination of predictors predicts the outcome
        perfectly, so the maximum-likelihood estimate is infinite.
    ``not_converged``
        The maximum-likelihood iterations did not converge.
    ``constant_predictor``
        A predictor takes a single value in the rows used.
    ``constant_outcome``
        The outcome takes a single value in the rows used.
    ``collinear``
        The predictors are linearly dependent.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self):  # keep reason when pickled (e.g. multiprocessing)
        return (type(self), (self.reason, str(self)))
