"""Statistical disclosure control: suppress cells describing too few people."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ._common import TableResult

__all__ = ["SuppressionResult", "suppress_small_cells"]

PRIMARY = "primary"
COMPLEMENTARY = "complementary"


@dataclass(frozen=True, eq=False)
class SuppressionResult(TableResult):
    """A table with small cells masked.

    Attributes
    ----------
    table : pandas.DataFrame
        The masked table. In long mode it has two extra columns (unless
        ``add_flags=False``): ``suppressed`` (bool) and ``suppression``
        (``"primary"``, ``"complementary"`` or ``""``).
    mask : pandas.DataFrame or pandas.Series
        True where a value was masked (per row in long mode, per cell in
        matrix mode).
    n : int
        Rows (long mode) or cells (matrix mode) examined.
    n_primary : int
        Masked because fewer than ``min_cell`` people.
    n_complementary : int
        Masked so that a primary cell cannot be recovered from a total.
    min_cell : int
        The threshold used.
    method : str
        Description of the rule.
    """

    table: pd.DataFrame = field(repr=False)
    mask: pd.DataFrame | pd.Series = field(repr=False)
    n: int
    n_primary: int
    n_complementary: int
    min_cell: int
    method: str


def _is_small(counts: pd.Series | np.ndarray, min_cell: int, suppress_zeros: bool) -> np.ndarray:
    c = np.asarray(counts, dtype=float)
    small = c < min_cell
    if not suppress_zeros:
        small &= c > 0
    return small & np.isfinite(c)


def _complement(counts: np.ndarray, already: np.ndarray) -> int | None:
    """Position of the smallest positive count not yet masked, or None."""
    candidates = np.where(~already & (counts > 0) & np.isfinite(counts))[0]
    if candidates.size == 0:
        return None
    return int(candidates[np.argmin(counts[candidates])])


def suppress_small_cells(
    table: pd.DataFrame,
    count_col: str | None = None,
    *,
    counts: Sequence[float] | pd.Series | None = None,
    min_cell: int = 5,
    group_by: str | Sequence[str] | None = None,
    value_cols: Sequence[str] | None = None,
    keep: Sequence[str] = (),
    totals_shown: bool = True,
    suppress_zeros: bool = False,
    add_flags: bool = True,
) -> SuppressionResult:
    """Mask cells or groups describing fewer than ``min_cell`` people.

    Two layouts are supported.

    *Long mode* (``count_col`` or ``counts`` given): each row is a group
    (e.g. one agency's mean score) with its number of people. A row with
    ``0 < count < min_cell`` gets its ``value_cols`` set to NaN (primary
    suppression). If ``totals_shown`` and exactly one row in a ``group_by``
    block (the whole table when ``group_by`` is None) was suppressed, the
    unsuppressed row with the smallest positive count in that block is
    masked too (complementary suppression), so the small count cannot be
    recovered as total minus the rest.

    *Matrix mode* (neither given): ``table`` is a cross-table of counts.
    Primary cells are masked the same way; then, while any row or column
    has exactly one masked cell, its smallest positive unmasked cell is
    masked as well.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to protect (not modified).
    count_col : str, optional
        Column with the number of people per row (long mode).
    counts : array-like, optional
        Counts aligned with the rows, when they are not a column (long mode).
    min_cell : int, default 5
        Smallest publishable group size (DESIGN §5).
    group_by : str or sequence of str, optional
        Columns defining blocks that share a published total (long mode).
    value_cols : sequence of str, optional
        Columns to mask in long mode; default every numeric column that is
        not in ``group_by`` or ``keep`` (the count column included).
    keep : sequence of str, optional
        Numeric identifier columns never to mask (e.g. ``year``).
    totals_shown : bool, default True
        Whether totals are published; without totals no complementary
        suppression is needed.
    suppress_zeros : bool, default False
        Zero counts describe nobody and are kept by default; set True where
        a structural zero is itself disclosive.
    add_flags : bool, default True
        Add the ``suppressed`` and ``suppression`` columns in long mode
        (the mask is always available as ``result.mask``).

    Returns
    -------
    SuppressionResult

    Notes
    -----
    This is the simple rule of thumb used by statistical offices for
    frequency tables (primary threshold plus one complementary cell per
    row/column). It does not solve the optimal cell-suppression problem and
    does not protect against differencing across separately published
    tables; a block whose only row is suppressed reveals it through its
    total, so such totals must not be shown.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"agency": ["a", "b", "c"], "n": [3, 12, 20], "mean": [4.1, 3.9, 4.4]})
    >>> suppress_small_cells(t, "n").table["suppression"].tolist()
    ['primary', 'complementary', '']
    """
    if min_cell < 1:
        raise ValueError("min_cell must be >= 1")
    if count_col is not None and counts is not None:
        raise ValueError("give count_col or counts, not both")
    if count_col is None and counts is None:
        return _suppress_matrix(table, min_cell, totals_shown, suppress_zeros)

    out = table.copy()
    if count_col is not None:
        if count_col not in out.columns:
            raise KeyError(f"count column {count_col!r} not in table")
        c = pd.to_numeric(out[count_col], errors="raise").to_numpy(dtype=float)
    else:
        c = np.asarray(counts, dtype=float).ravel()
        if c.size != len(out):
            raise ValueError(f"counts has {c.size} values for {len(out)} rows")
    groups = [group_by] if isinstance(group_by, str) else list(group_by or [])
    if value_cols is None:
        value_cols = [
            col for col in out.columns
            if col not in groups and col not in keep
            and pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_bool_dtype(out[col])
        ]
    primary = _is_small(c, min_cell, suppress_zeros)
    complementary = np.zeros(len(out), dtype=bool)
    if totals_shown:
        blocks = (
            [np.arange(len(out))]
            if not groups
            else [np.asarray(idx) for idx in out.reset_index(drop=True).groupby(groups, sort=False, dropna=False).indices.values()]
        )
        for rows in blocks:
            if primary[rows].sum() == 1:
                pick = _complement(c[rows], primary[rows])
                if pick is not None:
                    complementary[rows[pick]] = True

    masked = primary | complementary
    mask_index = out.index
    for col in value_cols:
        series = out[col]
        if pd.api.types.is_integer_dtype(series):
            series = series.astype("float64")
        out[col] = series.mask(pd.Series(masked, index=mask_index))
    if add_flags:
        out["suppressed"] = masked
        out["suppression"] = np.where(primary, PRIMARY, np.where(complementary, COMPLEMENTARY, ""))
    return SuppressionResult(
        table=out,
        mask=pd.Series(masked, index=mask_index, name="suppressed"),
        n=int(len(out)),
        n_primary=int(primary.sum()),
        n_complementary=int(complementary.sum()),
        min_cell=int(min_cell),
        method=_method(min_cell, totals_shown, "rows", group_by),
    )


def _method(min_cell: int, totals_shown: bool, unit: str, group_by: Any = None) -> str:
    text = f"primary suppression of {unit} with fewer than {min_cell} people"
    if totals_shown:
        scope = f" per {group_by!r} block" if group_by else ""
        text += f"; complementary suppression of the next smallest{scope} when only one is suppressed"
    return text


def _suppress_matrix(table: pd.DataFrame, min_cell: int, totals_shown: bool, suppress_zeros: bool) -> SuppressionResult:
    non_numeric = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c])]
    if non_numeric:
        raise TypeError(
            f"matrix mode needs an all-numeric count table; non-numeric column(s) {non_numeric} "
            "(set them as the index, or pass count_col for a long table)"
        )
    c = table.to_numpy(dtype=float)
    primary = _is_small(c, min_cell, suppress_zeros)
    masked = primary.copy()
    if totals_shown:
        changed = True
        while changed:
            changed = False
            # Rows, then columns, then again until no line has a lone masked cell.
            for axis in (0, 1):
                lines = masked if axis == 0 else masked.T
                values = c if axis == 0 else c.T
                for i in range(lines.shape[0]):
                    if lines[i].sum() == 1:
                        pick = _complement(values[i], lines[i])
                        if pick is not None:
                            if axis == 0:
                                masked[i, pick] = True
                            else:
                                masked[pick, i] = True
                            changed = True
    mask = pd.DataFrame(masked, index=table.index, columns=table.columns)
    out = table.astype("float64").mask(mask)
    return SuppressionResult(
        table=out,
        mask=mask,
        n=int(c.size),
        n_primary=int(primary.sum()),
        n_complementary=int((masked & ~primary).sum()),
        min_cell=int(min_cell),
        method=_method(min_cell, totals_shown, "cells") + " (rows and columns, iterated)",
    )
