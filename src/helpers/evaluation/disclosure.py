"""Statistical disclosure control: suppress cells describing too few people."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
    n_unprotected : int
        Blocks (long mode) or rows and columns (matrix mode) that could not be
        protected because they ran out of cells to mask (e.g. a block whose
        positive cells are all small): every positive cell of such a line is
        masked, but its published total would still give the small count (or
        their small sum) away, so that total must not be shown. 0 without totals.
    """

    table: pd.DataFrame = field(repr=False)
    mask: pd.DataFrame | pd.Series = field(repr=False)
    n: int
    n_primary: int
    n_complementary: int
    min_cell: int
    method: str
    n_unprotected: int = 0


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


def _is_protected(counts: np.ndarray, masked: np.ndarray, min_cell: int, floor: int) -> bool:
    """Whether the masked cells of one line (a block sharing a published total) are safe.

    The total minus the published cells gives the *sum* of the masked cells, and
    every masked cell is known to be at least ``floor`` (1 when zeros are
    published, since a masked cell then cannot be 0). So a line is safe when
    no cell is masked, or when at least two are, their sum is not itself a
    small count (``>= min_cell``) and it exceeds ``floor`` times their number
    (otherwise each masked cell must equal ``floor``, e.g. five masked 1s
    summing to 5).
    """
    m = int(masked.sum())
    if m == 0:
        return True
    total = float(counts[masked].sum())
    return m >= 2 and total >= min_cell and total > floor * m


def _protect(counts: np.ndarray, masked: np.ndarray, min_cell: int, floor: int) -> bool:
    """Mask the smallest positive cells of one line until it is safe (in place).

    Returns False when the line runs out of cells to mask before it is safe
    (e.g. a block whose only positive cells are small): its total must then
    not be published.
    """
    while not _is_protected(counts, masked, min_cell, floor):
        pick = _complement(counts, masked)
        if pick is None:
            return False
        masked[pick] = True
    return True


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
    suppression). If ``totals_shown``, each ``group_by`` block (the whole
    table when ``group_by`` is None) shares a published total, from which
    the *sum* of its masked rows is recoverable (total minus the published
    rows). So, while a block has masked rows that are

    - exactly one (recoverable as total minus the rest), or
    - summing to less than ``min_cell`` (their sum is itself a small count,
      e.g. two masked 1s of a block [1, 1, 50, 60] sum to 2), or
    - summing to no more than their number when zeros are published (each
      must then be exactly 1, as a masked cell cannot be 0),

    the unmasked row with the smallest positive count in that block is masked
    too (complementary suppression).

    *Matrix mode* (neither given): ``table`` is a cross-table of counts with
    published row and column totals. Primary cells are masked the same way;
    then the same rule is applied to every row and every column, repeatedly,
    until no line needs another complementary cell.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to protect (not modified).
    count_col : str, optional
        Column with the number of people per row (long mode).
    counts : array-like, optional
        Counts aligned with the rows, when they are not a column (long mode).
    min_cell : int, default 5
        Smallest publishable group size (setting ``disclosure.min_cell``).
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
        (the mask is always available as ``result.mask``). ``suppression``
        is for the analyst only: it tells which masked rows are below
        ``min_cell`` ("primary"), which undoes the protection (two primary
        rows summing to 8 with ``min_cell=5`` are both 4), so publish at most
        ``suppressed``.

    Returns
    -------
    SuppressionResult

    Notes
    -----
    This is the rule of thumb used by statistical offices for frequency
    tables (primary threshold; complementary cells per row/column until no
    masked cell, nor the sum of a line's masked cells, is recoverable as a
    small count from that line's total). It does not solve the optimal
    cell-suppression problem, does not audit combinations of several lines
    of a cross-table (linear-programming attacks) and does not protect
    against differencing across separately published tables or a grand
    total over several blocks. A block that runs out of cells to mask (e.g.
    its only rows are small) is counted in ``n_unprotected``: its total
    must not be shown.

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
            col
            for col in out.columns
            if col not in groups
            and col not in keep
            and pd.api.types.is_numeric_dtype(out[col])
            and not pd.api.types.is_bool_dtype(out[col])
        ]
    primary = _is_small(c, min_cell, suppress_zeros)
    masked = primary.copy()
    unprotected = 0
    if totals_shown:
        grouped = out.reset_index(drop=True).groupby(groups, sort=False, dropna=False) if groups else None
        blocks = [np.arange(len(out))] if grouped is None else [np.asarray(idx) for idx in grouped.indices.values()]
        floor = 0 if suppress_zeros else 1
        for rows in blocks:
            block = masked[rows]
            if not _protect(c[rows], block, min_cell, floor):
                unprotected += 1
            masked[rows] = block
    complementary = masked & ~primary
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
        n_unprotected=int(unprotected),
    )


def _method(min_cell: int, totals_shown: bool, unit: str, group_by: Any = None) -> str:
    text = f"primary suppression of {unit} with fewer than {min_cell} people"
    if totals_shown:
        scope = f" per {group_by!r} block" if group_by else ""
        text += (
            f"; complementary suppression of the next smallest{scope} until each total has either no "
            f"suppressed cell or at least two whose sum is at least {min_cell} (and not recoverable cell by cell)"
        )
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
    unprotected = 0
    if totals_shown:
        floor = 0 if suppress_zeros else 1
        changed = True
        while changed:
            # Rows, then columns, then again until no line needs another complementary cell:
            # masking a cell for its row can leave its column unsafe, and vice versa.
            changed = False
            unprotected = 0
            for axis in (0, 1):
                lines = masked if axis == 0 else masked.T  # a view: protecting a line updates ``masked``
                values = c if axis == 0 else c.T
                for i in range(lines.shape[0]):
                    before = int(lines[i].sum())
                    line = lines[i].copy()
                    if not _protect(values[i], line, min_cell, floor):
                        unprotected += 1
                    if int(line.sum()) != before:
                        lines[i] = line
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
        n_unprotected=int(unprotected),
    )
