"""The rules real data needs, one at a time: value parsers and row, table and cross-table checks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.ingest import run_checks
from helpers.ingest.contract import load_contract
from helpers.ingest.parsers import ColumnParser, RuleError, parse_datetime, parse_month, parse_number
from tests.fixtures.exports import make_dataset

SITI, BUDI, ANDI = "198503142010012003", "199001012015031001", "197712252003121002"
REACTION_HEAD = "nip,program_id,submitted_at,relevance,instructor,method,facilities,schedule,overall\n"


def _parser(**kwargs):
    class _Spec:
        region_ids = ("salatiga", "plaju")

    return ColumnParser(load_contract(), _Spec(), kwargs.pop("likert_sets", {}), **kwargs)


def _col(table, name):
    return load_contract().tables[table].columns[name]


def _rules(result, table):
    return {p.row: p.rule for p in result.tables[table].problems}


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "text, expected",
    [
        ("80", 80.0),
        ("67,5", 67.5),
        ("67.5", 67.5),
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1.234.000", 1234000.0),
        ("1,234,000", 1234000.0),
        ("1 234 000", 1234000.0),
        ("1\u00a0234,5", 1234.5),
        ("-3", -3.0),
        ("+4,25", 4.25),
        ("0,5", 0.5),
        (",5", 0.5),
    ],
)
def test_numbers_written_the_indonesian_or_english_way_parse(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    "text, decimal, expected",
    [
        ("1.500", "comma", 1500.0),
        ("1.500", "point", 1.5),
        ("1,5", "comma", 1.5),
        ("1,500", "point", 1500.0),
        ("1.234.567,89", "comma", 1234567.89),
    ],
)
def test_declared_decimal_mark_settles_ambiguous_numbers(text, decimal, expected):
    assert parse_number(text, decimal) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Rp 1.500.000", 1_500_000.0),
        ("Rp1.500.000,-", 1_500_000.0),
        ("Rp. 12.500.000,00", 12_500_000.0),
        ("1.500", 1500.0),
        ("IDR 750.000", 750_000.0),
        ("2.500,50", 2500.5),
    ],
)
def test_rupiah_amounts_parse(text, expected):
    assert parse_number(text, rupiah=True) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tujuh puluh",
        "12a",
        "1.2.3,4,5",
        "1,23,4",
        "--5",
        "5-",
        "1e5",
        "Rp 100",
        "85%",
        "12.34.5",
        ".",
        "",
        "١٢",
        "1_000",
        "12 34",
    ],
)
def test_numbers_that_do_not_parse_are_rejected(text):
    with pytest.raises(ValueError):
        parse_number(text)


def test_huge_number_is_out_of_range_not_a_crash():
    with pytest.raises(RuleError) as err:
        parse_number("9" * 400)
    assert err.value.rule == "range"


def test_google_forms_quiz_score_is_read_as_percent():
    assert _parser().parse(_col("tests", "post_score"), "17 / 20") == 85.0
    with pytest.raises(ValueError):
        _parser().parse(_col("tests", "post_score"), "17 / 0")


def test_whole_number_column_rejects_fractions():
    with pytest.raises(ValueError, match="whole number"):
        _parser().parse(_col("enrollments", "sessions_attended"), "2,5")


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024/03/05 10:22:13 AM GMT+7", dt.datetime(2024, 3, 5, 10, 22, 13)),
        ("2024/03/05 10:22:13 PM GMT+7", dt.datetime(2024, 3, 5, 22, 22, 13)),
        ("2024/03/05 12:05:00 AM GMT+07:00", dt.datetime(2024, 3, 5, 0, 5, 0)),
        ("2024-03-05T10:22:13.123+07:00", dt.datetime(2024, 3, 5, 10, 22, 13)),
        ("2024-03-05T03:22:13Z", dt.datetime(2024, 3, 5, 3, 22, 13)),
        ("2024-03-05 10:22", dt.datetime(2024, 3, 5, 10, 22)),
        ("05/03/2024 10:22:13", dt.datetime(2024, 3, 5, 10, 22, 13)),
        ("05/03/2024", dt.datetime(2024, 3, 5)),
        ("5-3-2024", dt.datetime(2024, 3, 5)),
        ("5 Maret 2024", dt.datetime(2024, 3, 5)),
        ("17 Agustus 2024", dt.datetime(2024, 8, 17)),
        ("5-Mar-2024", dt.datetime(2024, 3, 5)),
    ],
)
def test_google_forms_gmt_suffix_and_other_export_dates_parse(text, expected):
    assert parse_datetime(text) == expected


def test_us_locale_dates_parse_month_first_when_declared():
    assert parse_datetime("3/5/2024 10:22:13", "mdy") == dt.datetime(2024, 3, 5, 10, 22, 13)
    assert parse_datetime("3/5/2024") == dt.datetime(2024, 5, 3)  # day first by default (id_ID)


@pytest.mark.parametrize("text", ["31/02/2024", "2024-13-01", "kemarin", "2024", "05/03/24x"])
def test_impossible_or_unreadable_dates_are_rejected(text):
    with pytest.raises(ValueError):
        parse_datetime(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-03", "2024-03"),
        ("2024/3", "2024-03"),
        ("03/2024", "2024-03"),
        ("Maret 2024", "2024-03"),
        ("2024-03-15", "2024-03"),
    ],
)
def test_months_parse(text, expected):
    assert parse_month(text) == expected


# ---------------------------------------------------------------- labels


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sangat Tidak Setuju", 1),
        ("tidak setuju", 2),
        ("Netral", 3),
        ("Ragu-ragu", 3),
        ("SETUJU", 4),
        ("Sangat  Setuju ", 5),
        ("Strongly agree", 5),
        ("sangat_setuju", 5),
        ("SS", 5),
        ("sts", 1),
        ("4", 4),
        ("5 - Sangat Setuju", 5),
        ("1. Sangat Tidak Setuju", 1),
    ],
)
def test_agreement_labels_map_to_scores(text, expected):
    assert _parser().parse(_col("reaction", "relevance"), text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Sangat Tidak Puas", 1),
        ("Tidak Puas", 2),
        ("Cukup Puas", 3),
        ("Puas", 4),
        ("Sangat Puas", 5),
        ("very satisfied", 5),
    ],
)
def test_satisfaction_labels_map_to_scores(text, expected):
    parser = _parser(likert_sets={"overall": "satisfaction"})
    assert parser.parse(_col("reaction", "overall"), text) == expected


@pytest.mark.parametrize("text", ["Sangat Bagus", "Puas", "Kurang Setuju", "5 - Tidak Setuju", "setuju sekali"])
def test_likert_labels_outside_the_declared_set_are_rejected(text):
    with pytest.raises(RuleError) as err:
        _parser().parse(_col("reaction", "relevance"), text)
    assert err.value.rule == "likert" and "sangat setuju=5" in str(err.value)


@pytest.mark.parametrize("text", ["0", "6", "7", "-1", "4,5"])
def test_likert_numbers_outside_1_to_5_are_out_of_range(text):
    with pytest.raises(RuleError) as err:
        _parser().parse(_col("reaction", "relevance"), text)
    assert err.value.rule == "range"


@pytest.mark.parametrize("text", ["0", "5", "2,5"])
def test_skm_answers_outside_1_to_4_are_out_of_range(text):
    with pytest.raises(RuleError, match="1-4"):
        _parser().parse(_col("skm", "u1"), text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Project-based", "project_based"),
        ("PROJECT BASED", "project_based"),
        ("e-learning", "e_learning"),
        ("No show", "no_show"),
    ],
)
def test_enum_values_fold_case_spaces_and_hyphens(text, expected):
    table, column = ("enrollments", "status") if "show" in text.lower() else ("programs", "method")
    assert _parser().parse(_col(table, column), text) == expected


def test_unknown_region_id_is_a_row_problem():
    with pytest.raises(RuleError) as err:
        _parser().parse(_col("programs", "region_id"), "jakarta")
    assert err.value.rule == "region" and "salatiga" in str(err.value)


# ---------------------------------------------------------------- rows and tables


def test_post_test_without_pre_test_is_quarantined_with_that_reason(tmp_path):
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "tests": (
                    "nip,program_id,test_date,pre_score,post_score\n"
                    f"{SITI},SAL-2024-01,2024-03-08,,80\n"
                    f"{BUDI},SAL-2024-01,2024-03-08,60,\n"
                    f"{ANDI},SAL-2024-01,2024-03-08,,\n"
                )
            },
        )
    )
    problems = {(p.row, p.column): p for p in result.tables["tests"].problems}
    assert problems[(2, "pre_score")].rule == "post-without-pre"
    assert problems[(2, "pre_score")].message.startswith("post-test without pre-test")
    assert (3, "post_score") not in problems  # a pre-test alone is a dropout: attrition, kept
    assert problems[(4, "pre_score")].rule == "required" and (4, "post_score") not in problems
    assert result.counts["tests"] == {"read": 3, "accepted": 1, "quarantined": 2}


def test_duplicate_submission_keeps_latest_even_when_listed_first(tmp_path):
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "reaction": REACTION_HEAD
                + (
                    f"{SITI},SAL-2024-01,2024-03-08 16:00:00,5,5,5,5,5,5\n"
                    f"{SITI},SAL-2024-01,2024-03-08 15:00:00,1,1,1,1,1,1\n"
                    f"{BUDI},SAL-2024-01,2024-03-08 15:00:00,3,3,3,3,3,3\n"
                )
            },
        )
    )
    (p,) = result.tables["reaction"].problems
    assert (p.row, p.rule) == (3, "duplicate") and "row 2 is kept" in p.message
    assert result.tables["reaction"].accepted["relevance"].tolist() == [5, 3]


def test_duplicate_submission_across_two_files_keeps_the_latest(tmp_path):
    first = {"path": "gelombang1.csv", "text": REACTION_HEAD + f"{SITI},SAL-2024-01,2024-03-09 08:00:00,4,4,4,4,4,4\n"}
    second = {"path": "gelombang2.csv", "text": REACTION_HEAD + f"{SITI},SAL-2024-01,2024-03-08 08:00:00,2,2,2,2,2,2\n"}
    result = run_checks(make_dataset(tmp_path / "d", {"reaction": [first, second]}))
    (p,) = result.tables["reaction"].problems
    assert (p.file, p.row, p.rule) == ("gelombang2.csv", 2, "duplicate")
    assert "gelombang1.csv row 2 is kept" in p.message
    assert result.counts["reaction"] == {"read": 2, "accepted": 1, "quarantined": 1}


def test_duplicate_key_without_a_submission_time_keeps_the_first(tmp_path):
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "tests": (
                    "nip,program_id,test_date,pre_score,post_score\n"
                    f"{SITI},SAL-2024-01,2024-03-08,50,60\n"
                    f"{SITI},SAL-2024-01,2024-03-08,55,65\n"
                )
            },
        )
    )
    (p,) = result.tables["tests"].problems
    assert (p.row, p.rule) == (3, "duplicate") and "the first" in p.message


def test_references_to_unknown_participants_and_programmes_are_quarantined(tmp_path):
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "enrollments": (
                    "nip,program_id,status,sessions_attended,sessions_total,schedule_conflict\n"
                    f"{SITI},SAL-2024-01,completed,5,5,tidak\n"
                    f"{SITI},SAL-2099-99,completed,5,5,tidak\n"
                    "199503032020121007,SAL-2024-01,completed,5,5,tidak\n"
                )
            },
        )
    )
    problems = {p.row: p for p in result.tables["enrollments"].problems}
    assert (problems[3].column, problems[3].rule, problems[3].value) == ("program_id", "reference", "SAL-2099-99")
    assert (problems[4].column, problems[4].rule) == ("nip", "reference")
    assert problems[4].value == "(personal data, not shown)"


def test_reference_to_a_quarantined_participant_is_quarantined_too(tmp_path):
    participants = "nip,name,region_id,agency\n" + f"{SITI},Siti,salatiga,DPMPTSP\n{BUDI},Budi,jakarta,DPMPTSP\n"
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "participants": participants,
                "tests": (
                    "nip,program_id,test_date,pre_score,post_score\n"
                    f"{SITI},SAL-2024-01,2024-03-08,50,60\n{BUDI},SAL-2024-01,2024-03-08,50,60\n"
                ),
            },
        )
    )
    assert _rules(result, "participants") == {3: "region"}
    assert _rules(result, "tests") == {3: "reference"}


def test_dates_outside_the_programme_are_quarantined(tmp_path):
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "tests": (
                    "nip,program_id,test_date,pre_score,post_score\n"
                    f"{SITI},SAL-2024-01,2024-01-15,50,60\n"  # 49 days before the start
                    f"{BUDI},SAL-2024-01,2024-02-10,50,60\n"  # 23 days before: a pre-test, fine
                    f"{ANDI},SAL-2024-01,2025-03-09,50,60\n"
                )
            },
        )
    )  # a year and a day after the end
    assert _rules(result, "tests") == {2: "programme-dates", 4: "programme-dates"}


def test_dates_outside_the_dataset_period_are_quarantined(tmp_path):
    programs = (
        "program_id,region_id,title,topic,method,delivery,start_date,end_date,jp,incentive\n"
        "SAL-2024-01,salatiga,A,a,classroom,luring,2024-03-04,2024-03-08,40,ya\n"
        "SAL-2023-09,salatiga,B,b,classroom,luring,2023-09-04,2023-09-08,40,ya\n"
    )
    service = (
        "region_id,unit,indicator,period,value,trained_from\n"
        "salatiga,DPMPTSP,processing_days,2024-01,5,\n"
        "salatiga,DPMPTSP,processing_days,2023-12,5,\n"
        "salatiga,DPMPTSP,processing_days,2026-01,5,2026-01\n"
    )
    result = run_checks(make_dataset(tmp_path / "d", {"programs": programs, "service": service}))
    assert _rules(result, "programs") == {3: "period"}
    assert _rules(result, "service") == {3: "period", 4: "period"}


def test_period_with_only_a_start_checks_only_the_start(tmp_path):
    tests = f"nip,program_id,test_date,pre_score,post_score\n{SITI},SAL-2024-01,2024-03-08,50,60\n"
    folder = make_dataset(tmp_path / "d", {"tests": tests}, period=None, extra_yaml="period:\n  start: '2024-03-09'\n")
    result = run_checks(folder)
    assert _rules(result, "programs") == {2: "period"}  # PLJ-2024-01 starts 2024-03-11: inside
    assert result.counts["tests"]["quarantined"] == 1  # its programme is gone


def test_end_date_before_start_date_is_quarantined(tmp_path):
    programs = (
        "program_id,region_id,title,topic,method,delivery,start_date,end_date,jp,incentive\n"
        "SAL-2024-01,salatiga,A,a,classroom,luring,2024-03-08,2024-03-04,40,ya\n"
    )
    result = run_checks(make_dataset(tmp_path / "d", {"programs": programs}))
    assert _rules(result, "programs") == {2: "date-order"}


def test_every_problem_of_a_row_is_in_its_reason(tmp_path):
    result = run_checks(
        make_dataset(
            tmp_path / "d", {"reaction": REACTION_HEAD + (f"{SITI},SAL-2024-01,kemarin,Sangat Bagus,9,5,5,5,\n")}
        )
    )
    reason = result.tables["reaction"].quarantined["reason"].iloc[0]
    assert "submitted_at: not a date" in reason and "relevance: not a label" in reason
    assert "instructor: out of range" in reason and "overall: 'overall' is blank but required" in reason


def test_nip_not_18_digits_is_quarantined_and_never_shown(tmp_path):
    participants = "nip,name,region_id,agency\n" + "19850314201001200,Siti,salatiga,DPMPTSP\n"
    result = run_checks(make_dataset(tmp_path / "d", {"participants": participants}))
    (p,) = result.tables["participants"].problems
    assert (p.rule, p.value) == ("nip", "(personal data, not shown)")
    assert "19850314201001200" not in str(p)


def test_problem_reads_as_file_row_column_value_message_rule():
    from helpers.ingest.rules import Problem

    p = Problem("tests", "nilai.csv", 7, "post_score", "105", "range", "out of range 0-100")
    assert str(p) == "nilai.csv, row 7, column 'post_score', value '105': out of range 0-100 [rule: range]"


def test_typed_columns_keep_their_dtypes_across_files(tmp_path):
    with_comment = REACTION_HEAD.strip() + ",comment\n" + f"{SITI},SAL-2024-01,2024-03-08 10:00,4,4,4,4,4,4,ok\n"
    result = run_checks(
        make_dataset(
            tmp_path / "d",
            {
                "reaction": [
                    {"path": "a.csv", "text": with_comment},
                    {"path": "b.csv", "text": REACTION_HEAD + f"{BUDI},SAL-2024-01,2024-03-08 11:00,3,3,3,3,3,3\n"},
                ]
            },
        )
    )
    acc = result.tables["reaction"].accepted
    assert str(acc["relevance"].dtype) == "Int64" and str(acc["comment"].dtype) == "string"
    assert acc["comment"].isna().tolist() == [False, True]
    assert pd.api.types.is_datetime64_any_dtype(acc["submitted_at"]) or acc["submitted_at"].notna().all()
