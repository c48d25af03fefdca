"""IKM (PermenPANRB 14/2017) and Krejcie & Morgan sample sizes.

Independent references: worked examples computed by hand per the lampiran of the
regulation (NRR = sum / answers, weight 1/9 or 0,111, x 25, two decimals, interval
table) and the published Krejcie & Morgan (1970) table.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.evaluation import UNSUR, ikm_category, ikm_score, krejcie_morgan

CODES = [f"u{i}" for i in range(1, 10)]


def test_ikm_worked_example_by_hand():
    """Five questionnaires, nine unsur.

    Column sums / 5 answers: u1 18, u2 17, u3 15, u4 20, u5 16, u6 17, u7 18, u8 14, u9 16
    NRR: 3.6 3.4 3.0 4.0 3.2 3.4 3.6 2.8 3.2; sum 30.2; IKM = 30.2 / 9 = 3.35556;
    converted = 83.888... -> 83.89 -> B Baik (76.61-88.30).
    """
    data = pd.DataFrame(
        [
            [4, 3, 3, 4, 3, 4, 4, 3, 3],
            [4, 4, 3, 4, 3, 3, 4, 3, 4],
            [3, 3, 3, 4, 4, 3, 3, 2, 3],
            [4, 4, 3, 4, 3, 4, 4, 3, 3],
            [3, 3, 3, 4, 3, 3, 3, 3, 3],
        ],
        columns=CODES,
    )
    r = ikm_score(data)
    assert r.nrr.to_numpy() == pytest.approx([3.6, 3.4, 3.0, 4.0, 3.2, 3.4, 3.6, 2.8, 3.2])
    assert r.raw_index == pytest.approx(30.2 / 9)
    assert r.value == 83.89
    assert (r.category, r.label) == ("B", "Baik")
    assert (r.n, r.k, r.weight) == (5, 9, "exact")


def test_ikm_blank_answer_is_missing_not_zero():
    """One respondent left u3 blank: NRR(u3) = (3+3+3+3)/4 = 3.0, not 12/5 = 2.4."""
    data = pd.DataFrame({c: [3, 3, 3, 3, 3] for c in CODES}, dtype="float64")
    data.loc[2, "u3"] = np.nan
    r = ikm_score(data)
    assert r.nrr["u3"] == 3.0
    assert r.n_answers["u3"] == 4 and r.n_answers["u1"] == 5
    assert r.value == 75.00  # every NRR is 3.0 -> 3.0 x 25
    assert (r.category, r.label) == ("C", "Kurang Baik")
    assert r.n == 5


def test_fully_blank_questionnaire_does_not_count():
    """Reference: by hand: two answered questionnaires, every NRR 4.0 -> 4.0 x 25 = 100.00."""
    data = pd.DataFrame({c: [4.0, 4.0, np.nan] for c in CODES})
    r = ikm_score(data)
    assert r.n == 2 and r.value == 100.0


def test_printed_weight_0111_can_move_a_unit_across_the_88_30_88_31_boundary():
    """Ten questionnaires; six unsur with NRR 3.5 and three with 3.6: sum NRR = 31.8.

    exact:   31.8 / 9 x 25   = 88.333 -> 88.33 -> A Sangat Baik
    printed: 31.8 x 0.111 x 25 = 88.245 -> 88.25 -> B Baik
    """
    half = [4] * 5 + [3] * 5  # NRR 3.5
    six = [4] * 6 + [3] * 4  # NRR 3.6
    data = pd.DataFrame({c: (half if i < 6 else six) for i, c in enumerate(CODES)})
    exact = ikm_score(data)
    printed = ikm_score(data, weight="printed")
    assert exact.value == 88.33 and exact.category == "A"
    assert printed.value == 88.25 and printed.category == "B"
    assert printed.raw_index == pytest.approx(31.8 * 0.111)


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (100.0, "A"),
        (88.31, "A"),
        (88.305, "A"),
        (88.30, "B"),
        (88.3049, "B"),
        (76.61, "B"),
        (76.605, "B"),
        (76.60, "C"),
        (76.6049, "C"),
        (65.0, "C"),
        (64.995, "C"),
        (64.99, "D"),
        (64.9949, "D"),
        (25.0, "D"),
    ],
)
def test_converted_value_is_rounded_to_two_decimals_before_classifying(value, code):
    """Reference: the interval table of the regulation (A 88.31-100, B 76.61-88.30, C 65.00-76.60,
    D 25.00-64.99) applied to the value rounded half up to two decimals.
    """
    assert ikm_category(value).code == code


def test_category_labels_follow_the_regulation():
    """Reference: the labels of the regulation's interval table (mutu pelayanan A-D)."""
    assert [(c.code, c.label) for c in map(ikm_category, [95, 80, 70, 50])] == [
        ("A", "Sangat Baik"),
        ("B", "Baik"),
        ("C", "Kurang Baik"),
        ("D", "Tidak Baik"),
    ]


@pytest.mark.parametrize("value", [24.99, 100.01, float("nan")])
def test_value_outside_25_to_100_is_rejected(value):
    with pytest.raises(ValueError):
        ikm_category(value)


@pytest.mark.parametrize("bad", [5, 0, 2.5])
def test_score_outside_1_to_4_raises_naming_column_and_value(bad):
    data = pd.DataFrame({c: [3, 4, 3] for c in CODES}, dtype="float64")
    data.loc[1, "u7"] = bad
    with pytest.raises(ValueError, match=rf"u7.*{re.escape(str(bad))}"):
        ikm_score(data)


def test_text_score_raises_naming_column_and_value():
    data = pd.DataFrame({c: ["3", "4"] for c in CODES})
    data.loc[0, "u2"] = "Baik"
    with pytest.raises(ValueError, match=r"u2.*Baik"):
        ikm_score(data)


def test_unsur_are_matched_by_name_not_by_position():
    """Reference: the same answers in the regulation's order of unsur."""
    rng = np.random.default_rng(14)
    scores = rng.integers(1, 5, size=(40, 9))
    named = pd.DataFrame(scores, columns=list(UNSUR))
    reordered = named[list(reversed(UNSUR))]
    relabelled = named.rename(columns=lambda c: c.upper().replace(",", ""))
    a, b, c = ikm_score(named), ikm_score(reordered), ikm_score(relabelled)
    assert a.value == b.value == c.value
    pd.testing.assert_series_equal(a.nrr, b.nrr.loc[a.nrr.index])
    assert list(c.nrr.index) == list(UNSUR)


def test_unknown_column_is_rejected():
    data = pd.DataFrame({c: [3] for c in CODES[:8]} | {"Kecepatan": [3]})
    with pytest.raises(ValueError, match="Kecepatan"):
        ikm_score(data)


def test_printed_weight_needs_nine_unsur():
    with pytest.raises(ValueError, match="nine"):
        ikm_score(pd.DataFrame({c: [3] for c in CODES[:5]}), weight="printed")


def test_unsur_without_any_answer_leaves_the_index_undefined():
    data = pd.DataFrame({c: [3.0, 4.0] for c in CODES})
    data["u9"] = np.nan
    r = ikm_score(data)
    assert math.isnan(r.value) and r.category is None and "u9" in r.note


def test_to_frame_lists_nrr_per_unsur():
    """Reference: by hand: every NRR is (3 + 4) / 2 = 3.5, so the weighted NRRs sum to 9 x 3.5 / 9 = 3.5."""
    data = pd.DataFrame({c: [3, 4] for c in CODES})
    table = ikm_score(data).to_frame()
    assert list(table.columns) == ["unsur", "n_answers", "nrr", "nrr_weighted"]
    assert table["nrr_weighted"].sum() == pytest.approx(3.5)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=9, max_size=9), min_size=1, max_size=30),
    st.sampled_from(["exact", "printed"]),
)
def test_ikm_always_lies_within_25_and_100_and_matches_its_category(rows, weight):
    """Reference: the regulation's range (every NRR in 1-4, so 1 x 25 to 4 x 25) and interval table;
    the index is undefined exactly when some unsur has no answer at all.
    """
    data = pd.DataFrame(rows, columns=CODES, dtype="float64")
    r = ikm_score(data, weight=weight)
    unanswered = data.isna().all().any()
    if r.category is None:
        assert unanswered and math.isnan(r.value)
        return
    assert not unanswered
    assert 25.0 <= r.value <= 100.0
    assert ikm_category(r.value).code == r.category
    assert r.value == round(r.value, 2)


# Krejcie, R. V. & Morgan, D. W. (1970), Table 1 (N -> S); kept compact, not one pair per line.
# fmt: off
KREJCIE_MORGAN_TABLE = {
    10: 10, 15: 14, 20: 19, 25: 24, 30: 28, 35: 32, 40: 36, 45: 40, 50: 44, 55: 48,
    60: 52, 65: 56, 70: 59, 75: 63, 80: 66, 85: 70, 90: 73, 95: 76, 100: 80, 110: 86,
    220: 140, 230: 144, 240: 148, 250: 152, 500: 217, 1000: 278, 1200: 291, 1300: 297,
    1400: 302, 1500: 306, 2800: 338, 9000: 368, 10000: 370, 1000000: 384,
}
# fmt: on


@pytest.mark.parametrize(("population", "sample"), sorted(KREJCIE_MORGAN_TABLE.items()))
def test_krejcie_morgan_reproduces_the_published_table(population, sample):
    """Reference: Krejcie & Morgan (1970), Table 1."""
    assert krejcie_morgan(population) == sample


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 5_000_000))
def test_krejcie_morgan_never_exceeds_population_or_384(population):
    """Reference: the formula's limit for N -> infinity: chi2 P(1-P) / d^2 = 3.841 x 0.25 / 0.0025 = 384."""
    s = krejcie_morgan(population)
    assert 1 <= s <= min(population, 384)
    assert krejcie_morgan(population + 1) >= s


@pytest.mark.parametrize("bad", [0, -5, 10.5, True])
def test_krejcie_morgan_rejects_non_positive_or_fractional_population(bad):
    with pytest.raises(ValueError):
        krejcie_morgan(bad)
