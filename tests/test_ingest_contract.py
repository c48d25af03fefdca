"""Fatal problems stop the run with one message naming the fix, and never leave partial output.

Also: a re-run on unchanged raw data gives byte-identical processed files, a failing write leaves
the previous processed folder as it was, and raw files are never modified.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from helpers.errors import DataContractError
from helpers.ingest import ingest, run_checks
from helpers.ingest.privacy import KEY_ENV
from tests.fixtures.exports import TEST_KEY, copy_fixture, tree_hashes


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


@pytest.fixture
def kobo(tmp_path):
    return copy_fixture("kobo", tmp_path / "raw")


@pytest.fixture
def processed(tmp_path, kobo):
    """A previous, good processed dataset that a failing run must leave alone."""
    out = tmp_path / "processed" / "kobo"
    ingest(kobo, out)
    return out


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _assert_fatal(folder, processed, pattern):
    """The run raises DataContractError matching ``pattern`` and leaves ``processed`` untouched."""
    before = tree_hashes(processed)
    with pytest.raises(DataContractError) as err:
        ingest(folder, processed)
    assert re.search(pattern, str(err.value)), str(err.value)
    assert tree_hashes(processed) == before
    assert sorted(p.name for p in processed.parent.iterdir()) == [processed.name]  # no temp folders
    return err.value


# ---------------------------------------------------------------- fatal problems


def test_missing_file_is_fatal_and_names_it(kobo, processed):
    _edit(kobo / "dataset.yml", "path: reaksi_kobo.csv", "path: reaksi_kobo_final.csv")
    err = _assert_fatal(kobo, processed, "does not exist")
    assert err.file.endswith("reaksi_kobo_final.csv") and err.rule == "missing-file"


def test_missing_required_column_is_fatal_and_says_how_to_map_it(kobo, processed):
    _edit(kobo / "reaksi_kobo.csv", '"grp_reaksi/overall"', '"grp_reaksi/kepuasan"')
    err = _assert_fatal(kobo, processed, r"required column\(s\) not found: overall")
    assert "columns: in dataset.yml" in str(err) and err.rule == "missing-column"


def test_dataset_without_regions_is_fatal(kobo, processed):
    text = (kobo / "dataset.yml").read_text(encoding="utf-8")
    start, end = text.index("regions:"), text.index("files:")
    (kobo / "dataset.yml").write_text(text[:start] + "regions: []\n" + text[end:], encoding="utf-8")
    _assert_fatal(kobo, processed, "regions is empty: list each region")


def test_mapping_that_matches_no_header_is_fatal_and_suggests_the_closest(kobo, processed):
    _edit(kobo / "dataset.yml", "end: submitted_at", "ending: submitted_at")
    _assert_fatal(
        kobo,
        processed,
        r"maps header 'ending' but no column of the file matches it "
        r"\(closest: 'end'.*copy the header from the export exactly",
    )


def test_mapping_to_a_column_outside_the_contract_is_fatal(kobo, processed):
    _edit(kobo / "dataset.yml", "end: submitted_at", "end: waktu_kirim")
    _assert_fatal(kobo, processed, "'waktu_kirim', which is not a column of table 'reaction'")


def test_mapping_that_matches_two_group_columns_is_fatal(kobo, processed):
    _edit(kobo / "reaksi_kobo.csv", '"today"', '"grp_lain/comment"')
    _assert_fatal(kobo, processed, r"matches 2 columns .*write the full header, with its group prefix")


def test_two_headers_becoming_one_column_is_fatal(kobo, processed):
    _edit(kobo / "reaksi_kobo.csv", '"today"', '"relevance"')
    _assert_fatal(kobo, processed, "2 columns of the file would become 'relevance'")


def test_unknown_likert_label_set_is_fatal(kobo, processed):
    _edit(
        kobo / "dataset.yml",
        "      comment: comment         # ... or only the question name\n",
        "      comment: comment\n    likert: {overall: kepuasan}\n",
    )
    _assert_fatal(kobo, processed, "unknown label set 'kepuasan' \\(known: agreement, satisfaction\\)")


def test_likert_set_for_a_column_that_is_not_likert_is_fatal(kobo, processed):
    _edit(
        kobo / "dataset.yml",
        "      comment: comment         # ... or only the question name\n",
        "      comment: comment\n    likert: {comment: satisfaction}\n",
    )
    _assert_fatal(kobo, processed, "'comment', which is not a Likert column")


def test_misspelt_file_key_is_fatal(kobo, processed):
    _edit(kobo / "dataset.yml", "    columns:\n", "    colums:\n")
    _assert_fatal(kobo, processed, "unknown key\\(s\\) colums")


def test_unknown_format_is_fatal(kobo, processed):
    _edit(kobo / "dataset.yml", "format: kobo", "format: odk")
    _assert_fatal(kobo, processed, "unknown format 'odk'")


def test_constant_for_a_column_the_file_already_has_is_fatal(kobo, processed):
    _edit(kobo / "dataset.yml", "    format: kobo\n", "    format: kobo\n    constants: {program_id: SAL-2024-01}\n")
    _assert_fatal(kobo, processed, "constants: program_id, but the file has a 'program_id' column too")


def test_period_that_ends_before_it_starts_is_fatal(kobo, processed):
    _edit(kobo / "dataset.yml", "end: '2025-12-31'", "end: '2023-12-31'")
    _assert_fatal(kobo, processed, "period start 2024-01-01 is after its end 2023-12-31")


def test_workbook_saved_with_a_csv_name_is_fatal(kobo, processed, tmp_path):
    xlsx = copy_fixture("excel_xlsx", tmp_path / "x") / "nilai.xlsx"
    (kobo / "reaksi_kobo.csv").write_bytes(xlsx.read_bytes())
    _assert_fatal(kobo, processed, "this is an Excel workbook, not CSV text: set 'format: xlsx'")


def test_unknown_sheet_is_fatal_and_lists_the_sheets(tmp_path):
    folder = copy_fixture("excel_xlsx", tmp_path)
    _edit(folder / "dataset.yml", "sheet: Nilai", "sheet: Nilai Akhir")
    with pytest.raises(DataContractError, match=r"no sheet named 'Nilai Akhir' \(sheets: Petunjuk, Nilai\)"):
        run_checks(folder)


def test_missing_dataset_yml_is_fatal(tmp_path):
    with pytest.raises(DataContractError, match="every dataset folder needs one"):
        run_checks(tmp_path)


def test_fatal_problem_message_is_one_line():
    err = DataContractError("data/raw/x/dataset.yml", "regions", "regions is empty: list each region")
    assert "\n" not in str(err) and str(err).endswith("[rule: regions]")


# ---------------------------------------------------------------- writing


def test_rerun_on_unchanged_raw_data_is_byte_identical(tmp_path):
    folder = copy_fixture("google_forms", tmp_path / "raw")
    first, second = tmp_path / "a", tmp_path / "b"
    ingest(folder, first, accept_quarantine=True)  # fixtures plant many bad rows
    hashes = tree_hashes(first)
    ingest(folder, first, accept_quarantine=True)  # same destination: replaced in place
    ingest(folder, second, accept_quarantine=True)
    assert tree_hashes(first) == hashes == tree_hashes(second)
    assert {"reaction/_schema.parquet", "quarantine/reaction.csv", "manifest.json"} <= set(hashes)


def test_raw_files_are_never_modified(tmp_path):
    for name in ("google_forms", "kobo_hxl", "excel_csv", "excel_xlsx", "sheets_id"):
        folder = copy_fixture(name, tmp_path / "raw")
        before = tree_hashes(folder)
        ingest(folder, tmp_path / "processed" / name, accept_quarantine=True)
        assert tree_hashes(folder) == before, name


def test_failing_write_leaves_previous_output_and_no_temp_folders(kobo, processed, monkeypatch):
    import pyarrow.parquet as pq

    before = tree_hashes(processed)
    real = pq.write_table
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # mid-write: some tables already written to the temporary folder
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(pq, "write_table", flaky)
    with pytest.raises(OSError, match="disk full"):
        ingest(kobo, processed)
    assert tree_hashes(processed) == before
    assert sorted(p.name for p in processed.parent.iterdir()) == ["kobo"]


def test_failing_swap_puts_the_previous_output_back(kobo, processed, monkeypatch):
    before = tree_hashes(processed)
    real = os.replace
    calls = []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the new folder cannot be moved into place
            raise OSError("rename failed")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    with pytest.raises(OSError, match="rename failed"):
        ingest(kobo, processed)
    monkeypatch.setattr(os, "replace", real)
    assert tree_hashes(processed) == before
    assert sorted(p.name for p in processed.parent.iterdir()) == ["kobo"]


def test_manifest_records_inputs_counts_and_skipped_blank_rows(tmp_path):
    folder = copy_fixture("excel_csv", tmp_path / "raw")
    out = tmp_path / "processed"
    ingest(folder, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["inputs"]) == {"programs.csv", "peserta_utf8_bom.csv", "kehadiran_cp1252.csv"}
    assert manifest["tables"]["enrollments"] == {"read": 5, "accepted": 4, "quarantined": 1}
    assert manifest["blank_rows_skipped"] == {"enrollments": 2}
    assert {"table": "enrollments", "column": "(row)", "rule": "field-count", "rows": 1} in manifest["problems_by_rule"]


def test_skm_unsur_naming_one_unsur_twice_stops_the_run(tmp_path):
    import shutil

    import yaml

    from helpers.errors import DataContractError
    from helpers.ingest.dataset_spec import load_dataset_spec

    from .conftest import SAMPLE_RAW

    folder = tmp_path / "ds"
    shutil.copytree(SAMPLE_RAW, folder)
    spec = yaml.safe_load((folder / "dataset.yml").read_text(encoding="utf-8"))
    spec["skm_unsur"]["u5"] = "persyaratan"
    (folder / "dataset.yml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataContractError, match="u1 and u5 both name the unsur"):
        load_dataset_spec(folder)
