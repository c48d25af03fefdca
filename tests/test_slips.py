"""Slips stop ingest before they do harm; the previous processed data stay as they were.

The fixture ``tests/fixtures/slips`` is clean; each test plants one slip in a copy of it, the
way a researcher would make it (a region id typed wrongly, the docs' example period, a header
mapped to the wrong column), and checks that ``ingest`` names the slip in one line, exits 2
through the CLI, writes nothing, and that ``--accept-quarantine`` proceeds deliberately.
"""

from __future__ import annotations

import shutil

import pytest

from helpers import cli
from helpers.errors import SlipError
from helpers.ingest import ingest, run_checks, slips
from helpers.ingest.privacy import KEY_ENV
from tests.fixtures.exports import FIXTURES, TEST_KEY, tree_hashes


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A project root holding a copy of the fixture as data/raw/slips, and a good processed copy."""
    raw = tmp_path / "data" / "raw" / "slips"
    shutil.copytree(FIXTURES / "slips", raw)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.setenv("ASN_EVAL_ROOT", str(tmp_path))
    ingest(raw)
    return tmp_path


def _raw(root):
    return root / "data" / "raw" / "slips"


def _processed(root):
    return root / "data" / "processed" / "slips"


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture changed: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _stops(root, capsys, *needles):
    """ingest through the CLI exits 2, names the slip, and leaves the processed data alone."""
    before = tree_hashes(_processed(root))
    code = cli.main(["ingest", "slips"])
    err = capsys.readouterr().err
    assert code == 2, err
    for needle in needles:
        assert needle in err, err
    assert "--accept-quarantine" in err
    assert tree_hashes(_processed(root)) == before
    assert sorted(p.name for p in _processed(root).parent.iterdir()) == ["slips"]  # no temp folders
    return err


def test_the_clean_fixture_has_no_slip(root):
    result = run_checks(_raw(root))
    assert result.clean
    assert slips(result) == []


def test_a_region_id_typed_wrongly_in_regions_stops_and_names_the_id(root, capsys):
    _edit(_raw(root) / "dataset.yml", "- {id: plaju,", "- {id: palju,")
    err = _stops(root, capsys, "region id 'plaju'", "Did you mean 'palju'?")
    # One cause, one line, with the tables it touches: not one line per table.
    assert err.count("region id 'plaju'") == 1
    assert "programs 1" in err and "service 12" in err


def test_a_region_id_typed_wrongly_in_a_constant_stops(root, capsys):
    service = _raw(root) / "service.csv"
    rows = service.read_text(encoding="utf-8").splitlines()
    service.write_text(
        "\n".join([rows[0].replace("region_id,", "")] + [r.split(",", 1)[1] for r in rows[1:]]) + "\n", encoding="utf-8"
    )
    _edit(
        _raw(root) / "dataset.yml",
        "  service: service.csv",
        "  service: {path: service.csv, constants: {region_id: salatga}}",
    )
    _stops(root, capsys, "region id 'salatga' in 24 rows", "Did you mean 'salatiga'?")


def test_the_docs_example_period_stops_with_the_dates_it_leaves_out(root, capsys):
    _edit(
        _raw(root) / "dataset.yml",
        "period: {start: '2024-01-01', end: '2024-12-31'}",
        "period: {start: '2025-01-01', end: '2025-12-31'}",
    )
    err = _stops(root, capsys, "the dataset period 2025-01-01 to 2025-12-31", "is the period right?")
    assert "programs 4 of 4" in err and "dated 2024-01 to 2024-12" in err
    # Enrolments lost with their programmes follow from the same slip: not named again.
    assert "enrollments:" not in err


def test_a_header_mapped_to_the_wrong_column_stops(root, capsys):
    _edit(
        _raw(root) / "dataset.yml",
        "  programs: programs.csv",
        "  programs: {path: programs.csv, columns: {title: jp, jp: title}}",
    )
    _stops(root, capsys, "programs: 4 of 4 rows (100%) would be quarantined", "rule 'float' in column 'jp'")


def test_a_region_losing_every_row_of_a_table_stops(root, capsys):
    # Plaju's 12 service rows of 24 turn bad: exactly half (not more), but the region is emptied.
    service = _raw(root) / "service.csv"
    text = service.read_text(encoding="utf-8").splitlines()
    text = [text[0]] + [r.replace(",2024-03", ",maret") if r.startswith("plaju") else r for r in text[1:]]
    service.write_text("\n".join(text) + "\n", encoding="utf-8")
    _stops(root, capsys, "region 'plaju' would keep none of its rows in service 12")


def test_accept_quarantine_writes_the_data_deliberately(root, capsys):
    _edit(_raw(root) / "dataset.yml", "- {id: plaju,", "- {id: palju,")
    with pytest.raises(SlipError):
        ingest(_raw(root))
    assert cli.main(["ingest", "slips", "--accept-quarantine"]) == 0
    out = capsys.readouterr().out
    assert "processed data written" in out
    quarantine = _processed(root) / "quarantine" / "programs.csv"
    assert "plaju" in quarantine.read_text(encoding="utf-8")


def test_a_few_bad_rows_are_quarantine_not_a_slip(root, capsys):
    _edit(
        _raw(root) / "enrollments.csv",
        "199205172019031035,SAL-02,completed,4,5",
        "199205172019031035,SAL-02,selesai?,4,5",
    )
    assert cli.main(["ingest", "slips"]) == 0
    assert len(run_checks(_raw(root)).problems) == 1


def test_check_names_the_slips_that_ingest_would_stop_on(root, capsys):
    _edit(_raw(root) / "dataset.yml", "- {id: plaju,", "- {id: palju,")
    assert cli.main(["check", "slips"]) == 2
    out = capsys.readouterr().out
    assert "would stop on these likely slips" in out and "region id 'plaju'" in out


def test_a_table_with_headers_only_is_a_warning_in_check(root, capsys):
    service = _raw(root) / "service.csv"
    service.write_text(service.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    assert cli.main(["check", "slips"]) == 0
    out = capsys.readouterr().out
    assert "service.csv: has headers but no data rows" in out


def test_check_and_ingest_accept_a_name_or_a_path(root, capsys):
    assert cli.main(["check", "slips"]) == 0
    assert cli.main(["check", str(_raw(root))]) == 0
    assert cli.main(["check", "no-such-dataset"]) == 2
    err = capsys.readouterr().err
    assert "no dataset 'no-such-dataset'" in err and "slips" in err
