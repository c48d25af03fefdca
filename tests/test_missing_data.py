"""Missing is never zero: a table or column that was not collected, a group too small to show,
a real zero and a value that was not estimated stay distinct in every sentence, table,
headline and metrics.json record, in both languages.

Each case builds a variant of the processed sample in memory (tables dropped, columns dropped
and listed under ``columns_not_collected`` in the manifest, post-test scores blanked) and runs
the report model and its presentation.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from helpers.analysis import build_region_report, load_settings
from helpers.analysis.cross_region import cross_region
from helpers.analysis.region import RegionData
from helpers.ingest.contract import load_contract
from helpers.present import figures, headlines, summary
from helpers.present import notebook as show
from helpers.present import region as view
from helpers.present.tables import for_display
from helpers.present.text import Text
from helpers.present.wording import say_all
from helpers.render.export import metrics_payload, write_region_artefacts

LANGS = ("id", "en")
REGION = "salatiga"


def _variant(sample, drop_tables=(), drop_columns=None, tables=None, manifest=None):
    """The sample without some tables, without some columns (listed as not collected), or with
    some tables replaced."""
    out = {k: v for k, v in sample.tables.items() if k not in drop_tables}
    out.update(tables or {})
    meta = json.loads(json.dumps(sample.manifest))
    meta.update(manifest or {})
    meta["columns_not_collected"] = {}
    for table, cols in (drop_columns or {}).items():
        out[table] = out[table].drop(columns=list(cols))
        meta["columns_not_collected"][table] = list(cols)
    return type(sample)(sample.name, meta, out, sample.quarantine)


def _optional_columns(sample) -> dict[str, list[str]]:
    """Every column the contract does not require, as present in the sample."""
    out = {}
    for name, spec in load_contract().tables.items():
        cols = [c for c, col in spec.columns.items() if not col.required and not col.personal]
        cols = [c for c in cols if c in sample.tables[name].columns]
        if cols:
            out[name] = cols
    return out


def _everything(report, lang):
    """Every text the region notebook shows, and the metrics payload."""
    t = Text(lang)
    show._text = t  # the notebook sets the number format through show.style(lang)
    texts = [v for _, _, v in headlines.summary_rows(report.indicators, t)]
    texts += headlines.summary_rows(report.indicators, t).notes
    texts += view.recommendations(report, t)
    tables = {}
    for key, sec in report.sections.items():
        texts += say_all(sec.findings, t)
        for name, table in sec.tables.items():
            tables[f"{key}.{name}"] = show.table_html(for_display(table, t))
    for frame in (
        figures.learning_frame(report.sections["learning"].results, t),
        figures.participation_frame(report.sections["participation"].results, t),
        figures.behaviour_frame(report.sections["behaviour"].results, t),
    ):
        for flag in ("suppressed", "not_collected"):  # never drawn, least of all as zero
            assert not frame.get(flag, pd.Series(dtype=bool)).astype(bool).any()
    return " ".join(texts), tables, metrics_payload(report, lang)


def _by_id(payload) -> dict:
    return {i["id"]: i for i in payload["indicators"]}


def _cells(html_table: str, first: str) -> list[str]:
    """The cells of the row whose first cell is ``first``."""
    for row in re.findall(r"<tr>(.*?)</tr>", html_table):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        if cells and cells[0] == first:
            return cells
    raise KeyError(first)


# ------------------------------------------------------------------ RegionData


def test_has_knows_tables_and_columns_not_collected(sample_data):
    ds = _variant(sample_data, drop_tables=("followup",), drop_columns={"programs": ["incentive"]})
    data = RegionData(ds, REGION)
    assert data.has("programs") and data.has("programs", "jp")
    assert not data.has("programs", "incentive") and "incentive" not in data.programs.columns
    assert not data.has("followup") and not data.has("followup", "months_after")
    assert data.not_collected() == {"tables": ["followup"], "columns": {"programs": ["incentive"]}}


def test_a_column_listed_as_not_collected_is_dropped_even_if_present(sample_data):
    meta = {"columns_not_collected": {"enrollments": ["schedule_conflict"]}}
    ds = type(sample_data)(sample_data.name, {**sample_data.manifest, **meta}, sample_data.tables, {})
    data = RegionData(ds, REGION)
    assert not data.has("enrollments", "schedule_conflict")
    assert "schedule_conflict" not in data.enrollments.columns


def test_an_old_manifest_without_the_key_means_nothing_missing(sample_data):
    meta = {k: v for k, v in sample_data.manifest.items() if k != "columns_not_collected"}
    data = RegionData(type(sample_data)(sample_data.name, meta, sample_data.tables, {}), REGION)
    assert data.has("programs", "incentive") and data.not_collected() == {"tables": [], "columns": {}}


# ------------------------------------------------------------------ sections never show 0 for missing data


@pytest.mark.parametrize("region", ["salatiga", "plaju", "dki-jakarta", "sawahlunto"])
def test_every_optional_column_missing_builds_and_says_so(sample_data, region):
    ds = _variant(sample_data, drop_columns=_optional_columns(sample_data))
    report = build_region_report(ds, region)
    for lang in LANGS:
        text, _tables, payload = _everything(report, lang)
        t = Text(lang)
        assert t("analyses.jp_attainment") in text
        assert t("analyses.attendance") in text
        for ind in payload["indicators"]:
            assert (ind["estimate"] is None) == (ind["status"] != "ok"), ind["id"]
        ids = _by_id(payload)
        for ind_id in (
            "participation.jp_share",
            "participation.odds_ratio.schedule_conflict",
            "participation.odds_ratio.incentive",
            "participation.odds_ratio.workload",
            "behaviour.application_gap",
            "behaviour.supervisor_support",
        ):
            assert ids[ind_id]["status"] == "not_collected" and ids[ind_id]["estimate"] is None, ind_id


def test_profile_without_enrolments_never_says_zero_enrolled(sample_data):
    """The issue's example: enrollments and followup left out of dataset.yml."""
    ds = _variant(sample_data, drop_tables=("enrollments", "followup"))
    report = build_region_report(ds, REGION)
    table = report.sections["profile"].tables["programmes"]
    assert not {"enrolled", "completed"} & set(table.columns)
    for lang in LANGS:
        t = Text(lang)
        text, tables, payload = _everything(report, lang)
        assert t.column("enrolled") not in tables["profile.programmes"]
        assert t("analyses.programme_enrolment") in text
        assert t.table("enrollments") in text
        people = report.data.participants["participant_key"].nunique()
        assert "0 orang terdaftar" not in text and "0 enrolled" not in text
        assert f"{t.integer(people)} ASN" in text or f"{t.integer(people)} civil servants" in text
        ind = _by_id(payload)["profile.enrollments"]
        assert ind["status"] == "not_collected" and ind["estimate"] is None
        assert _by_id(payload)["participation.completion_rate"]["status"] == "not_collected"


def test_enrolments_collected_but_none_in_a_programme_is_a_real_zero(sample_data):
    progs = sample_data.tables["programs"]
    first = sorted(progs.loc[progs["region_id"] == REGION, "program_id"])[0]
    enr = sample_data.tables["enrollments"]
    ds = _variant(sample_data, tables={"enrollments": enr[enr["program_id"] != first]})
    table = build_region_report(ds, REGION).sections["profile"].tables["programmes"]
    row = table[table["title"] == progs.set_index("program_id").loc[first, "title"]].iloc[0]
    assert row["enrolled"] == 0 and row["completed"] == 0 and not row["suppressed"]


def test_jp_attainment_without_jp_is_not_collected_never_zero_percent(sample_data):
    ds = _variant(sample_data, drop_columns={"programs": ["jp"]})
    report = build_region_report(ds, REGION)
    sec = report.sections["participation"]
    assert "jp" not in sec.results and "jp" not in sec.tables and sec.missing["jp"] == "not_collected"
    for lang in LANGS:
        text, _tables, payload = _everything(report, lang)
        ind = _by_id(payload)["participation.jp_share"]
        assert ind["status"] == "not_collected" and ind["estimate"] is None
        assert Text(lang)("analyses.jp_attainment") in text
        row = dict((i, v) for i, _, v in headlines.summary_rows(report.indicators, Text(lang)))
        assert row["participation.jp_share"] == Text(lang)("metrics.status.not_collected")


def test_jp_of_a_completed_programme_left_blank_is_refused_not_counted_as_zero(sample_data):
    progs = sample_data.tables["programs"].copy()
    first = sorted(progs.loc[progs["region_id"] == REGION, "program_id"])[0]
    progs.loc[progs["program_id"] == first, "jp"] = pd.NA
    report = build_region_report(_variant(sample_data, tables={"programs": progs}), REGION)
    ind = report.indicator("participation.jp_share")
    assert ind.status == "refused" and ind.estimate is None and ind.notes == ("jp_incomplete",)


def test_barriers_not_collected_keep_a_flagged_row_and_a_sentence(sample_data):
    ds = _variant(sample_data, drop_columns={"programs": ["incentive"], "enrollments": ["schedule_conflict"]})
    report = build_region_report(ds, "sawahlunto")
    by_factor = report.sections["participation"].tables["by_factor"]
    assert set(by_factor.loc[by_factor["not_collected"], "factor"]) == {"incentive", "schedule_conflict"}
    assert by_factor.loc[by_factor["not_collected"], ["n", "completion"]].isna().all().all()
    for lang in LANGS:
        t = Text(lang)
        text, tables, payload = _everything(report, lang)
        cells = _cells(tables["participation.by_factor"], t.column("incentive"))
        assert set(cells[1:]) == {t("metrics.status.not_collected")}
        assert t("analyses.incentive") in text and t("analyses.schedule_conflict") in text
        ids = _by_id(payload)
        assert ids["participation.odds_ratio.incentive"]["status"] == "not_collected"
        assert ids["participation.odds_ratio.schedule_conflict"]["status"] == "not_collected"
        assert ids["participation.odds_ratio.workload"]["status"] == "ok"  # still modelled


def test_attendance_without_session_counts_is_not_collected(sample_data):
    ds = _variant(sample_data, drop_columns={"enrollments": ["sessions_attended", "sessions_total"]})
    report = build_region_report(ds, REGION)
    keys = [f.key for f in report.sections["participation"].findings]
    assert "participation.lead_completion" in keys and "participation.lead" not in keys
    for lang in LANGS:
        assert Text(lang)("analyses.attendance") in _everything(report, lang)[0]


def test_behaviour_support_columns_not_collected(sample_data):
    ds = _variant(sample_data, drop_columns={"followup": ["colleague_support", "application_supervisor"]})
    report = build_region_report(ds, REGION)
    sec = report.sections["behaviour"]
    assert sec.missing == {"gap": "not_collected", "colleague_support": "not_collected"}
    assert set(sec.results["support"].to_frame()["term"]) == {"Intercept", "supervisor_support"}
    means = sec.tables["means"].set_index("item")
    assert means.loc["colleague_support", "not_collected"] and pd.isna(means.loc["colleague_support", "n"])
    assert not means.loc["application_self", "not_collected"]
    assert report.indicator("behaviour.application_gap").status == "not_collected"
    assert report.indicator("behaviour.supervisor_support").status == "ok"
    for lang in LANGS:
        text = _everything(report, lang)[0]
        assert Text(lang)("analyses.application_gap") in text and Text(lang)("analyses.colleague_support") in text


def test_per_method_tables_without_method_say_so(sample_data):
    ds = _variant(sample_data, drop_columns={"programs": ["method", "delivery"]})
    report = build_region_report(ds, "dki-jakarta")
    for key in ("reaction", "learning"):
        assert "by_method" not in report.sections[key].tables
        assert report.sections[key].missing["by_method"] == "not_collected"
    assert "model" not in report.sections["learning"].results
    for lang in LANGS:
        text, tables, _ = _everything(report, lang)
        assert text.count(Text(lang)("analyses.by_method")) == 2
        assert Text(lang).column("method") not in tables["profile.programmes"]


def test_a_section_whose_table_is_missing_says_so_in_one_sentence(sample_data):
    ds = _variant(sample_data, drop_tables=("reaction", "tests", "followup", "enrollments", "qualitative"))
    report = build_region_report(ds, REGION)
    for key in ("reaction", "learning", "behaviour", "participation", "qualitative"):
        sec = report.sections[key]
        assert sec.status == "not_collected"
        for lang in LANGS:
            assert say_all(sec.findings, Text(lang)) == [Text(lang)("common.not_collected")], key


def test_results_without_service_or_training_month_say_what_is_missing(sample_data):
    for ds, expected in (
        (_variant(sample_data, drop_tables=("service",)), "service"),
        (_variant(sample_data, drop_columns={"service": ["trained_from"]}), "trained_from"),
    ):
        report = build_region_report(ds, REGION)
        payload = metrics_payload(report, "id")
        ids = _by_id(payload)
        assert not [i for i in ids if i.startswith("results.its.level_change.")]
        for family in ("results.its.level_change", "results.its.slope_change", "results.did"):
            assert ids[family]["status"] == "not_collected" and ids[family]["estimate"] is None
        assert ids["results.ikm_change.dpmptsp"]["status"] == "ok"  # SKM still there
        t = Text("id")
        what = t.table("service") if expected == "service" else t.field("service", "trained_from")
        assert f"data {what} tidak dikumpulkan" in " ".join(say_all(report.sections["results"].findings, t))


# ------------------------------------------------------------------ attrition


def _blank_post(sample, region, whole: int, partly: int):
    """Blank every post-test of ``whole`` people and one post-test of ``partly`` people with
    two or more tests; return the variant and the dropped people, counted by hand."""
    tests = sample.tables["tests"].copy()
    progs = sample.tables["programs"]
    in_region = tests["program_id"].isin(progs.loc[progs["region_id"] == region, "program_id"])
    counts = tests[in_region].groupby("participant_key").size()
    several = sorted(counts[counts >= 2].index)[:partly]
    rest = sorted(set(counts.index) - set(several))[:whole]
    tests.loc[in_region & tests["participant_key"].isin(rest), "post_score"] = pd.NA
    for key in several:
        first = tests.index[in_region & (tests["participant_key"] == key)][0]
        tests.loc[first, "post_score"] = pd.NA
    return _variant(sample, tables={"tests": tests}), set(rest) | set(several), tests[in_region]


def test_attrition_rate_matches_a_hand_count_and_dropouts_leave_the_paired_analysis(sample_data):
    ds, dropped, region_tests = _blank_post(sample_data, REGION, whole=9, partly=4)
    pretested = set(region_tests.loc[region_tests["pre_score"].notna(), "participant_key"])
    report = build_region_report(ds, REGION)
    ind = report.indicator("learning.attrition_rate")
    assert ind.status == "ok" and ind.n == len(pretested)
    assert ind.estimate == pytest.approx(len(dropped) / len(pretested))
    assert ind.ci_low < ind.estimate < ind.ci_high
    paired = region_tests.dropna(subset=["pre_score", "post_score"])
    sec = report.sections["learning"]
    assert sec.results["overall"].n == len(paired)
    assert sec.results["overall_clustered"].n == len(paired)
    assert int(sec.results["by_method"]["n"].sum()) == len(paired)
    for lang in LANGS:
        t = Text(lang)
        text = " ".join(say_all(sec.findings, t))
        assert (
            t(
                "learning.attrition",
                dropped=len(dropped),
                n=t.integer(len(pretested)),
                rate=t.pct(ind.estimate),
                ci=t.ci(100 * ind.ci_low, 100 * ind.ci_high, 1),
            )
            in text
        )
        rows = dict((i, v) for i, _, v in headlines.summary_rows(report.indicators, t))
        assert rows["learning.attrition_rate"].startswith(t.pct(ind.estimate))


def test_a_handful_of_dropouts_is_suppressed_not_counted(sample_data):
    ds, dropped, _ = _blank_post(sample_data, REGION, whole=2, partly=0)
    report = build_region_report(ds, REGION)
    ind = report.indicator("learning.attrition_rate")
    assert len(dropped) == 2 and ind.status == "too_few" and ind.estimate is None and ind.n is None
    for lang in LANGS:
        t = Text(lang)
        text = " ".join(say_all(report.sections["learning"].findings, t))
        assert t("learning.attrition_too_few", min_cell=report.settings.min_cell) in text
        rows = dict((i, v) for i, _, v in headlines.summary_rows(report.indicators, t))
        assert rows["learning.attrition_rate"] == "■"


def test_no_dropout_is_a_real_zero(sample_data):
    tests = sample_data.tables["tests"].dropna(subset=["post_score"])
    report = build_region_report(_variant(sample_data, tables={"tests": tests}), REGION)
    ind = report.indicator("learning.attrition_rate")
    assert ind.status == "ok" and ind.estimate == 0.0
    assert "learning.attrition_none" in [f.key for f in report.sections["learning"].findings]


def test_no_post_test_column_means_no_gain_and_no_attrition(sample_data):
    report = build_region_report(_variant(sample_data, drop_columns={"tests": ["post_score"]}), REGION)
    for ind_id in ("learning.mean_gain", "learning.d_z", "learning.attrition_rate"):
        ind = report.indicator(ind_id)
        assert ind.status == "not_collected" and ind.estimate is None, ind_id


# ------------------------------------------------------------------ tables, summary, recommendations


def test_four_kinds_of_cell_render_differently_with_a_legend():
    t = Text("id")
    show._text = t
    frame = pd.DataFrame(
        {
            "item": ["a", "b", "c", "d"],
            "n": pd.array([0, 3, None, 40], dtype="Int64"),
            "mean": [1.5, 2.0, None, None],
            "suppressed": [False, True, False, False],
            "not_collected": [False, False, True, False],
        }
    )
    html = show.table_html(for_display(frame, t))
    zero, small, absent, unestimated = (_cells(html, k)[1:] for k in "abcd")
    assert zero[0] == "0" and small == ["■", "■"]
    assert absent == [t("metrics.status.not_collected")] * 2 and unestimated[1] == "–"
    for part in ("suppressed", "not_estimated", "not_collected", "zero"):
        assert t(f"legend.{part}") in html
    plain = show.table_html(for_display(frame.iloc[[3]], t))
    assert t("legend.intro") not in plain  # one kind of marker: no legend needed


def test_executive_summary_lists_what_was_not_collected_in_reader_words(sample_data):
    ds = _variant(sample_data, drop_tables=("enrollments",), drop_columns={"programs": ["incentive"]})
    report = build_region_report(ds, REGION)
    for lang in LANGS:
        t = Text(lang)
        (note,) = headlines.summary_rows(report.indicators, t).notes
        assert note == view.summary_note(report, t)
        assert t.table("enrollments") in note and t.field("programs", "incentive") in note
        assert not re.search(
            r"\b(enrollments|incentive|programs)\b", note.replace(t.field("programs", "incentive"), "")
        )
    assert headlines.summary_rows(build_region_report(sample_data, REGION).indicators, Text("id")).notes == []


def test_every_table_and_column_has_reader_words_in_both_languages():
    for lang in LANGS:
        t = Text(lang)
        for name, spec in load_contract().tables.items():
            assert t.table(name) != name, name
            for col, col_spec in spec.columns.items():
                if not col_spec.personal:
                    assert t._cat["fields"][name][col][lang], (name, col)


def test_a_rule_without_evidence_says_so_and_no_problem_is_never_claimed(sample_data):
    ds = _variant(sample_data, drop_tables=("enrollments", "followup"))
    report = build_region_report(ds, REGION)
    gaps = [f for f in report.recommendations.gaps if f.key == "recommendations.no_evidence"]
    questions = {f.values["question"].key for f in gaps}
    assert {"schedule_conflict", "incentive", "jp_target", "supervisor_support", "self_supervisor_gap"} <= questions
    for lang in LANGS:
        t = Text(lang)
        recs = view.recommendations(report, t)
        assert t("recommendations.none") not in recs
        assert (
            t("recommendations.no_evidence", question=t("questions.jp_target"), why=t("evidence.not_collected")) in recs
        )


def _only_rule(name: str, **thresholds):
    rules = load_settings().values["recommendations"]
    return load_settings(
        {"recommendations": {r: ({"enabled": True, **thresholds} if r == name else {"enabled": False}) for r in rules}}
    )


def test_no_problem_is_said_only_when_every_rule_had_evidence(sample_data):
    settings = _only_rule("ikm_low", categories=["D"])  # evidence (an IKM) that does not fire
    with_evidence = build_region_report(sample_data, REGION, settings)
    assert view.recommendations(with_evidence, Text("id")) == [Text("id")("recommendations.none")]
    without = build_region_report(_variant(sample_data, drop_tables=("skm",)), REGION, settings)
    recs = view.recommendations(without, Text("id"))
    assert Text("id")("recommendations.none") not in recs
    assert recs == [
        Text("id")(
            "recommendations.no_evidence",
            question=Text("id")("questions.ikm_low"),
            why=Text("id")("evidence.not_collected"),
        )
    ]


def _render_all(ds, folder):
    for r in ds.regions:
        write_region_artefacts(build_region_report(ds, r["id"]), folder, "id")
    return cross_region(folder, [r["id"] for r in ds.regions])


def test_summary_with_no_region_to_pool_and_numbers_no_region_collected(sample_data, tmp_path):
    ds = _variant(sample_data, drop_tables=("tests", "enrollments"))
    cross = _render_all(ds, tmp_path)
    assert cross.pooled is None and cross.poolable == ()
    for lang in LANGS:
        t = Text(lang)
        table = summary.region_table(cross, t)
        assert len(table) == 4
        assert set(table[t("metrics.participation.completion_rate")]) == {t("metrics.status.not_collected")}
        assert t("metrics.participation.completion_rate") in table.attrs["caption"]
        paragraphs = summary.pooled_paragraphs(cross, t)
        assert t("cross_missing.none_pooled") in paragraphs
        assert t("cross_missing.not_collected_anywhere", indicators=t("metrics.learning.mean_gain")) in paragraphs
        assert summary.pooled_table(cross, t) is None
        assert "0,0%" not in table.to_string() and "0.0%" not in table.to_string()


def test_summary_with_one_region_to_pool(sample_data, tmp_path):
    progs = sample_data.tables["programs"]
    keep = progs.loc[progs["region_id"] == REGION, "program_id"]
    tests = sample_data.tables["tests"]
    ds = _variant(sample_data, tables={"tests": tests[tests["program_id"].isin(keep)]})
    cross = _render_all(ds, tmp_path)
    assert cross.poolable == (REGION,) and cross.pooled is None
    t = Text("en")
    assert t("cross_missing.none_pooled") in summary.pooled_paragraphs(cross, t)
    assert summary.region_table(cross, t).attrs.get("caption") is None  # the gain was collected, just not pooled


def test_summary_with_no_rendered_region(sample_data, tmp_path):
    cross = cross_region(tmp_path, [r["id"] for r in sample_data.regions])
    t = Text("id")
    assert summary.region_table(cross, t) is None
    assert cross.not_collected_everywhere(["learning.mean_gain"]) == []
    assert t("cross_missing.none_pooled") in summary.pooled_paragraphs(cross, t)
