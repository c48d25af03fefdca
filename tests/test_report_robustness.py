"""A report must render for thin or partial real data, not only for the full sample.

Each case builds a variant of the processed sample in memory and runs every step the notebook
runs: sections, headline metrics, summary table, recommendations and figure frames.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import report
from helpers.present import figures as plots

REGION = "plaju"


def _variant(sample_data, **changes):
    tables = dict(sample_data.tables)
    for name, fn in changes.items():
        if fn is None:
            tables.pop(name, None)
        else:
            tables[name] = fn(tables[name])
    return type(sample_data)(sample_data.name, sample_data.manifest, tables, sample_data.quarantine)


def _programs(sample_data):
    p = sample_data.tables["programs"]
    return set(p.loc[p["region_id"] == REGION, "program_id"])


def _run_everything(ds):
    data = report.RegionData(ds, REGION, "id")
    sections = report.build_sections(data)
    metrics = report.headline_metrics(sections, data)
    report.summary_table(metrics, data)
    report.recommend(sections, data)
    t = data.text
    for frame in (report.learning_figure_frame(sections["learning"], t),
                  report.participation_figure_frame(sections["participation"]),
                  report.behaviour_figure_frame(sections["behaviour"])):
        assert not frame.get("suppressed", pd.Series(dtype=bool)).any()
    if "likert_frame" in sections["reaction"].results:
        plots.likert_diverging(sections["reaction"].results["likert_frame"], t)
    return sections, metrics


CASES = {
    "no_tests_table": lambda s: _variant(s, tests=None),
    "no_followup_table": lambda s: _variant(s, followup=None),
    "no_service_table": lambda s: _variant(s, service=None),
    "no_skm_table": lambda s: _variant(s, skm=None),
    "no_qualitative_table": lambda s: _variant(s, qualitative=None),
    "everyone_completed": lambda s: _variant(s, enrollments=lambda e: e.assign(status="completed")),
    "one_programme": lambda s: _variant(
        s, programs=lambda p: p[(p["region_id"] != REGION) | (p["program_id"] == sorted(_programs(s))[0])]),
    "three_reaction_responses": lambda s: _variant(
        s, reaction=lambda r: pd.concat([r[~r["program_id"].isin(_programs(s))], r[r["program_id"].isin(_programs(s))].head(3)])),
    "no_workload_or_absence_columns": lambda s: _variant(
        s, enrollments=lambda e: e.drop(columns=["workload", "absence_reason"])),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_builds_for_partial_data(sample_data, case):
    sections, metrics = _run_everything(CASES[case](sample_data))
    assert set(sections) >= {"reaction", "learning", "behaviour", "results", "participation"}


def test_too_few_people_suppresses_the_headline_number(sample_data):
    ds = CASES["three_reaction_responses"](sample_data)
    sections, metrics = _run_everything(ds)
    assert metrics["reaction_overall_mean"] is None
    assert "■" in report.summary_table(metrics, report.RegionData(ds, REGION, "id")).to_string()


def test_missing_service_month_uses_calendar_time(sample_data):
    """Dropping six pre-training months must not change the fitted pre-trend much."""
    def drop_months(s):
        gone = s["period"].isin(["2023-03", "2023-04", "2023-05", "2023-06", "2023-07", "2023-08"])
        return s[~gone]
    full, _ = _run_everything(sample_data)
    gap, _ = _run_everything(_variant(sample_data, service=drop_months))
    key = next(iter(full["results"].results["its"]))
    a, b = full["results"].results["its"][key].result, gap["results"].results["its"][key].result
    assert abs(a.pre_slope - b.pre_slope) < 0.02
    assert abs(a.level_change - b.level_change) < 0.3


def test_ikm_paragraph_never_mixes_units(sample_data):
    def two_units(s):
        other = s[s["region_id"] == REGION].assign(unit="Kelurahan Bagus Kuning")
        other = other.assign(u1="1", u2="1", u3="1") if other["u1"].dtype == object else other.assign(u1=1, u2=1, u3=1)
        return pd.concat([s, other])
    sections, _ = _run_everything(_variant(sample_data, skm=two_units))
    ikm_lines = [p for p in sections["results"].paragraphs if p.startswith("IKM ")]
    assert len(ikm_lines) == 2
    for line in ikm_lines:
        unit = line[4:line.index(":")]
        rows = sections["results"].results["ikm"]
        for value in rows.loc[rows["unit"] != unit, "ikm"].dropna():
            assert f"{value:.2f}".replace(".", ",") not in line
