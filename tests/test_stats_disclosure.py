"""Disclosure control: small-cell and complementary suppression.

Independent reference: the rule itself, checked by hand on small tables and as a
property (no published total can reveal a lone suppressed cell).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from helpers.evaluation import suppress_small_cells


@pytest.fixture
def agencies() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["salatiga"] * 3 + ["plaju"] * 3,
            "agency": ["Dukcapil", "DPMPTSP", "Bappeda", "Kecamatan", "Puskesmas", "Kelurahan"],
            "n": [3, 12, 20, 2, 4, 30],
            "mean_score": [4.1, 3.9, 4.4, 3.2, 3.6, 4.0],
        }
    )


def test_group_below_min_cell_is_masked_and_flagged(agencies):
    """Reference: the rule by hand: n = 3 < min_cell 5 masks every statistic of Dukcapil, n = 20 keeps Bappeda."""
    r = suppress_small_cells(agencies, "n", group_by="region")
    t = r.table.set_index("agency")
    assert np.isnan(t.loc["Dukcapil", "mean_score"]) and np.isnan(t.loc["Dukcapil", "n"])
    assert t.loc["Dukcapil", "suppression"] == "primary" and t.loc["Dukcapil", "suppressed"]
    assert t.loc["Bappeda", "mean_score"] == 4.4
    assert t.loc["Dukcapil", "region"] == "salatiga"  # text identifiers are never masked


def test_lone_suppressed_cell_gets_a_complementary_partner_when_totals_are_shown(agencies):
    """Reference: by hand: a lone masked cell in a group with a published total is recoverable by
    subtraction, so the next smallest cell is masked too; two masked cells protect each other.
    """
    r = suppress_small_cells(agencies, "n", group_by="region")
    t = r.table.set_index("agency")
    # salatiga: only Dukcapil (3) is small -> next smallest DPMPTSP (12) is also masked
    assert t.loc["DPMPTSP", "suppression"] == "complementary" and np.isnan(t.loc["DPMPTSP", "n"])
    # plaju: two small groups already protect each other -> no complementary cell
    assert t.loc["Kelurahan", "suppression"] == ""
    assert (r.n_primary, r.n_complementary, r.n) == (3, 1, 6)


def test_no_complementary_suppression_without_totals(agencies):
    """Reference: by hand: without totals only the three primary cells (n 3, 2, 4) are masked."""
    r = suppress_small_cells(agencies, "n", group_by="region", totals_shown=False)
    assert r.n_complementary == 0 and r.n_primary == 3


def test_counts_may_come_from_outside_the_table(agencies):
    stats_only = agencies.drop(columns="n")
    r = suppress_small_cells(stats_only, counts=agencies["n"], group_by="region")
    assert r.mask.tolist() == [True, True, False, True, True, False]


def test_zero_counts_are_kept_unless_asked(agencies):
    agencies.loc[2, "n"] = 0
    assert suppress_small_cells(agencies, "n", group_by="region").table.loc[2, "suppression"] != "primary"
    assert (
        suppress_small_cells(agencies, "n", group_by="region", suppress_zeros=True).table.loc[2, "suppression"]
        == "primary"
    )


def test_numeric_identifiers_can_be_kept_and_flags_left_out():
    table = pd.DataFrame({"year": [2024, 2025], "n": [3, 40], "share": [0.3, 0.6]})
    r = suppress_small_cells(table, "n", keep=["year"], totals_shown=False, add_flags=False)
    assert r.table["year"].tolist() == [2024, 2025]
    assert np.isnan(r.table.loc[0, "share"]) and list(r.table.columns) == ["year", "n", "share"]
    assert r.mask.tolist() == [True, False]


def test_input_table_is_not_modified(agencies):
    before = agencies.copy()
    suppress_small_cells(agencies, "n", group_by="region")
    pd.testing.assert_frame_equal(agencies, before)


def test_cross_table_suppression_protects_rows_and_columns():
    """Reference: by hand on a 3x3 table, and the rule that no row or column keeps exactly one masked cell."""
    counts = pd.DataFrame(
        {"L": [12, 3, 25], "P": [15, 9, 30], "unknown": [7, 6, 8]}, index=["classroom", "e_learning", "simulation"]
    )
    r = suppress_small_cells(counts)
    m = r.mask
    assert m.loc["e_learning", "L"]  # primary (3)
    # its row partner is the smallest other cell in the row (6), and its column partner the smallest in L (12)
    assert m.loc["e_learning", "unknown"] and m.loc["classroom", "L"]
    assert np.isnan(r.table.loc["e_learning", "L"])
    assert all(m.sum(axis=1) != 1) and all(m.sum(axis=0) != 1)
    assert r.n_primary == 1 and r.n_complementary >= 2


def _attacker_range(masked_counts: np.ndarray, floor: int) -> tuple[float, float]:
    """What a reader learns about any one masked cell of a line from its published total.

    The total minus the published cells gives S, the sum of the m masked cells; each is at
    least ``floor`` (1 when zeros are published), so one masked cell lies in
    [floor, S - (m - 1) x floor] when m >= 2, and is S itself when m = 1. The cell is
    recovered when that range is a single value.
    """
    m, total = len(masked_counts), float(np.sum(masked_counts))
    if m == 1:
        return total, total
    return float(floor), total - (m - 1) * floor


def _line_is_safe(counts: np.ndarray, masked: np.ndarray, min_cell: int, floor: int) -> bool:
    if not masked.any():
        return True
    low, high = _attacker_range(counts[masked], floor)
    return high > low and counts[masked].sum() >= min_cell


@settings(max_examples=60, deadline=None, database=None)
@given(arrays(np.int64, shape=st.tuples(st.integers(2, 5), st.integers(2, 5)), elements=st.integers(0, 40)))
def test_no_row_or_column_is_left_with_a_single_recoverable_masked_cell(matrix):
    """Reference: the disclosure property itself: a margin with one masked cell gives that cell away,
    and a margin whose masked cells sum to a small count gives that small count away.
    """
    counts = pd.DataFrame(matrix)
    r = suppress_small_cells(counts, min_cell=5)
    m = r.mask.to_numpy()
    small = (matrix > 0) & (matrix < 5)
    assert np.all(m[small])  # every small cell is masked
    assert not np.any(~m & small)
    unsafe = 0
    for lines, values in ((m, matrix), (m.T, matrix.T)):
        for line, vals in zip(lines, values, strict=True):
            if not _line_is_safe(vals, line, 5, floor=1):
                # allowed only when nothing else in the line could be masked
                assert not np.any((vals > 0) & ~line)
                unsafe += 1
    assert r.n_unprotected == unsafe


def test_two_small_cells_summing_to_a_small_count_get_a_complementary_partner():
    """Reference: by hand: [1, 1, 50, 60] with its total 112 published. Masking only the two 1s leaves
    112 - 50 - 60 = 2 = their sum, and as a masked cell cannot be 0 (zeros are shown) each must be 1.
    Masking the next smallest (50) too leaves 52 shared by three cells: no cell is recoverable.
    """
    r = suppress_small_cells(pd.DataFrame({"n": [1, 1, 50, 60]}), "n")
    assert r.table["suppression"].tolist() == ["primary", "primary", "complementary", ""]
    assert (r.n_primary, r.n_complementary, r.n_unprotected) == (2, 1, 0)
    assert r.table["n"].iloc[3] == 60 and r.table["suppressed"].tolist() == [True, True, True, False]


def test_masked_ones_summing_to_min_cell_are_still_protected():
    """Reference: by hand: five masked 1s sum to 5 >= min_cell, but five cells that are each >= 1 and
    sum to 5 must all be 1; masking 50 as well leaves 55 over six cells.
    """
    r = suppress_small_cells(pd.DataFrame({"n": [1, 1, 1, 1, 1, 50, 70]}), "n")
    assert r.table["suppression"].tolist() == ["primary"] * 5 + ["complementary", ""]


def test_block_that_cannot_be_protected_is_reported():
    """Reference: by hand: a block [1, 2] has nothing else to mask; its total 3 is itself a small count."""
    table = pd.DataFrame({"g": ["a", "a", "b", "b"], "n": [1, 2, 3, 40]})
    r = suppress_small_cells(table, "n", group_by="g")
    assert r.mask.tolist() == [True, True, True, True]
    assert r.n_unprotected == 1
    assert suppress_small_cells(table, "n", group_by="g", totals_shown=False).n_unprotected == 0


_COUNT = {3: st.integers(0, 2), 5: st.integers(0, 4), 10: st.integers(0, 9)}


@st.composite
def _blocks(draw):
    """A long table of count rows in 1-4 blocks, small counts (zeros included) about half the time."""
    min_cell = draw(st.sampled_from([3, 5, 10]))
    count = st.one_of(_COUNT[min_cell], st.integers(min_cell, 80))
    sizes = draw(st.lists(st.integers(1, 6), min_size=1, max_size=4))
    rows = [(f"g{g}", draw(count)) for g, size in enumerate(sizes) for _ in range(size)]
    return pd.DataFrame(rows, columns=["block", "n"]).assign(mean=lambda d: d["n"] * 0.1), min_cell


def test_no_suppressed_count_is_recoverable_from_published_block_totals():
    """Reference: the disclosure property, as an attacker computes it: for each block, total minus the
    published rows gives the sum S of its m masked rows, each at least 1 (0 when zeros are suppressed
    too), so one masked row lies in [floor, S - (m - 1) floor]. Safe means that range is not a single
    value and S is not itself a small count (S >= min_cell) - or nothing is masked. A block is allowed
    to stay unsafe only when every cell that could be masked is masked (``n_unprotected``). Every
    small cell is masked and no published cell is small (zeros are published unless
    ``suppress_zeros``).
    """
    audited: list[bool] = []

    @settings(max_examples=200, deadline=None, database=None)
    @given(_blocks(), st.booleans())
    def check(drawn, suppress_zeros):
        table, min_cell = drawn
        r = suppress_small_cells(table, "n", min_cell=min_cell, group_by="block", suppress_zeros=suppress_zeros)
        counts, masked = table["n"].to_numpy(), r.mask.to_numpy()
        floor = 0 if suppress_zeros else 1
        small = (counts < min_cell) if suppress_zeros else ((counts > 0) & (counts < min_cell))
        assert masked[small].all()
        published = counts[~masked]
        assert not np.any((published < min_cell) & ((published > 0) | suppress_zeros))
        assert r.table.loc[masked, ["n", "mean"]].isna().all().all()
        assert (r.table["suppressed"].to_numpy() == masked).all()
        unsafe, reached = 0, False
        for _, rows in table.groupby("block").indices.items():
            c, m = counts[rows], masked[rows]
            if _line_is_safe(c, m, min_cell, floor):
                reached |= bool(m.any())
                continue
            unsafe += 1
            assert not np.any((c > 0) & ~m)  # nothing left to mask in this block
        assert r.n_unprotected == unsafe
        audited.append(reached)

    check()
    # The safety assertions must have been exercised on a protectable block with masked rows most of the time.
    assert len(audited) >= 150 and sum(audited) >= 0.6 * len(audited), (sum(audited), len(audited))


def test_min_cell_must_be_positive(agencies):
    with pytest.raises(ValueError):
        suppress_small_cells(agencies, "n", min_cell=0)
