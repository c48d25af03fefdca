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


@settings(max_examples=60, deadline=None)
@given(arrays(np.int64, shape=st.tuples(st.integers(2, 5), st.integers(2, 5)), elements=st.integers(0, 40)))
def test_no_row_or_column_is_left_with_a_single_recoverable_masked_cell(matrix):
    """Reference: the disclosure property itself: a margin with one masked cell gives that cell away."""
    counts = pd.DataFrame(matrix)
    r = suppress_small_cells(counts, min_cell=5)
    m = r.mask.to_numpy()
    small = (matrix > 0) & (matrix < 5)
    assert np.all(m[small])  # every small cell is masked
    for lines, values in ((m, matrix), (m.T, matrix.T)):
        for line, vals in zip(lines, values, strict=True):
            if line.sum() == 1:
                # allowed only when nothing else in the line could be masked
                assert not np.any((vals > 0) & ~line)


def test_min_cell_must_be_positive(agencies):
    with pytest.raises(ValueError):
        suppress_small_cells(agencies, "n", min_cell=0)
