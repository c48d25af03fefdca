"""Personal data (UU 27/2022): keys, pseudonyms, scrubbing, and nothing personal in the output."""

from __future__ import annotations

import shutil

import pytest

from helpers.errors import DataContractError
from helpers.ingest import ingest, run_checks
from helpers.ingest.privacy import DEMO_KEY, KEY_ENV, KEY_FILE_ENV, nip_problem, pseudonymise, resolve_key, scrub_text
from tests.fixtures.exports import EMAILS, FIXTURES, NAMES, PHONES, RAW_NIPS, TEST_KEY, copy_fixture, output_text


@pytest.fixture
def no_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


# ---------------------------------------------------------------- the key


def test_real_dataset_without_a_key_is_refused(no_key):
    with pytest.raises(DataContractError) as err:
        run_checks(FIXTURES / "google_forms")
    msg = str(err.value)
    assert KEY_ENV in msg and KEY_FILE_ENV in msg and "synthetic" in msg


def test_real_dataset_refused_without_a_key_writes_nothing(no_key, tmp_path):
    out = tmp_path / "processed"
    with pytest.raises(DataContractError):
        ingest(FIXTURES / "google_forms", out)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_real_dataset_cannot_use_the_demo_key(no_key, tmp_path):
    folder = copy_fixture("kobo", tmp_path)
    yml = folder / "dataset.yml"
    yml.write_text(yml.read_text(encoding="utf-8") + "pseudonym_key: demo\n", encoding="utf-8")
    with pytest.raises(DataContractError, match="no pseudonymisation key for a real dataset"):
        run_checks(folder)


def test_a_real_key_written_into_dataset_yml_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    folder = copy_fixture("kobo", tmp_path)
    yml = folder / "dataset.yml"
    yml.write_text(yml.read_text(encoding="utf-8") + "pseudonym_key: s3cr3t-in-the-repo\n", encoding="utf-8")
    with pytest.raises(DataContractError, match="never write a real key into the repository"):
        run_checks(folder)


def test_synthetic_dataset_may_use_the_public_demo_key(no_key):
    assert resolve_key("sample", True, "demo") == DEMO_KEY


def test_key_from_environment_variable(no_key, monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    assert resolve_key("x", False, None) == TEST_KEY.encode()


def test_key_from_file_outside_the_repository(no_key, monkeypatch, tmp_path):
    key_file = tmp_path / "asn-eval.key"
    key_file.write_text(TEST_KEY + "\n")
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    assert resolve_key("x", False, None) == TEST_KEY.encode()  # trailing newline stripped


def test_key_file_that_does_not_exist_is_refused(no_key, monkeypatch, tmp_path):
    monkeypatch.setenv(KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(DataContractError, match="missing file"):
        resolve_key("x", False, None)


def test_key_file_inside_the_project_is_refused(no_key, monkeypatch, tmp_path):
    monkeypatch.setenv("ASN_EVAL_ROOT", str(tmp_path))
    key_file = tmp_path / "secrets" / "key"
    key_file.parent.mkdir()
    key_file.write_text(TEST_KEY)
    monkeypatch.setenv(KEY_FILE_ENV, str(key_file))
    with pytest.raises(DataContractError, match="inside the project folder"):
        resolve_key("x", False, None)


def test_short_key_is_refused(no_key, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "abc123")
    with pytest.raises(DataContractError, match="at least 16"):
        resolve_key("x", False, None)


# ---------------------------------------------------------------- pseudonyms


def test_pseudonym_is_stable_and_ignores_separators():
    key = TEST_KEY.encode()
    assert pseudonymise("198503142010012003", key) == pseudonymise("19850314 201001 2 003", key)
    assert pseudonymise("198503142010012003", key) == pseudonymise("19850314.201001.2.003", key)


def test_pseudonym_depends_on_the_key():
    nip = "198503142010012003"
    assert pseudonymise(nip, TEST_KEY.encode()) != pseudonymise(nip, DEMO_KEY)
    assert pseudonymise(nip, DEMO_KEY).startswith("P") and len(pseudonymise(nip, DEMO_KEY)) == 17


# ---------------------------------------------------------------- NIP checks


@pytest.mark.parametrize(
    "nip",
    [
        "198503142010012003",
        "19850314 201001 2 003",
        "19850314.201001.2.003",
        "19850314-201001-2-003",
        "NIP. 19850314 201001 2 003",
    ],
)
def test_well_formed_nip_is_accepted_with_or_without_separators(nip):
    assert nip_problem(nip) is None


@pytest.mark.parametrize(
    "nip, why",
    [
        ("19850314201001200", "18 digits, found 17"),
        ("1985031420100120031", "18 digits, found 19"),
        ("19850314201001200X", "other characters"),
        ("198502302010012003", "impossible birth date"),  # 30 February
        ("198513142010012003", "impossible birth date"),  # month 13
        ("185003142010012003", "impossible birth date"),  # born 1850
        ("198503142010132003", "impossible appointment date"),  # appointment month 13
        ("198503141990012003", "impossible appointment date"),  # appointed aged 4
        ("198503142010013003", "gender digit"),
        ("1.98503142010012E+17", "stored as a number"),
    ],
)
def test_nip_not_18_digits_or_encoding_an_impossible_date_is_rejected(nip, why):
    assert why in nip_problem(nip)


# ---------------------------------------------------------------- scrubbing free text


@pytest.mark.parametrize(
    "text",
    [
        "NIP saya 198503142010012003 ya",
        "NIP saya 19850314 201001 2 003 ya",
        "NIP saya 19850314.201001.2.003 ya",
        "NIP saya 19850314-201001-2-003 ya",
    ],
)
def test_scrub_text_removes_nip_like_digit_runs(text):
    assert scrub_text(text) == "NIP saya [NIP] ya"


@pytest.mark.parametrize(
    "text",
    [
        "hubungi +62 812-3456-7890 ya",
        "hubungi +62 812 3456 7890 ya",
        "hubungi +6281234567890 ya",
        "hubungi 0812-3456-7890 ya",
        "hubungi 0812 3456 7890 ya",
        "hubungi 081234567890 ya",
        "hubungi 62812345678 ya",
        "hubungi 6281234567890 ya",
        "hubungi 0813.1122.3344 ya",
        "hubungi (021) 555-1234 ya",
        "hubungi 0751 123456 ya",
    ],
)
def test_scrub_text_removes_indonesian_phone_numbers(text):
    out = scrub_text(text)
    assert out.startswith("hubungi ") and out.endswith(" ya") and "[telepon]" in out
    assert not any(ch.isdigit() for ch in out), out


@pytest.mark.parametrize(
    "text", ["siti.rahmawati@gmail.com", "Budi_S+pelatihan@salatiga.go.id", "a.b-c@sub.domain.co.id"]
)
def test_scrub_text_removes_email_addresses(text):
    assert scrub_text(f"kirim ke {text}, terima kasih") == "kirim ke [email], terima kasih"


@pytest.mark.parametrize(
    "text",
    [
        "Perlu tambahan 20 JP untuk praktik",
        "Tahun 2024 lebih baik",
        "biaya Rp 1.500.000 per orang",
        "anggaran Rp 12.500.000,- cukup",
        "nilai naik dari 67,5 ke 80",
        "pukul 08.00 sampai 16.00",
        "tanggal 05/03/2024",
        "PP 17/2020 Pasal 203",
        "sesi 3 dari 10",
        "ruang 0812",
        "Perda No. 12 Tahun 2023",
        "kode pelatihan SAL-2024-01",
    ],
)
def test_scrub_text_keeps_ordinary_numbers(text):
    assert scrub_text(text) == text


def test_scrub_text_leaves_blank_and_none_alone():
    assert scrub_text("") == "" and scrub_text(None) is None


# ---------------------------------------------------------------- nothing personal in the output


@pytest.mark.parametrize("name", ["google_forms", "sheets_id", "kobo", "kobo_hxl", "excel_csv", "excel_xlsx"])
def test_processed_output_holds_no_raw_nip_name_email_or_phone(name, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    folder = copy_fixture(name, tmp_path / "raw")
    out = tmp_path / "processed"
    result = ingest(folder, out, accept_quarantine=True)
    assert any(len(t.quarantined) for t in result.tables.values())  # quarantine files are scanned too
    text = output_text(out)
    for nip in RAW_NIPS:
        assert nip not in text and nip.replace(" ", "") not in text, nip
    for secret in NAMES + EMAILS + PHONES:
        assert secret not in text, secret


def test_quarantine_holds_the_pseudonym_never_the_raw_nip(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    out = tmp_path / "processed"
    ingest(FIXTURES / "google_forms", out, accept_quarantine=True)
    quarantine = (out / "quarantine" / "reaction.csv").read_text(encoding="utf-8")
    assert pseudonymise("199001012015031001", TEST_KEY.encode()) in quarantine
    for nip in RAW_NIPS:
        assert nip not in quarantine
    assert "Alamat email" not in quarantine and "@" not in quarantine


def test_sample_personal_data_never_reaches_processed_output(tmp_path):
    """The synthetic sample's names and NIPs (as written in data/raw) are not in the output."""
    import csv

    sample = tmp_path / "sample"
    shutil.copytree(FIXTURES.parent.parent / "data" / "raw" / "sample", sample)
    with open(sample / "participants.csv", encoding="utf-8") as fh:
        people = list(csv.DictReader(fh))[:50]
    out = tmp_path / "processed"
    ingest(sample, out)
    text = output_text(out)
    for person in people:
        assert person["nip"] not in text and person["name"] not in text


@pytest.mark.parametrize(
    "text", ["telp +62 21 5551234", "NIP 19731026/199908/2/001", "budi[at]gmail.com", "budi (at) gmail dot com"]
)
def test_scrub_catches_international_landlines_slashed_nips_and_obfuscated_emails(text):
    from helpers.ingest.privacy import scrub_text

    scrubbed = scrub_text(text)
    assert not any(ch.isdigit() for ch in scrubbed.replace("[NIP]", "")) or "[" in scrubbed
    assert "gmail" not in scrubbed and "5551234" not in scrubbed and "199908" not in scrubbed
