"""A report must render for thin or partial real data, not only for the full sample.

Each case builds a variant of the processed sample in memory and runs every step the notebook
runs: the report model, headline rows, every section in words and tables, recommendations
and figure frames.
"""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.analysis import build_region_report
from helpers.present import figures, headlines
from helpers.present import region as view
from helpers.present.tables import for_display, localize
from helpers.present.text import Text
from helpers.present.wording import say_all

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
    report = build_region_report(ds, REGION)
    t = Text("id")
    headlines.summary_rows(report.indicators, t)
    view.recommendations(report, t)
    for sec in report.sections.values():
        say_all(sec.findings, t)
        for table in sec.tables.values():
            for_display(table, t)
            localize(table, t)
    for frame in (
        figures.learning_frame(report.sections["learning"].results, t),
        figures.participation_frame(report.sections["participation"].results, t),
        figures.behaviour_frame(report.sections["behaviour"].results, t),
    ):
        assert not frame.get("suppressed", pd.Series(dtype=bool)).any()
    if "likert_frame" in report.sections["reaction"].results:
        figures.likert_diverging(report.sections["reaction"].results["likert_frame"], t)
    return report.sections, {i.id: i for i in report.indicators}


CASES = {
    "no_tests_table": lambda s: _variant(s, tests=None),
    "no_followup_table": lambda s: _variant(s, followup=None),
    "no_service_table": lambda s: _variant(s, service=None),
    "no_skm_table": lambda s: _variant(s, skm=None),
    "no_qualitative_table": lambda s: _variant(s, qualitative=None),
    "everyone_completed": lambda s: _variant(s, enrollments=lambda e: e.assign(status="completed")),
    "one_programme": lambda s: _variant(
        s, programs=lambda p: p[(p["region_id"] != REGION) | (p["program_id"] == sorted(_programs(s))[0])]
    ),
    "three_reaction_responses": lambda s: _variant(
        s,
        reaction=lambda r: pd.concat(
            [r[~r["program_id"].isin(_programs(s))], r[r["program_id"].isin(_programs(s))].head(3)]
        ),
    ),
    "no_workload_or_absence_columns": lambda s: _variant(
        s, enrollments=lambda e: e.drop(columns=["workload", "absence_reason"])
    ),
    "no_optional_programme_columns": lambda s: _variant(
        s, programs=lambda p: p.drop(columns=["method", "delivery", "partner", "jp", "incentive"])
    ),
    "some_post_tests_missing": lambda s: _variant(
        s, tests=lambda t: t.assign(post_score=t["post_score"].mask(t.index % 7 == 0))
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_report_builds_for_partial_data(sample_data, case):
    sections, _metrics = _run_everything(CASES[case](sample_data))
    assert set(sections) >= {"reaction", "learning", "behaviour", "results", "participation"}


def test_too_few_people_suppresses_the_headline_number(sample_data):
    ds = CASES["three_reaction_responses"](sample_data)
    _sections, metrics = _run_everything(ds)
    assert metrics["reaction.overall_mean"].estimate is None
    assert metrics["reaction.overall_mean"].status == "too_few"
    rows = dict((i, v) for i, _, v in headlines.summary_rows(list(metrics.values()), Text("id")))
    assert rows["reaction.overall_mean"] == "■"


def test_a_table_not_collected_is_said_so_never_zero(sample_data):
    sections, metrics = _run_everything(CASES["no_tests_table"](sample_data))
    assert sections["learning"].status == "not_collected"
    assert metrics["learning.mean_gain"].status == "not_collected"
    assert metrics["learning.mean_gain"].estimate is None
    assert say_all(sections["learning"].findings, Text("id")) == [Text("id")("common.not_collected")]


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
    ikm_lines = [p for p in say_all(sections["results"].findings, Text("id")) if p.startswith("IKM ")]
    assert len(ikm_lines) == 2
    for line in ikm_lines:
        unit = line[4 : line.index(":")]
        rows = sections["results"].results["ikm"]
        for value in rows.loc[rows["unit"] != unit, "ikm"].dropna():
            assert f"{value:.2f}".replace(".", ",") not in line
