"""Reaction level: Likert item summaries.

Independent references: counts and shares by hand, SciPy's ``t.interval`` for
the mean, and properties of the percentages.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from helpers.evaluation import likert_summary


def test_counts_percentages_and_boxes_by_hand():
    """Reference: by hand on seven answers 5 4 4 3 2 5 1 (one blank): counts 1 1 1 2 2, sum 24."""
    data = pd.DataFrame({"relevance": [5, 4, 4, 3, 2, 5, np.nan, 1], "overall": [4, 4, 4, 4, 4, 4, 4, 4]})
    table = likert_summary(data).to_frame().set_index("item")
    rel = table.loc["relevance"]
    assert rel["n"] == 7
    assert [rel[f"count_{s}"] for s in range(1, 6)] == [1, 1, 1, 2, 2]
    assert rel["pct_4"] == pytest.approx(100 * 2 / 7)
    assert rel["top2"] == pytest.approx(100 * 4 / 7)
    assert rel["bottom2"] == pytest.approx(100 * 2 / 7)
    assert rel["median"] == 4.0
    assert rel["mean"] == pytest.approx(24 / 7)


def test_mean_interval_is_student_t():
    """Reference: SciPy ``t.interval`` with ``sem`` (the code writes the t quantile formula itself)."""
    values = np.array([5, 4, 4, 3, 2, 5, 1, 4, 4, 3], float)
    row = likert_summary(pd.DataFrame({"q": values})).to_frame().iloc[0]
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


def test_all_equal_answers_give_a_zero_width_interval_without_crashing():
    """Reference: by hand: sd = 0, so mean +- t x 0 = 4; all answers in the top two boxes."""
    row = likert_summary(pd.DataFrame({"q": [4, 4, 4]})).to_frame().iloc[0]
    assert row["ci_low"] == row["ci_high"] == row["mean"] == 4.0
    assert row["top2"] == 100.0 and row["bottom2"] == 0.0


def test_single_answer_has_no_interval():
    """Reference: one answer has n - 1 = 0 degrees of freedom, so no t interval."""
    row = likert_summary(pd.DataFrame({"q": [np.nan, 5]})).to_frame().iloc[0]
    assert row["n"] == 1 and math.isnan(row["ci_low"])


def test_four_point_scale_uses_its_own_top_and_bottom_two():
    """Reference: by hand: 3 of 5 answers in {3, 4} = 60%, 2 of 5 in {1, 2} = 40%."""
    table = likert_summary(pd.DataFrame({"q": [1, 2, 3, 4, 4]}), scale=(1, 2, 3, 4)).to_frame()
    assert "count_5" not in table.columns
    assert table.loc[0, "top2"] == pytest.approx(60.0) and table.loc[0, "bottom2"] == pytest.approx(40.0)


@pytest.mark.parametrize("bad", [6, 0, 3.5, "Setuju"])
def test_answer_outside_the_scale_raises_naming_column_and_value(bad):
    data = pd.DataFrame({"instructor": pd.Series([4, 5, 3], dtype=object)})
    data.loc[1, "instructor"] = bad
    with pytest.raises(ValueError, match=rf"instructor.*{re.escape(str(bad))}"):
        likert_summary(data)


def test_numeric_codes_stored_as_text_are_accepted():
    data = pd.DataFrame({"q": ["4", "5", None]})  # pandas 3 default string dtype
    assert likert_summary(data).to_frame().loc[0, "n"] == 2


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=60))
def test_percentages_sum_to_100_and_boxes_never_overlap(answers):
    """Reference: counts, shares and the mean recomputed by hand from the drawn answers."""
    table = likert_summary(pd.DataFrame({"q": pd.Series(answers, dtype="float64")})).to_frame()
    row = table.iloc[0]
    given_answers = [a for a in answers if a is not None]
    assert row["n"] == len(given_answers)
    if not given_answers:
        assert math.isnan(row["mean"])
        return
    n = len(given_answers)
    for s in range(1, 6):
        assert row[f"count_{s}"] == given_answers.count(s)
        assert row[f"pct_{s}"] == pytest.approx(100 * given_answers.count(s) / n)
    assert sum(row[f"pct_{s}"] for s in range(1, 6)) == pytest.approx(100.0)
    assert row["top2"] == pytest.approx(row["pct_4"] + row["pct_5"])
    assert row["bottom2"] == pytest.approx(row["pct_1"] + row["pct_2"])
    assert row["top2"] + row["bottom2"] <= 100.0 + 1e-9
    assert row["mean"] == pytest.approx(sum(given_answers) / n)
