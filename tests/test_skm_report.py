"""SKM as PermenPANRB 14/2017 reports it: IKM per unsur (NRR, weighted NRR, 25-100 score and
grade) for each unit's latest survey wave, checked against hand computation, and the
respondents' profile (gender, age, education, occupation) with its small cells suppressed."""

from __future__ import annotations

import json
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest

from helpers import paths
from helpers.analysis import build_region_report
from helpers.analysis.results import age_band, ikm_by_unsur
from helpers.partitions import read_table
from helpers.present.tables import for_display
from helpers.present.text import Text
from helpers.present.wording import say_all
from helpers.render.export import sheet_names

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


# --- the respondents' profile (profil responden: jenis kelamin, usia, pendidikan, pekerjaan) -----

PROFILE_VARIABLES = {"gender", "age_group", "education", "occupation"}


def _variant(sample, skm=None, drop=()):
    """The sample with another skm table, or without some skm columns (listed as not collected)."""
    tables = dict(sample.tables)
    manifest = json.loads(json.dumps(sample.manifest))
    frame = (skm if skm is not None else tables["skm"]).drop(columns=list(drop))
    tables["skm"] = frame
    manifest.setdefault("columns_not_collected", {})["skm"] = list(drop)
    return type(sample)(sample.name, manifest, tables, sample.quarantine)


def _band(age) -> str:
    if pd.isna(age):
        return "?"
    decade = int(age) // 10 * 10
    return "under_20" if age < 20 else "60_plus" if age >= 60 else f"{decade}_{decade + 9}"


def test_profile_counts_match_a_hand_count_of_the_processed_skm_table(sample_data):
    """Reference: the processed skm table counted row by row with collections.Counter."""
    report = build_region_report(sample_data, "salatiga")
    table = report.sections["results"].tables["skm_respondents"]
    raw = read_table(paths.processed_dataset_dir("sample") / "skm")
    ikm = report.sections["results"].tables["ikm"]
    assert set(table["variable"]) == PROFILE_VARIABLES
    for (unit, period), block in table.groupby(["unit", "period"]):
        # The wave shown is the unit's latest wave with a published IKM, as for the unsur table.
        assert period == ikm[(ikm["unit"] == unit) & ~ikm["suppressed"]]["period"].max()
        rows = raw[(raw["region_id"] == "salatiga") & (raw["unit"] == unit) & (raw["period"] == period)]
        hand = {
            "gender": Counter("?" if pd.isna(v) else v for v in rows["gender"]),
            "age_group": Counter(_band(v) for v in rows["age"]),
            "education": Counter("?" if pd.isna(v) else v for v in rows["education"]),
            "occupation": Counter("?" if pd.isna(v) else v for v in rows["occupation"]),
        }
        for variable, counts in hand.items():
            shown = block[block["variable"] == variable]
            # Every answer with a respondent is listed (the form's other answers as zeros).
            assert set(counts) <= set(shown["category"]), variable
            for _, row in shown.iterrows():
                expected = counts.get(row["category"], 0)
                if row["suppressed"]:
                    assert pd.isna(row["n"]) and pd.isna(row["percent"])
                    continue
                assert row["n"] == expected, (variable, row["category"])
                assert row["percent"] == pytest.approx(100 * expected / len(rows), abs=1e-9)
            assert (
                sum(counts.values())
                == len(rows)
                == int(ikm[(ikm["unit"] == unit) & (ikm["period"] == period)]["n"].iloc[0])
            )


def test_a_small_category_is_suppressed_with_a_complement_so_the_total_cannot_give_it_away(sample_data):
    """Three TNI respondents among 40 PNS and the rest swasta: TNI is suppressed, and so is the
    next smallest answer (PNS), so the wave's published n minus the shown cells gives 43, not 3.
    The answers nobody gave stay as real zeros."""
    report = build_region_report(sample_data, "salatiga")
    unit, period = report.sections["results"].tables["skm_respondents"][["unit", "period"]].iloc[0]
    skm = sample_data.tables["skm"].copy()
    wave = skm.index[(skm["region_id"] == "salatiga") & (skm["unit"] == unit) & (skm["period"] == period)]
    skm.loc[wave, "occupation"] = ["tni"] * 3 + ["pns"] * 40 + ["swasta"] * (len(wave) - 43)
    table = build_region_report(_variant(sample_data, skm), "salatiga").sections["results"].tables["skm_respondents"]
    occupation = table[table["variable"] == "occupation"].set_index("category")
    min_cell = report.settings.min_cell
    assert 3 < min_cell <= 40
    assert occupation.loc["tni", "suppressed"] and pd.isna(occupation.loc["tni", "n"])
    assert occupation.loc["pns", "suppressed"] and pd.isna(occupation.loc["pns", "percent"])
    assert not occupation.loc["swasta", "suppressed"] and occupation.loc["swasta", "n"] == len(wave) - 43
    assert (occupation.drop(index=["tni", "pns", "swasta"])["n"] == 0).all()
    hidden = len(wave) - int(occupation["n"].sum())  # what the IKM table's n gives away
    assert hidden == 43 >= min_cell


def test_every_shown_profile_cell_has_at_least_min_cell_respondents_or_is_zero(sample_data):
    for region in sample_data.regions:
        report = build_region_report(sample_data, region["id"])
        table = report.sections["results"].tables.get("skm_respondents")
        if table is None:
            continue
        shown = table.loc[~table["suppressed"], "n"]
        assert ((shown >= report.settings.min_cell) | (shown == 0)).all(), region["id"]
        for _, block in table.groupby(["unit", "period", "variable"]):
            masked = block["suppressed"].sum()
            assert masked == 0 or masked >= 2, block  # one masked cell = total minus the rest


def test_profile_not_collected_when_the_export_has_none_of_its_columns(sample_data):
    full = build_region_report(sample_data, "salatiga").sections["results"]
    ds = _variant(sample_data, drop=("gender", "age", "education", "occupation"))
    sec = build_region_report(ds, "salatiga").sections["results"]
    assert "skm_respondents" not in sec.tables
    assert sec.missing["skm_respondents"] == "not_collected"
    pd.testing.assert_frame_equal(sec.tables["ikm"], full.tables["ikm"])  # the IKM does not need them
    for lang in ("id", "en"):
        t = Text(lang)
        sentence = next(s for s in say_all(sec.findings, t) if t("analyses.skm_respondents") in s)
        assert all(t.field("skm", c) in sentence for c in ("gender", "age", "education", "occupation"))


def test_a_profile_column_missing_from_the_export_is_named_and_the_others_are_shown(sample_data):
    sec = build_region_report(_variant(sample_data, drop=("occupation",)), "salatiga").sections["results"]
    assert set(sec.tables["skm_respondents"]["variable"]) == PROFILE_VARIABLES - {"occupation"}
    assert sec.missing["skm_respondent_details"] == "not_collected"
    assert "skm_respondents" not in sec.missing
    t = Text("id")
    assert any(t.field("skm", "occupation") in s for s in say_all(sec.findings, t))


def test_profile_reads_in_the_reports_language_and_has_a_workbook_sheet(sample_data):
    report = build_region_report(sample_data, "salatiga")
    table = report.sections["results"].tables["skm_respondents"]
    for lang in ("id", "en"):
        t = Text(lang)
        shown = for_display(table, t)
        categories = set(shown[t.column("category")])
        assert t.category("occupation", "wirausaha") in categories
        assert t.category("age_group", "30_39") in categories
        assert not {"wirausaha", "30_39", "age_group"} & (categories | set(shown[t.column("variable")]))
        assert sheet_names(report, lang)["results-skm_respondents"] == t("workbook.sheets.results.skm_respondents")


def test_age_bands_follow_whole_years():
    """Reference: the bands by hand; 19 is under 20, 20 and 29 are in 20-29, a blank is '?'."""
    assert age_band([19, 20, 29, 30, 59, 60, 87, None]).tolist() == [
        "under_20",
        "20_29",
        "20_29",
        "30_39",
        "50_59",
        "60_plus",
        "60_plus",
        "?",
    ]
