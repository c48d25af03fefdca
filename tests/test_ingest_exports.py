"""Real survey exports load: Google Forms, Google Sheets (id_ID), KoboToolbox, Excel.

Each test reads one hand-made fixture under tests/fixtures/ (see the dataset.yml there for
what it imitates) and checks what a researcher would check by opening the file: the right rows
are accepted with the right values, and each rejected row names the row a spreadsheet shows.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from helpers.ingest import PARTICIPANT_KEY, run_checks
from helpers.ingest.contract import load_contract
from helpers.ingest.dataset_spec import load_dataset_spec
from helpers.ingest.privacy import KEY_ENV, pseudonymise
from helpers.ingest.readers import SOURCE_ROW, read_raw
from tests.fixtures.exports import FIXTURES, TEST_KEY, copy_fixture, with_test_key

KEY = TEST_KEY.encode()


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    monkeypatch.delenv("ASN_EVAL_PSEUDONYM_KEY_FILE", raising=False)


@pytest.fixture(scope="module")
def google_forms():
    return with_test_key(run_checks, FIXTURES / "google_forms")


@pytest.fixture(scope="module")
def sheets_id():
    return with_test_key(run_checks, FIXTURES / "sheets_id")


def _problems(result, table):
    return {(p.file, p.row): p for p in result.tables[table].problems}


def _raw(dataset: str, table: str, index: int = 0):
    spec = load_dataset_spec(FIXTURES / dataset)
    fspec = spec.files[table][index]
    return read_raw(FIXTURES / dataset / fspec.path, fspec, load_contract().tables[table])


def _accepted_row(result, table, nip, program_id):
    acc = result.tables[table].accepted
    hit = acc[(acc[PARTICIPANT_KEY] == pseudonymise(nip, KEY)) & (acc["program_id"] == program_id)]
    assert len(hit) == 1, hit
    return hit.iloc[0]


# ---------------------------------------------------------------- Google Forms


def test_google_forms_gmt_suffix_timestamp_parses(google_forms):
    row = _accepted_row(google_forms, "reaction", "198503142010012003", "SAL-2024-01")
    assert row["submitted_at"] == pd.Timestamp("2024-03-08 15:15:42")  # 3:15:42 PM, offset dropped


def test_google_forms_stempel_waktu_is_the_submission_time(google_forms):
    row = _accepted_row(google_forms, "reaction", "198811302014022004", "PLJ-2024-01")
    assert row["submitted_at"] == pd.Timestamp("2024-03-15 14:45:10")


def test_google_forms_question_headers_match_despite_line_breaks_case_and_spaces():
    raw = _raw("google_forms", "reaction").frame
    # "Materi pelatihan RELEVAN dengan\ntugas ..." and " Narasumber  menguasai materi " in the file
    assert {"relevance", "instructor", "submitted_at", "nip", "comment"} <= set(raw.columns)


def test_google_forms_email_and_name_columns_are_not_read():
    raw = _raw("google_forms", "reaction").frame
    assert not {"Alamat email", "Nama lengkap", "alamat email"} & set(raw.columns)


def test_google_forms_indonesian_likert_labels_map_to_scores(google_forms):
    row = _accepted_row(google_forms, "reaction", "197712252003121002", "SAL-2024-01")
    # "Sangat setuju", "sangat setuju " (trailing space), "Setuju", "Setuju", "Ragu-ragu", "Sangat Puas"
    assert [row[c] for c in ("relevance", "instructor", "method", "facilities", "schedule", "overall")] == [
        5,
        5,
        4,
        4,
        3,
        5,
    ]


def test_google_forms_constant_program_id_fills_every_row(google_forms):
    acc = google_forms.tables["reaction"].accepted
    assert set(acc["program_id"]) == {"SAL-2024-01", "PLJ-2024-01"}


def test_duplicate_submission_keeps_latest(google_forms):
    budi = _accepted_row(google_forms, "reaction", "199001012015031001", "SAL-2024-01")
    assert budi["submitted_at"] == pd.Timestamp("2024-03-08 16:02:51")  # row 5, the second submission
    p = _problems(google_forms, "reaction")[("reaksi_salatiga.csv", 3)]
    assert p.rule == "duplicate"
    assert "row 5 is kept" in p.message and "latest submitted_at" in p.message


def test_duplicate_submission_matches_nip_typed_with_spaces(google_forms):
    # The earlier submission has "19900101 201503 1 001", the later one the plain 18 digits.
    q = google_forms.tables["reaction"].quarantined
    earlier = q[q["_source_row"] == 3].iloc[0]
    assert earlier[PARTICIPANT_KEY] == pseudonymise("199001012015031001", KEY)


def test_google_forms_row_numbers_count_records_not_lines(google_forms):
    # The header spans two lines of the file (a line break in a question), yet in a spreadsheet
    # it is row 1, and the 17-digit NIP of Hendra is row 6.
    p = _problems(google_forms, "reaction")[("reaksi_salatiga.csv", 6)]
    assert p.rule == "nip" and p.column == "nip"


def test_google_forms_rows_are_accounted_for(google_forms):
    assert google_forms.counts["reaction"] == {"read": 9, "accepted": 4, "quarantined": 5}
    rules = {(p.file, p.row): p.rule for p in google_forms.tables["reaction"].problems}
    assert rules == {
        ("reaksi_salatiga.csv", 3): "duplicate",
        ("reaksi_salatiga.csv", 6): "nip",
        ("reaksi_salatiga.csv", 7): "reference",
        ("reaksi_plaju.csv", 3): "likert",
        ("reaksi_plaju.csv", 4): "programme-dates",
    }


def test_unknown_likert_label_is_quarantined_with_the_scale(google_forms):
    p = _problems(google_forms, "reaction")[("reaksi_plaju.csv", 3)]
    assert p.value == "Sangat Bagus"
    assert "sangat setuju=5" in p.message


def test_unknown_participant_is_quarantined(google_forms):
    p = _problems(google_forms, "reaction")[("reaksi_salatiga.csv", 7)]
    assert p.rule == "reference" and "participants" in p.message


def test_submission_after_the_programme_window_is_quarantined(google_forms):
    p = _problems(google_forms, "reaction")[("reaksi_plaju.csv", 4)]
    assert p.rule == "programme-dates" and "PLJ-2024-01" in p.message


def test_google_forms_comment_is_scrubbed_of_phone_email_and_nip(google_forms):
    comments = " ".join(google_forms.tables["reaction"].accepted["comment"].dropna())
    assert "[telepon]" in comments and "[NIP]" in comments
    assert "0812" not in comments and "@" not in comments and "19881130" not in comments
    assert "20 JP" in comments and "Rp 1.500.000" in comments and "(2024)" in comments


def test_quarantined_rows_keep_values_as_read_with_source(google_forms):
    q = google_forms.tables["reaction"].quarantined
    rina = q[(q["_source_file"] == "reaksi_plaju.csv") & (q["_source_row"] == 3)].iloc[0]
    assert rina["relevance"] == "Sangat Bagus"
    assert rina["submitted_at"] == "2024/03/15 2:51:37 PM GMT+7"
    assert rina["comment"] == "email: [email]"
    assert rina["reason"].startswith("relevance: not a label")
    assert "nip" not in q.columns and "name" not in q.columns


# ---------------------------------------------------------------- Google Sheets, id_ID


def test_sheets_id_locale_decimal_comma_and_thousand_dots(sheets_id):
    programs = sheets_id.tables["programs"].accepted.set_index("program_id")
    assert programs.at["PLJ-2024-01", "jp"] == 32.5
    assert programs.at["PLJ-2024-01", "cost_idr"] == 1_234_000
    assert programs.at["SAL-2024-01", "cost_idr"] == 12_500_000  # "Rp 12.500.000"
    assert programs.at["PLJ-2024-02", "cost_idr"] == 1_500  # "1.500" is fifteen hundred rupiah


def test_sheets_id_locale_day_first_dates(sheets_id):
    programs = sheets_id.tables["programs"].accepted.set_index("program_id")
    assert programs.at["SAL-2024-01", "start_date"] == dt.date(2024, 3, 4)  # "04/03/2024"
    assert programs.at["PLJ-2024-02", "end_date"] == dt.date(2024, 9, 2)


def test_sheets_id_enum_labels_fold_case_and_hyphens(sheets_id):
    programs = sheets_id.tables["programs"].accepted.set_index("program_id")
    assert programs.at["SAL-2024-01", "method"] == "project_based"  # "Project-based"
    assert programs.at["SAL-2024-01", "delivery"] == "luring"  # "Luring"


def test_sheets_id_scores_with_decimal_comma(sheets_id):
    row = _accepted_row(sheets_id, "tests", "198503142010012003", "SAL-2024-01")
    assert (row["pre_score"], row["post_score"]) == (67.5, 80.0)
    row = _accepted_row(sheets_id, "tests", "199205172019031005", "PLJ-2024-01")
    assert row["pre_score"] == 60.25


def test_post_test_without_pre_test_is_quarantined_saying_so(sheets_id):
    p = _problems(sheets_id, "tests")[("nilai_tes.csv", 3)]
    assert p.rule == "post-without-pre"
    assert p.message.startswith("post-test without pre-test")
    q = sheets_id.tables["tests"].quarantined
    assert q[q["_source_row"] == 3].iloc[0]["reason"].startswith("pre_score: post-test without pre-test")


def test_number_that_does_not_parse_is_quarantined(sheets_id):
    p = _problems(sheets_id, "tests")[("nilai_tes.csv", 4)]
    assert (p.column, p.value, p.rule) == ("pre_score", "tujuh puluh", "float")


def test_score_above_100_is_quarantined_as_out_of_range(sheets_id):
    p = _problems(sheets_id, "tests")[("nilai_tes.csv", 5)]
    assert (p.column, p.value, p.rule) == ("post_score", "101,5", "range")


def test_date_outside_the_dataset_period_is_quarantined(sheets_id):
    p = _problems(sheets_id, "tests")[("nilai_tes.csv", 6)]
    assert p.rule == "period" and "2024-12-31" in p.message


def test_impossible_calendar_date_is_quarantined(sheets_id):
    p = _problems(sheets_id, "tests")[("nilai_tes.csv", 8)]
    assert (p.value, p.rule) == ("31/02/2024", "date")


def test_unknown_region_id_in_a_row_is_quarantined_not_fatal(sheets_id):
    p = _problems(sheets_id, "programs")[("program.csv", 5)]
    assert (p.column, p.value, p.rule) == ("region_id", "jakarta", "region")
    assert sheets_id.counts["programs"] == {"read": 4, "accepted": 3, "quarantined": 1}


# ---------------------------------------------------------------- KoboToolbox


def test_kobo_semicolon_export_with_group_prefixes_loads():
    result = run_checks(FIXTURES / "kobo")
    assert result.counts["reaction"] == {"read": 5, "accepted": 4, "quarantined": 1}
    row = _accepted_row(result, "reaction", "199001012015031001", "SAL-2024-01")
    assert row["comment"] == "bagus; tapi jadwal padat"  # a ';' inside a quoted value
    assert [row[c] for c in ("relevance", "method", "schedule")] == [5, 4, 3]  # "ss", "s", "n"


def test_kobo_xml_choice_names_map_to_scores():
    row = _accepted_row(run_checks(FIXTURES / "kobo"), "reaction", "198503142010012003", "SAL-2024-01")
    assert [row[c] for c in ("relevance", "instructor", "facilities", "schedule")] == [4, 5, 3, 2]


def test_kobo_end_time_with_offset_is_the_submission_time():
    row = _accepted_row(run_checks(FIXTURES / "kobo"), "reaction", "198503142010012003", "SAL-2024-01")
    assert row["submitted_at"] == pd.Timestamp("2024-03-08 15:22:13")


def test_kobo_metadata_columns_are_ignored():
    raw = _raw("kobo", "reaction").frame
    assert not [c for c in raw.columns if c.startswith("_") and c not in (SOURCE_ROW, "_source_file", "_read_problem")]


def test_kobo_multiline_answer_keeps_following_row_numbers():
    result = run_checks(FIXTURES / "kobo")
    # Andi's comment spans three lines of the file; Dewi's Likert "7" is still spreadsheet row 5.
    (p,) = result.tables["reaction"].problems
    assert (p.row, p.column, p.value, p.rule) == (5, "relevance", "7", "range")


def test_kobo_hxl_row_is_skipped_and_row_numbers_match_the_spreadsheet():
    raw = _raw("kobo_hxl", "reaction").frame
    assert raw[SOURCE_ROW].tolist() == [3, 4, 5, 6, 7]  # row 2 is the HXL hashtag row
    result = run_checks(FIXTURES / "kobo_hxl")
    assert result.counts["reaction"] == {"read": 5, "accepted": 4, "quarantined": 1}
    (p,) = result.tables["reaction"].problems
    assert (p.file, p.row, p.column) == ("reaksi_kobo_hxl.csv", 6, "relevance")


# ---------------------------------------------------------------- Excel


def test_excel_workbook_named_sheet_with_title_rows_loads(tmp_path):
    result = run_checks(copy_fixture("excel_xlsx", tmp_path))
    assert result.counts["tests"] == {"read": 4, "accepted": 3, "quarantined": 1}
    assert result.tables["tests"].blank_rows == 1


def test_excel_numbers_stored_as_text_and_date_cells_parse(tmp_path):
    result = run_checks(copy_fixture("excel_xlsx", tmp_path))
    siti = _accepted_row(result, "tests", "198503142010012003", "SAL-2024-01")
    assert (siti["test_date"], siti["pre_score"], siti["post_score"]) == (dt.date(2024, 3, 8), 67.5, 80.0)
    budi = _accepted_row(result, "tests", "199001012015031001", "SAL-2024-01")
    assert (budi["test_date"], budi["pre_score"], budi["post_score"]) == (dt.date(2024, 3, 8), 70.0, 82.5)
    dewi = _accepted_row(result, "tests", "198811302014022004", "PLJ-2024-01")
    assert dewi["pre_score"] == 55.0  # " 55 " as text


def test_excel_nip_typed_as_a_number_is_quarantined_with_the_fix(tmp_path):
    result = run_checks(copy_fixture("excel_xlsx", tmp_path))
    (p,) = result.tables["tests"].problems
    assert (p.file, p.row, p.column) == ("nilai.xlsx", 6, "nip")
    assert "format the NIP column as text" in p.message


def test_excel_row_numbers_match_the_sheet(tmp_path):
    folder = copy_fixture("excel_xlsx", tmp_path)
    spec = load_dataset_spec(folder)
    fspec = spec.files["tests"][0]
    raw = read_raw(folder / fspec.path, fspec, load_contract().tables["tests"]).frame
    assert raw[SOURCE_ROW].tolist() == [4, 5, 6, 8]  # header in row 3, row 7 empty


def test_excel_csv_with_bom_reads_the_first_header():
    raw = _raw("excel_csv", "participants").frame
    assert "nip" in raw.columns and len(raw) == 6
    assert "André Pratama" in raw["name"].tolist()


def test_excel_csv_in_windows_1252_keeps_en_dash_and_accents():
    result = run_checks(FIXTURES / "excel_csv")
    reasons = set(result.tables["enrollments"].accepted["absence_reason"].dropna())
    assert reasons == {"rapat dinas – bentrok jadwal", "cuti – menikah (résepsi)"}


def test_excel_csv_formatted_empty_rows_are_skipped_and_counted():
    result = run_checks(FIXTURES / "excel_csv")
    assert result.counts["enrollments"] == {"read": 5, "accepted": 4, "quarantined": 1}
    assert result.tables["enrollments"].blank_rows == 2


def test_row_with_an_unquoted_separator_is_quarantined_not_cut():
    result = run_checks(FIXTURES / "excel_csv")
    (p,) = result.tables["enrollments"].problems
    assert (p.row, p.rule) == (5, "field-count")
    assert "dirawat di RS" in p.message  # the values past the header are kept in the reason
