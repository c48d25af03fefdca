"""Caveats reach the reader: refusals and notes appear beside their numbers in the report's
language, and a refused result is never shown as a number."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.analysis import build_region_report
from helpers.present import headlines
from helpers.present.text import Text
from helpers.present.wording import say_all


def _variant(sample_data, **tables):
    merged = {**sample_data.tables, **tables}
    return type(sample_data)(sample_data.name, sample_data.manifest, merged, sample_data.quarantine)


def _summary(report, lang="id"):
    return {i: v for i, _, v in headlines.summary_rows(report.indicators, Text(lang))}


def test_a_method_taught_in_one_programme_is_refused_with_the_reason_in_words(sample_data):
    report = build_region_report(sample_data, "dki-jakarta")
    model = report.sections["learning"].results.get("model")
    assert model is not None and model.refused, "DKI has methods taught in a single programme"
    text = " ".join(say_all(report.sections["learning"].findings, Text("id")))
    assert Text("id")("reasons.single_programme") in text
    terms = set(model.to_frame()["term"])
    assert not any(m in term for m in model.refused for term in terms)


def test_unclustered_effect_size_carries_its_note_in_the_summary(sample_data):
    report = build_region_report(sample_data, "salatiga")
    for lang in ("id", "en"):
        assert _summary(report, lang)["learning.d_z"].endswith(Text(lang)("notes.unclustered"))


def test_separation_is_refused_and_never_printed_as_an_odds_ratio(sample_data):
    """Every enrolment with a schedule conflict fails to complete: the odds ratio is infinite."""
    enr = sample_data.tables["enrollments"].copy()
    conflict = enr["schedule_conflict"].astype(bool)
    enr.loc[conflict, "status"] = "dropped"
    report = build_region_report(_variant(sample_data, enrollments=enr), "sawahlunto")
    by_id = {i.id: i for i in report.indicators}
    refused = by_id["participation.odds_ratio.schedule_conflict"]
    assert refused.status == "refused" and refused.estimate is None
    assert refused.notes == ("separation",)
    text = " ".join(say_all(report.sections["participation"].findings, Text("id")))
    assert Text("id")("reasons.separation") in text
    assert "model" not in report.sections["participation"].tables


def test_a_negative_cronbach_alpha_is_flagged_beside_the_value(sample_data):
    rx = sample_data.tables["reaction"].copy()
    rng = np.random.default_rng(1)
    items = ["relevance", "instructor", "method", "facilities", "schedule", "overall"]
    for i, col in enumerate(items):  # independent items, half reversed: alpha near or below zero
        values = pd.Series(rng.integers(1, 6, len(rx)), index=rx.index)
        rx[col] = (6 - values if i % 2 else values).astype(rx[col].dtype)
    report = build_region_report(_variant(sample_data, reaction=rx), "dki-jakarta")
    alpha = report.sections["reaction"].results["alpha"].alpha
    assert alpha < 0.5
    keys = [f.key for f in report.sections["reaction"].findings]
    assert keys.index("reaction.alpha_low") == keys.index("reaction.alpha") + 1


def test_no_english_method_note_inside_an_indonesian_report(sample_data):
    """Notes of result objects are English for developers; the report words caveats from the catalogue."""
    english = ("clusters", "imprecise", "standard error", "only ", "refused", "not estimated")
    for region in ("salatiga", "dki-jakarta", "sawahlunto", "plaju"):
        report = build_region_report(sample_data, region)
        text = " ".join(" ".join(say_all(sec.findings, Text("id"))) for sec in report.sections.values())
        text += " ".join(v for _, _, v in headlines.summary_rows(report.indicators, Text("id")))
        assert not [w for w in english if w in text], region
