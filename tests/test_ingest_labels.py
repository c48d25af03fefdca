"""Real partner exports without fabrication: labels, recodes, columns not collected, one-pass errors.

An export in Indonesian reads without recoding; a label that is not understood is quarantined
with the allowed values and the closest known label, never guessed; a column the export does not
have is "not collected" (declared, or warned about), never filled in; and every mapping problem
of a file or of dataset.yml comes out in one run.
"""

from __future__ import annotations

import pytest
import yaml

from helpers.errors import DataContractError, DataContractErrors, UsageError
from helpers.ingest import run_checks
from helpers.ingest.contract import CONTRACT_FILE, label_key, load_contract
from helpers.ingest.contract_doc import contract_text
from helpers.ingest.dataset_spec import load_dataset_spec
from helpers.ingest.parsers import ColumnParser
from helpers.ingest.privacy import KEY_ENV
from helpers.ingest.readers import read_raw
from helpers.ingest.rules import check_columns
from tests.fixtures.exports import FIXTURES, TEST_KEY, copy_fixture, make_dataset, with_test_key

CONTRACT = load_contract()
SITI, BUDI, ANDI = "198503142010012003", "199001012015031001", "197712252003121002"
ENROLL_HEAD = "nip,program_id,status,schedule_conflict\n"


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


@pytest.fixture(scope="module")
def labels_id():
    return with_test_key(run_checks, FIXTURES / "labels_id")


def _read(folder, table: str, index: int = 0):
    spec = load_dataset_spec(folder)
    fspec = spec.files[table][index]
    return read_raw(folder / fspec.path, fspec, CONTRACT.tables[table])


def _checked(folder, table: str):
    """Typed values and problems of a table's first file, parsed as that file's entry says
    (its ``values:`` recodes and the dataset-wide ones): the per-file part of the pipeline."""
    spec = load_dataset_spec(folder)
    fspec = spec.files[table][0]
    raw = read_raw(folder / fspec.path, fspec, CONTRACT.tables[table])
    parser = ColumnParser.for_file(CONTRACT, spec, fspec)
    return check_columns(CONTRACT.tables[table], raw.frame, parser, fspec.path)


def _enrollments(tmp_path, rows: str, extra_yaml: str = "", **entry):
    return make_dataset(
        tmp_path / "d",
        {"enrollments": {"path": "kehadiran.csv", "text": ENROLL_HEAD + rows, **entry}},
        extra_yaml=extra_yaml,
    )


# ---------------------------------------------------------------- built-in synonyms


def test_indonesian_labelled_export_reads_with_no_quarantine(labels_id):
    assert labels_id.problems == []
    assert {t: c["quarantined"] for t, c in labels_id.counts.items()} == {
        "programs": 0,
        "participants": 0,
        "enrollments": 0,
    }


def test_indonesian_programme_labels_become_contract_values(labels_id):
    programs = labels_id.tables["programs"].accepted.set_index("program_id")
    assert programs["method"].to_dict() == {
        "SAL-2024-01": "project_based",  # "Berbasis Proyek"
        "SAL-2024-02": "classroom",  # "Klasikal"
        "PLJ-2024-01": "project_based",  # "Pelatihan Berbasis Proyek"
        "PLJ-2024-02": "seminar",  # "Webinar"
        "PLJ-2024-03": "internship",  # "Magang"
    }
    assert programs["delivery"].tolist() == ["luring", "luring", "blended", "daring", "luring"]
    assert programs["incentive"].tolist() == [True, False, False, False, True]  # Ya, Tidak Ada, Tidak, TIDAK, Ada


def test_indonesian_participant_labels_become_contract_values(labels_id):
    people = labels_id.tables["participants"].accepted
    # Perempuan, Laki-laki, "Laki laki", PEREMPUAN, Pria, Wanita
    assert people["gender"].tolist() == ["P", "L", "L", "P", "L", "P"]
    # Jabatan Fungsional, Pelaksana, Jabatan Administrator, Staf, JF, Jabatan Fungsional Umum
    assert people["position_type"].tolist() == [
        "fungsional",
        "pelaksana",
        "struktural",
        "pelaksana",
        "fungsional",
        "pelaksana",  # JFU is the former name of jabatan pelaksana, not a jabatan fungsional
    ]


def test_indonesian_enrollment_labels_become_contract_values(labels_id):
    enr = labels_id.tables["enrollments"].accepted
    # Selesai, Mengundurkan Diri, Tidak Hadir, LULUS, Drop Out, No-show, Tidak Selesai, selesai
    assert enr["status"].tolist() == [
        "completed",
        "dropped",
        "no_show",
        "completed",
        "dropped",
        "no_show",
        "dropped",
        "completed",
    ]
    # Tidak, Ya, Iya, T, Y, tidak, ya, blank
    assert enr["schedule_conflict"].tolist()[:7] == [False, True, True, False, True, False, True]
    assert enr["schedule_conflict"].isna().tolist()[7]


@pytest.mark.parametrize(
    "table, column, text, expected",
    [
        ("participants", "gender", "LAKI_LAKI", "L"),
        ("participants", "gender", " laki - laki ", "L"),
        ("participants", "gender", "Female", "P"),
        ("programs", "method", "E-Learning", "e_learning"),
        ("programs", "method", "elearning", "e_learning"),
        ("programs", "method", "Lokakarya", "workshop"),
        ("programs", "delivery", "Online", "daring"),
        ("programs", "delivery", "Hibrida", "blended"),
        ("enrollments", "status", "Tidak Pernah Hadir", "no_show"),
        ("enrollments", "status", "Dropped", "dropped"),
    ],
)
def test_labels_match_ignoring_case_spaces_underscores_and_hyphens(table, column, text, expected):
    parser = ColumnParser(CONTRACT, load_dataset_spec(FIXTURES / "labels_id"), {})
    assert parser.parse(CONTRACT.tables[table].columns[column], text) == expected


def test_a_sign_is_not_folded_away_from_a_yes_no_answer():
    parser = ColumnParser(CONTRACT, load_dataset_spec(FIXTURES / "labels_id"), {})
    with pytest.raises(ValueError):
        parser.parse(CONTRACT.tables["programs"].columns["incentive"], "-1")


def _yaml_without_duplicate_keys(text: str):
    """Load YAML refusing a key written twice in one mapping (PyYAML silently keeps the last)."""

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        dup = {k for k in keys if keys.count(k) > 1}
        assert not dup, f"contract.yml line {node.start_mark.line + 1}: key(s) {dup} written twice"
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return yaml.load(text, Loader=Strict)  # a SafeLoader subclass


def test_synonym_tables_are_unambiguous():
    raw = _yaml_without_duplicate_keys(CONTRACT_FILE.read_text(encoding="utf-8"))
    checked = 0
    for tname, table in raw["tables"].items():
        for cname, col in table["columns"].items():
            values = [str(v) for v in col.get("values", ())]
            meaning: dict[str, set[str]] = {}
            for value in values:
                meaning.setdefault(label_key(value), set()).add(value)
            for value, labels in (col.get("synonyms") or {}).items():
                assert value in values, (tname, cname, value)
                for label in labels:
                    meaning.setdefault(label_key(label), set()).add(value)
                    checked += 1
            two = {k: v for k, v in meaning.items() if len(v) > 1}
            # One label, one value: this also catches a synonym equal to another value of the column.
            assert not two, f"{tname}.{cname}: labels with two meanings: {two}"
    yesno: dict[str, set[str]] = {}
    for label, value in raw["yesno"].items():
        yesno.setdefault(label_key(label), set()).add(value)
    assert all(len(v) == 1 for v in yesno.values()), yesno
    assert checked > 50  # the tables are there at all


def test_tidak_lulus_is_not_guessed_but_quarantined(tmp_path):
    result = run_checks(_enrollments(tmp_path, f"{SITI},SAL-2024-01,Tidak Lulus,tidak\n"))
    (p,) = result.tables["enrollments"].problems
    assert (p.column, p.rule, p.value) == ("status", "enum", "Tidak Lulus")
    assert "recode it under values: in dataset.yml" in p.message


# ---------------------------------------------------------------- unknown labels


def test_unknown_label_is_quarantined_naming_allowed_values_and_the_closest_label(tmp_path):
    programs = (
        "program_id,region_id,title,method,delivery,start_date,end_date\n"
        "SAL-2024-01,salatiga,A,Berbasis Projek,luring,2024-03-04,2024-03-08\n"
    )
    result = run_checks(make_dataset(tmp_path / "d", {"programs": programs}))
    (p,) = result.tables["programs"].problems
    assert (p.column, p.rule) == ("method", "enum")
    assert p.message == (
        "'Berbasis Projek' is not one of: project_based, competency_based, simulation, classroom, "
        "e_learning, seminar, workshop, internship (closest known label: 'berbasis proyek' = "
        "project_based); recode it under values: in dataset.yml"
    )
    assert result.tables["programs"].quarantined["reason"].iloc[0].startswith("method: 'Berbasis Projek' is not")


def test_unknown_yes_no_answer_is_quarantined_with_the_fix(tmp_path):
    result = run_checks(_enrollments(tmp_path, f"{SITI},SAL-2024-01,selesai,Mungkin\n"))
    (p,) = result.tables["enrollments"].problems
    assert (p.column, p.rule) == ("schedule_conflict", "yesno")
    assert "is not a yes/no answer" in p.message and "values: in dataset.yml" in p.message


def test_unknown_label_reason_keeps_personal_data_out(tmp_path):
    result = run_checks(_enrollments(tmp_path, f"{SITI},SAL-2024-01,hubungi 0812-3456-7890,tidak\n"))
    (p,) = result.tables["enrollments"].problems
    assert "0812" not in p.message and "[telepon]" in p.message


def test_region_name_in_a_region_column_suggests_recoding_it(tmp_path):
    participants = f"nip,region_id\n{SITI},Kota Salatiga\n"
    result = run_checks(make_dataset(tmp_path / "d", {"participants": participants}))
    p = next(p for p in result.tables["participants"].problems if p.column == "region_id")
    assert p.rule == "region"
    assert "it is the name of region 'salatiga': recode it under values: in dataset.yml" in p.message


# ---------------------------------------------------------------- values: recodes


def test_values_recode_in_a_file_entry(tmp_path):
    folder = _enrollments(
        tmp_path,
        f"{SITI},SAL-2024-01,Gugur,tidak\n{BUDI},SAL-2024-01,Selesai,Belum Tahu\n",
        values={"status": {"Gugur": "dropped"}, "schedule_conflict": {"belum tahu": "no"}},
    )
    typed, problems = _checked(folder, "enrollments")
    assert problems == []
    assert typed["status"].tolist() == ["dropped", "completed"]  # the recode, then the built-in synonym
    assert typed["schedule_conflict"].tolist() == [False, False]


def test_values_recode_reaches_the_ingested_tables(tmp_path):
    """The whole run, not only the parser: a recode in dataset.yml changes what ingest accepts."""
    folder = _enrollments(
        tmp_path,
        f"{SITI},SAL-2024-01,Gugur,tidak\n{BUDI},SAL-2024-01,Selesai,tidak\n",
        values={"status": {"Gugur": "dropped"}},
    )
    result = run_checks(folder)
    assert [str(p) for p in result.problems] == []
    assert sorted(result.tables["enrollments"].accepted["status"].tolist()) == ["completed", "dropped"]


def test_values_recode_at_the_top_level_applies_to_every_file_and_the_file_wins(tmp_path):
    folder = _enrollments(
        tmp_path,
        f"{SITI},SAL-2024-01,GUGUR,tidak\n{BUDI},SAL-2024-01,Tidak Lulus,tidak\n",
        extra_yaml=(
            "values:\n  status: {gugur: no_show, Tidak Lulus: completed}\n  region_id: {Kota Salatiga: salatiga}\n"
        ),
        values={"status": {"Gugur": "dropped"}},
    )
    spec = load_dataset_spec(folder)
    assert spec.files["enrollments"][0].values["status"] == {"Tidak Lulus": "completed", "Gugur": "dropped"}
    assert spec.files["participants"][0].values == {"region_id": {"Kota Salatiga": "salatiga"}}
    typed, problems = _checked(folder, "enrollments")
    assert problems == []
    assert typed["status"].tolist() == ["dropped", "completed"]


def test_values_recode_of_a_region_name(tmp_path):
    participants = f"nip,region_id\n{SITI},Kota Salatiga\n{BUDI},KOTA  SALATIGA\n{ANDI},salatiga\n"
    folder = make_dataset(
        tmp_path / "d",
        {
            "participants": {
                "path": "peserta.csv",
                "text": participants,
                "values": {"region_id": {"Kota Salatiga": "salatiga"}},
            }
        },
    )
    typed, problems = _checked(folder, "participants")
    assert problems == [] and typed["region_id"].tolist() == ["salatiga"] * 3


def test_values_recode_to_a_value_outside_the_contract_stops_dataset_yml(tmp_path):
    folder = _enrollments(tmp_path, f"{SITI},SAL-2024-01,Gugur,tidak\n", values={"status": {"Gugur": "failed"}})
    with pytest.raises(DataContractError) as err:
        load_dataset_spec(folder)
    assert err.value.rule == "values"
    assert (
        "files: enrollments (kehadiran.csv): values: status: 'Gugur' is recoded to 'failed', which is not "
        "one of completed, dropped, no_show"
    ) in str(err.value)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"sessions_total": {"lima": 5}}, "values: sessions_total: a column of type int, whose values are not labels"),
        ({"nilai": {"a": "b"}}, "values recodes 'nilai', which is not a column of table 'enrollments'"),
        ({"schedule_conflict": {"Kadang": "sometimes"}}, "which is not one of yes, no"),
    ],
)
def test_values_recode_of_the_wrong_column_or_to_a_wrong_value_is_refused(tmp_path, values, message):
    folder = _enrollments(tmp_path, f"{SITI},SAL-2024-01,selesai,tidak\n", values=values)
    with pytest.raises(DataContractError, match=message):
        load_dataset_spec(folder)


def test_top_level_values_recode_to_an_undeclared_region_is_refused(tmp_path):
    folder = _enrollments(
        tmp_path, f"{SITI},SAL-2024-01,selesai,tidak\n", extra_yaml="values:\n  region_id: {Kota Semarang: semarang}\n"
    )
    with pytest.raises(DataContractError) as err:  # once, though five tables have a region_id
        load_dataset_spec(folder)
    assert "values: region_id: 'Kota Semarang' is recoded to 'semarang', which is not one of the region ids " in str(
        err.value
    )
    assert "dataset.yml declares (salatiga, plaju)" in str(err.value)


# ---------------------------------------------------------------- not collected


def test_declared_not_collected_column_is_recorded_without_a_warning(tmp_path):
    folder = _enrollments(
        tmp_path, f"{SITI},SAL-2024-01,selesai,tidak\n", not_collected=["sessions_attended", "sessions_total"]
    )
    raw = _read(folder, "enrollments")
    assert {"sessions_attended", "sessions_total", "workload", "absence_reason"} == set(raw.not_collected)
    warned = [w.message for w in raw.warnings]
    assert not [m for m in warned if "'sessions_attended'" in m or "'sessions_total'" in m]


def test_undeclared_missing_optional_column_is_a_warning_not_an_error(tmp_path):
    raw = _read(_enrollments(tmp_path, f"{SITI},SAL-2024-01,selesai,tidak\n"), "enrollments")
    assert "workload" in raw.not_collected
    (w,) = [w for w in raw.warnings if "'workload'" in w.message]
    assert isinstance(w, DataContractError) and w.rule == "not-collected"
    assert w.message == (
        "table 'enrollments': column 'workload' (used by: participation) not found; treated as not collected — "
        "map the export's header to it under columns:, or declare it under not_collected: in dataset.yml "
        "to silence this"
    )


def test_missing_column_that_no_analysis_uses_is_silently_not_collected():
    raw = _read(FIXTURES / "labels_id", "participants")
    assert {"grade", "birth_year"} <= set(raw.not_collected)
    assert not [w for w in raw.warnings if "'grade'" in w.message or "'birth_year'" in w.message]


def test_not_collected_column_that_the_file_has_is_a_contradiction(tmp_path):
    folder = _enrollments(tmp_path, f"{SITI},SAL-2024-01,selesai,tidak\n", not_collected=["schedule_conflict"])
    with pytest.raises(DataContractError) as err:
        _read(folder, "enrollments")
    assert err.value.rule == "not_collected"
    assert (
        "declares 'schedule_conflict' under not_collected:, but the file has it (header 'schedule_conflict', column D)"
        in str(err.value)
    )


def test_required_column_declared_not_collected_is_refused(tmp_path):
    folder = _enrollments(tmp_path, f"{SITI},SAL-2024-01,selesai,tidak\n", not_collected=["status"])
    with pytest.raises(
        DataContractError, match="not_collected names 'status', but every analysis of table 'enrollments' needs it"
    ):
        load_dataset_spec(folder)


def test_not_collected_column_that_is_also_mapped_is_refused(tmp_path):
    folder = _enrollments(
        tmp_path,
        f"{SITI},SAL-2024-01,selesai,tidak\n",
        columns={"schedule_conflict": "schedule_conflict"},
        not_collected=["schedule_conflict"],
    )
    with pytest.raises(DataContractError, match="also maps a header to it under columns:; keep one of the two"):
        load_dataset_spec(folder)


def test_tests_without_a_post_test_column_read_as_pre_tests_only(tmp_path):
    tests = f"nip,program_id,pre_score\n{SITI},SAL-2024-01,60\n"
    result = run_checks(make_dataset(tmp_path / "d", {"tests": tests}))
    assert result.counts["tests"] == {"read": 1, "accepted": 1, "quarantined": 0}
    assert "post_score" in result.not_collected["tests"]


# ---------------------------------------------------------------- every problem in one pass


def test_several_mapping_problems_of_one_file_come_out_together(tmp_path):
    folder = make_dataset(
        tmp_path / "d",
        {
            "enrollments": {
                "path": "kehadiran.csv",
                "text": "NIP Peserta,program_id,Keterangan\n" + f"{SITI},SAL-2024-01,x\n",
                "columns": {"NIP": "nip", "Status Akhir": "status"},
                "constants": {"program_id": "SAL-2024-01"},
            }
        },
    )
    with pytest.raises(DataContractErrors) as err:
        _read(folder, "enrollments")
    found = [(e.rule, e.message) for e in err.value.errors]
    assert [r for r, _ in found] == ["mapping", "mapping", "constants"]
    assert "maps header 'NIP' but no column of the file matches it" in found[0][1]
    assert "maps header 'Status Akhir' but no column" in found[1][1]
    assert "constants: program_id, but the file has a 'program_id' column too" in found[2][1]
    assert all(m.startswith("table 'enrollments': ") for _, m in found)
    assert str(err.value).startswith("3 problems stop this dataset; fix them all, then run again:")


def test_missing_required_columns_are_listed_in_one_message(tmp_path):
    folder = make_dataset(tmp_path / "d", {"enrollments": {"path": "e.csv", "text": f"nip,Kode\n{SITI},x\n"}})
    with pytest.raises(DataContractError, match=r"required column\(s\) not found: program_id, status"):
        _read(folder, "enrollments")


def test_several_problems_of_dataset_yml_come_out_together(tmp_path):
    folder = _enrollments(
        tmp_path,
        f"{SITI},SAL-2024-01,selesai,tidak\n",
        colums={"Status": "status"},
        values={"status": {"Gugur": "failed"}},
        not_collected=["nip", "kehadiran"],
    )
    with pytest.raises(DataContractErrors) as err:
        load_dataset_spec(folder)
    rules = [e.rule for e in err.value.errors]
    assert rules == ["files", "values", "not_collected", "not_collected"]
    assert "unknown key(s) colums" in err.value.errors[0].message


def test_sheet_is_named_in_dataset_yml_problems(tmp_path):
    folder = _enrollments(tmp_path, "", sheet="Rekap", values={"status": {"Gugur": "failed"}})
    with pytest.raises(DataContractError, match=r"files: enrollments \(kehadiran.csv, sheet 'Rekap'\): values"):
        load_dataset_spec(folder)


# ---------------------------------------------------------------- header row, duplicate headers


TITLED = (
    "REKAP PESERTA PELATIHAN 2024,,,\n"
    ",,,\n"
    "NIP,Kode Pelatihan,Status,Bentrok Jadwal\n"
    f"{SITI},SAL-2024-01,Selesai,Tidak\n"
)
TITLED_COLUMNS = {"Kode Pelatihan": "program_id", "Bentrok Jadwal": "schedule_conflict"}


def test_title_rows_above_the_header_suggest_header_row(tmp_path):
    folder = make_dataset(
        tmp_path / "d", {"enrollments": {"path": "rekap.csv", "text": TITLED, "columns": TITLED_COLUMNS}}
    )
    with pytest.raises((DataContractError, DataContractErrors)) as err:
        _read(folder, "enrollments")
    assert "the headers seem to be in row 3: add header_row: 3 to this file's entry in dataset.yml" in str(err.value)


def test_header_row_as_suggested_reads_the_file(tmp_path):
    folder = make_dataset(
        tmp_path / "d",
        {"enrollments": {"path": "rekap.csv", "text": TITLED, "columns": TITLED_COLUMNS, "header_row": 3}},
    )
    raw = _read(folder, "enrollments")
    assert raw.frame[["status", "program_id"]].values.tolist() == [["Selesai", "SAL-2024-01"]]
    assert raw.frame["_source_row"].tolist() == [4]


def test_workbook_with_header_row_left_out_names_sheet_and_suggests_the_row(tmp_path):
    folder = copy_fixture("excel_xlsx", tmp_path)  # sheet "Nilai": a title in row 1, headers in row 3
    yml = folder / "dataset.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("header_row: 3", "header_row: 1"), encoding="utf-8")
    with pytest.raises(DataContractErrors) as err:
        _read(folder, "tests")
    first = err.value.errors[0]
    assert first.file.endswith("nilai.xlsx") and first.rule == "header_row"
    assert first.message == (
        "table 'tests', sheet 'Nilai': few headers in row 1 name contract columns; the headers seem to be "
        "in row 3: add header_row: 3 to this file's entry in dataset.yml"
    )
    assert len(err.value.errors) == 6  # and each columns: header that row 1 does not have


SCORES = "nip,program_id,Nilai,Nilai\n" + f"{SITI},SAL-2024-01,60,80\n"


def test_two_identical_headers_in_a_csv_get_advice_that_needs_no_edit_of_the_export(tmp_path):
    folder = make_dataset(
        tmp_path / "d", {"tests": {"path": "nilai.csv", "text": SCORES, "columns": {"Nilai": "pre_score"}}}
    )
    with pytest.raises(DataContractError) as err:
        _read(folder, "tests")
    message = str(err.value)
    assert "maps header 'Nilai', but the file has 2 columns with that header (C and D)" in message
    assert "map the one you mean as 'Nilai#1' or 'Nilai#2' (counted from the left)" in message
    assert "group prefix" not in message  # Kobo advice, wrong for a CSV


def test_numbered_header_picks_one_of_two_identical_headers(tmp_path):
    columns = {"Nilai#1": "pre_score", "Nilai #2": "post_score"}
    folder = make_dataset(tmp_path / "d", {"tests": {"path": "nilai.csv", "text": SCORES, "columns": columns}})
    raw = _read(folder, "tests")
    assert raw.frame[["pre_score", "post_score"]].values.tolist() == [["60", "80"]]


def test_numbered_header_beyond_the_columns_with_that_header_is_refused(tmp_path):
    folder = make_dataset(
        tmp_path / "d", {"tests": {"path": "nilai.csv", "text": SCORES, "columns": {"Nilai#3": "pre_score"}}}
    )
    with pytest.raises(DataContractError, match=r"has only 2 column\(s\) headed 'Nilai' \(C and D\)"):
        _read(folder, "tests")


def test_two_identical_contract_headers_name_their_letters(tmp_path):
    text = "nip,program_id,pre_score,pre_score\n" + f"{SITI},SAL-2024-01,60,80\n"
    folder = make_dataset(tmp_path / "d", {"tests": {"path": "nilai.csv", "text": text}})
    with pytest.raises(DataContractError) as err:
        _read(folder, "tests")
    assert "2 columns of the file would become 'pre_score' ('pre_score' (C); 'pre_score' (D))" in str(err.value)
    assert "'pre_score#1' or 'pre_score#2'" in str(err.value)


# ---------------------------------------------------------------- the contract in a terminal


def test_contract_text_of_one_table_shows_columns_labels_and_analyses():
    text = contract_text("participants")
    assert text.startswith("participants\n")
    assert "enrollments" not in text.split("\n\n")[0]
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("gender "))
    assert "optional" in line and "profile" in line
    assert "L: laki-laki, lelaki, pria, male, m, man" in text
    assert "required" in next(ln for ln in text.splitlines() if ln.strip().startswith("nip ")).split()
    assert "not_collected:" in text and "values:" in text


def test_contract_text_of_every_table():
    text = contract_text()
    assert all(f"\n{t}\n" in f"\n{text}" for t in CONTRACT.order)


def test_contract_text_of_an_unknown_table_names_the_known_ones():
    with pytest.raises(UsageError, match="unknown table 'peserta' \\(known: programs, participants, enrollments"):
        contract_text("peserta")
