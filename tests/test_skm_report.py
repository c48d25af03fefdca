"""SKM as PermenPANRB 14/2017 reports it: IKM per unsur (NRR, weighted NRR, 25-100 score and
grade) for each unit's latest survey wave, checked against hand computation."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from helpers.analysis import build_region_report
from helpers.analysis.results import ikm_by_unsur
from helpers.present.text import Text
from helpers.present.wording import say_all

NAMES = {f"u{i}": f"Unsur {i}" for i in range(1, 10)}


def _half_up(x: float | Decimal, nd: int = 2) -> float:
    return float(Decimal(str(x)).quantize(Decimal(1).scaleb(-nd), rounding=ROUND_HALF_UP))


def test_unsur_nrr_matches_a_hand_computation_and_a_blank_is_not_zero():
    """Reference: hand computation. u1 = 4, 3, blank, 4 -> NRR 11/3 = 3.6667 (the blank is left
    out, not scored 0); x 25 = 91.67 -> grade A (88.31-100). u2 = 2, 2, 3, 2 -> 9/4 = 2.25 ->
    56.25 -> D. Weighted NRR = NRR / 9."""
    answers = pd.DataFrame({f"u{i}": [3.0, 3.0, 3.0, 3.0] for i in range(1, 10)})
    answers["u1"] = [4.0, 3.0, np.nan, 4.0]
    answers["u2"] = [2.0, 2.0, 3.0, 2.0]
    table = ikm_by_unsur(answers, NAMES).set_index("code")
    assert table.loc["u1", "n_answers"] == 3
    assert table.loc["u1", "nrr"] == pytest.approx(11 / 3)
    assert table.loc["u1", "nrr_weighted"] == pytest.approx(11 / 27)
    assert table.loc["u1", "nrr_scaled"] == 91.67
    assert table.loc["u1", "category"] == "A"
    assert table.loc["u2", "nrr_scaled"] == 56.25 and table.loc["u2", "category"] == "D"
    assert table.loc["u3", "nrr_scaled"] == 75.0 and table.loc["u3", "category"] == "C"
    assert table.loc["u1", "unsur"] == "Unsur 1"


def test_the_nine_weighted_unsur_values_reproduce_the_overall_ikm(sample_data):
    report = build_region_report(sample_data, "salatiga")
    sec = report.sections["results"]
    ikm = sec.results["ikm"]
    assert sec.results.get("ikm_unsur"), "no per-unsur table for salatiga"
    for unit, (period, table) in sec.results["ikm_unsur"].items():
        assert len(table) == 9
        overall = ikm[(ikm["unit"] == unit) & (ikm["period"] == period)].iloc[0]
        assert _half_up(25 * Decimal(str(table["nrr_weighted"].sum()))) == pytest.approx(overall["ikm"], abs=0.005)
        # The latest wave of the unit is the one tabulated.
        assert period == ikm[(ikm["unit"] == unit) & ~ikm["suppressed"]]["period"].max()


def test_unsur_nrr_of_the_sample_matches_plain_pandas(sample_data):
    """Reference: the NRR recomputed from the processed rows with plain pandas (sum / count)."""
    report = build_region_report(sample_data, "salatiga")
    period, table = next(iter(report.sections["results"].results["ikm_unsur"].values()))
    unit = next(iter(report.sections["results"].results["ikm_unsur"]))
    rows = report.data.skm[(report.data.skm["unit"] == unit) & (report.data.skm["period"] == period)]
    for code in ("u1", "u4", "u9"):
        scores = rows[code].astype(float).dropna()
        got = table.set_index("code").loc[code]
        assert got["n_answers"] == len(scores)
        assert got["nrr"] == pytest.approx(scores.sum() / len(scores), abs=1e-12)
        assert got["nrr_scaled"] == _half_up(Decimal(int(scores.sum())) * 25 / Decimal(len(scores)))
    # Names come from the dataset's skm_unsur (manifest), not from the column position.
    assert table.set_index("code").loc["u4", "unsur"] == report.data.dataset.manifest["skm_unsur"]["u4"]


def test_lowest_and_highest_unsur_are_named_in_a_sentence(sample_data):
    report = build_region_report(sample_data, "salatiga")
    sec = report.sections["results"]
    period, table = next(iter(sec.results["ikm_unsur"].values()))
    low = table.sort_values(["nrr", "code"]).iloc[0]["unsur"]
    high = table.sort_values(["nrr", "code"]).iloc[-1]["unsur"]
    t = Text("en")
    sentence = next(s for s in say_all(sec.findings, t) if s.startswith("By service element"))
    assert t.unsur(low) in sentence and t.unsur(high) in sentence
    assert sentence.index(t.unsur(low)) < sentence.index(t.unsur(high))
    assert "November 2025" in sentence or t.period(period) in sentence


def test_unsur_rows_with_too_few_answers_are_suppressed(sample_data):
    report = build_region_report(sample_data, "salatiga")
    shown = report.sections["results"].tables["ikm_unsur"]
    assert {"unit", "period", "unsur", "n_answers", "nrr", "nrr_weighted", "nrr_scaled", "category"} <= set(shown)
    small = shown["suppressed"] & shown["nrr"].isna()
    assert (shown.loc[~shown["suppressed"], "n_answers"] >= report.settings.min_cell).all()
    assert not small.any() or shown.loc[small, "category"].isna().all()
